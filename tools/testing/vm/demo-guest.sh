#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest side of "make demo" (demo.sh): a mirvol volume over two brd
# RAM disks with ext4 on it.  With --shell, it ends in an interactive
# shell with the volume mounted; otherwise it tears everything down.
set -eu

PATH=$MIRVOL_SRC/tools/mirvolctl:$PATH
mnt=/mnt/demo

say() {
	printf '\ndemo# %s\n' "$*"
}

run() {
	say "$@"
	"$@"
}

run modprobe brd rd_nr=2 rd_size=$((128 * 1024))
run modprobe mirvol
say mirvolctl create --name demo /dev/ram0 /dev/ram1
vol=$(mirvolctl create --name demo /dev/ram0 /dev/ram1)
echo "$vol"
udevadm settle
run mkfs.ext4 -q -L demo "$vol"
mkdir -p "$mnt"
run mount "$vol" "$mnt"
run cp -r "$MIRVOL_SRC/uapi" "$MIRVOL_SRC/drivers" "$mnt/"
run dd if=/dev/urandom of="$mnt/random.bin" bs=1M count=16 status=none
run sync
run df -h "$mnt"
run ls -l "$mnt"
run mirvolctl show demo
run mirvolctl list

if [ "${1:-}" = --shell ]; then
	cat <<-MSG

	The volume "demo" ($vol) is mounted on $mnt; mirvolctl is in PATH.
	Try: mirvolctl show demo, mirvolctl list, mirvolctl --help.
	MSG
	exec "$MIRVOL_SRC/tools/testing/vm/guest-shell.sh"
fi
run umount "$mnt"
run mirvolctl remove --yes demo
run rmmod mirvol
echo
echo "demo: done"
