#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the mirvol test VM: Debian's own kernel (that of $KDIR) under QEMU
# with the busybox initramfs from mkinitramfs.sh, the host's / as a
# read-only root (plus a tmpfs overlay) and tools/testing/out as a
# writable share at the same path.  Runs COMMAND in the guest (from the
# current directory, as root) and powers off.
#
# Usage: vm.sh [options] [--] [COMMAND [ARG...]]
#   -m MEM          guest memory (default 2G)
#   -c N            vCPUs (default 2)
#   -d IMG[:NAME]   attach raw image IMG as a virtio disk whose serial is
#                   NAME (default: IMG's basename without extension); the
#                   guest finds it with /sys/block/vd*/serial. Repeatable.
#   -t SECS         watchdog (default 600, 0: none); the guest re-arms it
#                   by writing "SEQ SECS" to $MVTEST_DIR/watchdog
#   -o DIR          boot directory under tools/testing/out (default
#                   tools/testing/out/vm): console.log, vm.result, ...
#   -U              do not start systemd-udevd in the guest (with -s:
#                   do not install the project's udev rule)
#   -s IMG          boot systemd as PID 1 (unit mvtest.target, which runs
#                   the command) on a persistent root: the raw image IMG,
#                   given an ext4 file system here if it has none, holds
#                   the overlay's upper layer (disk serial "mvroot"), so
#                   what the guest installs survives into the next boot
#                   with the same IMG
#   -i              interactive: the serial console is this terminal
#   -v              copy the console to stdout
# Without COMMAND, an interactive shell (implies -i).
#
# The guest asks to be killed (crash-consistency tests) by creating
# $MVTEST_DIR/kill-me; QEMU then gets SIGKILL within 0.2 s.
#
# Environment: MVTEST_KVM=1 uses KVM instead of TCG (nested guests crash
# on the build machines, so TCG is the default); MVTEST_ACCEL sets the
# TCG options (default tcg,thread=single, see below); MVTEST_CPU the
# vCPU model (default qemu64,+rdrand,-cx16, see below); MVTEST_QEMU_ARGS
# adds QEMU arguments; MVTEST_APPEND adds to the kernel command line
# (slub_debug=FZPU, say); MIRVOL_KO (default: the repository's mirvol.ko) is the
# module "modprobe mirvol" loads in the guest.  MVTEST_TORTURE,
# MVTEST_SEED and MVTEST_CHAOS_SECONDS (the tests' budget, random seed and
# 147's length) are passed to the command.
# MVTEST_KERNEL=debug boots the debug kernel instead (debug-kernel.sh:
# lockdep, KASAN, kmemleak, ...) with mirvol.ko built for it from the
# repository's sources.
#
# $DIR/vm.result says how the boot ended: result=ok|fail|kernel-error|
# crash|timeout|killed, status=, reason=, seconds=.  Exit status: the
# command's; 124 timeout; 125 the guest died without a status (panic,
# oops); 126 kernel error in the console log; 137 killed on request.
set -u

# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

mem=2G
cpus=2
timeout=600
dir=$OUT_DIR/vm
udev=1
interactive=0
verbose=0
disks=()
rootimg=
while getopts m:c:d:t:o:s:Uiv opt; do
	case $opt in
	m) mem=$OPTARG ;;
	c) cpus=$OPTARG ;;
	d) disks+=("$OPTARG") ;;
	t) timeout=$OPTARG ;;
	o) dir=$OPTARG ;;
	U) udev=0 ;;
	s) rootimg=$OPTARG ;;
	i) interactive=1 ;;
	v) verbose=1 ;;
	*) sed -n '/^# Usage/,/^# Without/s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || interactive=1
[[ $timeout =~ ^[0-9]+$ ]] || die "bad timeout '$timeout'"

dir=$(realpath -m "$dir")
case $dir/ in
"$OUT_DIR"/*) ;;
*) die "$dir is not under $OUT_DIR" ;;
esac
mkdir -p "$dir"
exec {lockfd}>"$dir/.lock"
flock -n "$lockfd" || die "another VM is using $dir"
for p in "$MIRVOL_SRC" "$CACHE_DIR" "$dir" "$PWD"; do
	[[ $p =~ [[:space:]] ]] && die "'$p': paths with blanks cannot go on the kernel command line"
done

if [ -z "${MVTEST_KERNEL:-}" ]; then
	rel=$(kernel_release) || exit 1
	image=/boot/vmlinuz-$rel
elif [ "$MVTEST_KERNEL" = debug ]; then
	dk=$("$MIRVOL_SRC/tools/testing/vm/debug-kernel.sh") || die "building the debug kernel failed"
	image=$dk/bzImage
else
	die "unknown MVTEST_KERNEL '$MVTEST_KERNEL' (debug or nothing)"
fi
initrd=$("$MIRVOL_SRC/tools/testing/vm/mkinitramfs.sh") || die "building the initramfs failed"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is missing; run 'make deps'"

rm -f "$dir"/{console.log,qemu.log,vm.result,status,status.tmp,kill-me,watchdog}

# The command, run by guest-init.sh with bash.
{
	echo "# Written by vm.sh; run in the guest by guest-init.sh."
	printf 'cd %q || exit 1\n' "$PWD"
	for v in MVTEST_TORTURE MVTEST_SEED MVTEST_CHAOS_SECONDS; do
		[ -z "${!v:-}" ] || printf 'export %s=%q\n' "$v" "${!v}"
	done
	if [ $# -eq 0 ]; then
		printf 'export TERM=%q MVTEST_TTY_SIZE=%q\n' "${TERM:-linux}" \
			"$(stty size 2>/dev/null)"
		printf 'exec %q\n' "$MIRVOL_SRC/tools/testing/vm/guest-shell.sh"
	else
		[ $interactive -eq 0 ] || printf 'export TERM=%q\n' "${TERM:-linux}"
		printf 'exec'
		printf ' %q' "$@"
		printf '\n'
	fi
} >"$dir/cmd.sh"

# Single-threaded TCG: the vCPUs take turns on one host thread.  With
# one thread per vCPU (thread=multi), QEMU 7.2 can let a vCPU run code
# that another vCPU is patching (static keys: text_poke_bp() and its
# int3): guests died of "Oops: int3 ... Fatal exception in interrupt",
# in crng_make_state here and during boot on a CI machine.  The guest
# still has MVTEST_CPUS vCPUs, preemption and concurrent I/O; only the
# host runs them on one core.  The benchmark asks for thread=multi.
# RDRAND makes the crng ready at boot, before the second vCPU starts.
# No CMPXCHG16B (-cx16): QEMU 7.2's TCG, single-threaded too, now and
# then gives the guest a double fault in SLUB's cmpxchg16b fast path,
# with a corrupt EFLAGS image in the fault's frame (no #PF: CR2 still
# holds an old user address).  It has crashed guests with no mirvol code
# on the stack, before mirvol.ko was loaded (151's boot) and in the
# benchmark's -icount runs (performance.rst), and once in 090 under
# mirvol_submit_bio().  Without CX16 the guest's SLUB takes its
# interrupts-off per-cpu path instead.  MVTEST_CPU sets the model.
accel=(-accel "${MVTEST_ACCEL:-tcg,thread=single}" -cpu "${MVTEST_CPU:-qemu64,+rdrand,-cx16}")
[ "${MVTEST_KVM:-0}" = 1 ] && accel=(-accel kvm -cpu host)
append="console=ttyS0 printk.time=1 panic=-1 oops=panic"
append+=" mvtest.repo=$MIRVOL_SRC mvtest.share=$OUT_DIR mvtest.dir=$dir"
append+=" mvtest.cmd=$dir/cmd.sh mvtest.udev=$udev"
[ -z "${MVTEST_APPEND:-}" ] || append+=" $MVTEST_APPEND"
if [ -n "$rootimg" ]; then
	[ -f "$rootimg" ] || die "root image $rootimg does not exist"
	if ! blkid -p -s TYPE -o value "$rootimg" 2>/dev/null | grep -qx ext4; then
		mkfs.ext4 -q -F -L mvroot "$rootimg" || die "mkfs.ext4 $rootimg failed"
	fi
	disks+=("$rootimg:mvroot")
	append+=" mvtest.root=mvroot"
fi
# Let "modprobe mirvol" find the repository's build.
ko=${MIRVOL_KO:-$MIRVOL_SRC/mirvol.ko}
if [ -n "${dk:-}" ]; then
	append+=" mvtest.modindex=$dk/lib/modules/$(cat "$dk/release")"
elif [ -f "$ko" ]; then
	modindex=$("$MIRVOL_SRC/tools/testing/vm/mkmodindex.sh" "$ko") ||
		die "indexing $ko failed"
	append+=" mvtest.modindex=$modindex"
fi
qemu=(qemu-system-x86_64 -nodefaults -no-user-config -nographic -no-reboot
      "${accel[@]}" -m "$mem" -smp "$cpus"
      -kernel "$image" -initrd "$initrd" -append "$append"
      -chardev "stdio,id=con,mux=on,signal=off,logfile=$dir/console.log"
      -serial chardev:con -mon "chardev=con,mode=readline"
      -virtfs "local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap"
      -virtfs "local,path=$OUT_DIR,mount_tag=out,security_model=none,multidevs=remap")
i=0
for d in "${disks[@]}"; do
	img=${d%%:*}
	name=${d#*:}
	[ "$name" != "$d" ] || { name=$(basename "$img"); name=${name%.*}; }
	[ -f "$img" ] || die "disk image $img does not exist"
	[[ $img =~ [,[:space:]] ]] && die "'$img': no commas or blanks in image paths"
	qemu+=(-drive "if=none,id=disk$i,format=raw,cache=unsafe,file=$img"
	       -device "virtio-blk-pci,drive=disk$i,serial=$name")
	i=$((i + 1))
done
# shellcheck disable=SC2206 # word splitting is the point
[ -n "${MVTEST_QEMU_ARGS:-}" ] && qemu+=(${MVTEST_QEMU_ARGS})

start=$SECONDS
result=
reason=
if [ $interactive -eq 1 ] && [ "$timeout" -eq 0 ]; then
	"${qemu[@]}" 2>"$dir/qemu.log"
	qrc=$?
else
	if [ $interactive -eq 1 ]; then
		"${qemu[@]}" <&0 2>"$dir/qemu.log" &
	elif [ $verbose -eq 1 ]; then
		"${qemu[@]}" </dev/null 2>"$dir/qemu.log" &
	else
		"${qemu[@]}" </dev/null >/dev/null 2>"$dir/qemu.log" &
	fi
	qpid=$!
	trap 'kill -KILL $qpid 2>/dev/null' EXIT
	trap 'exit 130' INT TERM
	deadline=$((start + timeout))
	seq=
	while kill -0 "$qpid" 2>/dev/null; do
		if [ -e "$dir/kill-me" ]; then
			kill -KILL "$qpid"
			result=killed
			reason="killed at the guest's request"
			break
		fi
		if read -r s t 2>/dev/null <"$dir/watchdog" && [ "$s" != "$seq" ] &&
		   [[ $t =~ ^[0-9]+$ ]]; then
			seq=$s
			deadline=$((SECONDS + t))
			[ "$t" -gt 0 ] || deadline=0
		fi
		if [ "$timeout" -gt 0 ] && [ "$deadline" -gt 0 ] && [ $SECONDS -ge "$deadline" ]; then
			kill -KILL "$qpid"
			result=timeout
			reason="timed out after $((SECONDS - start)) s"
			break
		fi
		sleep 0.2
	done
	wait "$qpid"
	qrc=$?
	trap - EXIT INT TERM
fi

status=
if [ -z "$result" ]; then
	if read -r status 2>/dev/null <"$dir/status"; then
		result=ok
		[ "$status" = 0 ] || { result=fail; reason="command exited with status $status"; }
	else
		result=crash
		# The first sign of trouble, then the panic message.
		err=$(kernel_errors "$dir/console.log" | grep -v 'Call Trace' | head -n 1)
		reason=$(grep -m1 -aoE 'Kernel panic.*|mvtest-init[a-z]*: FATAL.*' "$dir/console.log" | tr -d '\r')
		if [ -n "$err" ] && [[ $err != *"$reason"* ]]; then
			reason="${err#*] }; ${reason:-no panic message}"
		fi
		# Where it happened: the first oops's instruction pointer.
		rip=$(grep -m1 -aoE 'RIP: [0-9a-f]{4}:[^ ]+' "$dir/console.log" | tr -d '\r')
		[ -z "$rip" ] || reason="$reason; ${rip}"
		[ -n "$reason" ] || reason="QEMU exited ($qrc) without a status from the guest: $(tail -n 1 "$dir/qemu.log" 2>/dev/null)"
	fi
fi
if [ "$result" != crash ] && [ "$result" != timeout ]; then
	err=$(kernel_errors "$dir/console.log" | head -n 1)
	if [ -n "$err" ]; then
		result=kernel-error
		reason="kernel: ${err#*] }"
	fi
fi

printf 'result=%s\nstatus=%s\nreason=%s\nseconds=%d\n' "$result" "$status" \
	"$reason" $((SECONDS - start)) >"$dir/vm.result"
[ "$result" = ok ] || echo "vm: $result: $reason (console: $dir/console.log)" >&2
case $result in
ok|fail) exit "$status" ;;
timeout) exit 124 ;;
crash) exit 125 ;;
kernel-error) exit 126 ;;
killed) exit 137 ;;
esac
