# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# Issue 10: every plex shows in the volume's slaves/ and the volume in the
# plex's holders/ (lsblk draws the tree), the links follow add, break and
# remove, and a device stacked on the volume (a dm device over it, a loop
# device over it) cannot become its plex: writes would loop.

TEST_TIMEOUT=300

# stacked_p16: mirvol0 gets partitions 1..16 (1 MiB each from 2 MiB),
# dm "over16" maps its partition 16 then ram2; ADD_PLEX of over16 to h,
# sent as it is (plex-ioctl), must fail with INVALID_OPERATION.
stacked_p16() {
	local i size got uuid
	# udev's pending events first: a rescan of mirvol0 (after a writer
	# closed it) would drop the partitions made here.
	settle
	for i in $(seq 1 16); do
		addpart /dev/mirvol0 "$i" $(((i + 1) * 2048)) 2048 ||
			fail "addpart mirvol0 $i"
	done
	settle
	wait_for 10 test -b /dev/mirvol0p16
	size=$(dev_sectors /dev/ram2)
	_dmsetup create over16 --table "0 2048 linear /dev/mirvol0p16 0
2048 $size linear /dev/ram2 0"
	settle
	wait_for 10 test -b /dev/mapper/over16
	uuid=$(mirvolctl show h --json | jq -r .uuid)
	got=$("$MIRVOL_SRC/tools/testing/integration/plex-ioctl" add-plex \
		"$uuid" /dev/mapper/over16)
	# Before the cleanup: taken, the volume would be busy looping.
	assert_eq "EINVAL 13" "$got" "ADD_PLEX of dm over mirvol0p16"
	# udev's probes of the new devices may hold them for a moment, and
	# its rescan of mirvol0 (a writer closed it) may drop the partitions
	# itself.
	settle
	wait_for 10 _dmsetup remove over16
	settle
	for i in $(seq 1 16); do
		wait_for 10 part_gone "$i"
	done
}

# part_gone N: mirvol0's partition N is gone, or deleted now.
part_gone() {
	[ ! -e "/sys/block/mirvol0/mirvol0p$1" ] ||
		delpart /dev/mirvol0 "$1" 2>/dev/null
}

run_test() {
	local dm loop b
	require jq lsblk losetup addpart delpart
	mk_brd 4 32
	load_mirvol
	mirvolctl create --name h --assume-clean /dev/ram0 /dev/ram1 >/dev/null
	test -L /sys/block/mirvol0/slaves/ram0 || fail "no slaves/ram0 link"
	test -L /sys/block/mirvol0/slaves/ram1 || fail "no slaves/ram1 link"
	test -L /sys/block/ram0/holders/mirvol0 || fail "no holders/mirvol0 link on ram0"
	lsblk -n -o NAME -s /dev/mirvol0 | grep -q ram1 ||
		fail "lsblk does not show ram1 under mirvol0: $(lsblk -s /dev/mirvol0)"
	mirvolctl add-plex h /dev/ram2 --wait >/dev/null
	test -L /sys/block/mirvol0/slaves/ram2 || fail "no link after add-plex"
	b=$(mirvolctl break-plex h 2 --name hb --wait)
	test ! -e /sys/block/mirvol0/slaves/ram2 || fail "link to the broken plex left"
	test -L "/sys/block/${b#/dev/}/slaves/ram2" || fail "the new volume has no link to ram2"
	mirvolctl remove --yes hb
	test ! -e /sys/block/ram2/holders/mirvol1 || fail "link left after remove"

	# A dm device over the volume, as its own plex.
	dm=$(dm_error_wrap /dev/mirvol0 over)
	expect_fail_reason INVALID_OPERATION mirvolctl add-plex h "$dm"
	# Two levels: dm over dm over the volume.
	modprobe dm_mod
	_dmsetup create over2 --table "0 $(dev_sectors "$dm") linear $dm 0"
	settle
	wait_for 10 test -b /dev/mapper/over2
	expect_fail_reason INVALID_OPERATION mirvolctl add-plex h /dev/mapper/over2
	_dmsetup remove over2
	_dmsetup remove over
	# A loop device over the volume (no holder link: the tool checks).
	modprobe loop
	loop=$(losetup -f --show /dev/mirvol0)
	expect_fail_reason INVALID_OPERATION mirvolctl add-plex h "$loop"
	losetup -d "$loop"
	# The kernel's own check, without the tool's: a dm device over the
	# volume's partition 16 (the walk through the disk's partitions'
	# holders/ once stopped at 16 block devices), extended by ram2 to
	# the volume's size.  Taken, the resync's writes would loop.
	stacked_p16
	assert_eq 2 "$(mirvolctl show h --json | jq '.plexes | length')" "plexes"
	mirvolctl remove --yes h
	test ! -e /sys/block/ram0/holders/mirvol0 || fail "holder link left after remove"
}
