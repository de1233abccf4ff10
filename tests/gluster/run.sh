#!/bin/bash
# tests/gluster/run.sh - GlusterFS 10.3 end to end, with magpool preloaded.
#
# Starts glusterd, a one-brick volume and two gfapi clients (fio 4k random
# read/write with crc32c verification, and smallfiles.c: create, write,
# stat, read, verify and unlink of many small files from 4 threads) inside a
# private loopback-only network namespace, with magpool's LD_PRELOAD shim in
# glusterd, in the bricks it spawns and in the clients.  The volume is
# stopped and started again between the two clients.  Then it checks the
# [mempool] section of a statedump of the brick and of the smallfiles client,
# and, after teardown, the statistics magpool writes at each process's exit
# (MAGPOOL_STATS): they exist for both bricks and both clients, magpool
# mapped memory in each, and its sweeper ran there (the bricks daemonize
# with fork() after loading magpool).  A failed step, a data mismatch, a
# crash ("signal received" in a GlusterFS log) or a timeout fails the test.
#
# Run as root, from the repository root:
#   MAGPOOL_PRELOAD=/abs/path/libmagpool-preload.so bash tests/gluster/run.sh
#   MAGPOOL_PRELOAD= bash tests/gluster/run.sh     # stock GlusterFS
#
# Environment:
#   MAGPOOL_PRELOAD               the shim to preload; empty: none (the
#                                 preload-specific checks are skipped)
#   MAGPOOL_EXPECT_MAGPOOL_SIZES  1: every pool's padded-sizeof must be
#                                 sizeof-type + 8 rounded up to 16
#   MAGPOOL_GLUSTER_KEEP          1: keep the working directory
#
# Isolation: the test refuses to run beside another glusterd (both would use
# /var/run/gluster, and killing the wrong one would break an installation).
# Set-up, clients and teardown are lib.sh's, shared with bench.sh: its own
# glusterd has a private working, run and log directory and CLI socket, and
# the volume a private statedump path, all under one mktemp -d directory,
# so an existing installation's volumes are neither started nor changed;
# every process runs in a private network namespace; what GlusterFS still
# writes at fixed paths is removed after teardown (see lib.sh).
#
# Exit status: 0 when every step and every check passed, 1 otherwise.
#
# Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).

set -Eeuo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/gluster/lib.sh
. "$HERE/lib.sh"
PRELOAD=${MAGPOOL_PRELOAD-}
EXPECT_SIZES=${MAGPOOL_EXPECT_MAGPOOL_SIZES:-0}
KEEP=${MAGPOOL_GLUSTER_KEEP:-0}

# ---------------------------------------------------------------- checks

# check_mempool DUMP WHO POOL...: print the [mempool] section(s) of a
# statedump, one line per pool, and check them: the POOLs are there, every
# active-count is a count (not negative, not a wrapped huge value), pools of
# per-request objects are near empty once the load has stopped, and
# padded-sizeof is at least sizeof-type (with MAGPOOL_EXPECT_MAGPOOL_SIZES=1:
# exactly magpool's block size, sizeof-type + 8 rounded up to 16).
check_mempool() {
    local dump=$1 who=$2 tsv nsec npools p
    shift 2
    tsv=$W/$(basename "$dump").mempool
    # magpool-mapped: bytes the shim reports mapped for the pool, if it does.
    awk '
        function flush() {
            if (name != "")
                printf "%s\t%s\t%s\t%s\t%s\t%s\n", xl, name, act, sz, pad, mapped
            name = xl = act = sz = pad = mapped = ""
        }
        /^\[mempool\]/ { flush(); inm = 1; next }
        /^\[/ { flush(); inm = 0 }
        !inm { next }
        /^-----=-----/ { flush(); next }
        /^pool-name=/ { name = substr($0, 11) }
        /^xlator-name=/ { xl = substr($0, 13) }
        /^active-count=/ { act = substr($0, 14) }
        /^sizeof-type=/ { sz = substr($0, 13) }
        /^padded-sizeof=/ { pad = substr($0, 15) }
        /^magpool-mapped=/ { mapped = substr($0, 16) }
        END { flush() }
    ' "$dump" >"$tsv"
    nsec=$(grep -c '^\[mempool\]' "$dump" || true)
    npools=$(wc -l <"$tsv")
    say "$who [mempool]: $nsec section(s), $npools pools ($(basename "$dump"))"
    awk -F'\t' '{
        printf "  %-20s %-28s active-count=%-5s sizeof-type=%-5s padded-sizeof=%-5s%s\n",
            $2, $1, $3, $4, $5, ($6 == "" ? "" : " magpool-mapped=" $6) }' "$tsv"
    for p in "$@"; do
        awk -F'\t' -v p="$p" '$2 == p { ok = 1 } END { exit !ok }' "$tsv" ||
            die "pool $p missing from the $who's [mempool]"
    done
    awk -F'\t' -v expect="$EXPECT_SIZES" '
        BEGIN {
            hot["call_frame_t"]; hot["call_stack_t"]; hot["call_stub_t"]
            hot["rpcsvc_request_t"]; hot["struct rpc_req"]
            hot["struct saved_frame"]; hot["pl_local_t"]
        }
        function bad(msg) { printf "  BAD %s/%s: %s\n", $1, $2, msg; nbad++ }
        {
            if ($3 !~ /^[0-9]+$/) bad("active-count \"" $3 "\" is not a count")
            else if ($3 + 0 > 100000) bad("active-count " $3 " is huge")
            else if (($2 in hot) && $3 + 0 > 64)
                bad("active-count " $3 " with no load running")
            if ($4 !~ /^[0-9]+$/ || $4 + 0 < 1) bad("sizeof-type \"" $4 "\"")
            if ($5 !~ /^[0-9]+$/ || $5 + 0 < $4 + 0)
                bad("padded-sizeof \"" $5 "\" smaller than sizeof-type " $4)
            else if (expect == 1) {
                want = int(($4 + 8 + 15) / 16) * 16
                if ($5 + 0 != want)
                    bad("padded-sizeof " $5 ", magpool block size " want)
            }
            total += $3
        }
        END {
            printf "  active-count: %d objects in %d pools\n", total, NR
            exit nbad > 0
        }
    ' "$tsv" || die "the $who's [mempool] section is not sane"
}

on_exit() {
    local rc=$?
    trap - EXIT ERR
    set +e
    end_run "$rc"
    cd /
    if [ -n "$W" ] && [ -d "$W" ]; then
        if [ "$KEEP" = 1 ]; then
            say "kept $W"
        else
            rm -rf "$W"
        fi
    fi
    if [ "$FAILED" = 1 ]; then
        say "gluster end-to-end test FAILED"
        exit 1
    fi
    exit 0
}

trap on_exit EXIT
trap 'die "line $LINENO: \"$BASH_COMMAND\" failed"' ERR

# ---------------------------------------------------------------- pre-flight

if [ -z "${MAGPOOL_PRELOAD+set}" ]; then
    say "MAGPOOL_PRELOAD is unset: testing stock GlusterFS, no preload"
fi
check_preload
if [ -n "$PRELOAD" ]; then
    say "preloading $PRELOAD"
else
    say "no preload: stock GlusterFS mem-pool"
fi
preflight

gf_workdir
GF_ENV=(MAGPOOL_STATS="$W/stats.%p" MAGPOOL_SWEEP_MS=1000)
[ -n "$PRELOAD" ] && GF_ENV+=(LD_PRELOAD="$PRELOAD")
say "working directory $W, namespace $NS, volume $VOL"
build_smallfiles "$W/smallfiles"

# ------------------------------------------------------------------ set-up

gf_start

# ------------------------------------------------------------------- load

gf_mark_fio_log
say "fio: 16 MiB randwrite + full verify, then 5 s randrw 50/50 with verify"
# --thread: fio's forked job processes end without running exit handlers,
# so they would write no MAGPOOL_STATS file; threads of one fio do.
# --runtime=5: glfs_fini() returns only at a multiple of 10 s after the
# job's glfs_init() (observed with 10.3), so a job of 5 s plus set-up takes
# 10 s where one of 8 s takes 20.
client fio 150 fio --output-format=terse --terse-version=3 \
    --thread --ioengine=gfapi --volume="$VOL" --brick="$HOST" \
    --filename=magpool-fio.dat --size=16m --bs=4k --iodepth=1 \
    --verify=crc32c --verify_fatal=1 --verify_state_save=0 \
    --name=fill --rw=randwrite \
    --name=mixed --stonewall --rw=randrw --rwmixread=50 \
    --time_based --runtime=5 --verify_backlog=256
# Terse v3: field 3 job name, 5 error, 6 read KiB, 8 read IOPS,
# 47 write KiB, 49 write IOPS.
awk -F';' '$1 == 3 { printf "  fio %-6s error=%s read=%s KiB (%s IOPS) write=%s KiB (%s IOPS)\n", $3, $5, $6, $8, $47, $49 }' \
    "$W/log/fio.out"
awk -F';' '$1 == 3 && $5 != 0 { bad = 1 } END { exit bad }' "$W/log/fio.out" ||
    die "fio reported an error"
awk -F';' '$1 == 3 && $3 == "fill" && $6 >= 16384 && $47 >= 16384 { ok = 1 } END { exit !ok }' \
    "$W/log/fio.out" || die "fio's fill job did not write and verify 16 MiB"
awk -F';' '$1 == 3 && $3 == "mixed" && $6 > 0 && $47 > 0 { ok = 1 } END { exit !ok }' \
    "$W/log/fio.out" || die "fio's mixed job did no reads or no writes"
alive "$BRICK" || die "the brick died during fio"

say "stopping and starting $VOL"
stop_volume
if [ -n "$PRELOAD" ]; then
    if [ -s "$W/stats.$BRICK" ]; then
        say "stopped brick $BRICK wrote its stats file at exit"
    else
        say "stopped brick $BRICK wrote no stats file"
    fi
fi
start_volume
say "volume $VOL restarted, brick pid $BRICK"
check_mapped "$BRICK" "brick glusterfsd"

say "smallfiles: 4 threads x 200 files x 2 rounds, 1-8 KiB"
mkdir "$W/client-dumps"
client smallfiles 150 "$W/smallfiles" "$HOST" "$VOL" "$W/log/smallfiles.log" \
    4 200 2 "$W/client-dumps"
sed 's/^/  /' "$W/log/smallfiles.out"
CLIENT_DUMP=$(ls "$W"/client-dumps/*.dump.* 2>/dev/null | head -n 1 || true)
[ -n "$CLIENT_DUMP" ] && grep -q '^DUMP-END-TIME' "$CLIENT_DUMP" ||
    die "smallfiles wrote no complete statedump in $W/client-dumps"
alive "$BRICK" || die "the brick died during smallfiles"

# ---------------------------------------------------------------- statedump

gcli volume statedump "$VOL" >/dev/null
DUMP=
for ((i = 0; i < 50; i++)); do
    DUMP=$(ls -t "$W"/dumps/*."$BRICK".dump.* 2>/dev/null | head -n 1 || true)
    [ -n "$DUMP" ] && grep -q '^DUMP-END-TIME' "$DUMP" && break
    sleep 0.2
done
[ -n "$DUMP" ] || die "no statedump of brick $BRICK in $W/dumps"
grep -q '^DUMP-END-TIME' "$DUMP" || die "statedump $DUMP is incomplete"

check_mempool "$DUMP" brick call_frame_t call_stack_t dict_t data_t inode_t \
    rpcsvc_request_t
# gfapi lists the volume's frame, stack and dict pools under its global
# context, not under the volume's: a client dump shows the xlators' pools.
check_mempool "$CLIENT_DUMP" "smallfiles client" clnt_local_t dht_local_t \
    "struct rpc_req" "struct saved_frame" inode_t
if [ "$EXPECT_SIZES" = 1 ]; then
    say "padded-sizeof = round16(sizeof-type + 8) for every pool in both dumps"
fi

# ---------------------------------------------------------------- teardown

say "tearing down"
LAST_BRICK=$BRICK
teardown
alive "$LAST_BRICK" && die "brick $LAST_BRICK survived the teardown"
say "torn down"

# --------------------------------------------------------- crash and stats

crashes=$(crash_logs)
[ -z "$crashes" ] || die "crash reported in: $crashes"
# A core dump, where the kernel writes one to a file: daemons run in /,
# clients in $W.  (A piped core_pattern hands it to a helper instead; the
# logs above and the clients' exit status still catch the crash.)
cores=$(find / "$W" -maxdepth 1 -name 'core*' -type f -newer "$W/outside.before" \
    2>/dev/null || true)
[ -z "$cores" ] || die "core dump(s) written during the test: $cores"
grep -h -i magpool "$W"/log/*.out 2>/dev/null | sort | uniq -c | head -n 20 |
    sed 's/^/  message: /' || true

if [ -n "$PRELOAD" ]; then
    # One line per file: pools, pools with chunk-maps > 0, sum of chunk-maps,
    # slab-refills and active, double-puts, the most sweeps of any pool, and
    # how many pools lack one of the four required keys.
    stats_summary() {
        awk '
            function end() {
                if (!inp) return
                np++
                if (!("active" in k && "slab-refills" in k && "chunk-maps" in k && "block-size" in k)) miss++
                delete k
            }
            /^\[/ { end(); inp = 1; next }
            /^[a-z-]+=/ {
                split($0, kv, "="); k[kv[1]] = kv[2]
                if (kv[1] == "chunk-maps") { maps += kv[2]; if (kv[2] > 0) used++ }
                if (kv[1] == "slab-refills") refills += kv[2]
                if (kv[1] == "active") active += kv[2]
                if (kv[1] == "double-puts") dbl += kv[2]
                if (kv[1] == "sweeps" && kv[2] > sweeps) sweeps = kv[2]
            }
            END {
                end()
                printf "%d %d %d %d %d %d %d %d\n", np, used, maps, refills, active, dbl, sweeps, miss
            }
        ' "$1"
    }
    declare -A role=()
    role[$GD_PID]=glusterd
    for pid in "${BRICK_PIDS[@]}"; do role[$pid]=brick; done
    role[$(cat "$W/pid.fio")]=fio
    role[$(cat "$W/pid.smallfiles")]=smallfiles
    say "magpool statistics at exit (MAGPOOL_STATS):"
    for f in "$W"/stats.*; do
        [ -e "$f" ] || continue
        pid=${f##*.}
        read -r np used maps refills active dbl sweeps miss < <(stats_summary "$f")
        printf '  %-10s pid %-6s pools=%-3s with-chunks=%-3s chunk-maps=%-4s slab-refills=%-5s active=%-5s sweeps=%-4s double-puts=%s\n' \
            "${role[$pid]:-other}" "$pid" "$np" "$used" "$maps" "$refills" "$active" "$sweeps" "$dbl"
        [ "$miss" = 0 ] || die "$f: $miss pools lack active/slab-refills/chunk-maps/block-size"
        [ "$dbl" = 0 ] || say "  WARNING: $dbl double puts in $f"
    done
    required=("${BRICK_PIDS[@]}" "$(cat "$W/pid.fio")" "$(cat "$W/pid.smallfiles")")
    for pid in "${required[@]}"; do
        f=$W/stats.$pid
        [ -s "$f" ] || die "no MAGPOOL_STATS file for ${role[$pid]} pid $pid"
        read -r np used maps refills active dbl sweeps miss < <(stats_summary "$f")
        [ "$used" -gt 0 ] ||
            die "${role[$pid]} pid $pid: no pool mapped a chunk: magpool served nothing"
        # Every process here lived for seconds with MAGPOOL_SWEEP_MS=1000;
        # the bricks daemonize with fork() after loading magpool, so this
        # also proves the sweeper survives that fork.
        [ "$sweeps" -gt 0 ] ||
            die "${role[$pid]} pid $pid: the sweeper never ran"
    done
    [ -s "$W/stats.$GD_PID" ] || say "glusterd pid $GD_PID wrote no stats file"
fi

say "PASS: GlusterFS end to end ($([ -n "$PRELOAD" ] && echo "with $PRELOAD" || echo "stock, no preload")) in $((SECONDS - T0)) s"
