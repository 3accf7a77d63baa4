# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# check and repair: one plex is made to differ behind the volume's back
# (its device written directly, 24 sectors in two ranges); check counts
# exactly those sectors (its output, the op's JSON, show --json and sysfs
# agree) and the kernel log names the ranges; a second check finds them
# again (check changes nothing); repair rewrites them from plex 0, after
# which the plexes are identical, the volume holds the original data and
# check finds 0.  Then plex 0 is damaged and "repair --from 1" makes
# plex 1's data win.  A check cancelled, or whose volume is removed,
# ends with that reason.  Last, a volume over two mk_remap devices loses a
# 4 KiB block on both plexes and differs in another behind it: check
# counts both, names the lost range and fails with DATA_UNREADABLE;
# written again, the block reads and repair then check find all well.

TEST_TIMEOUT=400

# scribble DEV OFFSET LEN: random bytes over DEV, bypassing the volume.
scribble() {
	dd if=/dev/urandom of="$1" bs="$3" count=1 seek="$2" \
	   oflag=direct,seek_bytes conv=notrunc status=none
}

# data_ok VOL: the volume reads back the data written at the start.
data_ok() {
	cmp <(dd if="$1" bs=1M iflag=direct status=none) "$TEST_TMP/data" ||
		fail "$1 does not hold the data written to it"
}

run_test() {
	local vol json off size mark out op bad err
	require jq cmp
	mk_brd 2 64
	load_mirvol
	vol=$(mirvolctl create --name cr --wait /dev/ram0 /dev/ram1)
	json=$(mirvolctl show cr --json)
	size=$(jq .size_bytes <<<"$json")
	off=$(jq '.plexes[1].data_offset_bytes' <<<"$json")
	head -c "$size" /dev/urandom >"$TEST_TMP/data"
	dd if="$TEST_TMP/data" of="$vol" bs=1M oflag=direct status=none
	plexes_identical cr
	assert_eq "mismatch_sectors: 0" "$(mirvolctl check cr --wait)" "check of identical plexes"

	# Plex 1 differs: 16 sectors at 4 MiB, 8 sectors at 40 MiB + 4 KiB.
	scribble /dev/ram1 $((off + 4194304)) 8192
	scribble /dev/ram1 $((off + 41947136)) 4096
	mark="mvtest: 082 check $RANDOM"
	echo "$mark" >/dev/kmsg
	json=$(mirvolctl check cr --wait --json)
	assert_eq succeeded "$(jq -r .state <<<"$json")" "check state"
	assert_eq check "$(jq -r .type <<<"$json")" "op type"
	assert_eq 12288 "$(jq .mismatch_bytes <<<"$json")" "the op's mismatch_bytes"
	assert_eq 24 "$(mirvolctl show cr --json | jq .mismatch_sectors)" "show --json mismatch_sectors"
	assert_eq 24 "$(cat /sys/block/mirvol0/mirvol/mismatch_sectors)" "sysfs mismatch_sectors"
	grep -Eq "^Mismatches +: 24 sectors" <(mirvolctl show cr) || fail "show: $(mirvolctl show cr | grep ^Mismatches)"
	# The kernel log names both ranges (as sectors or bytes).
	out=$(dmesg | awk -v m="$mark" 'index($0, m) { on = 1; next } on')
	grep -Eq '(^|[^0-9])(8192|4194304)([^0-9]|$)' <<<"$out" &&
	grep -Eq '(^|[^0-9])(81928|41947136)([^0-9]|$)' <<<"$out" ||
		fail "the kernel log does not name the mismatched ranges: $(tr '\n' '|' <<<"$out" | tail -c 400)"
	# check rewrote nothing.
	assert_eq "mismatch_sectors: 24" "$(mirvolctl check cr --wait)" "a second check"

	assert_eq "mismatch_sectors: 24" "$(mirvolctl repair cr --wait)" "repair"
	assert_eq 24 "$(mirvolctl show cr --json | jq .mismatch_sectors)" "mismatch_sectors after repair"
	plexes_identical cr
	data_ok "$vol"
	assert_eq "mismatch_sectors: 0" "$(mirvolctl check cr --wait)" "check after repair"
	assert_eq 0 "$(cat /sys/block/mirvol0/mirvol/mismatch_sectors)" "sysfs mismatch_sectors after the last check"

	# Plex 0 is wrong this time: plex 1's data must win.
	scribble /dev/ram0 $((off + 20971520)) 4096
	assert_eq "mismatch_sectors: 8" "$(mirvolctl repair cr --from 1 --wait)" "repair --from 1"
	plexes_identical cr
	data_ok "$vol"
	assert_eq "mismatch_sectors: 0" "$(mirvolctl check cr --wait)" "check after repair --from 1"

	# Stopped checks end with the reason they were stopped for: cancelled,
	# or failed with OBJECT_DELETED when their volume goes.
	echo 1000 >/sys/block/mirvol0/mirvol/sync_speed_max
	op=$(mirvolctl check cr)
	assert_eq running "$(mirvolctl op status "$op" --json | jq -r .state)" "a slowed check"
	mirvolctl op cancel "$op" >/dev/null
	assert_eq "cancelled OPERATION_CANCELED" \
		"$(mirvolctl op status "$op" --json | jq -r '"\(.state) \(.reason)"')" "a cancelled check"
	op=$(mirvolctl check cr)
	mirvolctl remove --yes cr
	assert_eq "failed OBJECT_DELETED" \
		"$(mirvolctl op status "$op" --json | jq -r '"\(.state) \(.reason)"')" "a check whose volume was removed"

	# Data no plex can read: the block at 8 MiB + 12 KiB on both plexes.
	# Plex 1 also differs at 40 MiB, behind it.
	mk_remap /dev/ram0 uc0 >/dev/null
	mk_remap /dev/ram1 uc1 >/dev/null
	vol=$(mirvolctl create --name uc --assume-clean /dev/mapper/uc0 /dev/mapper/uc1)
	off=$(mirvolctl show uc --json | jq '.plexes[1].data_offset_bytes')
	bad=$((8 * 1048576 + 12288))
	remap_damage uc0 $((off + bad)) 4096
	remap_damage uc1 $((off + bad)) 4096
	scribble /dev/mapper/uc1 $((off + 41943040)) 4096
	mark="mvtest: 082 unreadable $RANDOM"
	echo "$mark" >/dev/kmsg
	out=$(mirvolctl check uc --wait 2>"$TEST_TMP/check.err") &&
		fail "check succeeded over data no plex can read"
	assert_eq "$(printf 'mismatch_sectors: 8\nunreadable_sectors: 8')" "$out" "check's counts"
	err=$(tail -n 1 "$TEST_TMP/check.err")
	[[ $err == *"could read 4096 bytes of the volume, the first 4096 at offset $bad: "*"(DATA_UNREADABLE)" ]] ||
		fail "check does not name the unreadable range: $err"
	op=$(grep -o 'operation [0-9]*' <<<"$err" | head -n 1 | cut -d' ' -f2)
	assert_eq "failed DATA_UNREADABLE 5 4096 $bad 4096 4096" \
		"$(mirvolctl op status "$op" --json |
		   jq -r '"\(.state) \(.reason) \(.errno) \(.unreadable_bytes) \(.bad_offset_bytes) \(.bad_bytes) \(.mismatch_bytes)"')" \
		"the failed check's op"
	dmesg | awk -v m="$mark" 'index($0, m) { on = 1; next } on' |
		grep -q "uc: check: no plex can read 8 sectors of $((bad / 512))-$((bad / 512 + 7))" ||
		fail "the kernel log does not name the unreadable range"
	assert_eq '["active","active"]' "$(mirvolctl show uc --json | jq -c '[.plexes[].state]')" "plex states"
	# Written again (its data restored), the block reads on both plexes.
	dd if=/dev/zero of="$vol" bs=4096 count=1 seek=$((bad / 4096)) \
	   oflag=direct conv=notrunc status=none
	assert_eq "mismatch_sectors: 8" "$(mirvolctl repair uc --wait)" "repair after the block was written"
	plexes_identical uc
	assert_eq "mismatch_sectors: 0" "$(mirvolctl check uc --wait)" "check after repair"
	mirvolctl remove --yes uc
}
