# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# A stop of the source volume while break-plex runs.  Before the split
# the break ends with OBJECT_DELETED and makes no volume; once the plex
# is split off, the break is past its point of no return: it must report
# what it did (success, the new volume exists), not OBJECT_DELETED for a
# volume that is there.  The landed code let the stop's abort overwrite
# the result of a break that had already split its plex off.
# race_delay_ms holds the break before and after the split.  While the
# break freezes the volume's file systems (up to the split) the volume is
# open and the stop is refused DEVICE_BUSY, which mirvolctl retries: the
# stop lands after the split, in the window before the new volume is
# made, or before the break began.

TEST_TIMEOUT=300

run_test() {
	local offset rc outcomes=""
	require jq timeout
	mk_brd 2 32
	load_mirvol
	for offset in 0.5 1.5; do
		mirvolctl create --name src --assume-clean /dev/ram0 /dev/ram1 >/dev/null
		echo 1000 >/sys/module/mirvol/parameters/race_delay_ms
		bg_mirvolctl brk break-plex src 1 --name brk --wait
		sleep "$offset"
		bounded stop src || fail "at $offset s: stop src: $(cat "$TEST_TMP/err")"
		wait
		echo 0 >/sys/module/mirvol/parameters/race_delay_ms
		rc=$(cat "$TEST_TMP/brk.rc")
		log "at $offset s: break-plex: status $rc $(tail -n 1 "$TEST_TMP/brk.err")"
		[ "$rc" -ne 124 ] || fail "at $offset s: break-plex hung"
		if mirvolctl show brk >/dev/null 2>&1; then
			[ "$rc" -eq 0 ] ||
				fail "at $offset s: break-plex failed ($(tail -n 1 "$TEST_TMP/brk.err")) but made volume brk"
			outcomes+=" split"
		else
			grep -q '(OBJECT_DELETED)$' "$TEST_TMP/brk.err" ||
				fail "at $offset s: no volume brk, and break-plex said: status $rc $(tail -n 1 "$TEST_TMP/brk.err")"
			outcomes+=" deleted"
		fi
		clean_volumes
	done
	log "break-plex outcomes:$outcomes"
	[[ $outcomes == *split* ]] || fail "no stop came while break-plex ran:$outcomes"
	check_released /dev/ram0 /dev/ram1
}
