# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# break-plex freezes the file system wherever it lives on the volume: a
# partitioned volume, ext4 on /dev/mirvolNp1, mounted and busy with
# buffered writes.  The broken-off volume's p1 must be clean: no journal
# recovery needed (ext4 clears needs_recovery when it is frozen, and sets
# it while mounted otherwise) and e2fsck -fn passes.  Freezing the whole
# disk's block device freezes nothing here: no file system is on it.

TEST_TIMEOUT=400

# mbr DEV: one primary Linux partition from 1 MiB to the end.
mbr() {
	local sectors
	sectors=$(($(dev_sectors "$1") - 2048))
	dd if=/dev/zero of="$1" bs=512 count=1 oflag=direct status=none
	# status, CHS, type 0x83, CHS, first LBA, sectors (little endian)
	# shellcheck disable=SC2059 # the format is the bytes
	printf '\x00\x00\x00\x00\x83\x00\x00\x00\x00\x08\x00\x00'"$(le32 "$sectors")" |
		dd of="$1" bs=1 seek=446 conv=notrunc status=none
	printf '\x55\xaa' | dd of="$1" bs=1 seek=510 conv=notrunc status=none
	sync
	blockdev --rereadpt "$1"
}

# le32 N: N as four \xHH escapes, little endian.
le32() {
	printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) \
		$(($1 >> 16 & 255)) $(($1 >> 24 & 255))
}

run_test() {
	local vol new pid features
	require mkfs.ext4 e2fsck dumpe2fs jq blockdev
	mk_brd 2 128
	load_mirvol
	vol=$(mirvolctl create --name pt --wait /dev/ram0 /dev/ram1)
	mbr "$vol"
	wait_for 10 test -b "${vol}p1"
	mkfs.ext4 -q -F "${vol}p1"
	mkdir -p "$TEST_TMP/mnt"
	mount "${vol}p1" "$TEST_TMP/mnt"
	features=$(dumpe2fs -h "${vol}p1" 2>/dev/null | grep -i '^Filesystem features')
	[[ $features == *needs_recovery* ]] ||
		fail "a mounted ext4 does not show needs_recovery on disk: the test cannot tell a frozen copy: $features"
	# Buffered writes, no fsync: the journal is busy at the break.
	(
		i=0
		while :; do
			dd if=/dev/urandom of="$TEST_TMP/mnt/f$((i % 40))" bs=64k count=16 status=none || exit 1
			i=$((i + 1))
		done
	) &
	pid=$!
	sleep 4
	new=$(mirvolctl break-plex pt 1 --name pt-snap --wait)
	log "broke plex 1 off as $new"
	kill -0 "$pid" || fail "the writer died during the break"
	kill "$pid"
	wait "$pid" 2>/dev/null || true

	wait_for 10 test -b "${new}p1"
	features=$(dumpe2fs -h "${new}p1" 2>/dev/null | grep -i '^Filesystem features') ||
		fail "dumpe2fs -h ${new}p1 failed"
	log "${new}p1: $features"
	[[ $features != *needs_recovery* ]] ||
		fail "the broken-off ${new}p1 needs journal recovery: its file system was not frozen ($features)"
	e2fsck -fn "${new}p1" >"$TEST_TMP/fsck.out" 2>&1 ||
		fail "e2fsck -fn on the broken-off ${new}p1: $(tail -n 5 "$TEST_TMP/fsck.out" | tr '\n' ' ')"
	umount "$TEST_TMP/mnt"
	e2fsck -fn "${vol}p1" >/dev/null 2>&1 || fail "e2fsck on the original volume's p1"
	mirvolctl remove --yes pt
	mirvolctl remove --yes pt-snap
}

cleanup() {
	umount "$TEST_TMP/mnt" 2>/dev/null || true
}
