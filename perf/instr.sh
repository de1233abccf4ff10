#!/bin/sh
# instr.sh - instructions per get+put pair, counted by callgrind.
#
#   instr.sh [-p PRELOAD] LIBTOOL PROGRAM [BACKEND [LABEL]]
#       one backend of an instr_* PROGRAM (which takes ITERATIONS and
#       BACKEND), run under LD_PRELOAD=PRELOAD if given;
#   instr.sh --all LIBTOOL DIR
#       every backend, from the instr_* programs in DIR (make bench-instr).
#
# Each measurement is two callgrind runs, of 1M and of 2M pairs; the
# difference of their totals is 1M pairs' worth, set-up and exit cancel.
set -eu
here=$(dirname "$0")
. "$here/lib.sh"

command -v valgrind >/dev/null ||
    { echo "valgrind is not installed (Debian: apt-get install valgrind)" >&2; exit 1; }
# Under valgrind magpool would otherwise switch to its memcheck mode
# (every get and put through the slow path, magpool(7) DEBUGGING): count
# the code that runs outside valgrind.
export MAGPOOL_DEBUG=0

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# one LIBTOOL PROGRAM BACKEND LABEL PRELOAD
one() {
    libtool=$1 prog=$2 backend=$3 label=$4 preload=$5
    run() {
        # valgrind adds its own preloads to the client's LD_PRELOAD.
        if ! env ${preload:+LD_PRELOAD="$preload"} $libtool --mode=execute \
            valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$1" \
            "$prog" "$1" $backend >/dev/null 2>"$tmp/log.$1"; then
            echo "$label: $prog failed under callgrind:" >&2
            cat "$tmp/log.$1" >&2
            return 1
        fi
        sed -n 's/^==[0-9]*== Collected : *//p' "$tmp/log.$1"
    }
    a=$(run 1000000) && b=$(run 2000000) || return 1
    printf '%-12s %5d instructions per get+put pair (callgrind: %s for 1M pairs, %s for 2M)\n' \
        "$label:" $(( (b - a) / 1000000 )) "$a" "$b"
}

if [ "${1:-}" = --all ]; then
    libtool=$2 dir=$3 status=0
    one "$libtool" "$dir/instr_pair" magpool magpool "" || status=1
    one "$libtool" "$dir/instr_pair" magpool-gf magpool-gf "" || status=1
    one "$libtool" "$dir/instr_pair" magpool-inline magpool-inline "" || status=1
    shim="$dir/../.libs/libmagpool-preload.so"
    if [ -r "$shim" ]; then
        one "$libtool" "$dir/instr_pair" magpool-gf magpool-preload "$shim" || status=1
    fi
    if [ -x "$dir/instr_glusterfs" ]; then
        one "$libtool" "$dir/instr_glusterfs" glusterfs glusterfs "" || status=1
    else
        echo "glusterfs:   skipped ($dir/instr_glusterfs not built: libglusterfs-dev missing?)"
    fi
    one "$libtool" "$dir/instr_malloc" malloc glibc "" || status=1
    for entry in $PERF_PRELOADS; do
        label=${entry%%:*} lib=$(perf_find_lib "${entry#*:}")
        if [ -n "$lib" ]; then
            one "$libtool" "$dir/instr_malloc" malloc "$label" "$lib" || status=1
        else
            echo "$label:    skipped (${entry#*:} not installed)"
        fi
    done
    one "$libtool" "$dir/instr_malloc" mutex-list mutex-list "" || status=1
    one "$libtool" "$dir/instr_malloc" tls-list tls-list "" || status=1
    exit $status
fi

preload=""
if [ "${1:-}" = -p ]; then
    preload=$2
    shift 2
fi
[ $# -ge 2 ] || { echo "usage: $0 [-p PRELOAD] LIBTOOL PROGRAM [BACKEND [LABEL]]" >&2; exit 2; }
one "$1" "$2" "${3:-}" "${4:-${3:-$(basename "$2")}}" "$preload"
