# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# Crash-point enumeration (tools/testing/crash/README): three plexes are
# nbd devices served by crash-record, which logs in one global order
# every write, FUA write and cache flush they perform.  A workload
# writes with fdatasync and logs what was acknowledged, while the volume
# goes through its initial resync, safe-mode clean/dirty transitions, an
# add-plex whose throttled resync is cancelled and restarted (the
# workload paused: the resync's checkpoints and end on a clean volume),
# a break-plex with --track-changes and, writes going on, the merge-plex
# of the broken-off volume back into the first.  crash-replay then
# rebuilds the plexes at crash points around every FLUSH and FUA write of
# the log, with the volatile writes of each plex's cache kept or lost,
# assembles them, lets the resync finish and checks the data and the
# plexes; a second run tries crash points of the merge only, assembling
# one device at a time as udev does (crash-replay -I).  MVTEST_TORTURE=1
# (make torture) tries many more states.

TEST_OWN_BOOT=1
if [ "${MVTEST_TORTURE:-0}" = 1 ]; then
	TEST_TIMEOUT=14400
else
	TEST_TIMEOUT=900
fi

CRASH=$MIRVOL_SRC/tools/testing/crash
PLEX_MIB=5			# 1 MiB of metadata, 4 MiB of data
BLOCKS=1024			# the volume's 4 KiB blocks

# The running operation of volume $1, or nothing.
op_of() {
	mirvolctl show "$1" --json | jq -r '.operation.id // empty'
}

mark() {
	"$CRASH/crash-record" mark "$TEST_TMP/ctl" "$1"
}

cleanup() {
	: >"$TEST_TMP/stop"
	[ -z "${load_pid:-}" ] || wait "$load_pid" 2>/dev/null
	mirvolctl stop cv 2>/dev/null
	mirvolctl stop cvb 2>/dev/null
	if [ -n "${rec_pid:-}" ] && kill -0 "$rec_pid" 2>/dev/null; then
		timeout 60 "$CRASH/crash-record" quit "$TEST_TMP/ctl" ||
			kill "$rec_pid"
		wait "$rec_pid"
	fi
	return 0
}

# record SECS: record the scenario, writing on for SECS after the break;
# the log goes to $TEST_TMP/log.
record() {
	local tail_secs=$1 vol op

	# udev would probe the devices and assemble members behind our back.
	if pidof systemd-udevd >/dev/null; then
		udevadm control --exit
		wait_for 10 sh -c '! pidof systemd-udevd'
	fi
	[ ! -d /sys/module/nbd ] || fail "nbd is already loaded"
	modprobe nbd nbds_max=3 || fail "modprobe nbd failed"
	# Slow resyncs, so that writes, checkpoints and the cancel meet them;
	# clean after 200 ms without writes (the workload idles for 600 ms).
	load_mirvol sync_speed_min=100 sync_speed_max=800 safe_mode_delay_ms=200

	"$CRASH/crash-record" -l "$TEST_TMP/log" -c "$TEST_TMP/ctl" \
		-s $((PLEX_MIB << 20)) /dev/nbd0 /dev/nbd1 /dev/nbd2 \
		>"$TEST_TMP/record.out" 2>&1 &
	rec_pid=$!
	wait_for 60 grep -q ready "$TEST_TMP/record.out"
	log "recorder ready (pid $rec_pid)"

	mark create
	vol=$(mirvolctl create --name cv /dev/nbd0 /dev/nbd1)
	mark created
	op=$(op_of cv)
	[ -n "$op" ] || fail "no initial resync"
	"$CRASH/crash-load" write -d "$vol" -b $BLOCKS -t 2 -c "$TEST_TMP/ctl" \
		-x "$TEST_TMP/stop" -p "$TEST_TMP/pause" >"$TEST_TMP/load.out" 2>&1 &
	load_pid=$!
	mirvolctl op wait "$op" >/dev/null
	mark resync-done
	log "initial resync done"

	# add-plex, cancelled in the middle of its throttled resync ...
	echo 300 >"/sys/block/${vol#/dev/}/mirvol/sync_speed_max"
	mark add-plex
	op=$(mirvolctl add-plex cv /dev/nbd2)
	wait_for 60 sh -c "'$MIRVOLCTL' op status $op --json | jq -e '.done_bytes >= 1048576'"
	mark add-cancel
	mirvolctl op cancel "$op" >/dev/null
	expect_fail_reason OPERATION_CANCELED mirvolctl op wait "$op"
	mark add-cancelled
	# ... and restarted, with the workload paused: checkpoints and the
	# promotion to active then happen on a volume marked clean.
	: >"$TEST_TMP/pause"
	echo 600 >"/sys/block/${vol#/dev/}/mirvol/sync_speed_max"
	mark add-plex-again
	op=$(mirvolctl add-plex cv /dev/nbd2)
	mirvolctl op wait "$op" >/dev/null
	mark add-done
	rm "$TEST_TMP/pause"
	log "add-plex cancelled and redone"

	mark break-start
	mirvolctl break-plex cv 1 --name cvb --track-changes --wait >/dev/null
	mark break-done
	log "plex 1 broken off"

	# Writes go on without the broken-off plex, with clean/dirty rounds,
	# then it merges back: cvb goes, its plex copies what changed.
	sleep "$tail_secs"
	mark merge-start
	mirvolctl merge-plex cv cvb --wait >/dev/null
	mark merge-done
	log "cvb merged back"
	sleep 1
	: >"$TEST_TMP/stop"
	wait "$load_pid" || fail "the workload failed: $(tail -n 1 "$TEST_TMP/load.out")"
	load_pid=
	cat "$TEST_TMP/load.out"
	grep -Eq 'writes, last seq [1-9]' "$TEST_TMP/load.out" || fail "no writes"
	mark stop
	mirvolctl stop cv
	mark stopped
	"$CRASH/crash-record" quit "$TEST_TMP/ctl"
	wait "$rec_pid" || fail "crash-record failed: $(tail -n 1 "$TEST_TMP/record.out")"
	rec_pid=
	cat "$TEST_TMP/record.out"
	log "log: $(du -h "$TEST_TMP/log" | cut -f1)"
}

# crash-replay's "crash states: N tried, M failed" of $1, as "N M".
replay_counts() {
	sed -n 's/^crash states: \([0-9]*\) tried, \([0-9]*\) failed.*/\1 \2/p' "$1"
}

# replay OUT ARGS...: crash-replay ARGS over the log onto the RAM disks,
# its output in OUT and on ours; sets r_tried and r_failed from its counts,
# fails if it did not finish, and keeps the log when a state failed.
replay() {
	local out=$1

	shift
	"$CRASH/crash-replay" "$@" ${MVTEST_SEED:+-S "$MVTEST_SEED"} \
		"$TEST_TMP/log" /dev/ram0 /dev/ram1 /dev/ram2 >"$out" 2>&1 || :
	cat "$out"
	read -r r_tried r_failed < <(replay_counts "$out")
	[ -n "$r_tried" ] || fail "crash-replay $* did not finish: $(tail -n 1 "$out")"
	[ "$r_failed" -eq 0 ] || cp "$TEST_TMP/log" "$TEST_SCRATCH/crash.log"
}

run_test() {
	local states=400 merge_states=100 tail_secs=4 out tried failed mtried mfailed
	local r_tried r_failed

	if [ "${MVTEST_TORTURE:-0}" = 1 ]; then
		states=6000
		merge_states=1000
		tail_secs=30
	fi
	require jq
	[ -x "$CRASH/crash-replay" ] || fail "$CRASH is not built (make testprogs)"
	record "$tail_secs"

	# Replay at full resync speed, the default safe mode.
	echo 200000 >/sys/module/mirvol/parameters/sync_speed_max
	echo 1000 >/sys/module/mirvol/parameters/safe_mode_delay_ms
	mk_brd 3 $PLEX_MIB
	out=$TEST_SCRATCH/replay.out
	replay "$out" -n $states
	tried=$r_tried failed=$r_failed

	# The merge's own crash points: the source volume's superblocks give
	# way to the target's while the target's record the new plex; the
	# devices come one at a time, older superblocks first.
	replay "$TEST_SCRATCH/merge.out" -n $merge_states -w merge-start:merge-done -I
	mtried=$r_tried mfailed=$r_failed

	# The control: a device losing flushed writes must fail the checks.
	"$CRASH/crash-replay" -L -n 20 "$TEST_TMP/log" /dev/ram0 /dev/ram1 \
		/dev/ram2 >"$TEST_SCRATCH/control.out" 2>&1 || :
	log "control run (-L): $(tail -n 1 "$TEST_SCRATCH/control.out")"
	grep -q 'lost an acknowledged write' "$TEST_SCRATCH/control.out" ||
		fail "the control run found no lost acknowledged write"

	# The scenario went through safe mode's transitions.
	grep -Eq 'clean->dirty [1-9][0-9]* times, dirty->clean [1-9]' "$out" ||
		fail "the recording has no clean/dirty transitions"
	[ "$tried" -ge $states ] || fail "only $tried crash states (wanted $states)"
	# The log of a failed run is kept for "crash-replay dump".
	[ "$failed" -eq 0 ] ||
		fail "$failed of $tried crash states failed, first: $(grep -m1 '^  => ' "$out")"
	[ "$mtried" -ge 20 ] || fail "only $mtried merge crash states"
	[ "$mfailed" -eq 0 ] ||
		fail "$mfailed of $mtried merge crash states failed, first: $(grep -m1 '^  => ' "$TEST_SCRATCH/merge.out")"
}
