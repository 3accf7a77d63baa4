# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# A plex that goes missing for a while and comes back copies only the
# regions written without it (write-intent bitmap), not the whole volume:
# the resync's total is the written regions, the plexes end identical and
# the returning plex holds the data written while it was gone.  A volume
# created with --bitmap none copies everything, and so does a plex that
# failed for a write error.

TEST_TIMEOUT=600
# The test triggers the rejoin itself.
TEST_UDEV=0

# rejoin_total VOL DEV: bring DEV back into VOL, wait for the resync and
# print the bytes it copied.
rejoin_total() {
	local json op
	mirvolctl assemble --incremental "$2" >/dev/null ||
		fail "$2 does not rejoin $1"
	json=$(mirvolctl show "$1" --json)
	op=$(jq -r '.operation.id' <<<"$json")
	case $op in 0|null) fail "no resync after the rejoin of $2" ;; esac
	json=$(mirvolctl op wait "$op" --json) || fail "the resync after the rejoin failed"
	assert_eq succeeded "$(jq -r .state <<<"$json")" "resync state"
	jq .total_bytes <<<"$json"
}

run_test() {
	local vol json total region
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

	# Gone; 1 MiB written at 10 MiB (16 regions); back.
	echo 0 >/sys/kernel/config/nullb/back/power
	wait_for 10 sh -c "$MIRVOLCTL show bm --json | jq -e '.plexes[1].state == \"missing\"'"
	dd if="$TEST_TMP/new" of="$vol" bs=1M seek=10 oflag=direct status=none
	json=$(mirvolctl show bm --json)
	[ "$(jq .bitmap_dirty_regions <<<"$json")" -ge 16 ] ||
		fail "$(jq .bitmap_dirty_regions <<<"$json") dirty regions after writing 16 without a plex"
	echo 1 >/sys/kernel/config/nullb/back/power
	wait_for 10 test -b /dev/back
	total=$(rejoin_total bm /dev/back)
	log "the rejoin copied $total bytes"
	# 1 MiB written: its 16 regions, and a few written just before.
	[ "$total" -ge $((1 << 20)) ] || fail "the rejoin copied $total bytes, less than was written"
	[ "$total" -le $((2 << 20)) ] || fail "the rejoin copied $total bytes for 1 MiB written"
	assert_eq '["active","active"]' "$(mirvolctl show bm --json | jq -c '[.plexes[].state]')" "plex states"
	plexes_identical bm
	cmp -n 1M "$TEST_TMP/new" <(dd if=/dev/back bs=1M iflag=direct skip=11 count=1 status=none) ||
		fail "the returning plex does not hold what was written without it"
	# Idle: the bits are cleared again.
	wait_for 30 sh -c "$MIRVOLCTL show bm --json | jq -e '.bitmap_dirty_regions == 0'"
	mirvolctl remove --yes bm

	# Without a bitmap: everything.
	vol=$(mirvolctl create --name nobm --bitmap none --wait /dev/ram0 /dev/back)
	assert_eq none "$(mirvolctl show nobm --json | jq -r .bitmap)" "bitmap of --bitmap none"
	echo 0 >/sys/kernel/config/nullb/back/power
	wait_for 10 sh -c "$MIRVOLCTL show nobm --json | jq -e '.plexes[1].state == \"missing\"'"
	dd if="$TEST_TMP/new" of="$vol" bs=1M seek=10 oflag=direct status=none
	echo 1 >/sys/kernel/config/nullb/back/power
	wait_for 10 test -b /dev/back
	total=$(rejoin_total nobm /dev/back)
	assert_eq "$(mirvolctl show nobm --json | jq .size_bytes)" "$total" "bytes copied without a bitmap"
	plexes_identical nobm
	mirvolctl remove --yes nobm
	rm_nullb back
}
