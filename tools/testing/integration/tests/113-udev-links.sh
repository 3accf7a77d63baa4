# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# With systemd-udevd running the project's rules: every volume gets
# /dev/mirvol/NAME and /dev/disk/by-id/mirvol-uuid-UUID, the links follow
# a rename and go away with the volume; members are marked as such.  A
# volume that fails (its only plex's device gone) stays ready for systemd
# (no SYSTEMD_READY=0: systemd would stop what is bound to it, for good)
# and keeps the by-uuid link of its file system.

TEST_TIMEOUT=300

run_test() {
	local uuid fsuuid prop
	require jq udevadm mkfs.ext4 blkid
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

	mk_nullb lone 32
	mirvolctl create --name lone --assume-clean /dev/lone >/dev/null
	mkfs.ext4 -q /dev/mirvol0 || fail "mkfs.ext4 failed"
	fsuuid=$(blkid -s UUID -o value /dev/mirvol0)
	settle
	assert_eq /dev/mirvol0 "$(readlink -f "/dev/disk/by-uuid/$fsuuid")" "by-uuid link"
	udevadm monitor --udev --property --subsystem-match=block >"$TEST_TMP/uevents" 2>&1 &
	echo $! >"$TEST_TMP/monitor.pid"
	sleep 0.5
	nullb_power lone 0
	wait_for 10 sh -c "$MIRVOLCTL show lone --json | jq -e '.state == \"failed\"'"
	# udev handled the volume's event of its failure.
	wait_for 10 grep -qx 'MIRVOL_STATE=failed' "$TEST_TMP/uevents"
	settle
	kill "$(cat "$TEST_TMP/monitor.pid")"
	rm -f "$TEST_TMP/monitor.pid"
	prop=$(udevadm info --query=property /dev/mirvol0)
	! grep -q '^SYSTEMD_READY=0' <<<"$prop" || fail "a failed volume is SYSTEMD_READY=0: $(tr '\n' ' ' <<<"$prop")"
	assert_eq /dev/mirvol0 "$(readlink -f "/dev/disk/by-uuid/$fsuuid")" "by-uuid link of a failed volume"
	mirvolctl stop lone
	settle
	rm_nullb lone
}

cleanup() {
	[ ! -f "$TEST_TMP/monitor.pid" ] || kill "$(cat "$TEST_TMP/monitor.pid")" 2>/dev/null || true
}
