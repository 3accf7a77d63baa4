# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# Two plexes with bad blocks in different places under one read: plex 0
# cannot read the read's second block and plex 1 its eighth.  Every
# sector is readable on one plex, so the read returns the right data (md
# raid1 serves it too), and afterwards each plex has its bad block
# rewritten from the other: both count a corrected read error, no read
# error, and read their own block again.  Then the same through the page
# cache: its readahead fails, counting no error that could fail a plex.
#
# Both legs are dm-integrity devices with a damaged block (mk_remap): a
# rewrite really makes the block readable again, as a disk remaps a
# sector on write.

TEST_TIMEOUT=300

# leg_reads LEG BYTE: LEG reads the 4 KiB block at volume byte BYTE, with
# its data.
leg_reads() {
	cmp -s <(dd if="$TEST_TMP/data" bs=4096 skip=$(($2 / 4096)) count=1 status=none) \
	       <(dd if="$1" bs=4096 skip=$(((off + $2) / 4096)) count=1 \
		    iflag=direct status=none 2>/dev/null)
}

repaired() {
	[ "$(mirvolctl show dj --json |
	     jq '[.plexes[].corrected_read_errors > 0] | all')" = true ]
}

run_test() {
	local vol leg0 leg1 json at=$((20 * 1048576))
	require jq cmp
	mk_brd 2 64
	load_mirvol
	leg0=$(mk_remap /dev/ram0 leg0)
	leg1=$(mk_remap /dev/ram1 leg1)
	vol=$(mirvolctl create --name dj --wait "$leg0" "$leg1")
	json=$(mirvolctl show dj --json)
	head -c "$(jq .size_bytes <<<"$json")" /dev/urandom >"$TEST_TMP/data"
	dd if="$TEST_TMP/data" of="$vol" bs=1M oflag=direct status=none
	off=$(jq '.plexes[0].data_offset_bytes' <<<"$json")
	assert_eq "$off" "$(jq '.plexes[1].data_offset_bytes' <<<"$json")" "data offsets"
	remap_damage leg0 $((off + at + 4096)) 4096
	remap_damage leg1 $((off + at + 7 * 4096)) 4096
	leg_reads "$leg0" $((at + 4096)) && fail "the damaged block of plex 0 still reads"
	leg_reads "$leg1" $((at + 7 * 4096)) && fail "the damaged block of plex 1 still reads"

	# One 64 KiB read over both bad blocks: each plex fails it whole.
	cmp <(dd if="$TEST_TMP/data" bs=64k skip=$((at / 65536)) count=1 status=none) \
	    <(dd if="$vol" bs=64k skip=$((at / 65536)) count=1 iflag=direct status=none) ||
		fail "the read over both plexes' bad blocks failed or returned wrong data"
	# The repair runs after the read has returned.
	wait_for 20 repaired
	json=$(mirvolctl show dj --json)
	log "plexes: $(jq -c '[.plexes[] | {state, read_errors, corrected_read_errors, write_errors}]' <<<"$json")"
	assert_eq "0 0" "$(jq -r '[.plexes[].read_errors] | "\(.[0]) \(.[1])"' <<<"$json")" "read errors"
	assert_eq "0 0" "$(jq -r '[.plexes[].write_errors] | "\(.[0]) \(.[1])"' <<<"$json")" "write errors"
	assert_eq "active active" "$(jq -r '[.plexes[].state] | "\(.[0]) \(.[1])"' <<<"$json")" "states"
	leg_reads "$leg0" $((at + 4096)) || fail "plex 0 still cannot read its block: not rewritten"
	leg_reads "$leg1" $((at + 7 * 4096)) || fail "plex 1 still cannot read its block: not rewritten"
	plexes_identical dj
	cmp "$TEST_TMP/data" "$vol" || fail "the volume's data differs"

	# The same blocks bad again, read through the page cache with one
	# uncorrected read error enough to fail a plex: the readahead over
	# both fails (it is not salvaged) and must count nothing; counted, it
	# failed plex 0 and with it the only readable copy of plex 1's block.
	# The page cache then reads page by page, from the plex that can.
	echo 1 >/sys/module/mirvol/parameters/max_read_errors
	remap_damage leg0 $((off + at + 4096)) 4096
	remap_damage leg1 $((off + at + 7 * 4096)) 4096
	blockdev --flushbufs "$vol"
	cmp <(dd if="$TEST_TMP/data" bs=64k skip=$((at / 65536)) count=1 status=none) \
	    <(dd if="$vol" bs=64k skip=$((at / 65536)) count=1 status=none) ||
		fail "a buffered read over both plexes' bad blocks failed or returned wrong data"
	json=$(mirvolctl show dj --json)
	log "plexes: $(jq -c '[.plexes[] | {state, read_errors, corrected_read_errors}]' <<<"$json")"
	assert_eq "active active" "$(jq -r '[.plexes[].state] | "\(.[0]) \(.[1])"' <<<"$json")" "states after readahead"
	assert_eq "0 0" "$(jq -r '[.plexes[].read_errors] | "\(.[0]) \(.[1])"' <<<"$json")" "read errors after readahead"
	echo 20 >/sys/module/mirvol/parameters/max_read_errors
	mirvolctl remove --yes dj
}
