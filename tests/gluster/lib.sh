# shellcheck shell=bash disable=SC2034 # the state is read by the callers
# tests/gluster/lib.sh - a private GlusterFS (10.x, 11.x) on loopback: set-up,
# clients and teardown, shared by run.sh (the end-to-end test) and bench.sh
# (the benchmark).  Sourced, never run; bash with set -Eeuo pipefail.
#
# What it owns: one network namespace ($NS, loopback only), one glusterd
# with a private working, run and log directory and CLI socket under $W,
# one one-brick volume ($VOL on $HOST:$W/brick) with a private statedump
# path, and the clients started through client().  Every process it starts
# runs in $NS, which is how teardown finds (and ends, by pid) anything left
# over.  What GlusterFS still places at fixed paths (each brick's socket in
# /var/run/gluster, /var/run/gluster/snaps, /var/lib/glusterd/ss_brick,
# /var/lib/glusterd/geo-replication/gsyncd_template.conf) is removed if
# this run created it: gf_start lists $OUTSIDE before it starts glusterd
# and teardown removes what is new.  fio's gfapi engine logs to the fixed
# path /tmp/fio_gfapi.log; teardown moves what this run appended (since
# gf_mark_fio_log) into $W/log.
#
# The caller sets, before gf_start:
#   PRELOAD   the shim to check for in each process's maps (empty: none)
#   W         the working directory (empty, or made by gf_workdir)
#   GF_ENV    the environment of every GlusterFS process under test, as
#             VAR=value words: glusterd passes it on to the bricks it
#             spawns, client() puts it on the clients
# and may set CLIENT_WRAP, words put before `env GF_ENV...` in client()
# (a measuring wrapper such as GNU time; empty by default), and GD_ENV,
# more VAR=value words for glusterd (so its bricks) only.
#
# State (read it, do not change it): GD_PID, BRICK (the running brick),
# BRICK_PIDS (every brick this run started), VOLS (every volume this run
# created), VOL_CREATED, NS_MADE, TORN_DOWN, FAILED.  teardown is
# idempotent; the caller runs it from its EXIT trap.
#
# Brick multiplexing: gf_start_mux N instead of gf_start sets
# cluster.brick-multiplex on and creates N one-brick volumes ($VOL-1 ..
# $VOL-N on $W/brick1 ..), which glusterd attaches to one glusterfsd.
#
# Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).

GF_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HOST=127.0.0.2
NS=magpool-gluster-$$
NSPATH=/run/netns/$NS
VOL=magpool-$$-$RANDOM
FIO_LOG=/tmp/fio_gfapi.log
OUTSIDE=(/var/lib/glusterd /var/run/gluster /var/log/glusterfs)

W=
GF_ENV=()
GD_ENV=()
CLIENT_WRAP=()
PRELOAD_REAL=
NS_MADE=0
GD_PID=
VOL_CREATED=0
VOLS=()
BRICK=
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

# Every process in our namespace: exactly the ones this run started.
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

# client NAME SECONDS COMMAND...: run a client in the namespace with
# GF_ENV; its pid goes to $W/pid.NAME (sh and env exec, so with no
# CLIENT_WRAP the pid is the client's own: its stats file is stats.PID),
# its output to $W/log/NAME.out.
client() {
    local name=$1 secs=$2 rc=0
    shift 2
    # shellcheck disable=SC2016 # $$ and $0 are for the inner sh
    (cd "$W" && timeout -k 10 "$secs" nsenter --net="$NSPATH" \
        sh -c 'echo $$ >"$0"; exec "$@"' "$W/pid.$name" \
        "${CLIENT_WRAP[@]}" env "${GF_ENV[@]}" "$@" \
        >"$W/log/$name.out" 2>&1) || rc=$?
    case $rc in
    0) ;;
    124 | 137) die "$name: still running after ${secs}s (see $W/log/$name.out)" ;;
    *)
        tail -n 20 "$W/log/$name.out" >&2
        # Under valgrind (CLIENT_WRAP): the reports that made it fail.
        local v
        for v in "$W"/log/valgrind.*.log; do
            [ -s "$v" ] || continue
            echo "---- $v (first 80 lines) ----" >&2
            head -n 80 "$v" >&2
        done
        if [ "$rc" -gt 128 ]; then
            die "$name: killed by signal $((rc - 128))"
        fi
        die "$name: exit status $rc"
        ;;
    esac
}

# Print the brick's pid once volume $1 ($VOL by default) reports it
# online.  (The plain `volume status` wraps long brick paths; the XML form
# does not.)
brick_online_pid() {
    local i xml status pid v=${1:-$VOL}
    for ((i = 0; i < 60; i++)); do
        xml=$(gcli volume status "$v" --xml 2>/dev/null || true)
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

# Start the volume (created or stopped) and wait for its brick: sets BRICK.
start_volume() {
    gcli volume start "$VOL" >/dev/null
    BRICK=$(brick_online_pid) || die "brick of $VOL did not come online"
    BRICK_PIDS+=("$BRICK")
}

# Stop the volume and wait for its brick to end.
stop_volume() {
    gcli volume stop "$VOL" >/dev/null
    wait_gone "$BRICK" 15 || die "brick $BRICK still running after volume stop"
}

# ----------------------------------------------------------------- teardown

# Stop and delete the volume, end glusterd and anything else of ours, drop
# the namespace.  Idempotent; on the failure path every step is tolerated.
teardown() {
    local pid left
    [ "$TORN_DOWN" = 1 ] && return 0
    TORN_DOWN=1
    if [ "$VOL_CREATED" = 1 ] && [ -n "$GD_PID" ] && alive "$GD_PID"; then
        local v
        for v in "${VOLS[@]}"; do
            gcli volume stop "$v" >/dev/null 2>&1 ||
                say "teardown: volume stop $v failed"
        done
        for pid in "${BRICK_PIDS[@]}"; do
            wait_gone "$pid" 15 || say "teardown: brick $pid still running"
        done
        for v in "${VOLS[@]}"; do
            gcli volume delete "$v" >/dev/null 2>&1 ||
                say "teardown: volume delete $v failed"
        done
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

# After a failure: the errors and last lines of glusterd's and the bricks'
# logs, and which logs report a crash.
# On exit (traps off, errexit off): a non-zero status $1 marks the run
# failed; a failed run shows its logs; either way tear everything down.
end_run() {
    [ "$1" != 0 ] && FAILED=1
    [ "$FAILED" = 1 ] && show_failure_logs
    teardown
}

show_failure_logs() {
    local f
    [ -n "$W" ] && [ -d "$W/log" ] || return 0
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
    return 0
}

# Logs of this run that report a crash, one per line (none: nothing).
crash_logs() {
    grep -l -E 'signal received|pending frames:' \
        "$W"/log/*.log "$W"/log/bricks/*.log 2>/dev/null || true
}

# ---------------------------------------------------------------- pre-flight

# Check MAGPOOL_PRELOAD's value, $PRELOAD; set PRELOAD_REAL.
check_preload() {
    [ -n "$PRELOAD" ] || return 0
    case $PRELOAD in
    /*) ;;
    *) die "MAGPOOL_PRELOAD must be an absolute path: $PRELOAD" ;;
    esac
    [ -f "$PRELOAD" ] || die "MAGPOOL_PRELOAD: no such file: $PRELOAD"
    PRELOAD_REAL=$(readlink -f "$PRELOAD")
}

# Root, the packages (installed if missing; $@: more of them), and no
# other glusterd.
# shellcheck disable=SC2120 # the arguments are optional
preflight() {
    local need=() p running
    [ "$(id -u)" = 0 ] || die "must run as root (glusterd, ip netns)"
    # uuid-dev and libssl-dev: glusterfs-api.pc requires uuid and
    # GlusterFS's headers include openssl/sha.h, and libglusterfs-dev
    # brings neither (./bootstrap's list says the same).
    for p in glusterfs-server glusterfs-client fio libglusterfs-dev uuid-dev libssl-dev "$@"; do
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
        # Keep the packages' own glusterd from starting (on a systemd
        # machine glusterfs-server would start it): this test runs its
        # own and refuses to run beside another.
        local policy=/usr/sbin/policy-rc.d ours=0
        if [ ! -e "$policy" ]; then
            printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" &&
                ours=1
        fi
        local rc=0
        apt-get install -y -qq "${need[@]}" >/dev/null || rc=$?
        if [ "$ours" = 1 ]; then rm -f "$policy"; fi
        [ "$rc" = 0 ] || die "apt-get install ${need[*]} failed"
    fi
    command -v nsenter >/dev/null || die "nsenter (util-linux) is missing"

    running=$(procs_named glusterd)
    [ -z "$running" ] ||
        die "a glusterd is already running (pid $running): stop it first;" \
            "this must not run beside, or disturb, another glusterd"
}

# Build metadata.c into $1.
build_metadata() {
    # shellcheck disable=SC2046 # pkg-config prints several words
    cc -std=gnu11 -O2 -g -Wall -Wextra -o "$1" \
        "$GF_LIB_DIR/../../perf/gluster/metadata.c" \
        $(pkg-config --cflags --libs glusterfs-api) -lpthread ||
        die "cannot build metadata.c"
}

# Build smallfiles.c into $1.
build_smallfiles() {
    # shellcheck disable=SC2046 # pkg-config prints several words
    cc -std=gnu11 -O2 -g -Wall -Wextra -o "$1" \
        "$GF_LIB_DIR/smallfiles.c" \
        $(pkg-config --cflags --libs glusterfs-api) -lpthread ||
        die "cannot build smallfiles.c"
}

# ------------------------------------------------------------------ set-up

# Make $W's layout (a new mktemp -d directory when W is empty).
gf_workdir() {
    [ -n "$W" ] || W=$(mktemp -d /tmp/magpool-gluster.XXXXXX)
    mkdir -p "$W/brick" "$W/log" "$W/run" "$W/dumps"
}

# The namespace and glusterd, started: sets GD_PID.
gf_start_glusterd() {
    local i
    find "${OUTSIDE[@]}" 2>/dev/null | sort >"$W/outside.before" || true
    ip netns add "$NS" || die "ip netns add $NS failed"
    NS_MADE=1
    ip -n "$NS" link set lo up

    in_ns env "${GF_ENV[@]}" "${GD_ENV[@]}" glusterd -p "$W/glusterd.pid" \
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
}

# The namespace, glusterd, and the volume, started: sets GD_PID and BRICK.
gf_start() {
    gf_start_glusterd
    VOLS=("$VOL")
    VOL_CREATED=1
    gcli volume create "$VOL" "$HOST:$W/brick" force >/dev/null
    gcli volume set "$VOL" server.statedump-path "$W/dumps" >/dev/null
    start_volume
    say "volume $VOL started, brick pid $BRICK"
    check_mapped "$BRICK" "brick glusterfsd"
}

# gf_start_mux N: the namespace, glusterd with cluster.brick-multiplex on,
# N one-brick volumes $VOL-1 .. $VOL-N (bricks $W/brick1 ..), all started
# and all served by one glusterfsd: sets GD_PID, VOLS and BRICK.
gf_start_mux() {
    local n=$1 i v pid
    gf_start_glusterd
    gcli volume set all cluster.brick-multiplex on >/dev/null
    VOL_CREATED=1
    for ((i = 1; i <= n; i++)); do
        v=$VOL-$i
        mkdir -p "$W/brick$i"
        VOLS+=("$v")
        gcli volume create "$v" "$HOST:$W/brick$i" force >/dev/null
        gcli volume set "$v" server.statedump-path "$W/dumps" >/dev/null
    done
    for v in "${VOLS[@]}"; do
        gcli volume start "$v" >/dev/null
        pid=$(brick_online_pid "$v") || die "brick of $v did not come online"
        if [ -z "$BRICK" ]; then
            BRICK=$pid
            BRICK_PIDS+=("$pid")
        fi
        [ "$pid" = "$BRICK" ] ||
            die "brick multiplexing: $v is served by pid $pid, not $BRICK"
    done
    say "$n volumes started, all in brick pid $BRICK"
    check_mapped "$BRICK" "brick glusterfsd"
}

# Remember the size of fio's gfapi log, so teardown moves what this run
# appends to it.
gf_mark_fio_log() {
    if [ -f "$FIO_LOG" ]; then
        FIO_LOG_SIZE0=$(stat -c %s "$FIO_LOG")
    else
        FIO_LOG_SIZE0=0
    fi
}
