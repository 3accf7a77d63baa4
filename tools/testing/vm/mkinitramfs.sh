#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the test VM's busybox initramfs for the Debian kernel the tests run
# on, cache it in $CACHE_DIR/vm and print its path.  It is rebuilt when any
# input changes: the kernel release and its 9p/overlay modules (plus
# virtio_blk and ext4 for a persistent root, vm.sh -s), busybox,
# initramfs-init or this script.  The debug kernel (MVTEST_KERNEL=debug)
# has them built in: its initramfs has no modules.
#
# Debian ships modules as .ko.xz; they are decompressed here so that the
# initramfs needs nothing but busybox's insmod.
set -eu -o pipefail

# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

here=$MIRVOL_SRC/tools/testing/vm
busybox=$(command -v busybox) || die "busybox is missing; run 'make deps'"
! ldd "$busybox" >/dev/null 2>&1 ||
	die "$busybox is not statically linked (install busybox-static)"

if [ "${MVTEST_KERNEL:-}" = debug ]; then
	rel=debug
	mods=
	rootmods=
else
	rel=$(kernel_release)
	# In load order, each once.
	mods=$(modprobe -S "$rel" -D -a netfs 9pnet 9pnet_virtio 9p overlay |
	       awk '$1 == "insmod" && !seen[$2]++ { print $2 }')
	[ -n "$mods" ] || die "cannot resolve the 9p/overlay modules of $rel"
	# The disk holding a persistent root's upper layer (vm.sh -s).
	rootmods=$(modprobe -S "$rel" -D -a virtio_blk ext4 |
		   awk '$1 == "insmod" && !seen[$2]++ { print $2 }')
	[ -n "$rootmods" ] || die "cannot resolve the virtio_blk/ext4 modules of $rel"
fi

# shellcheck disable=SC2086 # $mods and $rootmods are lists of paths without blanks
key=$(cat "$busybox" "$here/initramfs-init" "$0" $mods $rootmods | sha256sum | cut -c1-16)
dir=$CACHE_DIR/vm
img=$dir/initramfs-$rel-$key.cpio
if [ -s "$img" ]; then
	touch "$img"	# in use: see the clean-up below
	echo "$img"
	exit 0
fi

mkdir -p "$dir"
tmp=$(mktemp -d "$dir/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/root/bin" "$tmp/root/lib/mvtest" "$tmp/root/dev" \
	 "$tmp/root/proc" "$tmp/root/sys"
cp "$busybox" "$tmp/root/bin/busybox"
install -m 0755 "$here/initramfs-init" "$tmp/root/init"
# add_modules LIST MODULE...: decompress them into lib/mvtest, named in LIST.
add_modules() {
	local list=$tmp/root/lib/mvtest/$1 m ko
	shift
	: >"$list"
	for m in "$@"; do
		ko=$(basename "$m")
		case $ko in
		*.ko.xz) xz -dc "$m" >"$tmp/root/lib/mvtest/${ko%.xz}"; ko=${ko%.xz} ;;
		*.ko.zst) zstd -qdc "$m" >"$tmp/root/lib/mvtest/${ko%.zst}"; ko=${ko%.zst} ;;
		*.ko.gz) gzip -dc "$m" >"$tmp/root/lib/mvtest/${ko%.gz}"; ko=${ko%.gz} ;;
		*.ko) cp "$m" "$tmp/root/lib/mvtest/" ;;
		*) die "unexpected module file $m" ;;
		esac
		echo "$ko" >>"$list"
	done
}
# shellcheck disable=SC2086 # lists of paths without blanks
add_modules load-order $mods
# shellcheck disable=SC2086
add_modules load-order-root $rootmods
(cd "$tmp/root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$tmp/img"
# Images of other versions of these scripts (another checkout may be
# about to boot one): only those unused for a day go.
find "$dir" -maxdepth 1 -name "initramfs-*.cpio" -mmin +1440 -delete
mv "$tmp/img" "$img"
echo "$img"
