#!/bin/bash
# tests/trixie/run.sh - run a command on this source tree inside Debian 13
# (trixie, GlusterFS 11.1), on a Debian 12 host, without changing a host
# file.
#
# Usage: tests/trixie/run.sh [--carry FILE]... COMMAND
#   COMMAND runs as root with bash in a copy of the tracked files of this
#   tree (/root/magpool inside the root), after `./bootstrap` if
#   --bootstrap is given first.  Each --carry FILE is copied to
#   /root/carry/ inside (e.g. a shim built on the host).
#
# The root: $MAGPOOL_TRIXIE_ROOT (default /var/cache/magpool-ci/trixie),
# made once with debootstrap from Debian's archive and kept outside the
# clone, so that a second run reuses it and the packages installed in it;
# a fresh machine makes it (about 75 s, 220 MB, plus what COMMAND
# installs; tests/debroot.sh, shared with tests/debian/run.sh).  The
# command runs in a private mount namespace (unshare -m): the root bound
# onto itself (so that / is a mount point inside, as ip netns needs), /dev,
# /proc, /sys, a tmpfs /run and /tmp are mounted inside the root there and
# vanish with the namespace.  Processes still running in the root when
# the command ends (a GlusterFS daemon left by a failed test) are killed.
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/debroot.sh
. "$here/tests/debroot.sh"
root=${MAGPOOL_TRIXIE_ROOT:-/var/cache/magpool-ci/trixie}
mirror=${MAGPOOL_DEBIAN_MIRROR:-http://deb.debian.org/debian}

die() { echo "trixie: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, mount namespaces)"

carry=()
while [ $# -gt 1 ] && [ "$1" = --carry ]; do
    carry+=("$2")
    shift 2
done
[ $# -eq 1 ] || die "usage: $0 [--carry FILE]... COMMAND"
cmd=$1

debroot_make trixie trixie "$root" "$mirror" || die "no root"

# The tree's tracked files, fresh each run.
rm -rf "$root/root/magpool" "$root/root/carry"
mkdir -p "$root/root/magpool" "$root/root/carry"
debroot_copy_tree "$here" "$root/root/magpool"
for f in "${carry[@]}"; do
    cp -L "$f" "$root/root/carry/"
done
cp /etc/resolv.conf "$root/etc/resolv.conf" # the root's own copy

kill_leftovers() { debroot_kill_leftovers trixie "$root"; }
trap kill_leftovers EXIT

rc=0
unshare -m --propagation private /bin/bash -c '
    set -e
    r=$1 cmd=$2
    # The root a mount point of its own: ip netns remounts / inside.
    mount --bind "$r" "$r"
    mount --rbind /dev "$r/dev"
    mount -t proc proc "$r/proc"
    mount --rbind /sys "$r/sys"
    mount -t tmpfs tmpfs "$r/run"
    mount -t tmpfs tmpfs "$r/tmp"
    exec chroot "$r" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        DEBIAN_FRONTEND=noninteractive CI="${CI:-}" \
        /bin/bash -c "cd /root/magpool && $cmd"
' trixie "$root" "$cmd" || rc=$?
exit "$rc"
