# shellcheck shell=bash
# tests/debroot.sh - Debian roots for the tests that run this tree, or its
# packages, in another Debian than the host's: tests/trixie/run.sh
# (Debian 13), tests/debian/run.sh (the packages in Debian 12) and
# tests/arm64/run.sh (the arm64 cross build in Debian 12).
# Sourced; bash.
#
# A root is made once with debootstrap (minbase) and kept outside the
# clone (/var/cache/magpool-ci/RELEASE), so that later runs reuse it.
#
# Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).

# debroot_make TAG SUITE ROOT MIRROR: make ROOT with debootstrap unless it
# is there ($ROOT/.magpool-root marks a finished one); packages installed
# in it later must not start services (policy-rc.d).
debroot_make() {
    local tag=$1 suite=$2 root=$3 mirror=$4 t0
    [ ! -e "$root/.magpool-root" ] || return 0
    if ! command -v debootstrap >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap </dev/null
    fi
    rm -rf "$root.tmp"
    mkdir -p "$(dirname "$root")"
    t0=$(date +%s)
    echo "$tag: debootstrap $suite into $root"
    debootstrap --variant=minbase --include=ca-certificates \
        "$suite" "$root.tmp" "$mirror" >"$root.tmp.log" 2>&1 || {
        tail -n 20 "$root.tmp.log"
        echo "$tag: debootstrap failed" >&2
        return 1
    }
    printf '#!/bin/sh\nexit 101\n' >"$root.tmp/usr/sbin/policy-rc.d"
    chmod +x "$root.tmp/usr/sbin/policy-rc.d"
    rm -rf "$root"
    mv "$root.tmp" "$root"
    touch "$root/.magpool-root"
    echo "$tag: root made in $(( $(date +%s) - t0 )) s"
}

# debroot_copy_tree SRC DEST: the tracked files of the git tree SRC, as
# they are in its working tree, into DEST.
debroot_copy_tree() {
    (cd "$1" && git ls-files -z | tar --null -T - -cf -) | tar -xf - -C "$2"
}

# debroot_kill_leftovers TAG DIR: kill -9 the processes whose root
# directory is DIR (a daemon left by a failed test).
debroot_kill_leftovers() {
    local tag=$1 r p pids=""
    r=$(readlink -f "$2")
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/root" 2>/dev/null)" = "$r" ] && pids="$pids ${p#/proc/}"
    done
    if [ -n "$pids" ]; then
        echo "$tag: killing processes left in the root:$pids" >&2
        # shellcheck disable=SC2086
        kill -9 $pids 2>/dev/null || true
    fi
}

# debroot_overlay_run ROOT T APTDIR SRC SCRIPT [NAME=VALUE]...: run the
# bash script SCRIPT (a path inside the root) as root, chrooted into an
# overlay of ROOT (read only, the lower layer; what the script installs
# or writes goes to T/upper), in private mount and PID namespaces: when
# the script ends the kernel kills whatever it left running, and the
# mounts vanish.  The tracked and untracked-not-ignored files of the tree
# SRC are in /root/magpool; files the caller put under T/upper before the
# call are there too.  APTDIR/archives and APTDIR/lists are bound onto
# apt's cache and lists, so a second run downloads nothing it has.  The
# environment is emptied but for HOME, PATH, TERM, LANG, CI and the
# NAME=VALUE pairs given.
debroot_overlay_run() {
    local r=$1 T=$2 aptdir=$3 src=$4 script=$5
    shift 5
    mkdir -p "$T/upper" "$T/work" "$T/merged" \
        "$aptdir/archives/partial" "$aptdir/lists/partial"
    unshare -m -p -f --propagation private /bin/bash -c '
        set -e
        r=$1 T=$2 aptdir=$3 src=$4 script=$5 m=$2/merged
        shift 5
        mount -t overlay overlay -o "lowerdir=$r,upperdir=$T/upper,workdir=$T/work" "$m"
        mkdir -p "$m/root/magpool"
        (cd "$src" && git ls-files -z --cached --others --exclude-standard |
            tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$m/root/magpool"
        cp /etc/resolv.conf "$m/etc/resolv.conf"
        mount --bind "$aptdir/archives" "$m/var/cache/apt/archives"
        mount --bind "$aptdir/lists" "$m/var/lib/apt/lists"
        mount --rbind /dev "$m/dev"
        mount -t proc proc "$m/proc"
        mount --rbind /sys "$m/sys"
        mount -t tmpfs tmpfs "$m/run"
        mount -t tmpfs tmpfs "$m/tmp"
        exec chroot "$m" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
            PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
            DEBIAN_FRONTEND=noninteractive CI="${CI:-}" "$@" /bin/bash "$script"
    ' debroot "$r" "$T" "$aptdir" "$src" "$script" "$@"
}
