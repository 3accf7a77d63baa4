# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# Cancelling an add-plex during its resync: the operation ends cancelled,
# the plex it added is gone and its device released and erased, the volume
# is exactly as before the call.

TEST_TIMEOUT=300

run_test() {
	local op json before
	require jq
	mk_brd 3 64
	load_mirvol
	mirvolctl create --name cxl --wait /dev/ram0 /dev/ram1 >/dev/null
	before=$(mirvolctl show cxl --json | jq -c '{state, size_bytes, plexes: [.plexes[] | {index, uuid, device, state}]}')
	echo 2000 >/sys/block/mirvol0/mirvol/sync_speed_max
	op=$(mirvolctl add-plex cxl /dev/ram2)
	sleep 2
	assert_eq running "$(mirvolctl op status "$op" --json | jq -r .state)" "op state"
	mirvolctl op cancel "$op" >/dev/null
	json=$(mirvolctl op status "$op" --json)
	assert_eq cancelled "$(jq -r .state <<<"$json")" "op state after cancel"
	assert_eq OPERATION_CANCELED "$(jq -r .reason <<<"$json")" "op reason"
	assert_eq "$before" "$(mirvolctl show cxl --json | jq -c '{state, size_bytes, plexes: [.plexes[] | {index, uuid, device, state}]}')" "volume after cancel"
	# The device is free again and carries no superblock.
	expect_fail_reason NOT_A_MEMBER mirvolctl examine /dev/ram2
	mirvolctl create --name again --assume-clean /dev/ram2 >/dev/null
	mirvolctl remove --yes again
	expect_fail_reason CANCEL_TOO_LATE mirvolctl op cancel "$op"
	mirvolctl remove --yes cxl
}
