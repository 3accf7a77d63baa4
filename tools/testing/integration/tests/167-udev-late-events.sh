# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# udev handles a volume's events late, after the volume was removed and
# the module unloaded (udev's exec queue held while that happens).  The
# kernel's add event of the gone volume has no sysfs files to read and
# asks 'mirvolctl show --export', which must not load the module again:
# it did (modprobe in ctl_open()), and an rmmod did not stick.

TEST_TIMEOUT=300

run_test() {
	local rc=0 what=""
	require udevadm
	pidof systemd-udevd >/dev/null || fail "systemd-udevd is not running"
	mk_nullb na 8
	mk_nullb nb 8
	load_mirvol
	settle
	udevadm control --stop-exec-queue
	# Nothing may fail (fail, or bounded's on a hang) before the queue
	# runs again: later tests of the boot need udev.
	timeout 60 "$MIRVOLCTL" create --name late --wait /dev/na /dev/nb \
		>/dev/null 2>"$TEST_TMP/err" || { rc=$?; what=create; }
	[ $rc -ne 0 ] || timeout 60 "$MIRVOLCTL" remove --yes late \
		>/dev/null 2>"$TEST_TMP/err" || { rc=$?; what=remove; }
	[ $rc -ne 0 ] || rmmod mirvol 2>"$TEST_TMP/err" || { rc=$?; what=rmmod; }
	udevadm control --start-exec-queue
	[ $rc -eq 0 ] || fail "$what failed ($rc): $(cat "$TEST_TMP/err")"
	settle
	[ ! -d /sys/module/mirvol ] ||
		fail "udev's late events loaded the mirvol module again"
	# The members were erased: nothing assembles from them.
	load_mirvol
	settle
	assert_eq 0 "$("$MIRVOLCTL" list --names | wc -l)" "volumes after the late events"
	unload_mirvol
}
