# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# Commands at once, at random: three shells keep sending every kind of
# configuration command (break-plex, merge-plex, add-plex of a device or
# of a volume, remove-plex, replace, offline/online, fail/re-add, check,
# repair, resync, the bitmap dropped and added, operations cancelled,
# broken-off volumes removed) to one 3-plex volume and the volumes split
# from it, while fio writes to it and reads back what it wrote (crc32c
# verify).  Each command may be refused, but with a reason code, and none
# may hang (120 s) or die.  fio sees no error and no bad block.  Once the
# commands stop, every plex of the volume comes back to active; check
# finds no sector that differs and the plexes hold the same bytes; every
# volume can be removed, and the module unloads.  The kernel logs no oops
# or warning (the harness fails the test on one).
#
# MVTEST_SEED=N replays a run's choice of commands (the timing still
# varies); MVTEST_CHAOS_SECONDS sets how long the commands go on (60; on
# the debug kernel 300; make torture: 600).

TEST_TIMEOUT=1500
TEST_TORTURE_ONLY=1

# _chaos_pick WORDS...: one of them, at random.
_chaos_pick() {
	local a=("$@")
	echo "${a[RANDOM % ${#a[@]}]}"
}

# _chaos_cmd: a command line for mirvolctl, at random, in CMD.
_chaos_cmd() {
	local idx spare other op
	# Mostly a plex c has, now and then a slot it has not.
	idx=$("$MIRVOLCTL" show c --json 2>/dev/null |
	      jq -r '.plexes[].index' | shuf -n 1)
	[ -n "$idx" ] && [ $((RANDOM % 5)) -ne 0 ] || idx=$((RANDOM % 8))
	spare=$(_chaos_pick /dev/ram3 /dev/ram4 /dev/ram5 /dev/ram6)
	other=$("$MIRVOLCTL" list --json 2>/dev/null |
		jq -r '[.[] | select(.name != "c") | .name] | .[]' | shuf -n 1)
	[ -n "$other" ] || other=nosuch
	case $((RANDOM % 20)) in
	0 | 1) CMD=(break-plex c "$idx" --name "b$RANDOM") ;;
	2) CMD=(break-plex c "$idx" --name "t$RANDOM" --track-changes) ;;
	3) CMD=(merge-plex c "$other") ;;
	4 | 5) CMD=(add-plex c "$spare") ;;
	6) CMD=(add-plex c --from-volume "$other") ;;
	7) CMD=(remove-plex c "$idx") ;;
	8) CMD=(replace c "$idx" "$spare") ;;
	9) CMD=(offline c "$idx") ;;
	10) CMD=(online c "$idx") ;;
	11) CMD=(fail c "$idx") ;;
	12) CMD=(re-add c "$idx") ;;
	13) CMD=("$(_chaos_pick check repair resync)" c) ;;
	14) CMD=(set c --bitmap "$(_chaos_pick none internal)") ;;
	15)
		op=$("$MIRVOLCTL" op list --json 2>/dev/null |
		     jq -r '.[] | select(.state == "running") | .id' | shuf -n 1)
		CMD=(op cancel "${op:-999999}")
		;;
	16) CMD=(remove --yes "$other") ;;
	17) CMD=(show c --json) ;;
	18) CMD=(op list --json) ;;
	*) CMD=("$(_chaos_pick online re-add)" c "$idx" --wait) ;;
	esac
}

# _chaos_worker N END: send commands until SECONDS reaches END; each
# result on a line of $TEST_TMP/chaos.N (status, reason, command), each
# fault on a line of $TEST_TMP/chaos.fault.
_chaos_worker() {
	local n=$1 end=$2 rc last reason
	RANDOM=$((seed + n))
	while [ "$SECONDS" -lt "$end" ]; do
		_chaos_cmd
		rc=0
		timeout 120 "$MIRVOLCTL" "${CMD[@]}" >/dev/null \
			2>"$TEST_TMP/chaos.err.$n" || rc=$?
		reason=-
		if [ $rc -eq 124 ]; then
			echo "hung (120 s): mirvolctl ${CMD[*]}" >>"$TEST_TMP/chaos.fault"
		elif [ $rc -gt 124 ]; then
			echo "status $rc: mirvolctl ${CMD[*]}" >>"$TEST_TMP/chaos.fault"
		elif [ $rc -ne 0 ]; then
			last=$(tail -n 1 "$TEST_TMP/chaos.err.$n")
			if [[ $last =~ ^mirvolctl:\ .*\ \(([A-Z][A-Z_]+)\)$ ]]; then
				reason=${BASH_REMATCH[1]}
			else
				echo "no reason: mirvolctl ${CMD[*]}: $last" >>"$TEST_TMP/chaos.fault"
			fi
		fi
		echo "$(date +%T) $n $rc $reason ${CMD[*]}" >>"$TEST_TMP/chaos.$n"
	done
}

# _chaos_all_active: every plex of c is active, none left to come back.
_chaos_all_active() {
	[ "$("$MIRVOLCTL" show c --json |
	      jq '[.plexes[] | select(.state != "active")] | length')" = 0 ]
}

run_test() {
	local secs end pid fio_rc n json i state op workers=()
	require fio jq timeout shuf
	secs=60
	# The debug kernel (kmemleak, KASAN, lockdep) runs commands about 8
	# times slower.
	[ ! -e /sys/kernel/debug/kmemleak ] || secs=300
	[ "${MVTEST_TORTURE:-0}" != 1 ] || secs=600
	secs=${MVTEST_CHAOS_SECONDS:-$secs}
	seed=${MVTEST_SEED:-$RANDOM}
	log "seed $seed (MVTEST_SEED=$seed replays the commands), $secs s"
	mk_brd 7 32
	load_mirvol
	mirvolctl create --name c --wait /dev/ram0 /dev/ram1 /dev/ram2 >/dev/null
	# Copies that take seconds, so that commands meet running ones.
	echo 8000 >/sys/block/mirvol0/mirvol/sync_speed_max
	fio --name=chaos --filename=/dev/mirvol0 --direct=1 --ioengine=libaio \
	    --iodepth=8 --rw=randwrite --bs=4k --size=28M --time_based \
	    --runtime=$((secs + 5)) --verify=crc32c --verify_backlog=256 \
	    --verify_fatal=1 --output="$TEST_TMP/fio.out" &
	pid=$!
	end=$((SECONDS + secs))
	for n in 1 2 3; do
		_chaos_worker "$n" "$end" &
		workers+=($!)
	done
	wait "${workers[@]}"
	fio_rc=0
	wait "$pid" || fio_rc=$?
	for n in 1 2 3; do
		log "shell $n: $(wc -l <"$TEST_TMP/chaos.$n") commands"
	done
	# Time, shell, status, reason, command.
	sort "$TEST_TMP"/chaos.[123] >&2
	log "statuses: $(cat "$TEST_TMP"/chaos.[123] | awk '{print $4}' | sort | uniq -c | tr -s ' \n' ' ')"
	log "commands: $(cat "$TEST_TMP"/chaos.[123] | awk '{print $5}' | sort | uniq -c | tr -s ' \n' ' ')"
	if [ -s "$TEST_TMP/chaos.fault" ]; then
		cat "$TEST_TMP/chaos.fault" >&2
		fail "$(wc -l <"$TEST_TMP/chaos.fault") commands hung, died or gave no reason (seed $seed)"
	fi
	[ $fio_rc -eq 0 ] ||
		fail "fio failed (status $fio_rc, seed $seed): $(grep -iE 'err|verify' "$TEST_TMP/fio.out" | head -5)"
	grep -q 'err= 0' "$TEST_TMP/fio.out" || fail "fio reported errors: $(grep err= "$TEST_TMP/fio.out")"

	# Quiet now: let the operations end, then bring every plex back.
	echo 0 >/sys/block/mirvol0/mirvol/sync_speed_max
	for op in $(mirvolctl op list --json | jq -r '.[] | select(.state == "running") | .id'); do
		mirvolctl op wait "$op" --timeout 300 >/dev/null || true
	done
	settle
	for i in 1 2 3; do
		_chaos_all_active && break
		json=$(mirvolctl show c --json)
		for n in $(jq -r '.plexes[] | select(.state != "active") | .index' <<<"$json"); do
			state=$(jq -r ".plexes[] | select(.index == $n) | .state" <<<"$json")
			case $state in
			offline) bounded online c "$n" --wait ;;
			failed | missing) bounded re-add c "$n" --wait ;;
			*) bounded resync c --wait ;;
			esac || log "plex $n ($state): $(cat "$TEST_TMP/err")"
		done
	done
	_chaos_all_active ||
		fail "plexes of c not active after the commands: $(mirvolctl show c --json | jq -c '[.plexes[] | {index, state}]')"
	# A mirror again if the commands left one plex: a free device joins.
	for n in /dev/ram3 /dev/ram4 /dev/ram5 /dev/ram6 /dev/ram0 /dev/ram1 /dev/ram2; do
		[ "$(mirvolctl show c --json | jq '.plexes | length')" -lt 2 ] || break
		bounded add-plex c "$n" --wait || true
	done
	assert_eq "mismatch_sectors: 0" "$(mirvolctl check c --wait)" \
		"check of c after the commands"
	plexes_identical c
	clean_volumes
	assert_eq 0 "$(mirvolctl list --json | jq length)" "volumes left"
	unload_mirvol
}
