# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# While a throttled resync runs, a second configuration operation on the
# volume is refused with ANOTHER_CALL_IN_PROGRESS; progress is visible in
# the operation, in show and in sysfs.

TEST_TIMEOUT=300

run_test() {
	local op json pct
	require jq
	mk_brd 3 64
	load_mirvol
	mirvolctl create --name busy --wait /dev/ram0 /dev/ram1 >/dev/null
	echo 2000 >/sys/block/mirvol0/mirvol/sync_speed_max
	echo 1000 >/sys/block/mirvol0/mirvol/sync_speed_min
	op=$(mirvolctl add-plex busy /dev/ram2)
	sleep 3
	json=$(mirvolctl op status "$op" --json)
	assert_eq running "$(jq -r .state <<<"$json")" "op state under throttling"
	pct=$(jq .percent <<<"$json")
	[ "$pct" -lt 100 ] || fail "resync done at 2 MB/s: $pct %"
	expect_fail_reason ANOTHER_CALL_IN_PROGRESS mirvolctl break-plex busy 0
	expect_fail_reason ANOTHER_CALL_IN_PROGRESS mirvolctl remove-plex busy 1
	expect_fail_reason ANOTHER_CALL_IN_PROGRESS mirvolctl add-plex busy /dev/ram2
	json=$(mirvolctl show busy --json)
	assert_eq "$op" "$(jq .operation.id <<<"$json")" "show's operation"
	assert_eq syncing "$(jq -r '.plexes[2].state' <<<"$json")" "new plex state"
	grep -q "^$op add-plex running" /sys/block/mirvol0/mirvol/operation ||
		fail "sysfs operation: $(cat /sys/block/mirvol0/mirvol/operation)"
	[ "$(cat /sys/block/mirvol0/mirvol/sync_speed)" -le 4000 ] ||
		fail "resync ran at $(cat /sys/block/mirvol0/mirvol/sync_speed) KiB/s, max 2000"
	echo system >/sys/block/mirvol0/mirvol/sync_speed_max
	mirvolctl op wait "$op" >/dev/null
	assert_eq succeeded "$(mirvolctl op status "$op" --json | jq -r .state)" "op end"
	mirvolctl remove --yes busy
}
