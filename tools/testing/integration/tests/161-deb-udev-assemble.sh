# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# The mirvolctl Debian package assembles volumes by itself.  The guest
# starts without udevd and without the harness's copy of the udev rule;
# the test installs the package the pkg stage built
# (tools/testing/out/pkg/deb/mirvolctl_*.deb, made by pkg-test.sh or
# "tools/mkdeb.sh tools/testing/out/pkg/deb") with dpkg -i (the guest's / is
# a tmpfs overlay: the host is untouched), creates a 2-plex volume with the
# packaged /usr/sbin/mirvolctl, writes data and stops it, then starts udevd
# with only the package's /lib/udev/rules.d/69-mirvol.rules (members) and
# 63-mirvol-volume.rules (the volume's links): the coldplug
# marks both disks as members and the rule's
# "/usr/sbin/mirvolctl assemble --incremental" brings the volume back at
# /dev/mirvol/NAME, online, both plexes active, with its data.

TEST_DISKS="a:48M b:48M"
TEST_UDEV=0
TEST_TIMEOUT=240

run_test() {
	local debs deb rules=/lib/udev/rules.d/69-mirvol.rules ctl=/usr/sbin/mirvolctl json
	local vrules=/lib/udev/rules.d/63-mirvol-volume.rules
	require dpkg jq cmp udevadm
	debs=("$MIRVOL_SRC"/tools/testing/out/pkg/deb/mirvolctl_*_amd64.deb)
	deb=${debs[0]}
	[ -f "$deb" ] || fail "no tools/testing/out/pkg/deb/mirvolctl_*.deb: run tools/testing/pkg-test.sh first"
	[ ! -e /etc/udev/rules.d/69-mirvol.rules ] || fail "the harness's rule is installed (TEST_UDEV=0?)"
	! pidof systemd-udevd >/dev/null || fail "udevd runs already"
	[ ! -e "$ctl" ] || fail "$ctl exists before dpkg -i"

	# man-db's trigger rebuilds the index of every manual page over 9p
	# (many seconds under TCG); it runs only while this file exists.
	rm -f /var/lib/man-db/auto-update
	dpkg -i "$deb" >"$TEST_SCRATCH/dpkg.log" 2>&1 || {
		cat "$TEST_SCRATCH/dpkg.log"
		fail "dpkg -i $(basename "$deb") failed"
	}
	[ -x "$ctl" ] || fail "the package did not install $ctl"
	[ -f "$rules" ] || fail "the package did not install $rules"
	[ -f "$vrules" ] || fail "the package did not install $vrules"
	! grep -q '@SBINDIR@' "$rules" "$vrules" || fail "$rules or $vrules still has @SBINDIR@"
	dpkg -s mirvolctl | grep -qx 'Status: install ok installed' || fail "mirvolctl is not installed"

	load_mirvol
	"$ctl" create --name debvol --wait "$(disk a)" "$(disk b)" >/dev/null ||
		fail "$ctl create failed"
	head -c 16M /dev/urandom >"$TEST_SCRATCH/data"
	dd if="$TEST_SCRATCH/data" of=/dev/mirvol0 bs=1M oflag=direct conv=fsync status=none
	"$ctl" stop debvol || fail "$ctl stop failed"
	[ ! -e /dev/mirvol0 ] || wait_for 10 sh -c '! test -e /dev/mirvol0'

	# udevd with the package's rules only; coldplug the disks.
	/lib/systemd/systemd-udevd --daemon || fail "starting udevd failed"
	udevadm trigger --action=add --subsystem-match=block
	udevadm settle --timeout=60
	wait_for 30 test -L /dev/mirvol/debvol
	udevadm info --query=property "$(disk a)" | grep -qx 'ID_FS_TYPE=mirvol_member' ||
		fail "disk a is not marked as a member by the package's rule"
	json=$("$ctl" show debvol --json)
	assert_eq online "$(jq -r .state <<<"$json")" "state"
	assert_eq '["active","active"]' "$(jq -c '[.plexes[].state]' <<<"$json")" "plex states"
	cmp -n 16M "$TEST_SCRATCH/data" /dev/mirvol/debvol || fail "data differs after the assembly"
}

cleanup() {
	udevadm control --exit 2>/dev/null
	mirvolctl stop debvol 2>/dev/null
	:
}
