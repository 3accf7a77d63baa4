#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What "make demo" runs: boot the test VM and show mirvol at work
# (demo-guest.sh): a 2-plex volume on RAM disks, ext4 on it, some files,
# "mirvolctl show" and "mirvolctl list".  On a terminal, the demo then
# leaves you at a shell in the VM (serial console; exit or poweroff ends
# it); otherwise it runs to the end and powers off.  The console is
# saved in tools/testing/out/demo/console.log.
set -u

# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

here=$MIRVOL_SRC/tools/testing/vm
for f in "$MIRVOL_SRC/mirvol.ko" "$MIRVOL_SRC/tools/mirvolctl/mirvolctl"; do
	[ -e "$f" ] || die "$f is not built; run 'make'"
done
if [ -t 0 ] && [ -t 1 ]; then
	echo "demo: booting the VM (Ctrl-A X quits QEMU)..."
	exec "$here/vm.sh" -i -t 0 -o "$OUT_DIR/demo" -- "$here/demo-guest.sh" --shell
fi
exec "$here/vm.sh" -v -t 600 -o "$OUT_DIR/demo" -- "$here/demo-guest.sh"
