#!/bin/bash
# tests/debian/run.sh - this tree's Debian packages (debian/), built,
# checked with lintian, installed in a clean Debian 12 (bookworm) root and
# used there.  `make check-debian` runs it.
#
# Steps, each timed (a table at the end):
#   build     dpkg-buildpackage -us -uc -b -Pnocheck (DEB_BUILD_OPTIONS
#             nocheck) on a copy of the tree's files (tracked and
#             untracked-not-ignored) in a temporary directory: the packages
#             land there, never in the parent of the clone; the host's
#             missing build dependencies are installed first
#   lintian   lintian on the .changes: an error or a warning fails (the
#             overrides in debian/ carry their reasons)
#   root      the Debian 12 root, made with debootstrap when
#             $MAGPOOL_BOOKWORM_ROOT (default /var/cache/magpool-ci/bookworm)
#             is not there yet, reused when it is (tests/debroot.sh)
#   then, in a private mount and PID namespace (unshare -m -p), chrooted
#   into an overlay of the root (the root is the lower layer, read only:
#   whatever is installed goes to a temporary upper layer), by
#   tests/debian/inside.sh:
#   install   apt-get install ./*.deb: dependencies come from the mirror
#   program   a program built with `pkg-config --cflags --libs magpool`
#             against libmagpool-dev, run, and its MAGPOOL_STATS file read
#             with magpool-stat
#   gluster   tests/gluster/run.sh with the packaged shim,
#             MAGPOOL_PRELOAD=/usr/lib/<triplet>/magpool/libmagpool-preload.so
#             (it installs GlusterFS, fio and the rest in the overlay)
#   purge     apt-get purge of the four packages: nothing of theirs left
#
# Downloaded packages and apt's lists are kept in $MAGPOOL_BOOKWORM_APT
# (default /var/cache/magpool-ci/bookworm.apt), bound into the overlay,
# so that a second run downloads nothing it has; the root itself stays as
# debootstrap made it.  When the namespace's first process ends, the
# kernel kills every process left in it (a glusterd of a failed test), and
# its mounts vanish; the temporary directory is removed
# (MAGPOOL_DEBIAN_KEEP=1 keeps it, with the packages and the logs).
#
# Run as root from anywhere in the tree:  bash tests/debian/run.sh
# Environment: MAGPOOL_BOOKWORM_ROOT, MAGPOOL_BOOKWORM_APT,
# MAGPOOL_DEBIAN_MIRROR (default http://deb.debian.org/debian),
# MAGPOOL_DEBIAN_KEEP, MAGPOOL_DEBIAN_DEBS (a directory of .deb files
# built already: they are tried, with no build and no lintian).
#
# Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/debroot.sh
. "$here/tests/debroot.sh"
root=${MAGPOOL_BOOKWORM_ROOT:-/var/cache/magpool-ci/bookworm}
aptdir=${MAGPOOL_BOOKWORM_APT:-/var/cache/magpool-ci/bookworm.apt}
mirror=${MAGPOOL_DEBIAN_MIRROR:-http://deb.debian.org/debian}
keep=${MAGPOOL_DEBIAN_KEEP:-0}

die() { echo "debian: FAIL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (build dependencies, debootstrap, chroot, namespaces)"
export DEBIAN_FRONTEND=noninteractive

T0=$(date +%s)
times=()
step_name=""
step() {
    local now
    now=$(date +%s)
    if [ -n "$step_name" ]; then
        times+=("$(printf '%-9s %5d s' "$step_name" $((now - step_t0)))")
        echo "debian: $step_name: $((now - step_t0)) s"
    fi
    step_name=$1 step_t0=$now
    [ -z "$1" ] || echo "debian: === $1"
}

T=$(mktemp -d /tmp/magpool-debian.XXXXXX)
cleanup() {
    local rc=$?
    debroot_kill_leftovers debian "$T/merged"
    if [ "$keep" = 1 ]; then
        echo "debian: kept $T"
    else
        rm -rf "$T"
    fi
    exit "$rc"
}
trap cleanup EXIT

if [ -n "${MAGPOOL_DEBIAN_DEBS:-}" ]; then
    # Packages built already: no build, no lintian.
    mkdir -p "$T/debs"
    cp "$MAGPOOL_DEBIAN_DEBS"/*.deb "$T/debs/"
else
# ------------------------------------------------------------------ build
step build
need=()
for c in dpkg-buildpackage:dpkg-dev dh:debhelper lintian:lintian debootstrap:debootstrap; do
    command -v "${c%%:*}" >/dev/null || need+=("${c#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "debian: installing ${need[*]}"
    apt-get install -y -qq "${need[@]}" </dev/null >/dev/null
fi
ver=$(dpkg-parsechangelog -l "$here/debian/changelog" -S Version)
src=$T/build/magpool-$ver
mkdir -p "$src"
(cd "$here" && git ls-files -z --cached --others --exclude-standard |
    tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$src"
if ! (cd "$src" && dpkg-checkbuilddeps -Pnocheck) 2>/dev/null; then
    echo "debian: installing the build dependencies"
    (cd "$src" && apt-get build-dep -y -qq -Pnocheck ./ </dev/null >/dev/null)
fi
if ! (cd "$src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
        nice -n 10 dpkg-buildpackage -us -uc -b -Pnocheck) >"$T/build.log" 2>&1; then
    tail -n 60 "$T/build.log"
    die "dpkg-buildpackage failed (log: $T/build.log)"
fi
grep '^debian/rules: WARNING' "$T/build.log" || true
mkdir -p "$T/debs"
cp "$T"/build/*.deb "$T/debs/"
(cd "$T/debs" && for d in *.deb; do
    printf 'debian: %-44s %6s KiB installed\n' "$d" "$(dpkg-deb -f "$d" Installed-Size)"
done)

# ---------------------------------------------------------------- lintian
step lintian
changes=$(echo "$T"/build/*.changes)
rc=0
lintian --fail-on error,warning "$changes" >"$T/lintian.log" 2>&1 || rc=$?
cat "$T/lintian.log"
[ "$rc" = 0 ] || die "lintian: an error or a warning"
fi

# ------------------------------------------------------------------- root
step root
debroot_make debian bookworm "$root" "$mirror" || die "no root"

# ------------------------------------------- the packages in the root
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
mkdir -p "$T/upper/root/debs"
cp "$T"/debs/*.deb "$T/upper/root/debs/"
step "" # inside.sh times its own steps
rc=0
debroot_overlay_run "$root" "$T" "$aptdir" "$here" /root/magpool/tests/debian/inside.sh \
    MULTIARCH="$ma" || rc=$?
# inside.sh's step times (written in the overlay's upper layer).
if [ -f "$T/upper/root/times" ]; then
    while read -r name secs failed; do
        times+=("$(printf '%-9s %5d s %s' "$name" "$secs" "$failed")")
    done <"$T/upper/root/times"
fi

echo "debian: step times"
for t in "${times[@]}"; do echo "debian:   $t"; done
echo "debian:   total     $(printf '%5d' $(( $(date +%s) - T0 ))) s"
[ "$rc" = 0 ] || die "in the Debian 12 root (see above)"
echo "debian: PASS"
