# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# Issue 10: a missing member returns (incremental assembly rejoins it,
# replacing its placeholder) while an add-plex runs, and then the
# add-plex is cancelled.  Two plexes are missing: the new plex takes the
# first one's slot, the member of the second one returns.  The landed code freed plex objects the running
# operation still pointed to, and cancel used and freed them again.  Here
# the operation holds references: the rejoin, the cancel and a later
# resync all work, and the data survives.  The cancel gives the first
# missing plex its slot back (the volume as it was before the add).

TEST_TIMEOUT=600
# udev would reassemble the stopped volume whole by itself.
TEST_UDEV=0

run_test() {
	local vol op json
	require jq cmp timeout
	mk_brd 4 32
	load_mirvol
	vol=$(mirvolctl create --name rj --assume-clean /dev/ram0 /dev/ram1 /dev/ram2)
	head -c 16M /dev/urandom >"$TEST_TMP/data"
	dd if="$TEST_TMP/data" of="$vol" bs=1M oflag=direct status=none
	mirvolctl stop rj
	settle
	# Assemble without ram1 and ram2: their plexes are missing.
	mirvolctl assemble --run /dev/ram0 >/dev/null
	json=$(mirvolctl show rj --json)
	assert_eq '["active","missing","missing"]' "$(jq -c '[.plexes[].state]' <<<"$json")" "states"
	echo 2000 >/sys/block/mirvol0/mirvol/sync_speed_max
	op=$(mirvolctl add-plex rj /dev/ram3)
	assert_eq syncing "$(mirvolctl show rj --json | jq -r '.plexes[1].state')" "the new plex in slot 1"
	sleep 1
	# ram2 comes back during the add's resync.
	timeout 60 "$MIRVOLCTL" assemble --incremental /dev/ram2 >/dev/null ||
		fail "rejoin of ram2 failed or hung"
	json=$(mirvolctl show rj --json)
	# Missing since before: the bitmap holds what it missed (syncing,
	# joining the running pass), without one it would be stale.
	assert_eq syncing "$(jq -r '.plexes[] | select(.index == 2) | .state' <<<"$json")" "rejoined plex 2"
	timeout 60 "$MIRVOLCTL" op cancel "$op" >/dev/null || fail "cancel failed or hung"
	json=$(mirvolctl op status "$op" --json)
	assert_eq cancelled "$(jq -r .state <<<"$json")" "add-plex after cancel"
	json=$(mirvolctl show rj --json)
	assert_eq "0 1 2" "$(jq -r '[.plexes[].index] | map(tostring) | join(" ")' <<<"$json")" \
		"slots after the cancel"
	assert_eq missing "$(jq -r '.plexes[] | select(.index == 1) | .state' <<<"$json")" \
		"plex 1 after the cancel"
	# The rejoined plex resyncs and holds the data.
	op=$(mirvolctl resync rj)
	echo 0 >/sys/block/mirvol0/mirvol/sync_speed_max
	timeout 120 "$MIRVOLCTL" op wait "$op" >/dev/null || fail "resync failed"
	json=$(mirvolctl show rj --json)
	# Plex 1 is still missing.
	assert_eq degraded "$(jq -r .state <<<"$json")" "volume state"
	assert_eq active "$(jq -r '.plexes[] | select(.index == 2) | .state' <<<"$json")" \
		"plex 2 after the resync"
	cmp -n 16M "$TEST_TMP/data" "$vol" || fail "data through the volume"
	echo 3 >/proc/sys/vm/drop_caches
	cmp -n 16M "$TEST_TMP/data" <(dd if=/dev/ram2 bs=1M skip=1 count=16 iflag=direct status=none) ||
		fail "data on the rejoined plex"
	mirvolctl remove --yes rj
	# ram3 was given back by the cancel.
	mirvolctl create --name free --assume-clean /dev/ram3 >/dev/null
	mirvolctl remove --yes free
	unload_mirvol
}
