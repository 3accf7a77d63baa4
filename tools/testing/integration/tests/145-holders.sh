# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# Issue 10: every plex shows in the volume's slaves/ and the volume in the
# plex's holders/ (lsblk draws the tree), the links follow add, break and
# remove, and a device stacked on the volume (a dm device over it, a loop
# device over it) cannot become its plex: writes would loop.

TEST_TIMEOUT=300

run_test() {
	local dm loop b
	require jq lsblk losetup
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
	assert_eq 2 "$(mirvolctl show h --json | jq '.plexes | length')" "plexes"
	mirvolctl remove --yes h
	test ! -e /sys/block/ram0/holders/mirvol0 || fail "holder link left after remove"
}
