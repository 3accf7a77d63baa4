# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# Break a plex off a 2-plex volume: the new volume is a byte-for-byte
# copy of the old one at the break, with its own device and name, and
# writes after the break do not reach it.

TEST_TIMEOUT=300

run_test() {
	local vol new size json
	require jq cmp
	mk_brd 2 64
	load_mirvol
	vol=$(mirvolctl create --name b2 --wait /dev/ram0 /dev/ram1)
	size=$(blockdev --getsize64 "$vol")
	head -c "$size" /dev/urandom >"$TEST_TMP/data"
	dd if="$TEST_TMP/data" of="$vol" bs=1M oflag=direct status=none
	new=$(mirvolctl break-plex b2 1 --wait)
	[ -b "$new" ] || fail "break-plex --wait printed '$new', not a block device"
	assert_ne "$vol" "$new" "the new volume's device"
	json=$(mirvolctl show "$new" --json)
	assert_eq b2-plex1 "$(jq -r .name <<<"$json")" "default name"
	assert_eq 1 "$(jq '.plexes | length' <<<"$json")" "plexes of the new volume"
	assert_eq /dev/ram1 "$(jq -r '.plexes[0].device' <<<"$json")" "its plex"
	assert_eq "$size" "$(jq .size_bytes <<<"$json")" "its size"
	assert_eq online "$(jq -r .state <<<"$json")" "its state"
	assert_eq 1 "$(mirvolctl show b2 --json | jq '.plexes | length')" "plexes left"
	assert_ne "$(mirvolctl show b2 --json | jq -r .uuid)" "$(jq -r .uuid <<<"$json")" "uuids"
	cmp "$vol" "$new" || fail "the broken-off volume differs from the old one"
	cmp "$TEST_TMP/data" "$new" || fail "the broken-off volume lost data"
	# Point in time: later writes stay on the old volume.
	head -c 4M /dev/urandom | dd of="$vol" bs=1M oflag=direct status=none
	cmp -s "$vol" "$new" && fail "a write after the break reached the new volume"
	cmp "$TEST_TMP/data" "$new" || fail "the new volume changed after the break"
	mirvolctl remove --yes b2
	mirvolctl remove --yes b2-plex1
}
