#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run mirvol's integration tests (tests/*.sh, in name order) in VM boots
# (tools/testing/vm/vm.sh) and print one line per test:
#   PASS <name>
#   FAIL <name> (<reason>)
# There is no SKIP: a missing prerequisite is a failure.  Logs go to
# tools/testing/out/integration/<name>.log, the console of every boot to
# tools/testing/out/integration/boots/, the counts to
# tools/testing/out/integration.counts (passed=N, failed=M).  Exits 1 if
# any test failed (a crash, a kernel error or a timeout fails the test).
#
# Usage: run.sh [PATTERN...]   (or TESTS="PATTERN..." run.sh)
#   PATTERN selects the tests whose name contains it (shell glob).
#   MVTEST_TESTS=DIR runs DIR/*.sh instead of tests/*.sh (DIR must be
#   visible in the guest: not under /tmp, which the guest replaces).
#   MVTEST_KERNEL=debug runs them on the debug kernel (vm.sh), where a
#   lockdep, KASAN or kmemleak report fails the test; the logs and counts
#   are then tools/testing/out/integration-debug{/,.counts}.
#
# A test file only defines variables and functions (run.sh sources it on
# the host to read them):
#   run_test()     the test, for a single-boot test
#   TEST_STAGES="stage1 stage2 ..."  instead: one boot per stage function,
#                  in order; the test passes if every stage passes.  A
#                  stage may end with request_kill (the host SIGKILLs the
#                  VM; that stage counts as passed), not the last one.
#   cleanup()      optional, run after run_test/each stage, even on failure
#   TEST_DISKS="NAME:SIZE ..."  disk images (sparse, created empty before
#                  the first stage, e.g. data:256M) attached to every boot
#                  of the test; in the guest "disk NAME" prints /dev/vdX
#   TEST_STAGE_DISKS="STAGE:NAME[,NAME...] ..."  attach only these disks
#                  in that stage (a member missing at boot, ...)
#   TEST_OWN_BOOT=1  run in a boot of its own (implied by TEST_STAGES,
#                  TEST_DISKS, TEST_MEM, TEST_CPUS)
#   TEST_TIMEOUT=SECS  per run_test/stage (default 300)
#   TEST_MEM=2G, TEST_CPUS=2  VM size
#   TEST_TORTURE_ONLY=1  too long for make check: runs when named, or with
#                  MVTEST_TORTURE=1 (make torture)
#   TEST_UDEV=0    no systemd-udevd in the guest: for tests that must see
#                  a volume stay stopped or offline, which udev's
#                  incremental assembly would undo.  Such a test that needs
#                  no boot of its own for another reason shares boots
#                  without udevd with the other TEST_UDEV=0 tests.  With
#                  TEST_SYSTEMD=1: udevd runs, without the project's rule
#                  (the test installs its own, e.g. from a package)
#   TEST_SYSTEMD=1 boot systemd as PID 1, on a root that persists from
#                  stage to stage (vm.sh -s: an ext4 image holds the
#                  overlay's upper layer): what a stage installs or
#                  configures in / is there at the next boot, as on a real
#                  machine (implies a boot of its own)
# Other single-boot tests share boots (those with TEST_UDEV=0 boots
# without udevd); between two tests the guest runs the test's cleanup,
# then a generic reset (guest-run.sh).  A crash or a hang fails the
# running test only; the others continue in a new boot.  Two VMs run at
# a time (MVTEST_LANES=1: one after the other).
set -u

# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

integ=$MIRVOL_SRC/tools/testing/integration
testdir=$(realpath "${MVTEST_TESTS:-$integ/tests}") || exit 1
[[ ! $testdir =~ [[:space:]] ]] || die "no blanks in test paths: $testdir"
vm=$MIRVOL_SRC/tools/testing/vm/vm.sh
out=$OUT_DIR/integration${MVTEST_KERNEL:+-$MVTEST_KERNEL}
counts=$out.counts
BOOT_TIMEOUT=300	# until the first test starts; the guest re-arms it
# The debug kernel runs the tests about ten times slower; TEST_TIMEOUTs
# are several times a test's usual time, four times them cover that.
SLOW=1
[ "${MVTEST_KERNEL:-}" != debug ] || SLOW=4
BOOT_TIMEOUT=$((BOOT_TIMEOUT * SLOW))

lock "$OUT_DIR/.integration.lock"
rm -rf "$out"
mkdir -p "$out/boots"
write_counts "$counts" 0 1

patterns=("$@")
[ $# -gt 0 ] || read -ra patterns <<<"${TESTS:-}"
tests=()
for f in "$testdir"/*.sh; do
	[ -f "$f" ] || continue
	name=$(basename "$f" .sh)
	# TEST_TORTURE_ONLY=1: too long for make check; run when named, or
	# by make torture (MVTEST_TORTURE=1).
	if [ ${#patterns[@]} -eq 0 ] && [ "${MVTEST_TORTURE:-0}" != 1 ] &&
	   grep -qx 'TEST_TORTURE_ONLY=1' "$f"; then
		continue
	fi
	if [ ${#patterns[@]} -gt 0 ]; then
		sel=0
		for p in "${patterns[@]}"; do
			# shellcheck disable=SC2053 # the pattern is a glob
			[[ $name == *$p* ]] && sel=1
		done
		[ $sel -eq 1 ] || continue
	fi
	tests+=("$name")
done
[ ${#tests[@]} -gt 0 ] || die "no tests match '${patterns[*]:-}'"
# Build it once here rather than in the first boot.
if [ "${MVTEST_KERNEL:-}" = debug ]; then
	"$MIRVOL_SRC/tools/testing/vm/debug-kernel.sh" >/dev/null ||
		die "building the debug kernel failed"
fi

passed=0
failed=0
boots=0
start=$SECONDS

# report NAME VERDICT: VERDICT is "PASS" or "FAIL <reason>".
report() {
	local reason=${2#FAIL }
	if [ "$2" = PASS ]; then
		echo "PASS $1"
		passed=$((passed + 1))
	else
		[ ${#reason} -le 200 ] || reason="${reason:0:197}..."
		echo "FAIL $1 ($reason)"
		echo "--- FAIL: $reason" >>"$out/$1.log"
		echo "$1" >>"$out/.failed"
		failed=$((failed + 1))
	fi
}

# meta NAME: read the test's settings into M_* (non-zero: not usable,
# with the reason in M_ERR).
meta() {
	local f=$testdir/$1.sh lines fn d v n
	M_ERR=
	# shellcheck disable=SC2016 # expanded by the inner bash
	if ! lines=$(bash -c '. "$1" >/dev/null || exit 1
		printf "%s\n" "${TEST_STAGES:-}" "${TEST_DISKS:-}" "${TEST_OWN_BOOT:-0}" \
			"${TEST_TIMEOUT:-300}" "${TEST_MEM:-}" "${TEST_CPUS:-}" \
			"${TEST_UDEV:-1}" "${TEST_SYSTEMD:-0}" \
			"${TEST_STAGE_DISKS:-}"
		declare -F | awk "{ printf \"%s \", \$3 }"; echo
		compgen -v TEST_ | tr "\n" " "' _ "$f" 2>&1); then
		M_ERR="cannot source the test: $(tail -n 1 <<<"$lines")"
		return 1
	fi
	{ read -r M_STAGES; read -r M_DISKS; read -r M_OWN; read -r M_TIMEOUT
	  read -r M_MEM; read -r M_CPUS; read -r M_UDEV; read -r M_SYSTEMD; read -r M_STAGE_DISKS; read -r M_FUNCS
	  read -r M_VARS; } <<<"$lines"
	# A misspelt setting would be ignored silently.
	for v in $M_VARS; do
		case $v in
		TEST_STAGES|TEST_DISKS|TEST_STAGE_DISKS|TEST_OWN_BOOT|TEST_TIMEOUT|TEST_MEM|TEST_CPUS|TEST_UDEV|TEST_SYSTEMD|TEST_TORTURE_ONLY) ;;
		*) M_ERR="unknown setting $v"; return 1 ;;
		esac
	done
	[ -n "$M_STAGES" ] || M_STAGES=run_test
	for fn in $M_STAGES; do
		[[ " $M_FUNCS " == *" $fn "* ]] || { M_ERR="no function $fn"; return 1; }
	done
	[[ $M_TIMEOUT =~ ^[1-9][0-9]*$ ]] || { M_ERR="bad TEST_TIMEOUT '$M_TIMEOUT'"; return 1; }
	M_TIMEOUT=$((M_TIMEOUT * SLOW))
	for d in $M_DISKS; do
		[[ $d =~ ^[a-z0-9_-]+:[1-9][0-9]*[KMG]$ ]] ||
			{ M_ERR="bad TEST_DISKS entry '$d' (NAME:SIZE, e.g. data:256M)"; return 1; }
	done
	for d in $M_STAGE_DISKS; do
		[[ " $M_STAGES " == *" ${d%%:*} "* ]] ||
			{ M_ERR="TEST_STAGE_DISKS: no stage ${d%%:*}"; return 1; }
		for n in $(tr , ' ' <<<"${d#*:}"); do
			[[ " $M_DISKS" == *" $n:"* ]] ||
				{ M_ERR="TEST_STAGE_DISKS: no disk $n in TEST_DISKS"; return 1; }
		done
	done
	[[ $M_UDEV =~ ^[01]$ ]] || { M_ERR="bad TEST_UDEV '$M_UDEV'"; return 1; }
	[[ $M_SYSTEMD =~ ^[01]$ ]] || { M_ERR="bad TEST_SYSTEMD '$M_SYSTEMD'"; return 1; }
	if [ "$M_STAGES" != run_test ] || [ -n "$M_DISKS$M_MEM$M_CPUS" ] ||
	   [ "$M_SYSTEMD" = 1 ]; then
		M_OWN=1
	fi
	# M_GROUP: the boots the test runs in: "own", or shared ones with
	# udevd ("udev") or without ("noudev").
	if [ "$M_OWN" = 1 ]; then
		M_GROUP=own
	elif [ "$M_UDEV" = 0 ]; then
		M_GROUP=noudev
	else
		M_GROUP=udev
	fi
	return 0
}

# boot TAG PLAN VM_ARGS...: one VM run of guest-run.sh; sets BOOTDIR and
# VM_RESULT/VM_REASON from vm.result.
boot() {
	local tag=$1 plan=$2
	shift 2
	boots=$((boots + 1))
	BOOTDIR=$out/boots/$(printf %02d $boots)-$tag
	mkdir -p "$BOOTDIR"
	mv "$plan" "$BOOTDIR/plan"
	"$vm" -o "$BOOTDIR" -t $BOOT_TIMEOUT "$@" -- "$integ/guest-run.sh" "$BOOTDIR/plan" "$out" \
		>/dev/null 2>"$BOOTDIR/vm.stderr"
	VM_RESULT=$(sed -n 's/^result=//p' "$BOOTDIR/vm.result" 2>/dev/null)
	VM_REASON=$(sed -n 's/^reason=//p' "$BOOTDIR/vm.result" 2>/dev/null)
	if [ -z "$VM_RESULT" ]; then
		VM_RESULT=error
		VM_REASON="vm.sh failed: $(tail -n 1 "$BOOTDIR/vm.stderr")"
	fi
}

# console NAME FIRST: NAME's part of this boot's console log (from its
# "begin" marker to the next); FIRST=1 adds what came before any marker.
console() {
	awk -v n="$1" -v first="$2" '
		BEGIN { on = first }
		{ sub(/\r$/, "") }
		/mvtest-run: begin / { on = (substr($0, index($0, "mvtest-run: begin ") + 18) == n) }
		on' "$BOOTDIR/console.log" 2>/dev/null
}

# verdict NAME FIRST: the outcome of NAME in the boot just done, or
# nothing if it did not start.
verdict() {
	local name=$1 v err
	if [ -f "$BOOTDIR/$name.result" ]; then
		v=$(cat "$BOOTDIR/$name.result")
	elif [ "$(cat "$BOOTDIR/current" 2>/dev/null)" != "$name" ]; then
		return 0
	elif [ -e "$BOOTDIR/kill-me" ] && [ "$VM_RESULT" != crash ]; then
		v=KILLED	# at the test's request; the console check follows
	elif [ "$VM_RESULT" = timeout ]; then
		v="FAIL VM watchdog: hung (${VM_REASON})"
	elif [ "$VM_RESULT" = crash ]; then
		v="FAIL guest crashed: $VM_REASON"
	else
		v="FAIL guest runner stopped: $VM_REASON"
	fi
	err=$(console "$name" "$2" | kernel_errors - | head -n 1)
	if [ -n "$err" ] && [[ $v != FAIL* ]]; then
		v="FAIL kernel: ${err#*] }"
	fi
	if [[ $v == FAIL* ]]; then
		{ echo "--- console of boot ${BOOTDIR##*/}, this test's part (last 80 lines):"
		  console "$name" 0 | tail -n 80; } >>"$out/$name.log"
	fi
	echo "$v"
}

# oops_excerpt: after a boot died before any test started, show the
# first kernel error and what follows it (the log is not kept by CI).
oops_excerpt() {
	local first
	first=$(kernel_errors "$BOOTDIR/console.log" | head -n 1)
	[ -n "$first" ] || return 0
	echo "--- console of boot ${BOOTDIR##*/} from its first kernel error:"
	tr -d '\r' <"$BOOTDIR/console.log" | grep -aF -A 24 -- "$first" | head -n 25 |
		sed 's/^/  | /'
}

# run_shared udev|noudev TEST...: single-boot tests share boots, with
# or without udevd; a boot that crashes takes the running test with it,
# the rest go on in the next boot.
run_shared() {
	local group=$1 next t v progressed first plan retried=0 vmargs=() tag=shared
	shift
	local pending=("$@")
	[ "$group" != noudev ] || { vmargs=(-U); tag="shared-noudev"; }
	while [ ${#pending[@]} -gt 0 ]; do
		plan=$(mktemp)
		for t in "${pending[@]}"; do
			meta "$t"
			echo "$t $testdir/$t.sh run_test $M_TIMEOUT" >>"$plan"
		done
		boot "$tag" "$plan" "${vmargs[@]}"
		next=()
		progressed=0
		first=1
		for t in "${pending[@]}"; do
			v=$(verdict "$t" $first)
			first=0
			if [ -z "$v" ]; then
				next+=("$t")
				continue
			fi
			progressed=1
			[ "$v" != KILLED ] || v="FAIL request_kill outside a stage (see TEST_STAGES)"
			report "$t" "$v"
		done
		# No test began and mirvol.ko was never loaded: the guest died
		# at boot (see run_own); once more, once per run.
		if [ $progressed -eq 0 ] && [ $retried -eq 0 ] &&
		   [ "$VM_RESULT" = crash ] &&
		   [ ! -s "$BOOTDIR/current" ] &&
		   ! grep -aq 'mirvol: mirrored block volumes' "$BOOTDIR/console.log"; then
			retried=1
			echo "=== shared boot ${BOOTDIR##*/} crashed before its first test ($VM_REASON); booting again" |
				tee -a "$out/${pending[0]}.log" >&2
			oops_excerpt >>"$out/${pending[0]}.log"
			continue
		fi
		if [ $progressed -eq 0 ]; then
			for t in "${next[@]}"; do
				report "$t" "FAIL VM: $VM_RESULT: $VM_REASON"
			done
			oops_excerpt
			return
		fi
		pending=("${next[@]}")
	done
}

# A test with a boot per stage, persistent disks and scratch directory.
run_own() {
	local t=$1 st v="" plan d n names killed=0 vmargs=() dargs
	local ddir=$CACHE_DIR/integration-disks/$t
	rm -rf "$ddir"
	mkdir -p "$ddir"
	for d in $M_DISKS; do
		truncate -s "${d#*:}" "$ddir/${d%%:*}.img"
	done
	[ -z "$M_MEM" ] || vmargs+=(-m "$M_MEM")
	[ -z "$M_CPUS" ] || vmargs+=(-c "$M_CPUS")
	[ "$M_UDEV" = 1 ] || vmargs+=(-U)
	if [ "$M_SYSTEMD" = 1 ]; then
		truncate -s 1G "$ddir/.root.img"
		vmargs+=(-s "$ddir/.root.img")
	fi
	for st in $M_STAGES; do
		# Every disk, or those TEST_STAGE_DISKS lists for this stage.
		names=""
		for d in $M_DISKS; do
			names+=" ${d%%:*}"
		done
		for d in $M_STAGE_DISKS; do
			[ "${d%%:*}" != "$st" ] || names=$(tr , ' ' <<<"${d#*:}")
		done
		dargs=()
		for n in $names; do
			dargs+=(-d "$ddir/$n.img:$n")
		done
		plan=$(mktemp)
		echo "$t $testdir/$t.sh $st $M_TIMEOUT" >"$plan"
		boot "$t-$st" "$plan" "${vmargs[@]}" "${dargs[@]}"
		v=$(verdict "$t" 1)
		# The guest died before the stage began and before mirvol.ko
		# was loaded (QEMU's TCG has crashed guests at boot, e.g. a
		# double fault with corrupt EFLAGS in the slab fast path):
		# once more.  A second crash fails the test.
		if [ -z "$v" ] && [ "$VM_RESULT" = crash ] &&
		   ! grep -aq 'mirvol: mirrored block volumes' "$BOOTDIR/console.log"; then
			echo "=== $st: the boot crashed before the stage began ($VM_REASON); booting again" >>"$out/$t.log"
			oops_excerpt >>"$out/$t.log"
			plan=$(mktemp)
			echo "$t $testdir/$t.sh $st $M_TIMEOUT" >"$plan"
			boot "$t-$st-again" "$plan" "${vmargs[@]}" "${dargs[@]}"
			v=$(verdict "$t" 1)
		fi
		[ -n "$v" ] || v="FAIL VM: $VM_RESULT: $VM_REASON"
		killed=0
		if [ "$v" = KILLED ]; then
			killed=1
			v=PASS
			echo "=== $st: VM killed at the test's request" >>"$out/$t.log"
		fi
		if [ "$v" != PASS ]; then
			[ "$st" = run_test ] || v="FAIL $st: ${v#FAIL }"
			break
		fi
	done
	if [ "$v" = PASS ] && [ $killed -eq 1 ]; then
		v="FAIL the last stage ($st) asked to be killed: nothing checked after it"
	fi
	if [ "$v" = PASS ]; then
		rm -rf "$ddir"
	elif [ -n "$M_DISKS" ]; then
		echo "--- disk images kept in $ddir" >>"$out/$t.log"
	fi
	report "$t" "$v"
}

shared=()
noudev=()
own=()
for t in "${tests[@]}"; do
	mkdir -p "$out/$t.d"
	: >"$out/$t.log"
	if ! meta "$t"; then
		report "$t" "FAIL bad test file: $M_ERR"
	elif [ "$M_GROUP" = own ]; then
		# The longest first (their budgets for all their stages as the
		# guess): the lanes then end close together.
		own+=("$(( M_TIMEOUT * $(wc -w <<<"$M_STAGES") )) $t")
	elif [ "$M_GROUP" = noudev ]; then
		noudev+=("$t")
	else
		shared+=("$t")
	fi
done
# The units a lane takes in turn after the shared boots with udevd: the
# shared boots without it, then every test with boots of its own.
units=()
[ ${#noudev[@]} -eq 0 ] || units+=(@noudev)
while read -r _ t; do
	units+=("$t")
done < <(printf '%s\n' "${own[@]}" | sort -s -k1,1nr | grep .)
mkdir "$out/.claimed"

# run_units: run the units that no other lane has claimed, in order.
run_units() {
	local u
	for u in "${units[@]}"; do
		mkdir "$out/.claimed/$u" 2>/dev/null || continue
		if [ "$u" = @noudev ]; then
			run_shared noudev "${noudev[@]}"
		else
			meta "$u"
			run_own "$u"
		fi
	done
}

# Two lanes side by side: one runs the shared boots with udevd, then
# joins the other in taking the units one by one.  Each VM runs its vCPUs
# on one host thread (vm.sh: TCG thread=single), so on two cores the
# lanes take about half the sum of the boots' times.  MVTEST_LANES=1
# runs them all in turn (the debug kernel does: its VMs are big and slow
# enough already).
lanes=${MVTEST_LANES:-2}
[ "${MVTEST_KERNEL:-}" != debug ] || lanes=${MVTEST_LANES:-1}
[[ $lanes =~ ^[12]$ ]] || die "MVTEST_LANES must be 1 or 2"
if [ "$lanes" = 2 ] && [ ${#units[@]} -gt 0 ]; then
	# The second lane reports into a file and its counts into another;
	# its boots are numbered from 50 (the directories stay apart).
	(
		passed=0
		failed=0
		boots=50
		run_units
		echo "$passed $failed $((boots - 50))" >"$out/.lane-2.counts"
	) >"$out/.lane-2.out" 2>&1 &
	lane_pid=$!
	[ ${#shared[@]} -eq 0 ] || run_shared udev "${shared[@]}"
	run_units
	wait "$lane_pid"
	cat "$out/.lane-2.out"
	if read -r p f b <"$out/.lane-2.counts" 2>/dev/null; then
		passed=$((passed + p))
		failed=$((failed + f))
		boots=$((boots + b))
	else
		report second-lane "FAIL the second lane ended without counts"
	fi
	rm -f "$out/.lane-2.out" "$out/.lane-2.counts"
else
	[ ${#shared[@]} -eq 0 ] || run_shared udev "${shared[@]}"
	run_units
fi
rm -rf "$out/.claimed"

# fail_details NAME: what CI, which keeps only the output, needs to see of
# a failure: the test's last lines, and the kernel's last mirvol lines.
fail_details() {
	local log=$out/$1.log
	echo "--- $1: the last lines of ${log#"$MIRVOL_SRC"/}"
	sed -n '/^--- console of boot /q; p' "$log" | tail -n 12 | sed 's/^/  | /'
	echo "--- $1: the last kernel lines of mirvol in its boot"
	sed -n '/^--- console of boot /,/^--- FAIL: /p' "$log" |
		grep -a 'mirvol\|BUG\|WARNING' | tail -n 10 | sed 's/^/  | /'
}

# At most two failures in detail: the output's tail is what CI shows.
if [ -s "$out/.failed" ]; then
	head -n 2 "$out/.failed" | while read -r t; do fail_details "$t"; done
fi
rm -f "$out/.failed"
write_counts "$counts" $passed $failed
echo "integration: $passed passed, $failed failed ($boots boots, $((SECONDS - start)) s); logs in ${out#"$MIRVOL_SRC"/}/"
[ $failed -eq 0 ]
