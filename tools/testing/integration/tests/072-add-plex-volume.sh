# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# add-plex --from-volume: a 2-plex volume joins a 2-plex volume; the
# target has 4 plexes, all in sync with its data; the source is gone from
# the list and from /dev.

TEST_TIMEOUT=300

run_test() {
	local vol src json off size i
	require jq cmp
	mk_brd 4 64
	load_mirvol
	vol=$(mirvolctl create --name tgt --wait /dev/ram0 /dev/ram1)
	src=$(mirvolctl create --name src --wait /dev/ram2 /dev/ram3)
	dd if=/dev/urandom of="$vol" bs=1M count=60 oflag=direct status=none
	dd if=/dev/urandom of="$src" bs=1M count=60 oflag=direct status=none
	mirvolctl add-plex tgt --from-volume src --wait >/dev/null
	settle
	[ ! -b "$src" ] || fail "$src still exists"
	mirvolctl list --json | jq -e 'map(select(.name == "src")) | length == 0' >/dev/null ||
		fail "src is still listed"
	expect_fail_reason OBJECT_NOT_FOUND mirvolctl show src
	json=$(mirvolctl show tgt --json)
	assert_eq 4 "$(jq '.plexes | length' <<<"$json")" "plexes"
	assert_eq '["active","active","active","active"]' "$(jq -c '[.plexes[].state]' <<<"$json")" "states"
	assert_eq '["/dev/ram0","/dev/ram1","/dev/ram2","/dev/ram3"]' \
		"$(jq -c '[.plexes[].device] | sort' <<<"$json")" "plex devices"
	off=$(jq '.plexes[0].data_offset_bytes' <<<"$json")
	size=$(jq .size_bytes <<<"$json")
	for i in 1 2 3; do
		cmp -n "$size" -i "$off:$off" /dev/ram0 "/dev/ram$i" || fail "plex on ram$i differs"
	done
	mirvolctl remove --yes tgt
}
