# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# fio writes with crc32c verify throughout a resync of an added plex: the
# region locking keeps resync copies and foreground writes apart, so
# afterwards the new plex holds exactly what fio wrote (and fio's verify,
# reading from any plex, passes).
#
# So that a missing barrier can show, fio writes at full pace into the
# last 16 MiB, those the resync copies last, from before the resync starts
# until it ended, and is stopped then; the resync copies at full pace
# under it (sync_speed_min).  fio's writes then land inside the copies of
# those batches, and few rewrite a block the race left stale on the new
# plex afterwards (a fio still writing long after the resync heals them).
# Not certain: with raise and lower made no-ops it failed in one of two
# runs; the former form of the test (one fio pass over the whole volume
# under a throttled resync) in none of one.

TEST_TIMEOUT=400

run_test() {
	local vol op size off pid
	require fio jq cmp
	mk_brd 3 96
	load_mirvol
	vol=$(mirvolctl create --name fr --wait /dev/ram0 /dev/ram1)
	size=$(blockdev --getsize64 "$vol")
	dd if=/dev/urandom of="$vol" bs=1M oflag=direct status=none count=$((size >> 20)) 2>/dev/null || true
	echo 10000000 >/sys/block/mirvol0/mirvol/sync_speed_max
	echo 10000000 >/sys/block/mirvol0/mirvol/sync_speed_min
	fio --name=fr --filename="$vol" --direct=1 --ioengine=libaio \
	    --rw=randwrite --bs=4k --iodepth=32 \
	    --offset=$((size - (16 << 20))) --size=16M \
	    --verify=crc32c --verify_backlog=128 --verify_fatal=1 \
	    --time_based --runtime=120 --output="$TEST_TMP/fio.out" &
	pid=$!
	sleep 3
	kill -0 "$pid" || fail "fio ended before the resync began: $(cat "$TEST_TMP/fio.out")"
	op=$(mirvolctl add-plex fr /dev/ram2)
	mirvolctl op wait "$op" >/dev/null
	kill -TERM "$pid" 2>/dev/null ||
		fail "fio ended before the resync did: $(cat "$TEST_TMP/fio.out")"
	# Stopped, it reports no result: a verify error had ended it earlier.
	wait "$pid" || true
	off=$(mirvolctl show fr --json | jq '.plexes[2].data_offset_bytes')
	cmp -n "$size" -i "$off:$off" /dev/ram0 /dev/ram2 || fail "the resynced plex differs"
	cmp -n "$size" -i "$off:$off" /dev/ram1 /dev/ram2 || fail "the resynced plex differs from plex 1"
	mirvolctl remove --yes fr
}
