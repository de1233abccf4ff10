#!/bin/bash
# tests/gluster/install.sh - make install-glusterfsd / uninstall-glusterfsd
# (gluster/glusterfsd.sh install|uninstall) tried for real, on copies.
#
# Runs itself again in a private mount namespace (unshare -m --propagation
# private), where copies of /usr/sbin and /var/lib/dpkg are bind-mounted
# over the originals: dpkg-divert and the install work on the copies and
# no host file changes.  Checks:
#   - install diverts /usr/sbin/glusterfsd to glusterfsd.distrib (Debian's
#     binary, byte for byte) and puts the magpool binary in place; glusterd
#     and glusterfs (symlinks) then run it; installing again keeps one
#     diversion and Debian's binary;
#   - install refuses a binary without magpool, and changes nothing;
#   - uninstall restores Debian's binary and removes the diversion; a
#     second uninstall does nothing;
#   - uninstall refuses to delete a diverted /usr/sbin/glusterfsd that does
#     not carry magpool.
#
# Run as root, from the repository root, after make glusterfsd:
#   bash tests/gluster/install.sh BUILD/gluster/glusterfsd-magpool BUILD/gluster/glusterfsd-stock
#
# Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).

set -Eeuo pipefail
export LC_ALL=C
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCRIPT=$HERE/../../gluster/glusterfsd.sh
MAGPOOL_BIN=$(readlink -f "${1:?usage: install.sh MAGPOOL_BINARY STOCK_BINARY}")
STOCK_BIN=$(readlink -f "${2:?usage: install.sh MAGPOOL_BINARY STOCK_BINARY}")
T0=$SECONDS

say() { printf '[install %3ds] %s\n' $((SECONDS - T0)) "$*"; }
die() {
    printf '[install %3ds] FAIL: %s\n' $((SECONDS - T0)) "$*" >&2
    exit 1
}
trap 'die "line $LINENO: \"$BASH_COMMAND\" failed"' ERR

[ "$(id -u)" = 0 ] || die "must run as root (mount namespace, dpkg-divert)"
if [ "${MAGPOOL_INSTALL_MNTNS:-}" != 1 ]; then
    exec unshare --mount --propagation private \
        env MAGPOOL_INSTALL_MNTNS=1 bash "${BASH_SOURCE[0]}" "$@"
fi
[ "$(readlink /proc/self/ns/mnt)" != "$(readlink /proc/1/ns/mnt)" ] ||
    die "not in a private mount namespace"

T=$(mktemp -d /tmp/magpool-install.XXXXXX)
cleanup() {
    umount /usr/sbin 2>/dev/null || true
    umount /var/lib/dpkg 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT
# The release installed (10.3, 11.1): what the binaries must say they are.
GF_UPSTREAM=$(dpkg-query -W -f='${Version}' glusterfs-common | sed 's/-[^-]*$//')
cp -a /usr/sbin "$T/sbin"
cp -a /var/lib/dpkg "$T/dpkg"
mount --bind "$T/sbin" /usr/sbin
mount --bind "$T/dpkg" /var/lib/dpkg
say "private copies of /usr/sbin and /var/lib/dpkg in $T"

[ -z "$(dpkg-divert --list /usr/sbin/glusterfsd)" ] ||
    die "/usr/sbin/glusterfsd is already diverted on this host: $(dpkg-divert --list /usr/sbin/glusterfsd)"
cp /usr/sbin/glusterfsd "$T/debian-glusterfsd"
[ "$(bash "$SCRIPT" which /usr/sbin/glusterfsd)" = stock ] ||
    die "/usr/sbin/glusterfsd carries magpool before the test"

# A binary without magpool is refused and changes nothing.
if bash "$SCRIPT" install "$STOCK_BIN" >"$T/out" 2>&1; then
    die "install accepted $STOCK_BIN, which has no magpool"
fi
grep -q 'does not carry magpool' "$T/out" || die "unclear refusal: $(cat "$T/out")"
[ -z "$(dpkg-divert --list /usr/sbin/glusterfsd)" ] || die "a refused install left a diversion"
cmp -s /usr/sbin/glusterfsd "$T/debian-glusterfsd" || die "a refused install changed /usr/sbin/glusterfsd"
say "install of a binary without magpool: refused, nothing changed"

for round in 1 2; do
    bash "$SCRIPT" install "$MAGPOOL_BIN" | sed 's/^/  /'
    [ "$(dpkg-divert --list /usr/sbin/glusterfsd | wc -l)" = 1 ] ||
        die "install #$round: not exactly one diversion: $(dpkg-divert --list /usr/sbin/glusterfsd)"
    dpkg-divert --list /usr/sbin/glusterfsd | grep -q 'local diversion of /usr/sbin/glusterfsd to /usr/sbin/glusterfsd.distrib' ||
        die "install #$round: unexpected diversion: $(dpkg-divert --list /usr/sbin/glusterfsd)"
    [ "$(dpkg-divert --truename /usr/sbin/glusterfsd)" = /usr/sbin/glusterfsd.distrib ] ||
        die "install #$round: dpkg's true name is $(dpkg-divert --truename /usr/sbin/glusterfsd)"
    cmp -s /usr/sbin/glusterfsd.distrib "$T/debian-glusterfsd" ||
        die "install #$round: /usr/sbin/glusterfsd.distrib is not Debian's binary"
    cmp -s /usr/sbin/glusterfsd "$MAGPOOL_BIN" ||
        die "install #$round: /usr/sbin/glusterfsd is not $MAGPOOL_BIN"
    [ "$(stat -c %a /usr/sbin/glusterfsd)" = 755 ] || die "install #$round: mode $(stat -c %a /usr/sbin/glusterfsd)"
    for l in glusterd glusterfs glusterfsd; do
        "/usr/sbin/$l" --version | head -n 1 | grep -qF "glusterfs $GF_UPSTREAM" ||
            die "install #$round: /usr/sbin/$l --version does not run"
        [ "$(bash "$SCRIPT" which "$(readlink -f "/usr/sbin/$l")")" = magpool ] ||
            die "install #$round: /usr/sbin/$l is not the magpool binary"
    done
    say "install #$round: diverted, Debian's binary kept as glusterfsd.distrib, glusterd/glusterfs/glusterfsd run magpool's"
done

# The build's .text proof looks through the diversion to Debian's binary.
[ "$(bash "$SCRIPT" which "$(dpkg-divert --truename /usr/sbin/glusterfsd)")" = stock ] ||
    die "the true name of /usr/sbin/glusterfsd carries magpool"

bash "$SCRIPT" uninstall | sed 's/^/  /'
[ -z "$(dpkg-divert --list /usr/sbin/glusterfsd)" ] || die "uninstall left the diversion"
cmp -s /usr/sbin/glusterfsd "$T/debian-glusterfsd" || die "uninstall did not restore Debian's binary"
[ ! -e /usr/sbin/glusterfsd.distrib ] || die "uninstall left /usr/sbin/glusterfsd.distrib"
/usr/sbin/glusterd --version | head -n 1 | grep -qF "glusterfs $GF_UPSTREAM" || die "glusterd does not run after uninstall"
say "uninstall: Debian's binary back, no diversion"
bash "$SCRIPT" uninstall | grep -q 'nothing to undo' || die "a second uninstall did something"
say "second uninstall: nothing to undo"

# A diverted /usr/sbin/glusterfsd that is not magpool's is left alone.
dpkg-divert --local --rename --divert /usr/sbin/glusterfsd.distrib --add /usr/sbin/glusterfsd >/dev/null
cp "$T/debian-glusterfsd" /usr/sbin/glusterfsd
if bash "$SCRIPT" uninstall >"$T/out" 2>&1; then
    die "uninstall deleted a diverted glusterfsd without magpool"
fi
grep -q 'does not carry magpool: left alone' "$T/out" || die "unclear refusal: $(cat "$T/out")"
cmp -s /usr/sbin/glusterfsd "$T/debian-glusterfsd" || die "the refused uninstall changed /usr/sbin/glusterfsd"
say "uninstall of a diverted glusterfsd without magpool: refused, left alone"

say "PASS: install and uninstall of the magpool glusterfsd (on private copies)"
