#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Install, from Debian's archive, whatever building and testing mirvol needs
# and is not there yet: the newest Debian 6.12 kernel (headers and image),
# linux-source-6.12 (for KUnit on UML and checkpatch), QEMU, busybox, the
# user-space tools the integration tests and the benchmark run in the guest,
# and what "make deb" and the packaging tests use (debhelper, dh-dkms, dkms,
# lintian, fakeroot).
# When everything is there it does nothing (and needs no root); otherwise it
# needs root and runs apt-get.  "make deps" runs it, and so do check, demo
# and bench; a plain "make" never does.
#
# Usage: tools/deps.sh [--print-kver]
#   --print-kver  only print the kernel version that would be used
set -eu

export DEBIAN_FRONTEND=noninteractive

newest_kver() {
	# Installed headers first, then what the archive offers.
	v=$(ls -d /usr/src/linux-headers-6.12.*-amd64 2>/dev/null |
	    sed 's|.*/linux-headers-||' | sort -V | tail -n 1)
	if [ -z "$v" ]; then
		v=$(apt-cache search --names-only '^linux-headers-6\.12\..*\+deb12-amd64$' |
		    awk '{print $1}' | sed 's/^linux-headers-//' | sort -V | tail -n 1)
	fi
	echo "$v"
}

if [ "${1:-}" = "--print-kver" ]; then
	newest_kver
	exit 0
fi

PKGS="build-essential gcc-multilib bc bison flex libelf-dev python3 sparse kmod cpio xz-utils
      qemu-system-x86 busybox-static linux-source-6.12 fio e2fsprogs mdadm
      dmsetup udev util-linux jq groff-base man-db valgrind procps perl
      libblkid-dev pkg-config fdisk dpkg-dev debhelper dh-dkms dkms lintian
      fakeroot python3-docutils"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done

kver=$(ls -d /usr/src/linux-headers-6.12.*-amd64 2>/dev/null | tail -n 1)
# The image of the installed headers (the VM boots it).
v=$(newest_kver)
[ -z "$kver" ] || [ -e "/boot/vmlinuz-$v" ] || missing="$missing linux-image-$v"
if [ -z "$kver" ] || [ -n "$missing" ]; then
	[ "$(id -u)" -eq 0 ] || {
		echo "deps: missing packages:$missing (run as root to install)" >&2
		exit 1
	}
	apt-get update -qq
fi
if [ -z "$kver" ]; then
	v=$(newest_kver)
	[ -n "$v" ] || { echo "deps: no linux-headers-6.12.*+deb12-amd64 in the archive" >&2; exit 1; }
	missing="$missing linux-headers-$v linux-image-$v"
fi
if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
exit 0
