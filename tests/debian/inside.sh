#!/bin/bash
# tests/debian/inside.sh - tests/debian/run.sh's steps inside the Debian
# root (an overlay of it, as root, in private mount and PID namespaces):
# the packages in /root/debs, this tree in /root/magpool, $MULTIARCH the
# triplet.  Writes "STEP SECONDS" lines to /root/times.
#
# Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).
set -euo pipefail
export LC_ALL=C
: "${MULTIARCH:?}"
PKGS="libmagpool0 libmagpool-dev magpool-preload magpool-tools"
SHIM=/usr/lib/$MULTIARCH/magpool/libmagpool-preload.so

: >/root/times
step_name=""
die() {
    [ -z "$step_name" ] || echo "$step_name $(( $(date +%s) - step_t0 )) FAILED" >>/root/times
    echo "debian: FAIL: $*" >&2
    exit 1
}
step() {
    local now
    now=$(date +%s)
    if [ -n "$step_name" ]; then
        echo "$step_name $((now - step_t0))" >>/root/times
        echo "debian: $step_name: $((now - step_t0)) s"
    fi
    step_name=$1 step_t0=$now
    [ -z "$1" ] || echo "debian: === $1"
}
apt_install() {
    apt-get install -y -qq --no-install-recommends "$@" </dev/null >/tmp/apt.log 2>&1 ||
        { tail -n 30 /tmp/apt.log; die "apt-get install $*"; }
}

# ---------------------------------------------------------------- install
step install
. /etc/os-release
echo "debian: $PRETTY_NAME"
apt-get update -qq || die "apt-get update"
apt_install /root/debs/*.deb
for p in $PKGS; do
    dpkg-query -W -f='${Status} ${Package} ${Version}\n' "$p" | grep '^install ok installed' ||
        die "$p is not installed"
done
[ -f "$SHIM" ] || die "no $SHIM"
# Only the shim's references to libglusterfs are unresolved (weak).
if ldd "$SHIM" | grep 'not found'; then die "$SHIM: a library is missing"; fi
dpkg-query -W -f='${Depends}\n' magpool-preload | grep -q 'libglusterfs0 (<< 12~)' ||
    die "magpool-preload does not depend on libglusterfs0 << 12~"
echo "debian: libglusterfs0 $(dpkg-query -W -f='${Version}' libglusterfs0) came with magpool-preload"

# ---------------------------------------------------------------- program
step program
apt_install gcc libc6-dev pkg-config
mkdir -p /tmp/prog && cd /tmp/prog
cat >prog.c <<'EOF'
#include <magpool.h>
#include <magpool/mem-pool.h>
#include <stdio.h>
#include <string.h>

struct item { char data[100]; };

int main(void)
{
    struct magpool *p;
    struct mem_pool *gp;
    struct magpool_stats st;
    void *o[1000];
    int i;

    if (magpool_init() != 0)
        return 1;
    p = magpool_create("debian-test", 64, NULL);
    if (!p)
        return 2;
    for (i = 0; i < 1000; i++) {
        o[i] = magpool_get0(p);
        if (!o[i] || ((char *)o[i])[63] != 0)
            return 3;
        memset(o[i], i & 0xff, 64);
    }
    for (i = 0; i < 1000; i++)
        magpool_put(o[i]);
    if (magpool_stats(p, &st) != 0 || st.active != 0 || st.alloc_count != 1000)
        return 4;

    gp = mem_pool_new(struct item, 128);
    if (!gp)
        return 5;
    for (i = 0; i < 1000; i++) {
        o[i] = mem_get0(gp)
        if (!o[i])
            return 6;
    }
    for (i = 0; i < 1000; i++) {
        mem_put(o[i])
    }
    printf("prog: %s: %llu got, block %zu bytes\n", st.name,
           (unsigned long long)st.alloc_count, st.block_size);
    mem_pool_destroy(gp);
    magpool_destroy(p);
    magpool_fini();
    return 0;
}
EOF
flags=$(pkg-config --cflags --libs magpool)
echo "debian: pkg-config --cflags --libs magpool: $flags"
# shellcheck disable=SC2086 # several words
gcc -std=gnu11 -Wall -Wextra -Werror -o prog prog.c $flags
# (ldd may say /lib/...: /lib is /usr/lib on a merged-/usr system.)
lib=$(ldd ./prog | awk '$1 == "libmagpool.so.0" { print $3 }')
[ -n "$lib" ] && [ "$(readlink -f "$lib")" = "$(readlink -f "/usr/lib/$MULTIARCH/libmagpool.so.0")" ] ||
    die "prog is not linked with the packaged libmagpool.so.0 (ldd: ${lib:-none})"
MAGPOOL_STATS=/tmp/prog/stats ./prog || die "prog failed ($?)"
[ -s /tmp/prog/stats ] || die "no MAGPOOL_STATS file"
magpool-stat -a /tmp/prog/stats | tee /tmp/prog/table
grep -q debian-test /tmp/prog/table || die "magpool-stat does not show the pool"
# The archive magpool-gluster.pc names is there.
archive=$(pkg-config --libs magpool-gluster | tr ' ' '\n' | grep 'libmagpool-gluster\.a$')
[ -f "$archive" ] || die "pkg-config magpool-gluster names $archive, not there"
echo "debian: magpool-gluster.pc: $archive"

# ---------------------------------------------------------------- gluster
step gluster
cd /root/magpool
MAGPOOL_PRELOAD=$SHIM MAGPOOL_EXPECT_MAGPOOL_SIZES=1 bash tests/gluster/run.sh ||
    die "tests/gluster/run.sh with $SHIM"

# ------------------------------------------------------------------ purge
step purge
# shellcheck disable=SC2086 # a list
apt-get purge -y -qq $PKGS </dev/null >/tmp/apt.log 2>&1 ||
    { tail -n 30 /tmp/apt.log; die "apt-get purge"; }
for f in /usr/lib/$MULTIARCH/magpool /usr/lib/$MULTIARCH/libmagpool.so.0 \
         /usr/include/magpool /usr/include/magpool.h /usr/bin/magpool-stat \
         /usr/share/doc/magpool-preload; do
    [ ! -e "$f" ] || die "$f is still there after purge"
done
step ""
