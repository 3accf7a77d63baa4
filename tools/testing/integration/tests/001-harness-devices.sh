# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# Self-test of lib.sh's failing-device helpers, independent of mirvol:
# null_blk bad blocks, a dm device switched to the error target and back,
# scsi_debug's medium error, and expect_fail_reason's parsing.

TEST_TIMEOUT=180

# read1 DEV SECTOR: one direct 4 KiB read at SECTOR (512-byte units).
read1() {
	dd if="$1" of=/dev/null bs=512 count=8 skip="$2" iflag=direct status=none
}

# A stand-in for mirvolctl's error format.
fake_tool() {
	echo "mirvolctl: create: /dev/ram0 is too small (DEVICE_TOO_SMALL)" >&2
	return "$1"
}

run_test() {
	local dm sd

	mk_nullb nb0 16 +2048-2055
	read1 /dev/nb0 0
	assert_fails read1 /dev/nb0 2048
	nullb_badblocks nb0 -2048-2055
	read1 /dev/nb0 2048
	rm_nullb nb0

	mk_brd 1 16
	dm=$(dm_error_wrap /dev/ram0 leg0)
	read1 "$dm" 0
	dm_set_error leg0
	assert_fails read1 "$dm" 0
	dm_set_linear leg0
	read1 "$dm" 0

	sd=$(mk_scsi_debug 16 opts=2)
	read1 "$sd" 0
	assert_fails read1 "$sd" $((0x1234 & ~7))

	expect_fail_reason DEVICE_TOO_SMALL fake_tool 1
	# The helper itself must fail on a wrong reason or exit status.
	assert_fails bash -c ". '$MIRVOL_SRC/tools/testing/integration/lib.sh'
		_MVTEST_REASON=/dev/null
		fake_tool() { echo 'mirvolctl: x: y (NAME_EXISTS)' >&2; return 1; }
		expect_fail_reason DEVICE_BUSY fake_tool"
	assert_fails bash -c ". '$MIRVOL_SRC/tools/testing/integration/lib.sh'
		_MVTEST_REASON=/dev/null
		fake_tool() { echo 'mirvolctl: x: y (DEVICE_BUSY)' >&2; return 2; }
		expect_fail_reason DEVICE_BUSY fake_tool"
}
