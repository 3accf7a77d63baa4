#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the mirvol test VM.  initramfs-init runs it from the host's /
# (9p, read-only, under a tmpfs overlay).  It mounts the API filesystems
# and the writable results share, makes the repository's mirvol.ko known
# to modprobe, optionally starts udevd with the project's rules, runs the command vm.sh wrote,
# stores its exit status in $MVTEST_DIR/status and powers off.  No status
# file means the guest died; vm.sh reports that.
#
# Kernel command line (set by vm.sh):
#   mvtest.repo=DIR   the repository (same path as on the host)
#   mvtest.share=DIR  host directory shared writable (tag "out"), same path
#   mvtest.dir=DIR    this boot's directory inside the share
#   mvtest.cmd=FILE   bash script to run
#   mvtest.udev=0|1   start systemd-udevd
#   mvtest.modindex=DIR  modules.* index with mirvol.ko (mkmodindex.sh)
#
# "guest-init.sh --systemd": the same, run by mvtest.service in a guest
# whose PID 1 is systemd (vm.sh -s, see initramfs-init): systemd mounted
# the API file systems and runs udevd, initramfs-init installed the module
# index, and the guest powers off through systemd.

PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
HOME=/root
LC_ALL=C
export PATH HOME LC_ALL

say() {
	echo "mvtest-init: $*"
}

systemd=0
[ "${1:-}" != --systemd ] || systemd=1

halt() {
	sync
	if [ $systemd = 1 ]; then
		systemctl --no-block poweroff && exit 0
		say "systemctl poweroff failed"
	fi
	# Without ACPI (the debug kernel) power off only halts the CPUs; QEMU
	# (-no-reboot) exits on a reboot.
	[ -d /sys/firmware/acpi ] || busybox reboot -f
	busybox poweroff -f
	echo o >/proc/sysrq-trigger
	sleep 60
}

# /dev, /proc and /sys come mounted from the initramfs.
if [ $systemd = 0 ]; then
	mkdir -p /dev/pts /dev/shm
	mount -t devpts -o nosuid,noexec,gid=5,mode=0620,ptmxmode=0666 devpts /dev/pts
	mount -t tmpfs -o nosuid,nodev tmpfs /dev/shm
	mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs /run
	mount -t debugfs debugfs /sys/kernel/debug
	mkdir -p /run/lock /run/udev
	ln -sf /proc/self/fd /dev/fd
	ln -sf /proc/self/fd/0 /dev/stdin
	ln -sf /proc/self/fd/1 /dev/stdout
	ln -sf /proc/self/fd/2 /dev/stderr
fi
hostname mvtest

repo=
share=
dir=
cmd=
udev=1
modindex=
read -r cmdline </proc/cmdline
for arg in $cmdline; do
	case $arg in
	mvtest.repo=*) repo=${arg#*=} ;;
	mvtest.share=*) share=${arg#*=} ;;
	mvtest.dir=*) dir=${arg#*=} ;;
	mvtest.cmd=*) cmd=${arg#*=} ;;
	mvtest.udev=*) udev=${arg#*=} ;;
	mvtest.modindex=*) modindex=${arg#*=} ;;
	esac
done
if [ -z "$repo" ] || [ -z "$share" ] || [ -z "$dir" ] || [ -z "$cmd" ]; then
	say "FATAL: mvtest.repo/share/dir/cmd missing on the kernel command line"
	halt
fi
# A clean /tmp, unless the repository lives there (a CI clone in /tmp):
# the overlay's /tmp is writable too.
case $repo/ in
/tmp/*) ;;
*) mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs /tmp ;;
esac
if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 out "$share"; then
	say "FATAL: cannot mount the results share (9p tag 'out') on $share"
	halt
fi

# A hung task is a failure; report it well before the host's watchdog.
echo 60 >/proc/sys/kernel/hung_task_timeout_secs

# "modprobe mirvol": the module index vm.sh made with the repository's build
# (for the debug kernel, all its modules: modprobe needs it first).
if [ $systemd = 0 ] && [ -n "$modindex" ] &&
   ! cp -R "$modindex/." "/lib/modules/$(uname -r)/"; then
	say "FATAL: cannot install the module index $modindex"
	halt
fi

modprobe configfs
mountpoint -q /sys/kernel/config || mount -t configfs configfs /sys/kernel/config
# The virtio disks' driver (the udev coldplug below is for block devices only).
modprobe virtio_blk

# The project's udev rules, as "make install" would install them.
if [ "$udev" = 1 ]; then
	for rules in "$repo"/tools/udev/*.rules; do
		[ -f "$rules" ] || continue
		sed "s|@SBINDIR@|$repo/tools/mirvolctl|g" "$rules" \
			>"/etc/udev/rules.d/${rules##*/}"
	done
fi

if [ "$udev" = 1 ]; then
	# Under systemd, its udevd runs already: reread the rules.  Else
	# start one.  Then the coldplug.
	if [ $systemd = 1 ]; then
		start_udev="udevadm control --reload"
	else
		start_udev="/lib/systemd/systemd-udevd --daemon"
	fi
	if ! { $start_udev &&
	       udevadm trigger --action=add --subsystem-match=block \
			--subsystem-match=misc &&
	       udevadm settle --timeout=60; }; then
		say "FATAL: starting udev or its coldplug failed"
		halt
	fi
fi

MVTEST_DIR=$dir
MVTEST_SHARE=$share
MIRVOL_SRC=$repo
export MVTEST_DIR MVTEST_SHARE MIRVOL_SRC
cd / || halt
bash "$cmd"
rc=$?
echo "$rc" >"$dir/status.tmp" && mv "$dir/status.tmp" "$dir/status"
halt
