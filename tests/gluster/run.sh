#!/bin/bash
# tests/gluster/run.sh - GlusterFS 10.x or 11.x end to end, with magpool
# preloaded or linked into a rebuilt glusterfsd.
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
# Static mode (MAGPOOL_GLUSTERFSD, `make check-gluster-static`): the same
# load and checks with no LD_PRELOAD anywhere; the script re-runs itself in
# a private mount namespace (unshare -m --propagation private) and
# bind-mounts the rebuilt binary over /usr/sbin/glusterfsd there, so
# glusterd and the bricks it spawns run it and no host file changes.  It
# checks that the brick and glusterd run that binary, map no magpool
# library and have no LD_PRELOAD; that the brick's dynamic linker bound
# libglusterfs's, libgfrpc's and the translators' pool calls to the
# executable (LD_DEBUG=bindings on glusterd, which its bricks inherit);
# that GlusterFS's own sweeper thread (glfs_memsweep) is absent and
# magpool's (magpool-sweep) present (in stock mode: the reverse, which
# shows the check can tell); and that MAGPOOL_STATS files come from the
# bricks, not from the clients, which use Debian's unmodified libraries.
#
# Run as root, from the repository root:
#   MAGPOOL_PRELOAD=/abs/path/libmagpool-preload.so bash tests/gluster/run.sh
#   MAGPOOL_GLUSTERFSD=/abs/path/glusterfsd-magpool bash tests/gluster/run.sh
#   MAGPOOL_PRELOAD= bash tests/gluster/run.sh     # stock GlusterFS
#
# Environment:
#   MAGPOOL_PRELOAD               the shim to preload; empty: none (the
#                                 preload-specific checks are skipped)
#   MAGPOOL_GLUSTERFSD            a glusterfsd with magpool linked in (made
#                                 by `make glusterfsd`); excludes
#                                 MAGPOOL_PRELOAD
#   MAGPOOL_EXPECT_MAGPOOL_SIZES  1: every pool's padded-sizeof must be
#                                 sizeof-type + 8 rounded up to 16
#   MAGPOOL_GLUSTER_KEEP          1: keep the working directory
#   MAGPOOL_GLUSTERFS             passed on to every GlusterFS process
#                                 (off: the shim forwards every call)
#   MAGPOOL_EXPECT_STEP_ASIDE     1: the preloaded shim must leave the
#                                 pools to GlusterFS (a release or build it
#                                 does not serve, or a shim the dynamic
#                                 linker cannot load): the stock checks
#                                 (GlusterFS's own sweeper, no magpool line
#                                 in any statedump), with the shim's
#                                 messages shown
#   MAGPOOL_EXPECT_TCMALLOC       1: the GlusterFS installed (or bind-mounted
#                                 by tests/gluster/tcmalloc.sh) is a
#                                 tcmalloc build, with no pool
#                                 (GF_DISABLE_MEMPOOL): glusterd and the
#                                 bricks map libtcmalloc_minimal and a
#                                 libglusterfs that exports no
#                                 mem_get_malloc and run no sweeper thread
#                                 (GlusterFS's nor magpool's); the brick's
#                                 and the smallfiles client's statedumps
#                                 say "built with --disable-mempool" where
#                                 the [mempool] section would be; with
#                                 MAGPOOL_PRELOAD, needs
#                                 MAGPOOL_EXPECT_STEP_ASIDE=1 and checks
#                                 that both clients printed the shim's
#                                 step-aside message
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
GLUSTERFSD=${MAGPOOL_GLUSTERFSD-}
EXPECT_SIZES=${MAGPOOL_EXPECT_MAGPOOL_SIZES:-0}
KEEP=${MAGPOOL_GLUSTER_KEEP:-0}
SBIN_GLUSTERFSD=/usr/sbin/glusterfsd

# Static mode: into a private mount namespace first (see above).
if [ -n "$GLUSTERFSD" ]; then
    [ -z "$PRELOAD" ] || die "MAGPOOL_GLUSTERFSD and MAGPOOL_PRELOAD exclude each other"
    case $GLUSTERFSD in
    /*) ;;
    *) die "MAGPOOL_GLUSTERFSD must be an absolute path: $GLUSTERFSD" ;;
    esac
    [ -x "$GLUSTERFSD" ] || die "MAGPOOL_GLUSTERFSD: no such executable: $GLUSTERFSD"
    if [ "${MAGPOOL_GLUSTER_MNTNS:-}" != 1 ]; then
        [ "$(id -u)" = 0 ] || die "must run as root (mount namespace, glusterd, ip netns)"
        exec unshare --mount --propagation private \
            env MAGPOOL_GLUSTER_MNTNS=1 bash "${BASH_SOURCE[0]}" "$@"
    fi
fi
# 1: magpool serves the daemons' pools (preloaded or linked in).
IN_DAEMONS=0
if [ -n "$PRELOAD" ] || [ -n "$GLUSTERFSD" ]; then IN_DAEMONS=1; fi
STEP_ASIDE=${MAGPOOL_EXPECT_STEP_ASIDE:-0}
if [ "$STEP_ASIDE" = 1 ]; then
    [ -n "$PRELOAD" ] || die "MAGPOOL_EXPECT_STEP_ASIDE needs MAGPOOL_PRELOAD"
    IN_DAEMONS=0
    EXPECT_SIZES=0
fi
TCMALLOC=${MAGPOOL_EXPECT_TCMALLOC:-0}
if [ "$TCMALLOC" = 1 ]; then
    [ -z "$GLUSTERFSD" ] || die "MAGPOOL_EXPECT_TCMALLOC excludes MAGPOOL_GLUSTERFSD"
    [ -z "$PRELOAD" ] || [ "$STEP_ASIDE" = 1 ] ||
        die "MAGPOOL_EXPECT_TCMALLOC with MAGPOOL_PRELOAD needs MAGPOOL_EXPECT_STEP_ASIDE=1"
fi

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
elif [ -n "$GLUSTERFSD" ]; then
    say "static: $GLUSTERFSD over $SBIN_GLUSTERFSD in a private mount namespace, no preload"
else
    say "no preload: stock GlusterFS mem-pool"
fi
preflight
if [ -n "$GLUSTERFSD" ]; then
    [ "$(readlink /proc/self/ns/mnt)" != "$(readlink /proc/1/ns/mnt)" ] ||
        die "not in a private mount namespace: refusing to bind-mount over $SBIN_GLUSTERFSD"
    mount --bind "$GLUSTERFSD" "$SBIN_GLUSTERFSD" ||
        die "cannot bind-mount $GLUSTERFSD over $SBIN_GLUSTERFSD"
    cmp -s "$GLUSTERFSD" "$SBIN_GLUSTERFSD" ||
        die "$SBIN_GLUSTERFSD is not $GLUSTERFSD after the bind mount"
    for l in glusterd glusterfs; do
        [ "$(readlink -f "/usr/sbin/$l")" = "$SBIN_GLUSTERFSD" ] ||
            die "/usr/sbin/$l is not a link to $SBIN_GLUSTERFSD"
    done
    say "$SBIN_GLUSTERFSD (and glusterd, glusterfs) = $GLUSTERFSD in this mount namespace"
fi

gf_workdir
GF_ENV=(MAGPOOL_STATS="$W/stats.%p" MAGPOOL_SWEEP_MS=1000)
[ -n "$PRELOAD" ] && GF_ENV+=(LD_PRELOAD="$PRELOAD")
[ -n "${MAGPOOL_GLUSTERFS:-}" ] && GF_ENV+=(MAGPOOL_GLUSTERFS="$MAGPOOL_GLUSTERFS")
# The dynamic linker's bindings of glusterd and of every brick it spawns.
[ -n "$GLUSTERFSD" ] && GD_ENV=(LD_DEBUG=bindings LD_DEBUG_OUTPUT="$W/ldbind")
say "working directory $W, namespace $NS, volume $VOL"
build_smallfiles "$W/smallfiles"

# ------------------------------------------------------------------ set-up

# Which pool a daemon (pid $1, named $2) runs: GlusterFS's own sweeper
# thread in stock mode; magpool's and not GlusterFS's otherwise; in static
# mode also the rebuilt binary, no magpool library mapped, no LD_PRELOAD.
check_daemon_pool() {
    local pid=$1 who=$2 comms
    comms=$(cat /proc/"$pid"/task/*/comm 2>/dev/null | sort | uniq -c |
            awk '{printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1}')
    if [ "$TCMALLOC" = 1 ]; then
        ! grep -qxE 'glfs_memsweep|magpool-sweep' /proc/"$pid"/task/*/comm 2>/dev/null ||
            die "$who (pid $pid) runs a pool sweeper thread in a GlusterFS without pools (threads: $comms)"
        check_tcmalloc "$pid" "$who"
    elif [ "$IN_DAEMONS" = 1 ]; then
        ! grep -qx glfs_memsweep /proc/"$pid"/task/*/comm 2>/dev/null ||
            die "$who (pid $pid) runs GlusterFS's own sweeper thread glfs_memsweep"
        grep -qx magpool-sweep /proc/"$pid"/task/*/comm 2>/dev/null ||
            die "$who (pid $pid) has no magpool-sweep thread (threads: $comms)"
    else
        grep -qx glfs_memsweep /proc/"$pid"/task/*/comm 2>/dev/null ||
            die "stock $who (pid $pid) has no glfs_memsweep thread (threads: $comms)"
    fi
    say "$who (pid $pid) threads: $comms"
    [ -n "$GLUSTERFSD" ] || return 0
    cmp -s "/proc/$pid/exe" "$GLUSTERFSD" ||
        die "$who (pid $pid) does not run $GLUSTERFSD ($(readlink "/proc/$pid/exe"))"
    ! grep -q 'libmagpool' "/proc/$pid/maps" ||
        die "$who (pid $pid) maps a magpool library: $(grep -o '/[^ ]*libmagpool[^ ]*' "/proc/$pid/maps" | sort -u)"
    ! tr '\0' '\n' <"/proc/$pid/environ" | grep -q '^LD_PRELOAD=' ||
        die "$who (pid $pid) has LD_PRELOAD in its environment"
    say "$who (pid $pid) runs the rebuilt glusterfsd: no LD_PRELOAD, no magpool library mapped"
}

# Tcmalloc mode: process $1 ($2 names it) maps libtcmalloc_minimal and a
# libglusterfs (the file this mount namespace shows at its path) that
# exports no mem_get_malloc nor mem_put_pool.
check_tcmalloc() {
    local pid=$1 who=$2 tc gfl
    tc=$(awk '$6 ~ /libtcmalloc_minimal/ { print $6; exit }' "/proc/$pid/maps")
    [ -n "$tc" ] || die "$who (pid $pid) does not map libtcmalloc_minimal: not GlusterFS's tcmalloc build"
    gfl=$(awk '$6 ~ /libglusterfs\.so/ { print $6; exit }' "/proc/$pid/maps")
    [ -n "$gfl" ] || die "$who (pid $pid) maps no libglusterfs"
    ! nm -D --defined-only "$gfl" | grep -wE 'mem_get_malloc|mem_put_pool' >/dev/null ||
        die "$who (pid $pid): $gfl exports mem_get_malloc/mem_put_pool: GlusterFS's pool is built in"
    say "$who (pid $pid) maps $tc and $gfl (inode $(stat -c %i "$gfl"), no mem_get_malloc, mem_put_pool): GlusterFS's tcmalloc build"
}

# Static mode: the dynamic linker bound the pool calls of libglusterfs,
# libgfrpc and the translators in brick $1 to the executable.
check_bindings() {
    local f s objs
    # The file is named after the pid that exec'd (the brick daemonizes
    # with fork() later); glusterd runs as "glusterd" and spawns the one
    # brick started so far as $SBIN_GLUSTERFSD.
    f=$(grep -lF "to $SBIN_GLUSTERFSD [0]" "$W"/ldbind.* 2>/dev/null | head -n 1) ||
        true
    [ -n "$f" ] || die "no LD_DEBUG=bindings output of a brick in $W/ldbind.*"
    for s in mem_get_malloc mem_get_calloc mem_put_pool mem_pool_new_fn \
        mem_pool_destroy gf_proc_dump_mempool_info; do
        # Every binding of the symbol, by the object that asked: all of
        # them must go to the executable, but the executable's own lookup
        # of GlusterFS's definition (the front's dlsym(RTLD_NEXT), what it
        # would forward to).
        if grep -F "symbol \`$s'" "$f" | grep -vF "to $SBIN_GLUSTERFSD [0]" |
            grep -vF "binding file $SBIN_GLUSTERFSD [0] to " | grep -q .; then
            die "brick $1: $s bound elsewhere: $(grep -F "symbol \`$s'" "$f" | grep -vF "to $SBIN_GLUSTERFSD [0]" | grep -vF "binding file $SBIN_GLUSTERFSD [0] to " | head -n 1)"
        fi
        grep -F "symbol \`$s'" "$f" | grep -qF 'libglusterfs.so' ||
            die "brick $1: no binding of libglusterfs's $s"
    done
    objs=$(grep -E "symbol \`(mem_get_malloc|mem_get_calloc|mem_put_pool|mem_pool_new_fn|mem_pool_destroy)'" "$f" |
           sed -n 's/.*binding file \([^ ]*\) .*/\1/p' | sed 's|.*/||' | sort -u)
    say "brick $1: the pool calls of $(echo "$objs" | wc -l) objects bound to $SBIN_GLUSTERFSD: $(echo "$objs" | tr '\n' ' ')"
}

gf_start
check_daemon_pool "$GD_PID" glusterd
check_daemon_pool "$BRICK" brick
[ -z "$GLUSTERFSD" ] || check_bindings "$BRICK"

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
# Every 4 KiB read and write fio did (fill, its verify, mixed).
FIO_IOS=$(awk -F';' '$1 == 3 { n += ($6 + $47) / 4 } END { printf "%d", n }' "$W/log/fio.out")
FIO_BRICK=$BRICK

say "stopping and starting $VOL"
stop_volume
if [ "$IN_DAEMONS" = 1 ]; then
    if [ -s "$W/stats.$BRICK" ]; then
        say "stopped brick $BRICK wrote its stats file at exit"
    else
        say "stopped brick $BRICK wrote no stats file"
    fi
fi
start_volume
say "volume $VOL restarted, brick pid $BRICK"
if [ "$STEP_ASIDE" = 1 ]; then
    if grep -qF "$PRELOAD_REAL" "/proc/$BRICK/maps"; then
        say "brick glusterfsd (pid $BRICK) maps the shim, which must forward"
    else
        say "brick glusterfsd (pid $BRICK) does not map the shim (the dynamic linker refused it)"
    fi
else
    check_mapped "$BRICK" "brick glusterfsd"
fi
check_daemon_pool "$BRICK" "restarted brick"

say "smallfiles: 4 threads x 200 files x 2 rounds, 1-8 KiB"
mkdir "$W/client-dumps"
client smallfiles 150 "$W/smallfiles" "$HOST" "$VOL" "$W/log/smallfiles.log" \
    4 200 2 "$W/client-dumps"
sed 's/^/  /' "$W/log/smallfiles.out"
CLIENT_DUMP=$(ls "$W"/client-dumps/*.dump.* 2>/dev/null | head -n 1 || true)
[ -n "$CLIENT_DUMP" ] && grep -q '^DUMP-END-TIME' "$CLIENT_DUMP" ||
    die "smallfiles wrote no complete statedump in $W/client-dumps"
alive "$BRICK" || die "the brick died during smallfiles"

# ----------------------------------------------------- valgrind (shim only)

# A gfapi client with the shim under valgrind memcheck, where magpool
# tells memcheck about every pooled object (magpool(7), DEBUGGING): no
# memcheck error may appear, and no pooled object may be definitely lost.
# (GlusterFS's own malloc leaks at glfs_fini are reported and ignored:
# they are not the pool's.)
if [ -n "$PRELOAD" ] && command -v valgrind >/dev/null; then
    say "smallfiles (1 thread x 20 files) under valgrind memcheck with the shim"
    CLIENT_WRAP=(valgrind -q --trace-children=yes --error-exitcode=99
                 --leak-check=full --errors-for-leak-kinds=none
                 --num-callers=20 --log-file="$W/log/valgrind.%p.log")
    client smallfiles-vg 300 "$W/smallfiles" "$HOST" "$VOL" \
        "$W/log/smallfiles-vg.log" 1 20 1
    CLIENT_WRAP=()
    sed 's/^/  /' "$W/log/smallfiles-vg.out"
    vlog=$(grep -l 'smallfiles' "$W"/log/valgrind.*.log 2>/dev/null | head -n 1 || true)
    [ -n "$vlog" ] || vlog=$(ls "$W"/log/valgrind.*.log | tail -n 1)
    nerr=$(grep -cE '^==[0-9]+== (Invalid|Conditional|Use of uninit|Syscall param|Mismatched|Source and destination)' \
           "$vlog" || true)
    pooled_lost=$(awk '/definitely lost/ { d = 1; next }
                       d && /^==[0-9]+==    at / { if ($0 ~ /mp_debug_get/) n++; d = 0 }
                       END { print n + 0 }' "$vlog")
    glusterfs_lost=$(grep -c 'definitely lost in loss record' "$vlog" || true)
    say "valgrind: $nerr memcheck errors, $pooled_lost pooled objects definitely lost ($glusterfs_lost definitely-lost records in all, GlusterFS's own allocations)"
    [ "$nerr" = 0 ] || { head -n 60 "$vlog" >&2; die "memcheck errors under the shim (see $vlog)"; }
    [ "$pooled_lost" = 0 ] || die "memcheck: pooled objects definitely lost (see $vlog)"
fi

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

# GlusterFS 11 allocates inodes with GF_MALLOC: no inode_t pool there.
GF_MAJOR=$(glusterfsd --version 2>/dev/null | sed -n '1s/^glusterfs \([0-9]*\).*/\1/p')
INODE_POOL=(inode_t)
[ "${GF_MAJOR:-10}" -lt 11 ] || INODE_POOL=()
if [ "$TCMALLOC" = 1 ]; then
    # GlusterFS's gf_proc_dump_mempool_info() without its pool: one line,
    # no [mempool] section.
    for d in "$DUMP" "$CLIENT_DUMP"; do
        grep -q '^built with --disable-mempool' "$d" ||
            die "statedump $d lacks GlusterFS's \"built with --disable-mempool\" line"
        ! grep -q '^\[mempool\]' "$d" || die "statedump $d has a [mempool] section"
        say "$(basename "$d"): $(grep '^built with --disable-mempool' "$d"), no [mempool] section"
    done
else
    check_mempool "$DUMP" brick call_frame_t call_stack_t dict_t data_t \
        "${INODE_POOL[@]}" rpcsvc_request_t
    # gfapi lists the volume's frame, stack and dict pools under its global
    # context, not under the volume's: a client dump shows the xlators' pools.
    if [ -n "$GLUSTERFSD" ]; then
        # Debian's libraries in the client: GlusterFS's own pool.
        EXPECT_SIZES=0 check_mempool "$CLIENT_DUMP" "smallfiles client" clnt_local_t \
            dht_local_t "struct rpc_req" "struct saved_frame" "${INODE_POOL[@]}"
        ! grep -q '^magpool-' "$CLIENT_DUMP" ||
            die "the client's statedump has magpool lines: magpool reached a client"
        grep -q '^magpool-mapped=' "$DUMP" ||
            die "the brick's statedump has no magpool lines: its statedump did not bind to the executable's front"
        say "brick statedump written by magpool's front; client's by GlusterFS's own"
    else
        check_mempool "$CLIENT_DUMP" "smallfiles client" clnt_local_t dht_local_t \
            "struct rpc_req" "struct saved_frame" "${INODE_POOL[@]}"
    fi
fi
if [ "$EXPECT_SIZES" = 1 ]; then
    say "padded-sizeof = round16(sizeof-type + 8) for every magpool pool"
fi
if [ "$STEP_ASIDE" = 1 ]; then
    ! grep -qE '^magpool-(cached|mapped|bytes-[a-z-]+)=' "$DUMP" "$CLIENT_DUMP" ||
        die "a statedump has magpool lines: the shim served a GlusterFS it must leave alone"
    say "statedumps written by GlusterFS's own pool: the shim stepped aside"
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
if [ "$TCMALLOC" = 1 ] && [ -n "$PRELOAD" ]; then
    # The shim's one message (lib/gluster_front.c) in each gfapi client;
    # glusterd's went to this script's stderr before it daemonized, the
    # bricks' to glusterd's /dev/null.
    for c in fio smallfiles; do
        grep -q '^magpool\[[0-9]*\]: GlusterFS .*: built without its memory pool' \
            "$W/log/$c.out" ||
            die "the $c client did not print the shim's step-aside message"
    done
    say "both clients printed the shim's step-aside message (built without its memory pool)"
fi

if [ "$IN_DAEMONS" = 1 ]; then
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
    required=("${BRICK_PIDS[@]}")
    if [ -n "$GLUSTERFSD" ]; then
        # The clients run Debian's libraries, no magpool: no stats.
        for pid in "$(cat "$W/pid.fio")" "$(cat "$W/pid.smallfiles")"; do
            [ ! -e "$W/stats.$pid" ] ||
                die "${role[$pid]} pid $pid wrote MAGPOOL_STATS: magpool reached a client"
        done
    else
        required+=("$(cat "$W/pid.fio")" "$(cat "$W/pid.smallfiles")")
    fi
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

    # alloc-count: call_frame_t's gets, live and destroyed pools of that
    # name added up.  Every fop fio did made at least one frame in the
    # client and in the brick (one per translator, in fact).
    frames() {
        awk -F= '/^\[/ { inp = ($0 == "[call_frame_t]") }
                 inp && $1 == "alloc-count" { n += $2 }
                 END { printf "%d", n }' "$1"
    }
    SF_OPS=$(sed -n 's/.*: \([0-9]*\) operations in .*/\1/p' "$W/log/smallfiles.out")
    checks=("$FIO_BRICK:$FIO_IOS:fio's I/Os")
    if [ -z "$GLUSTERFSD" ]; then
        checks+=("$(cat "$W/pid.fio"):$FIO_IOS:its I/Os"
                 "$(cat "$W/pid.smallfiles"):$SF_OPS:its operations")
    fi
    for c in "${checks[@]}"; do
        IFS=: read -r pid want what <<<"$c"
        n=$(frames "$W/stats.$pid")
        [ "$n" -ge "$want" ] ||
            die "${role[$pid]} pid $pid: call_frame_t alloc-count $n < $want ($what)"
        say "${role[$pid]} pid $pid: call_frame_t alloc-count $n >= $want ($what)"
    done
    grep -q '^alloc-count=' "$DUMP" && grep -q '^max-active=' "$DUMP" ||
        die "the brick's statedump has no alloc-count/max-active"

    say "magpool-stat on the brick's statedump and on its MAGPOOL_STATS file:"
    python3 "$HERE/../../tools/magpool-stat" -n 6 "$DUMP" "$W/stats.$FIO_BRICK" |
        sed 's/^/  /' || die "magpool-stat failed"
fi

if [ "$STEP_ASIDE" = 1 ]; then
    mode="with $PRELOAD stepping aside"
elif [ -n "$PRELOAD" ]; then
    mode="with $PRELOAD"
elif [ -n "$GLUSTERFSD" ]; then
    mode="static: $GLUSTERFSD as $SBIN_GLUSTERFSD, no preload"
else
    mode="stock, no preload"
fi
say "PASS: GlusterFS end to end ($mode) in $((SECONDS - T0)) s"
