#!/bin/bash
# gluster/glusterfsd.sh - glusterfsd rebuilt from Debian's GlusterFS source
# (10.3 on Debian 12 bookworm, 11.1 on Debian 13 trixie) with magpool
# linked into the executable, and its installation the
# Debian way.  Driven by `make glusterfsd`, `make install-glusterfsd` and
# `make uninstall-glusterfsd`; the manual is magpool-glusterfsd(8).
#
#   glusterfsd.sh build OUTDIR     (make glusterfsd)
#     As root on Debian bookworm with glusterfs-common 10.3 installed, or
#     on Debian trixie with 11.1:
#      1. a private deb-src entry: the enabled stanzas of this release of
#         /etc/apt/sources.list.d/*.sources, with Types: deb-src, written
#         under the cache and given to apt with -o Dir::Etc::SourceParts
#         (no file under /etc is changed);
#      2. the orig tarball of the *installed* source version, fetched with
#         apt-get source --tar-only (apt checks it against the .dsc; its
#         SHA-256 is kept and checked again when the cached copy is reused);
#      3. apt-get build-dep glusterfs (a temporary policy-rc.d keeps
#         firewalld, one of them, from starting);
#      4. configure with Debian's flags (dpkg-buildflags with
#         hardening=+all, Debian's configure options; LTO on);
#      5. only what glusterfsd needs: the generated headers and
#         glusterfsd.o, glusterfsd-mgmt.o;
#      6. two links, against the system's libglusterfs, libgfrpc, libgfxdr:
#           OUTDIR/glusterfsd-stock    unmodified; its .text must be
#                                      byte-identical to Debian's binary
#                                      (the proof that this build matches
#                                      the installed one; fails otherwise)
#           OUTDIR/glusterfsd-magpool  the same objects plus
#                                      `pkg-config --libs magpool-gluster`
#                                      (the archive libmagpool-gluster.a)
#         and checks that the second defines and exports every GlusterFS
#         pool symbol.
#     The download, the extracted and configured tree and a stamp of the
#     flags are cached in $MAGPOOL_GLUSTERFSD_CACHE (OUTDIR/cache): a second
#     run with the same flags does no apt work and no configure (seconds).
#
#   glusterfsd.sh install BINARY   (make install-glusterfsd)
#     dpkg-divert --local --rename --divert /usr/sbin/glusterfsd.distrib
#     --add /usr/sbin/glusterfsd, then BINARY installed as
#     /usr/sbin/glusterfsd (glusterd and glusterfs are symlinks to it).
#     Refuses a BINARY that does not carry magpool.  Running daemons keep
#     the old binary until restarted (the man page says how).
#
#   glusterfsd.sh uninstall        (make uninstall-glusterfsd)
#     Removes the magpool binary and the diversion (dpkg renames Debian's
#     binary back).  Refuses to delete a /usr/sbin/glusterfsd that does not
#     carry magpool.
#
#   glusterfsd.sh build-tcmalloc OUTDIR   (make check-gluster-tcmalloc)
#     The whole GlusterFS of the installed release, from the same source
#     and build dependencies (steps 1-3, the same cache) with Debian's
#     flags and options but tcmalloc (upstream's default: GF_DISABLE_MEMPOOL,
#     no pool), installed with DESTDIR under
#     $MAGPOOL_GLUSTERFS_TCMALLOC_CACHE (/var/cache/magpool-glusterfs-tcmalloc),
#     reused when there; OUTDIR/glusterfs-tcmalloc links to it.  See
#     build_tcmalloc below and tests/gluster/tcmalloc.sh.
#
#   glusterfsd.sh which FILE       prints "magpool" or "stock" for a binary
#
# Environment: PKG_CONFIG_PATH must find magpool-gluster (make sets it to
# the build tree); MAGPOOL_GLUSTERFSD_CACHE; for build-tcmalloc
# MAGPOOL_GLUSTERFS_TCMALLOC_CACHE and MAGPOOL_GLUSTERFS_JOBS (make -j,
# default nproc).
#
# Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).

set -Eeuo pipefail
export LC_ALL=C
T0=$SECONDS

say() { printf '[glusterfsd %3ds] %s\n' $((SECONDS - T0)) "$*"; }
die() {
    printf '[glusterfsd %3ds] ERROR: %s\n' $((SECONDS - T0)) "$*" >&2
    exit 1
}
trap 'die "line $LINENO: \"$BASH_COMMAND\" failed"' ERR

SBIN=/usr/sbin
DIVERTED=$SBIN/glusterfsd.distrib
# The Debian releases whose GlusterFS this builds, each with the upstream
# version it ships and its debian/rules' configure options that differ.
CODENAME=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
case $CODENAME in
bookworm) WANT_UPSTREAM=10.3 MOUNTUTILDIR=/sbin ;;
trixie) WANT_UPSTREAM=11.1 MOUNTUTILDIR=/usr/sbin ;;
*) WANT_UPSTREAM= MOUNTUTILDIR= ;;
esac
# What the front defines; libglusterfs's copies must lose to these.
POOL_SYMBOLS=(mem_pool_new_fn mem_get_malloc mem_get_calloc mem_put_pool
    mem_pool_destroy mem_pools_init mem_pools_fini gf_proc_dump_mempool_info
    gf_proc_dump_mempool_info_to_dict)

need_root() {
    [ "$(id -u)" = 0 ] || die "must run as root ($1)"
}

# "magpool" when $1 defines magpool's front in its dynamic symbol table,
# "stock" otherwise.
which_pool() {
    if nm -D --defined-only "$1" 2>/dev/null | grep -qw magpool_gf_front_version; then
        echo magpool
    else
        echo stock
    fi
}

# ------------------------------------------------------------------ build

# The enabled stanzas of this release in the system's deb822 sources, as
# deb-src.
write_deb_src() {
    local f out=$1
    : >"$out"
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk -v rel="$CODENAME" 'BEGIN { RS = ""; ORS = "\n\n" }
             /(^|\n)Enabled:[ \t]*no/ { next }
             /(^|\n)Types:[^\n]*deb([ \t]|$|\n)/ && $0 ~ ("(^|\n)Suites:[^\n]*" rel) {
                 sub(/(^|\n)Types:[^\n]*/, "\nTypes: deb-src"); print }' "$f" >>"$out"
    done
    # One-line lists (/etc/apt/sources.list and *.list): their deb lines
    # for this release, as deb-src.
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        awk -v rel="$CODENAME" '$1 == "deb" && $0 ~ (" " rel "( |$)") { $1 = "deb-src"; print }' "$f" \
            >>"${out%.sources}.list"
    done
    [ -s "$out" ] || [ -s "${out%.sources}.list" ] ||
        die "no $CODENAME 'deb' entry in /etc/apt/sources.list{,.d}: cannot derive a deb-src entry"
}

# Sets the caller's srcver to the source version of the installed
# glusterfs-common, after checking that it is the release this builds.
check_release() {
    [ -n "$WANT_UPSTREAM" ] ||
        die "this builds Debian bookworm's GlusterFS 10.3 or trixie's 11.1; this machine is '${CODENAME:-unknown}'"
    local ver
    ver=$(dpkg-query -W -f='${Version}' glusterfs-common 2>/dev/null) ||
        die "glusterfs-common is not installed (apt-get install glusterfs-server)"
    srcver=$(dpkg-query -W -f='${source:Version}' glusterfs-common)
    case $ver in
    "$WANT_UPSTREAM"-*) ;;
    *) die "installed GlusterFS is $ver; on $CODENAME this builds $WANT_UPSTREAM only" ;;
    esac
}

# Sets the caller's tarball, aptdir, aptopts and apt for the source cache
# $cache (the caller's).
source_cache_vars() {
    tarball=$cache/glusterfs_$WANT_UPSTREAM.orig.tar.gz
    aptdir=$cache/apt-sources.d
    aptopts=(-o "Dir::Etc::SourceParts=$aptdir"
             -o "Dir::Etc::SourceList=$cache/apt-sources.list")
    apt=(apt-get -q "${aptopts[@]}" -o APT::Sandbox::User=root)
}

# Sets the caller's confargs to Debian's configure options (debian/rules),
# less the tcmalloc choice, which the caller adds (or not).
debian_confargs() {
    local build_type multiarch
    build_type=$(dpkg-architecture -qDEB_BUILD_GNU_TYPE)
    multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
    confargs=(--build="$build_type" --prefix=/usr --sysconfdir=/etc
        --localstatedir=/var --libdir="/usr/lib/$multiarch"
        --libexecdir="/usr/lib/$multiarch" --with-mountutildir="$MOUNTUTILDIR"
        --enable-firewalld --disable-linux-io_uring)
}

# What the source cache already holds: the verified tarball, the installed
# build dependencies (each checked once).  Sets the caller's have_src and
# have_deps.
source_cached() {
    have_src=0 have_deps=0
    [ -f "$tarball" ] && [ -f "$tarball.sha256" ] &&
        (cd "$cache" && sha256sum --quiet -c "${tarball##*/}.sha256") 2>/dev/null &&
        have_src=1
    [ "$(cat "$cache/build-deps" 2>/dev/null)" = "$srcver" ] && have_deps=1
    return 0
}

# Steps 1-3 of build: the verified orig tarball of source version $srcver
# in $cache and its build dependencies, each done only when the cache does
# not have it ($have_src, $have_deps).  Uses the caller's locals (cache,
# tarball, aptdir, aptopts, apt, srcver, have_src, have_deps).
source_and_deps() {
    if [ "$have_src$have_deps" != 11 ]; then
        mkdir -p "$aptdir"
        rm -f "$aptdir"/*
        # The system's own entries plus ours: apt sees everything it
        # sees normally, and the Sources indexes.
        cp /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list \
            "$aptdir"/ 2>/dev/null || true
        if [ -f /etc/apt/sources.list ]; then
            cp /etc/apt/sources.list "$cache/apt-sources.list"
        else
            : >"$cache/apt-sources.list"
        fi
        write_deb_src "$aptdir/magpool-deb-src.sources"
        say "apt-get update (with a private deb-src entry)"
        "${apt[@]}" update -qq >"$cache/apt-update.log" 2>&1 ||
            { tail -n 20 "$cache/apt-update.log" >&2; die "apt-get update failed"; }
        # The Sources indexes stay in /var/lib/apt/lists until the next
        # plain apt-get update, which drops them.
    fi
    if [ "$have_src" = 0 ]; then
        rm -f "$tarball" "$tarball.sha256"
        say "apt-get source glusterfs=$srcver (orig tarball)"
        (cd "$cache" && "${apt[@]}" source --tar-only --download-only \
            "glusterfs=$srcver" >"$cache/apt-source.log" 2>&1) ||
            { tail -n 20 "$cache/apt-source.log" >&2
              die "apt-get source glusterfs=$srcver failed (is the archive reachable?)"; }
        [ -f "$tarball" ] || die "apt-get source did not produce $tarball"
        # Checked against the archive's Sources index (apt checked it
        # too, while downloading), and kept for the next run.
        local want got
        want=$(apt-cache "${aptopts[@]}" showsrc glusterfs 2>/dev/null |
               awk -v v="$srcver" -v f="${tarball##*/}" '
                    /^Version:/ { ver = $2 }
                    /^Checksums-Sha256:/ { c = 1; next }
                    /^[^ ]/ { c = 0 }
                    c && ver == v && $3 == f { print $1; exit }') || true
        got=$(sha256sum <"$tarball" | cut -d' ' -f1)
        [ -n "$want" ] && [ "$want" = "$got" ] ||
            die "${tarball##*/}: SHA-256 $got, the archive's Sources say '${want}'"
        echo "$want  ${tarball##*/}" >"$tarball.sha256"
        rm -f "$cache/configured"
    fi
    if [ "$have_deps" = 0 ]; then
        say "build dependencies (apt-get build-dep glusterfs=$srcver)"
        local policy=/usr/sbin/policy-rc.d ours=0 rc=0
        if [ ! -e "$policy" ]; then
            printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && ours=1
        fi
        DEBIAN_FRONTEND=noninteractive "${apt[@]}" build-dep -y -qq \
            "glusterfs=$srcver" </dev/null >"$cache/apt-build-dep.log" 2>&1 || rc=$?
        [ "$ours" = 1 ] && rm -f "$policy"
        [ "$rc" = 0 ] ||
            { tail -n 20 "$cache/apt-build-dep.log" >&2; die "apt-get build-dep failed"; }
        echo "$srcver" >"$cache/build-deps"
    fi
}

build() {
    local out=$1
    need_root "apt-get source/build-dep"
    command -v pkg-config >/dev/null || die "pkg-config is missing"
    pkg-config --exists magpool-gluster ||
        die "pkg-config cannot find magpool-gluster (PKG_CONFIG_PATH=${PKG_CONFIG_PATH:-})"

    local srcver
    check_release
    local debbin
    debbin=$(dpkg-divert --truename "$SBIN/glusterfsd")
    [ -x "$debbin" ] || die "Debian's glusterfsd ($debbin) is missing"
    [ "$(which_pool "$debbin")" = stock ] ||
        die "$debbin carries magpool: the diversion is broken (see magpool-glusterfsd(8))"

    local cache=${MAGPOOL_GLUSTERFSD_CACHE:-$out/cache}
    mkdir -p "$cache" "$out"
    cache=$(cd "$cache" && pwd)
    local tarball aptdir aptopts apt
    source_cache_vars
    local tree=$cache/glusterfs-$WANT_UPSTREAM

    # Debian's flags, with the tree's path in -ffile-prefix-map as the
    # package build has it (mapped to ".", so the path does not matter).
    local flags stamp
    flags=$(cd "$cache" && mkdir -p "$tree" && cd "$tree" &&
            DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --export=sh)
    local confargs
    debian_confargs
    confargs+=(--without-tcmalloc)
    stamp=$(printf '%s\n' "$srcver" "$flags" "${confargs[@]}" | sha256sum | cut -c1-16)

    local have_src have_deps
    source_cached

    if [ "$have_src$have_deps" = 11 ] &&
        [ "$(cat "$cache/configured" 2>/dev/null)" = "$stamp" ]; then
        say "cached: source $srcver, its build dependencies, configured tree $tree (flags $stamp)"
    else
        source_and_deps
        say "extracting and configuring (Debian's flags, LTO)"
        rm -rf "$tree" "$cache/configured"
        tar -C "$cache" -xzf "$tarball"
        # The release ships stub config.guess/config.sub: configure would
        # exit 0 but drop features.
        cp /usr/share/misc/config.guess /usr/share/misc/config.sub "$tree"/
        (cd "$tree" && eval "$flags" && ./configure "${confargs[@]}" \
            >"$cache/configure.log" 2>&1) ||
            { tail -n 20 "$cache/configure.log" >&2; die "configure failed (see $cache/configure.log)"; }
        echo "$stamp" >"$cache/configured"
    fi

    say "compiling glusterfsd.o and glusterfsd-mgmt.o"
    local xdrh
    (
        cd "$tree"
        make -s -C libglusterfs/src eventtypes.h graph.lex.c defaults.c
        xdrh=$(printf 'mp-print:\n\t@echo $(XDRHEADERS)\n' |
               make -s -C rpc/xdr/src -f Makefile -f - mp-print)
        # shellcheck disable=SC2086 # a list of file names
        make -s -C rpc/xdr/src $xdrh
        make -s -C glusterfsd/src glusterfsd.o glusterfsd-mgmt.o
    ) >"$cache/make.log" 2>&1 ||
        { tail -n 20 "$cache/make.log" >&2; die "compiling glusterfsd failed"; }

    # The link line of glusterfsd/src/Makefile, with the system's libraries
    # for the three .la files (libtool moves -ltirpc after the objects).
    mkvar() {
        printf 'mp-print:\n\t@echo $(%s)\n' "$1" |
            make -s -C "$tree/glusterfsd/src" -f Makefile -f - mp-print
    }
    local cc pre post objs
    cc=$(mkvar CC)
    pre="$(mkvar AM_CFLAGS) $(mkvar CFLAGS) $(mkvar glusterfsd_LDFLAGS) $(mkvar LDFLAGS)"
    pre=${pre//-ltirpc/}
    post="-lglusterfs -lgfrpc -lgfxdr -ltirpc $(mkvar GF_LDADD) $(mkvar LIB_DL) $(mkvar LIBS)"
    objs="$tree/glusterfsd/src/glusterfsd.o $tree/glusterfsd/src/glusterfsd-mgmt.o"
    say "linking glusterfsd-stock and glusterfsd-magpool"
    # shellcheck disable=SC2086 # flag lists
    $cc $pre -o "$out/glusterfsd-stock.tmp" $objs $post
    # shellcheck disable=SC2086,SC2046
    $cc $pre -o "$out/glusterfsd-magpool.tmp" $objs \
        $(pkg-config --libs magpool-gluster) $post

    # The proof that this build is Debian's: the unmodified relink has the
    # same machine code.
    objcopy -O binary --only-section=.text "$out/glusterfsd-stock.tmp" "$cache/stock.text"
    objcopy -O binary --only-section=.text "$debbin" "$cache/debian.text"
    if ! cmp -s "$cache/stock.text" "$cache/debian.text"; then
        die "the unmodified relink's .text ($(stat -c %s "$cache/stock.text") bytes) differs from $debbin's ($(stat -c %s "$cache/debian.text") bytes): this build does not match Debian's; not producing a magpool binary from it"
    fi
    say ".text of the unmodified relink = $debbin's ($(stat -c %s "$cache/debian.text") bytes, sha256 $(sha256sum <"$cache/debian.text" | cut -c1-16))"

    local s missing=()
    for s in "${POOL_SYMBOLS[@]}" magpool_gf_front_version; do
        nm -D --defined-only "$out/glusterfsd-magpool.tmp" | grep -qw "$s" ||
            missing+=("$s")
    done
    [ ${#missing[@]} = 0 ] ||
        die "glusterfsd-magpool does not export: ${missing[*]}"
    mv "$out/glusterfsd-stock.tmp" "$out/glusterfsd-stock"
    mv "$out/glusterfsd-magpool.tmp" "$out/glusterfsd-magpool"
    say "built $out/glusterfsd-magpool ($(stat -c %s "$out/glusterfsd-magpool") bytes; exports the ${#POOL_SYMBOLS[@]} pool symbols) and $out/glusterfsd-stock in $((SECONDS - T0)) s"
}

# ------------------------------------------------------ tcmalloc build

# The whole GlusterFS of the installed source version, built the way
# upstream's configure does by default: linked with tcmalloc_minimal and
# with GF_DISABLE_MEMPOOL (no pool: mem_get/mem_put are GF_MALLOC/GF_FREE
# in every caller).  Debian's flags and configure options otherwise.
# Neither --with-tcmalloc nor --without-tcmalloc is passed: in 10.3's
# configure.ac AC_ARG_WITH([tcmalloc]) sets with_tcmalloc=no when
# the option is given at all, so --with-tcmalloc builds the pool too.
# Installed with make install DESTDIR=DIR/stage; DIR is
# $MAGPOOL_GLUSTERFS_TCMALLOC_CACHE/<source version>-<flags stamp>
# (default /var/cache/magpool-glusterfs-tcmalloc), reused when its stamp
# file says the install finished.  The orig tarball and the build
# dependencies come from (and go to) the same cache as `make glusterfsd`'s
# ($MAGPOOL_GLUSTERFSD_CACHE).  OUTDIR/glusterfs-tcmalloc is made a symbolic
# link to DIR/stage.
build_tcmalloc() {
    local out=$1
    need_root "apt-get source/build-dep"
    local srcver
    check_release
    local cache=${MAGPOOL_GLUSTERFSD_CACHE:-$out/cache}
    mkdir -p "$cache"
    cache=$(cd "$cache" && pwd)
    local tarball aptdir aptopts apt
    source_cache_vars

    local top=${MAGPOOL_GLUSTERFS_TCMALLOC_CACHE:-/var/cache/magpool-glusterfs-tcmalloc}
    mkdir -p "$top"
    top=$(cd "$top" && pwd)
    local confargs flags stamp dir tree stage
    debian_confargs
    # The flags of a tree at a fixed path (the stamp must not depend on it).
    flags=$(cd / && DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --export=sh)
    stamp=$(printf '%s\n' "$srcver" "$flags" "${confargs[@]}" tcmalloc |
            sha256sum | cut -c1-16)
    dir=$top/$srcver-$stamp
    tree=$dir/glusterfs-$WANT_UPSTREAM
    stage=$dir/stage
    if [ "$(cat "$dir/installed" 2>/dev/null)" = "$stamp" ] &&
        [ -x "$stage/usr/sbin/glusterfsd" ]; then
        say "cached: GlusterFS $srcver with tcmalloc, installed in $stage (flags $stamp)"
        check_tcmalloc_stage "$stage"
        ln -sfn "$stage" "$out/glusterfs-tcmalloc"
        return 0
    fi

    local have_src have_deps
    source_cached
    source_and_deps
    rm -rf "$dir"
    mkdir -p "$dir"
    say "extracting and configuring in $dir (Debian's flags and options, tcmalloc: upstream's default)"
    tar -C "$dir" -xzf "$tarball"
    cp /usr/share/misc/config.guess /usr/share/misc/config.sub "$tree"/
    flags=$(cd "$tree" && DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --export=sh)
    (cd "$tree" && eval "$flags" && ./configure "${confargs[@]}" \
        >"$dir/configure.log" 2>&1) ||
        { tail -n 20 "$dir/configure.log" >&2; die "configure failed (see $dir/configure.log)"; }
    grep -q '^#define GF_DISABLE_MEMPOOL 1' "$tree/config.h" ||
        die "configure did not define GF_DISABLE_MEMPOOL (tcmalloc_minimal missing? see $dir/configure.log)"
    grep 'Link with TCMALLOC' "$dir/configure.log" | sed 's/^/    /'
    local jobs=${MAGPOOL_GLUSTERFS_JOBS:-$(nproc)}
    say "make -j$jobs (nice -n 19; log $dir/make.log)"
    (cd "$tree" && nice -n 19 make -j"$jobs" >"$dir/make.log" 2>&1) ||
        { tail -n 30 "$dir/make.log" >&2; die "make failed (see $dir/make.log)"; }
    say "make install DESTDIR=$stage"
    # (libtool relinks every library and module: LTO again, so niced too)
    (cd "$tree" && nice -n 19 make install DESTDIR="$stage" >"$dir/install.log" 2>&1) ||
        { tail -n 20 "$dir/install.log" >&2; die "make install failed (see $dir/install.log)"; }
    check_tcmalloc_stage "$stage"
    echo "$stamp" >"$dir/installed"
    # The build tree is not needed any more (the stage is what is used).
    rm -rf "$tree"
    ln -sfn "$stage" "$out/glusterfs-tcmalloc"
    say "built GlusterFS $srcver with tcmalloc in $((SECONDS - T0)) s: $stage ($(du -sh "$stage" | cut -f1)), linked as $out/glusterfs-tcmalloc"
}

# The staged GlusterFS is a tcmalloc build: libglusterfs (which every
# GlusterFS program links) needs libtcmalloc_minimal and has no pool to
# export.
check_tcmalloc_stage() {
    local stage=$1 multiarch lib
    multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
    lib=$stage/usr/lib/$multiarch/libglusterfs.so.0
    [ -e "$lib" ] || die "$lib is missing"
    objdump -p "$lib" | grep 'NEEDED *libtcmalloc_minimal' >/dev/null ||
        die "$lib does not need libtcmalloc_minimal"
    # (The symbol table read whole first: with pipefail, grep -q would make
    # nm's SIGPIPE the pipeline's status.)
    local syms
    syms=$(nm -D --defined-only "$lib")
    ! grep -qwE 'mem_get_malloc|mem_put_pool' <<<"$syms" ||
        die "$lib exports mem_get_malloc or mem_put_pool: not a GF_DISABLE_MEMPOOL build"
    grep -qw mem_pool_new_fn <<<"$syms" ||
        die "$lib does not export mem_pool_new_fn"
    say "tcmalloc build checked: libglusterfs needs libtcmalloc_minimal, exports mem_pool_new_fn but no mem_get_malloc, no mem_put_pool"
}

# ---------------------------------------------------------------- install

divert_state() {
    dpkg-divert --list "$SBIN/glusterfsd" 2>/dev/null
}

install_bin() {
    local bin=$1
    need_root "dpkg-divert, $SBIN"
    [ -f "$bin" ] || die "no such binary: $bin (run make glusterfsd first)"
    [ "$(which_pool "$bin")" = magpool ] || die "$bin does not carry magpool"
    if [ -z "$(divert_state)" ]; then
        [ -e "$SBIN/glusterfsd" ] || die "$SBIN/glusterfsd is missing: is glusterfs-common installed?"
        [ "$(which_pool "$SBIN/glusterfsd")" = stock ] ||
            die "$SBIN/glusterfsd carries magpool but is not diverted: reinstall glusterfs-common first"
        dpkg-divert --local --rename --divert "$DIVERTED" \
            --add "$SBIN/glusterfsd"
    else
        say "already diverted: $(divert_state)"
    fi
    install -m 0755 "$bin" "$SBIN/glusterfsd.magpool-new"
    mv -f "$SBIN/glusterfsd.magpool-new" "$SBIN/glusterfsd"
    say "installed $bin as $SBIN/glusterfsd; Debian's binary is $DIVERTED"
    say "running daemons still use the old binary: restart glusterd, then each volume's bricks (magpool-glusterfsd(8))"
}

uninstall_bin() {
    need_root "dpkg-divert, $SBIN"
    if [ -z "$(divert_state)" ]; then
        say "$SBIN/glusterfsd is not diverted: nothing to undo"
        return 0
    fi
    if [ -e "$SBIN/glusterfsd" ]; then
        [ "$(which_pool "$SBIN/glusterfsd")" = magpool ] ||
            die "$SBIN/glusterfsd is diverted but does not carry magpool: left alone"
        rm -f "$SBIN/glusterfsd"
    fi
    dpkg-divert --local --rename --remove "$SBIN/glusterfsd"
    [ "$(which_pool "$SBIN/glusterfsd")" = stock ] ||
        die "after removing the diversion $SBIN/glusterfsd is not Debian's"
    say "removed magpool's glusterfsd; $SBIN/glusterfsd is Debian's again"
}

case ${1:-} in
build) [ $# = 2 ] || die "usage: $0 build OUTDIR"; build "$(mkdir -p "$2" && cd "$2" && pwd)" ;;
build-tcmalloc)
    [ $# = 2 ] || die "usage: $0 build-tcmalloc OUTDIR"
    build_tcmalloc "$(mkdir -p "$2" && cd "$2" && pwd)" ;;
install) [ $# = 2 ] || die "usage: $0 install BINARY"; install_bin "$2" ;;
uninstall) uninstall_bin ;;
which) [ $# = 2 ] || die "usage: $0 which FILE"; which_pool "$2" ;;
*) die "usage: $0 build OUTDIR | build-tcmalloc OUTDIR | install BINARY | uninstall | which FILE" ;;
esac
