# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# Maintenance of a running volume through mirvolctl: offline and online
# copy only what was written meanwhile; fail and re-add likewise; the
# last in-sync plex is refused; an offline plex stays offline across a
# stop and assembly, incremental too (its device held, not resynced);
# set stores the resync speeds in the superblocks and
# adds and drops the bitmap; replace syncs the new device before the old
# plex leaves.

TEST_TIMEOUT=600
# The test assembles by itself.
TEST_UDEV=0

# copied OP: the bytes the operation OP copied; it must succeed.
copied() {
	local json
	json=$(mirvolctl op wait "$1" --json) || fail "operation $1 failed"
	assert_eq succeeded "$(jq -r .state <<<"$json")" "operation $1"
	jq .total_bytes <<<"$json"
}

run_test() {
	local vol json op off fio_pid samples in_sync new_state
	require jq cmp
	mk_brd 3 72
	load_mirvol
	head -c 1M /dev/urandom >"$TEST_TMP/new"
	vol=$(mirvolctl create --name mt --wait /dev/ram0 /dev/ram1)

	# Offline: no I/O; 1 MiB written; online copies those 16 regions.
	mirvolctl offline mt 1
	json=$(mirvolctl show mt --json)
	assert_eq offline "$(jq -r '.plexes[1].state' <<<"$json")" "plex 1 after offline"
	assert_eq degraded "$(jq -r .state <<<"$json")" "volume with an offline plex"
	expect_fail_reason REMAINING_PLEX_STALE mirvolctl offline mt 0
	expect_fail_reason REMAINING_PLEX_STALE mirvolctl fail mt 0
	expect_fail_reason INVALID_OPERATION mirvolctl re-add mt 1
	dd if="$TEST_TMP/new" of="$vol" bs=1M seek=20 oflag=direct status=none
	off=$(mirvolctl show mt --json | jq '.plexes[1].data_offset_bytes')
	! cmp -s "$TEST_TMP/new" <(dd if=/dev/ram1 bs=1M iflag=direct,skip_bytes \
				  skip=$((off + (20 << 20))) count=1 status=none) ||
		fail "the offline plex got the write"
	op=$(mirvolctl online mt 1)
	[ -n "$op" ] || fail "online started no resync"
	assert_eq $((1 << 20)) "$(copied "$op")" "bytes copied by online"
	assert_eq '["active","active"]' "$(mirvolctl show mt --json | jq -c '[.plexes[].state]')" "after online"
	plexes_identical mt
	# The regions online copied clear once idle, 2 to 4 s after the plex
	# is back in sync (two scans of the bitmap): re-add copies what is
	# still set, so only then does its count show just its own writes.
	wait_for 30 sh -c "$MIRVOLCTL show mt --json | jq -e '.bitmap_dirty_regions == 0'"

	# Fail and re-add.
	mirvolctl fail mt 1
	assert_eq failed "$(mirvolctl show mt --json | jq -r '.plexes[1].state')" "plex 1 after fail"
	expect_fail_reason INVALID_OPERATION mirvolctl online mt 1
	dd if="$TEST_TMP/new" of="$vol" bs=1M seek=40 oflag=direct status=none
	op=$(mirvolctl re-add mt 1)
	assert_eq $((1 << 20)) "$(copied "$op")" "bytes copied by re-add"
	plexes_identical mt

	# Offline across a stop and an assembly; speeds stored.
	mirvolctl set mt --sync-speed-min 1500 --sync-speed-max 77000
	mirvolctl offline mt 1
	mirvolctl stop mt
	mirvolctl assemble /dev/ram0 /dev/ram1 >/dev/null || fail "assemble after stop"
	json=$(mirvolctl show mt --json)
	assert_eq offline "$(jq -r '.plexes[1].state' <<<"$json")" "plex 1 after assembly"
	assert_eq 77000 "$(jq .sync_speed_max_kib <<<"$json")" "stored sync_speed_max"
	assert_eq 1500 "$(jq .sync_speed_min_kib <<<"$json")" "stored sync_speed_min"
	# Offline across an incremental assembly, the online member first
	# (udev hands one device at a time): the volume starts without the
	# offline plex, which stays offline (not missing), and online is
	# refused without its device; its device, handed next, is held
	# offline, not resynced over with what was written meanwhile.
	mirvolctl stop mt
	# The offline plex's own superblock records it offline: alone (a
	# boot without the other disk, the last-resort timer's --run) it is
	# not run as the volume, which would lack every write since.
	assert_eq offline "$(mirvolctl examine --json /dev/ram1 |
		jq -r '.slots[.current_slot].superblock.plexes[] | select(.index == 1) | .state')" \
		"plex 1's own superblock"
	expect_fail_reason NO_IN_SYNC_MEMBER mirvolctl assemble --run /dev/ram1
	[ "$(mirvolctl list --json | jq '[.[] | select(.name == "mt")] | length')" = 0 ] ||
		fail "plex 1 alone left a volume: $(mirvolctl list --json)"
	mirvolctl assemble --incremental /dev/ram0 >/dev/null ||
		fail "incremental assemble of ram0"
	json=$(mirvolctl show mt --json)
	assert_eq degraded "$(jq -r .state <<<"$json")" "volume started from ram0"
	assert_eq offline "$(jq -r '.plexes[1].state' <<<"$json")" "absent offline plex"
	assert_eq null "$(jq -r '.plexes[1].device' <<<"$json")" "absent offline plex's device"
	expect_fail_reason OBJECT_NOT_FOUND mirvolctl online mt 1
	dd if="$TEST_TMP/new" of="$vol" bs=1M seek=50 oflag=direct status=none
	mirvolctl assemble --incremental /dev/ram1 >/dev/null ||
		fail "incremental assemble of ram1"
	sleep 2
	json=$(mirvolctl show mt --json)
	assert_eq offline "$(jq -r '.plexes[1].state' <<<"$json")" "offline plex's device handed"
	assert_eq /dev/ram1 "$(jq -r '.plexes[1].device' <<<"$json")" "offline plex's device"
	! cmp -s "$TEST_TMP/new" <(dd if=/dev/ram1 bs=1M iflag=direct,skip_bytes \
				  skip=$((off + (50 << 20))) count=1 status=none) ||
		fail "the offline plex was resynced as its device came"
	op=$(mirvolctl online mt 1)
	copied "$op" >/dev/null
	plexes_identical mt

	# Drop the bitmap: a fail/re-add copies everything; add it back.
	mirvolctl set mt --bitmap none
	assert_eq none "$(mirvolctl show mt --json | jq -r .bitmap)" "bitmap after --bitmap none"
	mirvolctl fail mt 1
	op=$(mirvolctl re-add mt 1)
	assert_eq "$(mirvolctl show mt --json | jq .size_bytes)" "$(copied "$op")" "bytes copied without a bitmap"
	mirvolctl set mt --bitmap internal --region-size 1M
	assert_eq $((1 << 20)) "$(mirvolctl show mt --json | jq .bitmap_region_bytes)" "region after --bitmap internal"

	# Replace plex 1 (ram1) by ram2 under fio verify: sampled while the
	# operation runs, the volume never has fewer than two in-sync plexes,
	# and ram1 stays a member until ram2 is in sync.  ram1 leaves while
	# the operation still runs (its last step), so a sample without ram1
	# must show ram2 active; the samples taken while ram2 was still
	# syncing are counted.
	require fio
	echo 3000 >/sys/block/mirvol0/mirvol/sync_speed_max
	fio --name=rp --filename="$vol" --direct=1 --ioengine=libaio \
	    --rw=randwrite --bs=4k --bsrange=4k-64k --iodepth=8 --size=32M \
	    --verify=crc32c --do_verify=1 --verify_fatal=1 \
	    --output="$TEST_TMP/fio.out" &
	fio_pid=$!
	sleep 1
	op=$(mirvolctl replace mt 1 /dev/ram2)
	samples=0
	while [ "$(mirvolctl op status "$op" --json | jq -r .state)" = running ]; do
		json=$(mirvolctl show mt --json)
		in_sync=$(jq '[.plexes[] | select(.state == "active")] | length' <<<"$json")
		[ "$in_sync" -ge 2 ] || fail "redundancy dropped during replace: $(jq -c '[.plexes[] | [.device, .state]]' <<<"$json")"
		new_state=$(jq -r '[.plexes[] | select(.device == "/dev/ram2") | .state][0]' <<<"$json")
		if ! jq -e '[.plexes[].device] | index("/dev/ram1")' <<<"$json" >/dev/null; then
			[ "$new_state" = active ] ||
				fail "ram1 left before ram2 was in sync: $(jq -c '[.plexes[] | [.device, .state]]' <<<"$json")"
		elif [ "$new_state" != active ]; then
			samples=$((samples + 1))
		fi
		sleep 0.2
	done
	log "replace: $samples samples while ram2 synced, two in-sync plexes in each"
	[ "$samples" -ge 3 ] || fail "replace ended before it could be watched ($samples samples)"
	wait "$fio_pid" || fail "fio failed: $(grep err= "$TEST_TMP/fio.out")"
	grep -q 'err= 0' "$TEST_TMP/fio.out" || fail "fio: $(grep err= "$TEST_TMP/fio.out")"
	echo system >/sys/block/mirvol0/mirvol/sync_speed_max
	json=$(mirvolctl op wait "$op" --json) || fail "replace failed"
	assert_eq replace "$(jq -r .type <<<"$json")" "operation type"
	json=$(mirvolctl show mt --json)
	assert_eq '["active","active"]' "$(jq -c '[.plexes[].state]' <<<"$json")" "after replace"
	assert_eq "/dev/ram0 /dev/ram2" "$(jq -r '[.plexes[].device] | join(" ")' <<<"$json")" "devices after replace"
	plexes_identical mt
	mirvolctl examine /dev/ram1 >/dev/null 2>&1 && fail "ram1 still carries a superblock"
	mirvolctl remove --yes mt
}
