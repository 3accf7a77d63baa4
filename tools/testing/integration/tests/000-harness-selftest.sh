# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# Self-test of the integration harness, independent of mirvol: brd RAM
# disks and fio's verify in the guest, and a disk image that keeps its
# contents across boots, including a boot the host kills on request.

TEST_STAGES="stage_write stage_crash stage_verify"
TEST_DISKS="data:64M"
TEST_TIMEOUT=240

# Boot 1: RAM disks, fio verify, then a pattern at the start of the disk.
stage_write() {
	require fio cmp
	mk_brd 2 32
	fio --name=verify --filename=/dev/ram0 --direct=1 --ioengine=libaio \
	    --rw=randwrite --bs=4k --iodepth=16 --size=16M --verify=crc32c \
	    --do_verify=1 --verify_fatal=1 --output="$TEST_TMP/fio.out"
	grep -q 'err= 0' "$TEST_TMP/fio.out" || fail "fio: $(grep err= "$TEST_TMP/fio.out")"
	assert_eq 65536 "$(dev_sectors /dev/ram1)" "size of /dev/ram1 in sectors"

	head -c 4M /dev/urandom >"$TEST_SCRATCH/pattern1"
	dd if="$TEST_SCRATCH/pattern1" of="$(disk data)" bs=1M oflag=direct conv=fsync status=none
}

# Boot 2: a second pattern, written with O_DIRECT and fsync'ed, then the
# host kills the VM without a clean shutdown.
stage_crash() {
	head -c 4M /dev/urandom >"$TEST_SCRATCH/pattern2"
	dd if="$TEST_SCRATCH/pattern2" of="$(disk data)" bs=1M seek=8 oflag=direct conv=fsync status=none
	request_kill
}

# Boot 3: both patterns are on the disk.
stage_verify() {
	local d
	d=$(disk data)
	assert_eq $((64 * 2048)) "$(dev_sectors "$d")" "size of $d in sectors"
	cmp -n 4M "$TEST_SCRATCH/pattern1" "$d" || fail "pattern 1 did not survive the reboot"
	cmp -n 4M "$TEST_SCRATCH/pattern2" "$d" 0 8M || fail "pattern 2 did not survive the kill"
}
