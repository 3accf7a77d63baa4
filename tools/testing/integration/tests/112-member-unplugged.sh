# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# A member disappears while the volume runs (null_blk powered off, the
# block layer calls mark_dead): the plex becomes missing, the volume
# carries on degraded, and the other plex's superblock records it.

TEST_TIMEOUT=300

run_test() {
	local vol json
	require jq cmp
	mk_brd 1 64
	mk_nullb gone 64
	load_mirvol
	vol=$(mirvolctl create --name up --wait /dev/ram0 /dev/gone)
	head -c 8M /dev/urandom >"$TEST_TMP/data"
	echo 0 >/sys/kernel/config/nullb/gone/power
	wait_for 10 sh -c "$MIRVOLCTL show up --json | jq -e '.plexes[1].state == \"missing\"'"
	json=$(mirvolctl show up --json)
	assert_eq degraded "$(jq -r .state <<<"$json")" "volume state"
	assert_eq null "$(jq -r '.plexes[1].device' <<<"$json")" "the missing plex's device"
	dd if="$TEST_TMP/data" of="$vol" bs=1M oflag=direct status=none
	cmp -n 8M "$TEST_TMP/data" "$vol" || fail "data written after the loss"
	json=$(mirvolctl examine --json /dev/ram0)
	assert_eq missing "$(jq -r '.slots[.current_slot].superblock.plexes[] | select(.index == 1) | .state' <<<"$json")" \
		"plex 1 as recorded on plex 0"
	mirvolctl remove --yes up
	rmdir /sys/kernel/config/nullb/gone
}
