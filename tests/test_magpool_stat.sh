#!/bin/sh
# tests/test_magpool_stat.sh - magpool-stat(1) on a real MAGPOOL_STATS dump
# (written by test_stats' destroyed-pools case) and on a GlusterFS
# statedump [mempool] section, stock and magpool; bad input is refused
# with exit status 2 and a message.
set -eu
B=${MP_BUILDDIR:-.}
S=$(cd "$(dirname "$0")/.." && pwd)
STAT="python3 $S/tools/magpool-stat"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

MP_KEEP_STATS_DUMP=$T/stats CK_RUN_CASE=dump "$B/tests/test_stats" >/dev/null
[ -s "$T/stats" ] || fail "test_stats wrote no dump"
$STAT "$T/stats" >"$T/out"
cat "$T/out"
head -n 1 "$T/out" | grep -q "(MAGPOOL_STATS): 3 pools" || fail "not 3 pools"
# The live pool's row has a resident figure (one object touched: a page
# or two), the destroyed ones a dash.
grep -q '^  call_frame_t  .* [48].0 KiB  *1.0 MiB ' "$T/out" ||
    fail "the live pool has no resident figure of one or two pages"
grep 'destroyed' "$T/out" | grep -qv ' -  ' && fail "a destroyed pool has a resident figure"
# Sorted by what they hold: the live pool and the destroyed one with a
# leaked object keep a chunk each; the three destroyed instances none.
grep -q 'call_frame_t (destroyed x3) .* 3000 *100$' "$T/out" ||
    fail "no destroyed x3 row with alloc-count 3000 and max-active 100"
$STAT --sort alloc "$T/stats" | sed -n 3p | grep -q 'destroyed x3' ||
    fail "--sort alloc does not put the busiest first"

cat >"$T/dump" <<'DUMP'
DUMP-START-TIME: 2026-12-02 01:00:00.000000 +0000

[mallinfo]
mallinfo_arena=1

[mempool]
-----=-----
pool-name=call_frame_t
xlator-name=glusterfs
active-count=2
sizeof-type=176
padded-sizeof=192
size=384
shared-pool=0x1
magpool-cached=100
magpool-mapped=1048576
alloc-count=123456
max-active=77
magpool-bytes-resident=65536
-----=-----
pool-name=dict_t
xlator-name=glusterfs
active-count=26
sizeof-type=152
padded-sizeof=256
size=6656
shared-pool=0x2

[iobuf.global]
iobuf_pool=0x3
DUMP-END-TIME: 2026-12-02 01:00:00.000001 +0000
DUMP
$STAT "$T/dump" >"$T/out"
cat "$T/out"
# Held: call_frame_t's resident 64 KiB (not its 1 MiB mapped), dict_t's
# 6.5 KiB in use (GlusterFS's own pool shows nothing else).
head -n 1 "$T/out" | grep -q "(statedump): 2 pools, 70.5 KiB held" || fail "statedump totals"
sed -n 3p "$T/out" | grep -q '^  call_frame_t  *glusterfs .* 64.0 KiB  *1.0 MiB  *123456  *77$' ||
    fail "the magpool pool is not first with its counts"
sed -n 4p "$T/out" | grep -q '^  dict_t .* 6.5 KiB  *-  *-  *-  *-  *-$' ||
    fail "the stock pool's row"
$STAT --sort mapped "$T/dump" | sed -n 3p | grep -q '^  call_frame_t ' ||
    fail "--sort mapped"

# Refusals: exit status 2 and a message naming the file.
# refused FILE MESSAGE: magpool-stat FILE exits 2 saying MESSAGE.
refused() {
    rc=0
    $STAT "$1" 2>"$T/err" || rc=$?
    [ "$rc" = 2 ] && grep -q "$2" "$T/err" ||
        fail "$1: exit status $rc, want 2 and \"$2\"; said: $(cat "$T/err")"
}
printf 'hello\n' >"$T/junk"
refused "$T/junk" "junk: neither"
refused "$T/missing" "missing: No such file"
printf '# magpool 0.1.0 statistics, pid 1\n[p]\nblock-size=x\nactive=1\nbytes-mapped=0\n' >"$T/bad"
refused "$T/bad" "block-size is not a number"
echo "PASS: magpool-stat"
