#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Make the repository's mirvol.ko loadable with "modprobe mirvol" in the
# test VM: run depmod here, over Debian's modules plus mirvol.ko as
# extra/mirvol.ko, and cache the resulting modules.* index files with that
# mirvol.ko in $CACHE_DIR/vm/modindex-<release>-<hash>/, whose path is
# printed.  guest-init.sh copies that directory over the guest's
# /lib/modules/<release>/ (depmod in the TCG guest takes minutes).
#
# Usage: mkmodindex.sh MODULE.ko
set -eu -o pipefail

# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

ko=${1:?usage: mkmodindex.sh MODULE.ko}
[ -f "$ko" ] || die "$ko does not exist"
rel=$(kernel_release)
# Always extra/mirvol.ko: "modprobe mirvol" looks the module up by the
# file's name, and an A/B run's MIRVOL_KO may be called otherwise.
name=mirvol.ko
key=$(cat "$ko" "$0" "/lib/modules/$rel/modules.order" | sha256sum | cut -c1-16)
dir=$CACHE_DIR/vm/modindex-$rel-$key
if [ -f "$dir/modules.dep.bin" ]; then
	touch "$dir"	# in use: see the clean-up below
	echo "$dir"
	exit 0
fi

mkdir -p "$CACHE_DIR/vm"
tmp=$(mktemp -d "$CACHE_DIR/vm/.modindex.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mods=$tmp/lib/modules/$rel
mkdir -p "$mods/extra"
# depmod reads the modules through symlinks and the
# modules.{order,builtin*} files it does not write.
ln -s "/lib/modules/$rel/kernel" "$mods/kernel"
cp "/lib/modules/$rel"/modules.{order,builtin,builtin.modinfo} "$mods/"
cp "$ko" "$mods/extra/$name"
depmod -b "$tmp" "$rel" || die "depmod failed"
grep -q "^extra/$name:" "$mods/modules.dep" || die "depmod did not index $name"
rm "$mods/kernel" "$mods"/modules.{order,builtin,builtin.modinfo}
# Indexes of other builds: another checkout (a CI clone, an A/B run with
# MIRVOL_KO) may be booting with one right now, so only those unused for
# a day go.
find "$CACHE_DIR/vm" -maxdepth 1 -name "modindex-*" -mmin +1440 \
	-exec rm -rf {} +
mv -T "$mods" "$dir" 2>/dev/null || [ -f "$dir/modules.dep.bin" ] ||
	die "cannot create $dir"
echo "$dir"
