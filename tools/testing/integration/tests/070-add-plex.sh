# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# add-plex of a block device: the operation resyncs the new plex and
# reports it; afterwards every plex's data region is identical.

TEST_TIMEOUT=300

run_test() {
	local vol op json off size
	require jq cmp
	mk_brd 3 64
	load_mirvol
	vol=$(mirvolctl create --name add --wait /dev/ram0 /dev/ram1)
	dd if=/dev/urandom of="$vol" bs=1M count=60 oflag=direct status=none
	# Garbage on the device to add: it must all be overwritten.
	dd if=/dev/urandom of=/dev/ram2 bs=1M count=64 oflag=direct status=none
	op=$(mirvolctl add-plex add /dev/ram2)
	[[ $op =~ ^[0-9]+$ ]] || fail "add-plex printed '$op', not an operation id"
	mirvolctl op wait "$op" >/dev/null
	json=$(mirvolctl op status "$op" --json)
	assert_eq add-plex "$(jq -r .type <<<"$json")" "op type"
	assert_eq succeeded "$(jq -r .state <<<"$json")" "op state"
	assert_eq 100 "$(jq .percent <<<"$json")" "op percent"
	json=$(mirvolctl show add --json)
	assert_eq "$(jq -r '.plexes[2].uuid' <<<"$json")" "$(mirvolctl op status "$op" --json | jq -r '.outputs[0]')" "op output"
	assert_eq '["active","active","active"]' "$(jq -c '[.plexes[].state]' <<<"$json")" "plex states"
	assert_eq '[100,100,100]' "$(jq -c '[.plexes[].sync_percent]' <<<"$json")" "sync percent"
	assert_eq null "$(jq -c .operation <<<"$json")" "operation after the end"
	off=$(jq '.plexes[2].data_offset_bytes' <<<"$json")
	size=$(jq .size_bytes <<<"$json")
	cmp -n "$size" -i "$off:$off" /dev/ram0 /dev/ram2 || fail "plex 2 differs from plex 0"
	cmp -n "$size" -i "$off:$off" /dev/ram1 /dev/ram2 || fail "plex 2 differs from plex 1"
	mirvolctl remove --yes add
}
