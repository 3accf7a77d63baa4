# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# A write may reach a plex only once the superblocks of the in-sync plexes
# say dirty (md's md_write_start()), and no superblock may run ahead of
# the in-sync plexes'.  Found by 131-power-cut: the first write after the
# volume was marked clean asked for the dirty mark; the flush before it
# failed on the last in-sync plex (its power was cut first) and the write
# was let through anyway.  It failed on that plex, landed on the syncing
# one below its checkpoint, and the superblocks still said clean:
# assembled later, the syncing plex resumed from its checkpoint and kept a
# block the source never had, and the resync reported a success.
# Here plex 0, the source, fails while plex 1 syncs, in two ways: its
# power is cut (every I/O and flush fails), or it fails every I/O but
# empty flushes (dm-error), so that its superblock write fails and the
# syncing plex's succeeds.  The write must fail and reach no plex; the
# volume must assemble from both, and after the resync the plexes must be
# identical.  Last, a write fails on plex 0 while the volume is already
# dirty, and reaches plex 1 below its checkpoint (run_running).

TEST_TIMEOUT=300
# udev must not reassemble the stopped volume by itself.
TEST_UDEV=0

# The checkpoint of plex 1 as its own superblock records it (sectors).
disk_checkpoint() {
	mirvolctl examine /dev/ram1 --json |
		jq '[.slots[.current_slot].superblock.plexes[] | select(.index == 1)][0].sync_offset'
}

# checkpoint_past SECTOR: plex 1's own superblock records a checkpoint at
# or past SECTOR (for wait_for, which calls it in this shell).
checkpoint_past() {
	[ "$(disk_checkpoint)" -ge "$1" ]
}

# run_case power|error
run_case() {
	local how=$1 vol d0 op sysfs
	log "--- plex 0 fails by $how"
	mk_nullb src0 40
	d0=$(dm_error_wrap /dev/src0 src)
	vol=$(mirvolctl create --name dm "$d0")
	sysfs=/sys/block/${vol#/dev/}/mirvol
	head -c 16M /dev/urandom | dd of="$vol" bs=1M oflag=direct status=none
	echo 1000 >"$sysfs/sync_speed_max"
	echo 100 >"$sysfs/safe_mode_delay_ms"
	op=$(mirvolctl add-plex dm /dev/ram1)
	# A checkpoint above the block written below is on disk (one every
	# 3 s), and the volume is marked clean.
	wait_for 30 checkpoint_past 2048
	wait_for 10 grep -qx clean "$sysfs/array_state"
	log "plex 1 checkpoint on disk: sector $(disk_checkpoint); volume clean"

	if [ "$how" = power ]; then
		echo 0 >/sys/kernel/config/nullb/src0/power
	else
		dm_set_error src
	fi
	! head -c 4096 /dev/urandom | dd of="$vol" bs=4k seek=16 oflag=direct status=none 2>/dev/null ||
		fail "a write that no in-sync plex took succeeded"
	mirvolctl op wait "$op" >/dev/null 2>&1 && fail "the resync from a failed source succeeded"
	mirvolctl stop dm
	if [ "$how" = power ]; then
		# dm would keep the dead device open: its number comes back.
		dm_set_error src
		echo 1 >/sys/kernel/config/nullb/src0/power
		wait_for 10 test -b /dev/src0
	fi
	dm_set_linear src

	mirvolctl assemble "$d0" /dev/ram1 >/dev/null || fail "assembly failed"
	log "assembled: $(mirvolctl show dm --json | jq -c '[.state, .dirty, .operation.type, [.plexes[].state]]')"
	vol=$(mirvolctl show dm --json | jq -r .device)
	echo system >"/sys/block/${vol#/dev/}/mirvol/sync_speed_max"
	wait_for 120 sh -c "$MIRVOLCTL show dm --json | jq -e '.state == \"online\"'"
	plexes_identical dm
	mirvolctl remove --yes dm
	_dmsetup remove src
	rm_nullb src0
}

# The volume stays dirty; plex 0 fails a write that plex 1 takes below
# its checkpoint.  Plex 1 must copy that range again: after plex 0 is back
# and the resync resumed and ended, the plexes must be identical.
run_running() {
	local vol d0 op sysfs
	log "--- plex 0 fails a write while the volume is dirty"
	mk_nullb src0 40
	d0=$(dm_error_wrap /dev/src0 src)
	vol=$(mirvolctl create --name dm "$d0")
	sysfs=/sys/block/${vol#/dev/}/mirvol
	echo 600000 >"$sysfs/safe_mode_delay_ms"
	head -c 16M /dev/urandom | dd of="$vol" bs=1M oflag=direct status=none
	echo 1000 >"$sysfs/sync_speed_max"
	op=$(mirvolctl add-plex dm /dev/ram1)
	wait_for 30 sh -c "[ \$(cat $sysfs/plex1/sync_offset) -ge 2048 ]"
	assert_eq dirty "$(cat "$sysfs/array_state")" "volume state before the write"
	dm_set_error src
	! head -c 4096 /dev/urandom | dd of="$vol" bs=4k seek=16 oflag=direct status=none 2>/dev/null ||
		fail "a write that no in-sync plex took succeeded"
	log "plex 1 checkpoint after the failed write: sector $(cat "$sysfs/plex1/sync_offset")"
	mirvolctl op wait "$op" >/dev/null 2>&1 && fail "the resync from a failed source succeeded"
	dm_set_linear src
	echo system >"$sysfs/sync_speed_max"
	mirvolctl resync dm --wait >/dev/null || fail "the resumed resync failed"
	assert_eq online "$(mirvolctl show dm --json | jq -r .state)" "volume state"
	plexes_identical dm
	mirvolctl remove --yes dm
	_dmsetup remove src
	rm_nullb src0
}

run_test() {
	require jq cmp
	mk_brd 2 40
	run_case power
	run_case error
	run_running
}
