#!/bin/sh
# The layers of lib/ have no circle: each file uses only symbols defined
# by itself or by files listed above it in lib/LAYERS.  Read from the
# built objects (nm), so a call hidden in a macro or an inline function
# counts as well.  A file of lib/ missing from lib/LAYERS fails too.
# On failure each offending use is printed as
#   lib/A.c uses SYM, defined in lib/B.c, which is above it (lib/LAYERS)
# which names the call that closes a circle.
src=$(cd "$(dirname "$0")/.." && pwd)
b=${MP_BUILDDIR:-.}
layers="$src/lib/LAYERS"
command -v nm >/dev/null || { echo "no nm: skipped"; exit 77; }

files=$(sed -e 's/#.*//' "$layers" | awk 'NF { print $1 }')
fail=0
for c in "$src"/lib/*.c; do
    f=${c##*/}
    echo "$files" | grep -qx "$f" || { echo "FAIL: lib/$f is not in lib/LAYERS"; fail=1; }
done

# The object of each listed file: the PIC object libtool made, or the
# static archive's (the GlusterFS front is only built with GlusterFS's
# headers).
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
rank=0
for f in $files; do
    rank=$((rank + 1))
    base=${f%.c}
    obj=$(ls "$b"/lib/.libs/*-"$base".o "$b"/lib/*-"$base".o 2>/dev/null | head -n 1)
    if [ -z "$obj" ]; then
        case $f in
        gluster_front.c) echo "lib/$f: not built (no GlusterFS headers)"; continue ;;
        esac
        echo "FAIL: no object for lib/$f under $b/lib"; fail=1; continue
    fi
    nm -g --defined-only "$obj" | awk -v r="$rank" -v f="$f" 'NF >= 3 { print $3, r, f }' >>"$tmp/defs"
    nm -u "$obj" | awk -v r="$rank" -v f="$f" '{ print $NF, r, f }' >>"$tmp/uses"
done
[ -s "$tmp/uses" ] || { echo "FAIL: no objects read"; exit 1; }

# A use is fine if some definer is at or below the user's rank.
awk 'NR == FNR { if (!($1 in low) || $2 < low[$1]) { low[$1] = $2; by[$1] = $3 }; next }
     ($1 in low) && low[$1] > $2 {
         printf "FAIL: lib/%s uses %s, defined in lib/%s, which is above it (lib/LAYERS)\n", $3, $1, by[$1]
         bad = 1
     }
     ($1 in low) { n++ }
     END { if (!bad) printf "%d uses of lib/ symbols across files, all downward\n", n; exit bad }' \
    "$tmp/defs" "$tmp/uses" || fail=1
[ "$fail" = 0 ] && echo "layers: $(echo $files | wc -w) files, no circle"
exit $fail
