# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# create --force erases what the devices held.  Two disks were an md
# raid1 with metadata 1.0: md's superblock sits 8 KiB before the end,
# in what becomes the volume's data, where the kernel's metadata write
# (the first 12 KiB) never reaches.  Left there, blkid reports the
# members as linux_raid_member, udev's 64-md-raid-assembly runs
# "mdadm --incremental" on them at the next coldplug, and md, not
# mirvol, gets the disks.  --force must erase every signature (blkid -p
# finds nothing), and a coldplug must assemble the volume, not an array.
# While the array runs, --force is refused and wipes nothing.

TEST_DISKS="a:64M b:64M"
TEST_TIMEOUT=240

run_test() {
	local a b d json rc
	require mdadm blkid udevadm jq
	_udevd_running || fail "systemd-udevd is not running"
	a=$(disk a)
	b=$(disk b)
	mdadm --create /dev/md/stale --run --metadata=1.0 --level=1 \
		--raid-devices=2 --assume-clean "$a" "$b" \
		>"$TEST_TMP/md" 2>&1 || fail "mdadm --create: $(cat "$TEST_TMP/md")"
	settle
	load_mirvol
	# A running array's member: refused, untouched.
	expect_fail_reason DEVICE_BUSY mirvolctl create --force --name wiped "$a" "$b"
	mdadm --detail /dev/md/stale >/dev/null || fail "the array is gone after the refused create"
	# The refused create opened the members for writing: closing them
	# made udev's watch send "change" events, on which mdadm --incremental
	# runs.  Let them end while the array runs, or one handled after the
	# stop assembles it again.
	settle
	mdadm --stop /dev/md/stale >"$TEST_TMP/md" 2>&1 ||
		fail "mdadm --stop: $(cat "$TEST_TMP/md")"
	settle
	grep -q '^md' /proc/mdstat &&
		fail "md assembled the array again after mdadm --stop: $(cat /proc/mdstat)"
	[ "$(blkid -p -o value -s TYPE "$b")" = linux_raid_member ] ||
		fail "no md signature on $b after mdadm --create"

	mirvolctl create --force --name wiped --wait "$a" "$b" \
		>/dev/null 2>"$TEST_TMP/err" || fail "create --force: $(cat "$TEST_TMP/err")"
	# blkid -p: status 2 when it finds nothing
	for d in "$a" "$b"; do
		rc=0
		blkid -p -o export "$d" >"$TEST_TMP/blkid" 2>&1 || rc=$?
		assert_eq 2 "$rc" "blkid -p $d status after create --force ($(tr '\n' ' ' <"$TEST_TMP/blkid"))"
	done
	grep -q "^$a: erased a linux_raid_member signature" "$TEST_TMP/err" ||
		fail "create --force did not tell what it erased: $(cat "$TEST_TMP/err")"
	settle

	# The next boot: the volume, not an md array.
	mirvolctl stop wiped || fail "stop failed"
	settle
	mirvolctl stop wiped 2>/dev/null || :	# udev may have assembled it again
	settle
	udevadm trigger --action=add --subsystem-match=block
	settle
	wait_for 30 test -L /dev/mirvol/wiped
	grep -q '^md' /proc/mdstat && fail "md assembled an array: $(cat /proc/mdstat)"
	json=$(mirvolctl show wiped --json)
	assert_eq online "$(jq -r .state <<<"$json")" "volume state"
	assert_eq '["active","active"]' "$(jq -c '[.plexes[].state]' <<<"$json")" "plex states"
}

cleanup() {
	mdadm --stop --scan 2>/dev/null
	mirvolctl stop wiped 2>/dev/null
	:
}
