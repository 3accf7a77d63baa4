# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
#
# Host-side helpers shared by the test scripts (sourced, not run):
# repository and cache locations, the Debian kernel release the tests
# run on, the extracted linux-source tree, and the *.counts files.

MIRVOL_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE_DIR=${CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mirvol}
OUT_DIR=$MIRVOL_SRC/tools/testing/out
export MIRVOL_SRC CACHE_DIR OUT_DIR

die() {
	echo "${0##*/}: $*" >&2
	exit 1
}

# The kernel headers to build against: $KDIR (exported by the Makefile),
# else the newest installed Debian linux-headers-6.12.*-amd64.
kdir() {
	if [ -z "${KDIR:-}" ]; then
		KDIR=$(find /usr/src -maxdepth 1 -name 'linux-headers-6.12.*-amd64' |
		       sort -V | tail -n 1)
	fi
	if [ -z "$KDIR" ] || [ ! -d "$KDIR" ]; then
		die "no kernel headers (KDIR='${KDIR:-}'); run 'make deps'"
	fi
	echo "$KDIR"
}

# The release of the Debian kernel the VM boots (that of $KDIR).
kernel_release() {
	local rel
	rel=$(cat "$(kdir)/include/config/kernel.release" 2>/dev/null) ||
		die "cannot read the kernel release of $(kdir)"
	[ -e "/boot/vmlinuz-$rel" ] || die "/boot/vmlinuz-$rel is missing; run 'make deps'"
	echo "$rel"
}

# Print the path of linux-source-6.12 extracted in $CACHE_DIR, extracting
# it first if needed.  The directory is named after the package version, so
# a package upgrade gives a fresh tree.
linux_source() {
	local tarball=/usr/src/linux-source-6.12.tar.xz ver dir tmp
	[ -f "$tarball" ] || die "$tarball is missing; run 'make deps'"
	ver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null) ||
		die "linux-source-6.12 is not installed; run 'make deps'"
	dir=$CACHE_DIR/src/linux-source-$ver
	if [ ! -f "$dir/Makefile" ]; then
		echo "extracting $tarball ($ver) into $dir" >&2
		mkdir -p "$CACHE_DIR/src"
		tmp=$(mktemp -d "$CACHE_DIR/src/.extract.XXXXXX")
		tar -xJf "$tarball" -C "$tmp" || { rm -rf "$tmp"; die "extracting $tarball failed"; }
		rm -rf "$dir"
		mv "$tmp/linux-source-6.12" "$dir" || die "cannot move the extracted tree into $dir"
		rmdir "$tmp"
	fi
	echo "$dir"
}

# write_counts FILE PASSED FAILED: the machine-readable result of a stage.
write_counts() {
	mkdir -p "$(dirname "$1")"
	printf 'passed=%d\nfailed=%d\n' "$2" "$3" >"$1"
}

# Kernel log lines that mean a test failed, whatever its exit status.
# Only lines with a printk timestamp count, so that a test's own output
# cannot trigger (or hide) a match.  Debian's kernel has no kmemleak, so
# "unreferenced object" only matters on a kernel that has it.  Lockdep's
# reports start with "WARNING:" or "BUG:", except the one below.
KERNEL_ERROR_RE='BUG:|Oops|WARNING:|Call Trace|kernel BUG|general protection|unreferenced object|Kernel panic|blocked for more than|detected stalls|UBSAN:|KASAN:|list_(add|del) corruption|INFO: trying to register non-static key'

# kernel_errors [FILE...]: print the offending kernel lines, if any.
kernel_errors() {
	grep -aE "\[ *[0-9]+\.[0-9]+\] .*($KERNEL_ERROR_RE)" "$@" | tr -d '\r'
}

# lock FILE: hold an exclusive lock on FILE until this process (and the
# children that inherit it) exit; waits while another run holds it.
lock() {
	local fd
	mkdir -p "$(dirname "$1")"
	exec {fd}>"$1"
	if ! flock -n "$fd"; then
		echo "${0##*/}: waiting for another run to release $1" >&2
		flock "$fd"
	fi
}
