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

# Does the archive offer package $1 (a candidate version)?  (sh has no
# local variables: every helper's names are its own.)
in_archive() {
	cand=$(apt-cache policy "$1" 2>/dev/null | awk '$1 == "Candidate:" {print $2}')
	[ -n "$cand" ] && [ "$cand" != "(none)" ]
}

# The image package of kernel $1: the signed one, else the unsigned build
# of the same kernel (same /boot/vmlinuz and modules).  Debian's security
# archive publishes linux-image-V-unsigned and the headers first; the
# signed linux-image-V follows hours or days later.
image_pkg() {
	for ipkg in "linux-image-$1" "linux-image-$1-unsigned"; do
		if in_archive "$ipkg"; then
			echo "$ipkg"
			return 0
		fi
	done
	return 1
}

newest_kver() {
	# Installed headers first, then the newest version the archive offers
	# both headers and an image of.
	v=$(ls -d /usr/src/linux-headers-6.12.*-amd64 2>/dev/null |
	    sed 's|.*/linux-headers-||' | sort -V | tail -n 1)
	if [ -z "$v" ]; then
		for hv in $(apt-cache search --names-only '^linux-headers-6\.12\..*\+deb12-amd64$' |
			   awk '{print $1}' | sed 's/^linux-headers-//' | sort -rV); do
			if in_archive "linux-headers-$hv" && image_pkg "$hv" >/dev/null; then
				v=$hv
				break
			fi
		done
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
if [ -n "$kver" ] && [ ! -e "/boot/vmlinuz-$v" ]; then
	img=$(image_pkg "$v") || img=linux-image-$v
	missing="$missing $img"
fi
if [ -z "$kver" ] || [ -n "$missing" ]; then
	[ "$(id -u)" -eq 0 ] || {
		echo "deps: missing packages:$missing (run as root to install)" >&2
		exit 1
	}
	apt-get update -qq
fi
if [ -z "$kver" ]; then
	v=$(newest_kver)
	[ -n "$v" ] || { echo "deps: no linux-headers-6.12.*+deb12-amd64 with an image in the archive" >&2; exit 1; }
	missing="$missing linux-headers-$v $(image_pkg "$v")"
fi
if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
exit 0
