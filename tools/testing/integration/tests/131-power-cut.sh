# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# Power cuts on volatile caches: the plexes are memory-backed null_blk
# devices with a write cache, which loses what was not flushed when its
# power goes to 0 (each behind a dm-linear device, see power_cut).
# Round after round, crash-load writes with fdatasync (and idles, so that
# safe mode marks the volume clean and dirty again), the power of both
# plexes is cut, given back, and the volume assembled: every acknowledged
# write must be there and, once the resync ended, the plexes identical.
# Every other round the next round starts while the resync of the last
# power cut still runs, so that cuts hit resyncs too.  A plex recorded
# failed (its write error seen before the other's cut) is re-added.  6 rounds;
# MVTEST_TORTURE=1 (make torture) 60.  The random choices (workload
# seeds, idle times, cut instants) come from a logged seed; MVTEST_SEED
# sets it (the cut instants still vary with the timing).

TEST_OWN_BOOT=1
if [ "${MVTEST_TORTURE:-0}" = 1 ]; then
	TEST_TIMEOUT=5400
else
	TEST_TIMEOUT=600
fi

CRASH=$MIRVOL_SRC/tools/testing/crash
NULLB=/sys/kernel/config/nullb
PLEXES="pca pcb"
BLOCKS=1024			# 4 MiB of data
MIRVOL_DATA_OFFSET=1048576	# uapi/linux/mirvol.h

# mk_cached_nullb NAME SIZE_MB CACHE_MB: a memory-backed null_blk with a
# volatile write cache (FLUSH and FUA supported).
mk_cached_nullb() {
	local d=$NULLB/$1

	mkdir "$d" || fail "cannot create null_blk $1"
	echo 1 >"$d/memory_backed"
	echo "$2" >"$d/size"
	echo "$3" >"$d/cache_size"
	echo 1 >"$d/power"
	wait_for 10 test -b "/dev/$1"
}

# power_on: the null_blk devices back, with what they had flushed, and
# their dm devices mapping them again.
power_on() {
	local p

	for p in $PLEXES; do
		echo 1 >"$NULLB/$p/power"
		wait_for 10 test -b "/dev/$p"
		dm_set_linear "$p-d"
	done
}

# power_cut ROUND: cut both plexes' power.  Two rounds in three, at one
# instant: both dm devices are suspended first (I/O in flight completes,
# new I/O waits), so that mirvol cannot react to the first cut on the
# other plex, then the power goes, then the waiting I/O fails.  The third
# round, one plex after the other, as echo does it: mirvol may see one
# plex vanish and record it on the other before that one goes too.
power_cut() {
	local p order=$PLEXES

	if [ $(($1 % 3)) != 0 ]; then
		for p in $PLEXES; do
			dmsetup --noudevsync suspend --noflush --nolockfs "$p-d"
		done
	fi
	[ $(($1 % 2)) = 0 ] || order=$(for p in $PLEXES; do echo "$p"; done | tac)
	for p in $order; do
		echo 0 >"$NULLB/$p/power"
	done
	for p in $PLEXES; do
		dm_set_error "$p-d"
	done
}

cleanup() {
	[ -z "${load_pid:-}" ] || kill "$load_pid" 2>/dev/null
	return 0
}

# The running operation of volume pc, or nothing.
op_of_pc() {
	mirvolctl show pc --json | jq -r '.operation.id // empty'
}

run_test() {
	local rounds=6 round vol op devs p seed

	[ "${MVTEST_TORTURE:-0}" != 1 ] || rounds=60
	seed=${MVTEST_SEED:-$(($(date +%s%N) % 32768))}
	RANDOM=$seed
	log "seed: $seed (MVTEST_SEED)"
	require jq
	[ -x "$CRASH/crash-load" ] || fail "$CRASH is not built (make testprogs)"
	# udev would assemble the plexes as soon as they power up.
	if pidof systemd-udevd >/dev/null; then
		udevadm control --exit
		wait_for 10 sh -c '! pidof systemd-udevd'
	fi
	mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
	modprobe null_blk nr_devices=0 || fail "modprobe null_blk failed"
	for p in $PLEXES; do
		mk_cached_nullb "$p" 5 2
		assert_eq "write back" "$(cat "/sys/block/$p/queue/write_cache")" "$p's cache"
	done
	load_mirvol safe_mode_delay_ms=150 sync_speed_min=500 sync_speed_max=1000
	devs=
	for p in $PLEXES; do
		devs+=" $(dm_error_wrap "/dev/$p" "$p-d")"
	done
	# shellcheck disable=SC2086 # one word per plex
	vol=$(mirvolctl create --name pc --wait $devs)
	: >"$TEST_TMP/acks"

	for ((round = 1; round <= rounds; round++)); do
		"$CRASH/crash-load" write -d "$vol" -b $BLOCKS -t 2 -e \
			-a "$TEST_TMP/acks" -s $((round * 1000000 + 1)) \
			-i $((100 + RANDOM % 400)) -S "$RANDOM" \
			>"$TEST_TMP/load.out" 2>&1 &
		load_pid=$!
		sleep "$((RANDOM % 3)).$((RANDOM % 10))"
		power_cut "$round"
		wait "$load_pid" || fail "round $round: the workload failed: $(tail -n 1 "$TEST_TMP/load.out")"
		load_pid=
		log "round $round: power cut; $(cat "$TEST_TMP/load.out")"
		mirvolctl stop pc
		power_on
		# The plexes as the power cut left them, for a failure's report.
		for p in $PLEXES; do
			dd if="/dev/mapper/$p-d" of="$TEST_TMP/$p.img" bs=1M \
			   skip=$((MIRVOL_DATA_OFFSET >> 20)) count=$((BLOCKS >> 8)) \
			   iflag=direct status=none
		done
		# shellcheck disable=SC2086
		vol=$(mirvolctl assemble $devs) || fail "round $round: assembly failed"
		[ -b "$vol" ] || fail "round $round: assemble started no volume ('$vol')"
		# One plex after the other: mirvol may have recorded the first
		# plex's write error on the other before its cut.  A plex that
		# failed is not trusted back by itself: the administrator
		# re-adds it.
		for p in $(mirvolctl show pc --json | jq '.plexes[] | select(.state == "failed") | .index'); do
			log "round $round: plex $p was recorded failed; re-add"
			mirvolctl re-add pc "$p" >/dev/null ||
				fail "round $round: re-add of plex $p failed"
		done
		op=$(op_of_pc)
		log "round $round: assembled $vol, $(mirvolctl show pc --json | jq -c '[.state, .dirty, .operation.type, [.plexes[].state]]')"
		if ! "$CRASH/crash-load" verify -d "$vol" -b $BLOCKS \
		     -a "$TEST_TMP/acks" >"$TEST_TMP/verify.out"; then
			cat "$TEST_TMP/verify.out"
			for p in $PLEXES; do
				echo "plex $p after the power cut, before the assembly:"
				"$CRASH/crash-load" verify -d "$TEST_TMP/$p.img" \
					-b $BLOCKS -a "$TEST_TMP/acks" || true
			done
			fail "round $round: acknowledged writes are missing ($(head -n 1 "$TEST_TMP/verify.out"); $(tail -n 1 "$TEST_TMP/verify.out"))"
		fi
		cat "$TEST_TMP/verify.out"
		# Odd rounds: the next power cut may hit this resync.
		[ $((round % 2)) = 1 ] && [ $round -lt "$rounds" ] && continue
		[ -z "$op" ] || mirvolctl op wait "$op" >/dev/null ||
			fail "round $round: the resync failed"
		assert_eq online "$(mirvolctl show pc --json | jq -r .state)" "round $round: volume state"
		# The plexes compared by reading them, and by the module's check
		# (unthrottled: it is throttled like a resync).
		"$CRASH/crash-replay" compare pc ||
			fail "round $round: the plexes differ after the resync"
		echo 200000 >"/sys/block/${vol#/dev/}/mirvol/sync_speed_max"
		mirvolctl check pc --wait >/dev/null
		echo system >"/sys/block/${vol#/dev/}/mirvol/sync_speed_max"
		assert_eq 0 "$(mirvolctl show pc --json | jq .mismatch_sectors)" \
			"round $round: mismatch_sectors after mirvolctl check"
	done
	log "$rounds power cuts survived; $(wc -l <"$TEST_TMP/acks") acknowledged writes"
	mirvolctl stop pc
}
