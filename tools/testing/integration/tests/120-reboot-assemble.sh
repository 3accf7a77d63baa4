# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# A volume on two virtio disks survives a reboot: after the reboot, udev
# (the project's rules) examines the disks, marks them as members and
# assembles the volume by itself at /dev/mirvol/NAME, with its data, clean,
# both plexes in sync.

TEST_STAGES="stage_create stage_check"
TEST_DISKS="a:96M b:96M"
TEST_TIMEOUT=300

stage_create() {
	local vol
	require jq
	vol=$(mirvolctl create --name persist --wait "$(disk a)" "$(disk b)")
	head -c 32M /dev/urandom >"$TEST_SCRATCH/data"
	dd if="$TEST_SCRATCH/data" of="$vol" bs=1M oflag=direct conv=fsync status=none
	mirvolctl show persist --json | jq -r .uuid >"$TEST_SCRATCH/uuid"
	settle
	[ -L /dev/mirvol/persist ] || fail "no /dev/mirvol/persist link"
}

stage_check() {
	local json uuid
	require jq cmp
	settle
	wait_for 30 test -L /dev/mirvol/persist
	uuid=$(cat "$TEST_SCRATCH/uuid")
	assert_eq "$(readlink -f /dev/mirvol/persist)" "$(readlink -f "/dev/disk/by-id/mirvol-uuid-$uuid")" "by-id link"
	json=$(mirvolctl show persist --json)
	assert_eq "$uuid" "$(jq -r .uuid <<<"$json")" "uuid"
	assert_eq online "$(jq -r .state <<<"$json")" "state"
	assert_eq '["active","active"]' "$(jq -c '[.plexes[].state]' <<<"$json")" "plex states"
	assert_eq null "$(jq -c .operation <<<"$json")" "no resync after a clean shutdown"
	cmp -n 32M "$TEST_SCRATCH/data" /dev/mirvol/persist || fail "data lost across the reboot"
	udevadm info --query=property "$(disk a)" | grep -qx 'ID_FS_TYPE=mirvol_member' ||
		fail "disk a is not marked as a member"
}
