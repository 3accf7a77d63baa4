# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# Crash-point enumeration of the plex maintenance commands (130's
# harness, tools/testing/crash/README): four plexes are nbd devices
# served by crash-record while a workload writes with fdatasync and the
# volume goes through offline and online, fail and re-add, the bitmap
# dropped and added again, a replace, an add-plex and a remove-plex.
# crash-replay then rebuilds the plexes at crash points around every
# FLUSH and FUA write, assembles them and checks that every acknowledged
# write is there and the in-sync plexes agree.  Between "offline" and
# the end of "online", and between "fail" and the end of "re-add", the
# plex taken out (plex 1 on nbd1, plex 0 on nbd0) may stay out (-O);
# everywhere else every plex the volume lists must end active.  MVTEST_TORTURE=1 (make torture) tries more states.

TEST_OWN_BOOT=1
if [ "${MVTEST_TORTURE:-0}" = 1 ]; then
	TEST_TIMEOUT=7200
else
	TEST_TIMEOUT=900
fi

CRASH=$MIRVOL_SRC/tools/testing/crash
PLEX_MIB=5			# 1 MiB of metadata, 4 MiB of data
BLOCKS=1024			# the volume's 4 KiB blocks

mark() {
	"$CRASH/crash-record" mark "$TEST_TMP/ctl" "$1"
}

cleanup() {
	: >"$TEST_TMP/stop"
	[ -z "${load_pid:-}" ] || wait "$load_pid" 2>/dev/null
	mirvolctl stop cv 2>/dev/null
	if [ -n "${rec_pid:-}" ] && kill -0 "$rec_pid" 2>/dev/null; then
		timeout 60 "$CRASH/crash-record" quit "$TEST_TMP/ctl" ||
			kill "$rec_pid"
		wait "$rec_pid"
	fi
	return 0
}

# plex_state DEV: the state of cv's plex on DEV.
plex_state() {
	mirvolctl show cv --json |
		jq -r --arg d "$1" '.plexes[] | select(.device == $d) | .state'
}

# step NAME CMD...: mark NAME, run CMD (it must succeed), mark NAME-done.
step() {
	local name=$1

	shift
	mark "$name"
	"$@" >/dev/null || fail "$name: $* failed"
	mark "$name-done"
}

record() {
	local vol op

	if pidof systemd-udevd >/dev/null; then
		udevadm control --exit
		wait_for 10 sh -c '! pidof systemd-udevd'
	fi
	[ ! -d /sys/module/nbd ] || fail "nbd is already loaded"
	modprobe nbd nbds_max=4 || fail "modprobe nbd failed"
	# Throttled resyncs, so that writes meet them; clean after 200 ms
	# without writes (the workload idles for 600 ms now and then).
	load_mirvol sync_speed_min=100 sync_speed_max=1000 safe_mode_delay_ms=200

	"$CRASH/crash-record" -l "$TEST_TMP/log" -c "$TEST_TMP/ctl" \
		-s $((PLEX_MIB << 20)) /dev/nbd0 /dev/nbd1 /dev/nbd2 /dev/nbd3 \
		>"$TEST_TMP/record.out" 2>&1 &
	rec_pid=$!
	wait_for 60 grep -q ready "$TEST_TMP/record.out"
	log "recorder ready (pid $rec_pid)"

	mark create
	vol=$(mirvolctl create --name cv /dev/nbd0 /dev/nbd1)
	mark created
	op=$(mirvolctl show cv --json | jq -r '.operation.id // empty')
	[ -n "$op" ] || fail "no initial resync"
	mirvolctl op wait "$op" >/dev/null
	mark resync-done
	"$CRASH/crash-load" write -d "$vol" -b $BLOCKS -t 2 -c "$TEST_TMP/ctl" \
		-x "$TEST_TMP/stop" >"$TEST_TMP/load.out" 2>&1 &
	load_pid=$!
	sleep 1

	step offline mirvolctl offline cv /dev/nbd1
	[ "$(plex_state /dev/nbd1)" = offline ] || fail "nbd1 is not offline"
	sleep 1
	step online mirvolctl online cv /dev/nbd1 --wait
	step fail mirvolctl fail cv /dev/nbd0
	[ "$(plex_state /dev/nbd0)" = failed ] || fail "nbd0 is not failed"
	sleep 1
	step re-add mirvolctl re-add cv /dev/nbd0 --wait
	step bitmap-drop mirvolctl set cv --bitmap none
	sleep 1
	step bitmap-add mirvolctl set cv --bitmap internal
	sleep 1
	step replace mirvolctl replace cv /dev/nbd1 /dev/nbd2 --wait
	op=$(mirvolctl add-plex cv /dev/nbd3)
	mark add-plex
	mirvolctl op wait "$op" >/dev/null
	mark add-plex-done
	step remove-plex mirvolctl remove-plex cv /dev/nbd0 --wait
	sleep 1
	: >"$TEST_TMP/stop"
	wait "$load_pid" || fail "the workload failed: $(tail -n 1 "$TEST_TMP/load.out")"
	load_pid=
	cat "$TEST_TMP/load.out"
	grep -Eq 'writes, last seq [1-9]' "$TEST_TMP/load.out" || fail "no writes"
	mirvolctl show cv
	[ "$(mirvolctl show cv --json | jq '[.plexes[] | select(.state == "active")] | length')" = 2 ] ||
		fail "cv does not end with 2 active plexes"
	mark stop
	mirvolctl stop cv
	mark stopped
	"$CRASH/crash-record" quit "$TEST_TMP/ctl"
	wait "$rec_pid" || fail "crash-record failed: $(tail -n 1 "$TEST_TMP/record.out")"
	rec_pid=
	cat "$TEST_TMP/record.out"
	log "log: $(du -h "$TEST_TMP/log" | cut -f1)"
}

run_test() {
	local states=400 out tried failed

	[ "${MVTEST_TORTURE:-0}" != 1 ] || states=4000
	require jq
	[ -x "$CRASH/crash-replay" ] || fail "$CRASH is not built (make testprogs)"
	record

	# Replay at full resync speed, the default safe mode.
	echo 200000 >/sys/module/mirvol/parameters/sync_speed_max
	echo 1000 >/sys/module/mirvol/parameters/safe_mode_delay_ms
	mk_brd 4 $PLEX_MIB
	out=$TEST_SCRATCH/replay.out
	"$CRASH/crash-replay" -n $states ${MVTEST_SEED:+-S "$MVTEST_SEED"} \
		-O offline:online-done:1 -O fail:re-add-done:0 \
		"$TEST_TMP/log" /dev/ram0 /dev/ram1 /dev/ram2 /dev/ram3 \
		>"$out" 2>&1 || :
	cat "$out"
	read -r tried failed < <(sed -n 's/^crash states: \([0-9]*\) tried, \([0-9]*\) failed.*/\1 \2/p' "$out")
	[ -n "$tried" ] || fail "crash-replay did not finish: $(tail -n 1 "$out")"
	[ "$failed" -eq 0 ] || cp "$TEST_TMP/log" "$TEST_SCRATCH/crash.log"

	# The controls: without -O the offline window's states must fail, or
	# the crash points do not reach it and the check cannot see a plex
	# left out.  Each samples the window up to the start of the command
	# that brings the plex back: after that command's superblock update
	# the plex is no longer left out, and a window diluted by its resync
	# could leave 20 random states without one that shows it.
	"$CRASH/crash-replay" -n 20 -w offline:online "$TEST_TMP/log" \
		/dev/ram0 /dev/ram1 /dev/ram2 /dev/ram3 \
		>"$TEST_SCRATCH/control.out" 2>&1 || :
	log "control run (no -O): $(tail -n 1 "$TEST_SCRATCH/control.out")"
	grep -q 'plex 1 offline after recovery' "$TEST_SCRATCH/control.out" ||
		fail "the control run found no plex left offline"
	# And the fail window's: a plex 0 left failed.
	"$CRASH/crash-replay" -n 20 -w fail:re-add "$TEST_TMP/log" \
		/dev/ram0 /dev/ram1 /dev/ram2 /dev/ram3 \
		>"$TEST_SCRATCH/control-fail.out" 2>&1 || :
	log "control run of the fail window (no -O): $(tail -n 1 "$TEST_SCRATCH/control-fail.out")"
	grep -q 'plex 0 failed after recovery' "$TEST_SCRATCH/control-fail.out" ||
		fail "the fail window's control run found no plex left failed"

	[ "$tried" -ge $states ] || fail "only $tried crash states (wanted $states)"
	[ "$failed" -eq 0 ] ||
		fail "$failed of $tried crash states failed, first: $(grep -m1 '^  => ' "$out")"
}
