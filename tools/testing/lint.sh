#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Static checks of the mirvol module; each is reported as PASS or FAIL:
#   W=1 build   the module built with W=1: no compiler (or modpost) warning
#   sparse      the same build with C=2 (sparse on every file): no warning
#   checkpatch  scripts/checkpatch.pl --no-tree -f over the sources: no
#               ERROR or WARNING (SPDX_LICENSE_TAG and FILE_PATH_CHANGES
#               are ignored)
#   rst         Documentation/*.rst parse as reStructuredText (Debian's
#               python3-docutils) without a warning; index.rst, whose
#               toctree is Sphinx's, is left out
# The build happens in a copy of the sources under tools/testing/out/lint,
# so the normal build is left alone.  Only diagnostics for mirvol's own
# files count; the full output is in tools/testing/out/lint/*.log and the
# counts in tools/testing/out/lint.counts.
set -u

# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

work=$OUT_DIR/lint
src=$work/src
counts=$OUT_DIR/lint.counts
lock "$OUT_DIR/.lint.lock"
rm -rf "$work"
mkdir -p "$src"
write_counts "$counts" 0 4

passed=0
failed=0
result() {
	if [ "$2" -eq 0 ]; then
		echo "PASS lint: $1"
		passed=$((passed + 1))
	else
		echo "FAIL lint: $1 ($3)"
		failed=$((failed + 1))
	fi
}

# mirvol's diagnostics in a build log: "<file in the copy>:...: warning:"
# (or error), and modpost's warnings about the module.
own_diags() {
	grep -E "^($src/)?(drivers|include|uapi)/[^:]+:[0-9]+(:[0-9]+)?: (warning|error):|^(WARNING|ERROR): modpost: " "$1"
}

kdir=$(kdir) || exit 1
# The module's sources only: no objects of the normal build.
(cd "$MIRVOL_SRC" && find Kbuild drivers include uapi -type f \
	\( -name Kbuild -o -name Kconfig -o -name '*.[ch]' \) -print0 |
	cpio -0 -pdm --quiet "$src") || die "cannot copy the sources to $src"

make -C "$kdir" M="$src" W=1 modules >"$work/build.log" 2>&1
rc=$?
n=$(own_diags "$work/build.log" | wc -l)
if [ $rc -ne 0 ]; then
	result "W=1 build" 1 "build failed, see ${work#"$MIRVOL_SRC"/}/build.log"
else
	result "W=1 build" "$n" "$n warnings"
fi
own_diags "$work/build.log" | head -n 20

if [ $rc -ne 0 ]; then
	result sparse 1 "not run: the build failed"
else
	command -v sparse >/dev/null || die "sparse is missing; run 'make deps'"
	# Everything is built: C=2 runs sparse alone, on every file.
	make -C "$kdir" M="$src" W=1 C=2 modules >"$work/sparse.log" 2>&1
	rc=$?
	n=$(own_diags "$work/sparse.log" | wc -l)
	if [ $rc -ne 0 ]; then
		result sparse 1 "make C=2 failed, see ${work#"$MIRVOL_SRC"/}/sparse.log"
	else
		result sparse "$n" "$n warnings"
	fi
	own_diags "$work/sparse.log" | head -n 20
fi

ksrc=$(linux_source) || exit 1
files=()
for f in drivers/*.c drivers/tests/*.c include/*.h uapi/linux/*.h; do
	[ -f "$MIRVOL_SRC/$f" ] && files+=("$f")
done
if [ ${#files[@]} -eq 0 ]; then
	result checkpatch 1 "no source files"
else
	(cd "$MIRVOL_SRC" && "$ksrc/scripts/checkpatch.pl" --no-tree -f --show-types \
		--ignore SPDX_LICENSE_TAG,FILE_PATH_CHANGES "${files[@]}") >"$work/checkpatch.log" 2>&1
	rc=$?
	n=$(grep -cE '^(ERROR|WARNING):' "$work/checkpatch.log")
	if [ "$n" -eq 0 ] && [ $rc -ne 0 ]; then
		result checkpatch 1 "checkpatch.pl failed, see ${work#"$MIRVOL_SRC"/}/checkpatch.log"
	else
		result checkpatch "$n" "$n errors/warnings"
	fi
	grep -E -A3 '^(ERROR|WARNING):' "$work/checkpatch.log" | head -n 40
fi

# Debian's python3, whatever python3 comes first in PATH: the package
# installs docutils for it.
rst=()
for f in "$MIRVOL_SRC"/Documentation/*.rst; do
	[ "${f##*/}" = index.rst ] || rst+=("$f")
done
/usr/bin/python3 - "${rst[@]}" >"$work/rst.log" 2>&1 <<'EOF'
import io
import sys

import docutils.core

bad = 0
for path in sys.argv[1:]:
    err = io.StringIO()
    with open(path, encoding="utf-8") as f:
        docutils.core.publish_doctree(
            f.read(), source_path=path,
            settings_overrides={"warning_stream": err, "report_level": 2,
                                "halt_level": 5})
    for line in err.getvalue().splitlines():
        if "(WARNING/" in line or "(ERROR/" in line or "(SEVERE/" in line:
            print(line)
            bad += 1
print(f"{bad} problems")
sys.exit(0 if bad == 0 else 1)
EOF
rc=$?
n=$(grep -cE '\((WARNING|ERROR|SEVERE)/' "$work/rst.log")
if [ $rc -ne 0 ] && [ "$n" -eq 0 ]; then
	result rst 1 "the check failed, see ${work#"$MIRVOL_SRC"/}/rst.log"
else
	result rst "$n" "$n warnings"
fi
grep -E '\((WARNING|ERROR|SEVERE)/' "$work/rst.log" | head -n 20

write_counts "$counts" $passed $failed
echo "lint: $passed passed, $failed failed (logs in ${work#"$MIRVOL_SRC"/})"
[ $failed -eq 0 ]
