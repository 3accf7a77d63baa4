#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What "make bench" runs (make bench BENCH_ARGS="..." passes options):
# mirvol's performance against the raw leg, md raid1 and dm-mirror, in
# one boot of the test VM (tools/testing/vm/vm.sh: Debian's kernel, the
# host's userland, TCG).  guest-bench.sh measures in the guest, on brd
# RAM-disk legs pre-filled once; report.py prints the table and the
# targets (PASS/MISS) and writes every figure to one JSON file.  Never
# part of "make check".  See Documentation/performance.rst.
#
# Usage: run.sh [options]
#   --size SIZE        brd leg size, e.g. 512M, 1G (default 512M); fio
#                      covers the first 15/16 of it on every configuration
#   --runtime S        measured seconds per fio run (default 10)
#   --ramp S           warm-up seconds before each, excluded (default 2)
#   --plexes N         legs of the mirrored configurations: mirvolN, md,
#                      md-bitmap and dm (2, 3 or 4; default 2)
#   --repeat N         repetitions, interleaved over the configurations;
#                      the table shows medians (default 3)
#   --only LIST        parts or workloads, comma-separated (default
#                      "latency,instr", about 15 minutes); each part runs
#                      in its own boot of the VM and writes its own JSON:
#                      latency  latency-bound null_blk legs (1 ms, 100 us;
#                               depth 4), real time: lat-randread-qd32
#                               lat-randread-qd1 lat-randwrite-qd32
#                               lat-seqread-2j (issue 13, targets 1-4)
#                      instr    instructions per 4 KiB I/O, -icount
#                               (--icount, default shift 3), 1 vCPU, brd
#                               legs, fio psync: instr-randread
#                               instr-randwrite (issue 13, target 5)
#                      brd      the RAM-disk comparison (40 min or more):
#                               randread-qd32 randwrite-qd32 randread-qd1
#                               randwrite-qd1 seqread seqwrite resync
#                               break-plex rejoin (an offline plex's
#                               return: bytes copied with the bitmap
#                               against a full resync; and merge-plex
#                               after break-plex --track-changes and 1 %
#                               written on each side)
#                      or any of these workloads by name
#   --configs LIST     configurations (default all).  latency: raw-1ms
#                      raw-100us mirvol-2x1ms md-2x1ms mirvol-3x1ms
#                      md-3x1ms mirvol-mixed md-mixed (mixed: a 1 ms and
#                      a 100 us leg); each workload runs on those of
#                      them it compares.  instr: raw mirvol2 mirvol1 md
#                      dm linear.  brd: raw mirvolN
#                      mirvolN-nobitmap mirvol1 md md-bitmap dm linear
#                      ("mirvol" means mirvolN; mirvolN-nobitmap: the
#                      same volume made with --bitmap none; linear:
#                      dm-linear on one leg, the floor of any stacking
#                      driver); also, only when named, mirvolN-budget0:
#                      mirvolN with bitmap_dirty_max 0 (every idle
#                      region cleared each period, the policy before the
#                      budget)
#   --interleave HOW   "workload" (default): for each workload, every
#                      configuration in turn, each built for that run;
#                      "config": each configuration built once per
#                      repetition and all workloads run on it (quicker,
#                      but drift separates the figures compared)
#   --smoke            a quick functional run: 64M legs, 1 s runs, no
#                      warm-up, 1 repetition, --interleave config; its
#                      JSON stays in the output directory, not results/
#   --icount SHIFT     deterministic timing: QEMU's -icount shift=SHIFT,
#                      sleep=off (each guest instruction takes 2^SHIFT ns
#                      of virtual time; single-threaded TCG, so the vCPUs
#                      take turns).  Figures no longer depend on the load
#                      on the host; 2 runs about as fast as real time.
#                      The instr part always runs so (default shift 3);
#                      the latency part in real time unless given
#   --cpus N           vCPUs (default 2; instr: 1)
#   --mem SIZE         guest memory (default: legs x size + 1536M)
#   --results-dir DIR  where the JSON goes (default: results/, or the
#                      output directory with --smoke)
#   --fail-on-miss     exit 3 when a target is missed
# Output: the table on stdout; the JSON as results/YYYYmmdd-HHMMSS.json
# (UTC); fio's raw output in tools/testing/out/bench/<stamp>/.
# Exit status: 0 the benchmark ran (whatever the targets), 1 it failed,
# 2 usage, 3 a target was missed (--fail-on-miss).
#
# Figures drift between boots and with other load on the host: compare
# runs only within one run, and look at the "host" section of the JSON
# (other QEMU processes and their CPU use during the run) before
# comparing runs over time.
set -u

# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

bench=$MIRVOL_SRC/tools/testing/bench
brd_workloads=randread-qd32,randwrite-qd32,randread-qd1,randwrite-qd1,seqread,seqwrite,resync,break-plex,rejoin
lat_workloads=lat-randread-qd32,lat-randread-qd1,lat-randwrite-qd32,lat-seqread-2j
instr_workloads=instr-randread,instr-randwrite
lat_configs=raw-1ms,raw-100us,mirvol-2x1ms,md-2x1ms,mirvol-3x1ms,md-3x1ms,mirvol-mixed,md-mixed
instr_configs=raw,mirvol2,mirvol1,md,dm,linear
orig_args=("$@")

usage() {
	sed -n '/^# Usage/,/^# Exit status/s/^# \{0,1\}//p' "$0" | sed '$d' >&2
	exit 2
}

# size_mib SIZE: SIZE (K, M, G suffix; MiB without) in MiB.
size_mib() {
	local n=${1%[KkMmGg]} u=${1:${#1}-1}
	[[ $n =~ ^[1-9][0-9]*$ ]] || return 1
	case $u in
	[Kk]) echo $((n / 1024)) ;;
	[Gg]) echo $((n * 1024)) ;;
	*) echo "$n" ;;
	esac
}

size=
runtime=
ramp=
plexes=2
repeat=
only=latency,instr
configs=
smoke=0
cpus=2
mem=
results_dir=
icount=
interleave=
fail_on_miss=0
cpus_set=0
break_runtime=8
while [ $# -gt 0 ]; do
	case $1 in
	--size|--runtime|--ramp|--plexes|--repeat|--only|--configs|--cpus|--mem|--results-dir|--interleave|--icount)
		[ $# -ge 2 ] || usage ;;
	esac
	case $1 in
	--size) size=$2; shift ;;
	--runtime) runtime=$2; shift ;;
	--ramp) ramp=$2; shift ;;
	--plexes) plexes=$2; shift ;;
	--repeat) repeat=$2; shift ;;
	--only) only=$2; shift ;;
	--configs) configs=$2; shift ;;
	--cpus) cpus=$2; cpus_set=1; shift ;;
	--mem) mem=$2; shift ;;
	--results-dir) results_dir=$2; shift ;;
	--interleave) interleave=$2; shift ;;
	--icount) icount=$2; shift ;;
	--smoke) smoke=1 ;;
	--fail-on-miss) fail_on_miss=1 ;;
	-h|--help) usage ;;
	*) echo "run.sh: unknown option '$1'" >&2; usage ;;
	esac
	shift
done
# Parts: expand the part names and sort the workloads into parts.
IFS=, read -ra want <<<"$only"
parts=
# shellcheck disable=SC2034 # read through ${!v}
part_wls_brd="" part_wls_latency="" part_wls_instr=""
for w in "${want[@]}"; do
	case $w in
	brd) ws=$brd_workloads ;;
	latency) ws=$lat_workloads ;;
	instr) ws=$instr_workloads ;;
	*) ws=$w ;;
	esac
	IFS=, read -ra wa <<<"$ws"
	for x in "${wa[@]}"; do
		if [[ ,$brd_workloads, == *",$x,"* ]]; then p=brd
		elif [[ ,$lat_workloads, == *",$x,"* ]]; then p=latency
		elif [[ ,$instr_workloads, == *",$x,"* ]]; then p=instr
		else die "unknown workload '$x' (parts: brd latency instr; workloads: $brd_workloads,$lat_workloads,$instr_workloads)"
		fi
		v=part_wls_$p
		printf -v "$v" '%s' "${!v}${!v:+,}$x"
		[[ ,$parts, == *",$p,"* ]] || parts+=${parts:+,}$p
	done
done
if [[ $parts == *,* ]]; then
	# More than one part: one run of this script (one boot) for each.
	args=()
	for ((i = 0; i < ${#orig_args[@]}; i++)); do
		if [ "${orig_args[i]}" = --only ]; then
			i=$((i + 1))
		else
			args+=("${orig_args[i]}")
		fi
	done
	t0=$SECONDS
	rc=0
	IFS=, read -ra pa <<<"$parts"
	for p in "${pa[@]}"; do
		v=part_wls_$p
		prc=0
		"$0" "${args[@]}" --only "${!v}" || prc=$?
		[ $prc -le $rc ] || rc=$prc
	done
	echo "bench: all parts ($parts): $(((SECONDS - t0) / 60)) min $(((SECONDS - t0) % 60)) s"
	exit $rc
fi
part=$parts
v=part_wls_$part
only=${!v}
case $part in
brd) all_workloads=$brd_workloads ;;
latency) all_workloads=$lat_workloads ;;
instr)
	all_workloads=$instr_workloads
	# Instructions are counted in virtual time: always -icount, and one
	# vCPU, so that no second vCPU's idle or work enters the count.
	: "${icount:=3}"
	[ $smoke -eq 1 ] || : "${size:=256M}" "${runtime:=2}" "${ramp:=1}"
	[ "$cpus_set" = 1 ] || cpus=1
	[ -n "$configs" ] || configs=$instr_configs
	[ "$plexes" = 2 ] || die "the instr part measures 2 plexes (--plexes 2)"
	[ -n "$interleave" ] || interleave=config
	;;
esac
if [ "$part" = latency ]; then
	[ $smoke -eq 1 ] || : "${size:=64M}" "${runtime:=5}" "${ramp:=2}"
	[ -n "$configs" ] || configs=$lat_configs
	interleave=workload
fi

# Defaults; --smoke has its own, explicit options win over both.
if [ $smoke -eq 1 ]; then
	: "${size:=64M}" "${runtime:=1}" "${ramp:=0}" "${repeat:=1}" "${interleave:=config}"
	break_runtime=5
else
	: "${size:=512M}" "${runtime:=10}" "${ramp:=2}" "${repeat:=3}" "${interleave:=workload}"
fi

size_mib=$(size_mib "$size") || die "bad --size '$size'"
[ "$size_mib" -ge 32 ] || die "--size must be at least 32M"
[[ $runtime =~ ^[1-9][0-9]*$ ]] || die "bad --runtime '$runtime'"
[[ $ramp =~ ^[0-9]+$ ]] || die "bad --ramp '$ramp'"
[[ $plexes =~ ^[234]$ ]] || die "--plexes must be 2, 3 or 4"
[[ $repeat =~ ^[1-9][0-9]*$ ]] || die "bad --repeat '$repeat'"
[[ $cpus =~ ^[1-9][0-9]*$ ]] || die "bad --cpus '$cpus'"
[[ $interleave =~ ^(workload|config)$ ]] || die "--interleave must be workload or config"
[[ $icount =~ ^([0-9]|10)?$ ]] || die "--icount takes a shift of 0 to 10"
[ "$repeat" -ge 3 ] || [ $smoke -eq 1 ] ||
	echo "run.sh: warning: --repeat $repeat: medians of fewer than 3 samples" >&2

# Workloads, in the canonical order, checked.
IFS=, read -ra want <<<"$only"
workloads=
for w in "${want[@]}"; do
	[[ ,$all_workloads, == *",$w,"* ]] || die "unknown workload '$w' (known: $all_workloads)"
done
IFS=, read -ra canon <<<"$all_workloads"
for w in "${canon[@]}"; do
	[[ ,$only, == *",$w,"* ]] && workloads+=${workloads:+,}$w
done

if [ "$part" = latency ]; then
	IFS=, read -ra want <<<"$configs"
	for c in "${want[@]}"; do
		[[ ,$lat_configs, == *",$c,"* ]] ||
			die "unknown configuration '$c' (known in the latency part: $lat_configs)"
	done
	sel=
	IFS=, read -ra canon <<<"$lat_configs"
	for c in "${canon[@]}"; do
		[[ ,$configs, == *",$c,"* ]] && sel+=${sel:+,}$c
	done
	configs=$sel
else
# Configurations, in the canonical (interleaving) order, checked.
mv=mirvol$plexes
all_configs="raw,$mv,$mv-nobitmap,mirvol1,md,md-bitmap,dm,linear"
known_configs="raw,$mv,$mv-budget0,$mv-nobitmap,mirvol1,md,md-bitmap,dm,linear"
[ -n "$configs" ] || configs=$all_configs
configs=${configs//mirvolN/$mv}
IFS=, read -ra want <<<"$configs"
for i in "${!want[@]}"; do
	case ${want[i]} in
	mirvol) want[i]=$mv ;;
	mirvol-nobitmap) want[i]=$mv-nobitmap ;;
	mirvol-budget0) want[i]=$mv-budget0 ;;
	esac
done
configs=$(IFS=,; echo "${want[*]}")
for c in "${want[@]}"; do
	[[ ,$known_configs, == *",$c,"* ]] ||
		die "unknown configuration '$c' (known with --plexes $plexes: $known_configs)"
done
sel=
IFS=, read -ra canon <<<"$known_configs"
for c in "${canon[@]}"; do
	[[ ,$configs, == *",$c,"* ]] && sel+=${sel:+,}$c
done
configs=$sel
fi

legs=$((plexes > 2 ? plexes : 2))
[ "$part" != latency ] || legs=4
if [ -z "$mem" ]; then
	mem_mib=$((legs * size_mib + 1536))
	mem_mib=$(( (mem_mib + 255) / 256 * 256 ))
else
	mem_mib=$(size_mib "$mem") || die "bad --mem '$mem'"
fi
[ "$mem_mib" -ge $((legs * size_mib + 512)) ] ||
	die "--mem ${mem_mib}M is too small for $legs legs of $size_mib MiB"

for f in "$MIRVOL_SRC/mirvol.ko" "$MIRVOL_SRC/tools/mirvolctl/mirvolctl"; do
	[ -e "$f" ] || die "$f is not built; run 'make'"
done
for c in python3 qemu-system-x86_64; do
	command -v "$c" >/dev/null || die "$c is missing; run 'make deps'"
done

stamp=$(date -u +%Y%m%d-%H%M%S)
out=$OUT_DIR/bench/$stamp
bootdir=$out/vm
mkdir -p "$out" || exit 1
if [ -z "$results_dir" ]; then
	results_dir=$bench/results
	[ $smoke -eq 0 ] || results_dir=$out
fi
mkdir -p "$results_dir" || exit 1
results=$results_dir/$stamp.json
[ $smoke -eq 0 ] || results=$results_dir/$stamp-smoke.json
accel=tcg
[ "${MVTEST_KVM:-0}" != 1 ] || accel=kvm
if [ -z "$icount" ] && [ $accel = tcg ]; then
	# One host thread per vCPU, so that 2 vCPUs use both host cores
	# (vm.sh defaults to single-threaded TCG for the tests).
	export MVTEST_ACCEL=${MVTEST_ACCEL:-tcg,thread=multi}
	# The CPU model the recorded figures were measured with (vm.sh's
	# default drops CX16 against a TCG fault, see performance.rst).
	export MVTEST_CPU=${MVTEST_CPU:-qemu64,+rdrand}
	accel=$MVTEST_ACCEL
elif [ -n "$icount" ]; then
	# -icount runs the vCPUs on one thread anyway.
	[ $accel = tcg ] || die "--icount needs TCG (not MVTEST_KVM=1)"
	# vm.sh adds MVTEST_QEMU_ARGS to QEMU's command line.
	# -cx16: QEMU 7.2's -icount hits a double fault in SLUB's
	# cmpxchg16b fast path (performance.rst); without the flag the
	# guest's SLUB takes its locked path, in every configuration alike.
	MVTEST_QEMU_ARGS="${MVTEST_QEMU_ARGS:-} -icount shift=$icount,sleep=off -cpu qemu64,+rdrand,-cx16"
	export MVTEST_QEMU_ARGS
fi

legkind=brd
[ "$part" != latency ] || legkind=null_blk
echo "bench: $stamp: part $part: $legs $legkind legs of $size_mib MiB, VM ${cpus} vCPUs ${mem_mib} MiB" \
     "($accel${icount:+, icount shift=$icount});" \
     "runtime ${runtime}s ramp ${ramp}s x $repeat, interleaved per $interleave;" \
     "configs $configs; workloads $workloads"
echo "bench: raw output in ${out#"$MIRVOL_SRC"/}/"

# Host load while the VM runs: other QEMU processes (other VM tests) and
# the CPU time everything but our QEMU takes, every 5 s.
sample_host() {
	local qpid="" pq="" prev_total=0 prev_busy=0 prev_q=0 total busy q others line x
	local -a f
	echo -e "epoch\tloadavg1\tother_qemu\tother_busy_cores"
	while :; do
		[ -n "$qpid" ] && [ -d "/proc/$qpid" ] || qpid=$(pgrep -f "mvtest.dir=$bootdir " | head -n 1)
		read -ra f </proc/stat
		total=0
		for x in "${f[@]:1:8}"; do total=$((total + x)); done
		busy=$((total - f[4] - f[5]))
		q=
		if [ -n "$qpid" ] && read -r line 2>/dev/null <"/proc/$qpid/stat"; then
			read -ra f <<<"${line##*) }"
			q=$((f[11] + f[12]))
		fi
		others=$(pgrep -c -f '^qemu-system' || true)
		[ -z "$q" ] || others=$((others - 1))
		# Only between two samples of the same, live QEMU of ours.
		if [ -n "$q" ] && [ "$qpid" = "$pq" ] && [ $total -gt $prev_total ]; then
			printf '%s\t%s\t%s\t%s\n' "$EPOCHSECONDS" "$(cut -d' ' -f1 /proc/loadavg)" \
				"$others" "$(awk -v b=$((busy - prev_busy - (q - prev_q))) \
				-v t=$((total - prev_total)) -v n="$(nproc)" \
				'BEGIN { v = b / t * n; printf "%.2f", v < 0 ? 0 : v }')"
		fi
		pq=${q:+$qpid}
		prev_total=$total
		prev_busy=$busy
		prev_q=${q:-0}
		sleep 5
	done
}
sample_host >"$out/host-load.tsv" &
sampler=$!
trap 'kill $sampler 2>/dev/null' EXIT

start=$SECONDS
gargs=(--out "$out" --size "$size_mib" --runtime "$runtime" --ramp "$ramp"
       --plexes "$plexes" --repeat "$repeat" --workloads "$workloads"
       --configs "$configs" --break-runtime "$break_runtime" --interleave "$interleave"
       --part "$part")
: >"$out/progress.log"
tail -n +1 -F "$out/progress.log" 2>/dev/null | sed -u 's/^/bench: /' &
tailer=$!
trap 'kill $sampler $tailer 2>/dev/null' EXIT
# -U: no udev in the guest (see guest-bench.sh).
"$MIRVOL_SRC/tools/testing/vm/vm.sh" -U -m "${mem_mib}M" -c "$cpus" -o "$bootdir" -t 900 \
	-- "$bench/guest-bench.sh" "${gargs[@]}" >/dev/null 2>"$out/vm.stderr"
vmrc=$?
duration=$((SECONDS - start))
sleep 1
kill "$sampler" "$tailer" 2>/dev/null
wait 2>/dev/null
trap - EXIT

if [ $vmrc -ne 0 ] || [ ! -e "$out/done" ]; then
	echo "bench: FAILED after $duration s (vm.sh status $vmrc):" \
		"$(cat "$out/failed" 2>/dev/null || sed -n 's/^reason=//p' "$bootdir/vm.result" 2>/dev/null)" >&2
	echo "bench: see ${out#"$MIRVOL_SRC"/}/ (progress.log, vm/console.log)" >&2
	exit 1
fi

# What the guest cannot know: the VM's shape, the host, the build.
# vm.sh loads $MIRVOL_KO when set (e.g. an older build to compare with).
ko_sha=$(sha256sum "${MIRVOL_KO:-$MIRVOL_SRC/mirvol.ko}" | cut -d' ' -f1)
commit=$(git -C "$MIRVOL_SRC" rev-parse -q --verify HEAD 2>/dev/null || echo "")
dirty=$(git -C "$MIRVOL_SRC" status --porcelain -- drivers include uapi 2>/dev/null | wc -l)
B_STAMP=$stamp B_DURATION=$duration B_SMOKE=$smoke B_SIZE=$size_mib B_RUNTIME=$runtime \
B_RAMP=$ramp B_PLEXES=$plexes B_REPEAT=$repeat B_WORKLOADS=$workloads B_CONFIGS=$configs \
B_BREAK_RUNTIME=$break_runtime B_INTERLEAVE=$interleave B_PART=$part B_CPUS=$cpus B_MEM=$mem_mib B_ACCEL=$accel \
B_QEMU=$(qemu-system-x86_64 --version | head -n 1) B_ICOUNT=$icount B_HOST_CPUS=$(nproc) \
B_HOST_CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1) \
B_HOST_MEM=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) \
B_COMMIT=$commit B_DIRTY=$dirty B_KO_SHA=$ko_sha python3 - "$out/host.json" <<'EOF' ||
import json, os, sys
e = os.environ
json.dump({
    "stamp": e["B_STAMP"],
    "duration_s": int(e["B_DURATION"]),
    "smoke": e["B_SMOKE"] == "1",
    "options": {"size_mib": int(e["B_SIZE"]), "runtime_s": int(e["B_RUNTIME"]),
                "ramp_s": int(e["B_RAMP"]), "plexes": int(e["B_PLEXES"]),
                "repeat": int(e["B_REPEAT"]), "workloads": e["B_WORKLOADS"].split(","),
                "configs": e["B_CONFIGS"].split(","),
                "break_runtime_s": int(e["B_BREAK_RUNTIME"]),
                "interleave": e["B_INTERLEAVE"], "part": e["B_PART"]},
    "vm": {"vcpus": int(e["B_CPUS"]), "memory_mib": int(e["B_MEM"]),
           "accel": e["B_ACCEL"], "qemu": e["B_QEMU"],
           "icount_shift": int(e["B_ICOUNT"]) if e["B_ICOUNT"] else None},
    "host": {"cpus": int(e["B_HOST_CPUS"]), "cpu_model": e["B_HOST_CPU"],
             "mem_total_kib": int(e["B_HOST_MEM"])},
    "build": {"git_commit": e["B_COMMIT"] or None,
              "uncommitted_driver_files": int(e["B_DIRTY"]),
              "mirvol_ko_sha256": e["B_KO_SHA"]},
}, open(sys.argv[1], "w"), indent=1)
EOF
	die "cannot write host.json"
rargs=(--out "$out" --results "$results")
[ $fail_on_miss -eq 0 ] || rargs+=(--fail-on-miss)
python3 "$bench/report.py" "${rargs[@]}"
rc=$?
[ $rc -le 1 ] || [ $rc -eq 3 ] || rc=1
echo "bench: $((duration / 60)) min $((duration % 60)) s; results in ${results#"$MIRVOL_SRC"/}"
exit $rc
