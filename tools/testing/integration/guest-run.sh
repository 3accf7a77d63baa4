#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest side of the integration tests (run.sh boots the VM with it).
#
#   guest-run.sh PLAN [DIR]   run the plan's tests one after another
#   guest-run.sh --test FILE FUNC   (internal) run one test function
#   guest-run.sh --reset      (internal) return the VM to a clean state
#
# PLAN has one "NAME FILE FUNC TIMEOUT" line per test.  For each, the
# test's output goes to DIR/NAME.log (default DIR:
# tools/testing/out/integration) and its
# verdict, "PASS" or "FAIL <reason>", to $MVTEST_DIR/NAME.result, written
# only once the test, its cleanup, the generic reset and the kernel log
# check are done; $MVTEST_DIR/current names the test in progress, so the
# host knows whom to blame for a crash or a hang.  Kernel log lines
# "mvtest-run: begin NAME" delimit each test's share of the console.
# When the reset fails or the kernel logged an error, the boot ends early:
# run.sh runs the remaining tests in a fresh VM.  On a kernel with kmemleak
# (the debug kernel), what a test leaked fails it.
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../common.sh
. "$here/../common.sh"

# Leaves of a mirvol test setup, in teardown order.
reset_env() {
	local ok=1 m u uuids d mounts try
	problem() { echo "reset: $*"; ok=0; }

	settle_quietly
	# File systems on test devices, and anything under /mnt or TEST_TMP.
	mapfile -t mounts < <(awk '$1 ~ "^/dev/(mirvol|ram|nullb|mapper/|dm-|sd|vd|md|loop)" ||
		$2 ~ "^/(mnt|tmp/mvtest)/" { print $2 }' /proc/mounts | sort -r)
	for m in "${mounts[@]}"; do
		umount "$m" || problem "cannot unmount $m"
	done
	# Volumes are stopped, not removed: a stage's volume must survive on
	# its disks.  udev's incremental assembly may bring a volume back: a
	# few rounds.
	for try in 1 2 3; do
		[ -d /sys/module/mirvol ] || break
		if [ -x "$MIRVOLCTL" ] && [ -c /dev/mirvol-control ]; then
			uuids=$("$MIRVOLCTL" list --json | jq -r '.[].uuid') ||
				problem "mirvolctl list --json failed"
			for u in $uuids; do
				"$MIRVOLCTL" stop "$u" || problem "cannot stop volume $u"
			done
		fi
		settle_quietly
		rmmod_retry mirvol && break
		[ $try -lt 3 ] || problem "cannot rmmod mirvol"
	done
	if grep -q '^md' /proc/mdstat 2>/dev/null; then
		mdadm --stop --scan || problem "cannot stop the md arrays"
	fi
	if [ -d /sys/module/dm_mod ]; then
		dmsetup remove_all --force || problem "dmsetup remove_all failed"
		if dmsetup ls 2>/dev/null | grep -vq '^No devices found'; then
			problem "device-mapper devices remain: $(dmsetup ls | tr '\n' ' ')"
		fi
	fi
	losetup -D
	for d in /sys/kernel/config/nullb/*/; do
		[ -d "$d" ] || continue
		if ! { echo 0 >"$d/power" && rmdir "$d"; }; then
			problem "cannot remove null_blk ${d%/}"
		fi
	done
	settle_quietly
	for m in brd null_blk scsi_debug; do
		[ ! -d "/sys/module/$m" ] || rmmod_retry "$m" || problem "cannot rmmod $m"
	done
	rm -rf /run/mvtest
	[ $ok -eq 1 ]
}

settle_quietly() {
	! pidof systemd-udevd >/dev/null || udevadm settle --timeout=30
}

# Devices may be briefly held by udev's probing.
rmmod_retry() {
	local i
	for i in 1 2 3 4 5; do
		rmmod "$1" 2>/dev/null && return 0
		settle_quietly
		sleep "0.$i"
	done
	rmmod "$1"
}

# run_one FILE FUNC: the test process.
run_one() {
	local file=$1 func=$2
	set -eEu -o pipefail
	# shellcheck source=lib.sh
	. "$here/lib.sh"
	_MVTEST_FILE=$file
	trap '_mvtest_on_err $? "$BASH_COMMAND" $LINENO' ERR
	trap _mvtest_exit EXIT
	trap 'exit 143' TERM INT
	# shellcheck disable=SC1090 # the test
	. "$file"
	declare -F "$func" >/dev/null || fail "$file has no function $func"
	log "running $TEST_NAME: $func"
	"$func"
	log "$func: done"
}

_mvtest_exit() {
	local rc=$?
	set +eE
	trap - ERR
	if declare -F cleanup >/dev/null; then
		log "cleanup"
		cleanup || log "cleanup failed with status $?"
	fi
	return $rc
}

# wait_gone PGID: wait up to 5 s for the process group to be empty.
wait_gone() {
	local i
	for ((i = 0; i < 50; i++)); do
		pgrep -g "$1" >/dev/null || return 0
		sleep 0.1
	done
	return 1
}

KMEMLEAK=/sys/kernel/debug/kmemleak

# jiffies: the kernel's jiffies now.
jiffies() {
	awk '$1 == "jiffies:" { print $2; exit }' /proc/timer_list
}

# kmemleak_scan SINCE: print the objects kmemleak finds unreferenced and
# that were allocated at jiffies SINCE or later, and forget all those it
# reported (later scans do not report them again).  kmemleak reports an
# object only when a scan finds it unreferenced and unchanged since the
# previous scan (mm/kmemleak.c: the first scan that checksums an object
# only greys it), and only once it is 5 s old: wait, then scan twice.  A
# scan takes about 40 s on the debug kernel under TCG.
kmemleak_scan() {
	local since=$1 i
	sleep 5
	for i in 1 2; do
		echo scan 2>/dev/null >"$KMEMLEAK" ||
			{ echo "kmemleak: scan failed (kmemleak disabled?)"; return 1; }
	done
	awk -v since="$since" '
		/^unreferenced object/ { head = $0; keep = 0; next }
		/^  comm .*, jiffies [0-9]+$/ { keep = $NF >= since; if (keep) print head }
		keep' "$KMEMLEAK"
	echo clear >"$KMEMLEAK"
}

# kmemleak_verdict LEAKS TEXT: a verdict naming where the first leaked
# object was allocated: its first mirvol frame, else its first frame that
# is not the allocator's.  mirvol is unloaded by then and its frames are
# bare addresses: TEXT, "ADDRESS SIZE" of the module's .text as it was
# loaded at the end of the test, turns one into an offset in mirvol.ko.
kmemleak_verdict() {
	local n site base size off
	n=$(grep -c '^unreferenced object' <<<"$1")
	site=$(awk '/^unreferenced object/ { n++ } /^  backtrace/ { bt = n == 1 }
		    bt && /^    / { print $1 " " $2 }' <<<"$1")
	site=$(grep -m1 -F ' [mirvol]' <<<"$site" ||
	       grep -m1 -vE '^(kmemleak_|_*km|_*kv|_*kz|_*kc|_*kr|_*alloc_|_*vmalloc|mempool_|slab_)' <<<"$site") || true
	site=${site% }
	read -r base size <<<"$2"
	if [[ $site =~ ^0x[0-9a-f]+$ ]] && [ -n "$base" ]; then
		off=$((site - base))
		[ $off -lt 0 ] || [ $off -ge "$size" ] ||
			site=$(printf 'mirvol.ko .text+0x%x (%s)' $off "$site")
	fi
	echo "FAIL kmemleak: $n unreferenced object(s), the first allocated in ${site:-?}"
}

# arm SECS: the host kills the VM unless re-armed within SECS.
arm_watchdog() {
	seq=$((seq + 1))
	echo "$seq $1" >"$MVTEST_DIR/watchdog.tmp" && mv "$MVTEST_DIR/watchdog.tmp" "$MVTEST_DIR/watchdog"
}

put() {
	printf '%s\n' "$2" >"$MVTEST_DIR/$1.tmp" && mv "$MVTEST_DIR/$1.tmp" "$MVTEST_DIR/$1"
}

run_plan() {
	local results=${2:-$OUT_DIR/integration} name file func tmo log verdict rc tpid err t0
	local since leaks text base size now stop=0
	seq=0
	while read -r name file func tmo; do
		log=$results/$name.log
		put current "$name"
		arm_watchdog $((tmo + 60))
		[ ! -e "$KMEMLEAK" ] || since=$(jiffies)
		echo "mvtest-run: begin $name" >/dev/kmsg
		printf -v now '%(%T)T'
		echo "=== $name: $func (boot ${MVTEST_DIR##*/}, $now) ===" >>"$log"

		export TEST_NAME=$name TEST_STAGE=$func
		export TEST_SCRATCH=$results/$name.d TEST_TMP=/tmp/mvtest/$name
		export _MVTEST_REASON=/tmp/mvtest/$name.reason
		mkdir -p "$TEST_TMP" "$TEST_SCRATCH"
		rm -f "$_MVTEST_REASON"
		# timeout(1) puts the test in a process group of its own.
		t0=$SECONDS
		timeout -k 10 "$tmo" "$0" --test "$file" "$func" </dev/null >>"$log" 2>&1 &
		tpid=$!
		wait $tpid 2>/dev/null	# no "Killed" job notice on the console
		rc=$?
		kill -KILL -- "-$tpid" 2>/dev/null
		if [ $rc -eq 0 ]; then
			verdict=PASS
		elif [ $((SECONDS - t0)) -ge "$tmo" ]; then
			verdict="FAIL timed out after ${tmo}s"
		else
			verdict="FAIL $(head -n 1 "$_MVTEST_REASON" 2>/dev/null || echo "exit status $rc")"
		fi

		# Where mirvol's code is, before the reset unloads it.
		text=
		if read -r base 2>/dev/null </sys/module/mirvol/sections/.text &&
		   read -r size 2>/dev/null </sys/module/mirvol/coresize; then
			text="$base $size"
		fi
		arm_watchdog 300
		if ! err=$("$0" --reset 2>&1); then
			printf '%s\n' "$err" >>"$log"
			[ "$verdict" != PASS ] ||
				verdict="FAIL $(printf '%s\n' "$err" | grep '^reset:' | head -n 1)"
			stop=1
		fi
		# What SIGKILL and the reset did not end is stuck in the kernel.
		if ! wait_gone "$tpid"; then
			{ echo "processes of the test remain:"; ps -o pid,stat,wchan:32,args -p "$(pgrep -d, -g "$tpid")"; } >>"$log"
			[ "$verdict" != PASS ] || verdict="FAIL processes of the test are stuck in the kernel"
			stop=1
		fi
		# After the reset: mirvol is unloaded, whatever it kept is leaked.
		if [ -e "$KMEMLEAK" ]; then
			if ! leaks=$(kmemleak_scan "$since"); then
				verdict="FAIL $leaks"
				stop=1
			elif [ -n "$leaks" ]; then
				{ echo "--- kmemleak:"; printf '%s\n' "$leaks"; } >>"$log"
				[[ $verdict == FAIL* ]] || verdict=$(kmemleak_verdict "$leaks" "$text")
			fi
		fi
		# kernel_errors' match in the same awk: fewer processes.
		err=$(dmesg | KRE="\\[ *[0-9]+\\.[0-9]+\\] .*($KERNEL_ERROR_RE)" awk -v n="$name" '
			/mvtest-run: begin / { on = (substr($0, index($0, "mvtest-run: begin ") + 18) == n) }
			on && $0 ~ ENVIRON["KRE"] { gsub(/\r/, ""); print; exit }')
		if [ -n "$err" ]; then
			verdict="FAIL kernel: ${err#*] }"
			stop=1
		fi
		echo "--- $verdict" >>"$log"
		put "$name.result" "$verdict"
		rm -f "$MVTEST_DIR/current"
		[ $stop -eq 0 ] || break
	done <"$1"
}

MIRVOLCTL=$MIRVOL_SRC/tools/mirvolctl/mirvolctl
case ${1:-} in
--test) shift; run_one "$@" ;;
--reset) reset_env ;;
-*|"") echo "usage: guest-run.sh PLAN" >&2; exit 2 ;;
*) run_plan "$@" ;;
esac
