#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Tests of the packaging: dkms.conf and the Debian packages (debian/).
# Builds the packages with tools/mkdeb.sh ("make deb", DEB_BUILD_OPTIONS=
# nocheck: the tool-tests stage runs mirvolctl's tests) into
# tools/testing/out/pkg/deb, then:
#   deb-build         make deb builds mirvol-dkms and mirvolctl
#   tree-clean        the build left the source tree as it was (git status)
#   lintian           lintian --pedantic -I on the .changes prints no tag
#                     (debian/*.lintian-overrides hold the justified ones)
#   mirvolctl-files   mirvolctl has /usr/sbin/mirvolctl, its man page, the
#                     udev rule and the units with @SBINDIR@ replaced by
#                     /usr/sbin, <linux/mirvol.h> as in uapi/, and nothing
#                     in /usr/src; its postinst neither enables nor starts
#                     mirvol-monitor.service (the running monitor pins the
#                     module), but for an upgrade that had it enabled
#   dkms-files        mirvol-dkms has /usr/src/mirvol-VER/ with dkms.conf
#                     (AUTOINSTALL, PACKAGE_VERSION VER), the Kbuild and
#                     every source it names; VER is the package's upstream
#                     version and mirvolctl's MIRVOLCTL_VERSION; its
#                     postinst runs dkms
#   dkms-build        "dkms add" of the packaged sources and "dkms
#                     autoinstall" (what a kernel upgrade runs: only for
#                     AUTOINSTALL modules) for the installed Debian 6.12
#                     headers, in a private DKMS tree (--dkmstree,
#                     --sourcetree, --installtree, --no-depmod, a
#                     throw-away signing key): a mirvol.ko installed whose
#                     vermagic is that kernel's; "dkms build" for Debian
#                     12's default kernel, 6.1 (no headers needed), is
#                     skipped (77: BUILD_EXCLUSIVE_KERNEL), as the postinst
#                     wants; /var/lib/dkms, /lib/modules and /boot unchanged
# Needs root (dkms autoinstall).  The counts go to
# tools/testing/out/pkg.counts.
#
# Usage: pkg-test.sh
set -u

# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

work=$OUT_DIR/pkg
counts=$OUT_DIR/pkg.counts
write_counts "$counts" 0 1
rm -rf "$work"
mkdir -p "$work"

passed=0
failed=0

# result NAME ok|WHY [LOG]
result() {
	if [ "$2" = ok ]; then
		echo "PASS pkg: $1"
		passed=$((passed + 1))
	else
		echo "FAIL pkg: $1 ($2)"
		[ -z "${3:-}" ] || tail -n 40 "$3" | sed 's/^/    /'
		failed=$((failed + 1))
	fi
}

# ---- deb-build, tree-clean -------------------------------------------------

debs=$work/deb
status_before=$(cd "$MIRVOL_SRC" && git status --porcelain 2>&1)
why=ok
DEB_BUILD_OPTIONS=nocheck "$MIRVOL_SRC/tools/mkdeb.sh" "$debs" >"$work/mkdeb.log" 2>&1 ||
	why="make deb failed"
ver=$(cd "$MIRVOL_SRC" && dpkg-parsechangelog -S Version)
upver=${ver%-*}
ctl_deb=$(ls "$debs"/mirvolctl_"${ver}"_*.deb 2>/dev/null)
dkms_deb=$(ls "$debs"/mirvol-dkms_"${ver}"_all.deb 2>/dev/null)
changes=$(ls "$debs"/mirvol_"${ver}"_*.changes 2>/dev/null)
if [ "$why" = ok ]; then
	[ -f "$ctl_deb" ] || why="no mirvolctl_${ver}_*.deb"
	[ -f "$dkms_deb" ] || why="no mirvol-dkms_${ver}_all.deb"
	[ -f "$changes" ] || why="no .changes"
fi
result deb-build "$why" "$work/mkdeb.log"
[ "$why" = ok ] || { write_counts "$counts" "$passed" $((failed + 5)); exit 1; }

why=ok
status_after=$(cd "$MIRVOL_SRC" && git status --porcelain 2>&1)
[ "$status_before" = "$status_after" ] || {
	why="git status changed"
	diff <(echo "$status_before") <(echo "$status_after") >"$work/tree-clean.log"
}
result tree-clean "$why" "$work/tree-clean.log"

# ---- lintian ----------------------------------------------------------------

why=ok
lintian --pedantic -I "$changes" >"$work/lintian.log" 2>&1
grep -qE '^[EWIPX]: ' "$work/lintian.log" && why="lintian tags"
grep -qE '^(internal error|.*: (error|fatal))' "$work/lintian.log" && why="lintian failed"
result lintian "$why" "$work/lintian.log"

# ---- contents -------------------------------------------------------------

# unpack DEB DIR; listing in DIR.list
unpack() {
	rm -rf "$2"
	mkdir -p "$2"
	dpkg-deb -x "$1" "$2" && dpkg-deb -c "$1" >"$2.list"
}

ctl=$work/mirvolctl
dk=$work/mirvol-dkms
unpack "$ctl_deb" "$ctl"
unpack "$dkms_deb" "$dk"

why=ok
: >"$work/mirvolctl-files.log"
rule=$ctl/lib/udev/rules.d/69-mirvol.rules
vrule=$ctl/lib/udev/rules.d/63-mirvol-volume.rules
for f in usr/sbin/mirvolctl usr/share/man/man8/mirvolctl.8.gz \
	 lib/udev/rules.d/69-mirvol.rules lib/udev/rules.d/63-mirvol-volume.rules \
	 usr/include/linux/mirvol.h \
	 lib/systemd/system/mirvol-last-resort@.timer \
	 lib/systemd/system/mirvol-last-resort@.service \
	 lib/systemd/system/mirvol-monitor.service \
	 usr/share/bash-completion/completions/mirvolctl; do
	[ -f "$ctl/$f" ] || { why="/$f is missing"; break; }
done
if [ "$why" != ok ]; then
	:
elif [ ! -x "$ctl/usr/sbin/mirvolctl" ]; then
	why="/usr/sbin/mirvolctl is not executable"
elif ! "$ctl/usr/sbin/mirvolctl" --version >>"$work/mirvolctl-files.log" 2>&1 &&
     ! "$ctl/usr/sbin/mirvolctl" version >>"$work/mirvolctl-files.log" 2>&1; then
	why="the packaged mirvolctl does not run"
elif grep -rl '@SBINDIR@' "$ctl/lib" >>"$work/mirvolctl-files.log"; then
	why="@SBINDIR@ left in the udev rule or a unit"
elif ! grep -qF "RUN+=\"/usr/sbin/mirvolctl assemble --incremental \$devnode\"" "$rule" ||
     ! grep -qF "IMPORT{program}=\"/usr/sbin/mirvolctl examine --export \$devnode\"" "$rule"; then
	why="the udev rule does not run /usr/sbin/mirvolctl"
elif ! grep -qF 'IMPORT{builtin}="blkid"' "$vrule" ||
     ! grep -qF "IMPORT{program}=\"/usr/sbin/mirvolctl show --export \$devnode\"" "$vrule"; then
	why="63-mirvol-volume.rules does not probe volumes or run /usr/sbin/mirvolctl"
elif ! grep -qx 'ExecStart=/usr/sbin/mirvolctl assemble --run --if-waiting %i' \
		"$ctl/lib/systemd/system/mirvol-last-resort@.service"; then
	why="the last-resort service does not run /usr/sbin/mirvolctl"
elif ! grep -qx 'ExecStart=/usr/sbin/mirvolctl monitor $MIRVOL_MONITOR_ARGS' \
		"$ctl/lib/systemd/system/mirvol-monitor.service"; then
	why="mirvol-monitor.service does not run /usr/sbin/mirvolctl"
elif ! cmp -s "$ctl/usr/include/linux/mirvol.h" "$MIRVOL_SRC/uapi/linux/mirvol.h"; then
	why="/usr/include/linux/mirvol.h is not uapi/linux/mirvol.h"
elif ! zcat "$ctl/usr/share/man/man8/mirvolctl.8.gz" | cmp -s - "$MIRVOL_SRC/tools/mirvolctl/mirvolctl.8"; then
	why="the man page is not tools/mirvolctl/mirvolctl.8"
elif grep -q '\./usr/src' "$ctl.list"; then
	why="mirvolctl has files in /usr/src"
else
	# The only enable is for a unit already installed (an upgrade keeps
	# the administrator's choice); no start, a restart only if running.
	postinst=$(dpkg-deb -I "$ctl_deb" postinst 2>/dev/null)
	echo "$postinst" >>"$work/mirvolctl-files.log"
	if grep -Eq "deb-systemd-invoke (start|restart|\\\$_dh_action) 'mirvol-monitor.service'" <<<"$postinst"; then
		why="the postinst starts mirvol-monitor.service"
	elif grep -q "deb-systemd-helper enable 'mirvol-monitor.service'" <<<"$postinst" &&
	     ! grep -q "if deb-systemd-helper debian-installed 'mirvol-monitor.service'" <<<"$postinst"; then
		why="the postinst enables mirvol-monitor.service"
	fi
fi
result mirvolctl-files "$why" "$work/mirvolctl-files.log"

why=ok
: >"$work/dkms-files.log"
dsrc=$dk/usr/src/mirvol-$upver
conf=$dsrc/dkms.conf
tool_ver=$(sed -n 's/^#define MIRVOLCTL_VERSION[[:space:]]*"\(.*\)"/\1/p' \
	"$MIRVOL_SRC/tools/mirvolctl/mirvolctl.h")
if [ ! -f "$conf" ]; then
	why="/usr/src/mirvol-$upver/dkms.conf is missing"
elif [ ! -f "$dsrc/Kbuild" ]; then
	why="/usr/src/mirvol-$upver/Kbuild is missing"
elif ! grep -qx 'AUTOINSTALL="yes"' "$conf"; then
	why="dkms.conf has no AUTOINSTALL=\"yes\""
elif ! grep -qx "PACKAGE_VERSION=\"$upver\"" "$conf"; then
	why="dkms.conf's PACKAGE_VERSION is not $upver"
elif ! grep -qx 'PACKAGE_NAME="mirvol"' "$conf" ||
     ! grep -qx 'BUILT_MODULE_NAME\[0\]="mirvol"' "$conf"; then
	why="dkms.conf does not name mirvol"
elif [ "$tool_ver" != "$upver" ]; then
	why="MIRVOLCTL_VERSION $tool_ver is not the package's $upver"
elif ! dpkg-deb -I "$dkms_deb" postinst 2>/dev/null | grep -q 'dkms'; then
	why="the postinst does not run dkms"
else
	while read -r o; do
		[ -f "$dsrc/${o%.o}.c" ] || { why="/usr/src/mirvol-$upver/${o%.o}.c is missing"; break; }
	done < <(grep -o 'drivers/[a-z_/]*\.o' "$MIRVOL_SRC/Kbuild")
	for f in "$MIRVOL_SRC"/include/*.h "$MIRVOL_SRC"/uapi/linux/*.h; do
		cmp -s "$f" "$dsrc/${f#"$MIRVOL_SRC"/}" ||
			{ why="/usr/src/mirvol-$upver/${f#"$MIRVOL_SRC"/} is missing or differs"; break; }
	done
fi
result dkms-files "$why" "$work/dkms-files.log"

# ---- dkms-build -------------------------------------------------------------

# What a DKMS run on the host would change.
host_state() {
	find /var/lib/dkms /lib/modules -path '*/updates*' 2>/dev/null | sort
	find /var/lib/dkms -maxdepth 2 2>/dev/null | sort
	ls -l --time-style=full-iso /boot /lib/modules/*/ 2>/dev/null
}

why=ok
log=$work/dkms-build.log
: >"$log"
kdir=$(kdir)
kver=$(cat "$kdir/include/config/kernel.release" 2>/dev/null)
priv=$work/dkms
mkdir -p "$priv/tree" "$priv/source" "$priv/install/$kver"
cp -a "$dsrc" "$priv/source/"
before=$(host_state)
if ! command -v dkms >/dev/null; then
	why="dkms is missing; run 'make deps'"
elif [ "$(id -u)" -ne 0 ]; then
	why="needs root (dkms autoinstall)"
elif [ -z "$kver" ]; then
	why="no kernel release in $kdir"
else
	# dkms signs the module when the kernel can check signatures: with
	# a key of its own here, not a new /var/lib/dkms/mok.key.
	export mok_signing_key=$priv/mok.key mok_certificate=$priv/mok.pub
	d=(--dkmstree "$priv/tree" --sourcetree "$priv/source" --installtree "$priv/install")
	# autoinstall is what /etc/kernel/postinst.d/dkms runs for a newly
	# installed kernel: it builds and installs the modules whose
	# dkms.conf says AUTOINSTALL="yes".
	if ! dkms add -m mirvol -v "$upver" "${d[@]}" >>"$log" 2>&1; then
		why="dkms add failed"
	elif ! dkms autoinstall -k "$kver" --kernelsourcedir "$kdir" --no-depmod \
			"${d[@]}" >>"$log" 2>&1; then
		why="dkms autoinstall -k $kver failed"
		cat "$priv/tree/mirvol/$upver/build/make.log" >>"$log" 2>/dev/null
	else
		kos=("$priv/install/$kver"/updates/dkms/mirvol.ko*)
		ko=${kos[0]}
		[ -f "$ko" ] || ko=
		vermagic=$(modinfo -F vermagic "$ko" 2>>"$log")
		echo "module: $ko; vermagic: $vermagic" >>"$log"
		if [ -z "$ko" ]; then
			why="no mirvol.ko installed for $kver"
		elif [ "${vermagic%% *}" != "$kver" ]; then
			why="vermagic '$vermagic' is not $kver's"
		elif ! st=$(dkms status -m mirvol "${d[@]}" 2>&1) ||
		     ! grep -q "^mirvol/$upver, $kver, .*: installed" <<<"$st"; then
			echo "dkms status: $st" >>"$log"
			why="dkms status does not say installed for $kver"
		else
			# Debian 12's default kernel: the postinst builds for
			# every kernel with headers; 77 is "skipped" there.
			rc=0
			dkms build -m mirvol -v "$upver" -k 6.1.0-0-amd64 "${d[@]}" >>"$log" 2>&1 || rc=$?
			[ "$rc" -eq 77 ] ||
				why="dkms build for 6.1.0-0-amd64 exited $rc, not 77 (skipped: BUILD_EXCLUSIVE_KERNEL)"
		fi
	fi
fi
[ "$before" = "$(host_state)" ] || why="the host's /var/lib/dkms, /lib/modules or /boot changed"
result dkms-build "$why" "$log"

write_counts "$counts" "$passed" "$failed"
echo "pkg: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
