# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# What a volume carries is activated by its own rules at boot: an md
# array whose member is a volume comes up when the volume does.  udev's
# 64-md-raid-assembly.rules (like 64-btrfs.rules and 69-lvm.rules) acts
# only on an ID_FS_TYPE set before it runs; the volume's blkid ran in
# 69-mirvol.rules, too late, so the array never assembled.  The volume's
# rules are 63-mirvol-volume.rules now.

TEST_DISKS="a:64M b:64M"
TEST_TIMEOUT=240

run_test() {
	local i
	require mdadm udevadm
	_udevd_running || fail "systemd-udevd is not running"
	load_mirvol
	mirvolctl create --name mdon --wait "$(disk a)" "$(disk b)" >/dev/null ||
		fail "create failed"
	settle
	mdadm --create /dev/md/onvol --run --metadata=1.2 --level=1 --force \
		--raid-devices=1 /dev/mirvol/mdon >"$TEST_TMP/md" 2>&1 ||
		fail "mdadm --create: $(cat "$TEST_TMP/md")"
	settle
	# Stop both; udev may bring the array back on the volume's change
	# events in between.
	for i in 1 2 3 4 5; do
		mdadm --stop --scan >/dev/null 2>&1
		settle
		mirvolctl stop mdon 2>/dev/null && break
	done
	[ ! -e /dev/mirvol/mdon ] || wait_for 10 sh -c '! test -e /dev/mirvol/mdon'
	grep -q '^md' /proc/mdstat && fail "md array still there: $(cat /proc/mdstat)"

	# The next boot's coldplug: the volume, then the array on it.
	udevadm trigger --action=add --subsystem-match=block
	settle
	wait_for 30 test -L /dev/mirvol/mdon
	assert_eq linux_raid_member \
		"$(udevadm info --query=property --property=ID_FS_TYPE --value /dev/mirvol/mdon)" \
		"udev's ID_FS_TYPE of the volume"
	wait_for 30 grep -q '^md.*mirvol0' /proc/mdstat
}

cleanup() {
	mdadm --stop --scan 2>/dev/null
	mirvolctl stop mdon 2>/dev/null
	:
}
