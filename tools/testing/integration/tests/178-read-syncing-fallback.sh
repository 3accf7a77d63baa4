# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# The last in-sync plex fails reads in a range (null_blk bad blocks) that
# a syncing plex already holds (below its checkpoint): reads of the range
# through the volume return the data, read from the syncing plex (md's
# recovery_offset rule).  A range past the checkpoint is not read from
# the syncing plex: its reads fail with EIO, no stale data served.

TEST_TIMEOUT=300

run_test() {
	local vol sys off json sync
	require jq cmp
	mk_nullb good 64
	mk_brd 1 64
	load_mirvol
	vol=$(mirvolctl create --name sf --assume-clean /dev/good)
	sys=/sys/block/${vol##*/}/mirvol
	head -c 48M /dev/urandom >"$TEST_TMP/data"
	dd if="$TEST_TMP/data" of="$vol" bs=1M oflag=direct status=none
	off=$(mirvolctl show sf --json | jq '.plexes[0].data_offset_bytes / 512')

	# The new plex copies 4 MiB a second, then is held where it is.
	echo 4000 >"$sys/sync_speed_max"
	mirvolctl add-plex sf /dev/ram0 >/dev/null
	wait_for 60 sh -c "$MIRVOLCTL show sf --json |
		jq -e '.plexes[1].sync_bytes >= 8388608' >/dev/null"
	echo 1 >"$sys/sync_speed_max"
	sync=$(mirvolctl show sf --json | jq '.plexes[1].sync_bytes')
	[ "$sync" -lt 41943040 ] ||
		fail "the resync was not held before 40 MiB ($sync bytes in sync)"
	assert_eq syncing "$(mirvolctl show sf --json | jq -r '.plexes[1].state')" \
		"the new plex's state"

	# Bad blocks on the in-sync plex: 1 MiB from 2 MiB into the volume,
	# which the syncing plex holds, and 1 MiB from 44 MiB, which it does
	# not.
	nullb_badblocks good "+$((off + 4096))-$((off + 6143))"
	nullb_badblocks good "+$((off + 90112))-$((off + 92159))"

	cmp <(dd if="$TEST_TMP/data" bs=1M skip=2 count=1 status=none) \
	    <(dd if="$vol" bs=1M skip=2 count=1 iflag=direct status=none) ||
		fail "a range only the syncing plex reads was not read from it"
	if dd if="$vol" of=/dev/null bs=1M skip=44 count=1 iflag=direct \
	      status=none 2>"$TEST_TMP/dd.err"; then
		fail "a range past the syncing plex's checkpoint read without error"
	fi
	grep -q "Input/output error" "$TEST_TMP/dd.err" ||
		fail "the read past the checkpoint failed otherwise: $(cat "$TEST_TMP/dd.err")"
	json=$(mirvolctl show sf --json)
	assert_ne failed "$(jq -r .state <<<"$json")" "volume state"
	assert_eq syncing "$(jq -r '.plexes[1].state' <<<"$json")" \
		"the syncing plex after the reads"

	nullb_badblocks good "-$((off + 4096))-$((off + 6143))"
	nullb_badblocks good "-$((off + 90112))-$((off + 92159))"
	mirvolctl remove --yes sf
	rm_nullb good
}
