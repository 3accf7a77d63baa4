# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# add-plex of a device smaller than the volume is refused (SOURCE_TOO_SMALL)
# and changes nothing; a larger one is accepted and the size is unchanged.
# A device smaller than the metadata area itself is refused too
# (DEVICE_TOO_SMALL): its size less the metadata must not wrap around into
# a huge number that passes the size check (issue 10).

TEST_TIMEOUT=300

run_test() {
	local size json tiny
	require jq losetup
	mk_brd 1 48
	mk_nullb small 32
	mk_nullb large 96
	load_mirvol
	mirvolctl create --name sz --wait /dev/ram0 >/dev/null
	size=$(mirvolctl show sz --json | jq .size_bytes)
	expect_fail_reason SOURCE_TOO_SMALL mirvolctl add-plex sz /dev/small
	assert_eq 1 "$(mirvolctl show sz --json | jq '.plexes | length')" "plexes after the refusal"
	# The refused device got no superblock.
	expect_fail_reason NOT_A_MEMBER mirvolctl examine /dev/small
	truncate -s 512K "$TEST_TMP/tiny"
	modprobe loop
	tiny=$(losetup -f --show "$TEST_TMP/tiny")
	expect_fail_reason DEVICE_TOO_SMALL mirvolctl add-plex sz "$tiny"
	assert_eq 1 "$(mirvolctl show sz --json | jq '.plexes | length')" "plexes after the tiny device"
	losetup -d "$tiny"
	mirvolctl add-plex sz /dev/large --wait >/dev/null
	json=$(mirvolctl show sz --json)
	assert_eq 2 "$(jq '.plexes | length' <<<"$json")" "plexes"
	assert_eq "$size" "$(jq .size_bytes <<<"$json")" "size after adding a larger plex"
	assert_eq "$size" "$(blockdev --getsize64 /dev/mirvol0)" "block device size"
	assert_eq '["active","active"]' "$(jq -c '[.plexes[].state]' <<<"$json")" "states"
	mirvolctl remove --yes sz
	rm_nullb small
	rm_nullb large
}
