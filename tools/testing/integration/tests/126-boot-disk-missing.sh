# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# A boot with disks missing.  Four 2-plex volumes v1..v4 (on disks aN and
# bN) and "lone" (disk c, with disk d added and stopped half-synced).  The
# next boot has only the disks aN and d: udev gathers every member, and
# every volume waits.  list and show count their members (1 present of 2
# expected).  "lone" holds only a syncing member: assemble --run lone and
# assemble --incremental --run d are refused with NO_IN_SYNC_MEMBER, and
# it keeps waiting.  The others are started degraded, with their data, by
# assemble --incremental --run a1 (v1 only), assemble --run v2, the command
# mirvol-last-resort@UUID.service runs for v3's UUID (whose timer udev
# wanted: SYSTEMD_WANTS in udev's database), and assemble --scan --run
# (v4; it exits 1 and says why "lone" was not started).  A volume once
# started degraded records its missing plex, so it never waits again:
# hence one volume per way of starting.

TEST_STAGES="stage_create stage_missing"
TEST_DISKS="a1:24M b1:24M a2:24M b2:24M a3:24M b3:24M a4:24M b4:24M c:24M d:24M"
TEST_STAGE_DISKS="stage_missing:a1,a2,a3,a4,d"
TEST_TIMEOUT=240

stage_create() {
	local op i vol
	require jq
	settle
	for i in 1 2 3 4; do
		vol=$(mirvolctl create --name "v$i" --wait "$(disk "a$i")" "$(disk "b$i")")
		head -c 4M /dev/urandom >"$TEST_SCRATCH/data$i"
		dd if="$TEST_SCRATCH/data$i" of="$vol" bs=1M oflag=direct conv=fsync status=none
		mirvolctl stop "v$i"
	done
	vol=$(mirvolctl create --name lone --wait "$(disk c)")
	dd if=/dev/urandom of="$vol" bs=1M count=16 oflag=direct status=none
	mirvolctl set lone --sync-speed-min 1000 --sync-speed-max 1000
	op=$(mirvolctl add-plex lone "$(disk d)")
	wait_for 30 sh -c "[ \$($MIRVOLCTL op status $op --json | jq .percent) -ge 1 ]"
	mirvolctl stop lone
	assert_eq syncing "$(mirvolctl examine --json "$(disk d)" |
		jq -r '.slots[.current_slot].superblock.plexes[1].state')" "d's own state"
}

# waiting NAME: the volume waits with 1 of its 2 plexes present.
waiting() {
	local json
	json=$(mirvolctl show "$1" --json)
	assert_eq offline "$(jq -r .state <<<"$json")" "$1: state"
	assert_eq null "$(jq -r .device <<<"$json")" "$1: device"
	assert_eq 2 "$(jq '.plexes | length' <<<"$json")" "$1: plexes expected"
	assert_eq 1 "$(jq '[.plexes[] | select(.state == "missing")] | length' <<<"$json")" \
		"$1: plexes missing"
	mirvolctl show "$1" | grep -q '^Plexes *: 2 (1 present' ||
		fail "$1: show does not count 1 present of 2"
	mirvolctl list | grep -Eq "^$1 +- +[^ ]+ +offline +1/2 " ||
		fail "list: $1 is not offline 1/2: $(mirvolctl list | grep "^$1 ")"
}

# started NAME HOW: the volume runs degraded, with its data, plex 1 missing.
started() {
	local json
	settle
	json=$(mirvolctl show "$1" --json)
	assert_eq degraded "$(jq -r .state <<<"$json")" "$1: state after $2"
	assert_eq '["active","missing"]' "$(jq -c '[.plexes[].state]' <<<"$json")" \
		"$1: plexes after $2"
	cmp -n 4M "$TEST_SCRATCH/data${1#v}" "/dev/mirvol/$1" || fail "$1: data lost after $2"
	log "ok: $2 started $1 degraded"
}

stage_missing() {
	local v uuid unit cmd rc out
	require jq cmp udevadm
	settle
	for v in v1 v2 v3 v4 lone; do
		waiting "$v"
	done

	# Only a syncing member: refused, and it keeps waiting.
	expect_fail_reason NO_IN_SYNC_MEMBER mirvolctl assemble --run lone
	expect_fail_reason NO_IN_SYNC_MEMBER mirvolctl assemble --incremental --run "$(disk d)"
	waiting lone

	mirvolctl assemble --incremental --run "$(disk a1)" >/dev/null
	started v1 "assemble --incremental --run a1"
	waiting v2

	out=$(mirvolctl assemble --run v2)
	[[ $out =~ ^/dev/mirvol[0-9]+$ ]] || fail "assemble --run v2 printed '$out', not the device"
	started v2 "assemble --run v2"
	waiting v3

	# The last resort: udev wanted the timer of the volume's UUID; the
	# service's command starts it, and does nothing the second time.
	uuid=$(mirvolctl show v3 --json | jq -r .uuid)
	udevadm info --query=property "$(disk a3)" |
		grep -qx "SYSTEMD_WANTS=mirvol-last-resort@$uuid.timer" ||
		fail "udev does not want mirvol-last-resort@$uuid.timer for a3"
	unit=$MIRVOL_SRC/tools/systemd/mirvol-last-resort@.service
	cmd=$(sed -n 's/^ExecStart=//p' "$unit")
	cmd=${cmd//@SBINDIR@/$MIRVOL_SRC/tools/mirvolctl}
	cmd=${cmd//%i/$uuid}
	log "last resort: $cmd"
	$cmd >/dev/null
	started v3 "mirvol-last-resort@$uuid.service"
	$cmd >/dev/null
	waiting v4

	rc=0
	out=$(mirvolctl assemble --scan --run 2>&1) || rc=$?
	assert_eq 1 "$rc" "assemble --scan --run exit status (lone refused)"
	grep -q 'lone.*(NO_IN_SYNC_MEMBER)$' <<<"$out" ||
		fail "assemble --scan --run does not say why lone waits: $out"
	started v4 "assemble --scan --run"
	waiting lone
}
