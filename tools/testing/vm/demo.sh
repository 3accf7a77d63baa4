#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What "make demo" runs: the test VM, booted twice over three disk images
# (demo-guest.sh).  The first boot makes a mirrored volume with ext4 on
# two disks, breaks a plex off the mounted file system (a snapshot; its
# files listed), writes on both sides, merges the plex back copying only
# the changes, adds the third disk with its progress, and shows op status,
# op list and the monitor's events; then the VM is switched off.  The
# second boot shows the volume assembled by udev by itself, its files
# there.  On a terminal, the demo then leaves you at a shell in the VM
# (serial console; exit or poweroff ends it); otherwise it powers off.
# The consoles are saved in tools/testing/out/demo/{first,second}/.
set -u

# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

here=$MIRVOL_SRC/tools/testing/vm
for f in "$MIRVOL_SRC/mirvol.ko" "$MIRVOL_SRC/tools/mirvolctl/mirvolctl"; do
	[ -e "$f" ] || die "$f is not built; run 'make'"
done
disks=$CACHE_DIR/demo-disks
rm -rf "$disks"
mkdir -p "$disks"
dargs=()
for n in a b c; do
	truncate -s 256M "$disks/$n.img"
	dargs+=(-d "$disks/$n.img:$n")
done
echo "demo: first boot: create, break-plex, merge-plex, add-plex, monitor..."
"$here/vm.sh" -v -t 900 -o "$OUT_DIR/demo/first" "${dargs[@]}" -- "$here/demo-guest.sh" first ||
	die "the first boot of the demo failed (tools/testing/out/demo/first/console.log)"
echo
echo "demo: second boot: the volume assembles by itself"
if [ -t 0 ] && [ -t 1 ]; then
	echo "demo: (Ctrl-A X quits QEMU)"
	exec "$here/vm.sh" -i -t 0 -o "$OUT_DIR/demo/second" "${dargs[@]}" -- \
		"$here/demo-guest.sh" second --shell
fi
"$here/vm.sh" -v -t 600 -o "$OUT_DIR/demo/second" "${dargs[@]}" -- "$here/demo-guest.sh" second
rc=$?
rm -rf "$disks"
exit $rc
