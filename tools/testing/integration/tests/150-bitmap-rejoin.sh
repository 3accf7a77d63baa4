# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# A plex that goes missing for a while and comes back copies only the
# regions written without it (write-intent bitmap), not the whole volume:
# the resync's total is the written regions, the plexes end identical and
# the returning plex holds the data written while it was gone.  A volume
# created with --bitmap none copies everything.  A failed plex is not
# taken back by itself (its device's return is refused, assembly keeps
# it failed); re-add copies what it missed.  A plex that went missing
# while an add-plex copied it copies everything when assembled again.

TEST_TIMEOUT=600
# The test triggers the rejoin itself.
TEST_UDEV=0

# rejoin_total VOL DEV OP: bring DEV back into VOL by incremental
# assembly, as udev would; OP is the id its resync gets (operation ids
# count up from 1 after the module is loaded, and this test starts no
# other).  Prints the bytes the resync copied.
rejoin_total() {
	local json
	mirvolctl assemble --incremental "$2" >/dev/null ||
		fail "$2 does not rejoin $1"
	json=$(mirvolctl op wait "$3" --json) || fail "no resync $3 after the rejoin of $2"
	assert_eq resync "$(jq -r .type <<<"$json")" "operation $3"
	assert_eq succeeded "$(jq -r .state <<<"$json")" "resync state"
	jq .total_bytes <<<"$json"
}

# back_missing VOL: power the null_blk plex 1 off and wait for it to be
# missing.
back_missing() {
	echo 0 >/sys/kernel/config/nullb/back/power
	wait_for 10 sh -c "$MIRVOLCTL show $1 --json | jq -e '.plexes[1].state == \"missing\"'"
}

back_power_on() {
	echo 1 >/sys/kernel/config/nullb/back/power
	wait_for 10 test -b /dev/back
}

run_test() {
	local vol json total region op
	require jq cmp
	mk_brd 1 72
	mk_nullb back 72
	load_mirvol
	head -c 64M /dev/urandom >"$TEST_TMP/data"
	head -c 1M /dev/urandom >"$TEST_TMP/new"

	vol=$(mirvolctl create --name bm --wait /dev/ram0 /dev/back)
	json=$(mirvolctl show bm --json)
	region=$(jq .bitmap_region_bytes <<<"$json")
	assert_eq 65536 "$region" "default region of a 72 MiB volume"
	dd if="$TEST_TMP/data" of="$vol" bs=1M oflag=direct status=none
	# Idle: its bits are cleared (a plex leaving now misses nothing).
	wait_for 30 sh -c "$MIRVOLCTL show bm --json | jq -e '.bitmap_dirty_regions == 0'"

	# Gone; 1 MiB written at 10 MiB (16 regions); back by itself.
	back_missing bm
	dd if="$TEST_TMP/new" of="$vol" bs=1M seek=10 oflag=direct status=none
	json=$(mirvolctl show bm --json)
	[ "$(jq .bitmap_dirty_regions <<<"$json")" -ge 16 ] ||
		fail "$(jq .bitmap_dirty_regions <<<"$json") dirty regions after writing 16 without a plex"
	back_power_on
	total=$(rejoin_total bm /dev/back 2)
	log "the rejoin copied $total bytes"
	# 1 MiB written: its 16 regions exactly (the fill's were cleared).
	assert_eq $((1 << 20)) "$total" "bytes copied by the rejoin"
	assert_eq '["active","active"]' "$(mirvolctl show bm --json | jq -c '[.plexes[].state]')" "plex states"
	plexes_identical bm
	cmp -n 1M "$TEST_TMP/new" <(dd if=/dev/back bs=1M iflag=direct skip=11 count=1 status=none) ||
		fail "the returning plex does not hold what was written without it"
	# Idle: the bits are cleared again.
	wait_for 30 sh -c "$MIRVOLCTL show bm --json | jq -e '.bitmap_dirty_regions == 0'"

	# Again, back by re-add with its device: 2 MiB at 30 MiB.
	back_missing bm
	dd if="$TEST_TMP/data" of="$vol" bs=1M count=2 seek=30 oflag=direct status=none
	back_power_on
	op=$(mirvolctl re-add bm 1 /dev/back)
	json=$(mirvolctl op wait "$op" --json) || fail "the re-add's resync failed"
	assert_eq $((2 << 20)) "$(jq .total_bytes <<<"$json")" "bytes copied by re-add"
	plexes_identical bm
	wait_for 30 sh -c "$MIRVOLCTL show bm --json | jq -e '.bitmap_dirty_regions == 0'"

	# A failed plex is not taken back by itself: its device goes and
	# returns, it stays failed and the rejoin is refused; re-add with the
	# device copies what it missed (1 MiB at 40 MiB).
	mirvolctl fail bm 1
	echo 0 >/sys/kernel/config/nullb/back/power
	wait_for 10 sh -c "$MIRVOLCTL show bm --json | jq -e '.plexes[1].device == null'"
	assert_eq failed "$(mirvolctl show bm --json | jq -r '.plexes[1].state')" "failed plex whose device went"
	dd if="$TEST_TMP/new" of="$vol" bs=1M seek=40 oflag=direct status=none
	back_power_on
	expect_fail_reason PLEX_FAILED mirvolctl assemble --incremental /dev/back
	assert_eq failed "$(mirvolctl show bm --json | jq -r '.plexes[1].state')" "failed plex after its return"
	op=$(mirvolctl re-add bm 1 /dev/back)
	json=$(mirvolctl op wait "$op" --json) || fail "the re-add of the failed plex failed"
	assert_eq $((1 << 20)) "$(jq .total_bytes <<<"$json")" "bytes copied by re-add of a failed plex"
	plexes_identical bm
	wait_for 30 sh -c "$MIRVOLCTL show bm --json | jq -e '.bitmap_dirty_regions == 0'"
	# Failed across a stop: assembly holds it failed, re-add copies.
	mirvolctl fail bm 1
	dd if="$TEST_TMP/new" of="$vol" bs=1M seek=50 oflag=direct status=none
	mirvolctl stop bm
	mirvolctl assemble /dev/ram0 /dev/back >/dev/null || fail "assemble with a failed member"
	json=$(mirvolctl show bm --json)
	assert_eq '["active","failed"]' "$(jq -c '[.plexes[].state]' <<<"$json")" "plexes after assembly"
	assert_eq null "$(jq -r .operation <<<"$json")" "an operation after assembly"
	op=$(mirvolctl re-add bm 1)
	json=$(mirvolctl op wait "$op" --json) || fail "the re-add after assembly failed"
	assert_eq $((1 << 20)) "$(jq .total_bytes <<<"$json")" "bytes copied by re-add after assembly"
	plexes_identical bm
	# Away while nothing was written: its rejoin copies nothing, and
	# says so (the landed code reported the volume's size).  Operation 6.
	wait_for 30 sh -c "$MIRVOLCTL show bm --json | jq -e '.bitmap_dirty_regions == 0'"
	back_missing bm
	back_power_on
	assert_eq 0 "$(rejoin_total bm /dev/back 6)" "bytes copied by a rejoin with nothing written"
	plexes_identical bm
	mirvolctl remove --yes bm

	# Without a bitmap: everything.  Operations 7 (the initial resync)
	# and 8.
	vol=$(mirvolctl create --name nobm --bitmap none --wait /dev/ram0 /dev/back)
	assert_eq none "$(mirvolctl show nobm --json | jq -r .bitmap)" "bitmap of --bitmap none"
	back_missing nobm
	dd if="$TEST_TMP/new" of="$vol" bs=1M seek=10 oflag=direct status=none
	back_power_on
	total=$(rejoin_total nobm /dev/back 8)
	assert_eq "$(mirvolctl show nobm --json | jq .size_bytes)" "$total" "bytes copied without a bitmap"
	plexes_identical nobm
	mirvolctl remove --yes nobm

	# A plex that goes missing while an add-plex copies it holds the
	# data below its checkpoint only: the bitmap, clean since before the
	# add, says nothing of the rest.  Assembled again (as after a
	# reboot), it copies everything; taken for a bitmap target, it kept
	# nobm's data past the add's checkpoint.
	vol=$(mirvolctl create --name sy --wait /dev/ram0)
	dd if=/dev/urandom of="$vol" bs=1M count=16 oflag=direct status=none
	wait_for 30 sh -c "$MIRVOLCTL show sy --json | jq -e '.bitmap_dirty_regions == 0'"
	mirvolctl set sy --sync-speed-min 1000 --sync-speed-max 1000
	op=$(mirvolctl add-plex sy /dev/back)
	wait_for 30 sh -c "[ \$($MIRVOLCTL op status $op --json | jq .percent) -ge 1 ]"
	back_missing sy
	mirvolctl op wait "$op" >/dev/null 2>&1 || true
	mirvolctl set sy --sync-speed-min default --sync-speed-max default
	mirvolctl stop sy
	back_power_on
	mirvolctl assemble /dev/ram0 /dev/back >/dev/null || fail "assemble sy"
	assert_eq false "$(mirvolctl show sy --json | jq '.plexes[1].bitmap_sync')" \
		"the plex that went missing while syncing copies by the bitmap"
	wait_for 60 sh -c "$MIRVOLCTL show sy --json | jq -e '[.plexes[].state] == [\"active\",\"active\"]'"
	plexes_identical sy
	mirvolctl remove --yes sy
	rm_nullb back
}
