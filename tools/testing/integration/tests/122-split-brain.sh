# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# Split brain: each disk is started alone (--run) in its own boot and
# written.  With both present, mirvol refuses to put them together
# (SPLIT_BRAIN, naming the members) and tells mirvolctl monitor so, for
# each member (assembly-refused); the admin assembles one side and adds
# the other back as a new plex.
#
# And one side replaced meanwhile: volume rv {q, p}, p failed (a failed
# plex keeps its slot; a missing one's is the one a new plex takes); p is
# started alone and written; q is started alone, replaced by r, and runs
# on past p's generation.  p's table lists no plex rv has, yet it ran
# without it: assembling r and p, and re-adding p to rv, are refused with
# SPLIT_BRAIN, not taken back copying only the bitmap's regions.

TEST_STAGES="stage_create stage_a stage_b stage_p stage_q stage_both"
TEST_DISKS="a:64M b:64M p:64M q:64M r:64M"
TEST_STAGE_DISKS="stage_create:a,b,p,q stage_a:a stage_b:b stage_p:p stage_q:q,r stage_both:a,b,p,r"
TEST_TIMEOUT=300

stage_create() {
	mirvolctl create --name sb --wait "$(disk a)" "$(disk b)" >/dev/null
	mirvolctl create --name rv --wait "$(disk q)" "$(disk p)" >/dev/null
	mirvolctl fail rv 1 >/dev/null
}

stage_alone() {
	settle
	mirvolctl assemble --run "$(disk "$1")" >/dev/null
	settle
	head -c 4M /dev/urandom >"$TEST_SCRATCH/data-$1"
	dd if="$TEST_SCRATCH/data-$1" of=/dev/mirvol0 bs=1M oflag=direct conv=fsync status=none
}

stage_a() { stage_alone a; }
stage_b() { stage_alone b; }
stage_p() { stage_alone p; }

stage_q() {
	local i
	require jq
	stage_alone q
	mirvolctl replace rv "$(disk q)" "$(disk r)" --wait >/dev/null
	# Its generation well past p's (which took a start and a dirty mark).
	for i in 1 2 3; do
		mirvolctl stop rv
		settle
		mirvolctl assemble --run "$(disk r)" >/dev/null
		settle
	done
	log "rv: generation $(mirvolctl show rv --json | jq .generation)"
}

# The replaced volume and its plex that ran alone, in stage_both.
both_replaced() {
	local err
	err=$(mirvolctl assemble "$(disk r)" "$(disk p)" 2>&1 >/dev/null) &&
		fail "r and p were assembled together"
	log "assemble r p: $err"
	[[ $(tail -n 1 <<<"$err") =~ \(SPLIT_BRAIN\)$ ]] ||
		fail "r and p: expected SPLIT_BRAIN, got: $(tail -n 1 <<<"$err")"
	mirvolctl assemble --run "$(disk r)" >/dev/null
	settle
	expect_fail_reason SPLIT_BRAIN mirvolctl re-add rv 1 "$(disk p)"
	assert_eq '["failed","active"]' \
		"$(mirvolctl show rv --json | jq -c '[.plexes[].state]')" \
		"rv after p's refusal"
	cmp -n 4M "$TEST_SCRATCH/data-q" /dev/mirvol/rv || fail "rv's data"
	mirvolctl stop rv
	settle
}

stage_both() {
	local err json mon_pid d
	require jq cmp
	settle
	# udev started one side; the other was refused.
	for v in $(mirvolctl list --json | jq -r '.[].name'); do
		mirvolctl stop "$v"
	done
	settle
	"$MIRVOLCTL" monitor --json >"$TEST_TMP/mon.json" 2>"$TEST_TMP/mon.err" &
	mon_pid=$!
	sleep 1
	err=$(mirvolctl assemble "$(disk a)" "$(disk b)" 2>&1 >/dev/null) && fail "the two sides were assembled together"
	log "assemble: $err"
	# Both members refused, each said to the monitor.
	for d in "$(disk a)" "$(disk b)"; do
		wait_for 10 sh -c "jq -s -e --arg d '$d' 'map(select(.event == \"assembly-refused\" and
			.reason == \"SPLIT_BRAIN\" and .device == \$d)) | length >= 1' '$TEST_TMP/mon.json' >/dev/null" ||
			fail "no assembly-refused event (SPLIT_BRAIN) for $d: $(cat "$TEST_TMP/mon.json" "$TEST_TMP/mon.err")"
	done
	kill "$mon_pid"
	wait "$mon_pid" || true
	[[ $(tail -n 1 <<<"$err") =~ \(SPLIT_BRAIN\)$ ]] || fail "expected SPLIT_BRAIN, got: $(tail -n 1 <<<"$err")"
	grep -q "$(disk a)" <<<"$err" || fail "the error does not name $(disk a)"
	grep -q "$(disk b)" <<<"$err" || fail "the error does not name $(disk b)"
	assert_eq 0 "$(mirvolctl list --json | jq length)" "volumes after the refusal"
	both_replaced
	# Resolve: keep side a, add b back as a new plex.
	mirvolctl assemble --run "$(disk a)" >/dev/null
	settle
	cmp -n 4M "$TEST_SCRATCH/data-a" /dev/mirvol/sb || fail "side a's data"
	mirvolctl add-plex sb "$(disk b)" --wait >/dev/null
	json=$(mirvolctl show sb --json)
	assert_eq '["active","active"]' "$(jq -c '[.plexes[].state]' <<<"$json")" "after re-adding b"
}
