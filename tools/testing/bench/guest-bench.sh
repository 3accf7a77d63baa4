#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest side of "make bench" (run.sh boots the test VM with it): fio
# on brd RAM-disk legs through the raw device, mirvol (with and without
# its write-intent bitmap), md raid1 (with and without its bitmap) and
# dm-mirror, then mirvol's resync against md's recovery, a break-plex
# under a random-write load and the return of an offline plex (what the
# bitmap saves the resync).  It only measures and records; run.sh's
# report.py turns the records into the table and the results JSON.
#
# Usage (run.sh passes every option): guest-bench.sh --out DIR
#   --size MIB --runtime S --ramp S --plexes N --repeat N
#   --workloads LIST --configs LIST [--break-runtime S]
#   [--interleave workload|config] [--part brd|latency|instr]
#
# Parts (run.sh runs each in its own boot):
#   brd      the comparison on brd RAM-disk legs described below
#   instr    the same brd legs, fio psync at iodepth 1 (instr-randread,
#            instr-randwrite) on raw, dm-linear, mirvol 1 and 2 plexes, md
#            raid1 and dm-mirror; run.sh boots it with -icount and 1 vCPU,
#            report.py turns the virtual run time into instructions per I/O
#   latency  latency-bound legs: null_blk (configfs) with timer completion
#            (irqmode=2), completion_nsec 1 ms (lat1ms0..2) or 100 us
#            (lat100us0), hw_queue_depth 4, memory-backed; one leg alone,
#            mirvol and md raid1 on 2 and 3 equal legs and on a mixed pair
#            (1 ms + 100 us); each workload runs on the configurations of
#            lat_matrix below
#
# Records, all under --out (a directory of the writable share):
#   env.txt          KEY=value: kernel, vCPUs, memory, tool versions,
#                    speed limits, the fio span
#   runs.tsv         one line per fio run: repetition, config, workload,
#                    its JSON file, /proc/stat before and after, mirvol
#                    per-plex counters before and after
#   verify.tsv       per repetition, workload and config: what was checked
#   resync.tsv       per repetition: mirvol add-plex and md recovery
#   break.tsv        per repetition: break-plex times and its fio job
#   merge.tsv        per repetition: merge-plex after 1 % written on each
#                    side of a break-plex --track-changes
#   rejoin.tsv       per repetition and case: an offline plex's return
#   fio/*.iolog      the offsets fio wrote while the plex was offline
#   fio/*.json       fio's JSON output; fio/*_lat.1.log the per-I/O
#                    latency logs of the break-plex runs
#   progress.log     human-readable progress (run.sh shows it)
#   done             written last; its absence means the run failed
#   failed           the reason, when it did
#
# Legs and pre-fill: brd allocates a page on the first write to it and
# frees it only on discard, which nothing here issues.  Each leg is
# therefore written in full once, right after loading brd, so that every
# configuration runs on legs whose pages already exist: no configuration
# pays (or is spared) brd's page allocation.  brd is not re-created
# between configurations, only the md/dm/mirvol devices on it; their
# metadata is erased with writes (mirvolctl remove, mdadm
# --zero-superblock), never discards.
set -eEuo pipefail

MIRVOLCTL=$MIRVOL_SRC/tools/mirvolctl/mirvolctl
VOL=bench			# mirvol volume name
MD=/dev/md0
DM=bench-mirror
LINEAR=bench-linear
DM_REGION=4096			# dm-mirror region: 2 MiB, LVM's default
SPEED=10000000			# KiB/s: "lifted" resync speed limits

out=
size_mib=
runtime=
ramp=
plexes=
repeat=
workloads=
configs=
break_runtime=8
interleave=workload
part=brd
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift ;;
	--size) size_mib=$2; shift ;;
	--runtime) runtime=$2; shift ;;
	--ramp) ramp=$2; shift ;;
	--plexes) plexes=$2; shift ;;
	--repeat) repeat=$2; shift ;;
	--workloads) workloads=$2; shift ;;
	--configs) configs=$2; shift ;;
	--break-runtime) break_runtime=$2; shift ;;
	--interleave) interleave=$2; shift ;;
	--part) part=$2; shift ;;
	*) echo "guest-bench.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
for v in out size_mib runtime ramp plexes repeat workloads configs; do
	[ -n "${!v}" ] || { echo "guest-bench.sh: --${v%_mib} is required" >&2; exit 2; }
done

mkdir -p "$out/fio"
progress=$out/progress.log

log() {
	printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >>"$progress"
}

die() {
	log "FAILED: $*"
	echo "$*" >"$out/failed"
	exit 1
}
trap 'die "line $LINENO: \"$BASH_COMMAND\" exited with status $?"' ERR

# The host's watchdog (vm.sh -t) kills a hung guest; re-arm it for each step.
wd_seq=0
watchdog() {
	wd_seq=$((wd_seq + 1))
	echo "$wd_seq $1" >"$MVTEST_DIR/watchdog"
}

# run.sh boots the guest without udev (vm.sh -U): no probing of every new
# device while it is measured, and much less set-up time per
# configuration.  With udev, wait for its events to be processed.
settle() {
	! pidof systemd-udevd >/dev/null || udevadm settle --timeout=60 || true
}

# A sleep that forks nothing, for polling loops.
exec {sleepfd}<> <(:)
nap() {
	read -rt "$1" -u "$sleepfd" || true
}

now() {
	echo "$EPOCHREALTIME"
}

legs=$((plexes > 2 ? plexes : 2))
leg() {
	echo "/dev/ram$1"
}
legs_list() {
	local i
	for ((i = 0; i < $1; i++)); do
		leg "$i"
	done
}

# ---------------------------------------------------------------- setup

# If udev runs, it must not assemble md arrays behind our back (between
# --stop and --zero-superblock): mask mdadm's incremental-assembly rule.
# /run is the guest's own tmpfs.
if pidof systemd-udevd >/dev/null; then
	mkdir -p /run/udev/rules.d
	: >/run/udev/rules.d/64-md-raid-assembly.rules
	udevadm control --reload || true
fi

watchdog 600
memfree() {
	awk '/^MemFree:/ { print int($2 / 1024) }' /proc/meminfo
}

# The latency part's legs: memory-backed null_blk devices completed by a
# timer (irqmode=2) after completion_nsec, at most hw_queue_depth requests
# in flight (one hardware queue): a disk whose throughput is bounded by
# its latency times its depth, not by the emulated CPU.  Memory-backed so
# that md's and mirvol's superblocks are really stored.
NULLB=/sys/kernel/config/nullb
NULLB_DEPTH=4
lat_legs_spec=(lat1ms0:1000000 lat1ms1:1000000 lat1ms2:1000000 lat100us0:100000)
nullb_leg() {
	local name=$1 nsec=$2 d=$NULLB/$1 a i
	mkdir "$d" || die "cannot create null_blk $name"
	echo 2 >"$d/irqmode"
	echo "$nsec" >"$d/completion_nsec"
	echo "$NULLB_DEPTH" >"$d/hw_queue_depth"
	echo 1 >"$d/submit_queues"
	echo 1 >"$d/memory_backed"
	echo "$size_mib" >"$d/size"
	echo 1 >"$d/power"
	for ((i = 0; i < 100; i++)); do
		[ -b "/dev/$name" ] && break
		nap 0.1
	done
	[ -b "/dev/$name" ] || die "/dev/$name did not appear"
	for a in irqmode completion_nsec hw_queue_depth submit_queues memory_backed size power; do
		echo "nullb_${name}_$a=$(cat "$d/$a")"
	done >>"$out/env-nullb.txt"
	if [ "$(cat "$d/completion_nsec")" != "$nsec" ] || [ "$(cat "$d/irqmode")" != 2 ] ||
	   [ "$(cat "$d/hw_queue_depth")" != "$NULLB_DEPTH" ]; then
		die "null_blk $name does not have the settings asked for"
	fi
	[ "$(blockdev --getsize64 "/dev/$name")" -eq $((size_mib << 20)) ] ||
		die "/dev/$name is not $size_mib MiB"
}

if [ "$part" = latency ]; then
	mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
	modprobe null_blk nr_devices=0
	: >"$out/env-nullb.txt"
	log "null_blk legs: ${lat_legs_spec[*]} (name:completion_nsec), depth $NULLB_DEPTH, $size_mib MiB each"
	for l in "${lat_legs_spec[@]}"; do
		nullb_leg "${l%%:*}" "${l#*:}"
	done
	legs=${#lat_legs_spec[@]}
	mem_before=$(memfree)
	mem_after=$mem_before
else
log "loading brd: $legs legs of $size_mib MiB"
modprobe brd rd_nr="$legs" rd_size=$((size_mib * 1024))
settle
for ((i = 0; i < legs; i++)); do
	d=$(leg "$i")
	[ -b "$d" ] || die "$d is missing after modprobe brd"
	[ "$(blockdev --getsize64 "$d")" -eq $((size_mib << 20)) ] ||
		die "$d is not $size_mib MiB"
done
mem_before=$(memfree)
log "pre-filling the legs (every brd page allocated before measuring)"
for ((i = 0; i < legs; i++)); do
	dd if=/dev/zero of="$(leg "$i")" bs=1M count="$size_mib" oflag=direct \
		status=none || die "pre-filling $(leg "$i") failed"
done
mem_after=$(memfree)
# Each leg must have cost about its size in RAM: brd really holds it.
[ $((mem_before - mem_after)) -ge $((legs * size_mib * 9 / 10)) ] ||
	die "pre-fill took only $((mem_before - mem_after)) MiB of RAM for $legs x $size_mib MiB"
fi

modprobe raid1
modprobe dm_mirror
modprobe mirvol
[ -x "$MIRVOLCTL" ] || die "$MIRVOLCTL is not built"
echo "$SPEED" >/proc/sys/dev/raid/speed_limit_max
echo "$SPEED" >/proc/sys/dev/raid/speed_limit_min
[ "$(cat /proc/sys/dev/raid/speed_limit_max)" = "$SPEED" ] ||
	die "cannot lift md's speed_limit_max"

# The span fio covers on every configuration: the same for all of them,
# inside the smallest (md and mirvol keep their metadata at the start).
span_mib=$((size_mib - size_mib / 16))

{
	echo "kernel=$(uname -r)"
	echo "vcpus=$(nproc)"
	echo "mem_total_kib=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
	echo "cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
	echo "fio=$(fio --version)"
	echo "mdadm=$(mdadm --version 2>&1 | head -n 1)"
	echo "dmsetup=$(dmsetup --version | tr '\n' ' ')"
	echo "mirvolctl_version=$("$MIRVOLCTL" version --json | jq -c .)"
	echo "legs=$legs"
	echo "leg_mib=$size_mib"
	echo "span_mib=$span_mib"
	echo "prefill_ram_mib=$((mem_before - mem_after))"
	echo "md_speed_limit_min=$(cat /proc/sys/dev/raid/speed_limit_min)"
	echo "md_speed_limit_max=$(cat /proc/sys/dev/raid/speed_limit_max)"
	echo "mirvol_speed_limit=$SPEED"
	echo "dm_region_sectors=$DM_REGION"
	[ ! -e /sys/block/ram0 ] ||
		echo "brd_discard_max_bytes=$(cat /sys/block/ram0/queue/discard_max_bytes)"
	echo "memfree_after_prefill_mib=$mem_after"
	echo "part=$part"
	echo "cpu_cx16=$(grep -qw cx16 /proc/cpuinfo && echo yes || echo no)"
	[ "$part" != latency ] || cat "$out/env-nullb.txt"
} >"$out/env.txt"

# ------------------------------------------------------- configurations

# cfg_up CONFIG: build CONFIG on the legs, check it is what it claims and
# set DEV.  One line per check goes to verify.tsv.
verify_line() {
	printf '%s\t%s\t%s\t%s\n' "$rep" "${wl:--}" "$1" "$2" >>"$out/verify.tsv"
}

# Checks read sysfs with bash alone: every exec is slow under TCG (jq
# takes about half a second), and this runs once per fio run.
# mirvol_up N [BITMAP [BUDGET]]: an N-plex volume, with the default bitmap
# ("internal") or BITMAP ("none"), and BUDGET in its bitmap_dirty_max if
# given; REGION_BYTES is its bitmap's region size ("null" without one).
mirvol_up() {
	local n=$1 bitmap=${2:-internal} budget=${3:-} sys i st dev want checked bm
	# --force: the legs are reused, and the raw, md and dm configurations
	# before this one wrote what they liked on them (create refuses a
	# device where libblkid finds a signature).
	# shellcheck disable=SC2046 # one word per leg
	DEV=$("$MIRVOLCTL" create --force --name "$VOL" --assume-clean --bitmap "$bitmap" \
		$(legs_list "$n")) || die "mirvolctl create failed"
	settle
	sys=/sys/block/${DEV#/dev/}/mirvol
	[ -d "$sys" ] || die "$sys is missing"
	read -r st <"$sys/state"
	[ "$st" = online ] || die "mirvol volume is $st, not online"
	# No sysfs attribute tells the bitmap: ask show (once per
	# configuration, not per run).
	bm=$("$MIRVOLCTL" show "$VOL" --json | jq -r '"\(.bitmap) \(.bitmap_region_bytes)"')
	[ "${bm%% *}" = "$bitmap" ] || die "mirvol volume has bitmap '$bm', expected $bitmap"
	REGION_BYTES=${bm#* }
	checked="device=$DEV state=$st bitmap=${bm%% *} region_bytes=$REGION_BYTES"
	if [ -n "$budget" ]; then
		echo "$budget" >"$sys/bitmap_dirty_max" ||
			die "cannot set bitmap_dirty_max"
		read -r st <"$sys/bitmap_dirty_max"
		[ "$st" = "$budget" ] || die "bitmap_dirty_max is $st, not $budget"
		checked+=" bitmap_dirty_max=$st"
	fi
	for ((i = 0; i < n; i++)); do
		[ -d "$sys/plex$i" ] || die "mirvol volume has no plex $i"
		read -r st <"$sys/plex$i/state"
		read -r dev <"$sys/plex$i/dev"
		read -r want <"/sys/class/block/ram$i/dev"
		if [ "$st" != active ] || [ "$dev" != "$want" ]; then
			die "mirvol plex $i is $st on $dev, not active on $want (ram$i)"
		fi
		checked+=" plex$i=$dev:$st"
	done
	[ ! -d "$sys/plex$n" ] || die "mirvol volume has more than $n plexes"
	verify_line "$cfg" "$checked"
}

md_up() {
	local bitmap=$1 n=$plexes want loc detail
	# shellcheck disable=SC2046 # one word per leg
	mdadm --create "$MD" --run --quiet --level=1 --raid-devices="$n" \
		--metadata=1.2 --assume-clean --bitmap="$bitmap" $(legs_list "$n") ||
		die "mdadm --create failed"
	settle
	DEV=$MD
	detail=$(mdadm --detail "$MD")
	loc=$(cat /sys/block/md0/md/bitmap/location)
	want=none
	[ "$bitmap" = none ] || want=+8
	[ "$loc" = "$want" ] || die "md bitmap location is '$loc', expected '$want'"
	if [ "$bitmap" = none ]; then
		! grep -q 'Intent Bitmap' <<<"$detail" || die "md has a bitmap: $detail"
	else
		grep -q 'Intent Bitmap : Internal' <<<"$detail" || die "md has no internal bitmap: $detail"
	fi
	[ "$(cat /sys/block/md0/md/level)" = raid1 ] || die "md0 is not raid1"
	[ "$(cat /sys/block/md0/md/raid_disks)" = "$n" ] || die "md0 has not $n disks"
	[ "$(cat /sys/block/md0/md/degraded)" = 0 ] || die "md0 is degraded"
	[ "$(cat /sys/block/md0/md/sync_action)" = idle ] || die "md0 is resyncing"
	verify_line "$cfg" "level=raid1 raid_disks=$n degraded=0 sync_action=idle bitmap_location=$loc $(grep -E 'Consistency Policy' <<<"$detail" | tr -s ' ')"
}

dm_up() {
	local n=$plexes sectors table args="" i status
	sectors=$(blockdev --getsz "$(leg 0)")
	for ((i = 0; i < n; i++)); do
		args+=" $(leg "$i") 0"
	done
	table="0 $sectors mirror core 2 $DM_REGION nosync $n$args 1 handle_errors"
	dmsetup create "$DM" --noudevsync --table "$table" || die "dmsetup create failed"
	settle
	[ -b "/dev/mapper/$DM" ] || dmsetup mknodes "$DM"
	DEV=/dev/mapper/$DM
	[ -b "$DEV" ] || die "$DEV did not appear"
	table=$(dmsetup table "$DM")
	[[ $table == "0 $sectors mirror core 2 $DM_REGION nosync $n "* ]] ||
		die "unexpected dm table: $table"
	status=$(dmsetup status "$DM")
	# "... mirror N maj:min... R/R 1 AA 1 core": all regions in sync, every leg alive.
	if ! [[ $status =~ \ ([0-9]+)/([0-9]+)\ 1\ (A+)\ 1\ core ]] ||
	   [ "${BASH_REMATCH[1]}" != "${BASH_REMATCH[2]}" ] ||
	   [ ${#BASH_REMATCH[3]} -ne "$n" ]; then
		die "unexpected dm status: $status"
	fi
	verify_line "$cfg" "table=$table; status=$status"
}

# dm-linear over the first leg: what stacking any bio-based driver costs
# (a clone, a second submit_bio, a completion), the floor for mirvol1.
linear_up() {
	local sectors table
	sectors=$(blockdev --getsz "$(leg 0)")
	dmsetup create "$LINEAR" --noudevsync --table "0 $sectors linear $(leg 0) 0" ||
		die "dmsetup create (linear) failed"
	settle
	[ -b "/dev/mapper/$LINEAR" ] || dmsetup mknodes "$LINEAR"
	DEV=/dev/mapper/$LINEAR
	[ -b "$DEV" ] || die "$DEV did not appear"
	table=$(dmsetup table "$LINEAR")
	[[ $table == "0 $sectors linear "* ]] || die "unexpected dm table: $table"
	verify_line "$cfg" "table=$table"
}

cfg_up() {
	cfg=$1
	case $cfg in
	raw)
		DEV=$(leg 0)
		verify_line raw "device=$DEV brd size=$(blockdev --getsize64 "$DEV")"
		;;
	mirvol1) mirvol_up 1 ;;
	mirvol[2-4]) mirvol_up "$plexes" ;;
	mirvol[2-4]-nobitmap) mirvol_up "$plexes" none ;;
	mirvol[2-4]-budget0) mirvol_up "$plexes" internal 0 ;;
	md) md_up none ;;
	md-bitmap) md_up internal ;;
	dm) dm_up ;;
	linear) linear_up ;;
	*) die "unknown configuration $cfg" ;;
	esac
	[ "$(blockdev --getsize64 "$DEV")" -ge $((span_mib << 20)) ] ||
		die "$cfg: $DEV is smaller than the fio span ($span_mib MiB)"
}

# Remove whatever cfg_up built; the legs are left free and pre-filled.
mirvol_remove() {
	local name=$1 i
	for i in 1 2 3 4 5; do
		"$MIRVOLCTL" remove --yes "$name" 2>/dev/null && return 0
		settle
		sleep 0.5
	done
	"$MIRVOLCTL" remove --yes "$name" || die "cannot remove mirvol volume $name"
}

md_remove() {
	local n=$1
	settle
	mdadm --stop "$MD" >/dev/null || die "mdadm --stop failed"
	# shellcheck disable=SC2046 # one word per leg
	mdadm --zero-superblock $(legs_list "$n") || die "mdadm --zero-superblock failed"
}

cfg_down() {
	case $1 in
	raw) ;;
	mirvol*) mirvol_remove "$VOL" ;;
	md|md-bitmap) md_remove "$plexes" ;;
	dm | linear)
		local name=$DM
		[ "$1" = dm ] || name=$LINEAR
		settle
		dmsetup remove --noudevsync "$name" || die "dmsetup remove failed"
		rm -f "/dev/mapper/$name"
		;;
	esac
	settle
	local d
	for d in /sys/block/md[0-9]* /sys/block/dm-* /sys/block/mirvol*; do
		[ ! -e "$d" ] || die "${d##*/} remains after $1"
	done
}

# ------------------------------------------- latency-bound configurations

# The configurations of the latency part and the legs each is built on
# (the mixed pair: the slow leg first, plex 0).
lat_cfg_legs() {
	case $1 in
	raw-1ms) echo /dev/lat1ms0 ;;
	raw-100us) echo /dev/lat100us0 ;;
	*-2x1ms) echo /dev/lat1ms0 /dev/lat1ms1 ;;
	*-3x1ms) echo /dev/lat1ms0 /dev/lat1ms1 /dev/lat1ms2 ;;
	*-mixed) echo /dev/lat1ms0 /dev/lat100us0 ;;
	*) die "unknown latency configuration $1" ;;
	esac
}

# Which configurations each latency workload runs on.
lat_matrix() {
	case $1 in
	lat-randread-qd32) echo raw-1ms raw-100us mirvol-2x1ms md-2x1ms mirvol-3x1ms md-3x1ms mirvol-mixed md-mixed ;;
	lat-randread-qd1) echo raw-100us raw-1ms mirvol-mixed md-mixed ;;
	lat-randwrite-qd32) echo raw-1ms mirvol-2x1ms md-2x1ms ;;
	lat-seqread-2j) echo raw-1ms mirvol-2x1ms md-2x1ms ;;
	*) die "unknown latency workload $1" ;;
	esac
}

# lat_up CONFIG: mirvol (default bitmap, as a user creates it) or md raid1
# (no bitmap, as mdadm chooses for these sizes) on the legs of CONFIG.
lat_up() {
	local -a l
	local sys i st dev want checked n name
	cfg=$1
	read -ra l <<<"$(lat_cfg_legs "$cfg")"
	n=${#l[@]}
	case $cfg in
	raw-*)
		DEV=${l[0]}
		verify_line "$cfg" "device=$DEV null_blk completion_nsec=$(cat "$NULLB/${DEV#/dev/}/completion_nsec")"
		;;
	mirvol-*)
		DEV=$("$MIRVOLCTL" create --force --name "$VOL" --assume-clean "${l[@]}") ||
			die "mirvolctl create failed"
		settle
		sys=/sys/block/${DEV#/dev/}/mirvol
		read -r st <"$sys/state"
		[ "$st" = online ] || die "mirvol volume is $st, not online"
		checked="device=$DEV state=$st"
		for ((i = 0; i < n; i++)); do
			read -r st <"$sys/plex$i/state"
			read -r dev <"$sys/plex$i/dev"
			name=${l[i]#/dev/}
			read -r want <"/sys/class/block/$name/dev"
			if [ "$st" != active ] || [ "$dev" != "$want" ]; then
				die "mirvol plex $i is $st on $dev, not active on $want ($name)"
			fi
			checked+=" plex$i=$name:$dev:$st"
		done
		[ ! -d "$sys/plex$n" ] || die "mirvol volume has more than $n plexes"
		verify_line "$cfg" "$checked"
		;;
	md-*)
		mdadm --create "$MD" --run --quiet --level=1 --raid-devices="$n" \
			--metadata=1.2 --assume-clean --bitmap=none "${l[@]}" ||
			die "mdadm --create failed"
		settle
		DEV=$MD
		[ "$(cat /sys/block/md0/md/level)" = raid1 ] || die "md0 is not raid1"
		[ "$(cat /sys/block/md0/md/raid_disks)" = "$n" ] || die "md0 has not $n disks"
		[ "$(cat /sys/block/md0/md/degraded)" = 0 ] || die "md0 is degraded"
		[ "$(cat /sys/block/md0/md/sync_action)" = idle ] || die "md0 is resyncing"
		[ "$(cat /sys/block/md0/md/bitmap/location)" = none ] || die "md0 has a bitmap"
		verify_line "$cfg" "level=raid1 raid_disks=$n degraded=0 sync_action=idle bitmap=none legs=${l[*]}"
		;;
	esac
	[ "$(blockdev --getsize64 "$DEV")" -ge $((span_mib << 20)) ] ||
		die "$cfg: $DEV is smaller than the fio span ($span_mib MiB)"
}

lat_down() {
	local -a l
	read -ra l <<<"$(lat_cfg_legs "$1")"
	case $1 in
	mirvol-*) mirvol_remove "$VOL" ;;
	md-*)
		settle
		mdadm --stop "$MD" >/dev/null || die "mdadm --stop failed"
		mdadm --zero-superblock "${l[@]}" || die "mdadm --zero-superblock failed"
		;;
	esac
	settle
	local d
	for d in /sys/block/md[0-9]* /sys/block/mirvol*; do
		[ ! -e "$d" ] || die "${d##*/} remains after $1"
	done
}

# ---------------------------------------------------------------- fio

# fio options of a workload.
wl_opts() {
	case $1 in
	randread-qd32) echo "--rw=randread --bs=4k --iodepth=32 --numjobs=2" ;;
	randwrite-qd32) echo "--rw=randwrite --bs=4k --iodepth=32 --numjobs=2" ;;
	randread-qd1) echo "--rw=randread --bs=4k --iodepth=1 --numjobs=1" ;;
	randwrite-qd1) echo "--rw=randwrite --bs=4k --iodepth=1 --numjobs=1" ;;
	seqread) echo "--rw=read --bs=1M --iodepth=8 --numjobs=1" ;;
	seqwrite) echo "--rw=write --bs=1M --iodepth=8 --numjobs=1" ;;
	# The latency part (null_blk legs).  lat-seqread-2j: 2 streams,
	# each over its own half of the span.
	lat-randread-qd32) echo "--rw=randread --bs=4k --iodepth=32 --numjobs=1" ;;
	lat-randread-qd1) echo "--rw=randread --bs=4k --iodepth=1 --numjobs=1" ;;
	lat-randwrite-qd32) echo "--rw=randwrite --bs=4k --iodepth=32 --numjobs=1" ;;
	lat-seqread-2j) echo "--rw=read --bs=1M --iodepth=2 --numjobs=2 --size=$((span_mib / 2))M --offset_increment=$((span_mib / 2))M" ;;
	# The instructions part (-icount, 1 vCPU): synchronous I/O keeps
	# the vCPU busy the whole run, so virtual time counts instructions.
	# Over the first 16 MiB: 256 bitmap regions of 64 KiB, all marked
	# during the warm-up, so that the figure is the steady state (the
	# instruction count does not depend on where the I/O goes).
	instr-randread) echo "--ioengine=psync --rw=randread --bs=4k --iodepth=1 --numjobs=1 --size=16M" ;;
	instr-randwrite) echo "--ioengine=psync --rw=randwrite --bs=4k --iodepth=1 --numjobs=1 --size=16M" ;;
	*) die "unknown workload $1" ;;
	esac
}

fio_common=(--ioengine=libaio --direct=1 --time_based --group_reporting
	    --norandommap --randrepeat=0 --output-format=json)

# mirvol per-plex I/O counters "index:reads:writes,..." of $DEV, or "-".
plex_counters() {
	local sys=/sys/block/${DEV#/dev/}/mirvol p r w res=""
	[ -d "$sys" ] || { echo -; return; }
	for p in "$sys"/plex*; do
		[ -d "$p" ] || continue
		read -r r <"$p/read_ios"
		read -r w <"$p/write_ios"
		res+="${res:+,}${p##*/plex}:$r:$w"
	done
	echo "${res:--}"
}

# mirvol's count of bitmap page writes on $DEV (the set and clear works),
# or "-" (no mirvol volume, or a module without the counter).
bitmap_writes() {
	local f=/sys/block/${DEV#/dev/}/mirvol/bitmap_writes
	if [ -r "$f" ]; then cat "$f"; else echo -; fi
}

cpu_stat() {
	local _cpu rest
	read -r _cpu rest </proc/stat
	echo "${rest// /:}"
}

# fio_summary FILE: fio's error and a one-line summary of its JSON, with
# bash alone; report.py checks the output in full on the host.
fio_summary() {
	local j re iops=() bw=() d
	j=$(<"$1")
	# The workload's own job (not a precondition job before it).
	[ -z "${2:-}" ] || j=${j#*\"jobname\" : \""$2"\"}
	re='"error" : ([0-9]+)'
	[[ $j =~ $re ]] || { echo "no error field"; return 1; }
	[ "${BASH_REMATCH[1]}" = 0 ] || { echo "fio error ${BASH_REMATCH[1]}"; return 1; }
	for d in read write; do
		re="\"$d\" : \\{[^{]*\"bw_bytes\" : ([0-9]+),[^{]*\"iops\" : ([0-9]+)"
		[[ $j =~ $re ]] || { echo "no $d figures"; return 1; }
		bw+=("${BASH_REMATCH[1]}")
		iops+=("${BASH_REMATCH[2]}")
	done
	echo "$((iops[0] + iops[1])) IOPS, $(((bw[0] + bw[1]) / 1000000)) MB/s"
}

# run_fio WORKLOAD: one measured run on $DEV, recorded in runs.tsv.
run_fio() {
	local wl=$1 json c0 c1 p0 p1 b0 b1 t0 t1 rc=0 opts sum stat_tmp _c rest
	json=fio/r$rep-$cfg-$wl.json
	read -ra opts <<<"$(wl_opts "$wl")"
	watchdog $((runtime + ramp + 180))
	c0=$(cpu_stat)
	p0=$(plex_counters)
	b0=$(bitmap_writes)
	t0=$(now)
	local sampler=
	if [ "$part" = instr ]; then
		# /proc/stat every 0.25 s while fio runs, for report.py's
		# check that the vCPU never idled in the measured part of
		# the run.  Builtins only, no command substitution (a fork
		# each: about 10 million instructions a second, 9 % more
		# instructions per I/O at shift 3), and into the guest's own
		# tmpfs, not the 9p share (a wait for the host would be idle
		# time); copied to the share after the run.
		stat_tmp=/tmp/bench-sampler.stat
		( while :; do
			read -r _c rest </proc/stat
			printf '%s %s\n' "$EPOCHREALTIME" "${rest// /:}"
			nap 0.25
		  done >"$stat_tmp" ) &
		sampler=$!
	fi
	local -a pre=()
	if [ "$wl" = lat-randwrite-qd32 ]; then
		# Every configuration is written over the span once first, in
		# the same fio run (a job of its own, before a stonewall): a
		# mirvol volume's bitmap then has every region of the span
		# marked (fewer than its budget) when the random writes start,
		# with no pause in which the clear work (2 s periods) could
		# clear them, and the run measures the steady state, not a
		# fresh volume's first marks (each a 1 ms page write here).
		pre=(--name=precondition --filename="$DEV" --size="${span_mib}M"
		     --rw=write --bs=1M --iodepth=4 --ioengine=libaio --direct=1)
		opts+=(--stonewall)
	fi
	fio "${pre[@]}" --name="$wl" --filename="$DEV" --size=${span_mib}M --runtime="$runtime" \
		--ramp_time="$ramp" "${fio_common[@]}" "${opts[@]}" \
		--output="$out/$json" || rc=$?
	t1=$(now)
	if [ -n "$sampler" ]; then
		kill "$sampler"
		wait "$sampler" 2>/dev/null || true
		cp "$stat_tmp" "$out/${json%.json}.stat"
	fi
	b1=$(bitmap_writes)
	p1=$(plex_counters)
	c1=$(cpu_stat)
	[ $rc -eq 0 ] || die "fio $wl on $cfg ($DEV) exited with status $rc"
	sum=$(fio_summary "$out/$json" "$wl") || die "fio $wl on $cfg: $sum ($out/$json)"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$cfg" "$wl" "$json" \
		"$t0" "$t1" "$c0" "$c1" "$p0" "$p1" "$b0" "$b1" >>"$out/runs.tsv"
	[ "$b0" = - ] || sum+=", $((b1 - b0)) bitmap page writes"
	log "rep $rep/$repeat $wl $cfg: $sum"
}

# ---------------------------------------------------------------- resync

# Mirvol: a 1-plex volume on leg 0 gets leg 1 with add-plex, limits lifted;
# timed from add-plex until the operation has succeeded.
resync_mirvol() {
	local sys opid t0 t1 op
	# --force: reused legs (see mirvol_up)
	DEV=$("$MIRVOLCTL" create --force --name "$VOL" "$(leg 0)") || die "mirvolctl create failed"
	settle
	sys=/sys/block/${DEV#/dev/}/mirvol
	echo "$SPEED" >"$sys/sync_speed_max"
	echo "$SPEED" >"$sys/sync_speed_min"
	if [ "$(cat "$sys/sync_speed_max")" != "$SPEED" ] ||
	   [ "$(cat "$sys/sync_speed_min")" != "$SPEED" ]; then
		die "cannot lift mirvol's resync speed limits"
	fi
	watchdog 900
	t0=$(now)
	opid=$("$MIRVOLCTL" add-plex --force "$VOL" "$(leg 1)") || die "mirvolctl add-plex failed"
	op=$("$MIRVOLCTL" op wait "$opid" --json) || die "add-plex failed: $op"
	t1=$(now)
	jq -e '.state == "succeeded" and .type == "add-plex"' <<<"$op" >/dev/null ||
		die "add-plex did not succeed: $op"
	"$MIRVOLCTL" show "$VOL" --json | jq -e '.state == "online" and
		(.plexes | length) == 2 and all(.plexes[]; .state == "active")' >/dev/null ||
		die "the volume is not in sync after add-plex"
	printf '%s\tmirvol\t%s\t%s\t%s\t%s\n' "$rep" "$t0" "$t1" \
		"$(jq -r .total_bytes <<<"$op")" "$(jq -c '{elapsed_ms, done_bytes, total_bytes}' <<<"$op")" \
		>>"$out/resync.tsv"
	log "rep $rep/$repeat resync mirvol: $(jq -r .total_bytes <<<"$op") bytes in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
	mirvol_remove "$VOL"
	settle
}

# md: a degraded raid1 on leg 0 gets leg 1 with mdadm --add, speed limits
# lifted; timed from the add until the recovery is done.
resync_md() {
	local t0 t1 deg act bytes
	mdadm --create "$MD" --run --quiet --level=1 --raid-devices=2 --metadata=1.2 \
		--bitmap=none "$(leg 0)" missing || die "mdadm --create (degraded) failed"
	settle
	[ "$(cat /sys/block/md0/md/degraded)" = 1 ] || die "md0 is not degraded"
	bytes=$(($(cat /sys/block/md0/md/component_size) * 1024))
	watchdog 900
	t0=$(now)
	mdadm --add "$MD" "$(leg 1)" >/dev/null || die "mdadm --add failed"
	while :; do
		read -r deg </sys/block/md0/md/degraded
		read -r act </sys/block/md0/md/sync_action
		[ "$deg" = 0 ] && [ "$act" = idle ] && break
		nap 0.01
	done
	t1=$(now)
	[ "$(cat /sys/block/md0/md/raid_disks)" = 2 ] || die "md0 lost a disk"
	printf '%s\tmd\t%s\t%s\t%s\t%s\n' "$rep" "$t0" "$t1" "$bytes" \
		"{\"speed_limit_min\":$(cat /proc/sys/dev/raid/speed_limit_min),\"speed_limit_max\":$(cat /proc/sys/dev/raid/speed_limit_max)}" \
		>>"$out/resync.tsv"
	log "rep $rep/$repeat resync md: $bytes bytes in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
	md_remove 2
	settle
}

# ----------------------------------------------------------- break-plex

# A 4 KiB random-write job (iodepth 1) with a per-I/O latency log runs on
# an N-plex volume; after 3 s its last plex is broken off.  The break's
# duration is from break-plex until its operation has ended.
break_plex() {
	local prefix fpid rc=0 opid op t0 t1 json newdev
	cfg=mirvol$plexes
	wl=break-plex
	mirvol_up "$plexes"
	prefix=fio/r$rep-break
	json=$prefix.json
	watchdog $((break_runtime + 300))
	fio --name=break-randwrite --filename="$DEV" --size=${span_mib}M \
		--runtime="$break_runtime" "${fio_common[@]}" --rw=randwrite --bs=4k \
		--iodepth=1 --numjobs=1 --write_lat_log="$out/$prefix" \
		--log_unix_epoch=1 --output="$out/$json" &
	fpid=$!
	# Break once writes flow (fio takes seconds to start under TCG), with
	# a second of them before it for comparison.
	local sys=/sys/block/${DEV#/dev/}/mirvol/plex0/write_ios w0 w i
	read -r w0 <"$sys"
	for ((i = 0; i < 300; i++)); do
		read -r w <"$sys"
		[ "$w" -le $((w0 + 100)) ] || break
		sleep 0.1
	done
	[ "$w" -gt $((w0 + 100)) ] || die "no write reached the volume within 30 s"
	sleep 1
	kill -0 "$fpid" 2>/dev/null || die "the break-plex fio job ended early"
	t0=$(now)
	opid=$("$MIRVOLCTL" break-plex "$VOL" $((plexes - 1)) --name "$VOL-broken") ||
		die "mirvolctl break-plex failed"
	op=$("$MIRVOLCTL" op wait "$opid" --json) || die "break-plex failed: $op"
	t1=$(now)
	wait "$fpid" || rc=$?
	[ $rc -eq 0 ] || die "fio (break-plex load) exited with status $rc"
	jq -e 'all(.jobs[]; .error == 0)' "$out/$json" >/dev/null ||
		die "fio (break-plex load) reported an error"
	jq -e '.state == "succeeded" and .type == "break-plex"' <<<"$op" >/dev/null ||
		die "break-plex did not succeed: $op"
	"$MIRVOLCTL" show "$VOL" --json | jq -e --argjson n $((plexes - 1)) \
		'(.plexes | length) == $n and all(.plexes[]; .state == "active")' >/dev/null ||
		die "the volume does not have $((plexes - 1)) active plexes after break-plex"
	newdev=$("$MIRVOLCTL" show "$VOL-broken" --json | jq -r .device)
	[ -b "$newdev" ] || die "the broken-off volume has no device"
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$t0" "$t1" "$json" \
		"${prefix}_lat.1.log" "$(jq -c '{elapsed_ms}' <<<"$op")" >>"$out/break.tsv"
	log "rep $rep/$repeat break-plex: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') s, fio max latency $(jq -r '.jobs[0].write.lat_ns.max / 1e6' "$out/$json") ms"
	settle
	mirvol_remove "$VOL-broken"
	mirvol_remove "$VOL"
	settle
}

# ------------------------------------------------- an offline plex returns

# rejoin CASE: what the return of an offline plex copies, and how long it
# takes.  Plex 1 of an N-plex volume goes offline, fio writes 1 % of the
# volume (in 4 KiB blocks, rounded down to them), plex 1 comes back with
# "mirvolctl online", timed from there until its operation has ended.
#   random  bitmap; the blocks at random offsets, each written once
#           (fio's random map), the same offsets in every repetition
#   seq     bitmap; the blocks in one sequential run from a third of the
#           volume
#   full    no bitmap (create --bitmap none), the writes of "random":
#           online copies the whole volume, the full resync to compare with
rejoin() {
	local kind=$1 bitmap=internal sys t0 t1 opid op json vol_bytes wbytes st
	local dirty written rc=0
	local -a fopts
	[ "$kind" != full ] || bitmap=none
	wl=rejoin-$kind
	cfg=mirvol$plexes
	[ "$bitmap" = internal ] || cfg+=-nobitmap
	mirvol_up "$plexes" "$bitmap"
	sys=/sys/block/${DEV#/dev/}/mirvol
	echo "$SPEED" >"$sys/sync_speed_max"
	echo "$SPEED" >"$sys/sync_speed_min"
	vol_bytes=$(blockdev --getsize64 "$DEV")
	wbytes=$((vol_bytes / 100 / 4096 * 4096))
	case $kind in
	random | full)
		fopts=(--rw=randwrite --size="$vol_bytes" --io_size="$wbytes" --randseed=11)
		;;
	seq)
		fopts=(--rw=write --offset=$((vol_bytes / 3 / 4096 * 4096)) --size="$wbytes")
		;;
	*) die "unknown rejoin case $kind" ;;
	esac
	watchdog 900
	"$MIRVOLCTL" offline "$VOL" 1 || die "mirvolctl offline failed"
	read -r st <"$sys/plex1/state"
	[ "$st" = offline ] || die "plex 1 is $st after offline, not offline"
	json=fio/r$rep-$wl.json
	fio --name="$wl" --filename="$DEV" --ioengine=libaio --direct=1 --bs=4k \
		--iodepth=8 --group_reporting --output-format=json "${fopts[@]}" \
		--write_iolog="$out/fio/r$rep-$wl.iolog" --output="$out/$json" || rc=$?
	[ $rc -eq 0 ] || die "fio $wl exited with status $rc"
	written=$(jq -r '.jobs[0] | if .error == 0 and .read.io_bytes == 0
		then .write.io_bytes else "bad" end' "$out/$json")
	[ "$written" = "$wbytes" ] || die "fio $wl wrote '$written' bytes, not $wbytes"
	dirty=$("$MIRVOLCTL" show "$VOL" --json | jq -r .bitmap_dirty_regions)
	t0=$(now)
	opid=$("$MIRVOLCTL" online "$VOL" 1) || die "mirvolctl online failed"
	op='{"type":null,"state":"succeeded","elapsed_ms":0,"done_bytes":0,"total_bytes":0}'
	if [ -n "$opid" ]; then
		op=$("$MIRVOLCTL" op wait "$opid" --json) || die "online failed: $op"
	fi
	t1=$(now)
	jq -e '.state == "succeeded"' <<<"$op" >/dev/null || die "online did not succeed: $op"
	"$MIRVOLCTL" show "$VOL" --json | jq -e --argjson n "$plexes" '.state == "online" and
		(.plexes | length) == $n and all(.plexes[]; .state == "active")' >/dev/null ||
		die "the volume is not in sync after online"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$kind" "$bitmap" \
		"$vol_bytes" "$REGION_BYTES" "$written" "$dirty" "$t0" "$t1" "$json" \
		"fio/r$rep-$wl.iolog" \
		"$(jq -c '{type, elapsed_ms, done_bytes, total_bytes}' <<<"$op")" >>"$out/rejoin.tsv"
	log "rep $rep/$repeat rejoin $kind: $written bytes written, $(jq -r .total_bytes <<<"$op") copied in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') s"
	mirvol_remove "$VOL"
	settle
}

# merge_case KIND: what merge-plex copies, and how long it takes.  Plex 1
# of the N-plex volume is broken off with --track-changes; fio writes 1 %
# of the volume on each side, in 4 KiB blocks: KIND random at random
# offsets (different seeds; fio ignores --randseed under its default
# --randrepeat=1), seq in one run from a third of the volume on
# one side and from two thirds on the other; merge-plex brings the plex
# back, timed from there until its operation has ended.  Compared with
# rejoin's "full" case (a whole copy of the same volume).
merge_case() {
	local kind=$1 sys t0 t1 opid op vol_bytes wbytes snap side seed json rc w dev
	local -a written=() where
	wl=merge-$kind
	mirvol_up "$plexes" internal
	sys=/sys/block/${DEV#/dev/}/mirvol
	echo "$SPEED" >"$sys/sync_speed_max"
	echo "$SPEED" >"$sys/sync_speed_min"
	vol_bytes=$(blockdev --getsize64 "$DEV")
	wbytes=$((vol_bytes / 100 / 4096 * 4096))
	watchdog 900
	snap=$("$MIRVOLCTL" break-plex "$VOL" 1 --track-changes --name "$VOL-snap" --wait) ||
		die "break-plex --track-changes failed"
	settle
	for side in vol snap; do
		seed=21
		dev=$DEV
		if [ $side = snap ]; then
			seed=22
			dev=$snap
		fi
		json=fio/r$rep-$wl-$side.json
		if [ "$kind" = random ]; then
			where=(--rw=randwrite --size="$vol_bytes" --io_size="$wbytes"
			       --randrepeat=0 --randseed="$seed")
		else
			where=(--rw=write --size="$wbytes"
			       --offset=$(((seed - 20) * vol_bytes / 3 / 4096 * 4096)))
		fi
		rc=0
		fio --name="$wl-$side" --filename="$dev" --ioengine=libaio --direct=1 \
			--bs=4k --iodepth=8 --group_reporting --output-format=json \
			"${where[@]}" --output="$out/$json" || rc=$?
		[ $rc -eq 0 ] || die "fio merge-$side exited with status $rc"
		w=$(jq -r '.jobs[0] | if .error == 0 and .read.io_bytes == 0
			then .write.io_bytes else "bad" end' "$out/$json")
		[ "$w" = "$wbytes" ] || die "fio merge-$side wrote '$w' bytes, not $wbytes"
		written+=("$w")
	done
	settle
	t0=$(now)
	opid=$("$MIRVOLCTL" merge-plex "$VOL" "$VOL-snap") || die "merge-plex failed"
	op=$("$MIRVOLCTL" op wait "$opid" --json) || die "merge-plex failed: $op"
	t1=$(now)
	jq -e '.state == "succeeded" and .type == "merge-plex"' <<<"$op" >/dev/null ||
		die "merge-plex did not succeed: $op"
	"$MIRVOLCTL" show "$VOL" --json | jq -e --argjson n "$plexes" '.state == "online" and
		(.plexes | length) == $n and all(.plexes[]; .state == "active")' >/dev/null ||
		die "the volume is not in sync after merge-plex"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$kind" "$vol_bytes" "$REGION_BYTES" \
		"${written[0]}" "${written[1]}" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')" \
		"$(jq -c '{type, elapsed_ms, done_bytes, total_bytes}' <<<"$op")" >>"$out/merge.tsv"
	log "rep $rep/$repeat merge $kind: ${written[0]} + ${written[1]} bytes written, $(jq -r .total_bytes <<<"$op") copied"
	mirvol_remove "$VOL"
	settle
}

# ---------------------------------------------------------------- main

IFS=, read -ra cfg_list <<<"$configs"
IFS=, read -ra wl_list <<<"$workloads"
fio_wls=()
do_resync=0
do_break=0
do_rejoin=0
for wl in "${wl_list[@]}"; do
	case $wl in
	resync) do_resync=1 ;;
	break-plex) do_break=1 ;;
	rejoin) do_rejoin=1 ;;
	*) wl_opts "$wl" >/dev/null; fio_wls+=("$wl") ;;
	esac
done

: >"$out/runs.tsv"
: >"$out/verify.tsv"
: >"$out/resync.tsv"
: >"$out/break.tsv"
: >"$out/rejoin.tsv"
: >"$out/merge.tsv"
log "fio span ${span_mib} MiB of $legs x $size_mib MiB legs; configs: ${cfg_list[*]}; workloads: ${wl_list[*]}"
for ((rep = 1; rep <= repeat; rep++)); do
	if [ "$part" = latency ]; then
		# Interleaved per workload, as below, on the configurations
		# of lat_matrix that --configs kept.
		for wl in "${fio_wls[@]}"; do
			for cfg in $(lat_matrix "$wl"); do
				[[ ,$configs, == *",$cfg,"* ]] || continue
				watchdog 300
				lat_up "$cfg"
				run_fio "$wl"
				lat_down "$cfg"
			done
		done
	elif [ "$interleave" = workload ]; then
		# Every configuration in turn for each workload: the figures
		# compared with each other are taken within a minute or two,
		# so drift (and other load on the host) affects them alike.
		for wl in "${fio_wls[@]}"; do
			for cfg in "${cfg_list[@]}"; do
				watchdog 300
				cfg_up "$cfg"
				run_fio "$wl"
				cfg_down "$cfg"
			done
		done
	else
		# Each configuration built once per repetition (quicker).
		for cfg in "${cfg_list[@]}"; do
			watchdog 300
			wl=
			cfg_up "$cfg"
			for wl in "${fio_wls[@]}"; do
				run_fio "$wl"
			done
			cfg_down "$cfg"
		done
	fi
	if [ $do_resync -eq 1 ]; then
		resync_mirvol
		resync_md
	fi
	[ $do_break -eq 0 ] || break_plex
	if [ $do_rejoin -eq 1 ]; then
		rejoin random
		rejoin seq
		rejoin full
		merge_case random
		merge_case seq
	fi
done

echo "memfree_at_end_mib=$(memfree)" >>"$out/env.txt"
log "guest: done"
touch "$out/done"
