# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# An interrupted resync resumes: a throttled add-plex is stopped with the
# volume half-way (a clean stop records the checkpoint); assembled again,
# the resync continues from the checkpoint instead of from the start, and
# ends with identical plexes.

TEST_TIMEOUT=400

run_test() {
	local vol op json pct off size
	require jq cmp
	mk_brd 3 96
	load_mirvol
	vol=$(mirvolctl create --name rs --wait /dev/ram0 /dev/ram1)
	dd if=/dev/urandom of="$vol" bs=1M count=90 oflag=direct status=none
	# Stored, so that the resync resumed by the assembly is throttled
	# too: at full speed it may end before 'show' looks.
	mirvolctl set rs --sync-speed-max 8000
	op=$(mirvolctl add-plex rs /dev/ram2)
	wait_for 60 sh -c "[ \$($MIRVOLCTL op status $op --json | jq .percent) -ge 25 ]"
	mirvolctl stop rs
	pct=$(mirvolctl op status "$op" --json | jq -r .reason)
	assert_eq OBJECT_DELETED "$pct" "the add-plex operation's end"
	json=$(mirvolctl examine --json /dev/ram2)
	log "checkpoint on ram2: $(jq -c '.slots[.current_slot].superblock.plexes' <<<"$json")"
	vol=$(mirvolctl assemble --run /dev/ram0 /dev/ram1 /dev/ram2)
	json=$(mirvolctl show rs --json)
	assert_eq syncing "$(jq -r '.plexes[2].state' <<<"$json")" "plex 2 after assemble"
	pct=$(jq '.plexes[2].sync_percent' <<<"$json")
	[ "$pct" -ge 20 ] || fail "the resync restarted from $pct %, not from the checkpoint"
	mirvolctl set rs --sync-speed-max default
	op=$(jq .operation.id <<<"$json")
	[ "$op" != null ] || fail "no resync operation after assemble"
	assert_eq resync "$(jq -r .operation.type <<<"$json")" "operation type"
	mirvolctl op wait "$op" >/dev/null
	json=$(mirvolctl show rs --json)
	assert_eq '["active","active","active"]' "$(jq -c '[.plexes[].state]' <<<"$json")" "states"
	off=$(jq '.plexes[2].data_offset_bytes' <<<"$json")
	size=$(jq .size_bytes <<<"$json")
	cmp -n "$size" -i "$off:$off" /dev/ram0 /dev/ram2 || fail "plex 2 differs after the resumed resync"
	mirvolctl remove --yes rs
}
