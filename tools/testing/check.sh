#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What "make check" runs: dependencies, the normal build (make all), the
# tool's tests, the Makefile's first-run setup tests (setup-test.sh), the
# packaging tests (pkg-test.sh: make deb, lintian, a private DKMS build),
# lint, KUnit on UML (with lockdep and KASAN) and the VM integration tests.
# The same tests on the debug kernel are "make check-debug" (see
# README.md: they do not fit in make check's time).  A
# failed stage does not stop the later ones, except that the integration
# tests need the build.  Ends with the per-stage results and, as its very
# last line,
#   N passed, M failed
# summing tool tests, KUnit cases, lint checks and integration tests; a
# stage that failed without counts (deps, build, or one that could not
# run) counts as 1 failed.  Exits 1 on any failure.
set -u

# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

mkdir -p "$OUT_DIR"
cd "$MIRVOL_SRC" || exit 1
start=$SECONDS
total_passed=0
total_failed=0
summary=()

# stage NAME COUNTS CMD...: run CMD; COUNTS is its counts file, or "-"
# for a stage that is only PASS or FAIL.
stage() {
	local name=$1 counts=$2 rc p=0 f=0 t0=$SECONDS line
	shift 2
	echo "=== check: $name ($*)"
	[ "$counts" = - ] || rm -f "$counts"
	"$@"
	rc=$?
	if [ "$counts" != - ] && [ -f "$counts" ]; then
		p=$(sed -n 's/^passed=//p' "$counts")
		f=$(sed -n 's/^failed=//p' "$counts")
	fi
	# A failure that left no failed count, or no counts: the stage did
	# not (fully) run.
	[ $rc -eq 0 ] || [ "${f:-0}" -gt 0 ] || f=1
	[ "$counts" = - ] || [ -f "$counts" ] || { f=1; rc=1; }
	total_passed=$((total_passed + ${p:-0}))
	total_failed=$((total_failed + ${f:-0}))
	line=$(printf '%-12s %s' "$name" "$([ $rc -eq 0 ] && echo PASS || echo FAIL)")
	[ "$counts" = - ] || line+=$(printf '  %d passed, %d failed' "${p:-0}" "${f:-0}")
	summary+=("$line  ($((SECONDS - t0)) s)")
	return $rc
}

skip() {
	echo "=== check: $1: not run: $2"
	total_failed=$((total_failed + 1))
	summary+=("$(printf '%-12s FAIL  not run: %s' "$1" "$2")")
}

stage deps - "$MIRVOL_SRC/tools/deps.sh"
build_ok=0
stage build - make --no-print-directory all && build_ok=1
stage tool-tests "$OUT_DIR/tool-tests.counts" \
	env MIRVOLCTL_TEST_COUNTS="$OUT_DIR/tool-tests.counts" \
	make --no-print-directory -C tools/mirvolctl test
stage setup "$OUT_DIR/setup.counts" "$MIRVOL_SRC/tools/testing/setup-test.sh"
stage pkg "$OUT_DIR/pkg.counts" "$MIRVOL_SRC/tools/testing/pkg-test.sh"
stage lint "$OUT_DIR/lint.counts" "$MIRVOL_SRC/tools/testing/lint.sh"
stage kunit "$OUT_DIR/kunit.counts" "$MIRVOL_SRC/tools/testing/kunit/run-kunit.sh"
if [ $build_ok -eq 1 ]; then
	stage integration "$OUT_DIR/integration.counts" "$MIRVOL_SRC/tools/testing/integration/run.sh"
else
	skip integration "the build failed"
fi

echo
echo "=== check: results ($(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s)"
printf '  %s\n' "${summary[@]}"
echo "$total_passed passed, $total_failed failed"
[ $total_failed -eq 0 ]
