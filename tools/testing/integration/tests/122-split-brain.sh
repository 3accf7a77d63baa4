# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# Split brain: each disk is started alone (--run) in its own boot and
# written.  With both present, mirvol refuses to put them together
# (SPLIT_BRAIN, naming the members); the admin assembles one side and adds
# the other back as a new plex.

TEST_STAGES="stage_create stage_a stage_b stage_both"
TEST_DISKS="a:64M b:64M"
TEST_STAGE_DISKS="stage_a:a stage_b:b"
TEST_TIMEOUT=300

stage_create() {
	mirvolctl create --name sb --wait "$(disk a)" "$(disk b)" >/dev/null
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

stage_both() {
	local err json
	require jq cmp
	settle
	# udev started one side; the other was refused.
	for v in $(mirvolctl list --json | jq -r '.[].name'); do
		mirvolctl stop "$v"
	done
	settle
	err=$(mirvolctl assemble "$(disk a)" "$(disk b)" 2>&1 >/dev/null) && fail "the two sides were assembled together"
	log "assemble: $err"
	[[ $(tail -n 1 <<<"$err") =~ \(SPLIT_BRAIN\)$ ]] || fail "expected SPLIT_BRAIN, got: $(tail -n 1 <<<"$err")"
	grep -q "$(disk a)" <<<"$err" || fail "the error does not name $(disk a)"
	grep -q "$(disk b)" <<<"$err" || fail "the error does not name $(disk b)"
	assert_eq 0 "$(mirvolctl list --json | jq length)" "volumes after the refusal"
	# Resolve: keep side a, add b back as a new plex.
	mirvolctl assemble --run "$(disk a)" >/dev/null
	settle
	cmp -n 4M "$TEST_SCRATCH/data-a" /dev/mirvol/sb || fail "side a's data"
	mirvolctl add-plex sb "$(disk b)" --wait >/dev/null
	json=$(mirvolctl show sb --json)
	assert_eq '["active","active"]' "$(jq -c '[.plexes[].state]' <<<"$json")" "after re-adding b"
}
