# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# Issue 10: add-plex --from-volume with a source that incremental
# assembly is still gathering (offline, no block device) oopsed in the
# landed code (src->disk was NULL) and hung every later command.  Offline
# and failed sources are refused with VOLUME_NOT_ONLINE, and nothing
# changes.

TEST_TIMEOUT=300
# udev would reassemble the stopped volume whole by itself.
TEST_UDEV=0

run_test() {
	local json
	require jq timeout
	mk_brd 4 32
	load_mirvol
	mirvolctl create --name t --assume-clean /dev/ram0 >/dev/null
	mirvolctl create --name s --assume-clean /dev/ram1 /dev/ram2 >/dev/null
	mirvolctl stop s
	settle
	# One member of s comes: s waits, offline.
	mirvolctl assemble --incremental /dev/ram1 >/dev/null
	json=$(mirvolctl show s --json)
	assert_eq offline "$(jq -r .state <<<"$json")" "s while gathering"
	expect_fail_reason VOLUME_NOT_ONLINE timeout 30 "$MIRVOLCTL" add-plex t --from-volume s
	# Nothing changed, and the control plane still answers.
	assert_eq 1 "$(mirvolctl show t --json | jq '.plexes | length')" "t's plexes"
	assert_eq offline "$(mirvolctl show s --json | jq -r .state)" "s"
	timeout 30 "$MIRVOLCTL" list >/dev/null || fail "list hung after the refusal"
	mirvolctl stop s

	# A failed source: its only plex's device goes away (write errors
	# alone never fail the last in-sync plex).
	mk_nullb fl 32
	mirvolctl create --name f --assume-clean /dev/fl >/dev/null
	echo 0 >/sys/kernel/config/nullb/fl/power
	wait_for 10 sh -c "$MIRVOLCTL show f --json | jq -e '.state == \"failed\"'"
	expect_fail_reason VOLUME_NOT_ONLINE timeout 30 "$MIRVOLCTL" add-plex t --from-volume f
	assert_eq 1 "$(mirvolctl show t --json | jq '.plexes | length')" "t's plexes"
	mirvolctl remove --yes f || mirvolctl stop f
	rmdir /sys/kernel/config/nullb/fl
	mirvolctl remove --yes t
	unload_mirvol
}
