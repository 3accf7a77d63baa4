#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run mirvol's KUnit suites on UML with the kernel's own runner
# (tools/testing/kunit/kunit.py) from Debian's linux-source-6.12.
#
# The repository is linked into the extracted tree as drivers/block/mirvol
# and drivers/block/{Kconfig,Makefile} get one line each (idempotent); the
# UML build lives in $CACHE_DIR/kunit-build-<hash of the kunitconfig> and
# is reused between runs.  Every leaf test case counts (a parameterised case
# once per parameter); the result goes to tools/testing/out/kunit.counts as
# passed=N/failed=M.  The kunitconfig turns on lockdep, KASAN and other
# debug checks: a splat in the kernel log (tools/testing/out/kunit-kernel.log)
# counts as one more failed case, even when every case passed.
#
# Usage: run-kunit.sh [--kunitconfig FILE] [filter_glob]
#   --kunitconfig FILE  use FILE instead of drivers/tests/.kunitconfig
#   filter_glob         passed on to kunit.py (e.g. 'mirvol_sb*')
set -u

# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

kunitconfig=$MIRVOL_SRC/drivers/tests/.kunitconfig
if [ "${1:-}" = "--kunitconfig" ]; then
	[ $# -ge 2 ] || die "--kunitconfig needs a file"
	kunitconfig=$(realpath "$2") || exit 1
	shift 2
fi
[ -f "$kunitconfig" ] || die "no kunitconfig at $kunitconfig"

counts=$OUT_DIR/kunit.counts
json=$OUT_DIR/kunit.json
log=$OUT_DIR/kunit.log
klog=$OUT_DIR/kunit-kernel.log
# One build dir per kunitconfig: checkouts with different configs do not
# rebuild each other's.
build=$CACHE_DIR/kunit-build-$(sha256sum <"$kunitconfig" | cut -c1-16)
# The tree and the build dir in $CACHE_DIR are shared by every checkout.
lock "$CACHE_DIR/.kunit.lock"
lock "$OUT_DIR/.kunit.lock"
rm -f "$counts" "$json" "$klog"
# Until proven otherwise the stage failed.
write_counts "$counts" 0 1

src=$(linux_source) || exit 1

# A build dir made from another source tree is thrown away: kbuild
# decides on timestamps, and freshly extracted files may be older.
if [ "$(cat "$build/.mirvol-source" 2>/dev/null)" != "$src" ]; then
	rm -rf "$build"
	mkdir -p "$build"
	echo "$src" >"$build/.mirvol-source"
fi
# Those of other kunitconfigs unused for a week go (we hold the lock).
touch "$build"
find "$CACHE_DIR" -maxdepth 1 -name 'kunit-build-*' -mtime +7 -exec rm -rf {} +
rm -f "$build/test.log"

# Link the repository into the tree.  Kbuild rebuilds on timestamps: when
# the tree last built another checkout, whose objects may be newer than
# this one's sources, make this one's sources newer than them.
if [ "$(readlink "$src/drivers/block/mirvol" 2>/dev/null)" != "$MIRVOL_SRC" ]; then
	find "$MIRVOL_SRC/drivers" "$MIRVOL_SRC/include" "$MIRVOL_SRC/uapi" \
	     "$MIRVOL_SRC/Kbuild" -type f -exec touch {} +
fi
ln -sfn "$MIRVOL_SRC" "$src/drivers/block/mirvol"
# The source line goes before drivers/block/Kconfig's closing "endif".
kconfig_line='source "drivers/block/mirvol/drivers/Kconfig"'
# shellcheck disable=SC2016 # a make variable, not a shell one
make_line='obj-$(CONFIG_MIRVOL) += mirvol/'
grep -qxF "$kconfig_line" "$src/drivers/block/Kconfig" ||
	sed -i "\$i $kconfig_line\n" "$src/drivers/block/Kconfig"
grep -qxF "$make_line" "$src/drivers/block/Makefile" ||
	echo "$make_line" >>"$src/drivers/block/Makefile"

"$src/tools/testing/kunit/kunit.py" run \
	--kunitconfig="$kunitconfig" \
	--build_dir="$build" \
	--jobs="$(nproc)" \
	--json="$json" \
	"$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
[ ! -f "$build/test.log" ] || cp "$build/test.log" "$klog"

passed=0
failed=0
skipped=0
if [ -s "$json" ]; then
	# Leaf cases are the test_cases of every (sub_)group, at any depth.
	read -r passed failed skipped < <(jq -r '
		[.. | objects | .test_cases? // empty | .[]] as $c |
		[($c | map(select(.status == "PASS")) | length),
		 ($c | map(select(.status != "PASS" and .status != "SKIP")) | length),
		 ($c | map(select(.status == "SKIP")) | length)] | @tsv' "$json") ||
		{ echo "kunit: cannot parse $json" >&2; passed=0; failed=0; }
fi

reason=""
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	reason="kunit.py failed (exit $rc) without a failed case: build error or crash, see $log"
	failed=1
elif [ $((passed + failed)) -eq 0 ]; then
	reason="no test cases ran, see $log"
	failed=1
fi
# The allocation-failure sweeps (mirvol_test_failnth_*) make allocations
# fail on purpose, between their "mirvol-failnth: injecting" and
# "mirvol-failnth: done": the stack the kernel dumps with such a failure
# (warn_alloc(), kmem_cache_create()) is no splat.  Only the first "Call
# Trace" within 12 lines of such a report is excused there; any other
# line (WARNING:, BUG:, KASAN:, a second trace) still counts.
excuse_alloc_failures() {
	awk '
		/mirvol-failnth: injecting/ { sweep = 1 }
		/mirvol-failnth: done/ { sweep = 0 }
		sweep && /vmalloc error: size|page allocation failure: order:|kmem_cache_create(_args)?[(].*[)] failed with error/ {
			left = 12
		}
		left > 0 && /Call Trace/ { left = 0; next }
		{ if (left > 0) left--; print }'
}
# kunit.py passes a case whatever the kernel said meanwhile: a lockdep,
# KASAN or other splat fails the stage, named by its first line.
if [ ! -s "$klog" ]; then
	if [ -z "$reason" ]; then
		reason="kunit.py left no kernel log ($build/test.log)"
		failed=$((failed + 1))
	fi
elif splat=$(excuse_alloc_failures <"$klog" | grep -aE "$KERNEL_ERROR_RE" |
	     tr -d '\r' | head -n 1) && [ -n "$splat" ]; then
	reason="${reason:+$reason; }kernel log: $splat (see ${klog#"$MIRVOL_SRC"/})"
	failed=$((failed + 1))
fi
write_counts "$counts" "$passed" "$failed"

echo "kunit: $passed passed, $failed failed, $skipped skipped (cases; counts in ${counts#"$MIRVOL_SRC"/})"
if [ -n "$reason" ]; then
	echo "kunit: FAIL: $reason" >&2
fi
[ "$failed" -eq 0 ]
