#!/bin/sh
# tests/test_asan_program.sh - an AddressSanitizer-built program using the
# normal, uninstrumented libmagpool.so (magpool(7), DEBUGGING): magpool
# finds ASan's runtime by itself, poisons what is free and the bytes after
# each object, so a use after put and an overflow are ASan reports in the
# program's own code, and a double put is magpool's report; a clean run
# reports nothing.  tests/asanbugs is tests/vgbugs.c built with
# -fsanitize=address.
set -u
B=${MP_BUILDDIR:-.}
prog=$B/tests/asanbugs
[ -r "$B/.libs/libmagpool.so" ] ||
    { echo "no shared libmagpool.so (a --disable-shared build): skipped"; exit 77; }
[ -x "$prog" ] || { echo "no $prog: skipped"; exit 77; }
if nm "$B/.libs/libmagpool.so" | grep -q '__asan_report'; then
    echo "libmagpool is itself built with ASan: skipped"; exit 77
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:exitcode=66

run() {
    rc=0
    "$prog" "$1" >"$T/$1.log" 2>&1 || rc=$?
}

expect() {
    m=$1 want=$2 bad=0
    shift 2
    run "$m"
    [ "$rc" = "$want" ] || { echo "FAIL $m: exit status $rc, want $want"; bad=1; }
    for pat in "$@"; do
        grep -q -- "$pat" "$T/$m.log" ||
            { echo "FAIL $m: no \"$pat\" in:"; sed 's/^/    /' "$T/$m.log" | head -n 30; bad=1; }
    done
    [ "$bad" = 1 ] && fail=1 ||
        echo "ok $m: $(grep -m1 -E 'ERROR: AddressSanitizer|DEBUG' "$T/$m.log" | sed 's/ on address.*//')"
}

run clean
if [ "$rc" != 0 ] || [ -s "$T/clean.log" ]; then
    echo "FAIL clean: exit status $rc:"; sed 's/^/    /' "$T/clean.log" | head -n 30; fail=1
else
    echo "ok clean: no report"
fi
expect use-after-put 66 "ERROR: AddressSanitizer: use-after-poison" "WRITE of size 1" \
    "vgbugs.c:5[0-9]" "is 10 bytes inside 64-byte object .* of pool \"vg-frames\" (it is free: a use after put)"
expect overflow 66 "ERROR: AddressSanitizer: use-after-poison" "WRITE of size 1" \
    "of pool \"vg-frames\" (in the poisoned tail after it: an overflow)"
expect double-put 0 "DEBUG: double put of 64-byte object" "\"vg-frames\""
exit $fail
