# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# Break a plex off a mounted ext4 volume that is busy with writes, without
# unmounting: the file system is frozen for the split, so the new volume
# holds a clean file system (no journal recovery needed: ext4 clears
# needs_recovery when frozen and sets it while mounted otherwise; e2fsck
# -fn passes), and the writers carry on.

TEST_TIMEOUT=400

run_test() {
	local vol new pid features
	require mkfs.ext4 e2fsck dumpe2fs jq
	mk_brd 2 128
	load_mirvol
	vol=$(mirvolctl create --name fs --wait /dev/ram0 /dev/ram1)
	mkfs.ext4 -q -F "$vol"
	mkdir -p "$TEST_TMP/mnt"
	mount "$vol" "$TEST_TMP/mnt"
	features=$(dumpe2fs -h "$vol" 2>/dev/null | grep -i '^Filesystem features')
	[[ $features == *needs_recovery* ]] ||
		fail "a mounted ext4 does not show needs_recovery on disk: the test cannot tell a frozen copy: $features"
	(
		i=0
		while :; do
			dd if=/dev/urandom of="$TEST_TMP/mnt/f$((i % 40))" bs=64k count=16 status=none conv=fsync || exit 1
			i=$((i + 1))
		done
	) &
	pid=$!
	sleep 4
	new=$(mirvolctl break-plex fs 1 --name fs-snap --wait)
	sleep 2
	kill -0 "$pid" || fail "the writer died during the break"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	# e2fsck -n never replays a journal (nor says so): ask the superblock.
	features=$(dumpe2fs -h "$new" 2>/dev/null | grep -i '^Filesystem features') ||
		fail "dumpe2fs -h $new failed"
	[[ $features != *needs_recovery* ]] ||
		fail "the snapshot needs journal recovery: it was not frozen ($features)"
	e2fsck -fn "$new" >"$TEST_TMP/fsck.out" 2>&1 ||
		fail "e2fsck -fn on the broken-off volume: $(tail -n 5 "$TEST_TMP/fsck.out" | tr '\n' ' ')"
	umount "$TEST_TMP/mnt"
	e2fsck -fn "$vol" >/dev/null 2>&1 || fail "e2fsck on the original volume"
	mirvolctl remove --yes fs
	mirvolctl remove --yes fs-snap
}

cleanup() {
	umount "$TEST_TMP/mnt" 2>/dev/null || true
}
