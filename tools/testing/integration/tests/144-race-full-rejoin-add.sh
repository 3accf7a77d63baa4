# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# Issue 10: a volume of 8 plexes, one missing.  add-plex of a new device
# (which would take the missing plex's slot) races the missing member's
# return (which rejoins into that slot).  One of them wins the slot; the
# other is refused cleanly (TOO_MANY_PLEXES, ANOTHER_CALL_IN_PROGRESS
# while the rejoined plex resyncs, or the member is no longer a member).  The landed code could use slot 8 of an 8-slot table when
# the rejoin filled the last slot while add-plex had its locks dropped.
# In odd rounds race_delay_ms holds add-plex's unlocked window open so
# that the rejoin lands in it; in even ones they race freely.

TEST_TIMEOUT=900
# udev would reassemble the stopped volume whole by itself.
TEST_UDEV=0

run_test() {
	local round devs add_rc rj_rc json n u winners=""
	require jq timeout
	mk_brd 9 16
	load_mirvol
	devs=(/dev/ram0 /dev/ram1 /dev/ram2 /dev/ram3 /dev/ram4 /dev/ram5 /dev/ram6 /dev/ram7)
	for round in $(seq 10); do
		mirvolctl create --name full --assume-clean "${devs[@]}" >/dev/null
		mirvolctl stop full
		settle
		mirvolctl assemble --run "${devs[@]:0:7}" >/dev/null
		settle
		assert_eq missing "$(mirvolctl show full --json | jq -r '.plexes[7].state')" "plex 7"
		echo $(( round % 2 * 400 * SLOW )) >/sys/module/mirvol/parameters/race_delay_ms
		( rc=0; timeout 60 "$MIRVOLCTL" add-plex full /dev/ram8 >/dev/null \
			2>"$TEST_TMP/add.err" || rc=$?; echo $rc >"$TEST_TMP/add.rc" ) &
		sleep "0.$((round % 2 * 2))$((round % 10))"
		rj_rc=0
		timeout 60 "$MIRVOLCTL" assemble --incremental /dev/ram7 >/dev/null \
			2>"$TEST_TMP/rj.err" || rj_rc=$?
		wait
		# The race is over: the delay would only slow down the
		# checks, the removal and the next round's create, stop and
		# assemble (several seconds a round).
		echo 0 >/sys/module/mirvol/parameters/race_delay_ms
		add_rc=$(cat "$TEST_TMP/add.rc")
		[ "$add_rc" -ne 124 ] && [ "$rj_rc" -ne 124 ] ||
			fail "round $round: hung (add $add_rc, rejoin $rj_rc)"
		log "round $round: add $add_rc $(tail -n 1 "$TEST_TMP/add.err"), rejoin $rj_rc $(tail -n 1 "$TEST_TMP/rj.err")"
		json=$(mirvolctl show full --json)
		n=$(jq '.plexes | length' <<<"$json")
		assert_eq 8 "$n" "round $round: plexes"
		# Slots are 0..7, each once.
		assert_eq "0 1 2 3 4 5 6 7" "$(jq -r '[.plexes[].index] | sort | map(tostring) | join(" ")' <<<"$json")" \
			"round $round: slots"
		[ "$add_rc" -eq 0 ] || [ "$rj_rc" -eq 0 ] ||
			fail "round $round: neither the add nor the rejoin took the slot"
		# The rejoin took the slot, and its resync may still run.
		[ "$add_rc" -eq 0 ] ||
			grep -qE '\((TOO_MANY_PLEXES|ANOTHER_CALL_IN_PROGRESS)\)$' "$TEST_TMP/add.err" ||
			fail "round $round: add-plex refused for another reason: $(cat "$TEST_TMP/add.err")"
		[ "$add_rc" -ne 0 ] || winners+=" add"
		[ "$rj_rc" -ne 0 ] || winners+=" rejoin"
		for u in $("$MIRVOLCTL" list --json | jq -r '.[].uuid'); do
			timeout 60 "$MIRVOLCTL" remove --yes "$u" >/dev/null ||
				fail "round $round: cannot remove $u"
		done
		settle
	done
	log "slot winners:$winners"
	[[ $winners == *add* && $winners == *rejoin* ]] ||
		fail "one side always won:$winners"
	echo 0 >/sys/module/mirvol/parameters/race_delay_ms
	unload_mirvol
}
