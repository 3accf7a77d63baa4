# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# mirvolctl monitor follows the volumes: a plex failed and re-added gives
# plex-failed, volume-degraded, plex-returned, volume-online,
# resync-started, resync-finished and operation-ended, as JSON lines and
# as text; --program runs for each event
# with it in its arguments and environment; --oneshot reports what is
# wrong now; assembly refusing a failed member, or a former member whose
# superblock survived its removal (a power cut before the erase), and a
# removed volume are reported too; a refused request is not.  A volume
# that starts degraded (assemble --run with a member gone, at once or
# after waiting for it, as the last-resort timer does) is reported
# degraded with its plex missing, not only as new; assembly refusing a
# volume whose name another one has (NAME_EXISTS) is reported.

TEST_TIMEOUT=300

# events FILE: the events of a --json monitor's output, on one line.
events() {
	jq -r .event "$1" | tr '\n' ' '
}

# in_order LIST WANT...: every WANT appears in LIST, in that order.
in_order() {
	local list=" $1 " w
	shift
	for w in "$@"; do
		[[ $list == *" $w "* ]] || return 1
		list=${list#*" $w "}
		list=" $list"
	done
}

run_test() {
	local json_pid text_pid prog_pid op ev rc n uuid
	require jq
	mk_brd 4 40
	mk_nullb back 40
	load_mirvol
	mirvolctl create --name mon --wait /dev/ram0 /dev/back >/dev/null
	assert_eq "" "$(mirvolctl monitor --oneshot --json)" "oneshot on a healthy volume"

	cat >"$TEST_TMP/prog.sh" <<-'EOF'
	#!/bin/sh
	echo "$* | $MIRVOL_EVENT $MIRVOL_VOLUME ${MIRVOL_PLEX:--} ${MIRVOL_PLEX_STATE:--} ${MIRVOL_REASON:--}" >>"${0%/*}/prog.out"
	EOF
	chmod +x "$TEST_TMP/prog.sh"
	"$MIRVOLCTL" monitor --json >"$TEST_TMP/mon.json" 2>"$TEST_TMP/mon.err" &
	json_pid=$!
	"$MIRVOLCTL" monitor >"$TEST_TMP/mon.txt" 2>&1 &
	text_pid=$!
	"$MIRVOLCTL" monitor --program "$TEST_TMP/prog.sh" >/dev/null 2>&1 &
	prog_pid=$!
	sleep 1

	mirvolctl fail mon 1
	wait_for 10 grep -q volume-degraded "$TEST_TMP/mon.json" ||
		fail "no volume-degraded event: $(cat "$TEST_TMP/mon.json" "$TEST_TMP/mon.err")"
	assert_eq "plex-failed volume-degraded " \
		"$(mirvolctl monitor --oneshot --json | jq -r .event | tr '\n' ' ')" "oneshot on a degraded volume"
	op=$(mirvolctl re-add mon 1)
	mirvolctl op wait "$op" >/dev/null || fail "re-add failed"
	wait_for 10 grep -q operation-ended "$TEST_TMP/mon.json" ||
		fail "no operation-ended event: $(events "$TEST_TMP/mon.json")"
	ev=$(events "$TEST_TMP/mon.json")
	log "events: $ev"
	# The monitor reports states as it finds them when an event comes:
	# a resync with little to copy may be over by then (no plex-in-sync
	# between plex-returned and volume-online).  What is ordered:
	in_order "$ev" plex-failed volume-degraded plex-returned volume-online ||
		fail "plex and volume events out of order or missing: $ev"
	in_order "$ev" plex-failed resync-started resync-finished operation-ended ||
		fail "resync and operation events out of order or missing: $ev"
	# (jq 1.6's -e looks at the last input only: slurp.)
	jq -s -e 'map(select(.event == "plex-failed")) | .[0] | .volume == "mon" and .plex == 1 and
		.plex_state == "failed" and .device == "/dev/back" and .state == "degraded"' \
		"$TEST_TMP/mon.json" >/dev/null ||
		fail "plex-failed fields: $(jq -c 'select(.event == "plex-failed") | [.volume, .plex, .plex_state, .device, .state]' "$TEST_TMP/mon.json" | tr '\n' ' ')"
	jq -s -e --arg op "$op" 'map(select(.event == "operation-ended")) | .[0] |
		.operation.id == ($op | tonumber) and .operation.state == "succeeded"' \
		"$TEST_TMP/mon.json" >/dev/null || fail "operation-ended fields: $(grep operation-ended "$TEST_TMP/mon.json")"
	grep -Eq '^[0-9T:-]+ plex-failed mon plex 1 \(/dev/back\): failed; volume degraded$' "$TEST_TMP/mon.txt" ||
		fail "text line of plex-failed: $(grep plex-failed "$TEST_TMP/mon.txt")"
	grep -qx 'plex-failed mon 1 | plex-failed mon 1 failed -' "$TEST_TMP/prog.out" ||
		fail "--program was not run for plex-failed: $(cat "$TEST_TMP/prog.out")"

	# A refused request is no news: add-plex of the volume's own plex is
	# refused (DEVICE_BUSY) when the kernel opens the device, and must
	# send no operation-ended, and so no resync-failed.  A check is the
	# mark that the monitor has read past it.
	n=$(wc -l <"$TEST_TMP/mon.json")
	expect_fail_reason DEVICE_BUSY mirvolctl add-plex mon /dev/ram0
	op=$(mirvolctl check mon)
	mirvolctl op wait "$op" >/dev/null || fail "check failed"
	wait_for 10 sh -c "tail -n +$((n + 1)) '$TEST_TMP/mon.json' | jq -s -e --arg op $op \
		'map(select(.event == \"operation-ended\" and .operation.id == (\$op | tonumber))) | length == 1' >/dev/null" ||
		fail "no operation-ended event for the check: $(tail -n +$((n + 1)) "$TEST_TMP/mon.json")"
	assert_eq "" "$(tail -n +$((n + 1)) "$TEST_TMP/mon.json" | jq -c --arg op "$op" \
		'select(.event == "resync-failed" or (.event == "operation-ended" and .operation.id != ($op | tonumber)))')" \
		"events of the refused add-plex"

	# A failed plex's device returns: assembly refuses it, said by the
	# monitor; then the volume goes.
	mirvolctl fail mon 1
	echo 0 >/sys/kernel/config/nullb/back/power
	wait_for 10 sh -c "$MIRVOLCTL show mon --json | jq -e '.plexes[1].device == null'"
	echo 1 >/sys/kernel/config/nullb/back/power
	wait_for 10 test -b /dev/back
	settle
	"$MIRVOLCTL" assemble --incremental /dev/back >/dev/null 2>&1 || true
	wait_for 10 grep -q assembly-refused "$TEST_TMP/mon.json" ||
		fail "no assembly-refused event: $(events "$TEST_TMP/mon.json")"
	jq -s -e 'map(select(.event == "assembly-refused")) | .[0] | .reason == "PLEX_FAILED" and
		.volume == "mon" and .device == "/dev/back"' "$TEST_TMP/mon.json" >/dev/null ||
		fail "assembly-refused fields: $(grep assembly-refused "$TEST_TMP/mon.json")"

	# A plex removed, its superblock put back as a power cut before the
	# erase would have left it: assembly refuses it (the volume does not
	# list it), and says so.
	mirvolctl add-plex mon /dev/ram1 --wait >/dev/null
	dd if=/dev/ram1 of="$TEST_TMP/head" bs=1M count=1 iflag=direct status=none
	mirvolctl remove-plex mon /dev/ram1 --wait >/dev/null
	dd if="$TEST_TMP/head" of=/dev/ram1 bs=1M count=1 oflag=direct status=none
	expect_fail_reason NOT_A_MEMBER "$MIRVOLCTL" assemble --incremental /dev/ram1
	wait_for 10 sh -c "jq -s -e 'map(select(.event == \"assembly-refused\" and .reason == \"NOT_A_MEMBER\")) | length >= 1' '$TEST_TMP/mon.json' >/dev/null" ||
		fail "no assembly-refused event for the former member: $(grep assembly-refused "$TEST_TMP/mon.json")"
	jq -s -e 'map(select(.event == "assembly-refused" and .reason == "NOT_A_MEMBER")) | .[0] |
		.volume == "mon" and .device == "/dev/ram1"' "$TEST_TMP/mon.json" >/dev/null ||
		fail "assembly-refused fields: $(grep NOT_A_MEMBER "$TEST_TMP/mon.json")"
	wait_for 10 grep -Eq '^[0-9T:-]+ assembly-refused mon .*/dev/ram1.*NOT_A_MEMBER' "$TEST_TMP/mon.txt" ||
		fail "text line of the refusal: $(grep assembly-refused "$TEST_TMP/mon.txt")"
	# A device without a superblock is no news (udev may have reported
	# the former member again, when dd closed it: count after it).
	settle
	n=$(jq -s 'map(select(.event == "assembly-refused")) | length' "$TEST_TMP/mon.json")
	mirvolctl wipe /dev/ram1 >/dev/null
	"$MIRVOLCTL" assemble --incremental /dev/ram1 >/dev/null 2>&1 || true
	settle
	sleep 1
	assert_eq "$n" "$(jq -s 'map(select(.event == "assembly-refused")) | length' "$TEST_TMP/mon.json")" \
		"assembly-refused events after the device was wiped"

	mirvolctl remove --yes mon
	wait_for 10 grep -q volume-removed "$TEST_TMP/mon.json" ||
		fail "no volume-removed event: $(events "$TEST_TMP/mon.json")"

	# A volume started degraded, a member gone: new, degraded, its plex
	# missing; at once (assemble --run DEV), and after waiting offline for
	# the member (--incremental, then --run UUID as the last-resort timer).
	"$MIRVOLCTL" wipe /dev/back >/dev/null 2>&1 || true
	mirvolctl create --name deg --force --wait /dev/ram0 /dev/back >/dev/null
	uuid=$(mirvolctl show deg --json | jq -r .uuid)
	mirvolctl stop deg
	settle
	nullb_power back 0
	wait_for 10 sh -c "jq -s -e 'map(select(.volume == \"deg\" and .event == \"volume-removed\")) | length == 1' '$TEST_TMP/mon.json' >/dev/null"
	n=$(wc -l <"$TEST_TMP/mon.json")
	mirvolctl assemble --run /dev/ram0 >/dev/null
	wait_for 10 sh -c "tail -n +$((n + 1)) '$TEST_TMP/mon.json' | jq -s -e \
		'map(select(.volume == \"deg\" and .event == \"volume-degraded\")) | length == 1' >/dev/null" ||
		fail "no volume-degraded event for a volume started degraded: $(tail -n +$((n + 1)) "$TEST_TMP/mon.json" | jq -r .event | tr '\n' ' ')"
	wait_for 10 sh -c "tail -n +$((n + 1)) '$TEST_TMP/mon.json' | jq -s -e \
		'map(select(.volume == \"deg\" and .event == \"plex-missing\" and .plex == 1)) | length == 1' >/dev/null" ||
		fail "no plex-missing event for a volume started degraded: $(tail -n +$((n + 1)) "$TEST_TMP/mon.json" | jq -r .event | tr '\n' ' ')"
	assert_eq "volume-new plex-missing volume-degraded " \
		"$(tail -n +$((n + 1)) "$TEST_TMP/mon.json" | jq -r 'select(.volume == "deg") | .event' | tr '\n' ' ')" \
		"events of a volume started degraded"
	mirvolctl stop deg
	settle
	wait_for 10 sh -c "jq -s -e 'map(select(.volume == \"deg\" and .event == \"volume-removed\")) | length == 2' '$TEST_TMP/mon.json' >/dev/null"
	n=$(wc -l <"$TEST_TMP/mon.json")
	"$MIRVOLCTL" assemble --incremental /dev/ram0 >/dev/null 2>&1 || true
	wait_for 10 sh -c "tail -n +$((n + 1)) '$TEST_TMP/mon.json' | grep -q volume-new"
	mirvolctl assemble --run "$uuid" >/dev/null
	wait_for 10 sh -c "tail -n +$((n + 1)) '$TEST_TMP/mon.json' | jq -s -e \
		'map(select(.volume == \"deg\" and (.event == \"volume-degraded\" or .event == \"plex-missing\"))) | length == 2' >/dev/null" ||
		fail "no volume-degraded and plex-missing events for a waiting volume started degraded: $(tail -n +$((n + 1)) "$TEST_TMP/mon.json" | jq -r .event | tr '\n' ' ')"

	# A volume named as one that runs: assembly refuses it (NAME_EXISTS)
	# and says so.
	mirvolctl create --name cl --wait /dev/ram2 /dev/ram3 >/dev/null
	mirvolctl stop cl
	settle
	mirvolctl rename deg cl
	expect_fail_reason NAME_EXISTS "$MIRVOLCTL" assemble /dev/ram2 /dev/ram3
	wait_for 10 sh -c "jq -s -e 'map(select(.event == \"assembly-refused\" and .reason == \"NAME_EXISTS\")) | length == 2' '$TEST_TMP/mon.json' >/dev/null" ||
		fail "no assembly-refused event for each member of a name clash: $(grep assembly-refused "$TEST_TMP/mon.json")"
	jq -s -e 'map(select(.event == "assembly-refused" and .reason == "NAME_EXISTS" and
		.volume == "cl" and .device == "/dev/ram2")) | length == 1' "$TEST_TMP/mon.json" >/dev/null ||
		fail "assembly-refused fields: $(grep NAME_EXISTS "$TEST_TMP/mon.json")"
	mirvolctl stop cl

	kill "$json_pid" "$text_pid" "$prog_pid"
	rc=0
	wait "$json_pid" || rc=$?
	[ $rc -eq 0 ] || fail "the monitor did not exit 0 on SIGTERM (status $rc; $(cat "$TEST_TMP/mon.err"))"
	wait "$text_pid" "$prog_pid" || true
	jq -s length "$TEST_TMP/mon.json" >/dev/null || fail "the monitor's output is not JSON lines"
	[ ! -s "$TEST_TMP/mon.err" ] || fail "the monitor complained: $(cat "$TEST_TMP/mon.err")"
	rm_nullb back
}
