# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# The VM is killed in the middle of writes.  After the reboot the volume
# comes back dirty and resyncs its other plex from one in-sync plex; fio's
# verify of everything written before the last completed flush passes, and
# the plexes are identical.

TEST_STAGES="stage_write stage_check"
TEST_DISKS="a:128M b:128M"
TEST_TIMEOUT=300

# Write 1 MiB chunks at increasing offsets, each ended by a flush; a chunk
# is recorded only once its flush completed.
stage_write() {
	local vol i=0
	require fio
	vol=$(mirvolctl create --name crash --wait "$(disk a)" "$(disk b)")
	# Dirty until the kill: safe mode would mark it clean in a pause
	# between two chunks (fio starts slowly in a loaded VM).
	echo 600000 >/sys/block/mirvol0/mirvol/safe_mode_delay_ms
	: >"$TEST_SCRATCH/done"
	(
		while [ $i -lt 120 ]; do
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
	local n json op off size
	require fio jq cmp
	settle
	wait_for 30 test -L /dev/mirvol/crash
	n=$(wc -l <"$TEST_SCRATCH/done")
	log "$n chunks were flushed before the kill"
	[ "$n" -ge 12 ] || fail "only $n chunks recorded"
	# The unclean shutdown made the boot's first operation a full resync.
	json=$(mirvolctl op status 1 --json) || fail "no operation after the reboot"
	assert_eq resync "$(jq -r .type <<<"$json")" "first operation"
	mirvolctl op wait 1 >/dev/null
	grep -q 'crash: assembled dirty' "$MVTEST_DIR/console.log" 2>/dev/null ||
		dmesg | grep -q 'crash: assembled dirty' || fail "no sign of a dirty assembly in the kernel log"
	fio --name=c --filename=/dev/mirvol/crash --rw=write --bs=64k --size=${n}M \
	    --ioengine=libaio --direct=1 --verify=crc32c --verify_only \
	    --verify_fatal=1 --output="$TEST_TMP/verify.out" ||
		fail "fio verify of the flushed chunks: $(grep -m1 -i 'verify\|err' "$TEST_TMP/verify.out")"
	json=$(mirvolctl show crash --json)
	assert_eq '["active","active"]' "$(jq -c '[.plexes[].state]' <<<"$json")" "plex states"
	off=$(jq '.plexes[0].data_offset_bytes' <<<"$json")
	size=$(jq .size_bytes <<<"$json")
	cmp -n "$size" -i "$off:$off" "$(disk a)" "$(disk b)" || fail "the plexes differ after the resync"
}
