# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# The VM is killed in the middle of writes to a volume with a write-intent
# bitmap.  After the reboot the volume assembles dirty and resyncs only
# the regions that were being written (not the whole volume, as 123 does
# without a bitmap); fio's verify of everything flushed before the kill
# passes and the plexes are identical.

TEST_STAGES="stage_write stage_check"
TEST_DISKS="a:256M b:256M"
TEST_TIMEOUT=300

# Write 1 MiB chunks at increasing offsets, each ended by a flush; a chunk
# is recorded only once its flush completed.
stage_write() {
	local vol i=0
	require fio jq
	vol=$(mirvolctl create --name bmcrash --wait "$(disk a)" "$(disk b)")
	assert_eq internal "$(mirvolctl show bmcrash --json | jq -r .bitmap)" "bitmap"
	# Dirty until the kill: safe mode would mark it clean in a pause
	# between two chunks (fio starts slowly in a loaded VM).
	echo 600000 >/sys/block/mirvol0/mirvol/safe_mode_delay_ms
	# Writes never stop, so the bitmap keeps every region written (a
	# whole 2 s period without a write clears them all: in a loaded VM
	# the start of the next fio can take that long, and the kill could
	# then find nothing set, as CI once did).  A 4 KiB write every
	# 0.2 s to the volume's last MiB, which the chunks never reach.
	(
		while :; do
			dd if=/dev/zero of="$vol" bs=4k count=1 oflag=direct \
			   seek=$(($(blockdev --getsz "$vol") / 8 - 256)) status=none
			sleep 0.2
		done
	) &
	: >"$TEST_SCRATCH/done"
	(
		while [ $i -lt 200 ]; do
			fio --name=c --filename="$vol" --rw=write --bs=64k \
			    --offset=${i}M --size=1M --ioengine=libaio --direct=1 \
			    --verify=crc32c --do_verify=0 --end_fsync=1 \
			    --output=/dev/null || exit 1
			echo $i >>"$TEST_SCRATCH/done"
			sync "$TEST_SCRATCH/done"
			i=$((i + 1))
		done
	) &
	wait_for 120 sh -c "[ \$(wc -l <$TEST_SCRATCH/done) -ge 12 ]"
	grep -qx dirty /sys/block/mirvol0/mirvol/array_state || fail "not dirty while writing"
	request_kill
}

stage_check() {
	local n json total size
	require fio jq
	settle
	wait_for 30 test -L /dev/mirvol/bmcrash
	n=$(wc -l <"$TEST_SCRATCH/done")
	log "$n chunks were flushed before the kill"
	json=$(mirvolctl op wait 1 --json) || fail "no resync after the reboot"
	assert_eq resync "$(jq -r .type <<<"$json")" "first operation"
	assert_eq succeeded "$(jq -r .state <<<"$json")" "resync state"
	total=$(jq .total_bytes <<<"$json")
	size=$(mirvolctl show bmcrash --json | jq .size_bytes)
	log "the dirty resync copied $total of $size bytes"
	# Only the regions written since the volume was last quiet are set
	# (bitmap_dirty_max, 4096, exceeds this volume's 4080 regions, so
	# none is cleared while writes keep coming): the chunks, a few tens
	# of MiB at most, and the background writer's region, not the whole
	# volume.
	[ "$total" -gt 0 ] || fail "the dirty resync copied nothing"
	[ "$total" -le $((size / 2)) ] ||
		fail "the dirty resync copied $total of $size bytes: the bitmap did not limit it"
	fio --name=c --filename=/dev/mirvol/bmcrash --rw=write --bs=64k --size="${n}M" \
	    --ioengine=libaio --direct=1 --verify=crc32c --verify_only \
	    --verify_fatal=1 --output="$TEST_TMP/verify.out" ||
		fail "fio verify of the flushed chunks: $(grep -m1 -i 'verify\|err' "$TEST_TMP/verify.out")"
	assert_eq '["active","active"]' "$(mirvolctl show bmcrash --json | jq -c '[.plexes[].state]')" "plex states"
	plexes_identical bmcrash
}
