#!/bin/sh
# run.sh - the comparison behind `make bench` and `make bench-quick`.
#
#   run.sh --full|--quick --builddir=DIR --srcdir=DIR --results=DIR
#          [--version=V] [--rounds=N] [--prodcons-rounds=N] [--min-time=S]
#          [--growth-rounds=N] [--workloads=W1|W2...] [--backends=G1|G2...]
#          [--steps=LIST]
#
# --workloads: the workloads of the rounds (default: every one; the
# producer->consumer rounds run those of prodcons and pcread it names);
# --backends: the competitor groups (by NAME, below; magpool always
# runs); --steps: of rounds,forced,rss,idle,instr (default: all).  A run
# narrowed by any of the three leaves RESULTS/LATEST.md and latest-*.png
# alone.  The growth parts alone (make bench-growth):
#   --full --rounds=3 --workloads='larson|npools' --steps=rounds,idle
#
# Owns the process model and the order of runs:
#   - every competitor group runs in its own process, right after a
#     process of magpool's (magpool, C1, magpool, C2, ...), in an order
#     rotated each round, so that each competitor sample has a magpool
#     sample taken under the same machine load just before it;
#   - groups: magpool (both APIs), glibc (with the mutex and TLS lists),
#     tcmalloc, jemalloc, mimalloc (each under LD_PRELOAD of bench_malloc),
#     glusterfs (bench_glusterfs), gslice and gslice-malloc (bench_gslice,
#     the second under G_SLICE=always-malloc), tbbmalloc
#     (bench_tbbmalloc), dpdk and dpdk-rts (bench_dpdk, the second under
#     MAGPOOL_BENCH_DPDK_OPS=ring_mt_rts); each of the last four programs
#     when configure found its library;
#   - the full mode runs the producer->consumer workload for more rounds
#     than the others (7 against 5): after the rounds of every workload,
#     rounds of that workload alone, the same pairs of processes in the
#     same rotation (its pairs of threads are the noisiest figures);
#   - and the growth cases (npools, larson beyond 2 threads) for fewer
#     (3): only the first rounds run them, to keep make bench's time;
#   - then, each round, a pass in the S forwarding mode forced by
#     --force_s (perf/fwdmode.h): the hot pair and the 1-2 thread batches
#     of magpool and magpool-inline, tcmalloc and tls-list;
#   - the instruction count per get+put pair of every backend, under
#     callgrind (perf/instr.sh, as make bench-instr), into instr.txt;
#   - the rss workload: one fresh process per backend, all at once (it
#     mostly sleeps; RSS is per process, so they do not disturb one
#     another's figures);
#   - the idle workload: one fresh process per backend and thread count
#     (10, 100, 1000 threads that touched a pool and went idle), several
#     at once, at most IDLE_BUDGET idle threads in all (this machine's
#     pid_max is shared with everything else it runs).
# Writes RESULTS/YYYY-MM-DD-HHMMSS/ (raw JSON, logs, RSS timelines, then
# summarize.py's summary.md and plots) and refreshes RESULTS/LATEST.md
# and RESULTS/latest-*.png.
set -eu

mode="" builddir=. srcdir=. results="" version=unknown rounds="" min_time=""
pc_rounds="" growth_rounds="" only_workloads="" only_backends="" steps=""
for a in "$@"; do
    case $a in
    --full | --quick) mode=${a#--} ;;
    --builddir=*) builddir=${a#*=} ;;
    --srcdir=*) srcdir=${a#*=} ;;
    --results=*) results=${a#*=} ;;
    --version=*) version=${a#*=} ;;
    --rounds=*) rounds=${a#*=} ;;
    --prodcons-rounds=*) pc_rounds=${a#*=} ;;
    --growth-rounds=*) growth_rounds=${a#*=} ;;
    --min-time=*) min_time=${a#*=} ;;
    --workloads=*) only_workloads=${a#*=} ;;
    --backends=*) only_backends=${a#*=} ;;
    --steps=*) steps=${a#*=} ;;
    *) echo "run.sh: unknown argument $a" >&2; exit 2 ;;
    esac
done
[ -n "$mode" ] && [ -n "$results" ] ||
    { echo "usage: run.sh --full|--quick --builddir=DIR --srcdir=DIR --results=DIR" >&2; exit 2; }
. "$srcdir/perf/lib.sh"

# Sized so that `make bench` takes about 18 minutes and bench-quick about
# 3 on 2 cores; both cover every workload and backend.
if [ "$mode" = full ]; then
    : "${rounds:=5}" "${min_time:=0.04}"
    : "${pc_rounds:=$((rounds > 7 ? rounds : 7))}"
    : "${growth_rounds:=$((rounds < 3 ? rounds : 3))}"
    rss_seconds=10
else
    : "${rounds:=1}" "${min_time:=0.01}"
    : "${pc_rounds:=$rounds}"
    : "${growth_rounds:=$rounds}"
    rss_seconds=3
fi
sizes=64,256,512,2048 threads=1,2,4,8,16 pairs=1,2,4
rss_objects=1000000
workloads='pair|batch|prodcons|pcread|gfmix|manypools|xmalloc|larson|churn|npools'
# The sweeper interval is explicit, so the RSS timeline's time axis means
# the same thing whatever the environment.
MAGPOOL_SWEEP_MS=1000
export MAGPOOL_SWEEP_MS
# idle: the thread counts, and the wait from the last touch to the RSS
# sample: three sweeper intervals and half a second (magpool's sweeper
# takes an idle thread's previous magazine after two passes and gives
# its objects back at the next).  GlusterFS's own sweeper runs every 30 s
# and has not run by then.
idle_threads=10,100,1000
idle_wait=$(awk -v ms="$MAGPOOL_SWEEP_MS" 'BEGIN { print 3 * ms / 1000 + 0.5 }')
IDLE_BUDGET=${IDLE_BUDGET:-4000}
partial=""
[ -n "$only_workloads$only_backends$steps" ] && partial=yes
[ -n "$only_workloads" ] && workloads=$only_workloads
: "${steps:=rounds,forced,rss,idle,instr}"
for s in $(echo "$steps" | tr ',' ' '); do
    case $s in
    rounds | forced | rss | idle | instr) ;;
    *) echo "run.sh: unknown step $s (rounds, forced, rss, idle, instr)" >&2; exit 2 ;;
    esac
done
has_step() { case ",$steps," in *",$1,"*) return 0 ;; esac; return 1; }
# The producer->consumer rounds only where those workloads are measured.
case "|$workloads|" in *"|prodcons|"* | *"|pcread|"*) ;; *) pc_rounds=$rounds ;; esac

# round_filter WORKLOADS LABELS ROUND: the benchmark filter of a process
# of that round; past growth_rounds, without the growth cases (npools,
# larson beyond 2 threads).  Empty when that leaves nothing.
round_filter() {
    if [ "$3" -le "$growth_rounds" ]; then
        echo "^($1)/($2)/"
        return
    fi
    rf_base=$(echo "$1" | tr '|' '\n' | grep -vx -e npools -e larson | paste -sd'|' -)
    rf=""
    [ -n "$rf_base" ] && rf="($rf_base)/($2)/"
    case "|$1|" in
    *"|larson|"*) rf="${rf:+$rf|}larson/($2)/[0-9]+/real_time/threads:[12]\$" ;;
    esac
    [ -n "$rf" ] && echo "^($rf)"
    return 0
}

stamp=$(date +%Y-%m-%d-%H%M%S)
out=$results/$stamp
mkdir -p "$out/raw"
: >"$out/failures.txt"
exec 3>&1

# ---------------------------------------------------------------- groups
# NAME|ENV|PROGRAM|LABELS: ENV is the process's extra environment
# (VAR=VALUE words, no spaces inside one), LABELS the regex of the
# backend labels it reports.
groups="magpool||bench_magpool|magpool|magpool-gf|magpool-inline
glibc||bench_malloc|glibc|mutex-list|tls-list"
skipped() { echo "$1" | tee -a "$out/failures.txt" >&3; }
for entry in $PERF_PRELOADS; do
    label=${entry%%:*} lib=$(perf_find_lib "${entry#*:}")
    if [ -n "$lib" ]; then
        groups="$groups
$label|LD_PRELOAD=$lib|bench_malloc|$label"
    else
        skipped "$label: ${entry#*:} is not installed; skipped"
    fi
done
if [ -x "$builddir/perf/bench_glusterfs" ]; then
    groups="$groups
glusterfs||bench_glusterfs|glusterfs"
else
    skipped "glusterfs: perf/bench_glusterfs not built (libglusterfs-dev missing?); skipped"
fi
# The peers, each in a program of its own, built when configure found its
# library.  bench_gslice names its backend after what GSlice does: GLib
# 2.76 and later have no magazines (g_slice_* is malloc there), so only
# gslice-malloc remains to measure.
if [ -x "$builddir/perf/bench_gslice" ]; then
    if "$builddir/perf/bench_gslice" --benchmark_list_tests \
        --benchmark_filter='^pair/gslice/' >/dev/null 2>&1; then
        groups="$groups
gslice||bench_gslice|gslice"
    else
        skipped "gslice: this GLib has no magazines (2.76 or later: g_slice_* is malloc); only gslice-malloc measured"
    fi
    groups="$groups
gslice-malloc|G_SLICE=always-malloc|bench_gslice|gslice-malloc"
else
    skipped "gslice: libglib2.0-dev is not installed (perf/bench_gslice not built); skipped"
fi
if [ -x "$builddir/perf/bench_tbbmalloc" ]; then
    groups="$groups
tbbmalloc||bench_tbbmalloc|tbbmalloc"
else
    skipped "tbbmalloc: libtbb-dev is not installed (perf/bench_tbbmalloc not built); skipped"
fi
if [ -x "$builddir/perf/bench_dpdk" ]; then
    groups="$groups
dpdk||bench_dpdk|dpdk
dpdk-rts|MAGPOOL_BENCH_DPDK_OPS=ring_mt_rts|bench_dpdk|dpdk-rts"
else
    skipped "dpdk: libdpdk-dev is not installed (perf/bench_dpdk not built); skipped"
fi

field() { echo "$1" | cut -d'|' -f"$2"; }
labels_of() { echo "$1" | cut -d'|' -f4-; }

if [ -n "$only_backends" ]; then
    groups=$(echo "$groups" | awk -F'|' -v re="^($only_backends)\$" 'NR == 1 || $1 ~ re')
fi

cat >"$out/meta.txt" <<EOF
date: $(date '+%Y-%m-%d %H:%M:%S %z')
mode: $mode
magpool: $version
rounds: $rounds
prodcons_rounds: $pc_rounds
growth_rounds: $growth_rounds
min_time: $min_time
sizes: $sizes
threads: $threads
pairs: $pairs
rss_objects: $rss_objects
rss_seconds: $rss_seconds
idle_threads: $idle_threads
idle_wait: $idle_wait
workloads: $workloads
steps: $steps
narrowed: ${partial:-no}
groups: $(echo "$groups" | cut -d'|' -f1 | tr '\n' ' ')
MAGPOOL_SWEEP_MS: $MAGPOOL_SWEEP_MS
kernel: $(uname -sr)
cpus: $(nproc)
cpu: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)
packages: $(dpkg-query -W -f='${Package} ${Version}, ' libc6 libtcmalloc-minimal4 \
    libtcmalloc-minimal4t64 libjemalloc2 libmimalloc2.0 libmimalloc3 libglusterfs0 \
    libglib2.0-0 libglib2.0-0t64 libtbbmalloc2 librte-mempool23 librte-mempool25 \
    libbenchmark-dev 2>/dev/null || true)
EOF

# run_group GROUP-LINE TAG FILTER [EXTRA-ARGS...]: one process; its JSON
# in raw/TAG.json, its console output in raw/TAG.log.
run_group() {
    line=$1 tag=$2 filter=$3
    shift 3
    envs=$(field "$line" 2) prog=$builddir/perf/$(field "$line" 3)
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086
    if env $envs "$prog" \
        --benchmark_filter="$filter" --benchmark_min_time="$min_time" \
        --benchmark_out="$out/raw/$tag.json" --benchmark_out_format=json \
        --sizes=$sizes --threads=$threads --pairs=$pairs "$@" \
        >"$out/raw/$tag.log" 2>&1; then
        :
    else
        rc=$?
        echo "$tag: $(basename "$prog") ${envs:+($envs) }exited with status $rc; see raw/$tag.log" |
            tee -a "$out/failures.txt" >&3
        rm -f "$out/raw/$tag.json"
    fi
    awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1fs", b - a }'
}

# ------------------------------------------------------------ throughput
magpool_line=$(echo "$groups" | head -1)
competitors=$(echo "$groups" | tail -n +2)
# The forced-S pass: magpool (both fast paths), tcmalloc, the bare list;
# only where this kernel lets a process disable speculative store bypass.
forced_groups=""
if ! has_step forced; then
    :
elif why=$("$builddir/perf/bench_magpool" --force_s --benchmark_list_tests 2>&1 >/dev/null); then
    tc=$(echo "$competitors" | grep '^tcmalloc|' || true)
    forced_groups="magpool||bench_magpool|magpool|magpool-inline${tc:+
$tc}
glibc||bench_malloc|tls-list"
else
    echo "forced S pass skipped: $why" | tee -a "$out/failures.txt" >&3
fi
ncomp=$(echo "$competitors" | wc -l)
start=$(date +%s)
all_rounds=$((pc_rounds > rounds ? pc_rounds : rounds))
has_step rounds || all_rounds=0
if [ "$all_rounds" -eq 0 ]; then
    echo "perf: $mode run, no rounds, writing $out"
elif [ "$all_rounds" -gt "$rounds" ]; then
    echo "perf: $mode run, $rounds round(s), then $((all_rounds - rounds)) of producer->consumer alone, writing $out"
else
    echo "perf: $mode run, $rounds round(s), writing $out"
fi
r=1
while [ "$r" -le "$all_rounds" ]; do
    seq=0
    # Past the rounds of every workload: producer->consumer alone, with
    # no forced-S pass (it has no such case).
    wl=$workloads note=""
    if [ "$r" -gt "$rounds" ]; then
        wl=$(echo "$workloads" | tr '|' '\n' | grep -x -e prodcons -e pcread |
            paste -sd'|' -)
        note=" (producer->consumer)"
    fi
    printf 'round %d/%d%s:' "$r" "$all_rounds" "$note"
    # Rotate the competitors' order each round.
    rot=$(( (r - 1) % ncomp ))
    order=$( (echo "$competitors" | tail -n +$((rot + 1)); echo "$competitors" | head -n "$rot") )
    for line in $order; do
        name=$(field "$line" 1)
        mf=$(round_filter "$wl" "$(labels_of "$magpool_line")" "$r")
        cf=$(round_filter "$wl" "$(labels_of "$line")" "$r")
        [ -n "$mf" ] || { printf ' (no workload past the growth rounds)'; break; }
        seq=$((seq + 1))
        tag=$(printf 'r%02d-s%02d-magpool' "$r" "$seq")
        t=$(run_group "$magpool_line" "$tag" "$mf")
        printf ' magpool %s,' "$t"
        seq=$((seq + 1))
        tag=$(printf 'r%02d-s%02d-%s' "$r" "$seq" "$name")
        t=$(run_group "$line" "$tag" "$cf")
        printf ' %s %s,' "$name" "$t"
    done
    # The S mode on demand (fwdmode.h): the hot pair and 1-2 thread
    # batches of magpool, then tcmalloc's and the bare list's.
    if [ -n "$forced_groups" ] && [ "$r" -le "$rounds" ]; then
        for line in $forced_groups; do
            name=$(field "$line" 1) labels=$(labels_of "$line")
            seq=$((seq + 1))
            tag=$(printf 'r%02d-s%02d-%s-forced' "$r" "$seq" "$name")
            t=$(run_group "$line" "$tag" "^(pair/($labels)/[0-9]+|batch/($labels)/[0-9]+/real_time/threads:[12])\$" --force_s)
            printf ' %s (S forced) %s,' "$name" "$t"
        done
    fi
    echo
    r=$((r + 1))
done

# ------------------------------------------------------------------- rss
# The memory workloads' backends: magpool-inline registers only the
# fast-path workloads (workloads.h).
mem_labels() { labels_of "$1" | tr '|' '\n' | grep -vx magpool-inline; }
if has_step rss; then
    printf 'rss: %s objects per backend, %ss timeline, every backend at once...' \
        "$rss_objects" "$rss_seconds"
    for line in $groups; do
        for label in $(mem_labels "$line"); do
            run_group "$line" "rss-$label" "^rss/$label/" --rss_only \
                --rss_objects=$rss_objects --rss_seconds=$rss_seconds \
                --rss_out="$out/rss-%s.tsv" >/dev/null &
        done
    done
    wait
    echo " done"
fi
# ------------------------------------------------------------------ idle
# One process per backend and thread count, started in waves of at most
# IDLE_BUDGET idle threads.
if has_step idle; then
    printf 'idle: %s threads per backend, RSS %ss after the last touch...' \
        "$idle_threads" "$idle_wait"
    inflight=0
    for n in $(echo "$idle_threads" | tr ',' ' '); do
        for line in $groups; do
            for label in $(mem_labels "$line"); do
                if [ "$inflight" -gt 0 ] && [ $((inflight + n)) -gt "$IDLE_BUDGET" ]; then
                    wait
                    inflight=0
                fi
                run_group "$line" "idle-$label-$n" "^idle/$label/$n/" \
                    --rss_only --idle_threads="$n" --idle_wait="$idle_wait" \
                    >/dev/null &
                inflight=$((inflight + n))
            done
        done
    done
    wait
    echo " done"
fi
# ---------------------------------------------------------- instructions
# callgrind's count per get+put pair, a figure beside the times (the
# report shows it; make bench-instr prints the same).
if ! has_step instr; then
    :
elif command -v valgrind >/dev/null && [ -x "$builddir/libtool" ]; then
    printf 'instructions: callgrind, every backend...'
    if sh "$srcdir/perf/instr.sh" --all "$builddir/libtool" "$builddir/perf" \
        >"$out/instr.txt" 2>"$out/instr.log"; then
        echo " done"
    else
        echo " failed"
        echo "instr.sh failed; see instr.log" | tee -a "$out/failures.txt" >&3
    fi
else
    echo "instructions: skipped (valgrind or $builddir/libtool missing)" |
        tee -a "$out/failures.txt" >&3
fi
elapsed=$(( $(date +%s) - start ))
echo "elapsed: ${elapsed} s" >>"$out/meta.txt"
echo "perf: measured in ${elapsed}s"

if [ -n "$partial" ]; then
    python3 "$srcdir/perf/summarize.py" "$out"
    echo "perf: $out/summary.md (a narrowed run: $results/LATEST.md left alone)"
else
    python3 "$srcdir/perf/summarize.py" "$out" --latest "$results"
    echo "perf: $out/summary.md (also $results/LATEST.md)"
fi
if grep -q 'exited with status' "$out/failures.txt"; then
    echo "perf: some benchmark processes failed; see $out/failures.txt" >&2
    exit 1
fi
