# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# fio writes with crc32c verify throughout a break-plex: the writers see
# no error, the old volume verifies, and the new volume is consistent
# with itself: every block of it is either still zero (fio had not
# written it yet) or a whole block one of fio's writes left there, for
# that very offset (fio-blocks checks fio's header and crc32c): no torn,
# misplaced or garbage block.

TEST_TIMEOUT=400

# written: sectors written to mirvol0 so far.
written() {
	awk '{ print $7 }' /sys/block/mirvol0/stat
}

# written_over N: more than N sectors written to mirvol0.
written_over() {
	[ "$(written)" -gt "$1" ]
}

run_test() {
	local vol size pid new blocks
	require fio jq cmp
	blocks=$MIRVOL_SRC/tools/testing/integration/fio-blocks
	[ -x "$blocks" ] || fail "$blocks is not built (make testprogs)"
	mk_brd 3 64
	load_mirvol
	vol=$(mirvolctl create --name fb --wait /dev/ram0 /dev/ram1 /dev/ram2)
	size=$(blockdev --getsize64 "$vol")
	fio --name=fb --filename="$vol" --direct=1 --ioengine=libaio \
	    --rw=randwrite --bs=4k --iodepth=16 --size="$size" --loops=3 \
	    --verify=crc32c --do_verify=1 --verify_fatal=1 \
	    --output="$TEST_TMP/fio.out" &
	pid=$!
	# Break once fio's writes flow (4 MiB written), not after a guess.
	wait_for 60 written_over $(($(written) + 8192))
	new=$(mirvolctl break-plex fb 2 --wait)
	log "broke plex 2 off as $new during fio"
	wait "$pid" || fail "fio failed during the break: $(grep -m1 -iE 'err|verify' "$TEST_TMP/fio.out")"
	grep -q 'err= 0' "$TEST_TMP/fio.out" || fail "fio: $(grep err= "$TEST_TMP/fio.out")"
	assert_eq 2 "$(mirvolctl show fb --json | jq '.plexes | length')" "plexes left"
	assert_eq online "$(mirvolctl show "$new" --json | jq -r .state)" "new volume"
	"$blocks" "$new" 4096 >"$TEST_TMP/blocks.out" ||
		fail "the broken-off volume: $(head -n 1 "$TEST_TMP/blocks.out")"
	log "$(tail -n 1 "$TEST_TMP/blocks.out")"
	grep -q ' [1-9][0-9]* fio blocks' "$TEST_TMP/blocks.out" ||
		fail "the broken-off volume holds no block fio wrote: the break came before the writes"
	# The check can fail: a block damaged on purpose is found.
	dd if=/dev/urandom of="$new" bs=4096 count=1 oflag=direct status=none
	! "$blocks" "$new" 4096 >"$TEST_TMP/blocks.out" ||
		fail "fio-blocks missed a damaged block: $(tail -n 1 "$TEST_TMP/blocks.out")"
	# The old volume's plexes agree with each other after all this.
	local off
	off=$(mirvolctl show fb --json | jq '.plexes[0].data_offset_bytes')
	cmp -n "$size" -i "$off:$off" /dev/ram0 /dev/ram1 || fail "the remaining plexes differ"
	mirvolctl remove --yes fb
	mirvolctl remove --yes "$new"
}
