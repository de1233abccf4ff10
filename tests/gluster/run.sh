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
# It gives its own glusterd a private working directory (not /var/lib/glusterd),
# run directory, log directory and CLI socket, and the volume a private
# statedump path, all under one mktemp -d directory, so an existing
# installation's volumes are neither started nor changed.  What GlusterFS
# still places at fixed paths (each brick's socket in /var/run/gluster,
# /var/run/gluster/snaps, /var/lib/glusterd/ss_brick, /var/lib/glusterd/
# geo-replication/gsyncd_template.conf) is removed if this run created it:
# the test lists /var/lib/glusterd, /var/run/gluster and /var/log/glusterfs
# before it starts glusterd and removes what is new after teardown.  fio's
# gfapi engine logs to the fixed path /tmp/fio_gfapi.log; the test moves what
# this run appended into its working directory.  Every process
# it starts runs in its own network namespace, which is how teardown finds
# (and ends, by pid) anything left over.
#
# Exit status: 0 when every step and every check passed, 1 otherwise.
#
# Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).

set -Eeuo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PRELOAD=${MAGPOOL_PRELOAD-}
EXPECT_SIZES=${MAGPOOL_EXPECT_MAGPOOL_SIZES:-0}
KEEP=${MAGPOOL_GLUSTER_KEEP:-0}
HOST=127.0.0.2
NS=magpool-gluster-$$
NSPATH=/run/netns/$NS
VOL=magpool-$$-$RANDOM
FIO_LOG=/tmp/fio_gfapi.log
OUTSIDE=(/var/lib/glusterd /var/run/gluster /var/log/glusterfs)

W=
GF_ENV=()
PRELOAD_REAL=
NS_MADE=0
GD_PID=
VOL_CREATED=0
BRICK_PIDS=()
FIO_LOG_SIZE0=-1
TORN_DOWN=0
FAILED=0
T0=$SECONDS

# ---------------------------------------------------------------- helpers

say() { printf '[%3ds] %s\n' $((SECONDS - T0)) "$*"; }

die() {
    printf '[%3ds] FAIL: %s\n' $((SECONDS - T0)) "$*" >&2
    FAILED=1
    exit 1
}

# Non-zombie processes whose command name is exactly $1.
procs_named() {
    local d comm state
    for d in /proc/[0-9]*; do
        comm=$(cat "$d/comm" 2>/dev/null) || continue
        [ "$comm" = "$1" ] || continue
        state=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "$d/status" \
                2>/dev/null) || continue
        [ "$state" = Z ] || echo "${d#/proc/}"
    done
}

# True while process $1 exists and is not a zombie.
alive() {
    local state
    state=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$1/status" \
            2>/dev/null) || return 1
    [ -n "$state" ] && [ "$state" != Z ]
}

# Wait up to $2 seconds for process $1 to end.
wait_gone() {
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        alive "$1" || return 0
        sleep 0.1
    done
    return 1
}

# Every process in our namespace: exactly the ones this test started.
ns_pids() {
    local want d
    want=$(stat -L -c %i "$NSPATH" 2>/dev/null) || return 0
    for d in /proc/[0-9]*; do
        [ "$(stat -L -c %i "$d/ns/net" 2>/dev/null)" = "$want" ] &&
            alive "${d#/proc/}" && echo "${d#/proc/}"
    done
    return 0
}

in_ns() { nsenter --net="$NSPATH" "$@"; }

gcli() {
    timeout -k 5 60 nsenter --net="$NSPATH" env -u LD_PRELOAD \
        gluster --mode=script --glusterd-sock="$W/run/glusterd.socket" \
        --log-file="$W/log/cli.log" "$@"
}

# client NAME SECONDS COMMAND...: run a client in the namespace with the
# preload; its pid goes to $W/pid.NAME (sh and env exec, so the pid is the
# client's own: its stats file is stats.PID), its output to $W/log/NAME.out.
client() {
    local name=$1 secs=$2 rc=0
    shift 2
    # shellcheck disable=SC2016 # $$ and $0 are for the inner sh
    (cd "$W" && timeout -k 10 "$secs" nsenter --net="$NSPATH" \
        sh -c 'echo $$ >"$0"; exec "$@"' "$W/pid.$name" \
        env "${GF_ENV[@]}" "$@" >"$W/log/$name.out" 2>&1) || rc=$?
    case $rc in
    0) ;;
    124 | 137) die "$name: still running after ${secs}s (see $W/log/$name.out)" ;;
    *)
        tail -n 20 "$W/log/$name.out" >&2
        if [ "$rc" -gt 128 ]; then
            die "$name: killed by signal $((rc - 128))"
        fi
        die "$name: exit status $rc"
        ;;
    esac
}

# Print the brick's pid once the volume reports it online.  (The plain
# `volume status` wraps long brick paths; the XML form does not.)
brick_online_pid() {
    local i xml status pid
    for ((i = 0; i < 60; i++)); do
        xml=$(gcli volume status "$VOL" --xml 2>/dev/null || true)
        status=$(grep -o '<status>[0-9]*</status>' <<<"$xml" | head -n 1 |
                 tr -dc 0-9)
        pid=$(grep -o '<pid>[0-9]*</pid>' <<<"$xml" | head -n 1 | tr -dc 0-9)
        if [ "$status" = 1 ] && [ -n "$pid" ] && alive "$pid"; then
            echo "$pid"
            return 0
        fi
        sleep 0.5
    done
    return 1
}

# Check that the preload library is mapped into process $1 ($2 names it).
check_mapped() {
    [ -n "$PRELOAD" ] || return 0
    grep -qF "$PRELOAD_REAL" "/proc/$1/maps" ||
        die "$2 (pid $1) does not map $PRELOAD_REAL"
    say "$2 (pid $1) maps $(grep -F "$PRELOAD_REAL" "/proc/$1/maps" |
        awk '{print $6, $7}' | sort -u | head -n 1)"
}

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

# ----------------------------------------------------------------- teardown

# Stop and delete the volume, end glusterd and anything else of ours, drop
# the namespace.  Idempotent; on the failure path every step is tolerated.
teardown() {
    local pid left
    [ "$TORN_DOWN" = 1 ] && return 0
    TORN_DOWN=1
    if [ "$VOL_CREATED" = 1 ] && [ -n "$GD_PID" ] && alive "$GD_PID"; then
        gcli volume stop "$VOL" >/dev/null 2>&1 ||
            say "teardown: volume stop failed"
        for pid in "${BRICK_PIDS[@]}"; do
            wait_gone "$pid" 15 || say "teardown: brick $pid still running"
        done
        gcli volume delete "$VOL" >/dev/null 2>&1 ||
            say "teardown: volume delete failed"
    fi
    if [ -n "$GD_PID" ] && alive "$GD_PID"; then
        kill -TERM "$GD_PID" 2>/dev/null || true
        if ! wait_gone "$GD_PID" 15; then
            say "teardown: glusterd $GD_PID ignored SIGTERM; SIGKILL"
            kill -KILL "$GD_PID" 2>/dev/null || true
        fi
    fi
    if [ "$NS_MADE" = 1 ]; then
        left=$(ns_pids)
        if [ -n "$left" ]; then
            say "teardown: leftover processes in $NS:"
            for pid in $left; do
                say "  $pid $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-160)"
                kill -TERM "$pid" 2>/dev/null || true
            done
            for pid in $left; do
                wait_gone "$pid" 10 || kill -KILL "$pid" 2>/dev/null || true
            done
        fi
        ip netns del "$NS" 2>/dev/null || say "teardown: ip netns del $NS failed"
        NS_MADE=0
    fi
    # Deepest first, so directories are empty when their turn comes; rmdir
    # leaves alone one that is not.
    if [ -f "$W/outside.before" ]; then
        find "${OUTSIDE[@]}" 2>/dev/null | sort >"$W/outside.after"
        comm -13 "$W/outside.before" "$W/outside.after" | sort -r |
            while read -r path; do
                if [ -d "$path" ] && ! [ -L "$path" ]; then
                    rmdir "$path" 2>/dev/null || say "teardown: left $path (not empty)"
                else
                    rm -f "$path"
                fi
            done
    fi
    if [ "$FIO_LOG_SIZE0" != -1 ] && [ -f "$FIO_LOG" ]; then
        tail -c +$((FIO_LOG_SIZE0 + 1)) "$FIO_LOG" >"$W/log/fio_gfapi.log" || true
        [ "$FIO_LOG_SIZE0" = 0 ] && rm -f "$FIO_LOG"
    fi
    return 0
}

on_exit() {
    local rc=$?
    trap - EXIT ERR
    set +e
    [ "$rc" != 0 ] && FAILED=1
    if [ "$FAILED" = 1 ] && [ -n "$W" ] && [ -d "$W/log" ]; then
        # glusterd logs these errors on every first start; they are noise.
        local benign='ulimit -n|Key=log-group|gf_store_handle_retrieve|Key=key2'
        for f in "$W"/log/glusterd.log "$W"/log/bricks/*.log; do
            [ -f "$f" ] || continue
            echo "---- $f: errors (last 10) and last 5 lines ----" >&2
            grep -E '\] [EC] \[' "$f" | grep -vE "$benign" | tail -n 10 >&2
            tail -n 5 "$f" >&2
        done
        grep -l 'signal received' "$W"/log/*.log "$W"/log/bricks/*.log \
            2>/dev/null | sed 's/^/CRASH reported in /' >&2
    fi
    teardown
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

[ "$(id -u)" = 0 ] || die "must run as root (glusterd, ip netns)"
if [ -z "${MAGPOOL_PRELOAD+set}" ]; then
    say "MAGPOOL_PRELOAD is unset: testing stock GlusterFS, no preload"
fi
if [ -n "$PRELOAD" ]; then
    case $PRELOAD in
    /*) ;;
    *) die "MAGPOOL_PRELOAD must be an absolute path: $PRELOAD" ;;
    esac
    [ -f "$PRELOAD" ] || die "MAGPOOL_PRELOAD: no such file: $PRELOAD"
    PRELOAD_REAL=$(readlink -f "$PRELOAD")
    say "preloading $PRELOAD"
else
    say "no preload: stock GlusterFS mem-pool"
fi

need=()
for p in glusterfs-server glusterfs-client fio libglusterfs-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
        grep -q 'install ok installed' || need+=("$p")
done
command -v cc >/dev/null || need+=(gcc)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v ip >/dev/null || need+=(iproute2)
if [ ${#need[@]} -gt 0 ]; then
    say "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || die "apt-get update failed"
    apt-get install -y -qq "${need[@]}" >/dev/null ||
        die "apt-get install ${need[*]} failed"
fi
command -v nsenter >/dev/null || die "nsenter (util-linux) is missing"

running=$(procs_named glusterd)
[ -z "$running" ] ||
    die "a glusterd is already running (pid $running): stop it first;" \
        "this test must not run beside, or disturb, another glusterd"

W=$(mktemp -d /tmp/magpool-gluster.XXXXXX)
# The environment of every GlusterFS process under test (glusterd passes it
# on to the bricks it spawns).
GF_ENV=(MAGPOOL_STATS="$W/stats.%p" MAGPOOL_SWEEP_MS=1000)
[ -n "$PRELOAD" ] && GF_ENV+=(LD_PRELOAD="$PRELOAD")
mkdir -p "$W/brick" "$W/log" "$W/run" "$W/dumps"
say "working directory $W, namespace $NS, volume $VOL"

# shellcheck disable=SC2046 # pkg-config prints several words
cc -std=gnu11 -O2 -g -Wall -Wextra -o "$W/smallfiles" "$HERE/smallfiles.c" \
    $(pkg-config --cflags --libs glusterfs-api) -lpthread ||
    die "cannot build smallfiles.c"

# ------------------------------------------------------------------ set-up

find "${OUTSIDE[@]}" 2>/dev/null | sort >"$W/outside.before" || true
ip netns add "$NS" || die "ip netns add $NS failed"
NS_MADE=1
ip -n "$NS" link set lo up

in_ns env "${GF_ENV[@]}" glusterd -p "$W/glusterd.pid" \
    --log-file="$W/log/glusterd.log" \
    --xlator-option management.working-directory="$W/glusterd" \
    --xlator-option management.run-directory="$W/run" \
    --xlator-option management.logging-directory="$W/log" \
    --xlator-option management.glusterd-sockfile="$W/run/glusterd.socket" ||
    die "glusterd did not start (see $W/log/glusterd.log)"
for ((i = 0; i < 60; i++)); do
    [ -s "$W/glusterd.pid" ] && gcli volume list >/dev/null 2>&1 && break
    sleep 0.5
done
GD_PID=$(cat "$W/glusterd.pid" 2>/dev/null || true)
[ -n "$GD_PID" ] && alive "$GD_PID" || die "glusterd is not running"
gcli volume list >/dev/null 2>&1 || die "glusterd does not answer the CLI"
say "glusterd pid $GD_PID ready"
check_mapped "$GD_PID" glusterd

gcli volume create "$VOL" "$HOST:$W/brick" force >/dev/null
VOL_CREATED=1
gcli volume set "$VOL" server.statedump-path "$W/dumps" >/dev/null
gcli volume start "$VOL" >/dev/null
BRICK=$(brick_online_pid) || die "brick of $VOL did not come online"
BRICK_PIDS+=("$BRICK")
say "volume $VOL started, brick pid $BRICK"
check_mapped "$BRICK" "brick glusterfsd"

# ------------------------------------------------------------------- load

if [ -f "$FIO_LOG" ]; then
    FIO_LOG_SIZE0=$(stat -c %s "$FIO_LOG")
else
    FIO_LOG_SIZE0=0
fi
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
gcli volume stop "$VOL" >/dev/null
wait_gone "$BRICK" 15 || die "brick $BRICK still running after volume stop"
if [ -n "$PRELOAD" ]; then
    if [ -s "$W/stats.$BRICK" ]; then
        say "stopped brick $BRICK wrote its stats file at exit"
    else
        say "stopped brick $BRICK wrote no stats file"
    fi
fi
gcli volume start "$VOL" >/dev/null
BRICK=$(brick_online_pid) || die "brick of $VOL did not come online again"
BRICK_PIDS+=("$BRICK")
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

crashes=$(grep -l -E 'signal received|pending frames:' \
    "$W"/log/*.log "$W"/log/bricks/*.log 2>/dev/null || true)
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
