#!/bin/sh
# Instructions per get+put pair of an instr_pair-style PROGRAM (it takes
# an iteration count), from two callgrind runs whose difference cancels
# set-up and exit.  Usage: instr.sh LIBTOOL PROGRAM [LABEL]
set -eu
libtool=$1
prog=$2
label=${3:-$(basename "$prog")}
command -v valgrind >/dev/null ||
    { echo "valgrind is not installed (Debian: apt-get install valgrind)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() {
    $libtool --mode=execute valgrind --tool=callgrind \
        --callgrind-out-file="$tmp/cg.$1" "$prog" "$1" >/dev/null 2>"$tmp/log.$1"
    sed -n 's/^==[0-9]*== Collected : *//p' "$tmp/log.$1"
}
a=$(run 1000000)
b=$(run 2000000)
echo "$label: $(( (b - a) / 1000000 )) instructions per get+put pair (callgrind: $a for 1M pairs, $b for 2M)"
