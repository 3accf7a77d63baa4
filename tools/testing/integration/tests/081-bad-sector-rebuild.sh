# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# Rebuilding onto a new plex when the only copy has an unreadable range
# (8 sectors, written before they went bad): the resync stops with
# SOURCE_READ_ERROR and names the range in bytes; the volume stays up,
# its plex active, every readable byte reads back right and the bad range
# gives EIO.  Then "resync --force" copies around the range: it completes,
# reports 4096 lost bytes, the range reads as zeros, the plexes are
# identical and check finds nothing.
#
# The source is a dm-integrity device with damaged blocks (mk_remap): a
# read of them fails, a write makes them good, as a disk remaps a pending
# sector.  null_blk's bad blocks would fail the forced zeros too.

TEST_TIMEOUT=400

# read_range VOL OFFSET LEN: LEN bytes of the volume at OFFSET (O_DIRECT).
read_range() {
	dd if="$1" bs=4096 iflag=direct,skip_bytes,count_bytes skip="$2" \
	   count="$3" status=none
}

# readable_ok VOL: everything but the bad range reads back as written.
readable_ok() {
	cmp <(read_range "$1" 0 "$bad") <(head -c "$bad" "$TEST_TMP/data") ||
		fail "$1: the data before the bad range reads back wrong"
	cmp <(read_range "$1" $((bad + 4096)) $((size - bad - 4096))) \
	    <(tail -c +$((bad + 4097)) "$TEST_TMP/data") ||
		fail "$1: the data after the bad range reads back wrong"
}

run_test() {
	local src vol json op err
	require jq cmp
	mk_brd 2 64
	load_mirvol
	src=$(mk_remap /dev/ram0 src)
	vol=$(mirvolctl create --name rb --assume-clean "$src")
	size=$(mirvolctl show rb --json | jq .size_bytes)
	head -c "$size" /dev/urandom >"$TEST_TMP/data"
	dd if="$TEST_TMP/data" of="$vol" bs=1M oflag=direct status=none
	# 8 sectors at 8 MiB + 12 KiB of the volume go bad.
	bad=$((8 * 1048576 + 12288))
	remap_damage src $(($(mirvolctl show rb --json | jq '.plexes[0].data_offset_bytes') + bad)) 4096
	assert_fails read_range "$vol" "$bad" 4096 >/dev/null
	readable_ok "$vol"

	# The new plex cannot be built: the range is named.
	err=$(mirvolctl add-plex rb /dev/ram1 --wait 2>&1 >/dev/null) && fail "add-plex succeeded over an unreadable range"
	[[ $err == *"(SOURCE_READ_ERROR)" ]] || fail "add-plex did not stop with SOURCE_READ_ERROR: $err"
	[[ $err == *"4096 bytes at offset $bad "* ]] || fail "add-plex does not name the range ($bad, 4096 bytes): $err"
	op=$(grep -o 'operation [0-9]*' <<<"$err" | head -n 1 | cut -d' ' -f2)
	json=$(mirvolctl op status "$op" --json)
	assert_eq failed "$(jq -r .state <<<"$json")" "add-plex state"
	assert_eq "$bad 4096" "$(jq -r '"\(.bad_offset_bytes) \(.bad_bytes)"' <<<"$json")" "the op's unreadable range"
	# The volume is up, its plex active; the new one waits.
	json=$(mirvolctl show rb --json)
	assert_eq degraded "$(jq -r .state <<<"$json")" "volume state"
	assert_eq '["active","syncing"]' "$(jq -c '[.plexes[].state]' <<<"$json")" "plex states"
	assert_eq null "$(jq -c .operation <<<"$json")" "no resync restarted by itself"
	readable_ok "$vol"
	assert_fails read_range "$vol" "$bad" 4096 >/dev/null

	# Copy around it.
	json=$(mirvolctl resync rb --force --wait --json 2>"$TEST_TMP/resync.err") ||
		fail "resync --force: $(cat "$TEST_TMP/resync.err")"
	assert_eq succeeded "$(jq -r .state <<<"$json")" "forced resync"
	assert_eq 4096 "$(jq .lost_bytes <<<"$json")" "lost bytes"
	assert_eq "$bad 4096" "$(jq -r '"\(.bad_offset_bytes) \(.bad_bytes)"' <<<"$json")" "the zeroed range"
	grep -q "4096 bytes no plex could read were written as zeros" "$TEST_TMP/resync.err" ||
		fail "resync --force did not warn about the lost bytes: $(cat "$TEST_TMP/resync.err")"
	json=$(mirvolctl show rb --json)
	assert_eq '["active","active"]' "$(jq -c '[.plexes[].state]' <<<"$json")" "plex states after resync --force"
	cmp <(read_range "$vol" "$bad" 4096) <(head -c 4096 /dev/zero) ||
		fail "the lost range does not read as zeros"
	readable_ok "$vol"
	plexes_identical rb
	assert_eq "mismatch_sectors: 0" "$(mirvolctl check rb --wait)" "check"
	mirvolctl remove --yes rb
}
