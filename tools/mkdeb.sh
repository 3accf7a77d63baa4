#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make deb": build the Debian packages mirvol-dkms and mirvolctl (debian/)
# with dpkg-buildpackage, in a copy of the checkout (its tracked and
# untracked, not ignored, files) in OUT/mirvol-VERSION, so that neither the
# build nor the ../*.deb that dpkg-buildpackage writes touch the source
# tree.  The packages, .changes and .buildinfo end in OUT; the build's
# output in OUT/build.log.  DEB_BUILD_OPTIONS is passed on (nocheck skips
# mirvolctl's tests).
#
# Usage: tools/mkdeb.sh [OUT]   (default: tools/testing/out/deb)
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$src/tools/testing/out/deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)
case "$out/" in
"$src"/tools/testing/out/*) ;;
"$src"/*) echo "mkdeb: $out is in the source tree; use tools/testing/out/..." >&2; exit 1 ;;
esac
for c in dpkg-buildpackage dh dh_dkms; do
	command -v "$c" >/dev/null || { echo "mkdeb: $c is missing; run 'make deps' as root" >&2; exit 1; }
done

ver=$(cd "$src" && dpkg-parsechangelog -S Version)
tree=$out/mirvol-${ver%-*}
rm -rf "$out"/mirvol-* "$out"/mirvol*.deb "$out"/mirvol*.changes "$out"/mirvol*.buildinfo
mkdir -p "$tree"
cd "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z -co --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf - | tar -xf - -C "$tree"
else
	tar --exclude=./tools/testing/out --exclude='*.o' --exclude='*.ko' -cf - . |
		tar -xf - -C "$tree"
fi

echo "mkdeb: building mirvol $ver in $tree (log: $out/build.log)"
if ! (cd "$tree" && dpkg-buildpackage -us -uc -b -j"$(nproc)") >"$out/build.log" 2>&1; then
	tail -n 30 "$out/build.log" >&2
	echo "mkdeb: dpkg-buildpackage failed; see $out/build.log" >&2
	exit 1
fi
rm -rf "$tree"
ls -1 "$out"/*.deb
