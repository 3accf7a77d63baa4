# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# A bit the last in-sync plex could not record.  Plex 1 is missing; plex
# 0's bitmap area fails every write while its data and superblocks work.
# A write into a clean region sets its bit: the bitmap page write fails on
# plex 0, which is kept (the last in-sync plex), and the data write
# succeeds there.  The on-disk bitmap then lacks a region written while
# plex 1 was away: after a stop and an assembly, plex 1 must not come back
# copying only the regions set, or it keeps its old data there.  mirvol
# records that the bitmap covers only later writes; plex 1 copies
# everything, and the plexes end identical.

TEST_TIMEOUT=300
# The test assembles itself.
TEST_UDEV=0

run_test() {
	local vol d0 json sz
	require jq cmp
	mk_brd 1 72
	mk_nullb back 72
	d0=$(dm_error_wrap /dev/ram0 bm0)
	head -c 1M /dev/urandom >"$TEST_TMP/new"
	vol=$(mirvolctl create --name bl --wait "$d0" /dev/back)
	head -c 64M /dev/urandom | dd of="$vol" bs=1M oflag=direct status=none
	wait_for 30 sh -c "$MIRVOLCTL show bl --json | jq -e '.bitmap_dirty_regions == 0'"

	echo 0 >/sys/kernel/config/nullb/back/power
	wait_for 10 sh -c "$MIRVOLCTL show bl --json | jq -e '.plexes[1].state == \"missing\"'"
	# The bitmap area, 64 KiB to 1 MiB of the device, fails.
	sz=$(dev_sectors /dev/ram0)
	_dm_switch bm0 "0 128 linear /dev/ram0 0
128 1920 error
2048 $((sz - 2048)) linear /dev/ram0 2048"
	dd if="$TEST_TMP/new" of="$vol" bs=1M seek=10 oflag=direct status=none ||
		fail "a write whose data plex 0 took failed"
	mirvolctl stop bl
	dm_set_linear bm0
	echo 1 >/sys/kernel/config/nullb/back/power
	wait_for 10 test -b /dev/back

	mirvolctl assemble "$d0" /dev/back >/dev/null || fail "assembly failed"
	json=$(mirvolctl show bl --json)
	log "assembled: $(jq -c '[.state, [.plexes[].state], .operation.type]' <<<"$json")"
	vol=$(jq -r .device <<<"$json")
	wait_for 120 sh -c "$MIRVOLCTL show bl --json | jq -e '.state == \"online\"'"
	cmp -n 1M "$TEST_TMP/new" <(dd if="$vol" bs=1M skip=10 count=1 iflag=direct status=none) ||
		fail "the write is not on the volume"
	plexes_identical bl
	mirvolctl remove --yes bl
	rm_nullb back
}
