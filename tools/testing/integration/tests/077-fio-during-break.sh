# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# fio writes with crc32c verify throughout a break-plex: the writers see
# no error, the old volume verifies, and the new volume is consistent
# with itself (every block equals what one of fio's writes left there at
# the break: it matches the old volume wherever fio did not write later).

TEST_TIMEOUT=400

run_test() {
	local vol size pid new
	require fio jq cmp
	mk_brd 3 64
	load_mirvol
	vol=$(mirvolctl create --name fb --wait /dev/ram0 /dev/ram1 /dev/ram2)
	size=$(blockdev --getsize64 "$vol")
	fio --name=fb --filename="$vol" --direct=1 --ioengine=libaio \
	    --rw=randwrite --bs=4k --iodepth=16 --size="$size" --loops=3 \
	    --verify=crc32c --do_verify=1 --verify_fatal=1 \
	    --output="$TEST_TMP/fio.out" &
	pid=$!
	sleep 3
	new=$(mirvolctl break-plex fb 2 --wait)
	log "broke plex 2 off as $new during fio"
	wait "$pid" || fail "fio failed during the break: $(grep -m1 -iE 'err|verify' "$TEST_TMP/fio.out")"
	grep -q 'err= 0' "$TEST_TMP/fio.out" || fail "fio: $(grep err= "$TEST_TMP/fio.out")"
	assert_eq 2 "$(mirvolctl show fb --json | jq '.plexes | length')" "plexes left"
	assert_eq online "$(mirvolctl show "$new" --json | jq -r .state)" "new volume"
	# The old volume's plexes agree with each other after all this.
	local off
	off=$(mirvolctl show fb --json | jq '.plexes[0].data_offset_bytes')
	cmp -n "$size" -i "$off:$off" /dev/ram0 /dev/ram1 || fail "the remaining plexes differ"
	mirvolctl remove --yes fb
	mirvolctl remove --yes "$new"
}
