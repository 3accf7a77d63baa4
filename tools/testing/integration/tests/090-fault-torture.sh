# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# Fault torture: 60 s of fio random writes with crc32c verify (every
# block read back and checked soon after it is written) on a 3-plex
# volume whose plex 1 keeps toggling between working and failing its
# reads (dm-flakey: up 2 s, down 1 s) and whose plex 2 has medium errors
# (scsi_debug opts=2, 64 sectors), while a plex is added and broken off,
# and another plex added.  fio sees no error and no bad block; the
# broken-off copy holds only zeros and whole fio blocks; then, the faults
# gone, check finds no mismatch between the plexes still in sync, and they
# hold the same data.

TEST_TIMEOUT=600

# add_plex DEV: add DEV to tt and wait for its resync.
add_plex() {
	local op
	op=$(mirvolctl add-plex tt "$1")
	mirvolctl op wait "$op" --timeout 200 >/dev/null ||
		fail "add-plex $1 during the torture: $(mirvolctl op status "$op" --json | jq -c '{state, reason}')"
	assert_eq active "$(mirvolctl show tt --json | jq -r ".plexes[] | select(.device == \"$1\") | .state")" \
		"the plex added on $1"
	log "added $1 (operation $op)"
}

run_test() {
	local leg sd vol size pid json new blocks i mz idx=()
	require fio jq cmp
	blocks=$MIRVOL_SRC/tools/testing/integration/fio-blocks
	[ -x "$blocks" ] || fail "$blocks is not built (make testprogs)"
	mk_brd 4 64
	# Medium errors on reads of 64 sectors from 0x1234, in the data area.
	sd=$(mk_scsi_debug 65 opts=2 medium_error_count=64)
	load_mirvol
	leg=$(dm_error_wrap /dev/ram1 leg1)
	vol=$(mirvolctl create --name tt --wait /dev/ram0 "$leg" "$sd")
	# Resyncs keep their pace under fio's writes.
	echo 100000 >/sys/block/mirvol0/mirvol/sync_speed_min
	json=$(mirvolctl show tt --json)
	size=$(jq .size_bytes <<<"$json")
	# The medium errors as a volume offset (4 KiB aligned).
	mz=$(((0x1234 * 512 - $(jq '.plexes[2].data_offset_bytes' <<<"$json")) / 4096 * 4096))

	_dm_switch leg1 "0 $(dev_sectors /dev/ram1) flakey /dev/ram1 0 2 1 1 error_reads"
	fio --name=torture --filename="$vol" --direct=1 --ioengine=libaio \
	    --rw=randwrite --bs=4k --iodepth=8 --size="$size" \
	    --verify=crc32c --verify_backlog=128 --verify_fatal=1 \
	    --time_based --runtime=60 --output="$TEST_TMP/fio.out" &
	pid=$!

	# In the middle: a plex joins (resynced under the writes) and is
	# broken off; another joins and stays.
	sleep 10
	add_plex /dev/ram2
	kill -0 "$pid" || fail "fio ended before the break"
	new=$(mirvolctl break-plex tt 3 --name tt-snap --wait)
	log "broke plex 3 off as $new"
	add_plex /dev/ram3

	wait "$pid" || fail "fio failed: $(grep -m1 -iE 'err|verify|bad' "$TEST_TMP/fio.out")"
	grep -q 'err= 0' "$TEST_TMP/fio.out" || fail "fio: $(grep err= "$TEST_TMP/fio.out")"
	"$blocks" "$new" 4096 >"$TEST_TMP/blocks.out" ||
		fail "the broken-off copy: $(head -n 1 "$TEST_TMP/blocks.out")"
	log "$(tail -n 1 "$TEST_TMP/blocks.out")"

	# The faults were there: reads of the medium errors go to plex 2
	# (unless it was failed already; the others are write-mostly for
	# this, read balancing would prefer the RAM disks) and all return
	# fio's data.
	dd if="$vol" of="$TEST_TMP/mz" bs=4096 skip=$((mz / 4096)) count=1 iflag=direct status=none
	for i in $(mirvolctl show tt --json | jq '.plexes[] | select(.index != 2) | .index'); do
		mirvolctl set-plex tt "$i" --write-mostly
	done
	for i in $(seq 12); do
		cmp "$TEST_TMP/mz" <(dd if="$vol" bs=4096 skip=$((mz / 4096)) count=1 iflag=direct status=none) ||
			fail "read $i of the medium error range through the volume failed or changed"
	done
	json=$(mirvolctl show tt --json)
	log "plexes: $(jq -c '[.plexes[] | {index, state, read_errors, corrected_read_errors, write_errors}]' <<<"$json")"
	[ "$(jq '.plexes[2] | .read_errors + .corrected_read_errors' <<<"$json")" -gt 0 ] ||
		[ "$(jq -r '.plexes[2].state' <<<"$json")" = failed ] ||
		fail "plex 2 never met its medium errors"
	[ "$(jq '.plexes[1] | .read_errors + .corrected_read_errors' <<<"$json")" -gt 0 ] ||
		[ "$(jq -r '.plexes[1].state' <<<"$json")" = failed ] ||
		fail "plex 1 never failed a read"
	assert_eq active "$(jq -r '.plexes[0].state' <<<"$json")" "plex 0"

	# The faults gone, the plexes still in sync must agree.
	_dm_switch leg1 "0 $(dev_sectors /dev/ram1) linear /dev/ram1 0"
	echo 0 >/sys/bus/pseudo/drivers/scsi_debug/opts
	json=$(mirvolctl check tt --wait --json)
	assert_eq succeeded "$(jq -r .state <<<"$json")" "check"
	assert_eq 0 "$(jq .mismatch_bytes <<<"$json")" "mismatched bytes found by check"
	mapfile -t idx < <(mirvolctl show tt --json | jq '.plexes[] | select(.state == "active") | .index')
	plexes_identical tt "${idx[@]}"
	mirvolctl remove --yes tt
	mirvolctl remove --yes tt-snap
}
