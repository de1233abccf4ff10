#!/bin/sh
# run.sh - how many known defects the model-based test (tests/model)
# catches: `make mutants`.
#
# Each tests/mutants/NAME.patch puts one known defect back into the
# source tree (its header, the text before the diff, says which, and may
# give a "Model-args:" line: the model's arguments for that defect, else
# the time is split among the model's modes, and a "Test:" line: a Check
# program of tests/ known to catch it).  In a scratch copy of the
# source tree (the files git knows, committed or not), configured and
# built once, each patch is applied, tests/model rebuilt and run against
# it for MAGPOOL_MUTANT_SECONDS (default 60) under a hard timeout, and
# the patch reversed.  A mutant is caught when the model fails, crashes
# or has to be killed.  When the model misses one whose patch names a
# Test, that program is built and run against the mutant too: the
# summary gives what the model caught alone and with those tests (a
# defect whose window the model hits only by chance is then still
# caught every run, by the test that builds the window itself).
#
# Fails (exit 1) when a patch no longer applies, when the model fails on
# the unpatched tree (a false alarm), when fewer than
# MAGPOOL_MUTANTS_MIN (default 12) mutants are caught by the model or
# the tests the patches name, or when a mutant that names a Test is
# caught by neither.
# MAGPOOL_MUTANTS_MODEL_ARGS: arguments added to every model run;
# MAGPOOL_MUTANTS_MODES: the modes (default "pooled passthrough debug").
# MAGPOOL_MUTANTS_KEEP=1 keeps the scratch directory.
#
# Usage: run.sh SRCDIR [MAKE]
set -u

srcdir=$(cd "${1:?usage: run.sh SRCDIR [MAKE]}" && pwd) || exit 1
make=${2:-make}
secs=${MAGPOOL_MUTANT_SECONDS:-60}
min=${MAGPOOL_MUTANTS_MIN:-12}
clean_secs=${MAGPOOL_MUTANTS_CLEAN_SECONDS:-5}
extra=${MAGPOOL_MUTANTS_MODEL_ARGS:-}
# The model's modes, for a patch with no Model-args line.
modes=${MAGPOOL_MUTANTS_MODES:-"pooled passthrough debug"}
t_start=$(date +%s)

if ! git -C "$srcdir" rev-parse --git-dir >/dev/null 2>&1; then
    echo "mutants: $srcdir is not a git checkout (the copy is made from git ls-files)" >&2
    exit 1
fi
scratch=$(mktemp -d "${TMPDIR:-/tmp}/magpool-mutants.XXXXXX") || exit 1
if [ "${MAGPOOL_MUTANTS_KEEP:-}" = 1 ]; then
    echo "mutants: scratch tree kept in $scratch"
else
    trap 'rm -rf "$scratch"' EXIT
fi
trap 'exit 130' INT TERM

# The source tree as git sees it (tracked and untracked-but-not-ignored
# files, as they are now in the work tree); no build outputs.
(cd "$srcdir" && git ls-files -z --cached --others --exclude-standard |
     tar --null -T - --ignore-failed-read -cf - 2>/dev/null) |
    (cd "$scratch" && tar -xf -) || exit 1

log=$scratch/build.log
echo "mutants: configuring and building tests/model in $scratch"
(cd "$scratch" && autoreconf -fi && ./configure &&
     $make tests/model) >"$log" 2>&1 || {
    tail -30 "$log" >&2
    echo "mutants: the scratch tree does not build" >&2
    exit 1
}

# mode_args MODE: the model's arguments for one of its modes.
mode_args() {
    [ "$1" = pooled ] || echo "--$1"
}

# run_model SECONDS ARGS...: runs the model, sets how/elapsed; 0 = passed.
run_model() {
    s=$1
    shift
    out=$scratch/model.out
    t0=$(date +%s.%N)
    # The model's own watchdog reports a step that hangs; the hard limit
    # is for a hang it cannot report.
    (cd "$scratch" && timeout -s KILL $((s * 2 + 60)) \
         ./tests/model --seconds "$s" "$@" $extra) >"$out" 2>&1
    rc=$?
    t1=$(date +%s.%N)
    elapsed=$(echo "$t0 $t1" | awk '{ printf "%.1f", $2 - $1 }')
    if [ $rc = 0 ]; then
        how=
    elif [ $rc = 137 ]; then
        how="hard timeout: killed after $((s * 2 + 60)) s"
    elif [ $rc -gt 128 ]; then
        how="killed by signal $((rc - 128))"
    else
        how=$(grep 'FAILED' "$out" | head -1 | sed 's/^model: //')
        [ -n "$how" ] || how="exit $rc: $(tail -1 "$out")"
    fi
    # A crash the model's signal handler reported names the guarantee.
    if [ $rc -gt 128 ] && grep -q 'FAILED' "$out"; then
        how="$(grep 'FAILED' "$out" | head -1 | sed 's/^model: //')"
    fi
    return $rc
}

# The unpatched tree first: a failure here is a false alarm.
status=0
for m in $modes; do
    if ! run_model "$clean_secs" $(mode_args $m); then
        echo "mutants: the model fails on the unpatched tree ($m): $how" >&2
        tail -5 "$scratch/model.out" >&2
        status=1
    fi
done
[ $status = 0 ] || exit 1

n=0
caught=0
caught_tests=0
for p in "$srcdir"/tests/mutants/*.patch; do
    [ -e "$p" ] || continue
    name=$(basename "$p" .patch)
    n=$((n + 1))
    if ! (cd "$scratch" && patch -p1 --dry-run -s -f <"$p" >/dev/null); then
        echo "mutant $name: DOES NOT APPLY" >&2
        status=1
        continue
    fi
    (cd "$scratch" && patch -p1 -s -f <"$p") || exit 1
    if ! (cd "$scratch" && $make tests/model) >"$log" 2>&1; then
        tail -20 "$log" >&2
        echo "mutant $name: DOES NOT BUILD" >&2
        status=1
    else
        # Model-args: in the header (before the first ---/diff line).
        args=$(sed -n '/^\(---\|diff\) /q; s/^Model-args://p' "$p" | head -1)
        if sed -n '/^\(---\|diff\) /q; p' "$p" | grep -q '^Model-args:'; then
            runs=1
        else
            runs=$(echo $modes | wc -w)
        fi
        each=$(( (secs + runs - 1) / runs ))
        result=MISSED
        total=0
        if [ $runs = 1 ]; then
            set -- "$args"
        else
            set -- $modes
        fi
        for a in "$@"; do
            # shellcheck disable=SC2086
            [ $runs = 1 ] || a=$(mode_args $a)
            if run_model "$each" $a; then
                total=$(echo "$total $elapsed" | awk '{ print $1 + $2 }')
            else
                total=$(echo "$total $elapsed" | awk '{ print $1 + $2 }')
                result="caught in $total s ($how)"
                break
            fi
        done
        # Test: in the header, a program of tests/ (tests/test_fork).
        test=$(sed -n '/^\(---\|diff\) /q; s/^Test: *//p' "$p" | head -1)
        if [ "$result" != MISSED ]; then
            caught=$((caught + 1))
            caught_tests=$((caught_tests + 1))
            echo "mutant $name: $result"
        elif [ -z "$test" ]; then
            echo "mutant $name: MISSED"
        elif ! (cd "$scratch" && $make "$test") >"$log" 2>&1; then
            tail -20 "$log" >&2
            echo "mutant $name: MISSED by the model; $test DOES NOT BUILD" >&2
            status=1
        elif (cd "$scratch" && timeout -s KILL 600 "./$test") \
                 >"$scratch/test.out" 2>&1; then
            echo "mutant $name: MISSED by the model and by $test"
            status=1
        else
            caught_tests=$((caught_tests + 1))
            echo "mutant $name: MISSED by the model; caught by $test" \
                 "($(grep -m1 ':[EF]:' "$scratch/test.out" ||
                     tail -1 "$scratch/test.out"))"
        fi
    fi
    (cd "$scratch" && patch -p1 -R -s -f <"$p") || {
        echo "mutant $name: does not reverse" >&2
        exit 1
    }
done

echo "mutants: $caught of $n caught by the model, $caught_tests with the" \
     "tests the patches name ($(( $(date +%s) - t_start )) s in all)"
[ $status = 0 ] || exit 1
if [ "$caught_tests" -lt "$min" ]; then
    echo "mutants: fewer than $min caught (MAGPOOL_MUTANTS_MIN)" >&2
    exit 1
fi
exit 0
