# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# Damaged metadata: with one superblock slot corrupted a member still
# assembles (the other slot is valid); with both corrupted it is refused
# with METADATA_CORRUPT; a superblock with a valid checksum but absurd
# fields, or of an unknown version, is refused too.  None of it crashes.

TEST_TIMEOUT=300

# patch_sb DEV SLOT OFFSET PYFORMAT VALUE: overwrite a field of a slot and
# recompute its CRC-32C, so that only the field's sanity checks can refuse it.
patch_sb() {
	python3 - "$@" <<'PY'
import struct, sys
dev, slot, off, fmt, val = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
def crc32c(data, crc=0xffffffff):
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82f63b78 & -(crc & 1))
    return crc ^ 0xffffffff
with open(dev, 'r+b', buffering=0) as f:
    pos = 4096 + slot * 4096
    f.seek(pos)
    sb = bytearray(f.read(4096))
    struct.pack_into('<' + fmt, sb, off, val)
    struct.pack_into('<I', sb, 16, 0)
    struct.pack_into('<I', sb, 16, crc32c(bytes(sb[:1024])))
    f.seek(pos)
    f.write(sb)
PY
}

current_slot() {
	mirvolctl examine --json "$1" | jq .current_slot
}

run_test() {
	local slot
	require jq python3
	mk_brd 2 32
	load_mirvol
	mirvolctl create --name meta --wait /dev/ram0 /dev/ram1 >/dev/null
	mirvolctl stop meta

	# One slot (the current one) damaged: the older slot is used.
	slot=$(current_slot /dev/ram0)
	dd if=/dev/urandom of=/dev/ram0 bs=4096 seek=$((1 + slot)) count=1 conv=notrunc status=none
	assert_eq $((1 - slot)) "$(current_slot /dev/ram0)" "current slot after damage"
	mirvolctl assemble /dev/ram0 /dev/ram1 >/dev/null
	assert_eq online "$(mirvolctl show meta --json | jq -r .state)" "state with one slot damaged"
	mirvolctl stop meta

	# Both slots damaged (their magic intact, their contents not): corrupt.
	dd if=/dev/urandom of=/dev/ram0 bs=512 seek=9 count=1 conv=notrunc status=none
	dd if=/dev/urandom of=/dev/ram0 bs=512 seek=17 count=1 conv=notrunc status=none
	expect_fail_reason METADATA_CORRUPT mirvolctl examine /dev/ram0
	expect_fail_reason METADATA_CORRUPT mirvolctl assemble /dev/ram0
	mirvolctl examine --export /dev/ram0 | grep -qx 'ID_FS_TYPE=mirvol_member' ||
		fail "a corrupt member is not kept away from other users"
	mirvolctl assemble --run /dev/ram1 >/dev/null
	assert_eq degraded "$(mirvolctl show meta --json | jq -r .state)" "state without the corrupt member"
	# Add it back: it gets a new superblock.
	mirvolctl add-plex meta /dev/ram0 --wait >/dev/null
	assert_eq online "$(mirvolctl show meta --json | jq -r .state)" "state after re-adding"
	mirvolctl stop meta

	# Valid checksums, absurd fields (offsets: uapi/linux/mirvol.h).
	slot=$(current_slot /dev/ram0)
	patch_sb /dev/ram0 "$slot" 144 Q $((1 << 40))	# data_size beyond the device
	patch_sb /dev/ram0 $((1 - slot)) 136 Q 16	# data over the superblocks
	expect_fail_reason METADATA_CORRUPT mirvolctl assemble /dev/ram0
	patch_sb /dev/ram0 "$slot" 120 I 9		# plex index out of range
	expect_fail_reason METADATA_CORRUPT mirvolctl examine /dev/ram0
	patch_sb /dev/ram0 $((1 - slot)) 8 I 2		# other format versions
	patch_sb /dev/ram0 "$slot" 8 I 7
	expect_fail_reason METADATA_VERSION mirvolctl examine /dev/ram0
	expect_fail_reason METADATA_VERSION mirvolctl assemble /dev/ram0
	# The intact member is untouched by all of this.
	mirvolctl assemble --run /dev/ram1 >/dev/null
	mirvolctl remove --yes meta
}
