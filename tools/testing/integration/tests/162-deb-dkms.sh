# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # TEST_* are read by run.sh
#
# The mirvol-dkms Debian package builds and installs the module in the
# guest.  dpkg -i of tools/testing/out/pkg/deb/mirvol-dkms_*.deb (made by
# pkg-test.sh or "tools/mkdeb.sh tools/testing/out/pkg/deb"; the guest's /
# is a tmpfs overlay of the host's userland, with Debian's 6.12 headers
# and dkms: the host is untouched) runs DKMS in its postinst, which builds
# mirvol.ko for the running kernel under QEMU TCG; dkms status says it is
# installed, modprobe loads that build (updates/dkms, ahead of the
# harness's extra/mirvol.ko; srcversion compared), and the packaged
# mirvolctl creates a volume that is written and read back.

# dpkg -i builds the module under TCG: 9-12 minutes, for make torture.
TEST_TORTURE_ONLY=1
TEST_DISKS="a:32M b:32M"
TEST_UDEV=0
TEST_TIMEOUT=900

run_test() {
	local deb ctl=/usr/sbin/mirvolctl rel ko t0 t1 t2 st vol
	require dpkg dkms jq cmp
	rel=$(uname -r)
	ko=/lib/modules/$rel/updates/dkms/mirvol.ko
	[ ! -d /sys/module/mirvol ] || fail "mirvol is loaded before the test"
	if [ -e "$ko" ] || [ -e "$ko.xz" ]; then fail "$ko exists before dpkg -i"; fi

	# A clean guest has no mirvol.ko: drop the harness's (DKMS keeps its
	# build out of updates/ when the same version is found installed).
	rm -f "/lib/modules/$rel/extra/mirvol.ko"
	t0=$(date +%s)
	for deb in mirvol-dkms_ mirvolctl_; do
		deb=$(echo "$MIRVOL_SRC"/tools/testing/out/pkg/deb/"$deb"*.deb)
		[ -f "$deb" ] || fail "no $deb: run tools/testing/pkg-test.sh first"
		dpkg -i "$deb" 2>&1 | while IFS= read -r line; do
			echo "[$(($(date +%s) - t0))] $line"
		done >>"$TEST_SCRATCH/dpkg.log"
		[ "${PIPESTATUS[0]}" -eq 0 ] || {
			tail -n 40 "$TEST_SCRATCH/dpkg.log"
			fail "dpkg -i $(basename "$deb") failed"
		}
	done
	t1=$(date +%s)
	log "dpkg -i (DKMS build, install, depmod): $((t1 - t0)) s"
	dpkg -s mirvol-dkms | grep -qx 'Status: install ok installed' || fail "mirvol-dkms is not installed"

	st=$(dkms status mirvol 2>/dev/null)
	log "dkms status: $st"
	[[ $st == "mirvol/"*", $rel, "*": installed"* ]] ||
		fail "dkms status does not say installed for $rel: $st"
	[ -f "$ko" ] || [ -f "$ko.xz" ] || fail "DKMS installed no $ko"
	[[ $(modinfo -F filename mirvol) == "$ko"* ]] ||
		fail "modprobe would load $(modinfo -F filename mirvol), not $ko"
	assert_eq "$rel" "$(modinfo -F vermagic mirvol | cut -d' ' -f1)" "vermagic"
	modprobe mirvol || fail "modprobe mirvol failed"
	t2=$(date +%s)
	log "modprobe: $((t2 - t1)) s; dpkg -i to a loaded module: $((t2 - t0)) s"
	assert_eq "$(modinfo -F srcversion "$(modinfo -F filename mirvol)")" \
		"$(cat /sys/module/mirvol/srcversion)" "srcversion of the loaded module"
	wait_for 10 test -c /dev/mirvol-control

	"$ctl" create --name dkvol --wait "$(disk a)" "$(disk b)" >/dev/null ||
		fail "$ctl create failed"
	vol=$("$ctl" show dkvol --json | jq -r .device)
	head -c 8M /dev/urandom >"$TEST_TMP/data"
	dd if="$TEST_TMP/data" of="$vol" bs=1M oflag=direct status=none
	cmp -n 8M "$TEST_TMP/data" "$vol" || fail "data read back differs"
	assert_eq '["active","active"]' "$("$ctl" show dkvol --json | jq -c '[.plexes[].state]')" "plex states"
	"$ctl" remove --yes dkvol
}

cleanup() {
	mirvolctl stop dkvol 2>/dev/null
	:
}
