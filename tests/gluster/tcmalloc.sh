#!/bin/bash
# tests/gluster/tcmalloc.sh - the shim on a GlusterFS built with tcmalloc
# (`make check-gluster-tcmalloc`).
#
# Upstream's configure, given neither --with-tcmalloc nor --without-tcmalloc,
# links GlusterFS with tcmalloc_minimal and defines GF_DISABLE_MEMPOOL:
# mem_get/mem_put become GF_MALLOC/GF_FREE in every caller, mem_pool_new_fn
# returns the object size cast to a pointer, and libglusterfs exports no
# mem_get_malloc nor mem_put_pool.  The shim must see that, forward every
# function it interposes to GlusterFS's own and say so once per process.
#
# STAGE (the first argument) is such a GlusterFS installed with make install
# DESTDIR=STAGE (`gluster/glusterfsd.sh build-tcmalloc` makes it from
# Debian's source of the installed release).  The script re-runs itself in
# a private mount namespace (unshare -m --propagation private) and there
# bind-mounts STAGE's executables and libraries over the host's files of
# the same path (/usr/sbin/glusterfsd, gluster, libglusterfs.so.0.0.1,
# libgfrpc, libgfxdr, libgfapi, ...) and STAGE's translator directory
# (/usr/lib/<multiarch>/glusterfs/<version>) over the host's; no host file
# changes.  Then tests/gluster/run.sh with MAGPOOL_PRELOAD (the shim),
# MAGPOOL_EXPECT_STEP_ASIDE=1 and MAGPOOL_EXPECT_TCMALLOC=1: glusterd and
# the brick run the tcmalloc build (libtcmalloc_minimal mapped, a
# libglusterfs with no mem_get_malloc) and no pool sweeper, the gfapi
# clients (fio with crc32c verification, smallfiles) verify their data,
# the statedumps have GlusterFS's "built with --disable-mempool" line and
# no magpool line, both clients printed the shim's message, and no process
# crashed.  Here: glusterd printed it too (on run.sh's stderr, before it
# daemonized).
#
# Run as root, from the repository root:
#   MAGPOOL_PRELOAD=/abs/path/libmagpool-preload.so \
#       bash tests/gluster/tcmalloc.sh STAGE
#
# Exit status: 0 when run.sh and the checks here passed, 1 otherwise.
#
# Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).

set -Eeuo pipefail
export LC_ALL=C
T0=$SECONDS
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

say() { printf '[tcmalloc %3ds] %s\n' $((SECONDS - T0)) "$*"; }
die() {
    printf '[tcmalloc %3ds] ERROR: %s\n' $((SECONDS - T0)) "$*" >&2
    exit 1
}
trap 'die "line $LINENO: \"$BASH_COMMAND\" failed"' ERR

[ $# = 1 ] || die "usage: MAGPOOL_PRELOAD=/abs/shim.so $0 STAGE"
STAGE=$(readlink -f "$1")
PRELOAD=${MAGPOOL_PRELOAD:-}
case $PRELOAD in
/*) [ -f "$PRELOAD" ] || die "MAGPOOL_PRELOAD: no such file: $PRELOAD" ;;
*) die "MAGPOOL_PRELOAD must be the shim's absolute path" ;;
esac
[ -x "$STAGE/usr/sbin/glusterfsd" ] || die "no $STAGE/usr/sbin/glusterfsd"
[ "$(id -u)" = 0 ] || die "must run as root (mount namespace, glusterd, ip netns)"

if [ "${MAGPOOL_TCMALLOC_MNTNS:-}" != 1 ]; then
    exec unshare --mount --propagation private \
        env MAGPOOL_TCMALLOC_MNTNS=1 bash "${BASH_SOURCE[0]}" "$@"
fi
[ "$(readlink /proc/self/ns/mnt)" != "$(readlink /proc/1/ns/mnt)" ] ||
    die "not in a private mount namespace: refusing to bind-mount over the host's GlusterFS"

MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
LIBDIR=/usr/lib/$MA
VER=
for d in "$STAGE$LIBDIR"/glusterfs/[0-9]*.[0-9]*; do
    [ -d "$d" ] && VER=${d##*/}
done
[ -n "$VER" ] && [ -d "$LIBDIR/glusterfs/$VER" ] ||
    die "the stage's translator directory ($STAGE$LIBDIR/glusterfs/${VER:-?}) has no host counterpart: another release?"

# The host's GlusterFS executables and libraries, each replaced by the
# stage's file of the same path (symbolic links follow: glusterd and
# glusterfs point to glusterfsd, libglusterfs.so.0 to .so.0.0.1).
mounted=()
while IFS= read -r f; do
    host=${f#"$STAGE"}
    [ -f "$host" ] && [ ! -L "$host" ] || continue
    mount --bind "$f" "$host"
    mounted+=("${host##*/}")
done < <(find "$STAGE/usr/sbin" "$STAGE$LIBDIR" -maxdepth 1 -type f | sort)
mount --bind "$STAGE$LIBDIR/glusterfs/$VER" "$LIBDIR/glusterfs/$VER"
say "bind-mounted over the host's: $LIBDIR/glusterfs/$VER ($(find "$LIBDIR/glusterfs/$VER" -name '*.so' | wc -l) modules) and ${#mounted[@]} files: ${mounted[*]}"

# What the packages install and the stage does not replace (Debian's
# patches may add or drop a file): listed, not fatal.
# (Package names differ between releases: a missing one lists nothing.)
left=$({ dpkg -L glusterfs-server glusterfs-client glusterfs-common glusterfs-cli \
           libglusterfs0 libgfapi0 libgfrpc0 libgfxdr0 libglusterd0 libgfchangelog0 \
           2>/dev/null || true; } | grep -E "^(/usr/sbin/|$LIBDIR/)[^/]*(\.so[.0-9]*)?$" |
       while read -r p; do
           [ -f "$p" ] && [ ! -L "$p" ] || continue
           mountpoint -q "$p" || echo "$p"
       done | sort -u) || true
[ -z "$left" ] || say "not replaced (no such file in the stage): $(echo "$left" | tr '\n' ' ')"

# The host's paths now show the tcmalloc build.
GFLIB=$LIBDIR/libglusterfs.so.0
# (No grep -q after a pipe: with pipefail its early exit would fail the
# writer with SIGPIPE.)
ldd /usr/sbin/glusterfsd | grep libtcmalloc_minimal >/dev/null ||
    die "/usr/sbin/glusterfsd does not load libtcmalloc_minimal after the bind mounts"
! nm -D --defined-only "$GFLIB" | grep -wE 'mem_get_malloc|mem_put_pool' >/dev/null ||
    die "$GFLIB exports mem_get_malloc or mem_put_pool after the bind mounts"
say "/usr/sbin/glusterfsd: $(ldd /usr/sbin/glusterfsd | grep libtcmalloc_minimal | sed 's/^[[:space:]]*//')"
say "$GFLIB ($(readlink -f "$GFLIB")): exports mem_pool_new_fn, no mem_get_malloc, no mem_put_pool"
say "$(/usr/sbin/glusterfsd --version | head -n 1)"

LOG=$(mktemp /tmp/magpool-tcmalloc.XXXXXX)
rc=0
MAGPOOL_PRELOAD=$PRELOAD MAGPOOL_EXPECT_STEP_ASIDE=1 MAGPOOL_EXPECT_TCMALLOC=1 \
    MAGPOOL_EXPECT_MAGPOOL_SIZES=0 MAGPOOL_GLUSTERFSD='' \
    bash "$HERE/run.sh" 2>&1 | tee "$LOG" || rc=$?
[ "$rc" = 0 ] || { rm -f "$LOG"; die "run.sh failed"; }
# glusterd's message: printed before it daemonized, on run.sh's stderr.
msg=$(grep -m 1 '^magpool\[[0-9]*\]: GlusterFS .*: built without its memory pool' "$LOG" || true)
rm -f "$LOG"
[ -n "$msg" ] || die "glusterd did not print the shim's step-aside message"
say "glusterd: $msg"
say "PASS: the shim stepped aside on GlusterFS $VER built with tcmalloc in $((SECONDS - T0)) s"
