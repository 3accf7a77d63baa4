# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# Ended operations stay queryable, in a bounded table that drops the
# oldest first (64 kept), and op list lists them; op wait with a timeout
# leaves a running operation running; uevents report operations starting
# and ending.

TEST_TIMEOUT=400

run_test() {
	local first op last i ids=()
	require jq udevadm
	mk_brd 2 8
	load_mirvol
	mirvolctl create --name ops --assume-clean /dev/ram0 >/dev/null
	udevadm monitor --kernel --property --subsystem-match=block >"$TEST_TMP/uevents" 2>&1 &
	echo $! >"$TEST_TMP/monitor.pid"
	for i in $(seq 35); do
		# remove-plex wiped ram1's superblock: udev probes it.  An
		# add-plex that finds it busy is retried by mirvolctl (the
		# refused attempt leaves nothing in the table; 060 and 154).
		settle
		op=$(mirvolctl add-plex ops /dev/ram1)
		mirvolctl op wait "$op" >/dev/null
		ids+=("$op")
		op=$(mirvolctl remove-plex ops 1)
		mirvolctl op wait "$op" >/dev/null
		ids+=("$op")
	done
	first=${ids[0]}
	last=${ids[-1]}
	assert_eq 70 "${#ids[@]}" "operations run"
	# The 64 newest ended operations are kept, the oldest are dropped.
	expect_fail_reason OBJECT_NOT_FOUND mirvolctl op status "$first"
	expect_fail_reason OBJECT_NOT_FOUND mirvolctl op status "${ids[5]}"
	for op in "${ids[@]:6}"; do
		mirvolctl op status "$op" --json | jq -e '.state == "succeeded"' >/dev/null ||
			fail "operation $op is not kept as succeeded"
	done
	assert_eq remove-plex "$(mirvolctl op status "$last" --json | jq -r .type)" "last op type"
	# op list: those 64, oldest first, with their volume.
	assert_eq "${ids[*]:6}" "$(mirvolctl op list --json | jq -r '[.[].id] | join(" ")')" "op list ids"
	assert_eq 64 "$(mirvolctl op list | grep -c ' succeeded  *ops ')" "op list text lines"

	# A wait that times out leaves the operation running.
	echo 500 >/sys/block/mirvol0/mirvol/sync_speed_max
	op=$(mirvolctl add-plex ops /dev/ram1)
	expect_fail_reason TIMEOUT mirvolctl op wait "$op" --timeout 1
	assert_eq running "$(mirvolctl op status "$op" --json | jq -r .state)" "state after the timeout"
	assert_eq "$op running" "$(mirvolctl op list --json | jq -r '.[-1] | "\(.id) \(.state)"')" "op list: the running one last"
	mirvolctl op cancel "$op" >/dev/null
	settle
	kill "$(cat "$TEST_TMP/monitor.pid")"
	grep -q "MIRVOL_EVENT=operation-started" "$TEST_TMP/uevents" || fail "no operation-started uevent"
	grep -q "MIRVOL_OP=$last:remove-plex:succeeded" "$TEST_TMP/uevents" ||
		fail "no operation-ended uevent for operation $last"
	grep -q "MIRVOL_OP=$op:add-plex:cancelled" "$TEST_TMP/uevents" ||
		fail "no uevent for the cancelled operation"
	mirvolctl remove --yes ops
}

cleanup() {
	[ ! -f "$TEST_TMP/monitor.pid" ] || kill "$(cat "$TEST_TMP/monitor.pid")" 2>/dev/null || true
}
