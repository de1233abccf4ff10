#!/bin/bash
# perf/gluster/bench.sh - GlusterFS 10.3 with its own pool, with magpool
# (preloaded or linked into glusterfsd), and with no pool at all (malloc:
# glibc's or tcmalloc), compared.
#
# Five configurations, the environment put on glusterd (so on the brick it
# spawns) and on the clients:
#   stock        Debian's GlusterFS pool, no preload
#   magpool      LD_PRELOAD=$MAGPOOL_PRELOAD
#   passthrough  the same with MAGPOOL_DISABLE=1: every get is a malloc and
#                every put a free, glibc's
#   tcmalloc     LD_PRELOAD="$MAGPOOL_PRELOAD libtcmalloc_minimal.so.4" and
#                MAGPOOL_DISABLE=1: upstream GlusterFS 10's default (pool
#                compiled out, tcmalloc), on Debian's binaries
#   static       no preload; glusterfsd rebuilt with magpool linked in
#                ($MAGPOOL_GLUSTERFSD, make glusterfsd) bind-mounted over
#                /usr/sbin/glusterfsd in a private mount namespace: glusterd
#                and the brick run magpool, the clients Debian's own pool
#                (their columns compare with stock's)
# Each run of a configuration gets a fresh glusterd and one-brick volume
# (lib.sh, as run.sh) and two gfapi clients, one after the other:
#   fio        16 MiB written once (1 MiB blocks), then 4k random read/write
#              50/50 at iodepth 1 for $MAGPOOL_BENCH_FIO_SECS seconds: IOPS
#   smallfiles smallfiles.c, 4 threads x $MAGPOOL_BENCH_FILES files x 2
#              rounds of create, write, stat, read, verify, unlink: files/s
#   metadata   metadata.c (after the brick figures above are taken), 8
#              threads, $MAGPOOL_BENCH_MD_FILES files in all: create, stat,
#              list, $MAGPOOL_BENCH_MD_IDLE s idle, unlink, idle again; the
#              brick's and the client's RSS and CPU sampled every second
#              through every phase (md.samples in each run's directory):
#              per-phase rates, brick CPU per 1000 operations, RSS peak,
#              after the first idle and at the end; RSS over time plotted
#              per configuration (metadata-*-rss.png).  0 files: skipped.
#   mux        (runs of their own, after the round's runs above: one
#              per configuration and volume count N in
#              $MAGPOOL_BENCH_MUX_VOLS; 0: none) a glusterd with
#              cluster.brick-multiplex on and N one-brick volumes in one
#              glusterfsd; metadata.c on each volume in turn (8 threads,
#              $MAGPOOL_BENCH_MUX_FILES files, no idle phases), then
#              $MAGPOOL_BENCH_MUX_IDLE s idle; the brick's RSS sampled
#              every second (mux.samples), its threads, its CPU over the
#              load (all, system, magpool's sweeper thread) and minor page
#              faults per 1000 operations, RSS before and
#              after the load and after the idle time, its smaps then
#              (smaps.load, smaps.end), a statedump after the idle time;
#              the seconds to start the N volumes, of the load and of the
#              whole run; RSS over time plotted per configuration at the
#              largest N (mux-brick-rss.png), and, with two counts or
#              more, RSS after the load and after the idle time against N
#              (mux-volumes.png)
# and measures the brick (CPU seconds, utime + stime from /proc/PID/stat,
# read 3 s after the last client ended and just before the volume stops;
# peak RSS, VmHWM; RSS then, VmRSS) and each client process (CPU seconds
# and peak RSS from wait4(), through GNU time).  MAGPOOL_SWEEP_MS=1000 in
# every configuration, so magpool's sweeper has run in those 3 s.
# Every run checks that its processes map what the configuration says, and
# afterwards, from MAGPOOL_STATS, that magpool (or, disabled, malloc) served
# the brick's and both clients' pools.
#
# $MAGPOOL_BENCH_ROUNDS rounds run every configuration once, the order
# rotated by one each round so that drifting noise hits all alike, then
# the brick-multiplexing runs: each volume count in turn, every
# configuration at it, the order rotated by one per count and round.  The
# medians and ranges go to stdout and to RESULTS.md (the brick
# multiplexing: one row per volume count and configuration, with each
# run's wall time and the total), every run's numbers to RESULTS.csv, one
# row per run (in $MAGPOOL_BENCH_OUT).
#
# Run as root, from the repository root (`make bench-gluster`: 3 rounds,
# brick multiplexing at 6 volumes, about 95 minutes with the static
# configuration):
#   MAGPOOL_PRELOAD=/abs/path/libmagpool-preload.so bash perf/gluster/bench.sh
#
# The brick-multiplexing curve alone (`make bench-gluster-mux`:
# MAGPOOL_BENCH_ONLY=mux; one round at 6, 12 and 24 volumes, no
# single-volume runs; results in perf/results/gluster-mux, so the full
# run's report stays; about 95 minutes for the five configurations on
# the 2-core VM, 60 on a quiet one):
#   MAGPOOL_BENCH_ONLY=mux MAGPOOL_PRELOAD=... bash perf/gluster/bench.sh
# A quick check of it (about 3 minutes):
#   MAGPOOL_BENCH_ONLY=mux MAGPOOL_BENCH_CONFIGS="stock magpool" \
#   MAGPOOL_BENCH_MUX_VOLS="2 3" MAGPOOL_BENCH_MUX_FILES=800 \
#   MAGPOOL_BENCH_MUX_IDLE=5 MAGPOOL_BENCH_OUT=/tmp/mux MAGPOOL_PRELOAD=... \
#   bash perf/gluster/bench.sh
#
# Environment:
#   MAGPOOL_PRELOAD          the shim (required, absolute path)
#   MAGPOOL_BENCH_ONLY       mux: the brick-multiplexing runs alone, and
#                            the defaults below marked "curve" (empty:
#                            everything)
#   MAGPOOL_BENCH_ROUNDS     rounds (3; curve: 1)
#   MAGPOOL_GLUSTERFSD       the rebuilt glusterfsd (absolute path); the
#                            static configuration runs only with it
#   MAGPOOL_BENCH_CONFIGS    configurations to run, in round-1 order
#                            ("stock magpool passthrough tcmalloc", and
#                            static when MAGPOOL_GLUSTERFSD is set)
#   MAGPOOL_BENCH_FIO_SECS   fio's random read/write time, seconds (10)
#   MAGPOOL_BENCH_FILES      smallfiles files per thread and round (200)
#   MAGPOOL_BENCH_MD_FILES   metadata files in all (50000; 0: no metadata)
#   MAGPOOL_BENCH_MD_IDLE    metadata idle phases, seconds (60)
#   MAGPOOL_BENCH_MUX_VOLS   volume counts of the multiplexed brick, a
#                            list, one run per configuration, count and
#                            round ("6"; curve: "6 12 24"; "0": no
#                            brick-multiplexing runs)
#   MAGPOOL_BENCH_MUX_FILES  metadata files per volume there (8000)
#   MAGPOOL_BENCH_MUX_IDLE   idle time after that load, seconds (60)
#   MAGPOOL_BENCH_OUT        where RESULTS.md, RESULTS.csv and the plots
#                            go (../results/gluster; curve:
#                            ../results/gluster-mux)
#   MAGPOOL_GLUSTER_KEEP     1: keep the working directory (logs of each run)
#
# `bench.sh --one CONFIG DIR SMALLFILES METADATA` and `bench.sh --mux
# CONFIG DIR METADATA VOLUMES` are the internal entries of one run.
#
# A run that fails (a crash, a client error, a configuration that is not
# what it claims) is reported and left out of the medians; the others go
# on.  Exit status: 0 when every run succeeded, 1 otherwise.
#
# Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).

set -Eeuo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Set-up, clients and teardown are the end-to-end test's.
# shellcheck source=tests/gluster/lib.sh
. "$HERE/../../tests/gluster/lib.sh"
PRELOAD=${MAGPOOL_PRELOAD-}
TCMALLOC=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4
ONLY=${MAGPOOL_BENCH_ONLY-}
if [ "$ONLY" = mux ]; then
    # The brick-multiplexing curve alone: one round, three volume counts,
    # its own results directory (the full run's report stays).
    ROUNDS=${MAGPOOL_BENCH_ROUNDS:-1}
    MUX_VOLS=${MAGPOOL_BENCH_MUX_VOLS:-6 12 24}
    OUT=${MAGPOOL_BENCH_OUT:-$HERE/../results/gluster-mux}
else
    ROUNDS=${MAGPOOL_BENCH_ROUNDS:-3}
    MUX_VOLS=${MAGPOOL_BENCH_MUX_VOLS:-6}
    OUT=${MAGPOOL_BENCH_OUT:-$HERE/../results/gluster}
fi
# The volume counts, in the order given; "0" (alone): none.
read -r -a MUX_LIST <<<"$MUX_VOLS"
[ "${MUX_LIST[*]}" != 0 ] || MUX_LIST=()
GLUSTERFSD=${MAGPOOL_GLUSTERFSD-}
DEFAULT_CONFIGS="stock magpool passthrough tcmalloc${GLUSTERFSD:+ static}"
read -r -a CONFIGS <<<"${MAGPOOL_BENCH_CONFIGS:-$DEFAULT_CONFIGS}"
FIO_SECS=${MAGPOOL_BENCH_FIO_SECS:-10}
FILES=${MAGPOOL_BENCH_FILES:-200}
KEEP=${MAGPOOL_GLUSTER_KEEP:-0}
SF_THREADS=4
MD_FILES=${MAGPOOL_BENCH_MD_FILES:-50000}
MD_IDLE=${MAGPOOL_BENCH_MD_IDLE:-60}
MD_THREADS=8
MUX_FILES=${MAGPOOL_BENCH_MUX_FILES:-8000}
MUX_IDLE=${MAGPOOL_BENCH_MUX_IDLE:-60}
SF_ROUNDS=2
SETTLE_SECS=3

# ===================================================================
# One run (bench.sh --one CONFIG DIR SMALLFILES): a glusterd, a volume,
# both clients, the measurements; writes DIR/result (KEY=VALUE lines).
# ===================================================================

# The fields of /proc stat file $1 (a process's or a thread's) after the
# command name, which ends at the last ')': state is the first, minflt
# the 8th, utime the 12th, stime the 13th.
stat_fields() {
    local stat
    stat=$(cat "$1") || die "cannot read $1"
    echo "${stat##*) }"
}

# CPU seconds (utime + stime) so far of the process or thread whose stat
# file is $1.
stat_cpu_secs() {
    local f
    f=$(stat_fields "$1") || exit 1
    awk -v tck="$(getconf CLK_TCK)" '{ printf "%.2f", ($12 + $13) / tck }' \
        <<<"$f"
}

# CPU seconds (utime + stime) of process $1 so far.
cpu_secs() { stat_cpu_secs "/proc/$1/stat"; }

# System CPU seconds (stime) and minor page faults (minflt) of process $1
# so far, as "SYS FAULTS": the kernel's share of the brick's time, and the
# pages it had to map (a page given back and touched again is one fault).
sys_faults() {
    local f
    f=$(stat_fields "/proc/$1/stat") || exit 1
    awk -v tck="$(getconf CLK_TCK)" '{ printf "%.2f %d", $13 / tck, $8 }' \
        <<<"$f"
}

# CPU seconds (utime + stime) of magpool's sweeper thread (named
# magpool-sweep) in process $1 so far; 0 when the process has none.
sweeper_secs() {
    local t
    for t in /proc/"$1"/task/*; do
        [ "$(cat "$t/comm" 2>/dev/null)" = magpool-sweep ] || continue
        stat_cpu_secs "$t/stat"
        return
    done
    echo 0
}

# Field $2 (VmHWM, VmRSS) of process $1's status, in KiB.
vm_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# check_libs PID WHO: process PID maps the shim and tcmalloc exactly when
# the configuration preloads them, and has MAGPOOL_DISABLE=1 exactly when
# the configuration disables magpool.
check_libs() {
    local pid=$1 who=$2 want_shim=1 want_tc=0 want_off=1 has
    case $CFG in
    stock | static) want_shim=0 want_off=0 ;;
    magpool) want_off=0 ;;
    tcmalloc) want_tc=1 ;;
    esac
    has=$(grep -cF "$PRELOAD_REAL" "/proc/$pid/maps" || true)
    [ $((has > 0)) = "$want_shim" ] ||
        die "$who (pid $pid) maps the shim $has times, want $want_shim"
    has=$(grep -cF "$TCMALLOC_REAL" "/proc/$pid/maps" || true)
    [ $((has > 0)) = "$want_tc" ] ||
        die "$who (pid $pid) maps tcmalloc $has times, want $want_tc"
    has=$(tr '\0' '\n' <"/proc/$pid/environ" | grep -cx MAGPOOL_DISABLE=1 ||
          true)
    [ "$has" = "$want_off" ] ||
        die "$who (pid $pid) has MAGPOOL_DISABLE=1 $has times, want $want_off"
}

# served_by_magpool STATSFILE: 1 when magpool mapped chunks for the
# process's pools, 0 when it mapped none (MAGPOOL_DISABLE=1: malloc did).
served_by_magpool() {
    awk -F= '$1 == "chunk-maps" { n += $2 } END { print (n > 0) }' "$1"
}

# fio's terse v3 line for job $1: field 6 read KiB, 8 read IOPS, 47 write
# KiB, 49 write IOPS.
fio_field() {
    awk -F';' -v job="$1" -v f="$2" '$1 == 3 && $3 == job { print $f }' \
        "$W/log/fio.out"
}

# wrap NAME: measure the next client with GNU time; the client's own pid
# (for its MAGPOOL_STATS file) goes to $W/cpid.NAME.
wrap() {
    # shellcheck disable=SC2016,SC2034 # $$, $0: the inner sh's; lib.sh reads it
    CLIENT_WRAP=(/usr/bin/time -o "$W/time.$1" -f '%e %U %S %M'
                 sh -c 'echo $$ >"$0"; exec "$@"' "$W/cpid.$1")
}

one_on_exit() {
    local rc=$?
    trap - EXIT ERR
    set +e
    end_run "$rc"
    rm -rf "$W/brick"
    exit "$FAILED"
}

# sample_rss OUT BRICK CPIDFILE: every second, "unix_time brick_rss_kib
# brick_cpu_s client_rss_kib client_cpu_s" (client fields - until the
# client's pid is in CPIDFILE), until killed.
sample_rss() {
    local out=$1 brick=$2 cpidf=$3 c crss ccpu
    while :; do
        c=$(cat "$cpidf" 2>/dev/null || true)
        crss=- ccpu=-
        if [ -n "$c" ] && alive "$c"; then
            crss=$(vm_kib "$c" VmRSS 2>/dev/null || echo -)
            ccpu=$(cpu_secs "$c" 2>/dev/null || echo -)
        fi
        echo "$(date +%s.%N | cut -c1-14) $(vm_kib "$brick" VmRSS) $(cpu_secs "$brick") $crss $ccpu" >>"$out"
        sleep 1
    done
}

# md_results SAMPLES PHASES: the metadata figures, KEY=VALUE lines.
md_results() {
    awk -v files="$MD_FILES" '
        FNR == NR { if ($1 == "phase") { ps[$2] = $3; pe[$2] = $4; po[$2] = $5; perr[$2] = $6 } next }
        { t[n] = $1; br[n] = $2; bc[n] = $3; cr[n] = $4; n++ }
        # the last sample at or before time x
        function at(a, x,   i, v) { v = ""; for (i = 0; i < n; i++) if (t[i] <= x) v = a[i]; return v }
        function peak(a,   i, m) { m = 0; for (i = 0; i < n; i++) if (a[i] != "-" && a[i] + 0 > m) m = a[i] + 0; return m }
        END {
            split("create stat list unlink", ph, " ")
            ops = 0
            for (i = 1; i <= 4; i++) {
                p = ph[i]; d = pe[p] - ps[p]
                printf "md_%s_ops_s=%.0f\n", p, (d > 0 ? po[p] / d : 0)
                ops += po[p]; errs += perr[p]
            }
            cpu = at(bc, pe["unlink"]) - at(bc, ps["create"])
            printf "md_ops=%d\nmd_errors=%d\n", ops, errs
            printf "md_brick_cpu_per_kop=%.3f\n", (ops ? cpu * 1000 / ops : 0)
            printf "md_brick_rss_peak_kib=%d\nmd_client_rss_peak_kib=%d\n", peak(br), peak(cr)
            printf "md_brick_rss_idle_kib=%d\nmd_client_rss_idle_kib=%d\n", at(br, pe["idle"]), at(cr, pe["idle"])
            printf "md_brick_rss_end_kib=%d\nmd_client_rss_end_kib=%d\n", at(br, pe["idle2"]), at(cr, pe["idle2"])
        }' "$2" "$1"
}

# config_env: GF_ENV (and PRELOAD) for configuration $CFG, its
# MAGPOOL_STATS files in $W; static: bind-mount $GLUSTERFSD.
config_env() {
    GF_ENV=(MAGPOOL_SWEEP_MS=1000)
    case $CFG in
    stock) PRELOAD= ;;
    static)
        PRELOAD=
        [ "$(readlink /proc/self/ns/mnt)" != "$(readlink /proc/1/ns/mnt)" ] ||
            die "static: not in a private mount namespace"
        mount --bind "$GLUSTERFSD" /usr/sbin/glusterfsd ||
            die "static: cannot bind-mount $GLUSTERFSD over /usr/sbin/glusterfsd"
        GF_ENV+=(MAGPOOL_STATS="$W/stats.%p")
        ;;
    magpool) GF_ENV+=(LD_PRELOAD="$PRELOAD") ;;
    passthrough) GF_ENV+=(LD_PRELOAD="$PRELOAD" MAGPOOL_DISABLE=1) ;;
    tcmalloc) GF_ENV+=(LD_PRELOAD="$PRELOAD $TCMALLOC" MAGPOOL_DISABLE=1) ;;
    *) die "unknown configuration $CFG" ;;
    esac
    [ -n "$PRELOAD" ] && GF_ENV+=(MAGPOOL_STATS="$W/stats.%p")
    return 0
}

# check_config: glusterd and the brick run what configuration $CFG says.
check_config() {
    check_libs "$GD_PID" glusterd
    # shellcheck disable=SC2153 # gf_start sets BRICK
    check_libs "$BRICK" brick
    if [ "$CFG" = static ]; then
        cmp -s "/proc/$BRICK/exe" "$GLUSTERFSD" ||
            die "static: the brick does not run $GLUSTERFSD"
    fi
}

# run_begin CONFIG DIR: what every run (one_run, mux_run) does first: the
# configuration, its checks, the traps that tear the run down, $W.
run_begin() {
    CFG=$1
    W=$2
    check_preload
    TCMALLOC_REAL=$(readlink -f "$TCMALLOC")
    trap one_on_exit EXIT
    trap 'die "line $LINENO: \"$BASH_COMMAND\" failed"' ERR
    trap 'die "interrupted"' INT TERM
    config_env
    gf_workdir
}

one_run() {
    local sf=$3 md=$4 t_start=$SECONDS
    run_begin "$1" "$2"
    say "$CFG: working directory $W, namespace $NS, volume $VOL"
    gf_start
    check_config
    gf_mark_fio_log

    say "fio: 16 MiB write, then ${FIO_SECS} s 4k randrw 50/50, iodepth 1"
    wrap fio
    client fio 150 fio --output-format=terse --terse-version=3 \
        --thread --ioengine=gfapi --volume="$VOL" --brick="$HOST" \
        --filename=bench-fio.dat --size=16m --iodepth=1 \
        --name=fill --rw=write --bs=1m \
        --name=mixed --stonewall --rw=randrw --rwmixread=50 --bs=4k \
        --time_based --runtime="$FIO_SECS"
    [ "$(fio_field fill 5)$(fio_field mixed 5)" = 00 ] ||
        die "fio reported an error (see $W/log/fio.out)"
    local rkib wkib riops wiops
    rkib=$(fio_field mixed 6) wkib=$(fio_field mixed 47)
    riops=$(fio_field mixed 8) wiops=$(fio_field mixed 49)
    if [ "$rkib" = 0 ] || [ "$wkib" = 0 ]; then
        die "fio's mixed job did no reads or no writes"
    fi
    alive "$BRICK" || die "the brick died during fio"
    local brick_cpu_fio brick_rss_fio
    brick_cpu_fio=$(cpu_secs "$BRICK")
    brick_rss_fio=$(vm_kib "$BRICK" VmRSS)
    say "  fio: $riops + $wiops IOPS; brick $brick_cpu_fio CPU s"

    say "smallfiles: $SF_THREADS threads x $FILES files x $SF_ROUNDS rounds"
    wrap smallfiles
    client smallfiles 150 "$sf" "$HOST" "$VOL" "$W/log/smallfiles.log" \
        "$SF_THREADS" "$FILES" "$SF_ROUNDS"
    local sf_line sf_ops sf_secs
    sf_line=$(grep '^smallfiles: .* operations in ' "$W/log/smallfiles.out") ||
        die "smallfiles printed no result line"
    say "  $sf_line"
    [[ $sf_line =~ :\ ([0-9]+)\ operations\ in\ ([0-9.]+)\ s ]] ||
        die "cannot parse: $sf_line"
    sf_ops=${BASH_REMATCH[1]} sf_secs=${BASH_REMATCH[2]}
    alive "$BRICK" || die "the brick died during smallfiles"

    sleep "$SETTLE_SECS"
    local brick_cpu brick_hwm brick_rss
    brick_cpu=$(cpu_secs "$BRICK")
    brick_hwm=$(vm_kib "$BRICK" VmHWM)
    brick_rss=$(vm_kib "$BRICK" VmRSS)
    say "  brick: $brick_cpu CPU s, VmHWM $brick_hwm KiB, VmRSS $brick_rss KiB"

    if [ "$MD_FILES" -gt 0 ]; then
        say "metadata: $MD_THREADS threads x $((MD_FILES / MD_THREADS)) files, idle $MD_IDLE s"
        wrap metadata
        sample_rss "$W/md.samples" "$BRICK" "$W/cpid.metadata" &
        local sampler=$!
        client metadata $((MD_IDLE * 2 + 900)) "$md" "$HOST" "$VOL" \
            "$W/log/metadata.log" "$MD_THREADS" $((MD_FILES / MD_THREADS)) "$MD_IDLE"
        kill "$sampler" 2>/dev/null || true
        wait "$sampler" 2>/dev/null || true
        grep '^phase ' "$W/log/metadata.out" >"$W/md.phases" ||
            die "metadata printed no phases"
        md_results "$W/md.samples" "$W/md.phases" >"$W/md.result"
        grep -q '^md_errors=0$' "$W/md.result" || die "metadata reported errors"
        say "  metadata: $(tr '\n' ' ' <"$W/md.result")"
        alive "$BRICK" || die "the brick died during metadata"
    fi

    local brick=$BRICK fio_pid sf_pid
    fio_pid=$(cat "$W/cpid.fio") sf_pid=$(cat "$W/cpid.smallfiles")
    teardown
    alive "$brick" && die "brick $brick survived the teardown"
    local crashes
    crashes=$(crash_logs)
    [ -z "$crashes" ] || die "crash reported in: $crashes"

    local version=
    if [ "$CFG" = static ]; then
        [ "$(served_by_magpool "$W/stats.$brick" 2>/dev/null)" = 1 ] ||
            die "static: the brick's MAGPOOL_STATS shows no magpool chunk"
        for pid in "$fio_pid" "$sf_pid"; do
            [ ! -e "$W/stats.$pid" ] || die "static: client pid $pid ran magpool"
        done
        version=$(sed -n '1s/^# magpool \([^ ]*\) statistics.*/\1/p' \
            "$W/stats.$brick")
    elif [ -n "$PRELOAD" ]; then
        local want=1 pid f
        [ "$CFG" = magpool ] || want=0
        for pid in "$brick" "$fio_pid" "$sf_pid"; do
            f=$W/stats.$pid
            [ -s "$f" ] || die "no MAGPOOL_STATS file for pid $pid"
            [ "$(served_by_magpool "$f")" = "$want" ] ||
                die "$f: magpool mapped chunks: $(served_by_magpool "$f"), want $want"
        done
        version=$(sed -n '1s/^# magpool \([^ ]*\) statistics.*/\1/p' \
            "$W/stats.$brick")
    fi

    local fio_t sf_t
    read -r -a fio_t <"$W/time.fio"
    read -r -a sf_t <"$W/time.smallfiles"
    {
        echo "config=$CFG"
        echo "status=ok"
        echo "fio_read_iops=$riops"
        echo "fio_write_iops=$wiops"
        echo "fio_iops=$(awk -v a="$riops" -v b="$wiops" 'BEGIN { printf "%.0f", a + b }')"
        echo "fio_ios=$(((rkib + wkib) / 4))"
        echo "sf_files=$((SF_THREADS * FILES * SF_ROUNDS))"
        echo "sf_ops=$sf_ops"
        echo "sf_secs=$sf_secs"
        echo "sf_files_per_s=$(awk -v n=$((SF_THREADS * FILES * SF_ROUNDS)) -v s="$sf_secs" 'BEGIN { printf "%.0f", n / s }')"
        echo "sf_ops_per_s=$(awk -v n="$sf_ops" -v s="$sf_secs" 'BEGIN { printf "%.0f", n / s }')"
        echo "brick_cpu_s=$brick_cpu"
        echo "brick_cpu_fio_s=$brick_cpu_fio"
        echo "brick_cpu_sf_s=$(awk -v a="$brick_cpu" -v b="$brick_cpu_fio" 'BEGIN { printf "%.2f", a - b }')"
        echo "brick_hwm_kib=$brick_hwm"
        echo "brick_rss_kib=$brick_rss"
        echo "brick_rss_after_fio_kib=$brick_rss_fio"
        echo "fio_cpu_s=$(awk -v u="${fio_t[1]}" -v s="${fio_t[2]}" 'BEGIN { printf "%.2f", u + s }')"
        echo "fio_wall_s=${fio_t[0]}"
        echo "fio_maxrss_kib=${fio_t[3]}"
        echo "sf_cpu_s=$(awk -v u="${sf_t[1]}" -v s="${sf_t[2]}" 'BEGIN { printf "%.2f", u + s }')"
        echo "sf_wall_s=${sf_t[0]}"
        echo "sf_maxrss_kib=${sf_t[3]}"
        echo "magpool_version=$version"
        [ ! -f "$W/md.result" ] || cat "$W/md.result"
        echo "run_s=$((SECONDS - t_start))"
    } >"$W/result"
    say "$CFG: done in $((SECONDS - t_start)) s"
}

# ===================================================================
# One brick-multiplexing run (bench.sh --mux CONFIG DIR METADATA VOLUMES):
# a glusterd with cluster.brick-multiplex on, VOLUMES volumes in one
# glusterfsd, metadata.c on each volume in turn, then idle; the brick's RSS
# sampled every second (DIR/mux.samples); writes DIR/result (mux_ keys).
# ===================================================================

# threads PID: the number of threads of process PID.
threads_of() { awk '$1 == "Threads:" { print $2 }' "/proc/$1/status"; }

mux_run() {
    local md=$3 nvols=$4 t_start=$SECONDS i v
    run_begin "$1" "$2"
    say "$CFG: brick multiplexing, $nvols volumes; working directory $W, namespace $NS"
    gf_start_mux "$nvols"
    local start_s=$((SECONDS - t_start))
    check_config
    local threads0 rss0 cpu0
    threads0=$(threads_of "$BRICK") rss0=$(vm_kib "$BRICK" VmRSS)
    cpu0=$(cpu_secs "$BRICK")
    local sf0 sw0
    sf0=$(sys_faults "$BRICK") sw0=$(sweeper_secs "$BRICK")
    say "  brick $BRICK: $threads0 threads, VmRSS $rss0 KiB before any load" \
        "($nvols volumes started in $start_s s)"

    : >"$W/cpid.none"
    sample_rss "$W/mux.samples" "$BRICK" "$W/cpid.none" &
    local sampler=$! t_load=$SECONDS
    : >"$W/mux.phases"
    for ((i = 1; i <= nvols; i++)); do
        v=$VOL-$i
        client "mux$i" 900 "$md" "$HOST" "$v" "$W/log/mux$i.log" \
            "$MD_THREADS" $((MUX_FILES / MD_THREADS)) 0
        grep '^phase ' "$W/log/mux$i.out" | sed "s/^/$i /" >>"$W/mux.phases" ||
            die "metadata on $v printed no phases"
        alive "$BRICK" || die "the brick died during the load on $v"
        say "  $v: $(awk '$2 == "phase" { printf "%s %d/%d ", $3, $6, $7 }' <(grep "^$i " "$W/mux.phases")) VmRSS $(vm_kib "$BRICK" VmRSS) KiB"
    done
    local load_s=$((SECONDS - t_load)) rss_load hwm_load threads_load cpu_load
    rss_load=$(vm_kib "$BRICK" VmRSS) hwm_load=$(vm_kib "$BRICK" VmHWM)
    threads_load=$(threads_of "$BRICK") cpu_load=$(cpu_secs "$BRICK")
    local sf_load sw_load
    sf_load=$(sys_faults "$BRICK") sw_load=$(sweeper_secs "$BRICK")
    cp "/proc/$BRICK/smaps" "$W/smaps.load" 2>/dev/null || true
    say "  after the load ($load_s s): $threads_load threads, VmRSS $rss_load KiB, VmHWM $hwm_load KiB"
    sleep "$MUX_IDLE"
    # The peak: over the load and the idle time (the RSS can grow there).
    local rss_end cpu_end hwm_end
    rss_end=$(vm_kib "$BRICK" VmRSS) cpu_end=$(cpu_secs "$BRICK")
    hwm_end=$(vm_kib "$BRICK" VmHWM)
    cp "/proc/$BRICK/smaps" "$W/smaps.end" 2>/dev/null || true
    # After the figures: a statedump itself grows the brick by 2-4 MiB.
    gcli volume statedump "$VOL-1" >/dev/null || say "statedump failed"
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    say "  after $MUX_IDLE s idle: VmRSS $rss_end KiB, VmHWM $hwm_end KiB"
    local ops errors
    ops=$(awk '$2 == "phase" { n += $6 } END { print n + 0 }' "$W/mux.phases")
    errors=$(awk '$2 == "phase" { n += $7 } END { print n + 0 }' "$W/mux.phases")
    [ "$errors" = 0 ] || die "metadata reported $errors errors"

    local brick=$BRICK t_stop=$SECONDS version=
    teardown
    alive "$brick" && die "brick $brick survived the teardown"
    local stop_s=$((SECONDS - t_stop))
    local crashes
    crashes=$(crash_logs)
    [ -z "$crashes" ] || die "crash reported in: $crashes"
    if [ -n "$PRELOAD" ] || [ "$CFG" = static ]; then
        local want=1
        case $CFG in passthrough | tcmalloc) want=0 ;; esac
        [ -s "$W/stats.$brick" ] || die "no MAGPOOL_STATS file for the brick"
        [ "$(served_by_magpool "$W/stats.$brick")" = "$want" ] ||
            die "the brick's MAGPOOL_STATS: magpool mapped chunks: $(served_by_magpool "$W/stats.$brick"), want $want"
        version=$(sed -n '1s/^# magpool \([^ ]*\) statistics.*/\1/p' "$W/stats.$brick")
    fi
    {
        echo "mux_status=ok"
        echo "mux_volumes=$nvols"
        echo "mux_ops=$ops"
        echo "mux_ops_s=$(awk -v n="$ops" -v s="$load_s" 'BEGIN { printf "%.0f", n / (s > 0 ? s : 1) }')"
        echo "mux_brick_cpu_per_kop=$(awk -v a="$cpu_load" -v b="$cpu0" -v n="$ops" 'BEGIN { printf "%.3f", (a - b) * 1000 / n }')"
        awk -v a="$sf_load" -v b="$sf0" -v n="$ops" 'BEGIN {
            split(a, x, " "); split(b, y, " ")
            printf "mux_brick_sys_per_kop=%.3f\n", (x[1] - y[1]) * 1000 / n
            printf "mux_brick_faults_per_kop=%.1f\n", (x[2] - y[2]) * 1000 / n
        }'
        echo "mux_brick_sweeper_per_kop=$(awk -v a="$sw_load" -v b="$sw0" -v n="$ops" 'BEGIN { printf "%.3f", (a - b) * 1000 / n }')"
        echo "mux_brick_threads_start=$threads0"
        echo "mux_brick_threads=$threads_load"
        echo "mux_brick_rss_start_kib=$rss0"
        echo "mux_brick_rss_load_kib=$rss_load"
        echo "mux_brick_hwm_load_kib=$hwm_load"
        echo "mux_brick_hwm_kib=$hwm_end"
        echo "mux_brick_rss_end_kib=$rss_end"
        echo "mux_brick_cpu_s=$cpu_end"
        echo "mux_start_s=$start_s"
        echo "mux_load_s=$load_s"
        echo "mux_stop_s=$stop_s"
        echo "mux_run_s=$((SECONDS - t_start))"
        echo "magpool_version=$version"
    } >"$W/result"
    say "$CFG: $nvols volumes done in $((SECONDS - t_start)) s" \
        "(start $start_s, load $load_s, idle $MUX_IDLE, teardown $stop_s)"
}

if [ "${1-}" = --one ]; then
    shift
    one_run "$@"
    exit 0
fi
if [ "${1-}" = --mux ]; then
    shift
    mux_run "$@"
    exit 0
fi

# ===================================================================
# The benchmark: rounds of runs, then the tables.
# ===================================================================

# RESULTS.csv: one row per run, "round,position,config,run,volumes" (run:
# single or mux; volumes: the brick-multiplexing run's), then the columns
# below: a single-volume run's, then a brick-multiplexing run's (a row
# leaves the other kind's empty).
COLUMNS=(status fio_iops fio_read_iops fio_write_iops fio_ios
         sf_files_per_s sf_ops_per_s sf_files sf_ops sf_secs
         brick_cpu_s brick_cpu_fio_s brick_cpu_sf_s
         brick_hwm_kib brick_rss_kib brick_rss_after_fio_kib
         fio_cpu_s fio_wall_s fio_maxrss_kib sf_cpu_s sf_wall_s sf_maxrss_kib
         md_create_ops_s md_stat_ops_s md_list_ops_s md_unlink_ops_s md_ops
         md_brick_cpu_per_kop md_brick_rss_peak_kib md_brick_rss_idle_kib
         md_brick_rss_end_kib md_client_rss_peak_kib md_client_rss_idle_kib
         md_client_rss_end_kib
         run_s)
MUX_COLUMNS=(mux_status mux_ops mux_ops_s mux_brick_cpu_per_kop
             mux_brick_sys_per_kop mux_brick_faults_per_kop
             mux_brick_sweeper_per_kop
             mux_brick_threads_start mux_brick_threads mux_brick_rss_start_kib
             mux_brick_rss_load_kib mux_brick_hwm_load_kib mux_brick_hwm_kib
             mux_brick_rss_end_kib
             mux_brick_cpu_s mux_start_s mux_load_s mux_stop_s mux_run_s
             mux_wall_s)

TOP=
bench_on_exit() {
    local rc=$?
    trap - EXIT ERR
    set +e
    if [ -n "$TOP" ] && [ -d "$TOP" ]; then
        if [ "$KEEP" = 1 ]; then
            say "kept $TOP"
        else
            rm -rf "$TOP"
        fi
    fi
    exit "$rc"
}
trap bench_on_exit EXIT
trap 'die "line $LINENO: \"$BASH_COMMAND\" failed"' ERR
trap 'die "interrupted"' INT TERM

[ -n "$PRELOAD" ] || die "MAGPOOL_PRELOAD must name the shim (an absolute path)"
check_preload
case $ONLY in '' | mux) ;; *) die "bad MAGPOOL_BENCH_ONLY '$ONLY' (empty, or mux)" ;; esac
case $ROUNDS in '' | *[!0-9]* | 0) die "bad MAGPOOL_BENCH_ROUNDS '$ROUNDS'" ;; esac
for v in MUX_FILES MUX_IDLE MD_FILES MD_IDLE; do
    case ${!v} in '' | *[!0-9]*) die "bad MAGPOOL_BENCH_$v '${!v}' (a number)" ;; esac
done
for v in "${MUX_LIST[@]}"; do
    case $v in '' | *[!0-9]* | 0*)
        die "bad MAGPOOL_BENCH_MUX_VOLS '$MUX_VOLS' (volume counts from 1, or 0 alone)" ;;
    esac
done
[ "$(printf '%s\n' "${MUX_LIST[@]}" | sort | uniq -d)" = "" ] ||
    die "MAGPOOL_BENCH_MUX_VOLS '$MUX_VOLS' names a volume count twice"
[ "$ONLY" != mux ] || [ ${#MUX_LIST[@]} -gt 0 ] ||
    die "MAGPOOL_BENCH_ONLY=mux needs volume counts in MAGPOOL_BENCH_MUX_VOLS"
[ ${#MUX_LIST[@]} = 0 ] || [ "$MUX_FILES" -ge "$MD_THREADS" ] ||
    die "MAGPOOL_BENCH_MUX_FILES must be at least $MD_THREADS"
for c in "${CONFIGS[@]}"; do
    case $c in stock | magpool | passthrough | tcmalloc) ;;
    static)
        [ -n "$GLUSTERFSD" ] && [ -x "$GLUSTERFSD" ] ||
            die "configuration static needs MAGPOOL_GLUSTERFSD (make glusterfsd)"
        case $GLUSTERFSD in /*) ;; *) die "MAGPOOL_GLUSTERFSD must be an absolute path" ;; esac
        ;;
    *) die "unknown configuration '$c' in MAGPOOL_BENCH_CONFIGS" ;; esac
done
[ "$(printf '%s\n' "${CONFIGS[@]}" | sort | uniq -d)" = "" ] ||
    die "MAGPOOL_BENCH_CONFIGS names a configuration twice"
preflight time libtcmalloc-minimal4
[ -f "$TCMALLOC" ] || die "no $TCMALLOC"
mkdir -p "$OUT"

# The command as given, for RESULTS.md.
COMMAND="MAGPOOL_PRELOAD=$PRELOAD"
for v in MAGPOOL_GLUSTERFSD MAGPOOL_BENCH_ONLY MAGPOOL_BENCH_ROUNDS MAGPOOL_BENCH_CONFIGS \
         MAGPOOL_BENCH_FIO_SECS MAGPOOL_BENCH_FILES MAGPOOL_BENCH_MD_FILES MAGPOOL_BENCH_MD_IDLE \
         MAGPOOL_BENCH_MUX_VOLS MAGPOOL_BENCH_MUX_FILES MAGPOOL_BENCH_MUX_IDLE MAGPOOL_BENCH_OUT; do
    [ -n "${!v+set}" ] && COMMAND+=" $v=${!v@Q}"
done
COMMAND+=" bash perf/gluster/bench.sh"
MAKE_TARGET=bench-gluster
[ "$ONLY" != mux ] || MAKE_TARGET=bench-gluster-mux

TOP=$(mktemp -d /tmp/magpool-bench.XXXXXX)
[ "$ONLY" = mux ] || build_smallfiles "$TOP/smallfiles"
build_metadata "$TOP/metadata"
CSV_COLUMNS=()
[ "$ONLY" = mux ] || CSV_COLUMNS+=("${COLUMNS[@]}")
[ ${#MUX_LIST[@]} = 0 ] || CSV_COLUMNS+=("${MUX_COLUMNS[@]}")
CSV=$TOP/results.csv
{
    printf 'round,position,config,run,volumes'
    printf ',%s' "${CSV_COLUMNS[@]}"
    echo
} >"$CSV"
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
if [ "$ONLY" = mux ]; then
    say "$ROUNDS round(s) of ${CONFIGS[*]}: brick multiplexing only, at" \
        "${MUX_LIST[*]} volumes; working directory $TOP"
else
    say "$ROUNDS round(s) of ${CONFIGS[*]}; fio ${FIO_SECS} s," \
        "smallfiles $SF_THREADS x $FILES x $SF_ROUNDS; brick multiplexing at" \
        "${MUX_LIST[*]:-no} volumes; working directory $TOP"
fi

# get KEY: a value from the current run's result file.
get() { sed -n "s/^$1=//p" "$dir/result"; }

# add_row ROUND POSITION CONFIG RUN VOLUMES: the current run's row.
add_row() {
    local row="$1,$2,$3,$4,$5" col
    for col in "${CSV_COLUMNS[@]}"; do row+=",$(get "$col")"; done
    echo "$row" >>"$CSV"
}

# launch_for CONFIG: what a run of the configuration starts under.
launch_for() {
    launch=()
    if [ "$1" = static ]; then launch=(unshare --mount --propagation private); fi
}

NFAIL=0
VERSION=
n=${#CONFIGS[@]}
for ((round = 1; round <= ROUNDS; round++)); do
    if [ "$ONLY" != mux ]; then
        for ((k = 0; k < n; k++)); do
            cfg=${CONFIGS[(k + round - 1) % n]}
            dir=$TOP/r$round-$cfg
            mkdir -p "$dir"
            rc=0
            launch_for "$cfg"
            "${launch[@]}" bash "$HERE/bench.sh" --one "$cfg" "$dir" "$TOP/smallfiles" "$TOP/metadata" \
                >"$TOP/r$round-$cfg.log" 2>&1 || rc=$?
            if [ "$rc" = 0 ] && [ -s "$dir/result" ]; then
                say "round $round/$ROUNDS $cfg: fio $(get fio_iops) IOPS," \
                    "smallfiles $(get sf_files_per_s) files/s," \
                    "brick $(get brick_cpu_s) CPU s, VmHWM $(get brick_hwm_kib) KiB," \
                    "VmRSS $(get brick_rss_kib) KiB ($(get run_s) s)"
                v=$(get magpool_version)
                [ -z "$v" ] || VERSION=$v
            else
                NFAIL=$((NFAIL + 1))
                say "round $round/$ROUNDS $cfg: FAILED (exit status $rc); last lines:"
                tail -n 25 "$TOP/r$round-$cfg.log" | sed 's/^/    /'
                echo "status=failed" >"$dir/result"
            fi
            add_row "$round" $((k + 1)) "$cfg" single ""
        done
    fi
    # The brick-multiplexing runs: each volume count in turn, every
    # configuration at it, the order rotated by one per count and round.
    for ((j = 0; j < ${#MUX_LIST[@]}; j++)); do
        nv=${MUX_LIST[j]}
        for ((k = 0; k < n; k++)); do
            cfg=${CONFIGS[(k + round - 1 + j) % n]}
            dir=$TOP/r$round-$cfg-mux$nv
            mkdir -p "$dir"
            rc=0
            t_run=$SECONDS
            launch_for "$cfg"
            "${launch[@]}" bash "$HERE/bench.sh" --mux "$cfg" "$dir" "$TOP/metadata" "$nv" \
                >"$dir.log" 2>&1 || rc=$?
            if [ "$rc" = 0 ] && [ -s "$dir/result" ]; then
                say "round $round/$ROUNDS $cfg: brick multiplexing, $nv volumes:" \
                    "$(get mux_ops_s) ops/s, $(get mux_brick_threads) threads," \
                    "VmRSS $(get mux_brick_rss_load_kib) KiB after the load," \
                    "$(get mux_brick_rss_end_kib) KiB after $MUX_IDLE s idle" \
                    "($((SECONDS - t_run)) s: start $(get mux_start_s), load $(get mux_load_s))"
                v=$(get magpool_version)
                [ -z "$v" ] || VERSION=$v
            else
                NFAIL=$((NFAIL + 1))
                say "round $round/$ROUNDS $cfg: brick multiplexing, $nv volumes," \
                    "FAILED (exit status $rc); last lines:"
                tail -n 25 "$dir.log" | sed 's/^/    /'
                echo "mux_status=failed" >"$dir/result"
            fi
            echo "mux_wall_s=$((SECONDS - t_run))" >>"$dir/result"
            add_row "$round" $((k + 1)) "$cfg" mux "$nv"
        done
    done
done
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- tables

# cell CONFIG COLUMN SCALE DECIMALS [VOLUMES [plain]]: "median (min-max)"
# of the column over the configuration's successful runs, each value
# divided by SCALE (a mux_ column: over its successful brick-multiplexing
# runs with VOLUMES volumes); plain: the median alone, "" for none.
cell() {
    local st=status
    case $2 in mux_*) st=mux_status ;; esac
    awk -F, -v cfg="$1" -v col="$2" -v scale="$3" -v dec="$4" -v stcol="$st" \
        -v vols="${5-}" -v plain="${6-}" '
        NR == 1 { for (i = 1; i <= NF; i++) { if ($i == col) c = i; if ($i == stcol) s = i; if ($i == "volumes") vc = i }; next }
        c && s && $3 == cfg && $s == "ok" && (vols == "" || $vc == vols) { v[n++] = $c / scale }
        END {
            if (n == 0) { print (plain ? "" : "-"); exit }
            for (i = 0; i < n; i++)         # insertion sort: n is small
                for (j = i; j > 0 && v[j - 1] > v[j]; j--) {
                    t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
                }
            med = n % 2 ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2
            f = "%." dec "f"
            if (n == 1 || plain) printf f "\n", med
            else printf f " (" f "-" f ")\n", med, v[0], v[n - 1]
        }' "$CSV"
}

# ok_runs CONFIG [STATUS_COLUMN [VOLUMES]]: successful runs of the
# configuration (with VOLUMES volumes).
ok_runs() {
    awk -F, -v cfg="$1" -v stcol="${2:-status}" -v vols="${3-}" '
        NR == 1 { for (i = 1; i <= NF; i++) { if ($i == stcol) s = i; if ($i == "volumes") vc = i }; next }
        s && $3 == cfg && $s == "ok" && (vols == "" || $vc == vols)' "$CSV" | wc -l
}

# mux_wall [VOLUMES]: "SECONDS RUNS", the wall time of the
# brick-multiplexing runs (with VOLUMES volumes), failed ones included.
mux_wall() {
    awk -F, -v vols="${1-}" '
        NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "mux_wall_s") w = i; if ($i == "volumes") vc = i }; next }
        w && $4 == "mux" && (vols == "" || $vc == vols) { s += $w; n++ }
        END { printf "%d %d\n", s, n }' "$CSV"
}

describe() {
    case $1 in
    stock) echo "Debian's GlusterFS pool, no preload" ;;
    magpool) echo "LD_PRELOAD=libmagpool-preload.so" ;;
    passthrough) echo "the shim with MAGPOOL_DISABLE=1: glibc malloc/free" ;;
    tcmalloc) echo "the shim with MAGPOOL_DISABLE=1, libtcmalloc_minimal.so.4 preloaded" ;;
    static) echo "glusterfsd rebuilt from Debian's source with libmagpool-gluster.a linked in (make glusterfsd), no preload; glusterd and the brick run it, the clients Debian's own pool" ;;
    esac
}

pkg_version() {
    dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "not installed"
}

# The single-volume runs' tables.
report_single() {
    local c
    echo "- Each run: a fresh glusterd and one-brick volume on 127.0.0.2 in a" \
         "private network namespace; fio (gfapi, \`--thread\`): 16 MiB written" \
         "once, then 4k random read/write 50/50, iodepth 1, ${FIO_SECS} s;" \
         "then smallfiles.c (gfapi): $SF_THREADS threads x $FILES files x" \
         "$SF_ROUNDS rounds of create+write, stat+read+verify, unlink+stat," \
         "1-8 KiB files. $ROUNDS round(s), each running every configuration" \
         "once, the order rotated by one per round. The environment" \
         "(LD_PRELOAD, MAGPOOL_DISABLE, MAGPOOL_SWEEP_MS=1000) is on glusterd," \
         "the brick and both clients."
    echo "- Brick: CPU seconds (utime+stime) over its whole life and peak RSS" \
         "(VmHWM), read ${SETTLE_SECS} s after the last client ended, just" \
         "before the volume stops, with the RSS then (VmRSS). Clients: CPU" \
         "seconds of the client process (wait4 rusage, GNU time), its" \
         "glfs_init and glfs_fini included."
    echo
    echo "Median over the rounds (min-max in parentheses)."
    echo
    echo "| configuration | runs | fio IOPS (read+write) | smallfiles files/s | brick CPU s | fio client CPU s | smallfiles client CPU s | brick peak RSS MiB | brick RSS at the end MiB |"
    echo "|---|---|---|---|---|---|---|---|---|"
    for c in "${CONFIGS[@]}"; do
        echo "| $c | $(ok_runs "$c") | $(cell "$c" fio_iops 1 0) | $(cell "$c" sf_files_per_s 1 0) | $(cell "$c" brick_cpu_s 1 2) | $(cell "$c" fio_cpu_s 1 2) | $(cell "$c" sf_cpu_s 1 2) | $(cell "$c" brick_hwm_kib 1024 1) | $(cell "$c" brick_rss_kib 1024 1) |"
    done
    echo
    echo "Per phase: the brick's CPU seconds until fio ended (its start-up" \
         "and the 16 MiB fill included) and during smallfiles (the rest);" \
         "smallfiles' operations per second (each file: 10 gfapi calls:" \
         "creat, write, close, stat, open, 2 reads, close, unlink, stat);" \
         "the brick's RSS right after fio."
    echo
    echo "| configuration | brick CPU s, fio phase | brick CPU s, smallfiles phase | smallfiles ops/s | brick RSS after fio MiB |"
    echo "|---|---|---|---|---|"
    for c in "${CONFIGS[@]}"; do
        echo "| $c | $(cell "$c" brick_cpu_fio_s 1 2) | $(cell "$c" brick_cpu_sf_s 1 2) | $(cell "$c" sf_ops_per_s 1 0) | $(cell "$c" brick_rss_after_fio_kib 1024 1) |"
    done
    echo
    echo "Configurations:"
    echo
    for c in "${CONFIGS[@]}"; do echo "- $c: $(describe "$c")"; done
    echo
    if [ "$MD_FILES" -gt 0 ]; then
        echo
        echo "Metadata (metadata.c, $MD_THREADS threads, $MD_FILES files in all," \
             "idle phases of $MD_IDLE s): operations per second per phase (list:" \
             "directory entries read), the brick's CPU seconds per 1000" \
             "operations (create+stat+list+unlink), RSS in MiB: peak, at the end" \
             "of the first idle phase (files still there), at the end (files" \
             "gone, after the second idle phase). Over time:" \
             "metadata-brick-rss.png, metadata-client-rss.png (round 1)."
        echo
        echo "| configuration | create/s | stat/s | list/s | unlink/s | brick CPU s / 1000 ops | brick RSS peak | brick RSS idle | brick RSS end | client RSS peak | client RSS idle | client RSS end |"
        echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
        for c in "${CONFIGS[@]}"; do
            echo "| $c | $(cell "$c" md_create_ops_s 1 0) | $(cell "$c" md_stat_ops_s 1 0) | $(cell "$c" md_list_ops_s 1 0) | $(cell "$c" md_unlink_ops_s 1 0) | $(cell "$c" md_brick_cpu_per_kop 1 3) | $(cell "$c" md_brick_rss_peak_kib 1024 1) | $(cell "$c" md_brick_rss_idle_kib 1024 1) | $(cell "$c" md_brick_rss_end_kib 1024 1) | $(cell "$c" md_client_rss_peak_kib 1024 1) | $(cell "$c" md_client_rss_idle_kib 1024 1) | $(cell "$c" md_client_rss_end_kib 1024 1) |"
        done
    fi
}

# The brick-multiplexing table: one row per volume count and
# configuration; the wall times.
report_mux() {
    local c nv w
    echo
    echo "Brick multiplexing (a run of its own per configuration and volume" \
         "count, after the round's single-volume runs if any: a fresh" \
         "glusterd with cluster.brick-multiplex on, N one-brick volumes" \
         "(N = ${MUX_LIST[*]}), all served by one glusterfsd; metadata.c" \
         "on each volume in turn, $MD_THREADS threads x" \
         "$((MUX_FILES / MD_THREADS)) files: create, stat, list, unlink; then" \
         "$MUX_IDLE s idle). $ROUNDS round(s): in each, every volume count in" \
         "turn, every configuration at it, the order rotated by one per" \
         "count and round. Columns: operations per second over the whole" \
         "load, the brick's CPU seconds per 1000 operations (all, then the" \
         "system (kernel) part, and the part of magpool's sweeper thread)," \
         "its minor page faults per 1000 operations" \
         "(a page mapped or mapped again), its thread" \
         "count after the load, RSS in MiB before any load, right after the" \
         "load on the last volume, its peak (VmHWM, over the load and the" \
         "idle time) and after the idle time;" \
         "seconds to start glusterd and the N volumes, of the load, and of" \
         "the whole run (wall: start, load, idle, statedump, teardown)."
    [ "$ROUNDS" = 1 ] || echo "Median over the rounds (min-max in parentheses)."
    echo
    echo "| volumes | configuration | runs | ops/s | brick CPU s / 1000 ops | of it system | of it sweeper | faults / 1000 ops | brick threads | brick RSS before | brick RSS after the load | brick peak RSS | brick RSS after idle | start s | load s | wall s |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    for nv in "${MUX_LIST[@]}"; do
        for c in "${CONFIGS[@]}"; do
            echo "| $nv | $c | $(ok_runs "$c" mux_status "$nv") | $(cell "$c" mux_ops_s 1 0 "$nv") | $(cell "$c" mux_brick_cpu_per_kop 1 3 "$nv") | $(cell "$c" mux_brick_sys_per_kop 1 3 "$nv") | $(cell "$c" mux_brick_sweeper_per_kop 1 3 "$nv") | $(cell "$c" mux_brick_faults_per_kop 1 1 "$nv") | $(cell "$c" mux_brick_threads 1 0 "$nv") | $(cell "$c" mux_brick_rss_start_kib 1024 1 "$nv") | $(cell "$c" mux_brick_rss_load_kib 1024 1 "$nv") | $(cell "$c" mux_brick_hwm_kib 1024 1 "$nv") | $(cell "$c" mux_brick_rss_end_kib 1024 1 "$nv") | $(cell "$c" mux_start_s 1 0 "$nv") | $(cell "$c" mux_load_s 1 0 "$nv") | $(cell "$c" mux_wall_s 1 0 "$nv") |"
        done
    done
    echo
    printf 'Wall time of the brick-multiplexing runs:'
    for nv in "${MUX_LIST[@]}"; do
        read -r -a w <<<"$(mux_wall "$nv")"
        printf ' %s volumes %s s (%s run(s));' "$nv" "${w[0]}" "${w[1]}"
    done
    read -r -a w <<<"$(mux_wall)"
    echo " ${w[0]} s in all; the whole benchmark $((SECONDS - T0)) s."
    echo
    local big=${MUX_LIST[0]}
    for nv in "${MUX_LIST[@]}"; do [ "$nv" -le "$big" ] || big=$nv; done
    if [ ${#MUX_LIST[@]} -gt 1 ]; then
        echo "Brick RSS after the load and after the idle time against the" \
             "volume count: mux-volumes.png (medians; mux-volumes.csv). Over" \
             "time, at $big volumes: mux-brick-rss.png (round 1; every count" \
             "in mux-rss.csv)."
    else
        echo "Over time: mux-brick-rss.png (round 1)."
    fi
}

report() {
    local c
    if [ "$ONLY" = mux ]; then
        echo "# GlusterFS 10.3 on magpool: brick multiplexing against the volume count"
    else
        echo "# GlusterFS 10.3 on magpool: benchmark results"
    fi
    echo
    echo "- Date: $DATE; whole run $((SECONDS - T0)) s; $NFAIL failed run(s)."
    echo "- Machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
         "$(awk '$1 == "MemTotal:" { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)," \
         "Linux $(uname -r); load average $LOAD0 at the start, $LOAD1 at the end."
    echo "- Packages: glusterfs-server $(pkg_version glusterfs-server)," \
         "libglusterfs0 $(pkg_version libglusterfs0), libgfapi0 $(pkg_version libgfapi0)," \
         "fio $(pkg_version fio), libc6 $(pkg_version libc6)," \
         "libtcmalloc-minimal4 $(pkg_version libtcmalloc-minimal4); magpool ${VERSION:-?}" \
         "($PRELOAD)."
    echo "- Command: \`$COMMAND\` (\`make $MAKE_TARGET\`)."
    if [ "$ONLY" = mux ]; then
        echo "- The environment (LD_PRELOAD, MAGPOOL_DISABLE," \
             "MAGPOOL_SWEEP_MS=1000) is on glusterd, the brick and the clients."
        echo
        echo "Configurations:"
        echo
        for c in "${CONFIGS[@]}"; do echo "- $c: $(describe "$c")"; done
    else
        report_single
    fi
    [ ${#MUX_LIST[@]} = 0 ] || report_mux
    echo
    echo "Every run's numbers: RESULTS.csv (one row per run; RSS in KiB, CPU and times in seconds)."
}

# The metadata RSS timelines of round 1 (or the first good run of each
# configuration): metadata-rss.csv and two gnuplot PNGs in $OUT.
plot_metadata() {
    local c d f
    [ "$ONLY" != mux ] && [ "$MD_FILES" -gt 0 ] || return 0
    echo "config,seconds,brick_rss_mib,client_rss_mib" >"$TOP/metadata-rss.csv"
    for c in "${CONFIGS[@]}"; do
        f=
        for ((r = 1; r <= ROUNDS; r++)); do
            d=$TOP/r$r-$c
            if grep -q '^status=ok' "$d/result" 2>/dev/null && [ -s "$d/md.samples" ]; then
                f=$d/md.samples
                break
            fi
        done
        [ -n "$f" ] || continue
        awk -v c="$c" 'NR == 1 { t0 = $1 }
            { printf "%s,%.1f,%.2f,%s\n", c, $1 - t0, $2 / 1024,
                     $4 == "-" ? "" : sprintf("%.2f", $4 / 1024) }' "$f" \
            >>"$TOP/metadata-rss.csv"
    done
    cp "$TOP/metadata-rss.csv" "$OUT/metadata-rss.csv"
    command -v gnuplot >/dev/null || { say "no gnuplot: no metadata plots"; return 0; }
    local who col
    for who in brick client; do
        col=3
        [ "$who" = client ] && col=4
        {
            echo "set terminal pngcairo size 900,420 noenhanced"
            echo "set output '$OUT/metadata-$who-rss.png'"
            echo "set datafile separator ','"
            echo "set title 'GlusterFS 10.3 metadata workload: $who RSS (MiB) over time, $MD_FILES files'"
            echo "set xlabel 'seconds'; set ylabel 'MiB'; set key outside right; set grid"
            printf "plot "
            local first=1
            for c in "${CONFIGS[@]}"; do
                [ "$first" = 1 ] || printf ", "
                first=0
                printf "'%s' using (strcol(1) eq '%s' ? \$2 : NaN):%s with lines lw 2 title '%s'" \
                    "$TOP/metadata-rss.csv" "$c" "$col" "$c"
            done
            echo
        } >"$TOP/plot-$who.gp"
        gnuplot "$TOP/plot-$who.gp" 2>"$TOP/plot-$who.err" ||
            say "gnuplot failed: $(head -n 3 "$TOP/plot-$who.err")"
    done
}
plot_metadata

# The brick-multiplexing RSS timelines of round 1 (or the first good run
# of each configuration and volume count): mux-rss.csv, and
# mux-brick-rss.png (the largest count) in $OUT.
plot_mux() {
    local c d f r nv big
    [ ${#MUX_LIST[@]} -gt 0 ] || return 0
    big=${MUX_LIST[0]}
    for nv in "${MUX_LIST[@]}"; do [ "$nv" -le "$big" ] || big=$nv; done
    echo "config,volumes,seconds,brick_rss_mib" >"$TOP/mux-rss.csv"
    for nv in "${MUX_LIST[@]}"; do
        for c in "${CONFIGS[@]}"; do
            f=
            for ((r = 1; r <= ROUNDS; r++)); do
                d=$TOP/r$r-$c-mux$nv
                if grep -q '^mux_status=ok' "$d/result" 2>/dev/null && [ -s "$d/mux.samples" ]; then
                    f=$d/mux.samples
                    break
                fi
            done
            [ -n "$f" ] || continue
            awk -v c="$c" -v nv="$nv" 'NR == 1 { t0 = $1 }
                { printf "%s,%s,%.1f,%.2f\n", c, nv, $1 - t0, $2 / 1024 }' "$f" \
                >>"$TOP/mux-rss.csv"
        done
    done
    cp "$TOP/mux-rss.csv" "$OUT/mux-rss.csv"
    command -v gnuplot >/dev/null || { say "no gnuplot: no brick-multiplexing plot"; return 0; }
    {
        echo "set terminal pngcairo size 900,420 noenhanced"
        echo "set output '$OUT/mux-brick-rss.png'"
        echo "set datafile separator ','"
        echo "set title 'GlusterFS 10.3, $big volumes multiplexed in one brick: brick RSS (MiB) over time'"
        echo "set xlabel 'seconds'; set ylabel 'MiB'; set key outside right; set grid"
        printf "plot "
        local first=1
        for c in "${CONFIGS[@]}"; do
            [ "$first" = 1 ] || printf ", "
            first=0
            printf "'%s' using ((strcol(1) eq '%s' && \$2 == %s) ? \$3 : NaN):4 with lines lw 2 title '%s'" \
                "$TOP/mux-rss.csv" "$c" "$big" "$c"
        done
        echo
    } >"$TOP/plot-mux.gp"
    gnuplot "$TOP/plot-mux.gp" 2>"$TOP/plot-mux.err" ||
        say "gnuplot failed: $(head -n 3 "$TOP/plot-mux.err")"
}
plot_mux

# The curve (two volume counts or more): the medians of the brick's RSS
# after the load, at its peak and after the idle time, per configuration
# and volume count (mux-volumes.csv), and mux-volumes.png: RSS after the
# load (solid) and after the idle time (dashed) against the volume count,
# one colour per configuration.
plot_mux_volumes() {
    local c nv load end i xtics
    [ ${#MUX_LIST[@]} -gt 1 ] || return 0
    echo "config,volumes,brick_rss_load_mib,brick_hwm_mib,brick_rss_idle_mib" >"$TOP/mux-volumes.csv"
    for c in "${CONFIGS[@]}"; do
        for nv in $(printf '%s\n' "${MUX_LIST[@]}" | sort -n); do
            load=$(cell "$c" mux_brick_rss_load_kib 1024 2 "$nv" plain)
            end=$(cell "$c" mux_brick_rss_end_kib 1024 2 "$nv" plain)
            [ -n "$load" ] || continue
            echo "$c,$nv,$load,$(cell "$c" mux_brick_hwm_kib 1024 2 "$nv" plain),$end"
        done
    done >>"$TOP/mux-volumes.csv"
    cp "$TOP/mux-volumes.csv" "$OUT/mux-volumes.csv"
    command -v gnuplot >/dev/null || { say "no gnuplot: no mux-volumes.png"; return 0; }
    xtics=$(printf '%s\n' "${MUX_LIST[@]}" | sort -n | paste -sd, -)
    {
        echo "set terminal pngcairo size 1000,480 noenhanced"
        echo "set output '$OUT/mux-volumes.png'"
        echo "set datafile separator ','"
        echo "set title 'GlusterFS 10.3 brick multiplexing: brick RSS (MiB) against volumes'"
        echo "set xlabel 'volumes (one brick each, $MUX_FILES files of metadata load on each)'"
        echo "set ylabel 'MiB'; set key outside right; set grid"
        echo "set xtics ($xtics); set yrange [0:*]; set offsets graph 0.05, graph 0.05, 0, 0"
        printf "plot "
        i=0
        for c in "${CONFIGS[@]}"; do
            i=$((i + 1))
            [ "$i" = 1 ] || printf ", "
            printf "'%s' using (strcol(1) eq '%s' ? \$2 : NaN):3 with linespoints lw 2 lc %d dt 1 pt 7 title '%s after the load', " \
                "$TOP/mux-volumes.csv" "$c" "$i" "$c"
            printf "'' using (strcol(1) eq '%s' ? \$2 : NaN):5 with linespoints lw 2 lc %d dt 2 pt 6 title '%s after %s s idle'" \
                "$c" "$i" "$c" "$MUX_IDLE"
        done
        echo
    } >"$TOP/plot-mux-volumes.gp"
    gnuplot "$TOP/plot-mux-volumes.gp" 2>"$TOP/plot-mux-volumes.err" ||
        say "gnuplot failed: $(head -n 3 "$TOP/plot-mux-volumes.err")"
}
plot_mux_volumes

report >"$TOP/RESULTS.md"
cp "$TOP/RESULTS.md" "$OUT/RESULTS.md"
cp "$CSV" "$OUT/RESULTS.csv"
echo
cat "$OUT/RESULTS.md"
echo
say "wrote $OUT/RESULTS.md and $OUT/RESULTS.csv"
[ "$NFAIL" = 0 ] || die "$NFAIL run(s) failed"
