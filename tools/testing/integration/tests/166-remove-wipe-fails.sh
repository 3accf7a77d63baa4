# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# remove and remove-plex erase the superblock of the devices they give
# back.  When that write fails (here plex 1 sits on dm, switched to dm-error
# before the removal), the volume (the plex) is gone all the same, but the
# device keeps its superblock and would be assembled again: the command
# must fail with WIPE_FAILED, the kernel log name the device, the other
# device be erased, and 'mirvolctl wipe' erase the one left once it works.

TEST_TIMEOUT=300
# udev must not assemble the device that kept its superblock.
TEST_UDEV=0

# is_member DEV: DEV carries a valid mirvol superblock.
is_member() {
	mirvolctl examine "$1" >/dev/null 2>&1
}

run_remove() {
	local d1 err rc=0
	log "--- remove"
	d1=$(dm_error_wrap /dev/ram1 rw)
	mirvolctl create --name rw --assume-clean /dev/ram0 "$d1" >/dev/null
	dm_set_error rw
	err=$(mirvolctl remove --yes rw 2>&1 >/dev/null) || rc=$?
	log "remove: exit $rc: $err"
	assert_eq 1 "$rc" "remove's exit status"
	[[ $err == "mirvolctl: remove: volume rw removed, but a device keeps its mirvol metadata"*"(WIPE_FAILED)" ]] ||
		fail "remove's error line: $err"
	dmesg | grep -q "mirvol: rw: dm-[0-9]* keeps its superblock: erasing it failed" ||
		fail "the kernel log does not name the device"
	! mirvolctl show rw >/dev/null 2>&1 || fail "volume rw is still there"
	! is_member /dev/ram0 || fail "ram0 keeps its superblock"
	dm_set_linear rw
	is_member "$d1" || fail "$d1 lost its superblock though its erase failed"
	mirvolctl wipe "$d1" >/dev/null
	! is_member "$d1" || fail "wipe left the superblock on $d1"
	_dmsetup remove rw
}

run_remove_plex() {
	local d1 err rc=0
	log "--- remove-plex"
	d1=$(dm_error_wrap /dev/ram1 rp)
	mirvolctl create --name rp --assume-clean /dev/ram0 "$d1" >/dev/null
	dm_set_error rp
	err=$(mirvolctl remove-plex --wait rp 1 2>&1 >/dev/null) || rc=$?
	log "remove-plex: exit $rc: $err"
	assert_eq 1 "$rc" "remove-plex's exit status"
	[[ $err == *"(WIPE_FAILED)" ]] || fail "remove-plex's error line: $err"
	dmesg | grep -q "mirvol: rp: removed plex dm-[0-9]* keeps its superblock" ||
		fail "the kernel log does not name the device"
	assert_eq 1 "$(mirvolctl show rp --json | jq '.plexes | length')" \
		"plexes left in rp"
	dm_set_linear rp
	is_member "$d1" || fail "$d1 lost its superblock though its erase failed"
	mirvolctl wipe "$d1" >/dev/null
	mirvolctl remove --yes rp
	! is_member /dev/ram0 || fail "ram0 keeps its superblock"
	_dmsetup remove rp
}

run_test() {
	require jq
	mk_brd 2 40
	run_remove
	run_remove_plex
}

cleanup() {
	mirvolctl remove --yes rw 2>/dev/null
	mirvolctl remove --yes rp 2>/dev/null
	_dmsetup remove rw 2>/dev/null
	_dmsetup remove rp 2>/dev/null
	true
}
