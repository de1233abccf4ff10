#!/bin/sh
# libmagpool.so exports exactly the symbols of lib/libmagpool.map, each
# under its version node, and defines that node: a symbol exported by
# accident (a missing static, a new function without an ABI decision) or
# one dropped from the script fails here.
src=$(cd "$(dirname "$0")/.." && pwd)
lib="${MP_BUILDDIR:-.}/.libs/libmagpool.so.0"
map="$src/lib/libmagpool.map"
[ -r "$lib" ] || { echo "no $lib (a --disable-shared build): skipped"; exit 77; }
command -v objdump >/dev/null || { echo "no objdump: skipped"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# The script's names, per node: "NODE NAME".
sed -e 's/#.*//' "$map" | tr -s ' \t\n' ' ' | sed 's/}[^;]*;/}\n/g' |
    awk '{
        node = $1
        s = $0; sub(/^[^{]*\{/, "", s); sub(/local:.*/, "", s); sub(/global:/, "", s)
        n = split(s, a, /;/)
        for (i = 1; i <= n; i++) { gsub(/ /, "", a[i]); if (a[i] != "") print node, a[i] }
    }' | sort >"$tmp/want"
[ -s "$tmp/want" ] || { echo "FAIL: no symbols read from $map"; exit 1; }

# What the library defines in its dynamic symbol table: "VERSION NAME".
# Local symbols are not exports: arm64's linker puts the section symbols
# of .init and .data there ("l    d").
objdump -T "$lib" | awk '$0 ~ /\*UND\*/ || $2 == "l" { next }
    NF >= 6 && $(NF-1) !~ /^\(?GLIBC/ {
        v = $(NF-1); gsub(/[()]/, "", v); print v, $NF
    }' | grep -v '^Base ' | sort >"$tmp/have"

fail=0
# The node itself appears as an absolute symbol named after it.
awk '{ print $1 }' "$tmp/want" | sort -u | while read -r node; do
    grep -qx "$node $node" "$tmp/have" || { echo "FAIL: $lib defines no version node $node"; exit 1; }
done || fail=1
grep -v '^\([A-Z0-9_.]*\) \1$' "$tmp/have" >"$tmp/have-syms"
if ! cmp -s "$tmp/want" "$tmp/have-syms"; then
    echo "FAIL: $lib's exports differ from $map (< script only, > library only):"
    diff "$tmp/want" "$tmp/have-syms" | grep '^[<>]'
    fail=1
fi
[ "$fail" = 0 ] && echo "$lib: $(wc -l <"$tmp/want") symbols, exactly lib/libmagpool.map's, versioned"
exit $fail
