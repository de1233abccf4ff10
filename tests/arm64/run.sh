#!/bin/bash
# tests/arm64/run.sh - this tree cross-built for arm64 (aarch64) and its
# unit tests run under qemu-user, in a Debian 12 root, on an amd64 host,
# without changing a host file or the host's dpkg architectures.
# `make check-arm64` runs it.
#
# The root is the clean Debian 12 root of tests/debian/run.sh
# ($MAGPOOL_BOOKWORM_ROOT, default /var/cache/magpool-ci/bookworm, made
# with debootstrap when it is not there yet; tests/debroot.sh), used as
# the read-only lower layer of an overlay: arm64 is added to dpkg's
# architectures in the overlay only, and the cross compiler, arm64
# liburcu and Check, and qemu-user are installed there
# (tests/arm64/inside.sh does the rest and says which tests run and why
# the others cannot).  Downloaded packages and apt's lists are kept in
# $MAGPOOL_ARM64_APT (default /var/cache/magpool-ci/arm64.apt), so a
# second run downloads nothing it has.
#
# Run as root from anywhere in the tree:  bash tests/arm64/run.sh
# Environment: MAGPOOL_BOOKWORM_ROOT, MAGPOOL_ARM64_APT,
# MAGPOOL_DEBIAN_MIRROR (default http://deb.debian.org/debian),
# MAGPOOL_ARM64_KEEP=1 keeps the temporary directory (the build, logs).
#
# Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/debroot.sh
. "$here/tests/debroot.sh"
root=${MAGPOOL_BOOKWORM_ROOT:-/var/cache/magpool-ci/bookworm}
aptdir=${MAGPOOL_ARM64_APT:-/var/cache/magpool-ci/arm64.apt}
mirror=${MAGPOOL_DEBIAN_MIRROR:-http://deb.debian.org/debian}

die() { echo "arm64: FAIL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, namespaces)"

T0=$(date +%s)
T=$(mktemp -d /tmp/magpool-arm64.XXXXXX)
cleanup() {
    local rc=$?
    debroot_kill_leftovers arm64 "$T/merged"
    if [ "${MAGPOOL_ARM64_KEEP:-0}" = 1 ]; then
        echo "arm64: kept $T"
    else
        rm -rf "$T"
    fi
    exit "$rc"
}
trap cleanup EXIT

debroot_make arm64 bookworm "$root" "$mirror" || die "no root"
rc=0
debroot_overlay_run "$root" "$T" "$aptdir" "$here" /root/magpool/tests/arm64/inside.sh \
    NPROC="$(nproc)" || rc=$?
echo "arm64: total $(( $(date +%s) - T0 )) s"
[ "$rc" = 0 ] || die "in the Debian 12 root (see above)"
echo "arm64: PASS"
