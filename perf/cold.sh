#!/bin/sh
# perf/cold.sh - make bench-cold: the batch workload (1000 gets then 1000
# puts per thread, repeated) in a fresh process per run, as a program
# that starts cold sees it, beside the steady state the same process
# reaches (its last windows) - google-benchmark's warm figures in make
# bench are the latter.  Threads pinned to CPUs 0 and 1.
#
# Usage: cold.sh PROGRAM [ROUNDS] [PAIRS]   (defaults 5, 3000000 per thread)
# Prints, per case, medians over the rounds of: ns per pair over the
# whole run, over its first 10 %, over its last 10 %; depot exchanges
# per 1000 pairs; the magazine capacity at the end and when it was
# reached; at two threads, in the last window, the 128-byte blocks
# objects of both threads share and the runs in memory each thread's
# objects make (perf/coldbatch.c).
prog=${1:?usage: cold.sh PROGRAM [ROUNDS] [PAIRS]}
rounds=${2:-5}
pairs=${3:-3000000}
win=$((pairs / 30))
win=$((win / 1000 * 1000))
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
for r in $(seq 1 "$rounds"); do
    for size in 64 512; do
        for t in 1 2; do
            "$prog" "$t" "$size" "$pairs" "$win" 0 1 >"$tmp/out" || exit 1
            awk -v t="$t" -v s="$size" '
                /^# [0-9.]+ ms: magazine capacity/ { capms = $2; cap = $6 }
                /^# whole run/ {
                    # The exchange rate is the number after the "(";
                    # next: the line is not a window.
                    whole = $4; line = $0; sub(/.*\(/, "", line)
                    split(line, f, " "); ex = f[1]; next
                }
                /^[0-9]/ { w[n++] = $2; sh = ($3 == "" ? "-" : $3); ru = ($4 == "" ? "-" : $4) }
                END {
                    k = int(n / 10); if (k < 1) k = 1
                    for (i = 0; i < k; i++) { a += w[i]; b += w[n - 1 - i] }
                    printf "%s %s %s %.2f %.2f %s %s %s %s %s\n", s, t, whole, a / k, b / k, ex, cap, capms, sh, ru
                }' "$tmp/out" >>"$tmp/all"
        done
    done
done
echo "size threads | whole-run ns/pair | first 10% | last 10% | depot exchanges/1000 pairs | capacity (reached at ms) | shared 128-B blocks | runs per thread   [medians of $rounds fresh processes, $pairs pairs per thread]"
for size in 64 512; do
    for t in 1 2; do
        awk -v t="$t" -v s="$size" '$1 == s && $2 == t' "$tmp/all" >"$tmp/case"
        med() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
        printf "%4s B %d thread(s) | %s | %s | %s | %s | %s (%s) | %s | %s\n" "$size" "$t" \
            "$(cut -d' ' -f3 "$tmp/case" | med)" "$(cut -d' ' -f4 "$tmp/case" | med)" \
            "$(cut -d' ' -f5 "$tmp/case" | med)" "$(cut -d' ' -f6 "$tmp/case" | med)" \
            "$(cut -d' ' -f7 "$tmp/case" | med)" "$(cut -d' ' -f8 "$tmp/case" | med)" \
            "$(cut -d' ' -f9 "$tmp/case" | med)" "$(cut -d' ' -f10 "$tmp/case" | med)"
    done
done
