# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# One plex fails reads in part of the volume (null_blk bad blocks): every
# read through the volume still returns the right data, retried on the
# other plex, and the failed reads are counted.

TEST_TIMEOUT=300

run_test() {
	local vol off json
	require jq cmp fio
	mk_brd 1 64
	mk_nullb bad 64
	load_mirvol
	vol=$(mirvolctl create --name rr --wait /dev/ram0 /dev/bad)
	head -c 32M /dev/urandom >"$TEST_TMP/data"
	dd if="$TEST_TMP/data" of="$vol" bs=1M oflag=direct status=none
	off=$(mirvolctl show rr --json | jq '.plexes[1].data_offset_bytes / 512')
	# Bad blocks on plex 1 inside the data: 1 MiB from 4 MiB into it.
	nullb_badblocks bad "+$((off + 8192))-$((off + 10239))"
	# Reads in random order, with plex 0 write-mostly so that they go to
	# plex 1 first (read balancing would choose by speed, and a
	# sequential reader stays where its first read went): those of the
	# bad range fail there and are retried on plex 0.  fio fails on any
	# read error that reaches it.
	mirvolctl set-plex rr 0 --write-mostly
	fio --name=rand --filename="$vol" --direct=1 --ioengine=psync \
	    --rw=randread --bs=64k --size=32M --output="$TEST_TMP/fio.out" ||
		fail "random reads through the volume failed: $(grep -m1 -i err "$TEST_TMP/fio.out")"
	# Every read, many times over: whichever plex a read goes to first.
	mirvolctl set-plex rr 0 --no-write-mostly
	for i in 1 2 3 4; do
		cmp "$TEST_TMP/data" <(dd if="$vol" bs=64k iflag=direct count=512 status=none) ||
			fail "read $i through the volume returned wrong data"
	done
	json=$(mirvolctl show rr --json)
	[ "$(jq '.plexes[1].read_errors' <<<"$json")" -gt 0 ] ||
		fail "no read error counted on plex 1: reads never hit the bad blocks"
	assert_eq 0 "$(jq '.plexes[0].read_errors' <<<"$json")" "read errors on plex 0"
	mirvolctl remove --yes rr
	rm_nullb bad
}
