#!/bin/sh
# The shipped libraries need no glibc symbol newer than Debian 12's glibc
# (2.36), wherever they were built: a preload shim built on Debian 13
# (glibc 2.41) that needed, say, __isoc23_strtoul (GLIBC_2.38) would keep
# every program it is preloaded into on Debian 12 from starting.
b="${MP_BUILDDIR:-.}/.libs"
oldest=2.36
found=0
for lib in "$b/libmagpool.so.0" "$b/libmagpool-preload.so"; do
    [ -r "$lib" ] || continue
    found=1
    newest=$(objdump -T "$lib" | grep -o 'GLIBC_2\.[0-9]*' | sed 's/GLIBC_//' |
             sort -t. -k1,1n -k2,2n | tail -n 1)
    bad=$(objdump -T "$lib" | awk -v o="${oldest#2.}" '
        match($0, /GLIBC_2\.[0-9]+/) {
            v = substr($0, RSTART + 8, RLENGTH - 8)
            if (v + 0 > o + 0) print $NF " (GLIBC_2." v ")"
        }')
    if [ -n "$bad" ]; then
        echo "FAIL: $lib needs glibc symbols newer than $oldest: $bad"
        exit 1
    fi
    echo "$lib: newest glibc symbol version $newest (<= $oldest)"
done
[ "$found" = 1 ] || { echo "no shared libraries (a --disable-shared build): skipped"; exit 77; }
