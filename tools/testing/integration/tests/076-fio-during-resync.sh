# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# fio writes with crc32c verify throughout a resync of an added plex: the
# region locking keeps resync copies and foreground writes apart, so
# afterwards the new plex holds exactly what fio wrote (and fio's verify,
# reading from any plex, passes).

TEST_TIMEOUT=400

run_test() {
	local vol op size off
	require fio jq cmp
	mk_brd 3 96
	load_mirvol
	vol=$(mirvolctl create --name fr --wait /dev/ram0 /dev/ram1)
	size=$(blockdev --getsize64 "$vol")
	dd if=/dev/urandom of="$vol" bs=1M oflag=direct status=none count=$((size >> 20)) 2>/dev/null || true
	echo 20000 >/sys/block/mirvol0/mirvol/sync_speed_max
	op=$(mirvolctl add-plex fr /dev/ram2)
	fio --name=fr --filename="$vol" --direct=1 --ioengine=libaio \
	    --rw=randwrite --bs=4k --bsrange=4k-128k --iodepth=16 \
	    --size="$size" --verify=crc32c --do_verify=1 --verify_fatal=1 \
	    --output="$TEST_TMP/fio.out"
	grep -q 'err= 0' "$TEST_TMP/fio.out" || fail "fio: $(grep err= "$TEST_TMP/fio.out")"
	[ "$(mirvolctl op status "$op" --json | jq -r .state)" = running ] ||
		log "note: the resync ended before fio did"
	echo system >/sys/block/mirvol0/mirvol/sync_speed_max
	mirvolctl op wait "$op" >/dev/null
	off=$(mirvolctl show fr --json | jq '.plexes[2].data_offset_bytes')
	cmp -n "$size" -i "$off:$off" /dev/ram0 /dev/ram2 || fail "the resynced plex differs"
	cmp -n "$size" -i "$off:$off" /dev/ram1 /dev/ram2 || fail "the resynced plex differs from plex 1"
	mirvolctl remove --yes fr
}
