#!/usr/bin/env python3
"""summarize.py - one results folder of perf/run.sh into summary.md and plots.

    summarize.py DIR [--latest RESULTS]

Reads DIR/raw/rNN-sNN-GROUP.json (google-benchmark's JSON, one file per
process, in run order), DIR/raw/rss-LABEL.json, DIR/rss-LABEL.tsv and
DIR/raw/idle-LABEL-N.json; writes DIR/summary.md and DIR/*.png (through
gnuplot, from DIR/plot/).
With --latest, also RESULTS/LATEST.md and RESULTS/latest-*.png.

Owns how figures are reduced:
  - a throughput is the median over every process that measured it, with
    min and max beside it;
  - a ratio magpool / competitor is formed per round, against the magpool
    process that ran just before the competitor's (the same machine
    load), then reduced to a median with min and max;
  - the rate is the workload's "rate" counter (items over the run's wall
    clock, first thread start to last thread end) where it has one, else
    google-benchmark's items_per_second (CPU time; the one-thread pair);
  - npools is shown as time per get+put pair and thread: threads / rate;
  - an idle figure is RSS after the wait less RSS before any of the
    threads touched the pool, one process per backend and thread count.
Standard library only.
"""

import argparse
import glob
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys

# Report order; magpool first, then the drop-in's rival, the mallocs, the
# other pools and allocators users name beside them, the reference lists.
BACKENDS = ["magpool", "magpool-gf", "magpool-inline", "glusterfs", "glibc", "tcmalloc",
            "jemalloc", "mimalloc", "tbbmalloc", "gslice", "gslice-malloc",
            "dpdk", "dpdk-rts", "mutex-list", "tls-list"]
COMPETITORS = [b for b in BACKENDS if not b.startswith("magpool")]
# magpool-gf is GlusterFS's API on magpool: its rival is GlusterFS's pool.
DROPIN = ("magpool-gf", "glusterfs")

STYLE = {  # gnuplot line style per backend: colour, width, dash
    "magpool": ("#c00000", 3, 1), "magpool-gf": ("#ff8c00", 2, 2),
    "magpool-inline": ("#ff0080", 2, 3),
    "glusterfs": ("#228b22", 2, 1), "glibc": ("#1f4fbf", 2, 1),
    "tcmalloc": ("#8a2be2", 2, 1), "jemalloc": ("#8b4513", 2, 1),
    "mimalloc": ("#00a0a0", 2, 1), "tbbmalloc": ("#6b8e23", 2, 1),
    "gslice": ("#daa520", 2, 1), "gslice-malloc": ("#daa520", 2, 2),
    "dpdk": ("#4682b4", 2, 1), "dpdk-rts": ("#4682b4", 2, 2),
    "mutex-list": ("#808080", 2, 1), "tls-list": ("#000000", 1, 3),
}

WORKLOADS = {
    # name: (title, unit label, scale, what one item is)
    "pair": ("Hot get+put pair, one thread", "M pairs/s", 1e-6, "pair"),
    "batch": ("1000 gets then 1000 puts, per thread", "M pairs/s", 1e-6,
              "pair"),
    "prodcons": ("Producer -> consumer (every put remote)", "M objects/s",
                 1e-6, "object"),
    "pcread": ("Producer -> consumer, the consumer reading each object",
               "M objects/s", 1e-6, "object"),
    "gfmix": ("GlusterFS-shaped mix (10 gets/fop, half the puts remote)",
              "k fops/s", 1e-3, "fop"),
    "manypools": ("24 pools of mixed sizes, 256 live per thread",
                  "M pairs/s", 1e-6, "pair"),
    "xmalloc": ("xmalloc-test: producers and consumers through one shared "
                "queue (every put remote, any consumer)", "M objects/s",
                1e-6, "object"),
    "larson": ("Larson, min = max size: 1000 live per thread, a random one "
               "replaced each step", "M replacements/s", 1e-6,
               "replacement"),
    "npools": ("Pools in use: 1024 objects of 64 B per thread, round robin "
               "over 1, 24 or 256 pools", "M pairs/s", 1e-6, "pair"),
    "churn": ("Thread churn (mstress-like): 4 threads started and joined "
              "per step, each getting 512 objects and leaving half to the "
              "next generation", "M gets/s", 1e-6, "get"),
}

# Headline cases: (workload, size, threads).
HEADLINE = [
    ("pair", 512, 1, "hot pair, 512 B"),
    ("batch", 512, 1, "1000 gets/puts, 512 B, 1 thread"),
    ("batch", 512, 16, "1000 gets/puts, 512 B, 16 threads"),
    ("prodcons", 512, 2, "producer->consumer, 512 B, 1 pair"),
    ("prodcons", 512, 8, "producer->consumer, 512 B, 4 pairs"),
    ("pcread", 64, 2, "producer->consumer, consumer reads, 64 B"),
    ("gfmix", None, 2, "GlusterFS-shaped mix"),
    ("manypools", None, 1, "24 pools, 1 thread"),
    ("manypools", None, 2, "24 pools, 2 threads"),
    ("xmalloc", 64, 2, "xmalloc-test, 64 B, 1 producer + 1 consumer"),
    ("xmalloc", 512, 4, "xmalloc-test, 512 B, 2 producers + 2 consumers"),
    ("larson", 2048, 2, "larson, 2048 B, 2 threads"),
    ("larson", 64, 16, "larson, 64 B, 16 threads"),
    ("npools", 256, 1, "256 pools in use, 1 thread"),
    ("churn", 64, 1, "thread churn, 64 B"),
]


def parse_name(name):
    """pair/magpool/64 -> ("pair", "magpool", 64, 1);
    batch/glibc/512/real_time/threads:4 -> ("batch", "glibc", 512, 4)."""
    parts = name.split("/")
    size, threads = None, 1
    for p in parts[2:]:
        if p.isdigit() and size is None:
            size = int(p)
        elif p.startswith("threads:"):
            threads = int(p.split(":")[1])
    return parts[0], parts[1], size, threads


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print("summarize: skipping %s: %s" % (path, e), file=sys.stderr)
        return None


def rate_of(b):
    return b.get("rate", b.get("items_per_second"))


def stats(values):
    return statistics.median(values), min(values), max(values)


def fmt_num(x):
    if x >= 100:
        return "%.0f" % x
    if x >= 10:
        return "%.1f" % x
    return "%.2f" % x


def fmt_cell(values, scale):
    if not values:
        return "-"
    med, lo, hi = stats([v * scale for v in values])
    if len(values) == 1:
        return fmt_num(med)
    return "%s (%s-%s)" % (fmt_num(med), fmt_num(lo), fmt_num(hi))


def fmt_ratio(values):
    if not values:
        return "-"
    med, lo, hi = stats(values)
    if len(values) == 1:
        return "%.2fx" % med
    return "%.2fx (%.2f-%.2f)" % (med, lo, hi)


def case_label(workload, size, threads):
    if workload == "gfmix":
        return "rpc thread + io thread"
    if workload == "npools":
        # The benchmark's argument is the count of pools, not a size.
        return "%d pool%s, %d thread%s" % (size, "s" if size > 1 else "",
                                          threads, "s" if threads > 1 else "")
    bits = []
    if size is not None:
        bits.append("%d B" % size)
    if workload in ("prodcons", "pcread"):
        bits.append("%d pair%s" % (threads // 2, "s" if threads > 2 else ""))
    elif workload == "xmalloc":
        bits.append("%d producer%s + %d consumer%s" % (
            threads // 2, "s" if threads > 2 else "",
            threads // 2, "s" if threads > 2 else ""))
    elif workload == "churn":
        bits.append("4 short-lived threads per step")
    elif workload != "gfmix":
        bits.append("%d thread%s" % (threads, "s" if threads > 1 else ""))
    return ", ".join(bits)


class Results:
    """Every throughput sample, and the ratios paired by run order."""

    def __init__(self, folder):
        self.samples = {}   # (workload, size, threads) -> backend -> [rate]
        self.ratios = {}    # key -> competitor -> [magpool / competitor]
        self.dropin = {}    # key -> [magpool-gf / glusterfs]
        # Forwarding modes (fwdmode.h): one entry per process, in run
        # order: (forced, group, {key: {backend: benchmark}}).
        self.procs = []
        self.failed = []    # (benchmark name, error message), per process
        self.runs = 0
        files = sorted(glob.glob(os.path.join(folder, "raw", "r*-s*-*.json")))
        previous = None     # the last magpool process: key -> backend -> rate
        for path in files:
            data = load(path)
            if data is None:
                continue
            self.runs += 1
            group = re.sub(r"^r\d+-s\d+-", "",
                           os.path.basename(path)[:-len(".json")])
            forced = group.endswith("-forced")
            if forced:
                group = group[:-len("-forced")]
            seen = {}
            full = {}
            for b in data.get("benchmarks", []):
                if b.get("run_type", "iteration") != "iteration":
                    continue
                if b.get("error_occurred"):
                    self.failed.append((b["name"], b.get("error_message")))
                    continue
                w, backend, size, threads = parse_name(b["name"])
                rate = rate_of(b)
                if w not in WORKLOADS or rate is None:
                    continue
                key = (w, size, threads)
                full.setdefault(key, {})[backend] = b
                if forced:
                    continue
                self.samples.setdefault(key, {}).setdefault(
                    backend, []).append(rate)
                seen.setdefault(key, {})[backend] = rate
            self.procs.append((forced, group, full))
            if forced:
                continue
            if group == "magpool":
                previous = seen
                continue
            # A competitor process: pair it with the magpool one before it.
            for key, by_backend in seen.items():
                mp = (previous or {}).get(key, {})
                for backend, rate in by_backend.items():
                    if "magpool" in mp and rate > 0:
                        self.ratios.setdefault(key, {}).setdefault(
                            backend, []).append(mp["magpool"] / rate)
                    if backend == DROPIN[1] and DROPIN[0] in mp and rate > 0:
                        self.dropin.setdefault(key, []).append(
                            mp[DROPIN[0]] / rate)

    def backends(self):
        present = {b for per in self.samples.values() for b in per}
        return [b for b in BACKENDS if b in present] + \
            sorted(present - set(BACKENDS))

    def keys(self, workload):
        return sorted((k for k in self.samples if k[0] == workload),
                      key=lambda k: (k[1] or 0, k[2]))

    # ------------------------------------------------ forwarding modes

    def mode_keys(self):
        keys = {k for _, _, full in self.procs for k, per in full.items()
                if any("fwdF_items" in b for b in per.values())}
        return sorted(keys, key=lambda k: (k[0] != "pair", k[1] or 0, k[2]))

    def mode_ns(self, key, backend, mode, forced):
        """ns per item in the chunks of one mode ("F" or "S"), one value
        per process that ran some."""
        out = []
        for f, _, full in self.procs:
            b = full.get(key, {}).get(backend)
            if f == forced and b and b.get("fwd%s_items" % mode, 0) > 0:
                out.append(b["fwd%s_ns" % mode] / b["fwd%s_items" % mode])
        return out

    def mode_chunks(self, key, backend, forced):
        n = {"F": 0, "S": 0, "X": 0}
        for f, _, full in self.procs:
            b = full.get(key, {}).get(backend)
            if f == forced and b:
                for m in n:
                    n[m] += b.get("fwd%s_chunks" % m, 0)
        return n

    def mode_ratios(self, key, mp_backend, backend, mode, forced):
        """Time ratios mp_backend / backend in one mode, each against the
        magpool process that ran just before the competitor's."""
        out = []
        last = None
        for f, group, full in self.procs:
            if f != forced:
                continue
            if group == "magpool":
                last = full
                continue
            b = full.get(key, {}).get(backend)
            a = (last or {}).get(key, {}).get(mp_backend)
            if not a or not b:
                continue
            na, nb = (x.get("fwd%s_items" % mode, 0) for x in (a, b))
            if na > 0 and nb > 0:
                out.append((a["fwd%s_ns" % mode] / na) /
                           (b["fwd%s_ns" % mode] / nb))
        return out


def load_rss(folder, failed=None):
    """label -> (counters, [(t, bytes)]); a run that ended in an error
    is left out, and (name, message) appended to failed."""
    out = {}
    for path in sorted(glob.glob(os.path.join(folder, "raw", "rss-*.json"))):
        label = os.path.basename(path)[len("rss-"):-len(".json")]
        data = load(path)
        if not data:
            continue
        bench = [b for b in data.get("benchmarks", [])
                 if b.get("run_type", "iteration") == "iteration"]
        if bench and bench[0].get("error_occurred") and failed is not None:
            failed.append((bench[0]["name"], bench[0].get("error_message")))
        if not bench or bench[0].get("error_occurred"):
            continue
        timeline = []
        tsv = os.path.join(folder, "rss-%s.tsv" % label)
        if os.path.exists(tsv):
            with open(tsv) as f:
                for line in f:
                    if line.startswith("#") or not line.strip():
                        continue
                    t, v = line.split()
                    timeline.append((float(t), int(v)))
        out[label] = (bench[0], timeline)
    return out


def load_idle(folder, failed=None):
    """label -> {threads: counters} of the idle workload; a run that
    ended in an error (a backend that cannot run it says why) is left
    out, and (name, message) appended to failed."""
    out = {}
    for path in sorted(glob.glob(os.path.join(folder, "raw", "idle-*.json"))):
        data = load(path)
        if not data:
            continue
        for b in data.get("benchmarks", []):
            if b.get("run_type", "iteration") != "iteration":
                continue
            if b.get("error_occurred"):
                if failed is not None:
                    failed.append((b["name"], b.get("error_message")))
                continue
            _, label, n, _ = parse_name(b["name"])
            out.setdefault(label, {})[n] = b
    return out


def idle_growth(c):
    """KiB the touch added, right after it and after the wait."""
    return ((c["rss_touched"] - c["rss_base"]) / 1024.0,
            (c["rss_idle"] - c["rss_base"]) / 1024.0)


def np_ns(res, key, backend):
    """npools: nanoseconds per get+put pair and thread, one value per
    process (a rate counts the pairs of all threads)."""
    return [key[2] * 1e9 / r for r in res.samples.get(key, {}).get(backend, [])
            if r > 0]


def read_meta(folder):
    meta = {}
    path = os.path.join(folder, "meta.txt")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if ":" in line:
                    k, v = line.split(":", 1)
                    meta[k.strip()] = v.strip()
    return meta


def geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


# ------------------------------------------------------------------ plots

def gp_line(backend, index):
    colour, width, dash = STYLE.get(backend, ("#555555", 1, 1))
    return ("'%%s' index %d using 1:2:3:4 with yerrorlines "
            "lc rgb '%s' lw %d dt %d pt 7 ps 0.6 title '%s'"
            % (index, colour, width, dash, backend))


def gp_points(dat, names, ps):
    """One plot clause per backend: block i of dat, x and y columns."""
    parts = []
    for i, b in enumerate(names):
        colour, width, dash = STYLE.get(b, ("#555555", 1, 1))
        parts.append("'%s' index %d using 1:2 with linespoints lc rgb "
                     "'%s' lw %d dt %d pt 7 ps %s title '%s'"
                     % (dat, i, colour, width, dash, ps, b))
    return parts


def plot_series(res, workload, x_of, path_dat):
    """Per size: a gnuplot data file with one block per backend.
    Returns [(size, [backend, ...])] for the plot commands."""
    blocks = []
    sizes = sorted({k[1] for k in res.keys(workload)})
    scale = WORKLOADS[workload][2]
    with open(path_dat, "w") as f:
        for size in sizes:
            names = []
            for backend in res.backends():
                rows = []
                for k in res.keys(workload):
                    if k[1] != size or backend not in res.samples[k]:
                        continue
                    med, lo, hi = stats([v * scale
                                         for v in res.samples[k][backend]])
                    rows.append((x_of(k), med, lo, hi))
                if not rows:
                    continue
                f.write("# %s %s\n" % (size, backend))
                for r in sorted(rows):
                    f.write("%g %g %g %g\n" % r)
                f.write("\n\n")
                names.append(backend)
            blocks.append((size, names))
    return blocks


def multiplot(out, dat, blocks, title, xlabel, ylabel, xs,
              panel="%s B objects"):
    xtics = ",".join(str(x) for x in xs)
    xmin, xmax = min(xs), max(xs)
    n = len(blocks)
    cols = 2 if n > 1 else 1
    rows = (n + cols - 1) // cols
    lines = [
        "set terminal pngcairo size %d,%d font 'DejaVu Sans,10'"
        % (600 * cols + 100, 430 * rows + 60),
        "set output '%s'" % out,
        "set multiplot layout %d,%d title '%s' font ',13'" % (rows, cols,
                                                             title),
        "set grid",
        "set key outside right top font ',9'",
        "set logscale x 2",
        # Log y: the lower bound (tls-list) sits an order of magnitude
        # above the slowest; equal ratios look equal at every height.
        "set logscale y 10",
        "set xtics (%s)" % xtics,
        "set xrange [%g:%g]" % (xmin / 1.25, xmax * 1.25),
        "set xlabel '%s'" % xlabel,
        "set ylabel '%s'" % ylabel,
    ]
    index = 0
    for size, names in blocks:
        lines.append("set title '%s'" % (panel % size))
        parts = []
        for b in names:
            parts.append(gp_line(b, index) % dat)
            index += 1
        lines.append("plot " + ", \\\n     ".join(parts))
    lines.append("unset multiplot")
    return "\n".join(lines) + "\n"


def meta_idle_wait(folder):
    return read_meta(folder).get("idle_wait", "?")


def make_plots(folder, res, rss, idle):
    """Writes the gnuplot inputs under folder/plot/ and runs gnuplot.
    Returns the names of the PNGs made."""
    if not shutil.which("gnuplot"):
        print("summarize: gnuplot not found; no plots", file=sys.stderr)
        return []
    pdir = os.path.join(folder, "plot")
    os.makedirs(pdir, exist_ok=True)
    scripts = {}

    def series(png, workload, x_of, title, xlabel, ylabel):
        """One multiplot of a workload's rates against x_of(case)."""
        if not res.keys(workload):
            return
        dat = os.path.join(pdir, png.replace(".png", ".dat"))
        blocks = plot_series(res, workload, x_of, dat)
        tics = sorted({x_of(k) for k in res.keys(workload)})
        scripts[png] = multiplot(os.path.join(folder, png), dat, blocks,
                                 title, xlabel, ylabel, tics)

    series("threads.png", "batch", lambda k: k[2],
           "Throughput vs threads: 1000 gets then 1000 puts per thread "
           "(2 cores)", "threads", "M get+put pairs/s (all threads)")
    series("larson-threads.png", "larson", lambda k: k[2],
           "Throughput vs threads: larson, 1000 live per thread, a random "
           "one replaced each step (2 cores)", "threads",
           "M replacements/s (all threads)")

    if res.keys("npools"):
        dat = os.path.join(pdir, "npools.dat")
        keys = res.keys("npools")
        blocks = []
        with open(dat, "w") as f:
            for threads in sorted({k[2] for k in keys}):
                names = []
                for b in res.backends():
                    rows = []
                    for k in keys:
                        v = np_ns(res, k, b) if k[2] == threads else []
                        if v:
                            rows.append((k[1],) + stats(v))
                    if not rows:
                        continue
                    f.write("# %d %s\n" % (threads, b))
                    for r in sorted(rows):
                        f.write("%g %g %g %g\n" % r)
                    f.write("\n\n")
                    names.append(b)
                blocks.append(("%d thread%s" % (threads, "s" if threads > 1
                                                 else ""), names))
        scripts["npools.png"] = multiplot(
            os.path.join(folder, "npools.png"), dat, blocks,
            "Time per get+put pair vs pools in use: 1024 objects of 64 B "
            "per thread, round robin over the pools (lower is better)",
            "pools in use", "ns per pair, per thread",
            sorted({k[1] for k in keys}), panel="%s")

    if idle:
        dat = os.path.join(pdir, "idle-rss.dat")
        names = [b for b in BACKENDS if b in idle] + \
            sorted(b for b in idle if b not in BACKENDS)
        xs = sorted({n for per in idle.values() for n in per})
        with open(dat, "w") as f:
            for b in names:
                f.write("# %s\n" % b)
                for n in sorted(idle[b]):
                    f.write("%d %g\n" % (n, idle_growth(idle[b][n])[1] / n))
                f.write("\n\n")
        parts = gp_points(dat, names, "0.6")
        scripts["idle-rss.png"] = "\n".join([
            "set terminal pngcairo size 1100,560 font 'DejaVu Sans,10'",
            "set output '%s'" % os.path.join(folder, "idle-rss.png"),
            "set title 'Memory kept per idle thread: RSS growth / threads, "
            "%s s after the last touch (lower is better)' font ',13'"
            % meta_idle_wait(folder),
            "set grid",
            "set key outside right top font ',9'",
            "set logscale x 10",
            "set xtics (%s)" % ",".join(str(x) for x in xs),
            "set xrange [%g:%g]" % (min(xs) / 1.5, max(xs) * 1.5),
            "set xlabel 'idle threads'",
            "set ylabel 'KiB per thread'",
            "set yrange [0:*]",
            "plot " + ", \\\n     ".join(parts),
        ]) + "\n"

    series("prodcons.png", "prodcons", lambda k: k[2] // 2,
           "Producer -> consumer: gets in one thread, puts in another "
           "(2 cores)", "producer/consumer pairs", "M objects/s")

    if res.keys("pair"):
        dat = os.path.join(pdir, "pair.dat")
        sizes = sorted({k[1] for k in res.keys("pair")})
        names = [b for b in res.backends()
                 if any(b in res.samples[k] for k in res.keys("pair"))]
        with open(dat, "w") as f:
            for b in names:
                f.write("# %s\n" % b)
                for s in sizes:
                    v = res.samples.get(("pair", s, 1), {}).get(b)
                    if v:
                        med, lo, hi = stats([x * 1e-6 for x in v])
                        f.write("%d %g %g %g\n" % (s, med, lo, hi))
                    else:
                        f.write("%d NaN NaN NaN\n" % s)
                f.write("\n\n")
        parts = []
        nb = len(names)
        width = 0.8 / max(nb, 1)
        for i, b in enumerate(names):
            colour = STYLE.get(b, ("#555555", 1, 1))[0]
            off = (i - (nb - 1) / 2.0) * width
            parts.append(
                "'%s' index %d using ($0+%g):2:3:4:(%g) with boxerrorbars "
                "lc rgb '%s' fs solid 0.7 title '%s'"
                % (dat, i, off, width * 0.45, colour, b))
        scripts["pair.png"] = "\n".join([
            "set terminal pngcairo size 1100,520 font 'DejaVu Sans,10'",
            "set output '%s'" % os.path.join(folder, "pair.png"),
            "set title 'Hot get+put pair, one thread (higher is better)' "
            "font ',13'",
            "set grid ytics",
            "set key outside right top font ',9'",
            "set xtics (%s)" % ", ".join("'%d B' %d" % (s, i)
                                        for i, s in enumerate(sizes)),
            "set xrange [-0.6:%g]" % (len(sizes) - 0.4),
            "set yrange [0:*]",
            "set ylabel 'M pairs/s'",
            "plot " + ", \\\n     ".join(parts),
        ]) + "\n"

    if rss:
        dat = os.path.join(pdir, "rss.dat")
        names = [b for b in BACKENDS if b in rss and rss[b][1]] + \
            sorted(b for b in rss if b not in BACKENDS and rss[b][1])
        with open(dat, "w") as f:
            for b in names:
                f.write("# %s\n" % b)
                for t, v in rss[b][1]:
                    f.write("%g %g\n" % (t, v / 1048576.0))
                f.write("\n\n")
        parts = gp_points(dat, names, "0.5")
        scripts["rss.png"] = "\n".join([
            "set terminal pngcairo size 1100,560 font 'DejaVu Sans,10'",
            "set output '%s'" % os.path.join(folder, "rss.png"),
            "set title 'Resident memory after putting back 1,000,000 "
            "objects of 512 B (lower is better)' font ',13'",
            "set grid",
            "set key outside right top font ',9'",
            "set xlabel 'seconds after the last put'",
            "set ylabel 'RSS (MiB)'",
            "set yrange [0:*]",
            "plot " + ", \\\n     ".join(parts),
        ]) + "\n"

    made = []
    for png, script in scripts.items():
        gp = os.path.join(pdir, png[:-len(".png")] + ".gp")
        with open(gp, "w") as f:
            f.write(script)
        r = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
        if r.returncode:
            print("summarize: gnuplot %s failed:\n%s" % (gp, r.stderr),
                  file=sys.stderr)
        else:
            made.append(png)
    return made


# --------------------------------------------------------------- markdown

def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |",
           "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


# The targets, as time ratios (lower is better), kept as data in
# perf/targets.tsv (its header says what each column means).
def load_targets(path):
    ratios, prodcons = [], []
    with open(path) as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            kind, label, w, threads, mp, comp, goal = \
                line.rstrip("\n").split("\t")
            if kind == "ratio":
                ratios.append((label, w, None, int(threads), mp, comp,
                               float(goal)))
            elif kind == "prodcons":
                prodcons.append((label, w, tuple(comp.split(",")),
                                 float(goal)))
            else:
                raise ValueError("%s: unknown kind %r" % (path, kind))
    return ratios, prodcons


TARGETS, PRODCONS_TARGETS = load_targets(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "targets.tsv"))
CONDITIONS = [("F", False, "F"), ("S", False, "S"),
              ("S", True, "S forced (SSBD)")]


def fmt_ns(values):
    if not values:
        return "-"
    med, lo, hi = stats(values)
    if len(values) == 1:
        return "%.2f" % med
    return "%.2f (%.2f-%.2f)" % (med, lo, hi)


def fmt_target(values, target):
    if not values:
        return "-"
    med = statistics.median(values)
    return "%s %s" % (fmt_ratio(values), "met" if med <= target else
                      "**missed**")


def load_instr(folder):
    """label -> instructions per get+put pair, from instr.txt."""
    out = {}
    path = os.path.join(folder, "instr.txt")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                m = re.match(r"(\S+):\s+(\d+) instructions per get\+put",
                             line)
                if m:
                    out[m.group(1)] = int(m.group(2))
    return out


def instr_section(folder):
    counts = load_instr(folder)
    if not counts:
        return []
    names = list(counts)
    return ["## Instructions per get+put pair (callgrind)", "",
            "A figure beside the times, not a target: the hot pair through "
            "each backend's exported functions (magpool-inline: compiled "
            "into the loop; magpool-preload: the LD_PRELOAD shim), loop "
            "included, the difference of two callgrind runs of 1M and 2M "
            "pairs (`perf/instr.sh`, as `make bench-instr`).", ""] + \
        md_table(names, [[str(counts[n]) for n in names]]) + [""]


def mode_sections(res):
    """The forwarding-mode tables and the targets, as markdown lines."""
    keys = res.mode_keys()
    if not keys:
        return []
    L = ["## Forwarding modes: hot pair and 1000 gets/puts",
         "",
         "The CPU of the VM these figures come from runs in one of two "
         "store-forwarding modes, flipping with host load "
         "(`perf/NOTES.md`): **F**, predictive store "
         "forwarding active (a load of what a store just wrote costs ~1 "
         "cycle), and **S**, not active (~6 cycles). A get+put pair is a "
         "chain of such hops, so these workloads time chunks (10,000 pairs; "
         "8 batches of 1000) and classify each by a store->load probe "
         "before and after it (`perf/fwdmode.h`); a chunk whose probes "
         "disagree counts in neither mode. **S forced** is a separate pass "
         "(`--force_s`: speculative store bypass disabled by prctl, for "
         "magpool, tcmalloc and the bare list) so that the S figures exist "
         "even when the CPU never left F during the run. Nanoseconds per "
         "get+put pair, per thread; median (min-max) over processes.",
         ""]
    for forced in (False, True):
        n = {"F": 0, "S": 0, "X": 0}
        for k in keys:
            for b in set(res.backends() + ["tls-list"]):
                for m, v in res.mode_chunks(k, b, forced).items():
                    n[m] += v
        total = sum(n.values())
        if not total:
            continue
        L.append("Chunks of the %s: %d F (%.1f %%), %d S (%.1f %%), %d "
                 "mixed." % ("forced-S pass" if forced else "main run",
                             n["F"], 100.0 * n["F"] / total, n["S"],
                             100.0 * n["S"] / total, n["X"]))
        L.append("")
        for mode, f, title in CONDITIONS:
            if f != forced:
                continue
            if n[mode] < 0.01 * total:
                L.append("%s: %d chunks, too few for a table." %
                         (title, n[mode]))
                L.append("")
                continue
            backends = [b for b in res.backends() + ["tls-list"]
                        if any(res.mode_ns(k, b, mode, forced)
                               for k in keys)]
            backends = list(dict.fromkeys(backends))
            L.append("%s, ns per pair:" % title)
            L.append("")
            rows = []
            for k in keys:
                rows.append(["%s, %s" % (k[0], case_label(*k))] +
                            [fmt_ns(res.mode_ns(k, b, mode, forced))
                             for b in backends])
            L += md_table(["case"] + backends, rows)
            L.append("")

    L.append("## Fast-path targets")
    L.append("")
    L.append("Time ratios (lower is better) of the chunks in each mode, "
             "each magpool process against the competitor process run just "
             "after it; median (min-max) over rounds. Why a target is "
             "missed, with the measurements behind it (the PLT floor, "
             "perf/hotpair --batch; the loads that speculative store bypass "
             "disable serializes): perf/NOTES.md.")
    L.append("")
    rows = []
    for label, w, _, threads, mp, comp, target in TARGETS:
        for k in keys:
            if k[0] != w or k[2] != threads:
                continue
            row = ["%s, %s" % (label, case_label(*k)), "<= %.2fx" % target]
            for mode, forced, _ in CONDITIONS:
                row.append(fmt_target(
                    res.mode_ratios(k, mp, comp, mode, forced), target))
            rows.append(row)
    for label, w, rivals_of, goal in PRODCONS_TARGETS:
        for k in res.keys(w):
            if k[2] != 2:
                continue
            rivals = [(statistics.median(res.ratios[k][c]), c)
                      for c in rivals_of if res.ratios.get(k, {}).get(c)]
            if not rivals:
                continue
            rate_ratio, best = min(rivals)
            values = [1.0 / v for v in res.ratios[k][best]]
            rows.append(["%s (best of %s: %s), %s"
                         % (label, "/".join(rivals_of), best,
                            case_label(*k)),
                         "<= %.2fx" % goal,
                         fmt_target(values, goal) +
                         " (all chunks; not classified)", "", ""])
    L += md_table(["target", "goal"] + [t for _, _, t in CONDITIONS], rows)
    L.append("")
    return L


def npools_section(res, competitors, pngs, image_prefix):
    """Time per pair against the pools in use, as markdown lines."""
    keys = res.keys("npools")
    counts = sorted({k[1] for k in keys})
    threads = sorted({k[2] for k in keys})
    L = ["## %s" % WORKLOADS["npools"][0], "",
         "How the cost of a get+put pair grows with the number of pools a "
         "thread uses: each thread gets 1024 objects of 64 B, object i from "
         "pool i mod N, then puts them back in the same order; the objects "
         "are the same memory at every N, only the pools change (1 pool: "
         "the batch workload at 64 B). Nanoseconds per pair and thread "
         "(threads / the run's rate), median over processes; in brackets "
         "magpool's rate / the backend's, per round as elsewhere (above "
         "1.00x magpool is faster); *N/1*: the time at the most pools over "
         "the time at one. For the malloc-like backends (glibc, tcmalloc, "
         "jemalloc, mimalloc, tbbmalloc, gslice) a pool is only a size, so "
         "N pools are one; GlusterFS's pool shares one per-thread list per "
         "power-of-two size among its pools.", ""]
    header = ["backend"]
    for t in threads:
        header += ["%d pool%s, %d thr" % (n, "s" if n > 1 else "", t)
                   for n in counts]
        if len(counts) > 1:
            header.append("%d/%d, %d thr" % (counts[-1], counts[0], t))
    rows = []
    for b in res.backends():
        if not any(res.samples.get(k, {}).get(b) for k in keys):
            continue
        row = [b]
        for t in threads:
            med = {}
            for n in counts:
                k = ("npools", n, t)
                v = np_ns(res, k, b)
                if not v:
                    row.append("-")
                    continue
                med[n] = statistics.median(v)
                cell = "%.1f" % med[n]
                r = res.ratios.get(k, {}).get(b)
                if b in competitors and r:
                    cell += " (%.2fx)" % statistics.median(r)
                row.append(cell)
            if len(counts) > 1:
                lo, hi = med.get(counts[0]), med.get(counts[-1])
                row.append("%.2fx" % (hi / lo) if lo and hi else "-")
        rows.append(row)
    L += md_table(header, rows)
    L.append("")
    if "npools.png" in pngs:
        L.append("![npools](%snpools.png)" % image_prefix)
        L.append("")
    return L


def idle_section(idle, meta, pngs, image_prefix):
    """RSS per idle thread, as markdown lines."""
    if not idle:
        return []
    names = [b for b in BACKENDS if b in idle] + \
        sorted(b for b in idle if b not in BACKENDS)
    counts = sorted({n for per in idle.values() for n in per})
    L = ["## Memory per idle thread: N threads touched a pool, then waited",
         "",
         "One fresh process per backend and N: N threads (64 KiB stacks) "
         "start and wait; the RSS is read (the base: their stacks and the "
         "pool, which the main thread has used first); then each in turn "
         "gets 64 objects of 64 B, writes them, puts them back and blocks "
         "without exiting. The growth over the base %s s after the last "
         "thread's touch (MAGPOOL_SWEEP_MS=%s: magpool's sweeper has run; "
         "GlusterFS's runs every 30 s and has not) is what the allocator "
         "keeps for threads that went idle. KiB, total and (per thread); a "
         "missing cell is a case the backend could not run (the reason "
         "under Problems)."
         % (meta.get("idle_wait", "?"), meta.get("MAGPOOL_SWEEP_MS", "?")),
         ""]
    after, right = {}, {}
    for b in names:
        for n in counts:
            c = idle[b].get(n)
            if c:
                right[b, n], after[b, n] = idle_growth(c)
    # Right after the touch only where the wait changed something (a
    # page or more).
    changed = [b for b in names
               if any(abs(after[k] - right[k]) >= 4 for k in after
                      if k[0] == b)]
    cell = lambda v, n: "%.0f (%.1f)" % (v, v / n)
    rows = []
    for b in names:
        row = [b] + [cell(after[b, n], n) if (b, n) in after else "-"
                     for n in counts]
        if changed:
            row += [cell(right[b, n], n) if (b, n) in right else "-"
                    for n in counts]
        rows.append(row)
    header = ["backend"] + ["%d threads" % n for n in counts]
    if changed:
        header += ["%d, right after the touch" % n for n in counts]
    L += md_table(header, rows)
    L.append("")
    if not changed:
        L.append("Right after the last touch the figures were the same: no "
                 "backend gave any of it back during the wait.")
        L.append("")
    if "idle-rss.png" in pngs:
        L.append("![RSS per idle thread](%sidle-rss.png)" % image_prefix)
        L.append("")
    return L


def summary(folder, res, rss, idle, pngs, image_prefix, rss_failed=()):
    rss_failed = list(rss_failed)
    meta = read_meta(folder)
    stamp = os.path.basename(os.path.normpath(folder))
    backends = res.backends()
    competitors = [c for c in COMPETITORS if c in backends]
    L = []
    L.append("# magpool performance comparison: %s (%s run)"
             % (stamp, meta.get("mode", "?")))
    L.append("")
    rounds = meta.get("rounds", "?")
    more = []
    if meta.get("prodcons_rounds", rounds) != rounds:
        more.append("producer->consumer %s" % meta["prodcons_rounds"])
    if meta.get("growth_rounds", rounds) != rounds:
        more.append("npools and larson beyond 2 threads %s"
                    % meta["growth_rounds"])
    rounds += " rounds" + (" (%s)" % "; ".join(more) if more else "")
    L.append("magpool %s; %s; %s CPUs (%s); %s, google-benchmark "
             "min time %s s per case; MAGPOOL_SWEEP_MS=%s."
             % (meta.get("magpool", "?"), meta.get("kernel", "?"),
                meta.get("cpus", "?"), meta.get("cpu", "?"),
                rounds, meta.get("min_time", "?"),
                meta.get("MAGPOOL_SWEEP_MS", "?")))
    if meta.get("packages"):
        L.append("Packages: %s." % meta["packages"].rstrip(", "))
    if meta.get("narrowed") == "yes":
        L.append("A narrowed run (perf/run.sh --steps, --workloads, "
                 "--backends): steps %s; workloads %s; groups %s."
                 % (meta.get("steps", "?"), meta.get("workloads", "?"),
                    meta.get("groups", "?").strip()))
    L.append("Raw data: `perf/results/%s/` (google-benchmark JSON in "
             "`raw/`); see magpool-bench(1)." % stamp)
    L.append("")
    L.append("How to read: throughputs are medians over every process that "
             "measured the case, (min-max) beside them; higher is better. "
             "A ratio is magpool's rate divided by the competitor's, taken "
             "per round against the magpool process that ran just before "
             "the competitor's, then the median (min-max) over rounds: "
             "above 1.00x magpool is faster. Multi-thread rates are over "
             "the run's wall clock on 2 cores; the one-thread hot pair is "
             "over CPU time.")
    L.append("")

    # Headline (none in a run of the memory workloads alone).
    H = ["## Headline: magpool / competitor", ""]
    header = ["case"] + ["vs %s" % c for c in competitors]
    if DROPIN[1] in backends:
        header.append("%s vs %s" % DROPIN)
    rows = []
    for w, size, threads, label in HEADLINE:
        key = (w, size, threads)
        if key not in res.samples:
            continue
        row = [label] + [fmt_ratio(res.ratios.get(key, {}).get(c, []))
                         for c in competitors]
        if DROPIN[1] in backends:
            row.append(fmt_ratio(res.dropin.get(key, [])))
        rows.append(row)
    allcases = {c: [] for c in competitors}
    dropin_all = []
    for key, per in res.ratios.items():
        for c in competitors:
            if per.get(c):
                allcases[c].append(statistics.median(per[c]))
    for key, v in res.dropin.items():
        dropin_all.append(statistics.median(v))
    ncases = len(res.samples)
    row = ["**all %d cases, geometric mean**" % ncases]
    for c in competitors:
        g = geomean(allcases[c])
        row.append("**%.2fx**" % g if g else "-")
    if DROPIN[1] in backends:
        g = geomean(dropin_all)
        row.append("**%.2fx**" % g if g else "-")
    rows.append(row)
    if res.samples:
        L += H + md_table(header, rows) + [""]

    L += mode_sections(res)
    L += instr_section(folder)

    # Memory.
    if rss:
        L.append("## Memory: 1,000,000 objects of 512 B held, then all put "
                 "back")
        L.append("")
        L.append("RSS of a fresh process per backend (MiB): before, while "
                 "holding them (and the peak), right after the last put, "
                 "and at the end of the timeline; *given back* is the share "
                 "of the memory the objects took that was returned by then.")
        L.append("")
        rows = []
        names = [b for b in BACKENDS if b in rss] + \
            sorted(b for b in rss if b not in BACKENDS)
        for b in names:
            c = rss[b][0]
            mib = lambda k: "%.0f" % (c.get(k, 0) / 1048576.0)
            grown = c.get("rss_held", 0) - c.get("rss_base", 0)
            back = c.get("rss_held", 0) - c.get("rss_final", 0)
            end = rss[b][1][-1][0] if rss[b][1] else 0
            rows.append([b, mib("rss_base"), mib("rss_held"),
                         mib("rss_peak"), mib("rss_after_put"),
                         mib("rss_final") + " (%gs)" % end,
                         "%d %%" % max(0, round(100.0 * back / grown))
                         if grown > 0 else "-"])
        L += md_table(["backend", "base", "held", "peak", "after put",
                       "final", "given back"], rows)
        L.append("")
        if "rss.png" in pngs:
            L.append("![RSS timeline](%srss.png)" % image_prefix)
            L.append("")

    L += idle_section(idle, meta, pngs, image_prefix)

    # Throughput tables.
    for w, (title, unit, scale, _) in WORKLOADS.items():
        keys = res.keys(w)
        if not keys:
            continue
        if w == "npools":
            L += npools_section(res, competitors, pngs, image_prefix)
            continue
        L.append("## %s" % title)
        L.append("")
        L.append("Throughput, %s:" % unit)
        L.append("")
        rows = []
        for k in keys:
            rows.append([case_label(*k)] +
                        [fmt_cell(res.samples[k].get(b, []), scale)
                         for b in backends])
        L += md_table(["case"] + backends, rows)
        L.append("")
        L.append("magpool / competitor:")
        L.append("")
        rows = []
        for k in keys:
            row = [case_label(*k)] + [fmt_ratio(res.ratios.get(k, {})
                                                .get(c, []))
                                      for c in competitors]
            if DROPIN[1] in backends:
                row.append(fmt_ratio(res.dropin.get(k, [])))
            rows.append(row)
        header = ["case"] + ["vs %s" % c for c in competitors]
        if DROPIN[1] in backends:
            header.append("%s vs %s" % DROPIN)
        L += md_table(header, rows)
        L.append("")
        png = {"batch": "threads.png", "prodcons": "prodcons.png",
               "pair": "pair.png", "larson": "larson-threads.png"}.get(w)
        if png in pngs:
            L.append("![%s](%s%s)" % (title, image_prefix, png))
            L.append("")

    # Run notes.
    notes = []
    failures = os.path.join(folder, "failures.txt")
    if os.path.exists(failures):
        with open(failures) as f:
            notes += [line.strip() for line in f if line.strip()]
    # Cases that ended in an error (a backend that cannot run them says
    # why), one line per message, with every case that gave it.
    failed = res.failed + rss_failed
    by_msg = {}
    for name, msg in failed:
        by_msg.setdefault(msg, []).append(name)
    for msg, names in by_msg.items():
        uniq = sorted(set(names))
        notes.append("%s: %s%s" % (", ".join(uniq), msg,
                                   " (%d runs)" % len(names)
                                   if len(names) > len(uniq) else ""))
    L.append("## Runs")
    L.append("")
    L.append("%d benchmark processes, %d cases%s." % (
        res.runs, ncases, ", measured in %s" % meta["elapsed"]
        if meta.get("elapsed") else ""))
    if notes:
        L.append("")
        L.append("Problems:")
        L.append("")
        L += ["- " + n for n in notes]
    L.append("")
    return "\n".join(L)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder")
    ap.add_argument("--latest", metavar="RESULTS",
                    help="also write RESULTS/LATEST.md and latest-*.png")
    args = ap.parse_args()
    res = Results(args.folder)
    rss_failed = []
    rss = load_rss(args.folder, rss_failed)
    idle_failed = []
    idle = load_idle(args.folder, idle_failed)
    rss_failed += idle_failed
    if not res.samples and not rss and not idle:
        print("summarize: no benchmark results in %s" % args.folder,
              file=sys.stderr)
        return 1
    pngs = make_plots(args.folder, res, rss, idle)
    with open(os.path.join(args.folder, "summary.md"), "w") as f:
        f.write(summary(args.folder, res, rss, idle, pngs, "", rss_failed))
    if args.latest:
        with open(os.path.join(args.latest, "LATEST.md"), "w") as f:
            f.write(summary(args.folder, res, rss, idle, pngs, "latest-",
                            rss_failed))
        for png in pngs:
            shutil.copyfile(os.path.join(args.folder, png),
                            os.path.join(args.latest, "latest-" + png))
    return 0


if __name__ == "__main__":
    sys.exit(main())
