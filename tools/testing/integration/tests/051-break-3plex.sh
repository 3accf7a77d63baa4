# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# Break a plex, chosen by its device path and given a name, off a 3-plex
# volume: the new volume equals the old one byte for byte; the old keeps
# two in-sync plexes; the operation reports the new volume's UUID.

TEST_TIMEOUT=300

run_test() {
	local vol new op json
	require jq cmp
	mk_brd 3 64
	load_mirvol
	vol=$(mirvolctl create --name b3 --wait /dev/ram0 /dev/ram1 /dev/ram2)
	dd if=/dev/urandom of="$vol" bs=1M count=40 oflag=direct status=none
	op=$(mirvolctl break-plex b3 /dev/ram2 --name snap)
	[[ $op =~ ^[0-9]+$ ]] || fail "break-plex without --wait printed '$op', not an operation id"
	mirvolctl op wait "$op" >/dev/null
	json=$(mirvolctl op status "$op" --json)
	assert_eq break-plex "$(jq -r .type <<<"$json")" "op type"
	assert_eq succeeded "$(jq -r .state <<<"$json")" "op state"
	assert_eq null "$(jq -r .reason <<<"$json")" "op reason"
	assert_eq "$(mirvolctl show snap --json | jq -r .uuid)" "$(jq -r '.outputs[0]' <<<"$json")" "op output"
	new=$(mirvolctl show snap --json | jq -r .device)
	cmp "$vol" "$new" || fail "snap differs from b3"
	json=$(mirvolctl show b3 --json)
	assert_eq '["active","active"]' "$(jq -c '[.plexes[].state]' <<<"$json")" "b3's plexes"
	assert_eq online "$(jq -r .state <<<"$json")" "b3's state"
	mirvolctl remove --yes b3
	mirvolctl remove --yes snap
}
