# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# A resync copies every sector of every target: a plex whose resync was
# cancelled off the copy's batch grid, then resumed by the resync of a
# plex added later, must end up identical to the others, not with a hole
# between its checkpoint and the next batch (the old resync skipped a
# target whose checkpoint lay inside the batch being copied, and marked
# it in sync).  When everything says active, the plexes hold the same
# data and check finds no mismatch.

TEST_TIMEOUT=400

# sync_offset: plex 1's resync checkpoint, in sectors.
sync_offset() {
	cat /sys/block/mirvol0/mirvol/plex1/sync_offset
}

# Off the grid of 4 MiB batches, and at least one 1 MiB chunk away from
# its next line: the checkpoint cannot reach it before the cancel lands.
off_grid() {
	local s
	s=$(sync_offset)
	[ "$s" -gt 0 ] && { [ $((s % 8192)) -eq 2048 ] || [ $((s % 8192)) -eq 4096 ]; }
}

run_test() {
	local op json s i deadline
	require jq cmp
	mk_brd 3 128
	# Slow from the start: the initial resync must not finish at once.
	load_mirvol sync_speed_max=2000
	# Plex 0 holds data, plex 1 zeros: whatever the resync skips on
	# plex 1 differs.
	dd if=/dev/urandom of=/dev/ram0 bs=1M count=128 oflag=direct status=none
	mirvolctl create --name hole /dev/ram0 /dev/ram1 >/dev/null
	op=$(mirvolctl show hole --json | jq '.operation.id')
	[[ $op =~ ^[0-9]+$ ]] || fail "no initial resync operation: $op"
	assert_eq 2000 "$(cat /sys/block/mirvol0/mirvol/sync_speed_max)" "sync_speed_max"

	# Cancel while plex 1's checkpoint is off the batch grid.
	deadline=$((SECONDS + 30))
	until off_grid; do
		[ $SECONDS -lt $deadline ] || break
		sleep 0.1
	done
	mirvolctl op cancel "$op" >/dev/null
	s=$(sync_offset)
	log "initial resync cancelled with plex 1 at sector $s"
	assert_eq syncing "$(mirvolctl show hole --json | jq -r '.plexes[1].state')" "plex 1 after the cancel"
	[ "$s" -gt 0 ] && [ "$s" -lt $((127 * 2048)) ] ||
		fail "the cancelled resync stopped at sector $s: nothing to resume"
	[ $((s % 8192)) -ne 0 ] ||
		log "note: the checkpoint is on the 4 MiB grid; this run cannot show a skipped range"

	# Full speed, a third plex: its resync takes plex 1 along.
	echo 200000 >/sys/block/mirvol0/mirvol/sync_speed_max
	mirvolctl add-plex hole /dev/ram2 --wait >/dev/null
	for i in $(seq 50); do
		json=$(mirvolctl show hole --json)
		[ "$(jq -r .operation <<<"$json")" = null ] && break
		sleep 0.2
	done
	assert_eq '["active","active","active"]' "$(jq -c '[.plexes[].state]' <<<"$json")" "plex states"
	assert_eq online "$(jq -r .state <<<"$json")" "volume state"
	assert_eq null "$(jq -c .operation <<<"$json")" "operation"

	plexes_identical hole
	json=$(mirvolctl check hole --wait --json)
	assert_eq succeeded "$(jq -r .state <<<"$json")" "check"
	assert_eq 0 "$(jq .mismatch_bytes <<<"$json")" "mismatched bytes found by check"
	assert_eq 0 "$(mirvolctl show hole --json | jq .mismatch_sectors)" "mismatch_sectors"
	mirvolctl remove --yes hole
}
