#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the records of one "make bench" run into its table and JSON file.

run.sh calls it on the host once the VM has finished:

    report.py --out DIR --results FILE [--fail-on-miss]

DIR is the run's output directory (tools/testing/out/bench/<stamp>/) with
what guest-bench.sh recorded (env.txt, runs.tsv, verify.tsv, resync.tsv,
break.tsv, rejoin.tsv, fio/*.json, fio/*_lat.1.log, fio/*.iolog), run.sh's
host.json and host-load.tsv.  Every fio result is checked (status, error
count, direction, a plausible I/O count, and for mirvol that every plex
saw the writes), medians are taken over the repetitions, the targets are
evaluated, the table is printed and every figure, sample and check goes
to FILE.  Anything inconsistent is an error (exit 1), never a quiet gap.

Exit status: 0, 1 on bad or missing records, 3 when a target was missed
and --fail-on-miss was given.  Standard library only.
"""

import argparse
import datetime
import json
import os
import statistics
import sys

WORKLOADS = {
    # name: (direction, block size, iodepth, numjobs, unit)
    "randread-qd32": ("read", "4k", 32, 2, "IOPS"),
    "randwrite-qd32": ("write", "4k", 32, 2, "IOPS"),
    "randread-qd1": ("read", "4k", 1, 1, "IOPS"),
    "randwrite-qd1": ("write", "4k", 1, 1, "IOPS"),
    "seqread": ("read", "1M", 8, 1, "MB/s"),
    "seqwrite": ("write", "1M", 8, 1, "MB/s"),
    # The latency part: null_blk legs with timer completion (issue 13).
    "lat-randread-qd32": ("read", "4k", 32, 1, "IOPS"),
    "lat-randread-qd1": ("read", "4k", 1, 1, "IOPS"),
    "lat-randwrite-qd32": ("write", "4k", 32, 1, "IOPS"),
    "lat-seqread-2j": ("read", "1M", 2, 2, "MB/s"),
    # The instructions part: -icount, 1 vCPU, fio psync on brd legs.
    "instr-randread": ("read", "4k", 1, 1, "IOPS"),
    "instr-randwrite": ("write", "4k", 1, 1, "IOPS"),
}
FIO_WORKLOADS = list(WORKLOADS)
BRD_WORKLOADS = FIO_WORKLOADS[:6]
INSTR_WORKLOADS = ("instr-randread", "instr-randwrite")
# Which configurations each latency workload runs on (guest-bench.sh's
# lat_matrix).
LAT_MATRIX = {
    "lat-randread-qd32": ["raw-1ms", "raw-100us", "mirvol-2x1ms", "md-2x1ms",
                          "mirvol-3x1ms", "md-3x1ms", "mirvol-mixed", "md-mixed"],
    "lat-randread-qd1": ["raw-100us", "raw-1ms", "mirvol-mixed", "md-mixed"],
    "lat-randwrite-qd32": ["raw-1ms", "mirvol-2x1ms", "md-2x1ms"],
    "lat-seqread-2j": ["raw-1ms", "mirvol-2x1ms", "md-2x1ms"],
}
LAT_LEGS = {"2x1ms": "2 legs of 1 ms", "3x1ms": "3 legs of 1 ms",
            "mixed": "a 1 ms leg (plex 0) and a 100 us leg"}
LAT_LABELS = {
    "raw-1ms": "one null_blk leg, 1 ms completion, depth 4",
    "raw-100us": "one null_blk leg, 100 us completion, depth 4 (the fast leg alone)",
}
for _k, _v in LAT_LEGS.items():
    LAT_LABELS[f"mirvol-{_k}"] = f"mirvol (default bitmap) on {_v}"
    LAT_LABELS[f"md-{_k}"] = f"md raid1 (no bitmap) on {_v}"
# Issue 13's targets 1-4: (target, phrase, workload, config, against, limit)
LAT_TARGETS = [
    (1, "2 plexes / one leg", "lat-randread-qd32", "mirvol-2x1ms", "raw-1ms", 1.9),
    (1, "3 plexes / one leg", "lat-randread-qd32", "mirvol-3x1ms", "raw-1ms", 2.8),
    (1, "2 plexes vs md raid1", "lat-randread-qd32", "mirvol-2x1ms", "md-2x1ms", 1.0),
    (1, "3 plexes vs md raid1", "lat-randread-qd32", "mirvol-3x1ms", "md-3x1ms", 1.0),
    (2, "mixed / fast leg alone", "lat-randread-qd32", "mirvol-mixed", "raw-100us", 1.1),
    (2, "mixed / fast leg alone", "lat-randread-qd1", "mirvol-mixed", "raw-100us", 0.95),
    (3, "2 plexes / one leg", "lat-randwrite-qd32", "mirvol-2x1ms", "raw-1ms", 0.95),
    (4, "2 jobs on 2 plexes / one leg", "lat-seqread-2j", "mirvol-2x1ms", "raw-1ms", 1.8),
]
# Issue 13's target 5: mirvol's overhead over raw against dm-linear's.
INSTR_LIMIT = 1.1
INSTR_TARGETS = [
    ("mirvol 1-plex overhead / dm-linear overhead", "instr-randread", "mirvol1"),
    ("mirvol 1-plex overhead / dm-linear overhead", "instr-randwrite", "mirvol1"),
    ("mirvol 2-plex overhead / dm-linear overhead", "instr-randread", "mirvol2"),
]
INSTR_BUSY_MIN = 98.0    # % busy vCPU: virtual time counts instructions only then
LABELS = {
    "raw": "the raw brd leg",
    "mirvol1": "mirvol, 1 plex",
    "md": "md raid1, no bitmap",
    "md-bitmap": "md raid1, internal bitmap",
    "dm": "dm-mirror, core log, nosync",
    "linear": "dm-linear on one leg (any stacking driver's floor)",
}
BITMAP_COST_LIMIT = 0.9  # randwrite with the bitmap >= 0.9 x without
BITMAP_COST_WORKLOADS = ("randwrite-qd32", "randwrite-qd1")
REJOIN_LIMIT = 2.0       # an offline plex's return copies <= 2 x ...
MERGE_LIMIT = 0.03       # merge-plex after 1 % on each side: <= 3 % of a full copy
SPREAD_LIMIT = 0.20      # read I/O counts of the plexes within 20 %
PAUSE_LIMIT_MS = 100.0   # break-plex: writers pause less than this
NOISY = 0.10             # mark medians whose samples spread more than this


class BenchError(Exception):
    """A record is missing or does not make sense."""


def fail(msg):
    raise BenchError(msg)


def read_kv(path):
    res = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if "=" in line:
                k, v = line.split("=", 1)
                res[k] = v
    return res


def read_tsv(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def cpu_busy_pct(before, after):
    """Busy share of all vCPUs between two /proc/stat "cpu" lines."""
    b = [int(x) for x in before.split(":")[:8]]
    a = [int(x) for x in after.split(":")[:8]]
    d = [y - x for x, y in zip(b, a)]
    total = sum(d)
    if total <= 0:
        return None
    return 100.0 * (total - d[3] - d[4]) / total


def plex_counters(s):
    """ "index:reads:writes,..." -> {index: (reads, writes)}; "-" -> {}."""
    if s == "-":
        return {}
    res = {}
    for item in s.split(","):
        i, r, w = item.split(":")
        res[int(i)] = (int(r), int(w))
    return res


def median(xs):
    return statistics.median(xs) if xs else None


def rel_range(xs):
    m = median(xs)
    if not xs or not m:
        return None
    return (max(xs) - min(xs)) / m


def summary(xs):
    return {"median": median(xs), "min": min(xs) if xs else None,
            "max": max(xs) if xs else None, "rel_range": rel_range(xs),
            "samples": xs}


def load_fio(path, what, name=None):
    try:
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"{what}: cannot read fio output {path}: {e}")
    jobs = d.get("jobs", [])
    if name is not None and len(jobs) > 1:
        # A precondition job ran first (lat-randwrite-qd32): it must
        # have succeeded; the figures are the named job's.
        for j in jobs:
            if j.get("jobname") != name and j.get("error", 1) != 0:
                fail(f"{what}: fio job {j.get('jobname')} reported error {j.get('error')}")
        jobs = [j for j in jobs if j.get("jobname") == name]
    if len(jobs) != 1:
        fail(f"{what}: {len(jobs)} job groups in {path}, expected 1 (group_reporting)")
    job = jobs[0]
    if job.get("error", 1) != 0:
        fail(f"{what}: fio reported error {job.get('error')}")
    return d, job


def fio_run(out, row):
    """One runs.tsv line -> a sample dict, checked."""
    rep, cfg, wl, jpath, t0, t1, c0, c1, p0, p1 = row[:10]
    # Later runs add mirvol's bitmap page writes before and after ("-"
    # where there is no such counter).
    b0, b1 = row[10:12] if len(row) == 12 else ("-", "-")
    what = f"rep {rep} {cfg} {wl}"
    if wl not in WORKLOADS:
        fail(f"{what}: unknown workload")
    direction, _bs, _qd, numjobs, unit = WORKLOADS[wl]
    other = "write" if direction == "read" else "read"
    _d, job = load_fio(os.path.join(out, jpath), what, name=wl)
    jopts = job.get("job options", {})
    if str(jopts.get("numjobs", "1")) != str(numjobs):
        fail(f"{what}: fio ran numjobs={jopts.get('numjobs')}, expected {numjobs}")
    st = job[direction]
    if st["total_ios"] <= 0 or st["iops"] <= 0:
        fail(f"{what}: no {direction} I/O completed")
    if job[other]["total_ios"] != 0:
        fail(f"{what}: unexpected {other} I/O")
    if st.get("short_ios", 0) or st.get("drop_ios", 0):
        fail(f"{what}: short or dropped I/Os")
    value = st["iops"] if unit == "IOPS" else st["bw_bytes"] / 1e6
    sample = {
        "rep": int(rep), "value": value, "iops": st["iops"],
        "mb_s": st["bw_bytes"] / 1e6, "ios": st["total_ios"],
        "runtime_ms": st["runtime"],
        "lat_mean_us": st["lat_ns"]["mean"] / 1e3,
        "lat_max_us": st["lat_ns"]["max"] / 1e3,
        "clat_p99_us": st["clat_ns"].get("percentile", {}).get("99.000000", 0) / 1e3,
        "usr_cpu": job["usr_cpu"], "sys_cpu": job["sys_cpu"],
        "guest_cpu_busy_pct": cpu_busy_pct(c0, c1),
        "wall_s": float(t1) - float(t0),
        "fio_json": jpath,
    }
    spath = os.path.join(out, jpath[:-len(".json")] + ".stat")
    if os.path.exists(spath):
        # The instr part's /proc/stat samples (every 0.25 s): the busy
        # share of the vCPU while fio did its I/O.  fio's start and exit
        # take varying time (exec, output over 9p: waits for the host,
        # idle), so the window is found, not assumed: the busiest
        # stretch of at least 3/4 of the run time (measured + warm-up);
        # any idle during the I/O would show in it.
        rt = int(jopts.get("runtime", "0")) + int(jopts.get("ramp_time", "0"))
        pts = []
        with open(spath, encoding="utf-8") as f:
            for line in f:
                p = line.split()
                if len(p) == 2:
                    pts.append((float(p[0]), p[1]))
        best = (None, 0.0)
        for i in range(len(pts)):
            for j in range(i + 1, len(pts)):
                if pts[j][0] - pts[i][0] >= 0.75 * rt:
                    b = cpu_busy_pct(pts[i][1], pts[j][1])
                    if b is not None and (best[0] is None or b > best[0]):
                        best = (b, pts[j][0] - pts[i][0])
                    break
        sample["busy_window_pct"], sample["busy_window_s"] = best
    if b0 != "-" and b1 != "-":
        # The whole fio run, warm-up included.
        sample["bitmap_writes"] = int(b1) - int(b0)
    # mirvol: every write reaches every plex; reads reach one plex each.
    pc0, pc1 = plex_counters(p0), plex_counters(p1)
    if cfg.startswith("mirvol"):
        if set(pc0) != set(pc1) or not pc0:
            fail(f"{what}: mirvol plex counters missing ({p0} / {p1})")
        delta = {i: (pc1[i][0] - pc0[i][0], pc1[i][1] - pc0[i][1]) for i in pc0}
        sample["plex_read_ios"] = {str(i): delta[i][0] for i in sorted(delta)}
        sample["plex_write_ios"] = {str(i): delta[i][1] for i in sorted(delta)}
        if direction == "write":
            for i, (_r, w) in delta.items():
                if w < st["total_ios"]:
                    fail(f"{what}: plex {i} got {w} writes, fio completed {st['total_ios']}")
        else:
            if sum(r for r, _w in delta.values()) < st["total_ios"]:
                fail(f"{what}: the plexes got fewer reads than fio completed")
            if any(w for _r, w in delta.values()):
                fail(f"{what}: writes reached the plexes during a read workload")
    return cfg, wl, sample


def read_spread(samples):
    """Max relative difference of the plexes' read counts, (max-min)/max."""
    tot = {}
    for s in samples:
        for i, r in s.get("plex_read_ios", {}).items():
            tot[i] = tot.get(i, 0) + r
    if len(tot) < 2 or max(tot.values()) == 0:
        return None, tot
    return (max(tot.values()) - min(tot.values())) / max(tot.values()), tot


def break_run(out, row, pause_win=0.05):
    rep, t0, t1, jpath, logpath, op = row
    what = f"rep {rep} break-plex"
    t0, t1 = float(t0), float(t1)
    _d, job = load_fio(os.path.join(out, jpath), what)
    st = job["write"]
    if st["total_ios"] <= 0:
        fail(f"{what}: no write completed")
    lpath = os.path.join(out, logpath)
    if not os.path.exists(lpath):
        fail(f"{what}: latency log {logpath} is missing")
    window = []
    before = []
    after = []
    last = 0.0
    n = 0
    with open(lpath, encoding="utf-8") as f:
        for line in f:
            parts = [p.strip() for p in line.split(",")]
            if len(parts) < 2:
                continue
            done = int(parts[0]) / 1e3           # completion, Unix ms
            lat = int(parts[1]) / 1e9            # total latency, ns
            begin = done - lat
            n += 1
            last = max(last, done)
            if done >= t0 - pause_win and begin <= t1 + pause_win:
                window.append(lat)
            elif done < t0:
                before.append(lat)
            else:
                after.append(lat)
    if n == 0:
        fail(f"{what}: empty latency log")
    if last < t1:
        fail(f"{what}: the fio job ended before the break did (raise the break runtime)")
    if not window:
        fail(f"{what}: no write completed around the break")
    return {
        "rep": int(rep),
        "duration_s": t1 - t0,
        "op": json.loads(op),
        "pause_ms": max(window) * 1e3,
        "ios_during_break": len(window),
        "max_lat_before_ms": max(before) * 1e3 if before else None,
        "max_lat_after_ms": max(after) * 1e3 if after else None,
        "fio_max_lat_ms": st["lat_ns"]["max"] / 1e6,
        "fio_max_clat_ms": st["clat_ns"]["max"] / 1e6,
        "fio_max_slat_ms": st["slat_ns"]["max"] / 1e6,
        "iops": st["iops"],
        "fio_json": jpath,
        "lat_log": logpath,
    }


def iolog_regions(path, region):
    """Distinct regions of @region bytes that fio's write iolog touched.

    iolog version 2 lines are "FILE write OFFSET LENGTH", version 3 ones
    have a timestamp first.
    """
    regions = set()
    n = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if "write" not in parts[1:3] or len(parts) < 4:
                continue
            i = parts.index("write")
            off, length = int(parts[i + 1]), int(parts[i + 2])
            regions.update(range(off // region, (off + length - 1) // region + 1))
            n += 1
    if not n:
        fail(f"no write in the fio iolog {path}")
    return len(regions)


def merge_runs(out, rows, repeat, full):
    """merge.tsv -> {kind: summary}, against rejoin's full copy."""
    res = {}
    for kind in ("random", "seq"):
        kr = [r for r in rows if len(r) == 8 and r[1] == kind]
        res[kind] = merge_kind([r[:1] + r[2:] for r in kr], repeat, full, kind)
    if sum(len(v["runs"]) for v in res.values()) != len(rows):
        fail("bad merge.tsv lines")
    return res


def merge_kind(rows, repeat, full, kind):
    """The runs of one merge case."""
    rr = []
    for r in rows:
        if len(r) != 7:
            fail(f"bad merge.tsv line: {r}")
        rep, vol_bytes, region, w_vol, w_snap, secs, op = r
        op = json.loads(op)
        if op["done_bytes"] != op["total_bytes"]:
            fail(f"rep {rep} merge: the operation did {op['done_bytes']} of {op['total_bytes']} bytes")
        rr.append({"rep": int(rep), "volume_bytes": int(vol_bytes),
                   "region_bytes": int(region),
                   "written_bytes": [int(w_vol), int(w_snap)],
                   "seconds": float(secs), "elapsed_ms": op["elapsed_ms"],
                   "copied_bytes": op["total_bytes"]})
    if len(rr) != repeat:
        fail(f"merge {kind}: {len(rr)} runs, expected {repeat}")
    res = {"volume_bytes": rr[0]["volume_bytes"], "region_bytes": rr[0]["region_bytes"],
           "written_bytes": rr[0]["written_bytes"],
           "copied_bytes": summary([x["copied_bytes"] for x in rr]),
           "seconds": summary([x["seconds"] for x in rr]),
           "elapsed_ms": summary([x["elapsed_ms"] for x in rr]), "runs": rr}
    res["bytes_vs_full"] = ratio(res["copied_bytes"]["median"], full["copied_bytes"]["median"])
    res["time_vs_full"] = ratio(res["seconds"]["median"], full["seconds"]["median"])
    res["elapsed_vs_full"] = ratio(res["elapsed_ms"]["median"], full["elapsed_ms"]["median"])
    return res


def rejoin_runs(out, rows, repeat):
    """rejoin.tsv -> {case: summary}, checked against fio's own records."""
    runs = {}
    for r in rows:
        if len(r) != 12:
            fail(f"bad rejoin.tsv line: {r}")
        (rep, kind, bitmap, vol_bytes, region, written, dirty, t0, t1,
         jpath, iolog, op) = r
        what = f"rep {rep} rejoin {kind}"
        _d, job = load_fio(os.path.join(out, jpath), what)
        if job["write"]["io_bytes"] != int(written) or job["read"]["io_bytes"]:
            fail(f"{what}: fio wrote {job['write']['io_bytes']} bytes, recorded {written}")
        op = json.loads(op)
        run = {"rep": int(rep), "bitmap": bitmap, "volume_bytes": int(vol_bytes),
               "written_bytes": int(written), "seconds": float(t1) - float(t0),
               "elapsed_ms": op["elapsed_ms"], "copied_bytes": op["total_bytes"],
               "done_bytes": op["done_bytes"], "op_type": op["type"],
               "fio_json": jpath, "iolog": iolog}
        if run["seconds"] <= 0 or run["written_bytes"] <= 0:
            fail(f"{what}: bad record {r}")
        if run["done_bytes"] != run["copied_bytes"]:
            fail(f"{what}: the operation did {run['done_bytes']} of {run['copied_bytes']} bytes")
        if bitmap != "none":
            run["region_bytes"] = int(region)
            run["dirty_regions"] = int(dirty)
            # What the written blocks round up to, from fio's own log:
            # the least any region-granular map can copy.
            touched = iolog_regions(os.path.join(out, iolog), int(region))
            run["regions_written"] = touched
            run["written_rounded_bytes"] = min(touched * int(region), int(vol_bytes))
        else:
            run["region_bytes"] = None
            run["dirty_regions"] = None
        runs.setdefault(kind, []).append(run)
    res = {}
    for kind in ("random", "seq", "full"):
        rr = runs.get(kind, [])
        if len(rr) != repeat:
            fail(f"rejoin {kind}: {len(rr)} runs, expected {repeat}")
        res[kind] = {
            "bitmap": rr[0]["bitmap"], "region_bytes": rr[0]["region_bytes"],
            "volume_bytes": rr[0]["volume_bytes"], "written_bytes": rr[0]["written_bytes"],
            "copied_bytes": summary([x["copied_bytes"] for x in rr]),
            "seconds": summary([x["seconds"] for x in rr]),
            "elapsed_ms": summary([x["elapsed_ms"] for x in rr]),
            "runs": rr,
        }
        if rr[0]["bitmap"] != "none":
            res[kind]["written_rounded_bytes"] = median([x["written_rounded_bytes"] for x in rr])
    full = res["full"]
    for kind in ("random", "seq"):
        c = res[kind]
        c["copied_per_written"] = c["copied_bytes"]["median"] / c["written_bytes"]
        c["copied_per_rounded"] = ratio(c["copied_bytes"]["median"], c["written_rounded_bytes"])
        c["bytes_vs_full"] = ratio(c["copied_bytes"]["median"], full["copied_bytes"]["median"])
        c["time_vs_full"] = ratio(c["seconds"]["median"], full["seconds"]["median"])
        c["elapsed_vs_full"] = ratio(c["elapsed_ms"]["median"], full["elapsed_ms"]["median"])
    res["method"] = ("plex 1 of a fresh volume offline, fio writes 1 % of the volume "
                     "in 4 KiB blocks (random: each block once, fixed seed; seq: one "
                     "run from a third of the volume), plex 1 online; seconds from "
                     "'mirvolctl online' until 'op wait' returned, elapsed_ms the "
                     "kernel's; full: the same with --bitmap none")
    return res


def host_load(path):
    rows = read_tsv(path)[1:]
    if not rows:
        return {"samples": 0, "busy": None}
    other_q = [int(r[2]) for r in rows]
    cores = [float(r[3]) for r in rows]
    res = {
        "samples": len(rows),
        "interval_s": 5,
        "other_qemu_max": max(other_q),
        "other_qemu_share": sum(1 for q in other_q if q > 0) / len(rows),
        "other_busy_cores_mean": statistics.mean(cores),
        "other_busy_cores_max": max(cores),
        "loadavg1_max": max(float(r[1]) for r in rows),
    }
    res["busy"] = res["other_qemu_share"] > 0 or res["other_busy_cores_mean"] > 0.25
    return res


def fmt(v, unit):
    if v is None:
        return "-"
    if unit == "IOPS":
        return f"{v / 1e3:.1f}k"
    return f"{v:.0f}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt_ratio(r):
    return "-" if r is None else f"{r:.2f}"


def evaluate(res, mv):
    targets = []

    def target(name, workload, value, limit, detail, cmp=">="):
        ok = {">=": lambda v: v >= limit, "<=": lambda v: v <= limit,
              "<": lambda v: v < limit}[cmp]
        verdict = "SKIP" if value is None else ("PASS" if ok(value) else "MISS")
        targets.append({"target": name, "workload": workload, "value": value,
                        "cmp": cmp, "limit": limit, "verdict": verdict,
                        "detail": detail})

    fio = res["fio"]

    def med(wl, cfg):
        return fio.get(wl, {}).get(cfg, {}).get("median")

    for wl in BRD_WORKLOADS + list(INSTR_WORKLOADS):
        if wl not in fio:
            continue
        for other, label in (("md", "md raid1 (no bitmap)"), ("dm", "dm-mirror")):
            r = ratio(med(wl, mv), med(wl, other))
            target(f"{mv} / {label}", wl, r, 1.0,
                   f"{fmt(med(wl, mv), WORKLOADS[wl][4])} vs {fmt(med(wl, other), WORKLOADS[wl][4])}")
    for wl, limit in (("randread-qd32", 0.85), ("seqread", 0.95)):
        if wl in fio:
            r = ratio(med(wl, mv), med(wl, "raw"))
            target(f"{mv} / raw", wl, r, limit,
                   f"{fmt(med(wl, mv), WORKLOADS[wl][4])} vs {fmt(med(wl, 'raw'), WORKLOADS[wl][4])}")
    for wl in BRD_WORKLOADS:
        if wl in fio:
            r = ratio(med(wl, "mirvol1"), med(wl, "raw"))
            target("mirvol1 / raw", wl, r, 0.95,
                   f"{fmt(med(wl, 'mirvol1'), WORKLOADS[wl][4])} vs {fmt(med(wl, 'raw'), WORKLOADS[wl][4])}")
    rs = res.get("resync")
    if rs:
        r = ratio(rs["mirvol"]["mb_s"]["median"], rs["md"]["mb_s"]["median"])
        target("resync: mirvol / md recovery", "resync", r, 1.5,
               f"{rs['mirvol']['mb_s']['median']:.0f} vs {rs['md']['mb_s']['median']:.0f} MB/s")
    for wl, sp in res.get("read_spread", {}).items():
        if sp["spread"] is None:
            continue
        target(f"{mv} reads spread over its plexes", wl,
               sp["spread"], SPREAD_LIMIT,
               "(max-min)/max of the reads per plex: " +
               ", ".join(f"plex{k} {v}" for k, v in sp["per_plex"].items()),
               cmp="<=")
    nb = f"{mv}-nobitmap"
    for wl in BITMAP_COST_WORKLOADS:
        if wl in fio:
            r = ratio(med(wl, mv), med(wl, nb))
            rmd = ratio(med(wl, "md-bitmap"), med(wl, "md"))
            target(f"bitmap cost: {mv} / {nb}", wl, r, BITMAP_COST_LIMIT,
                   f"{fmt(med(wl, mv), 'IOPS')} vs {fmt(med(wl, nb), 'IOPS')}; "
                   f"md-bitmap / md {fmt_ratio(rmd)}")
    rj = res.get("rejoin")
    if rj:
        for kind in ("random", "seq"):
            c = rj[kind]
            target(f"online after 1 % {kind}: copied / written", "rejoin",
                   c["copied_per_written"], REJOIN_LIMIT,
                   f"{c['copied_bytes']['median'] / 2**20:.2f} MiB copied for "
                   f"{c['written_bytes'] / 2**20:.2f} MiB written, "
                   f"{c['region_bytes'] // 1024} KiB regions", cmp="<=")
            target(f"online after 1 % {kind}: copied / written regions",
                   "rejoin", c["copied_per_rounded"], REJOIN_LIMIT,
                   f"{c['written_rounded_bytes'] / 2**20:.2f} MiB in the regions "
                   "fio's log touched", cmp="<=")
    for kind, mg in (res.get("merge") or {}).items():
        target(f"merge-plex after 1 % {kind} on each side: bytes / full copy", "rejoin",
               mg["bytes_vs_full"], MERGE_LIMIT,
               f"{mg['copied_bytes']['median'] / 2**20:.2f} MiB copied", cmp="<=")
        target(f"merge-plex after 1 % {kind} on each side: kernel time / full copy",
               "rejoin", mg["elapsed_vs_full"], MERGE_LIMIT,
               f"{mg['elapsed_ms']['median']:.0f} ms, full copy "
               f"{res['rejoin']['full']['elapsed_ms']['median']:.0f} ms", cmp="<=")
    lat = res.get("latency")
    if lat:
        for r in lat["ratios"]:
            if r["limit"] is None:
                continue
            target(f"target {r['target']}: {r['phrase']}", r["workload"], r["value"],
                   r["limit"], r["detail"])
    ins = res.get("instructions")
    if ins:
        for r in ins["targets"]:
            target(f"target 5: {r['phrase']}", r["workload"], r["value"], INSTR_LIMIT,
                   r["detail"], cmp="<=")
    br = res.get("break_plex")
    if br:
        target("break-plex: longest writer pause", "break-plex",
               br["pause_ms"]["max"], PAUSE_LIMIT_MS,
               f"ms, worst of {len(br['runs'])}; median {br['pause_ms']['median']:.1f} ms",
               cmp="<")
    return targets


def latency_summary(res, env):
    """Issue 13's targets 1-4 as ratios of medians, md's beside them."""
    fio = res["fio"]

    def med(wl, cfg):
        return fio.get(wl, {}).get(cfg, {}).get("median")

    rows = []
    for t, phrase, wl, a, b, limit in LAT_TARGETS:
        v = ratio(med(wl, a), med(wl, b))
        unit = WORKLOADS[wl][4]
        row = {"target": t, "phrase": phrase, "workload": wl, "config": a, "against": b,
               "value": v, "limit": limit, "verdict": None,
               "paired": res["paired_ratios"].get(wl, {}).get(f"{a}/{b}")}
        detail = f"{fmt(med(wl, a), unit)} vs {fmt(med(wl, b), unit)}"
        if not b.startswith("md-"):
            m = a.replace("mirvol-", "md-")
            row["md_value"] = ratio(med(wl, m), med(wl, b))
            if row["md_value"] is not None:
                detail += f"; md raid1 {fmt_ratio(row['md_value'])} ({fmt(med(wl, m), unit)})"
        row["detail"] = detail
        if v is not None:
            row["verdict"] = "met" if v >= limit else "missed"
        rows.append(row)
    # Where mirvol's reads went: the share of each plex, all repetitions.
    shares = {}
    for wl, per in fio.items():
        for cfg, s in per.items():
            if not cfg.startswith("mirvol") or WORKLOADS[wl][0] != "read":
                continue
            tot = {}
            for run in s["runs"]:
                for i, n in run.get("plex_read_ios", {}).items():
                    tot[i] = tot.get(i, 0) + n
            alls = sum(tot.values())
            if alls:
                shares.setdefault(wl, {})[cfg] = {i: n / alls for i, n in tot.items()}
    legs = {k[len("nullb_"):]: v for k, v in env.items() if k.startswith("nullb_")}
    return {"ratios": rows, "plex_read_share": shares, "null_blk": legs,
            "note": "real time unless vm.icount_shift is set; ratios of the medians, "
                    "paired: the same ratio within each repetition"}


def instr_summary(res):
    """Instructions per I/O from virtual time (-icount, 1 vCPU)."""
    fio = res["fio"]
    shift = res["vm"].get("icount_shift")
    if shift is None:
        fail("the instr part needs -icount (--icount SHIFT)")
    ns_per_instr = 2 ** shift
    table = {}
    busy_min = None
    for wl in INSTR_WORKLOADS:
        if wl not in fio:
            continue
        table[wl] = {}
        for cfg, s in fio[wl].items():
            per = []
            for run in s["runs"]:
                instr = 1e9 / run["iops"] / ns_per_instr
                run["instr_per_io"] = instr
                per.append(instr)
                # No samples in the window counts as idle: not shown busy.
                b = run.get("busy_window_pct") or 0.0
                busy_min = b if busy_min is None else min(busy_min, b)
            table[wl][cfg] = dict(summary(per), busy_pct_min=min(
                (r.get("busy_window_pct") or 0.0) for r in s["runs"]),
                busy_whole_run_pct=s["guest_cpu_busy_pct"],
                bitmap_writes=s.get("bitmap_writes"))
        raw = table[wl].get("raw", {}).get("median")
        for cfg, t in table[wl].items():
            t["overhead_over_raw"] = None if raw is None else t["median"] - raw
    rows = []
    for phrase, wl, cfg in INSTR_TARGETS:
        t = table.get(wl, {})
        ov = t.get(cfg, {}).get("overhead_over_raw")
        lo = t.get("linear", {}).get("overhead_over_raw")
        v = ratio(ov, lo)
        detail = ("-" if ov is None or lo is None else
                  f"{ov:.0f} vs {lo:.0f} instructions over raw's {t['raw']['median']:.0f}")
        rows.append({"phrase": phrase, "workload": wl, "config": cfg, "value": v,
                     "limit": INSTR_LIMIT, "detail": detail,
                     "verdict": None if v is None else ("met" if v <= INSTR_LIMIT else "missed")})
    return {"icount_shift": shift, "ns_per_instruction": ns_per_instr,
            "method": "instructions per I/O = 1e9 / IOPS / 2^shift: fio's run time in "
                      "virtual ns over its I/Os, each instruction 2^shift ns "
                      "(-icount shift=S,sleep=off); valid while the one vCPU is busy "
                      "(busy_pct_min: /proc/stat sampled every 0.25 s; the busiest stretch of "
                      "3/4 of fio's run time + warm-up in each run)",
            "busy_pct_min": busy_min, "busy_ok": busy_min is not None and busy_min >= INSTR_BUSY_MIN,
            "table": table, "targets": rows}


def print_latency(res):
    fio = res["fio"]
    lat = res["latency"]
    print()
    print("latency-bound legs (null_blk, timer completion, depth 4), medians; "
          "mirvol's read share per plex in brackets:")
    for wl, cfgs in LAT_MATRIX.items():
        if wl not in fio:
            continue
        unit = WORKLOADS[wl][4]
        print(f"  {wl} ({unit}):")
        for cfg in cfgs:
            s = fio[wl].get(cfg)
            if not s:
                continue
            mark = "*" if s["rel_range"] is not None and s["rel_range"] > NOISY else " "
            sh = lat["plex_read_share"].get(wl, {}).get(cfg)
            shs = "" if not sh else "  [" + " ".join(f"plex{i} {v:.0%}" for i, v in sorted(sh.items())) + "]"
            print(f"    {cfg:<14} {fmt(s['median'], unit):>8}{mark} "
                  f"(min {fmt(s['min'], unit)}, max {fmt(s['max'], unit)}){shs}")
    print("  * samples spread more than 10 %")
    print()
    print("issue 13 targets 1-4 (ratios of medians; md raid1's same ratio beside):")
    for r in lat["ratios"]:
        v = "-" if r["value"] is None else f"{r['value']:.2f}"
        pr = r.get("paired")
        prs = "" if not pr else f"; per repetition {', '.join(f'{x:.2f}' for x in pr['samples'])}"
        print(f"  {r['target']}. {r['workload']:<19} {r['phrase']:<29} {v:>5}  target >= {r['limit']}: "
              f"{r['verdict'] or 'skipped'}  ({r['detail']}{prs})")


def print_instr(res):
    ins = res["instructions"]
    print()
    print(f"instructions per 4 KiB I/O (-icount shift={ins['icount_shift']}, 1 vCPU, fio psync "
          f"iodepth 1; vCPU busy >= {ins['busy_pct_min']:.1f} % in every run"
          f"{'' if ins['busy_ok'] else ' - NOT BUSY ENOUGH, figures unreliable'}):")
    cfgs = ["raw", "linear", "mirvol1", "mirvol2", "md", "dm"]
    print(f"  {'':<16}" + "".join(f"{c:>10}" for c in cfgs))
    for wl, t in ins["table"].items():
        print(f"  {wl:<16}" + "".join(f"{t[c]['median']:>10.0f}" if c in t else f"{'-':>10}" for c in cfgs))
        print(f"  {'  over raw':<16}" + "".join(
            f"{t[c]['overhead_over_raw']:>10.0f}" if c in t and t[c]['overhead_over_raw'] is not None
            else f"{'-':>10}" for c in cfgs))
    print("issue 13 target 5:")
    for r in ins["targets"]:
        v = "-" if r["value"] is None else f"{r['value']:.2f}"
        print(f"  {r['workload']:<16} {r['phrase']:<44} {v:>5}  target <= {r['limit']}: "
              f"{r['verdict'] or 'skipped'}  ({r['detail']})")


def print_table(res, mv, configs):
    env, vm = res["kernel"], res["vm"]
    opt = res["options"]
    print()
    print(f"mirvol benchmark {res['date']}  kernel {env}  "
          f"VM {vm['vcpus']} vCPUs {vm['memory_mib']} MiB {vm['accel']}  "
          f"{res['legs']['count']} {res['legs']['kind']} legs of {opt['size_mib']} MiB (fio span {res['legs']['span_mib']} MiB)")
    engine = "psync" if opt.get("part") == "instr" else "libaio"
    print(f"fio {engine} direct, {opt['runtime_s']} s after {opt['ramp_s']} s warm-up, "
          f"median of {opt['repeat']}; duration {res['duration_s'] // 60} min {res['duration_s'] % 60} s")
    hl = res["host_load"]
    if vm.get("icount_shift") is not None:
        print(f"timing: QEMU icount (shift {vm['icount_shift']}): figures in virtual time, "
              "independent of the load on the host")
    if hl.get("busy"):
        print(f"WARNING: the host was busy: other QEMU processes during {hl['other_qemu_share']:.0%} "
              f"of the run (up to {hl['other_qemu_max']}), other load {hl['other_busy_cores_mean']:.2f} "
              f"cores on average (max {hl['other_busy_cores_max']:.2f}) of {res['host']['cpus']}")
    elif hl.get("busy") is False:
        print("host: otherwise idle during the run")
    fio = res["fio"]
    if fio:
        cols = list(configs)
        ratios = []
        if mv in cols:
            ratios += [(mv, f"{mv}-nobitmap"), (mv, "md"), (mv, "dm"), (mv, "raw")]
        if f"{mv}-budget0" in cols:
            ratios += [(f"{mv}-budget0", f"{mv}-nobitmap")]
        if "md-bitmap" in cols:
            ratios += [("md-bitmap", "md")]
        if "mirvol1" in cols:
            ratios += [("mirvol1", "raw"), ("linear", "raw"), ("mirvol1", "linear")]
        ratios = [(a, b) for a, b in ratios if b in cols]
        print()
        width = {c: max(10, len(c) + 1) for c in cols}
        rwidth = {(a, b): max(15, len(a) + len(b) + 2) for a, b in ratios}
        head = f"{'workload':<15} {'unit':<5}" + "".join(f"{c:>{width[c]}}" for c in cols) + \
            "".join(f"{a + '/' + b:>{rwidth[a, b]}}" for a, b in ratios)
        print(head)
        print("-" * len(head))
        noisy = False
        for wl in FIO_WORKLOADS:
            if wl not in fio:
                continue
            unit = WORKLOADS[wl][4]
            line = f"{wl:<15} {unit:<5}"
            for c in cols:
                s = fio[wl].get(c)
                mark = ""
                if s and s["rel_range"] is not None and s["rel_range"] > NOISY:
                    mark = "*"
                    noisy = True
                line += f"{(fmt(s['median'], unit) if s else '-') + mark:>{width[c]}}"
            for a, b in ratios:
                r = ratio(fio[wl].get(a, {}).get("median"), fio[wl].get(b, {}).get("median"))
                line += f"{fmt_ratio(r):>{rwidth[a, b]}}"
            print(line)
        if noisy:
            print(f"* the samples of this median spread by more than {NOISY:.0%} (see the JSON)")
        print()
        print("CPU %: fio's usr/sys, and in brackets the busy share of all vCPUs")
        print("(/proc/stat over the whole fio run; dm-mirror writes from its kmirrord")
        print("thread, outside fio's own usr/sys), medians")
        print(f"{'workload':<15}" + "".join(f"{c:>{max(13, width[c])}}" for c in cols))
        for wl in FIO_WORKLOADS:
            if wl not in fio:
                continue
            line = f"{wl:<15}"
            for c in cols:
                s = fio[wl].get(c)
                cell = "-"
                if s:
                    busy = s["guest_cpu_busy_pct"]
                    cell = f"{s['usr_cpu']:.0f}/{s['sys_cpu']:.0f}" + \
                        (f" ({busy:.0f})" if busy is not None else "")
                line += f"{cell:>{max(13, width[c])}}"
            print(line)
    bw = [(wl, c, s["bitmap_writes"]) for wl in FIO_WORKLOADS if wl in fio
          for c, s in fio[wl].items() if s and s.get("bitmap_writes") is not None]
    if bw:
        print()
        print("mirvol bitmap page writes per fio run, warm-up included (sysfs")
        print("bitmap_writes), medians:")
        for wl, c, n in bw:
            print(f"  {wl:<15} {c:<18} {n:>10.0f}")
    rs = res.get("resync")
    if rs:
        print()
        print(f"resync of a {rs['mirvol']['bytes'] / 2**20:.0f} MiB plex, speed limits lifted "
              f"(median of {len(rs['mirvol']['seconds']['samples'])}):")
        for k, label in (("mirvol", "mirvol add-plex"), ("md", "md recovery (mdadm --add)")):
            print(f"  {label:<28} {rs[k]['seconds']['median']:7.2f} s  {rs[k]['mb_s']['median']:7.0f} MB/s")
        print(f"  mirvol / md {fmt_ratio(rs['ratio']):>24}")
    rj = res.get("rejoin")
    if rj:
        full = rj["full"]
        print()
        print(f"an offline plex's return (mirvolctl online) after 1 % of the "
              f"{full['volume_bytes'] / 2**20:.0f} MiB volume was written "
              f"in 4 KiB blocks (median of {len(full['runs'])}):")
        print(f"  {'case':<27} {'written':>9} {'rounded':>9} {'copied':>9} "
              f"{'copied/':>8} {'bytes':>7} {'time':>9} {'time':>7} {'kernel':>9} {'kernel':>7}")
        print(f"  {'':<27} {'MiB':>9} {'MiB':>9} {'MiB':>9} {'written':>8} "
              f"{'/full':>7} {'s':>9} {'/full':>7} {'ms':>9} {'/full':>7}")
        for kind, label in (("random", "random, bitmap"), ("seq", "sequential, bitmap"),
                            ("full", "random, no bitmap (full)")):
            c = rj[kind]
            rounded = c.get("written_rounded_bytes")
            print(f"  {label:<27} {c['written_bytes'] / 2**20:9.2f} "
                  f"{'-' if rounded is None else f'{rounded / 2**20:.2f}':>9} "
                  f"{c['copied_bytes']['median'] / 2**20:9.2f} "
                  f"{c['copied_bytes']['median'] / c['written_bytes']:8.1f} "
                  f"{fmt_ratio(c.get('bytes_vs_full', 1.0)):>7} "
                  f"{c['seconds']['median']:9.3f} {fmt_ratio(c.get('time_vs_full', 1.0)):>7} "
                  f"{c['elapsed_ms']['median']:9.0f} {fmt_ratio(c.get('elapsed_vs_full', 1.0)):>7}")
        print("  rounded: the regions fio's log touched; time: from 'online' until "
              "'op wait' returned; kernel: the operation's elapsed_ms")
    for kind, mg in (res.get("merge") or {}).items():
        print()
        print(f"merge-plex after break-plex --track-changes and 1 % written ({kind}) "
              f"on each side (median of {len(mg['runs'])}):")
        print(f"  copied {mg['copied_bytes']['median'] / 2**20:.2f} MiB "
              f"({fmt_ratio(mg['bytes_vs_full'])} of the full copy), "
              f"{mg['seconds']['median']:.3f} s ({fmt_ratio(mg['time_vs_full'])}), "
              f"kernel {mg['elapsed_ms']['median']:.0f} ms ({fmt_ratio(mg['elapsed_vs_full'])})")
    br = res.get("break_plex")
    if br:
        print()
        print(f"break-plex under 4 KiB random writes (iodepth 1), {len(br['runs'])} runs:")
        print(f"  break duration    median {br['duration_s']['median'] * 1e3:8.1f} ms   max {br['duration_s']['max'] * 1e3:8.1f} ms")
        print(f"  longest pause     median {br['pause_ms']['median']:8.1f} ms   max {br['pause_ms']['max']:8.1f} ms"
              f"   (before the break: max {br['max_lat_before_ms_max']:.1f} ms)")
    sp = res.get("read_spread")
    if sp:
        print()
        print(f"reads per plex of {mv} (all repetitions):")
        for wl, s in sp.items():
            print(f"  {wl:<15} " + "  ".join(f"plex{k}: {v}" for k, v in s["per_plex"].items()) +
                  f"   spread {fmt_ratio(s['spread'])}")
    if res.get("latency"):
        print_latency(res)
    if res.get("instructions"):
        print_instr(res)
    print()
    print("targets:")
    tw = max([36] + [len(t["target"]) for t in res["targets"]])
    for t in res["targets"]:
        v = "-" if t["value"] is None else f"{t['value']:.2f}"
        print(f"  {t['verdict']:<4} {t['target']:<{tw}} {t['workload']:<15} {v:>7} "
              f"({t['cmp']} {t['limit']}; {t['detail']})")
    n = {k: sum(1 for t in res["targets"] if t["verdict"] == k) for k in ("PASS", "MISS", "SKIP")}
    print(f"targets: {n['PASS']} PASS, {n['MISS']} MISS, {n['SKIP']} SKIP")


def build(out):
    host = json.load(open(os.path.join(out, "host.json"), encoding="utf-8"))
    env = read_kv(os.path.join(out, "env.txt"))
    opt = host["options"]
    configs = opt["configs"]
    mv = f"mirvol{opt['plexes']}"
    start = datetime.datetime.strptime(host["stamp"], "%Y%m%d-%H%M%S").replace(
        tzinfo=datetime.timezone.utc)
    res = {
        "schema": 1,
        "date": start.isoformat().replace("+00:00", "Z"),
        "stamp": host["stamp"],
        "duration_s": host["duration_s"],
        "smoke": host["smoke"],
        "kernel": env["kernel"],
        "vm": dict(host["vm"], guest_vcpus=int(env["vcpus"]),
                   guest_mem_total_kib=int(env["mem_total_kib"]),
                   guest_cpu_model=env["cpu_model"]),
        "host": host["host"],
        "host_load": host_load(os.path.join(out, "host-load.tsv")),
        "build": host["build"],
        "options": opt,
        "tools": {"fio": env["fio"], "mdadm": env["mdadm"], "dmsetup": env["dmsetup"],
                  "mirvolctl": json.loads(env["mirvolctl_version"])},
        "legs": {"count": int(env["legs"]), "size_mib": int(env["leg_mib"]),
                 "span_mib": int(env["span_mib"]),
                 "kind": "null_blk" if opt.get("part") == "latency" else "brd",
                 "prefilled": opt.get("part") != "latency",
                 "prefill_ram_mib": int(env["prefill_ram_mib"]),
                 "memfree_after_prefill_mib": int(env["memfree_after_prefill_mib"]),
                 "memfree_at_end_mib": int(env.get("memfree_at_end_mib", -1))},
        "settings": {"md_speed_limit_min": int(env["md_speed_limit_min"]),
                     "md_speed_limit_max": int(env["md_speed_limit_max"]),
                     "mirvol_sync_speed_min_max": int(env["mirvol_speed_limit"]),
                     "dm_region_sectors": int(env["dm_region_sectors"])},
        "configs": {c: LAT_LABELS.get(c) or LABELS.get(c, f"mirvol, {opt['plexes']} plexes, " +
                                  ("no bitmap (--bitmap none)" if c.endswith("-nobitmap")
                                   else "write-intent bitmap, bitmap_dirty_max 0 (every "
                                   "idle region cleared each period)" if c.endswith("-budget0")
                                   else "write-intent bitmap (the default)"))
                    for c in configs},
        "workloads": {w: {"rw": v[0], "bs": v[1], "iodepth": v[2], "numjobs": v[3], "unit": v[4]}
                      for w, v in WORKLOADS.items() if w in opt["workloads"]},
        "verification": [{"rep": int(r[0]) if r[0].isdigit() else r[0],
                          "workload": r[1], "config": r[2], "checked": r[3]}
                         for r in read_tsv(os.path.join(out, "verify.tsv"))],
    }

    samples = {}
    for row in read_tsv(os.path.join(out, "runs.tsv")):
        if len(row) not in (10, 12):
            fail(f"bad runs.tsv line: {row}")
        cfg, wl, s = fio_run(out, row)
        samples.setdefault(wl, {}).setdefault(cfg, []).append(s)
    fio = {}
    for wl in FIO_WORKLOADS:
        if wl not in opt["workloads"]:
            continue
        fio[wl] = {}
        for cfg in configs:
            if wl in LAT_MATRIX and cfg not in LAT_MATRIX[wl]:
                continue
            ss = samples.get(wl, {}).get(cfg, [])
            if len(ss) != opt["repeat"]:
                fail(f"{cfg} {wl}: {len(ss)} samples, expected {opt['repeat']}")
            vals = [s["value"] for s in ss]
            fio[wl][cfg] = dict(summary(vals), unit=WORKLOADS[wl][4],
                                usr_cpu=median([s["usr_cpu"] for s in ss]),
                                sys_cpu=median([s["sys_cpu"] for s in ss]),
                                guest_cpu_busy_pct=median([s["guest_cpu_busy_pct"] for s in ss
                                                           if s["guest_cpu_busy_pct"] is not None]),
                                lat_mean_us=median([s["lat_mean_us"] for s in ss]),
                                clat_p99_us=median([s["clat_p99_us"] for s in ss]),
                                bitmap_writes=median([s["bitmap_writes"] for s in ss
                                                      if "bitmap_writes" in s]),
                                runs=ss)
    # Ratios within each repetition (the two runs minutes apart), as a
    # check on the ratios of the medians the targets use.
    paired = {}
    for wl, per_cfg in fio.items():
        paired[wl] = {}
        for a, b in ((mv, f"{mv}-nobitmap"), (f"{mv}-budget0", f"{mv}-nobitmap"),
                     ("md-bitmap", "md"), (mv, "md"), (mv, "dm"),
                     (mv, "raw"), ("mirvol1", "raw"), ("linear", "raw"), ("mirvol1", "linear")):
            if a in per_cfg and b in per_cfg:
                rs = [x["value"] / y["value"] for x, y in zip(per_cfg[a]["runs"], per_cfg[b]["runs"])]
                paired[wl][f"{a}/{b}"] = summary(rs)
    for _t, _ph, wl, a, b, _l in LAT_TARGETS:
        for x, y in ((a, b), (a.replace("mirvol-", "md-"), b)):
            if wl in fio and x in fio[wl] and y in fio[wl] and x != y:
                rs = [p["value"] / q["value"] for p, q in zip(fio[wl][x]["runs"], fio[wl][y]["runs"])]
                paired.setdefault(wl, {})[f"{x}/{y}"] = summary(rs)
    res["fio"] = fio
    res["paired_ratios"] = paired
    if opt.get("part") == "latency":
        res["latency"] = latency_summary(res, env)
    if opt.get("part") == "instr":
        res["instructions"] = instr_summary(res)

    spread = {}
    for wl in ("randread-qd32", "randread-qd1", "seqread"):
        ss = samples.get(wl, {}).get(mv, [])
        if ss:
            sp, tot = read_spread(ss)
            spread[wl] = {"spread": sp, "per_plex": tot,
                          "per_rep": [s["plex_read_ios"] for s in ss],
                          "target": wl.startswith("randread")}
    # Sequential reads stick to one plex by design: shown, not a target.
    res["read_spread"] = {k: v for k, v in spread.items() if v["target"]}
    res["read_spread_seqread"] = spread.get("seqread")

    if "resync" in opt["workloads"]:
        rows = read_tsv(os.path.join(out, "resync.tsv"))
        rs = {}
        for kind in ("mirvol", "md"):
            runs = []
            for r in rows:
                if r[1] != kind:
                    continue
                secs = float(r[3]) - float(r[2])
                nbytes = int(r[4])
                if secs <= 0 or nbytes <= 0:
                    fail(f"resync {kind}: bad record {r}")
                runs.append({"rep": int(r[0]), "seconds": secs, "bytes": nbytes,
                             "mb_s": nbytes / secs / 1e6, "extra": json.loads(r[5])})
            if len(runs) != opt["repeat"]:
                fail(f"resync {kind}: {len(runs)} runs, expected {opt['repeat']}")
            rs[kind] = {"bytes": runs[0]["bytes"],
                        "seconds": summary([x["seconds"] for x in runs]),
                        "mb_s": summary([x["mb_s"] for x in runs]), "runs": runs}
        rs["ratio"] = ratio(rs["mirvol"]["mb_s"]["median"], rs["md"]["mb_s"]["median"])
        res["resync"] = rs

    if "break-plex" in opt["workloads"]:
        runs = [break_run(out, r) for r in read_tsv(os.path.join(out, "break.tsv"))]
        if len(runs) != opt["repeat"]:
            fail(f"break-plex: {len(runs)} runs, expected {opt['repeat']}")
        res["break_plex"] = {
            "plexes_before": opt["plexes"],
            "load": "fio randwrite 4k, iodepth 1, 1 job, per-I/O latency log",
            "pause_definition": "max total latency (slat + clat) of the writes in "
                                "flight at any time between break-plex and the end of its operation",
            "duration_s": summary([x["duration_s"] for x in runs]),
            "pause_ms": summary([x["pause_ms"] for x in runs]),
            "max_lat_before_ms_max": max((x["max_lat_before_ms"] or 0) for x in runs),
            "runs": runs,
        }

    if "rejoin" in opt["workloads"]:
        res["rejoin"] = rejoin_runs(out, read_tsv(os.path.join(out, "rejoin.tsv")),
                                    opt["repeat"])
        mpath = os.path.join(out, "merge.tsv")
        if os.path.exists(mpath):
            res["merge"] = merge_runs(out, read_tsv(mpath), opt["repeat"],
                                      res["rejoin"]["full"])

    res["targets"] = evaluate(res, mv)
    return res, mv, configs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--fail-on-miss", action="store_true")
    a = ap.parse_args()
    try:
        res, mv, configs = build(a.out)
    except (BenchError, OSError, KeyError, ValueError, IndexError) as e:
        print(f"report.py: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    tmp = a.results + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(res, f, indent=1, sort_keys=False)
        f.write("\n")
    os.replace(tmp, a.results)
    print_table(res, mv, configs)
    if a.fail_on_miss and any(t["verdict"] == "MISS" for t in res["targets"]):
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
