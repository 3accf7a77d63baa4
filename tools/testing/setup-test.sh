#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Tests of the top-level Makefile's setup logic: what a first run on a
# fresh machine does, before the kernel headers are installed.  Each test
# copies the Makefile into tools/testing/out/setup/TEST/src next to stub
# scripts and sub-Makefiles (tools/deps.sh, tools/mirvolctl/Makefile,
# tools/testing/vm/demo.sh, ...) that only record how they were called, and
# runs make in a mount namespace where /usr/src and /lib/modules are empty
# tmpfs: no kernel headers, as on a fresh machine.  The stub deps.sh
# "installs" fake headers (/usr/src/linux-headers-6.12.999-fake-amd64,
# whose Makefile records the M= it builds) on its first call.
#   first-run-demo   make demo: deps runs once, then the module is built
#                    against the headers it installed, and demo.sh gets
#                    that KDIR
#   first-run-check  make check: the same for check.sh and its build
#   first-run-bench  make bench: the same for the benchmark
#   make-no-deps     plain make, headers present, as an unprivileged user:
#                    builds, never runs deps (which may run apt-get)
#   make-no-headers  plain make without headers: fails, says to run
#                    'make deps', never runs deps
#   systemd-units    mirvol-last-resort@.timer and .service and
#                    mirvol-monitor.service pass
#                    systemd-analyze verify, the service runs
#                    "mirvolctl assemble --run --if-waiting %i", the udev
#                    rule wants the timer, make install installs them
#                    (the VM test 126-boot-disk-missing runs the
#                    service's command)
# Needs root (for the mount namespace).  The counts go to
# tools/testing/out/setup.counts.
#
# Usage: setup-test.sh [--makefile FILE]   (default: the checkout's own;
#        another one, e.g. an older version, shows what it did)
set -u

# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

makefile=$MIRVOL_SRC/Makefile
if [ "${1:-}" = --makefile ]; then
	makefile=$(realpath "$2") || exit 1
fi
work=$OUT_DIR/setup
counts=$OUT_DIR/setup.counts
FAKE_KDIR=/usr/src/linux-headers-6.12.999-fake-amd64
write_counts "$counts" 0 1
[ "$(id -u)" -eq 0 ] || die "needs root (a mount namespace hides the kernel headers)"
command -v unshare >/dev/null || die "unshare (util-linux) is missing"
rm -rf "$work"
mkdir -p "$work"

passed=0
failed=0

# stub FILE BODY: an executable script FILE
stub() {
	mkdir -p "$(dirname "$1")"
	printf '#!/bin/bash\n%s\n' "$2" >"$1"
	chmod 755 "$1"
}

# mktree DIR: the Makefile and its stubs in DIR/src; calls logged in DIR/log
mktree() {
	local d=$1 src=$1/src log=$1/log
	mkdir -p "$src/tools/mirvolctl" "$src/tools/testing/integration" \
		"$src/tools/testing/crash"
	cp "$makefile" "$src/Makefile"
	: >"$log"
	chmod 777 "$d"
	chmod 666 "$log"
	# deps: "installs" the headers the first time it runs.
	stub "$src/tools/deps.sh" "echo deps >>$log
if ! ls -d /usr/src/linux-headers-6.12.*-amd64 >/dev/null 2>&1; then
	mkdir -p $FAKE_KDIR/include/config
	echo 6.12.999-fake-amd64 >$FAKE_KDIR/include/config/kernel.release
	printf 'modules:\n\t@echo \"kbuild \$(CURDIR) M=\$(M)\" >>$log\n' >$FAKE_KDIR/Makefile
fi"
	local sub
	for sub in tools/mirvolctl tools/testing/integration tools/testing/crash; do
		printf 'all:\n\t@echo "built %s" >>%s\n' "$sub" "$log" >"$src/$sub/Makefile"
	done
	# What the targets run after the build: record the KDIR they get.
	stub "$src/tools/testing/vm/demo.sh" "echo \"demo KDIR=\${KDIR:-}\" >>$log"
	stub "$src/tools/testing/bench/run.sh" "echo \"bench KDIR=\${KDIR:-}\" >>$log"
	# As the real check.sh: deps, then the build, in a sub-make.
	stub "$src/tools/testing/check.sh" "cd $src || exit 1
tools/deps.sh || exit 1
make --no-print-directory all || exit 1
echo \"check KDIR=\${KDIR:-}\" >>$log"
}

# in_fresh_machine CMD...: CMD with empty /usr/src and /lib/modules, and
# none of the calling make's settings (make check may run with KDIR set)
in_fresh_machine() {
	env -u KDIR -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		unshare -m bash -c 'mount --make-rprivate / &&
		mount -t tmpfs none /usr/src && mount -t tmpfs none /lib/modules &&
		exec "$@"' in_fresh_machine "$@"
}

result() {
	if [ "$2" = ok ]; then
		echo "PASS setup: $1"
		passed=$((passed + 1))
	else
		echo "FAIL setup: $1 ($2)"
		sed 's/^/    /' "$work/$1/out" 2>/dev/null
		failed=$((failed + 1))
	fi
}

# expect DIR LINE: the log has LINE
has() {
	grep -qxF -- "$2" "$1/log"
}

# A first run of make TARGET: deps once, the module built against what it
# installed, and the script of TARGET given that KDIR.
first_run() {
	local t=$1 target=$2 d=$work/$1 why=ok
	mktree "$d"
	in_fresh_machine make -C "$d/src" --no-print-directory "$target" \
		>"$d/out" 2>&1 || why="make $target failed"
	if [ "$why" = ok ]; then
		if ! has "$d" "kbuild $FAKE_KDIR M=$d/src"; then
			why="the module was not built against $FAKE_KDIR"
		elif ! has "$d" "$target KDIR=$FAKE_KDIR"; then
			why="$target did not get KDIR=$FAKE_KDIR"
		fi
	fi
	[ "$why" != ok ] || [ "$(grep -c '^deps$' "$d/log")" -ge 1 ] ||
		why="deps did not run"
	result "$t" "$why"
}

first_run first-run-demo demo
first_run first-run-check check
first_run first-run-bench bench

# Plain make with the headers there, as nobody: builds, no deps.
t=make-no-deps
d=$work/$t
mktree "$d"
why=ok
in_fresh_machine bash -c "$d/src/tools/deps.sh && : >$d/log &&
	chmod -R a+rwX $d/src &&
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		make -C $d/src --no-print-directory" >"$d/out" 2>&1 ||
	why="make failed"
if [ "$why" = ok ]; then
	if has "$d" deps; then
		why="plain make ran deps"
	elif ! has "$d" "kbuild $FAKE_KDIR M=$d/src" ||
	     ! has "$d" "built tools/mirvolctl"; then
		why="plain make did not build the module and the tool"
	fi
fi
result "$t" "$why"

# Plain make with no headers: fails with the hint, no deps.
t=make-no-headers
d=$work/$t
mktree "$d"
why=ok
if in_fresh_machine make -C "$d/src" --no-print-directory >"$d/out" 2>&1; then
	why="make succeeded without headers"
elif has "$d" deps; then
	why="plain make ran deps"
elif ! grep -q "no kernel headers.*run 'make deps'" "$d/out"; then
	why="no hint to run 'make deps'"
fi
result "$t" "$why"

# The last-resort units, installed as make install would (DESTDIR, no
# module): they parse (systemd-analyze verify, on an instance), the
# service starts the volume of its instance with --run, and the udev rule
# wants the timer of the member's volume UUID.
t=systemd-units
d=$work/$t
mkdir -p "$d"
why=ok
inst=0b8e3c52-0c51-4c4f-8b8e-1b1f6ad5e0a1
units=$d/dest/lib/systemd/system
(
	for u in timer service; do
		install -D -m 0644 "$MIRVOL_SRC/tools/systemd/mirvol-last-resort@.$u" \
			"$units/mirvol-last-resort@$inst.$u" &&
		sed -i "s|@SBINDIR@|$MIRVOL_SRC/tools/mirvolctl|g" "$units/mirvol-last-resort@$inst.$u" ||
			exit 1
	done
	install -D -m 0644 "$MIRVOL_SRC/tools/systemd/mirvol-monitor.service" \
		"$units/mirvol-monitor.service" &&
	sed -i "s|@SBINDIR@|$MIRVOL_SRC/tools/mirvolctl|g" "$units/mirvol-monitor.service"
) >"$d/out" 2>&1 || why="cannot install the units"
if [ "$why" != ok ]; then
	:
elif ! command -v systemd-analyze >/dev/null; then
	why="systemd-analyze is missing"
elif ! (cd "$units" && systemd-analyze verify --man=no \
		"./mirvol-last-resort@$inst.timer" "./mirvol-last-resort@$inst.service" \
		./mirvol-monitor.service) \
		>>"$d/out" 2>&1 || [ -s "$d/out" ]; then
	why="systemd-analyze verify complains"
elif ! grep -qx "ExecStart=$MIRVOL_SRC/tools/mirvolctl/mirvolctl assemble --run --if-waiting %i" \
		"$units/mirvol-last-resort@$inst.service"; then
	why="the service does not run 'mirvolctl assemble --run --if-waiting %i'"
elif ! grep -qx 'OnActiveSec=30' "$units/mirvol-last-resort@$inst.timer"; then
	why="the timer does not fire after 30 s"
elif ! grep -qF "ENV{SYSTEMD_WANTS}+=\"mirvol-last-resort@\$env{MIRVOL_UUID}.timer\"" \
		"$MIRVOL_SRC/tools/udev/69-mirvol.rules"; then
	why="69-mirvol.rules does not want mirvol-last-resort@UUID.timer"
elif ! grep -qx "ExecStart=$MIRVOL_SRC/tools/mirvolctl/mirvolctl monitor \$MIRVOL_MONITOR_ARGS" \
		"$units/mirvol-monitor.service"; then
	why="mirvol-monitor.service does not run 'mirvolctl monitor'"
elif ! grep -q 'mirvol-last-resort@.timer mirvol-last-resort@.service' "$makefile" ||
     ! grep -q 'mirvol-monitor.service' "$makefile"; then
	why="make install does not install the units"
fi
result "$t" "$why"

write_counts "$counts" "$passed" "$failed"
echo "setup: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
