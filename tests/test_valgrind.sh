#!/bin/sh
# tests/test_valgrind.sh - under valgrind memcheck magpool notices it by
# itself and tells memcheck about every object (magpool(7), DEBUGGING):
# a seeded use after put, overflow, leak, double put and use of an
# uninitialised object are each reported by memcheck, with the stack of
# the get or the put; a clean run reports nothing.  Needs valgrind and the
# plain (not sanitizer) build.
set -u
B=${MP_BUILDDIR:-.}
prog=$B/tests/vgbugs
command -v valgrind >/dev/null || { echo "no valgrind: skipped"; exit 77; }
[ -x "$prog" ] || { echo "no $prog: skipped"; exit 77; }
if nm "$prog" 2>/dev/null | grep -q '__asan_init\|__tsan_init'; then
    echo "sanitizer build: valgrind cannot run it; skipped"
    exit 77
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0

# run MODE: valgrind's report in $T/MODE.log, its exit status in $rc.
run() {
    rc=0
    MAGPOOL_QUIET=0 valgrind -q --error-exitcode=99 --leak-check=full \
        --errors-for-leak-kinds=definite --num-callers=12 \
        --log-file="$T/$1.log" "$prog" "$1" >/dev/null 2>&1 || rc=$?
}

# expect MODE PATTERN...: memcheck failed the run and said all of them.
expect() {
    m=$1
    shift
    run "$m"
    if [ "$rc" != 99 ]; then
        echo "FAIL $m: exit status $rc, not memcheck's 99"; fail=1
    fi
    for pat in "$@"; do
        if ! grep -q -- "$pat" "$T/$m.log"; then
            echo "FAIL $m: no \"$pat\" in valgrind's report:"; fail=1
            sed 's/^/    /' "$T/$m.log" | head -n 40
        fi
    done
    [ "$fail" = 1 ] || echo "ok $m: $(grep -m1 -E 'Invalid|definitely|uninitialised|magpool:' "$T/$m.log" | sed 's/^==[0-9]*== //')"
}

run clean
if [ "$rc" != 0 ] || [ -s "$T/clean.log" ]; then
    echo "FAIL clean: exit status $rc, report:"; sed 's/^/    /' "$T/clean.log" | head -n 40
    fail=1
else
    echo "ok clean: no report"
fi
expect use-after-put "Invalid write of size 1" "inside a block of size 64 free'd" \
    "mp_debug_put"
expect overflow "Invalid write of size 1" "0 bytes after a" "block of size 64 alloc'd" \
    "mp_debug_get"
expect leak "64 bytes in 1 blocks are definitely lost" "leaky_get"
expect double-put "magpool: double put of 64-byte object" "Invalid free" "vg-frames"
expect undefined "Conditional jump or move depends on uninitialised value"
exit $fail
