# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# Issue 10: 'remove T' racing 'add-plex T --from-volume S', 50 rounds at
# varying offsets.  add-plex reserves T's operation, dissolves S without
# T's lock, then commits; a remove in between must make the add end with
# OBJECT_DELETED (not hang the remover, which the landed code did: the
# reserved operation was never ended), S's devices must come back usable,
# and every command must return within its bound.  At the end the module
# unloads: nothing leaked a reference.

TEST_TIMEOUT=1200

run_test() {
	local round u add_rc rm_rc outcomes=""
	require jq timeout
	mk_brd 3 16
	load_mirvol
	echo 300 >/sys/module/mirvol/parameters/race_delay_ms
	for round in $(seq 50); do
		bounded create --name t --assume-clean /dev/ram0 ||
			fail "round $round: create t: $(cat "$TEST_TMP/err")"
		bounded create --name s --assume-clean /dev/ram1 /dev/ram2 ||
			fail "round $round: create s: $(cat "$TEST_TMP/err")"
		echo 1000 >/sys/block/mirvol0/mirvol/sync_speed_max
		( rc=0; timeout 60 "$MIRVOLCTL" add-plex t --from-volume s \
			>/dev/null 2>"$TEST_TMP/add.err" || rc=$?
		  echo $rc >"$TEST_TMP/add.rc" ) &
		# From before the add's reservation to well into its resync.
		sleep "0.$(printf %03d $(( (round * 37) % 1000 )))"
		rm_rc=0
		timeout 60 "$MIRVOLCTL" remove --yes t >/dev/null 2>"$TEST_TMP/rm.err" ||
			rm_rc=$?
		wait
		add_rc=$(cat "$TEST_TMP/add.rc")
		[ "$add_rc" -ne 124 ] || fail "round $round: add-plex hung"
		[ "$rm_rc" -ne 124 ] || fail "round $round: remove hung"
		# t is never open: its removal always succeeds.
		[ "$rm_rc" -eq 0 ] ||
			fail "round $round: remove t: $(cat "$TEST_TMP/rm.err")"
		# add-plex committed first (0), or found t gone (before its
		# reservation) or going (while it dissolved s).
		case $add_rc:$(tail -n 1 "$TEST_TMP/add.err") in
		0:*) outcomes+=" committed" ;;
		1:*"(OBJECT_NOT_FOUND)") outcomes+=" not-found" ;;
		1:*"(OBJECT_DELETED)") outcomes+=" deleted" ;;
		*) fail "round $round: add-plex: status $add_rc: $(cat "$TEST_TMP/add.err")" ;;
		esac
		# Whatever is left (s stopped or intact) goes; the devices
		# must be free for the next round.
		for u in $("$MIRVOLCTL" list --json | jq -r '.[].uuid'); do
			bounded remove --yes "$u" ||
				fail "round $round: remove $u: $(cat "$TEST_TMP/err")"
		done
		settle
	done
	log "add-plex outcomes:$(tr ' ' '\n' <<<"$outcomes" | sort | uniq -c | tr -s ' \n' ' ')"
	# The window between reservation and commit was hit.
	[[ $outcomes == *deleted* ]] ||
		fail "no round removed t while add-plex was preparing:$outcomes"
	echo 0 >/sys/module/mirvol/parameters/race_delay_ms
	unload_mirvol
}
