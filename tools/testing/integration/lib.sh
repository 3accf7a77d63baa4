# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
#
# Helpers for mirvol's integration tests; guest-run.sh sources this file
# (in the VM) before the test.  A test runs with "set -eEu -o pipefail":
# any failing command fails it, and the first failure's reason is what
# run.sh reports.
#
# Environment of a test:
#   MIRVOL_SRC    the repository (read-only)
#   MIRVOLCTL     the repository's tools/mirvolctl/mirvolctl
#   TEST_NAME     the test's name (file name without .sh)
#   TEST_STAGE    the function being run (run_test or a stage)
#   TEST_SCRATCH  per-test directory on the results share; survives the
#                 test's boots (multi-stage state), emptied before stage 1
#   TEST_TMP      per-boot scratch directory on the guest's tmpfs
#   MVTEST_DIR    this boot's directory on the results share (console.log
#                 of the running boot is there, as seen by the host)
#
# After run_test (or a stage) and the test's cleanup(), guest-run.sh
# resets the VM: it unmounts test file systems, stops (not removes: a
# stage's volume must survive on its disks) every mirvol volume, unloads
# mirvol, brd, null_blk and scsi_debug and removes md, dm and loop
# devices.  The VM's root is a tmpfs overlay of the host's / (read-only),
# so what a test changes in /etc or /tmp lasts until the end of the boot.

MIRVOLCTL=$MIRVOL_SRC/tools/mirvolctl/mirvolctl

# How much slower than Debian's kernel this one runs the tests: 4 on the
# debug kernel (KASAN, lockdep, kmemleak; run.sh gives its timeouts as
# much), else 1.  Race tests stretch their windows by it, so that the
# other side of a race still lands in them.
case $(uname -r) in
*-mvdebug) SLOW=4 ;;
*) SLOW=1 ;;
esac
export SLOW

# log MSG...: a timestamped line in the test's log.
log() {
	printf '[%s] %s\n' "$(date +%T)" "$*"
}

# kmsg MSG...: a line in the kernel log (and so on the console).
kmsg() {
	echo "mvtest: $*" >/dev/kmsg
}

# fail MSG...: fail the test with MSG as the reason.
fail() {
	_mvtest_reason "$*"
	log "FAIL: $*"
	exit 1
}

_mvtest_reason() {
	[ -s "$_MVTEST_REASON" ] || printf '%s\n' "$*" >"$_MVTEST_REASON"
}

# The ERR trap: STATUS COMMAND LINE of the failed command.  The reason
# names the test file's line, also when the command failed in a helper.
_mvtest_on_err() {
	local rc=$1 cmd=$2 line=$3 i src
	if [ "${BASH_SOURCE[1]}" = "$_MVTEST_FILE" ]; then
		_mvtest_reason "${_MVTEST_FILE##*/}:$line: \"$cmd\" exited with status $rc"
		return
	fi
	for ((i = 2; i < ${#BASH_SOURCE[@]}; i++)); do
		[ "${BASH_SOURCE[i]}" = "$_MVTEST_FILE" ] || continue
		line=${BASH_LINENO[i - 1]}
		src=$(sed -n "${line}{s/^[[:space:]]*//;p}" "$_MVTEST_FILE")
		_mvtest_reason "${_MVTEST_FILE##*/}:$line: \"$src\" failed with status $rc (in ${FUNCNAME[i - 1]}: \"$cmd\")"
		return
	done
	_mvtest_reason "${BASH_SOURCE[1]##*/}:$line: \"$cmd\" exited with status $rc"
}

# assert_eq EXPECTED ACTUAL [WHAT]
assert_eq() {
	[ "$1" = "$2" ] || fail "${3:-value}: expected '$1', got '$2'"
}

# assert_ne UNEXPECTED ACTUAL [WHAT]
assert_ne() {
	[ "$1" != "$2" ] || fail "${3:-value}: did not expect '$1'"
}

# assert_ok CMD...: CMD must succeed (same as plain CMD, clearer reason).
assert_ok() {
	"$@" || fail "'$*' failed with status $?"
}

# assert_fails CMD...: CMD must fail (any non-zero status).
assert_fails() {
	if "$@"; then
		fail "'$*' succeeded, expected a failure"
	fi
}

# expect_fail_reason REASON CMD...: CMD must exit with status 1 and its
# last line on stderr must be "mirvolctl: <command>: <message> (REASON)".
expect_fail_reason() {
	local reason=$1 rc=0 err last
	shift
	err=$("$@" 2>&1 >/dev/null) || rc=$?
	last=$(printf '%s\n' "$err" | tail -n 1)
	[ "$rc" -eq 1 ] ||
		fail "'$*': expected exit status 1 ($reason), got $rc; stderr: $last"
	[[ $last =~ ^mirvolctl:\ [^:]+:\ .*\ \(([A-Z_]+)\)$ ]] ||
		fail "'$*': stderr is not 'mirvolctl: <command>: <message> (<REASON>)': $last"
	[ "${BASH_REMATCH[1]}" = "$reason" ] ||
		fail "'$*': expected reason $reason, got ${BASH_REMATCH[1]} ($last)"
	log "ok: '$*' failed with $reason"
}

# require CMD...: each command must exist (a missing one is a failure).
require() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || fail "missing prerequisite: $c"
	done
}

# wait_for SECS CMD...: poll CMD (its stdout discarded) every 0.1 s until
# it succeeds.
wait_for() {
	local secs=$1 end
	shift
	end=$(($(date +%s) + secs))
	until "$@" >/dev/null; do
		[ "$(date +%s)" -lt "$end" ] || fail "timed out after ${secs}s waiting for: $*"
		sleep 0.1
	done
}

_udevd_running() {
	pidof systemd-udevd >/dev/null
}

# settle: wait until udev has handled every event (no-op without udevd).
# systemd 252's udevadm settle now and then fails at once, "Failed to wait
# for daemon to reply: Broken pipe" (udevd closed its control connection):
# a quick failure is retried, a timeout is not.
settle() {
	local i t0
	_udevd_running || return 0
	for i in 1 2 3; do
		t0=$SECONDS
		udevadm settle --timeout=60 && return 0
		[ $((SECONDS - t0)) -lt 50 ] || fail "udevadm settle timed out"
		_udevd_running || fail "systemd-udevd is gone"
		sleep 1
	done
	fail "udevadm settle failed 3 times"
}

# mirvolctl ARGS...: the repository's tool.
mirvolctl() {
	[ -x "$MIRVOLCTL" ] || fail "$MIRVOLCTL is not built (make tool)"
	"$MIRVOLCTL" "$@"
}

# load_mirvol [PARAM=VALUE...]: load the repository's mirvol.ko; vm.sh made
# it known to modprobe, so its dependencies come along.
load_mirvol() {
	local ko=$MIRVOL_SRC/mirvol.ko
	[ -f "$ko" ] || fail "$ko is not built (make module)"
	if [ "$(modinfo -F filename mirvol 2>/dev/null)" != "/lib/modules/$(uname -r)/extra/mirvol.ko" ]; then
		fail "mirvol is not in the guest's module index (see vm.sh, mkmodindex.sh)"
	fi
	modprobe mirvol "$@" || fail "modprobe mirvol $* failed"
	wait_for 10 test -c /dev/mirvol-control
}

# mod_unused: true if nothing holds a reference on the mirvol module.
mod_unused() {
	[ "$(cat /sys/module/mirvol/refcnt)" = 0 ]
}

# assert_mod_unused WHAT: with no volume left, the module's references go
# back to 0.  A closer (udev's blkid, an operation's work) may drop its
# reference just after the command that ended the volume returned: that
# gets 5 s after udev settled; a reference still held then is a leak.
assert_mod_unused() {
	local end
	settle
	end=$(($(date +%s) + 5))
	until mod_unused; do
		[ "$(date +%s)" -lt "$end" ] ||
			fail "$1: mirvol module still has $(cat /sys/module/mirvol/refcnt) reference(s); volumes: $("$MIRVOLCTL" list 2>&1 | tr "\n" " ")"
		sleep 0.1
	done
}

# unload_mirvol: rmmod mirvol (must succeed).
unload_mirvol() {
	assert_mod_unused "before rmmod"
	rmmod mirvol || fail "rmmod mirvol failed"
}

# mk_brd N SIZE_MB: N RAM disks /dev/ram0../dev/ram<N-1> of SIZE_MB each.
mk_brd() {
	local i
	[ ! -d /sys/module/brd ] || fail "brd is already loaded"
	modprobe brd rd_nr="$1" rd_size=$(($2 * 1024)) || fail "modprobe brd failed"
	for ((i = 0; i < $1; i++)); do
		wait_for 10 test -b "/dev/ram$i"
	done
}

# dev_sectors DEV: size in 512-byte sectors.
dev_sectors() {
	blockdev --getsz "$1"
}

# disk NAME: the virtio disk whose serial is NAME (TEST_DISKS="NAME:SIZE").
disk() {
	local s
	for s in /sys/block/vd*/serial; do
		if [ -r "$s" ] && [ "$(cat "$s")" = "$1" ]; then
			s=${s%/serial}
			echo "/dev/${s##*/}"
			return 0
		fi
	done
	fail "no virtio disk with serial '$1'"
}

# mk_nullb NAME SIZE_MB [BADBLOCKS...]: a memory-backed null_blk device
# /dev/NAME whose bad blocks (e.g. +2048-2055, in 512-byte sectors) fail I/O.
mk_nullb() {
	local name=$1 size=$2 d=/sys/kernel/config/nullb/$1 b
	shift 2
	[ -d /sys/module/null_blk ] || modprobe null_blk nr_devices=0 ||
		fail "modprobe null_blk failed"
	mkdir "$d" || fail "cannot create null_blk $name"
	echo 1 >"$d/memory_backed"
	echo "$size" >"$d/size"
	for b in "$@"; do
		echo "$b" >"$d/badblocks"
	done
	echo 1 >"$d/power"
	wait_for 10 test -b "/dev/$name"
}

# nullb_badblocks NAME SPEC: add (+START-END) or clear (-START-END) bad blocks.
nullb_badblocks() {
	echo "$2" >"/sys/kernel/config/nullb/$1/badblocks" ||
		fail "cannot set bad blocks '$2' on $1"
}

# rm_nullb NAME
rm_nullb() {
	local d=/sys/kernel/config/nullb/$1
	if ! { echo 0 >"$d/power" && rmdir "$d"; }; then
		fail "cannot remove null_blk $1"
	fi
}

# nullb_power NAME 0|1: power a null_blk device of mk_nullb off (the block
# layer marks it dead) or back on, and wait for its node (its data stays).
nullb_power() {
	echo "$2" >"/sys/kernel/config/nullb/$1/power"
	[ "$2" = 0 ] || wait_for 10 test -b "/dev/$1"
}

# bounded ARGS...: mirvolctl ARGS, its stderr in $TEST_TMP/err, failing the
# test if it hangs (60 s); returns its status.
bounded() {
	local rc=0
	timeout 60 "$MIRVOLCTL" "$@" >/dev/null 2>"$TEST_TMP/err" || rc=$?
	[ $rc -ne 124 ] || fail "hung (60 s): mirvolctl $*"
	return $rc
}

# bg_mirvolctl NAME CMD...: run mirvolctl CMD in the background, bounded
# (60 s); its status goes to $TEST_TMP/NAME.rc, its stderr to
# $TEST_TMP/NAME.err.  The caller waits.
bg_mirvolctl() {
	local name=$1
	shift
	( rc=0; timeout 60 "$MIRVOLCTL" "$@" >/dev/null 2>"$TEST_TMP/$name.err" ||
		rc=$?; echo $rc >"$TEST_TMP/$name.rc" ) &
}

# clean_volumes: remove (else stop) every volume, and wait for udev, so
# that nothing holds the devices any more.
clean_volumes() {
	local u
	settle
	for u in $("$MIRVOLCTL" list --json | jq -r '.[].uuid'); do
		bounded remove --yes "$u" || bounded stop "$u" ||
			fail "cannot get rid of volume $u: $(cat "$TEST_TMP/err")"
	done
	settle
}

# check_released DEV...: the end of a race test (race_delay_ms back to 0):
# nothing holds DEV... any more, a volume over them all is created
# (resynced) and removed again, and the module unloads.
check_released() {
	echo 0 >/sys/module/mirvol/parameters/race_delay_ms
	bounded create --name last --wait "$@" ||
		fail "devices not reusable: $(cat "$TEST_TMP/err")"
	bounded remove --yes last
	unload_mirvol
}

# mk_scsi_debug SIZE_MB [PARAM=VALUE...]: load scsi_debug with one disk and
# print its /dev/sdX (e.g. opts=2: medium error reading sector 0x1234).
mk_scsi_debug() {
	local size=$1 b
	shift
	[ ! -d /sys/module/scsi_debug ] || fail "scsi_debug is already loaded"
	modprobe sd_mod
	modprobe scsi_debug dev_size_mb="$size" "$@" || fail "modprobe scsi_debug failed"
	wait_for 20 _scsi_debug_disk
	b=$(_scsi_debug_disk)
	wait_for 10 test -b "/dev/$b"
	echo "/dev/$b"
}

_scsi_debug_disk() {
	local b
	for b in /sys/bus/pseudo/drivers/scsi_debug/adapter*/host*/target*/*/block/*; do
		[ -e "$b" ] && { echo "${b##*/}"; return 0; }
	done
	return 1
}

# dmsetup ARGS...: with udevd, udev makes the /dev/mapper nodes; without
# it, dmsetup must not wait for udev and makes them itself.
_dmsetup() {
	if _udevd_running; then
		dmsetup "$@"
	else
		dmsetup --noudevsync "$@" && dmsetup mknodes
	fi
}

# dm_error_wrap DEV NAME: a dm-linear device /dev/mapper/NAME over DEV
# (printed), which dm_set_error turns into one that fails every I/O.
dm_error_wrap() {
	local dev=$1 name=$2
	modprobe dm_mod
	_dmsetup create "$name" --table "0 $(dev_sectors "$dev") linear $dev 0" ||
		fail "dmsetup create $name failed"
	mkdir -p /run/mvtest
	echo "$dev" >"/run/mvtest/dm-$name"
	settle
	wait_for 10 test -b "/dev/mapper/$name"
	echo "/dev/mapper/$name"
}

# dm_set_error NAME: every later I/O to /dev/mapper/NAME fails.
dm_set_error() {
	_dm_switch "$1" "0 $(dev_sectors "/dev/mapper/$1") error"
}

# dm_set_linear NAME: back to the device dm_error_wrap wrapped.
dm_set_linear() {
	local dev
	dev=$(cat "/run/mvtest/dm-$1") || fail "$1 was not made by dm_error_wrap"
	_dm_switch "$1" "0 $(dev_sectors "$dev") linear $dev 0"
}

_dm_switch() {
	if ! { _dmsetup load "$1" --table "$2" &&
	       _dmsetup suspend "$1" &&
	       _dmsetup resume "$1"; }; then
		fail "cannot switch $1 to '$2'"
	fi
}

# request_kill: have the host SIGKILL the VM now (crash-consistency
# stages).  Nothing is synced first.  The stage counts as passed.
request_kill() {
	log "asking the host to kill the VM"
	: >"$MVTEST_DIR/kill-me"
	sleep 30
	fail "the host did not kill the VM within 30 s"
}

# plexes_identical VOL [INDEX...]: the data areas of the volume's plexes
# (those given, else every plex with a device) hold the same bytes, read
# with O_DIRECT (a member's page cache can be stale).  Fails naming the
# first plex and volume byte that differ.
plexes_identical() {
	local vol=$1 json size first="" i out idx=()
	shift
	json=$(mirvolctl show "$vol" --json)
	size=$(jq .size_bytes <<<"$json")
	idx=("$@")
	[ ${#idx[@]} -gt 0 ] ||
		mapfile -t idx < <(jq '.plexes[] | select(.device != null) | .index' <<<"$json")
	[ ${#idx[@]} -ge 2 ] || fail "plexes_identical $vol: fewer than two plexes (${idx[*]})"
	for i in "${idx[@]}"; do
		if [ -z "$first" ]; then
			first=$i
			continue
		fi
		out=$(cmp <(_plex_data "$json" "$first" "$size") \
			  <(_plex_data "$json" "$i" "$size") 2>&1) && continue
		[[ $out =~ differ:\ (byte|char)\ ([0-9]+) ]] &&
			out="first at volume byte $((BASH_REMATCH[2] - 1))"
		fail "volume $vol: plex $i differs from plex $first: $out"
	done
	log "volume $vol: plexes ${idx[*]} hold the same data"
}

# _plex_data JSON INDEX SIZE: the volume's data on the device of a plex.
_plex_data() {
	local dev off
	dev=$(jq -r ".plexes[] | select(.index == $2) | .device" <<<"$1")
	off=$(jq ".plexes[] | select(.index == $2) | .data_offset_bytes" <<<"$1")
	dd if="$dev" bs=1M iflag=direct,skip_bytes,count_bytes skip="$off" \
	   count="$3" status=none
}

# mk_remap DEV NAME: a dm-integrity device /dev/mapper/NAME over DEV
# (printed) that behaves as a disk with pending sectors: remap_damage
# makes blocks unreadable (a read fails, as on a medium error) and a
# write of them makes them good again, as a disk remaps a sector on
# write.  null_blk's bad blocks fail writes too, scsi_debug's medium
# errors stay.  Its size is DEV's less dm-integrity's metadata, in whole
# MiB; it reads as zeros.
mk_remap() {
	local dev=$1 name=$2 n
	modprobe dm_integrity || fail "modprobe dm_integrity failed"
	# A zeroed superblock: dm-integrity formats the device.  A table of
	# 8 sectors tells the size it provides; then the real table.
	dd if=/dev/zero of="$dev" bs=1M count=1 oflag=direct status=none
	_dmsetup create "$name" --table "0 8 integrity $dev 0 4 D 1 internal_hash:crc32c" ||
		fail "dmsetup create $name (integrity) failed"
	n=$(dmsetup status "$name" | awk '{ print $5 }')
	[[ $n =~ ^[0-9]+$ ]] || fail "dm-integrity $name: no size in '$(dmsetup status "$name")'"
	n=$((n / 2048 * 2048))
	_dm_switch "$name" "0 $n integrity $dev 0 4 D 1 internal_hash:crc32c"
	mkdir -p /run/mvtest
	echo "$dev" >"/run/mvtest/remap-$name"
	settle
	wait_for 10 test -b "/dev/mapper/$name"
	# Checksums for every sector: one never written fails its own.
	dd if=/dev/zero of="/dev/mapper/$name" bs=1M count=$((n / 2048)) \
	   oflag=direct status=none || fail "cannot zero /dev/mapper/$name"
	echo "/dev/mapper/$name"
}

# remap_damage NAME OFFSET LEN: make LEN bytes at byte OFFSET of the
# mk_remap device NAME (4 KiB blocks) unreadable until written; their
# data is lost.  Works while the device is in use (a volume's plex).
remap_damage() {
	local name=$1 off=$2 len=$3 lower b marker at
	lower=$(cat "/run/mvtest/remap-$name") || fail "$name was not made by mk_remap"
	[ $((off % 4096)) -eq 0 ] && [ $((len % 4096)) -eq 0 ] && [ "$len" -gt 0 ] ||
		fail "remap_damage $name: $off+$len is not in 4 KiB blocks"
	for ((b = off; b < off + len; b += 4096)); do
		# Where the block lies below dm-integrity: write a marker
		# through it, find the marker below, overwrite it there.
		marker="mvtest-damage-$name-$b-$RANDOM$RANDOM"
		awk -v m="$marker" 'BEGIN { while (length(s) < 4096) s = s m "\n"
					    printf "%s", substr(s, 1, 4096) }' >"$TEST_TMP/marker"
		dd if="$TEST_TMP/marker" of="/dev/mapper/$name" bs=4096 \
		   seek=$((b / 4096)) oflag=direct conv=notrunc status=none
		at=$(set +o pipefail
		     dd if="$lower" bs=1M iflag=direct status=none 2>/dev/null |
			grep -m 1 -obaF "$marker" | cut -d: -f1)
		[[ $at =~ ^[0-9]+$ ]] && [ $((at % 512)) -eq 0 ] ||
			fail "remap_damage $name: block $b not found on $lower"
		dd if=/dev/urandom of="$lower" bs=4096 count=1 seek="$at" \
		   oflag=direct,seek_bytes conv=notrunc status=none
		if dd if="/dev/mapper/$name" of=/dev/null bs=4096 skip=$((b / 4096)) \
		      count=1 iflag=direct status=none 2>/dev/null; then
			fail "remap_damage $name: block $b still reads"
		fi
	done
	log "$name: bytes $off+$len unreadable until written"
}
