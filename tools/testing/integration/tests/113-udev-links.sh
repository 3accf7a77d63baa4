# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# With systemd-udevd running the project's rules: every volume gets
# /dev/mirvol/NAME and /dev/disk/by-id/mirvol-uuid-UUID, the links follow
# a rename and go away with the volume; members are marked as such.

TEST_TIMEOUT=300

run_test() {
	local uuid
	require jq udevadm
	pidof systemd-udevd >/dev/null || fail "systemd-udevd is not running"
	mk_brd 2 32
	load_mirvol
	mirvolctl create --name linked --wait /dev/ram0 /dev/ram1 >/dev/null
	uuid=$(mirvolctl show linked --json | jq -r .uuid)
	settle
	assert_eq /dev/mirvol0 "$(readlink -f /dev/mirvol/linked)" "/dev/mirvol/linked"
	assert_eq /dev/mirvol0 "$(readlink -f "/dev/disk/by-id/mirvol-uuid-$uuid")" "by-id link"
	udevadm info --query=property /dev/ram1 | grep -qx 'ID_FS_TYPE=mirvol_member' ||
		fail "/dev/ram1 is not marked as a member"
	udevadm info --query=property /dev/ram1 | grep -qx 'UDISKS_IGNORE=1' ||
		fail "/dev/ram1 is not kept from udisks"
	mirvolctl rename linked renamed
	settle
	assert_eq /dev/mirvol0 "$(readlink -f /dev/mirvol/renamed)" "link after rename"
	[ ! -e /dev/mirvol/linked ] || fail "the old link survived the rename"
	assert_eq renamed "$(cat /sys/block/mirvol0/mirvol/name)" "sysfs name"
	mirvolctl remove --yes renamed
	settle
	[ ! -e /dev/mirvol/renamed ] || fail "the link survived the volume"
	[ ! -e "/dev/disk/by-id/mirvol-uuid-$uuid" ] || fail "the by-id link survived the volume"
}
