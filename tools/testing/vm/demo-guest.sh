#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo inside the VM (demo.sh boots it twice over the same three disk
# images):
#   demo-guest.sh first    a mirrored volume with ext4 on two disks; an
#                          online break-plex --track-changes of the mounted
#                          file system, the snapshot's files; writes on
#                          both sides, merge-plex copying only the
#                          changes; add-plex of the third disk with its
#                          progress; op status and op list; the monitor's
#                          events.  Then the VM is switched off.
#   demo-guest.sh second [--shell]   the next boot: udev assembled the
#                          volume by itself; its files are there.
set -eu

PATH=$MIRVOL_SRC/tools/mirvolctl:$PATH
mnt=/mnt/demo
snap=/mnt/snap

say() {
	printf '\ndemo# %s\n' "$*"
}

run() {
	say "$@"
	"$@"
}

# disk SERIAL: the virtio disk demo.sh attached under that name.
disk() {
	local s
	for s in /sys/block/vd*/serial; do
		if [ "$(cat "$s")" = "$1" ]; then
			s=${s%/serial}
			echo "/dev/${s##*/}"
			return 0
		fi
	done
	echo "demo: no disk $1" >&2
	exit 1
}

first() {
	local a b c vol op sv
	a=$(disk a)
	b=$(disk b)
	c=$(disk c)
	run modprobe mirvol
	mirvolctl monitor >/tmp/monitor.log 2>&1 &
	say "mirvolctl create --name data --wait $a $b"
	vol=$(mirvolctl create --name data --wait "$a" "$b")
	echo "$vol"
	udevadm settle
	run mkfs.ext4 -q -L data "$vol"
	mkdir -p "$mnt" "$snap"
	run mount "$vol" "$mnt"
	run cp -r "$MIRVOL_SRC/uapi" "$MIRVOL_SRC/Documentation" "$mnt/"
	echo "written before the break" >"$mnt/note.txt"
	run sync
	run mirvolctl show data

	say "# Break a plex off the mounted file system: a consistent snapshot."
	say "mirvolctl break-plex data 1 --track-changes --name snap --wait"
	sv=$(mirvolctl break-plex data 1 --track-changes --name snap --wait)
	echo "$sv"
	udevadm settle
	run mount -o ro "$sv" "$snap"
	run ls -l "$snap"
	run cat "$snap/note.txt"
	echo "written after the break" >"$mnt/note.txt"
	run dd if=/dev/urandom of="$mnt/new.bin" bs=1M count=8 status=none
	run sync
	run cat "$mnt/note.txt" "$snap/note.txt"
	run umount "$snap"
	run mirvolctl list

	say "# Merge the snapshot's plex back: only what changed is copied."
	say "mirvolctl merge-plex data snap"
	op=$(mirvolctl merge-plex data snap)
	echo "$op"
	run mirvolctl op wait "$op"
	run mirvolctl op status "$op"

	say "# A third plex, copied in the background (throttled to show it)."
	echo 20000 >/sys/block/mirvol0/mirvol/sync_speed_max
	run mirvolctl add-plex data "$c" --wait
	echo system >/sys/block/mirvol0/mirvol/sync_speed_max
	run mirvolctl op list
	run mirvolctl show data
	run mirvolctl status || true
	say "cat /tmp/monitor.log   # mirvolctl monitor, running since the start"
	cat /tmp/monitor.log
	run umount "$mnt"
	say "# Switching the VM off; the next boot assembles the volume by itself."
}

second() {
	run mirvolctl list
	run mirvolctl show data
	mkdir -p "$mnt"
	run mount /dev/mirvol/data "$mnt"
	run ls -l "$mnt"
	run cat "$mnt/note.txt"
	if [ "${1:-}" = --shell ]; then
		cat <<-MSG

		The volume "data" is mounted on $mnt; mirvolctl is in PATH.
		Try: mirvolctl show data, mirvolctl monitor, mirvolctl --help.
		MSG
		exec "$MIRVOL_SRC/tools/testing/vm/guest-shell.sh"
	fi
	run umount "$mnt"
	run mirvolctl stop data
	echo
	echo "demo: done"
}

case ${1:-} in
first) first ;;
second) shift; second "$@" ;;
*) echo "usage: demo-guest.sh first | second [--shell]" >&2; exit 2 ;;
esac
