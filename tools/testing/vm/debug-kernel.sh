#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the debug kernel of the test VM (MVTEST_KERNEL=debug, see vm.sh)
# and mirvol.ko for it, cache both and print the directory that holds
#   bzImage   the kernel: Debian's linux-source-6.12, x86_64 allnoconfig
#             plus debug.config (lockdep, KASAN, kmemleak, ...)
#   release   its release (uname -r)
#   lib/modules/<release>/  its few modules and extra/mirvol.ko, indexed
#             (vm.sh passes it as mvtest.modindex)
#
# The kernel is built in $CACHE_DIR/debug-kernel/<source version>-<hash
# of debug.config>/ once; mirvol.ko is built from a copy of the
# repository's sources (an out-of-tree build writes next to its sources,
# and the repository's mirvol.ko is the Debian build) in a subdirectory
# named after their hash.  Build logs are kept there as build.log.
#
#   debug-kernel.sh [-j JOBS]   (default: as many jobs as CPUs; check.sh
#                               builds with -j1 beside the running VM)
set -eu -o pipefail

# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

jobs=$(nproc)
if [ "${1:-}" = -j ] && [[ ${2:-} =~ ^[1-9][0-9]*$ ]]; then
	jobs=$2
elif [ $# -gt 0 ]; then
	die "usage: debug-kernel.sh [-j JOBS]"
fi
frag=$MIRVOL_SRC/tools/testing/vm/debug.config
src=$(linux_source)
ver=$(basename "$src")
ver=${ver#linux-source-}
kdir=$CACHE_DIR/debug-kernel/$ver-$(sha256sum <"$frag" | cut -c1-16)
build=$kdir/build

# build_kernel: make bzImage and the modules in $build, install them in
# $kdir/modroot; the caller holds the source tree's lock.
build_kernel() {
	local l t0=$SECONDS
	rm -rf "$kdir"
	mkdir -p "$build"
	echo "debug-kernel: building $ver with ${frag#"$MIRVOL_SRC"/} in $kdir (log: $kdir/build.log)" >&2
	# The tree's drivers/block/Kconfig sources the checkout that KUnit
	# linked last: make it this one, as run-kunit.sh does.
	ln -sfn "$MIRVOL_SRC" "$src/drivers/block/mirvol"
	{
		make -C "$src" O="$build" ARCH=x86_64 KCONFIG_ALLCONFIG="$frag" allnoconfig &&
		nice make -C "$src" O="$build" ARCH=x86_64 -j"$jobs" bzImage modules &&
		make -C "$src" O="$build" ARCH=x86_64 INSTALL_MOD_PATH="$kdir/modroot" \
			INSTALL_MOD_STRIP=1 modules_install
	} >"$kdir/build.log" 2>&1 || {
		tail -n 30 "$kdir/build.log" >&2
		die "building the debug kernel failed (log: $kdir/build.log)"
	}
	# An option whose dependencies are missing is dropped silently.
	while read -r l; do
		case $l in
		CONFIG_*|"# CONFIG_"*" is not set") grep -qxF "$l" "$build/.config" ||
			die "${frag##*/}: '$l' is not in the .config (a missing dependency?)" ;;
		esac
	done <"$frag"
	cp "$build/arch/x86/boot/bzImage" "$kdir/bzImage"
	cp "$build/include/config/kernel.release" "$kdir/release"
	touch "$kdir/.done"
	echo "debug-kernel: built in $((SECONDS - t0)) s" >&2
}

if [ ! -f "$kdir/.done" ]; then
	# The source tree is shared with run-kunit.sh.
	lock "$CACHE_DIR/.kunit.lock"
	[ -f "$kdir/.done" ] || build_kernel
fi
touch "$kdir"	# in use: see the clean-up below
rel=$(cat "$kdir/release")

# mirvol.ko from the repository's current sources.
files=$(cd "$MIRVOL_SRC" && find Kbuild drivers include uapi -type f \
	\( -name Kbuild -o -name '*.[ch]' \) | LC_ALL=C sort)
# shellcheck disable=SC2086 # a list of paths without blanks
key=$(cd "$MIRVOL_SRC" && { echo $files; cat $files; } | sha256sum | cut -c1-16)
dir=$kdir/mirvol-$key
if [ ! -f "$dir/lib/modules/$rel/extra/mirvol.ko" ]; then
	tmp=$(mktemp -d "$kdir/.mirvol.XXXXXX")
	chmod 755 "$tmp"
	trap 'rm -rf "$tmp"' EXIT
	# shellcheck disable=SC2086
	(cd "$MIRVOL_SRC" && cp --parents $files "$tmp/")
	mkdir -p "$tmp/lib/modules"
	cp -R "$kdir/modroot/lib/modules/$rel" "$tmp/lib/modules/"
	mkdir -p "$tmp/lib/modules/$rel/extra"
	if ! { nice make -C "$build" M="$tmp" -j"$jobs" modules &&
	       cp "$tmp/mirvol.ko" "$tmp/lib/modules/$rel/extra/" &&
	       depmod -b "$tmp" "$rel"; } >"$tmp/build.log" 2>&1; then
		tail -n 30 "$tmp/build.log" >&2
		die "building mirvol.ko for the debug kernel failed"
	fi
	ln -s ../bzImage "$tmp/bzImage"
	ln -s ../release "$tmp/release"
	# Builds of other sources unused for a day go (another checkout may
	# boot one now), kernels of other configurations after a week.
	find "$kdir" -maxdepth 1 -name 'mirvol-*' -mmin +1440 -exec rm -rf {} +
	find "$CACHE_DIR/debug-kernel" -mindepth 1 -maxdepth 1 -mtime +7 -exec rm -rf {} +
	mv -T "$tmp" "$dir" 2>/dev/null || [ -f "$dir/lib/modules/$rel/extra/mirvol.ko" ] ||
		die "cannot create $dir"
fi
touch "$dir"
echo "$dir"
