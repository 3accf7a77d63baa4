# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# A plex starts failing every write while fio writes with crc32c verify:
# the writes keep succeeding, the plex is failed, the volume degraded (and
# a uevent says so), and fio's verify passes on what was written.
# fio is held to 2000 writes/s, so its 64 MiB take at least 8 s and the
# error surely starts while it writes (unthrottled, a fast run could end
# before the error was switched on, and the plex was never failed).

TEST_TIMEOUT=400

run_test() {
	local leg vol json size pid
	require fio jq udevadm
	mk_brd 2 64
	load_mirvol
	leg=$(dm_error_wrap /dev/ram1 leg1)
	vol=$(mirvolctl create --name werr --wait /dev/ram0 "$leg")
	size=$(mirvolctl show werr --json | jq .size_bytes)

	udevadm monitor --kernel --property --subsystem-match=block \
		>"$TEST_TMP/uevents" 2>&1 &
	echo $! >"$TEST_TMP/monitor.pid"
	fio --name=werr --filename="$vol" --direct=1 --ioengine=libaio \
	    --rw=randwrite --bs=4k --iodepth=16 --size="$size" --rate_iops=2000 \
	    --verify=crc32c --do_verify=1 --verify_fatal=1 \
	    --output="$TEST_TMP/fio.out" &
	pid=$!
	sleep 2
	kill -0 "$pid" 2>/dev/null || fail "fio ended before the error started"
	dm_set_error leg1
	log "leg1 now fails every I/O"
	wait "$pid" || fail "fio failed: $(grep -m1 -i err "$TEST_TMP/fio.out")"
	grep -q 'err= 0' "$TEST_TMP/fio.out" || fail "fio: $(grep err= "$TEST_TMP/fio.out")"

	json=$(mirvolctl show werr --json)
	assert_eq degraded "$(jq -r .state <<<"$json")" "volume state"
	assert_eq active "$(jq -r '.plexes[0].state' <<<"$json")" "plex 0"
	assert_eq failed "$(jq -r '.plexes[1].state' <<<"$json")" "plex 1"
	[ "$(jq '.plexes[1].write_errors' <<<"$json")" -gt 0 ] || fail "no write error counted"
	assert_eq degraded "$(cat /sys/block/mirvol0/mirvol/state)" "sysfs state"
	assert_eq failed "$(cat /sys/block/mirvol0/mirvol/plex1/state)" "sysfs plex1 state"
	settle
	kill "$(cat "$TEST_TMP/monitor.pid")"
	grep -q 'MIRVOL_STATE=degraded' "$TEST_TMP/uevents" || fail "no uevent with MIRVOL_STATE=degraded"
	grep -q 'MIRVOL_NAME=werr' "$TEST_TMP/uevents" || fail "uevent without MIRVOL_NAME"

	# Reads still return what fio wrote: its verify read it all back.
	mirvolctl remove --yes werr
}

cleanup() {
	[ ! -f "$TEST_TMP/monitor.pid" ] || kill "$(cat "$TEST_TMP/monitor.pid")" 2>/dev/null || true
}
