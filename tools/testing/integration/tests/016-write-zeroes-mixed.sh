# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# Write-zeroes on plexes that do not all support it: the plexes never
# differ and none is failed.  Plex 0 is a loop device over a file on ext4,
# which zeroes ranges (fallocate ZERO_RANGE, PUNCH_HOLE); plex 1 a loop
# device over a file on tmpfs, which advertises write-zeroes but refuses
# the NOUNMAP kind (tmpfs has no ZERO_RANGE) and from then on refuses all
# write-zeroes.  "blkdiscard -z" asks for NOUNMAP zeroing (the block
# layer falls back to writing zeros when the volume refuses): it must
# zero the range on both plexes and succeed.  "fallocate --punch-hole" on
# the volume then asks for write-zeroes without a fallback, which plex 1
# refuses: the volume either zeroes the range on both plexes or, having
# stopped offering write-zeroes (as dm does once a plex refused), refuses
# it whole with EOPNOTSUPP, changing nothing.  Never may the plexes
# differ or a plex fail.  Then a volume whose plexes all refuse:
# blkdiscard -z still zeroes (the fallback), the plexes agree and the
# volume stops advertising write-zeroes.

TEST_TIMEOUT=300

# zero_limit DEV: the device's write_zeroes_max_bytes.
zero_limit() {
	cat "/sys/block/$(basename "$(readlink -f "$1")")/queue/write_zeroes_max_bytes"
}

# is_zero VOL OFFSET LEN: LEN bytes of VOL at OFFSET read as zeros.
is_zero() {
	cmp -s <(dd if="$1" bs=1M iflag=direct,skip_bytes,count_bytes skip="$2" \
		    count="$3" status=none) <(head -c "$3" /dev/zero)
}

# no_plex_failed VOL
no_plex_failed() {
	local json
	json=$(mirvolctl show "$1" --json)
	assert_eq online "$(jq -r .state <<<"$json")" "$1: volume state"
	assert_eq 0 "$(jq '[.plexes[].write_errors] | add' <<<"$json")" "$1: write errors"
}

run_test() {
	local e t vol size probe rc
	require jq cmp blkdiscard fallocate losetup mkfs.ext4
	modprobe loop
	mk_brd 1 160
	mkfs.ext4 -q /dev/ram0
	mkdir -p "$TEST_TMP/ext4" "$TEST_TMP/tmpfs"
	mount /dev/ram0 "$TEST_TMP/ext4"
	mount -t tmpfs -o size=200M tmpfs "$TEST_TMP/tmpfs"
	truncate -s 48M "$TEST_TMP/ext4/p0" "$TEST_TMP/tmpfs/p1" "$TEST_TMP/tmpfs/q0" \
		 "$TEST_TMP/tmpfs/q1" "$TEST_TMP/tmpfs/probe"

	# What the test relies on, checked on a probe device: a loop over
	# tmpfs advertises write-zeroes, refuses the NOUNMAP kind (blkdiscard
	# -z still works: the fallback) and then advertises none.
	probe=$(losetup -f --show "$TEST_TMP/tmpfs/probe")
	[ "$(zero_limit "$probe")" -gt 0 ] || fail "loop over tmpfs does not advertise write-zeroes"
	blkdiscard -z -o 0 -l 1M "$probe"
	assert_eq 0 "$(zero_limit "$probe")" "loop over tmpfs: write-zeroes limit after a NOUNMAP zeroing"
	losetup -d "$probe"

	e=$(losetup -f --show "$TEST_TMP/ext4/p0")
	t=$(losetup -f --show "$TEST_TMP/tmpfs/p1")
	vol=$(mirvolctl create --name wz --wait "$e" "$t")
	[ "$(zero_limit "$vol")" -gt 0 ] || fail "the volume does not advertise write-zeroes"
	size=$(mirvolctl show wz --json | jq .size_bytes)
	head -c "$size" /dev/urandom >"$TEST_TMP/data"
	dd if="$TEST_TMP/data" of="$vol" bs=1M oflag=direct status=none

	# NOUNMAP zeroing: plex 0 zeroes, plex 1 refuses.
	blkdiscard -z -o 8M -l 4M "$vol" || fail "blkdiscard -z on the volume failed"
	is_zero "$vol" 8M 4M || fail "blkdiscard -z: the range does not read as zeros"
	plexes_identical wz
	no_plex_failed wz
	assert_eq 0 "$(zero_limit "$t")" "plex 1's write-zeroes limit after the NOUNMAP zeroing"

	# Write-zeroes without a fallback: plex 1 refuses every one now.
	rc=0
	fallocate --punch-hole --offset 16M --length 4M "$vol" 2>"$TEST_TMP/fallocate.err" || rc=$?
	plexes_identical wz
	no_plex_failed wz
	if [ $rc -eq 0 ]; then
		is_zero "$vol" 16M 4M || fail "punch-hole: the range does not read as zeros"
		dd if=/dev/zero of="$TEST_TMP/data" bs=1M seek=16 count=4 conv=notrunc status=none
	else
		grep -qi 'not supported\|unsupported' "$TEST_TMP/fallocate.err" ||
			fail "fallocate --punch-hole on the volume: $(cat "$TEST_TMP/fallocate.err")"
		assert_eq 0 "$(zero_limit "$vol")" "write-zeroes limit of a volume that refused write-zeroes"
		log "the volume refused the punch-hole whole: it no longer offers write-zeroes"
	fi
	# Nothing else was touched.
	dd if=/dev/zero of="$TEST_TMP/data" bs=1M seek=8 count=4 conv=notrunc status=none
	cmp <(dd if="$vol" bs=1M iflag=direct status=none) "$TEST_TMP/data" ||
		fail "the volume does not hold the data less the zeroed ranges"
	mirvolctl remove --yes wz

	# No plex supports it: the caller's fallback zeroes, the plexes agree,
	# and the volume no longer offers what none of its plexes does.
	vol=$(mirvolctl create --name wz2 --wait "$(losetup -f --show "$TEST_TMP/tmpfs/q0")" \
		"$(losetup -f --show "$TEST_TMP/tmpfs/q1")")
	[ "$(zero_limit "$vol")" -gt 0 ] || fail "wz2 does not advertise write-zeroes"
	dd if="$TEST_TMP/data" of="$vol" bs=1M oflag=direct status=none
	blkdiscard -z -o 4M -l 4M "$vol" || fail "blkdiscard -z on wz2 failed"
	is_zero "$vol" 4M 4M || fail "wz2: the range does not read as zeros"
	plexes_identical wz2
	no_plex_failed wz2
	assert_eq 0 "$(zero_limit "$vol")" "wz2's write-zeroes limit after every plex refused"
	mirvolctl remove --yes wz2
}

cleanup() {
	local u
	for u in $(mirvolctl list --json 2>/dev/null | jq -r '.[].uuid'); do
		mirvolctl remove --yes "$u" || true
	done
	losetup -D
	umount "$TEST_TMP/tmpfs" "$TEST_TMP/ext4" 2>/dev/null || true
}
