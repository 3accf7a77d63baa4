# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# The last in-sync plex is never given up (md's rule), found by the
# power-cut test: during a resync the source plex loses power first.
#  - Write errors on the last in-sync plex fail the writes, not the plex.
#  - When its device goes away it is missing in memory, but the
#    superblocks keep it in sync: when it returns the volume assembles
#    with it as the source.  Writes meanwhile fail and reach no plex.
# The landed code failed it and recorded that on the syncing plex, and
# assembly then refused the volume (NO_IN_SYNC_MEMBER) although that
# plex held every acknowledged write.

TEST_TIMEOUT=600
# udev must not reassemble the stopped volume by itself.
TEST_UDEV=0

run_test() {
	local vol json d0 op
	require jq cmp
	mk_brd 2 40
	head -c 16M /dev/urandom >"$TEST_TMP/data"

	# 1: write errors on the source while the other plex syncs.
	d0=$(dm_error_wrap /dev/ram0 src)
	vol=$(mirvolctl create --name li "$d0")
	dd if="$TEST_TMP/data" of="$vol" bs=1M oflag=direct status=none
	echo 1000 >/sys/block/mirvol0/mirvol/sync_speed_max
	op=$(mirvolctl add-plex li /dev/ram1)
	dm_set_error src
	! dd if=/dev/zero of="$vol" bs=4k count=1 seek=100 oflag=direct status=none 2>/dev/null ||
		fail "a write that no in-sync plex took succeeded"
	json=$(mirvolctl show li --json)
	assert_eq active "$(jq -r '.plexes[0].state' <<<"$json")" \
		"the last in-sync plex after a write error"
	assert_ne failed "$(jq -r .state <<<"$json")" "volume state"
	dm_set_linear src
	# What it holds is still served: the failed write never reached it.
	cmp -n 16M "$TEST_TMP/data" "$vol" || fail "data after the write error"
	mirvolctl op cancel "$op" >/dev/null || true
	mirvolctl remove --yes li

	# 2: the source's device goes away (null_blk powered off) while
	# plex 1 syncs; both come back; the volume assembles from it.
	mk_nullb src0 40
	vol=$(mirvolctl create --name lg --assume-clean /dev/src0)
	dd if="$TEST_TMP/data" of="$vol" bs=1M oflag=direct status=none
	echo 1000 >/sys/block/mirvol0/mirvol/sync_speed_max
	op=$(mirvolctl add-plex lg /dev/ram1)
	sleep 1
	echo 0 >/sys/kernel/config/nullb/src0/power
	wait_for 10 sh -c "$MIRVOLCTL show lg --json | jq -e '.plexes[0].state == \"missing\"'"
	assert_eq failed "$(mirvolctl show lg --json | jq -r .state)" "volume without its source"
	# A write to the failed volume fails and reaches no plex: plex 1
	# would hold it below its checkpoint.
	! head -c 4096 /dev/urandom | dd of="$vol" bs=4k seek=16 oflag=direct status=none 2>/dev/null ||
		fail "a write to a failed volume succeeded"
	json=$(mirvolctl op wait "$op" --json 2>/dev/null) || true
	assert_eq failed "$(jq -r .state <<<"$json")" "add-plex whose source went away"
	mirvolctl stop lg
	echo 1 >/sys/kernel/config/nullb/src0/power
	wait_for 10 test -b /dev/src0
	json=$(mirvolctl examine /dev/ram1 --json)
	assert_eq true "$(jq '[.slots[.current_slot].superblock.plexes[] | select(.index == 0)][0].state == "active"' <<<"$json")" \
		"plex 0 as plex 1 recorded it"
	mirvolctl assemble /dev/src0 /dev/ram1 >/dev/null ||
		fail "the volume does not assemble with its last in-sync plex back"
	json=$(mirvolctl show lg --json)
	assert_eq active "$(jq -r '.plexes[0].state' <<<"$json")" "returned plex 0"
	echo 0 >/sys/block/mirvol0/mirvol/sync_speed_max
	wait_for 120 sh -c "$MIRVOLCTL show lg --json | jq -e '.state == \"online\"'"
	cmp -n 16M "$TEST_TMP/data" "$(mirvolctl show lg --json | jq -r .device)" ||
		fail "data after the return of the last in-sync plex"
	plexes_identical lg
	mirvolctl remove --yes lg
	rm_nullb src0
}
