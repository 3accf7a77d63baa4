# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# A plex that left before the volume got its bitmap missed writes the
# bitmap does not record: when it comes back it must copy everything,
# also after a stop and an assembly.  Assembly must keep the generation
# at which a present offline or failed member left the in-sync set
# (gone_generation) instead of starting it again at the assembly's
# generation, which made the plex look covered by the bitmap: online or
# re-add then copied nothing and promoted the plex without the writes
# made while it was away.

TEST_TIMEOUT=600
# The test assembles by itself.
TEST_UDEV=0

# gone_gen DEV INDEX: plex INDEX's gone_generation in DEV's current
# superblock.
gone_gen() {
	mirvolctl examine --json "$1" |
		jq ".slots[.current_slot].superblock.plexes[] | select(.index == $2) | .gone_generation"
}

# copied OP: the bytes the operation OP copied; it must succeed.
copied() {
	local json
	json=$(mirvolctl op wait "$1" --json) || fail "operation $1 failed"
	assert_eq succeeded "$(jq -r .state <<<"$json")" "operation $1"
	jq .total_bytes <<<"$json"
}

# away_then_bitmap HOW MIB: take plex 1 of og out (offline or fail)
# while the volume has no bitmap, write $TEST_TMP/new at MIB MiB, add a
# bitmap, stop and assemble.  Sets $gone to plex 1's gone_generation
# before the stop, $kept to the one after the assembly.
away_then_bitmap() {
	local how=$1 mib=$2
	[ "$(mirvolctl show og --json | jq -r .bitmap)" = none ] ||
		mirvolctl set og --bitmap none
	mirvolctl "$how" og 1
	dd if="$TEST_TMP/new" of="$vol" bs=1M seek="$mib" oflag=direct status=none
	gone=$(gone_gen /dev/ram0 1)
	[ "$gone" -gt 0 ] || fail "plex 1 after $how: gone_generation '$gone' on disk"
	log "plex 1 ($how) left at generation $gone"
	# The bitmap covers the writes from now on, not the one above.
	mirvolctl set og --bitmap internal
	mirvolctl stop og
	vol=$(mirvolctl assemble /dev/ram0 /dev/ram1) || fail "assemble after $how"
	kept=$(gone_gen /dev/ram0 1)
	log "plex 1's gone_generation after the assembly: $kept"
}

run_test() {
	local vol size gone kept op total
	require jq cmp
	mk_brd 2 72
	load_mirvol
	vol=$(mirvolctl create --name og --bitmap none --wait /dev/ram0 /dev/ram1)
	size=$(mirvolctl show og --json | jq .size_bytes)

	# Offline, 1 MiB at 20 MiB, a bitmap, stop, assemble; online.
	head -c 1M /dev/urandom >"$TEST_TMP/new"
	away_then_bitmap offline 20
	assert_eq offline "$(mirvolctl show og --json | jq -r '.plexes[1].state')" "plex 1 after assembly"
	op=$(mirvolctl online og 1)
	[ -n "$op" ] || fail "online started no resync"
	total=$(copied "$op")
	log "online copied $total bytes"
	cmp -n 1M "$TEST_TMP/new" <(dd if="$vol" bs=1M iflag=direct skip=20 count=1 status=none) ||
		fail "the volume does not hold the write made while plex 1 was offline"
	plexes_identical og
	assert_eq "mismatch_sectors: 0" "$(mirvolctl check og --wait)" "check after online"
	assert_eq "$size" "$total" "bytes copied by online (the bitmap does not cover the time offline)"
	assert_eq "$gone" "$kept" "plex 1's gone_generation on disk after assembly (offline)"
	assert_eq '["active","active"]' "$(mirvolctl show og --json | jq -c '[.plexes[].state]')" "after online"

	# Failed, 1 MiB at 40 MiB, a bitmap, stop, assemble; re-add.
	head -c 1M /dev/urandom >"$TEST_TMP/new"
	away_then_bitmap fail 40
	assert_eq failed "$(mirvolctl show og --json | jq -r '.plexes[1].state')" "plex 1 after assembly"
	op=$(mirvolctl re-add og 1)
	total=$(copied "$op")
	log "re-add copied $total bytes"
	plexes_identical og
	assert_eq "$size" "$total" "bytes copied by re-add (the bitmap does not cover the time failed)"
	assert_eq "$gone" "$kept" "plex 1's gone_generation on disk after assembly (failed)"
	assert_eq '["active","active"]' "$(mirvolctl show og --json | jq -c '[.plexes[].state]')" "after re-add"
	mirvolctl remove --yes og
}
