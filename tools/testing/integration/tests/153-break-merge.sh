# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# break-plex --track-changes and merge-plex: both volumes record each
# other as split peers (in their superblocks: they survive a stop and an
# assembly) and keep every region written after the split; merge-plex
# brings the broken-off plex back copying exactly the regions written on
# either side, the target's data wins, the plexes end identical, and the
# source volume is gone.  The refusals: no bitmap, a second tracked split,
# volumes not split from each other (said first, even of an open one), an
# open source, a forgotten split.  A broken-off volume removed, or added
# to a volume with add-plex --from-volume, is forgotten by its peer.

TEST_TIMEOUT=600
# The test assembles by itself.
TEST_UDEV=0

# dirty_zero VOL: wait until the idle volume's bits are cleared.
dirty_zero() {
	wait_for 30 sh -c "$MIRVOLCTL show $1 --json | jq -e '.bitmap_dirty_regions == 0'" ||
		fail "$1 kept $($MIRVOLCTL show "$1" --json | jq .bitmap_dirty_regions) dirty regions while idle"
}

run_test() {
	local vol bvol json size region op total want exp
	require jq cmp
	mk_brd 5 72
	load_mirvol
	head -c 64M /dev/urandom >"$TEST_TMP/data"
	head -c 1M /dev/urandom >"$TEST_TMP/a"
	head -c 1M /dev/urandom >"$TEST_TMP/b"

	# No bitmap: nothing to track with.
	mirvolctl create --name nb --bitmap none --wait /dev/ram3 /dev/ram4 >/dev/null
	expect_fail_reason NO_BITMAP mirvolctl break-plex --track-changes nb 1
	mirvolctl remove --yes nb

	vol=$(mirvolctl create --name mg --wait /dev/ram0 /dev/ram1 /dev/ram2)
	json=$(mirvolctl show mg --json)
	size=$(jq .size_bytes <<<"$json")
	region=$(jq .bitmap_region_bytes <<<"$json")
	dd if="$TEST_TMP/data" of="$vol" bs=1M oflag=direct status=none
	dirty_zero mg

	op=$(mirvolctl break-plex --track-changes --name mg-b mg 2)
	json=$(mirvolctl op wait "$op" --json) || fail "break --track-changes failed"
	bvol=$(mirvolctl show mg-b --json | jq -r .device)
	assert_eq "$(mirvolctl show mg-b --json | jq -r .uuid)" \
		"$(mirvolctl show mg --json | jq -r .split_peer)" "mg's split peer"
	assert_eq "$(mirvolctl show mg --json | jq -r .uuid)" \
		"$(mirvolctl show mg-b --json | jq -r .split_peer)" "mg-b's split peer"
	# One tracked split per volume.
	expect_fail_reason SPLIT_TRACKED mirvolctl break-plex --track-changes mg 1

	# 1 MiB at 10 MiB on mg, 1 MiB at 30 MiB on mg-b, 4 KiB at 50 MiB on
	# both: 16 + 16 + 1 regions of 64 KiB changed since the split.
	dd if="$TEST_TMP/a" of="$vol" bs=1M seek=10 oflag=direct status=none
	dd if="$TEST_TMP/b" of="$bvol" bs=1M seek=30 oflag=direct status=none
	dd if="$TEST_TMP/a" of="$vol" bs=4k count=1 seek=$((50 << 8)) oflag=direct status=none
	dd if="$TEST_TMP/b" of="$bvol" bs=4k count=1 seek=$((50 << 8)) oflag=direct status=none
	# Tracked: the bits stay however idle the volumes are.
	sleep 5
	assert_eq 17 "$(mirvolctl show mg --json | jq .bitmap_dirty_regions)" "mg's change map"
	assert_eq 17 "$(mirvolctl show mg-b --json | jq .bitmap_dirty_regions)" "mg-b's change map"
	# What mg holds now is what the merged volume must hold.
	dd if="$vol" bs=1M iflag=direct status=none count=$((size >> 20)) >"$TEST_TMP/expect"

	# The split survives a stop and an assembly of both.
	mirvolctl stop mg
	mirvolctl stop mg-b
	mirvolctl assemble /dev/ram0 /dev/ram1 >/dev/null || fail "assemble mg"
	mirvolctl assemble /dev/ram2 >/dev/null || fail "assemble mg-b"
	assert_eq "$(mirvolctl show mg-b --json | jq -r .uuid)" \
		"$(mirvolctl show mg --json | jq -r .split_peer)" "mg's split peer after assembly"
	vol=$(mirvolctl show mg --json | jq -r .device)
	bvol=$(mirvolctl show mg-b --json | jq -r .device)

	# Refusals: not a pair; the source open.
	mirvolctl create --name other --wait /dev/ram3 >/dev/null
	expect_fail_reason NOT_SPLIT_PAIR mirvolctl merge-plex mg other
	exec 7<"$(mirvolctl show other --json | jq -r .device)"
	expect_fail_reason NOT_SPLIT_PAIR mirvolctl merge-plex mg other
	exec 7<&-
	exec 7<"$bvol"
	expect_fail_reason DEVICE_BUSY mirvolctl merge-plex mg mg-b
	exec 7<&-
	mirvolctl show mg-b >/dev/null || fail "a refused merge took mg-b away"

	op=$(mirvolctl merge-plex mg mg-b)
	json=$(mirvolctl op wait "$op" --json) || fail "merge-plex failed: $(jq -c . <<<"$json")"
	assert_eq merge-plex "$(jq -r .type <<<"$json")" "operation type"
	assert_eq succeeded "$(jq -r .state <<<"$json")" "merge state"
	total=$(jq .total_bytes <<<"$json")
	want=$((33 * region))
	log "merge copied $total bytes of $size ($((total * 1000 / size))‰); the changed regions: $want"
	assert_eq "$want" "$total" "bytes copied by the merge"
	assert_eq "$total" "$(jq .done_bytes <<<"$json")" "done_bytes"
	mirvolctl show mg-b >/dev/null 2>&1 && fail "mg-b still exists after the merge"
	json=$(mirvolctl show mg --json)
	assert_eq '["active","active","active"]' "$(jq -c '[.plexes[].state]' <<<"$json")" "plexes after the merge"
	assert_eq null "$(jq -r .split_peer <<<"$json")" "split peer after the merge"
	plexes_identical mg
	cmp "$TEST_TMP/expect" <(dd if="$vol" bs=1M iflag=direct status=none count=$((size >> 20))) ||
		fail "the merged volume does not hold mg's data"
	# Tracking over: the bits clear again.
	dirty_zero mg

	# A forgotten split cannot be merged.
	op=$(mirvolctl break-plex --track-changes --name mg-c mg 2)
	mirvolctl op wait "$op" >/dev/null || fail "second break failed"
	mirvolctl set mg --forget-split
	assert_eq null "$(mirvolctl show mg --json | jq -r .split_peer)" "split peer after --forget-split"
	expect_fail_reason NOT_SPLIT_PAIR mirvolctl set mg --forget-split
	expect_fail_reason NOT_SPLIT_PAIR mirvolctl merge-plex mg mg-c
	dirty_zero mg
	mirvolctl remove --yes mg-c
	mirvolctl remove --yes other

	# A broken-off volume removed can never come back: mg forgets it
	# (in its superblocks too), clears its bits and may track anew.
	op=$(mirvolctl break-plex --track-changes --name mg-d mg 1)
	mirvolctl op wait "$op" >/dev/null || fail "third break failed"
	assert_eq "$(mirvolctl show mg-d --json | jq -r .uuid)" \
		"$(mirvolctl show mg --json | jq -r .split_peer)" "mg's split peer before mg-d's removal"
	mirvolctl remove --yes mg-d
	assert_eq null "$(mirvolctl show mg --json | jq -r .split_peer)" "split peer after its removal"
	dirty_zero mg
	mirvolctl stop mg
	mirvolctl assemble /dev/ram0 >/dev/null || fail "assemble mg after mg-d's removal"
	assert_eq null "$(mirvolctl show mg --json | jq -r .split_peer)" "split peer after an assembly"

	# Nor can one whose plexes joined a volume (a full copy).
	mirvolctl add-plex mg /dev/ram1 --wait >/dev/null || fail "add-plex mg ram1"
	op=$(mirvolctl break-plex --track-changes --name mg-e mg 1)
	mirvolctl op wait "$op" >/dev/null || fail "fourth break failed"
	mirvolctl add-plex mg --from-volume mg-e --wait >/dev/null ||
		fail "add-plex --from-volume mg-e"
	assert_eq null "$(mirvolctl show mg --json | jq -r .split_peer)" "split peer after add-plex --from-volume"
	dirty_zero mg
	mirvolctl remove --yes mg
}
