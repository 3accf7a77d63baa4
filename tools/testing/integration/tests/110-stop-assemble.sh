# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# On-disk metadata without a reboot: examine (--export, --json) reads a
# member's superblock; stop keeps it and assemble brings the volume back
# with its data and a newer generation; the first write marks the volume
# dirty and safe mode marks it clean again; a rename while it waits for
# members lasts; remove erases the metadata.

TEST_TIMEOUT=300

run_test() {
	local vol gen json uuid exp
	require jq cmp
	mk_brd 2 64
	# The write below must still be "dirty" when show reads it: more than
	# the default 1 s on the debug kernel.
	load_mirvol safe_mode_delay_ms=5000
	vol=$(mirvolctl create --name st --wait /dev/ram0 /dev/ram1)
	json=$(mirvolctl show st --json)
	uuid=$(jq -r .uuid <<<"$json")
	assert_eq 1048576 "$(jq '.plexes[0].data_offset_bytes' <<<"$json")" "data offset"
	head -c 16M /dev/urandom >"$TEST_TMP/data"
	dd if="$TEST_TMP/data" of="$vol" bs=1M oflag=direct status=none
	assert_eq true "$(mirvolctl show st --json | jq .dirty)" "dirty after a write"
	assert_eq dirty "$(cat /sys/block/mirvol0/mirvol/array_state)" "sysfs array_state"
	wait_for 20 grep -qx clean /sys/block/mirvol0/mirvol/array_state
	assert_eq false "$(mirvolctl show st --json | jq .dirty)" "clean after safe mode"

	exp=$(mirvolctl examine --export /dev/ram1)
	grep -qx 'ID_FS_TYPE=mirvol_member' <<<"$exp" || fail "examine --export: $exp"
	grep -qx "MIRVOL_UUID=$uuid" <<<"$exp" || fail "examine --export has no MIRVOL_UUID=$uuid"
	grep -qx 'MIRVOL_NAME=st' <<<"$exp" || fail "examine --export has no MIRVOL_NAME"
	grep -qx "MIRVOL_PLEX_UUID=$(jq -r '.plexes[1].uuid' <<<"$json")" <<<"$exp" ||
		fail "examine --export has the wrong MIRVOL_PLEX_UUID"
	grep -q '^MIRVOL_GENERATION=[0-9]' <<<"$exp" || fail "examine --export has no MIRVOL_GENERATION"
	json=$(mirvolctl examine --json /dev/ram0)
	assert_eq 2 "$(jq '.slots | length' <<<"$json")" "slots in examine --json"
	[ "$(jq .current_slot <<<"$json")" != null ] || fail "examine --json: no current slot"

	gen=$(mirvolctl show st --json | jq .generation)
	mirvolctl stop st
	settle
	[ ! -b "$vol" ] || fail "$vol still exists after stop"
	mirvolctl examine /dev/ram0 >/dev/null || fail "stop erased the metadata"
	[ "$(mirvolctl examine --json /dev/ram0 | jq '.slots[.current_slot].superblock.generation')" -gt "$gen" ] ||
		fail "stop did not write a newer generation"
	vol=$(mirvolctl assemble /dev/ram0 /dev/ram1)
	[ -b "$vol" ] || fail "assemble printed '$vol'"
	json=$(mirvolctl show st --json)
	assert_eq "$uuid" "$(jq -r .uuid <<<"$json")" "uuid after assemble"
	assert_eq online "$(jq -r .state <<<"$json")" "state after assemble"
	assert_eq null "$(jq -c .operation <<<"$json")" "no resync after a clean stop"
	cmp -n 16M "$TEST_TMP/data" "$vol" || fail "data lost across stop/assemble"
	# Assembling a member of a running volume again changes nothing.
	mirvolctl assemble /dev/ram0 >/dev/null 2>&1 || true
	assert_eq online "$(mirvolctl show st --json | jq -r .state)" "state"

	# A volume renamed while it waits for members keeps the name it was
	# given: at its start, and on disk.
	mirvolctl stop st
	settle
	mirvolctl assemble --incremental /dev/ram0 >/dev/null
	assert_eq offline "$(mirvolctl show st --json | jq -r .state)" "st waiting for ram1"
	mirvolctl rename st st2
	mirvolctl assemble --incremental /dev/ram1 >/dev/null
	assert_eq online "$(mirvolctl show st2 --json | jq -r .state)" \
		"st2 started (the rename of the waiting volume was undone)"
	assert_eq st2 "$(mirvolctl examine --json /dev/ram1 | jq -r '.slots[.current_slot].superblock.name')" \
		"the name on disk"
	mirvolctl rename st2 st

	mirvolctl remove --yes st
	expect_fail_reason NOT_A_MEMBER mirvolctl examine /dev/ram0
	expect_fail_reason NOT_A_MEMBER mirvolctl examine /dev/ram1
	mirvolctl examine --export /dev/ram0 && fail "examine --export of a non-member succeeded"
	expect_fail_reason NOT_A_MEMBER mirvolctl assemble /dev/ram0
}
