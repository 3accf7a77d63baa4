# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# Removing a volume while its resync runs ends the operation with
# OBJECT_DELETED, and frees every device.

TEST_TIMEOUT=300

run_test() {
	local op json
	require jq
	mk_brd 3 64
	load_mirvol
	mirvolctl create --name del --wait /dev/ram0 /dev/ram1 >/dev/null
	echo 2000 >/sys/block/mirvol0/mirvol/sync_speed_max
	op=$(mirvolctl add-plex del /dev/ram2)
	sleep 2
	mirvolctl remove --yes del
	json=$(mirvolctl op status "$op" --json)
	assert_eq failed "$(jq -r .state <<<"$json")" "op state"
	assert_eq OBJECT_DELETED "$(jq -r .reason <<<"$json")" "op reason"
	expect_fail_reason OBJECT_DELETED mirvolctl op wait "$op"
	mirvolctl create --name free --assume-clean /dev/ram0 /dev/ram1 /dev/ram2 >/dev/null
	mirvolctl remove --yes free
}
