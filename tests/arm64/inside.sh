#!/bin/bash
# tests/arm64/inside.sh - tests/arm64/run.sh's steps inside an overlay of
# the Debian 12 root (as root, private mount and PID namespaces): arm64
# added to dpkg's architectures, the cross toolchain and the arm64
# libraries installed, /root/magpool configured with
# --host=aarch64-linux-gnu and built, and the unit tests run under
# qemu-aarch64 (user-mode emulation: the arm64 programs run on the host's
# kernel, each system call translated).
#
# Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).
set -euo pipefail
export LC_ALL=C
TRIPLET=aarch64-linux-gnu

step_t0=$(date +%s)
step() {
    local now
    now=$(date +%s)
    echo "arm64: === $1 ($((now - step_t0)) s since the last step)"
    step_t0=$now
}
die() { echo "arm64: FAIL: $*" >&2; exit 1; }

step "packages"
. /etc/os-release
echo "arm64: $PRETTY_NAME, host $(dpkg --print-architecture), adding arm64"
dpkg --add-architecture arm64
apt-get update -qq || die "apt-get update"
apt-get install -y -qq --no-install-recommends \
    gcc-$TRIPLET binutils-$TRIPLET libc6-dev:arm64 liburcu-dev:arm64 check:arm64 \
    pkg-config make autoconf automake libtool qemu-user file \
    </dev/null >/tmp/apt.log 2>&1 || { tail -n 30 /tmp/apt.log; die "apt-get install"; }
echo "arm64: $(${TRIPLET}-gcc --version | head -n 1); $(qemu-aarch64 --version | head -n 1)"
echo "arm64: liburcu $(dpkg-query -W -f='${Version}' liburcu-dev:arm64), check $(dpkg-query -W -f='${Version}' check:arm64)"

step "configure and build (cross, --host=$TRIPLET)"
cd /root/magpool
autoreconf -fi >/tmp/autoreconf.log 2>&1 || { tail -n 30 /tmp/autoreconf.log; die autoreconf; }
# The arm64 .pc files only (the host's would give amd64 flags).
./configure --host=$TRIPLET \
    PKG_CONFIG_LIBDIR=/usr/lib/$TRIPLET/pkgconfig:/usr/share/pkgconfig \
    >/tmp/configure.log 2>&1 || { tail -n 40 /tmp/configure.log; die configure; }
grep -q "^#define HAVE_" config.h 2>/dev/null || true
make -j"${NPROC:-2}" >/tmp/make.log 2>&1 || { tail -n 40 /tmp/make.log; die make; }
make -j"${NPROC:-2}" check TESTS= >/tmp/make-check.log 2>&1 ||
    { tail -n 40 /tmp/make-check.log; die "building the tests"; }
file -L .libs/libmagpool.so | sed 's/^/arm64: /'

step "unit tests under qemu-aarch64"
# Each test program runs under qemu-aarch64, its libmagpool the one just
# built (.libs).  MAGPOOL_TEST_EMULATOR: the tests of what qemu-user does
# not emulate say so and are counted as skipped (tests/testutil.h).
export QEMU_LD_PREFIX=/ MP_BUILDDIR=/root/magpool CK_TIMEOUT_MULTIPLIER=10
export MAGPOOL_TEST_EMULATOR=qemu-user
pass=0 failed="" skipped=0
run() { # NAME PROGRAM [ARG]...: PROGRAM under qemu-aarch64
    local name=$1 t=$2 bin rc=0 t1 secs summary skips
    shift 2
    bin=$t
    [ -f "$(dirname "$t")/.libs/$(basename "$t")" ] && bin=$(dirname "$t")/.libs/$(basename "$t")
    t1=$(date +%s)
    timeout 600 env LD_LIBRARY_PATH=/root/magpool/.libs qemu-aarch64 "$bin" "$@" \
        >"/tmp/$name.log" 2>&1 || rc=$?
    report "$name" "$rc" "$t1"
}
report() { # NAME RC START: one line per test, the log's tail on failure
    local name=$1 rc=$2 secs summary skips
    secs=$(( $(date +%s) - $3 ))
    summary=$(grep -h -e "^[0-9]*%: Checks" -e "no defect found" "/tmp/$name.log" | tail -n 1 || true)
    skips=$(grep -c "skipped under qemu-user" "/tmp/$name.log" || true)
    skipped=$((skipped + skips))
    [ "$skips" = 0 ] || summary="$summary ($skips skipped)"
    if [ "$rc" = 0 ]; then
        pass=$((pass + 1))
        echo "arm64: PASS $name ($secs s) $summary"
    else
        failed="$failed $name"
        echo "arm64: FAIL $name (exit $rc, $secs s) $summary"
        grep -v "^magpool\[" "/tmp/$name.log" | tail -n 12 | sed 's/^/arm64:     /'
    fi
}
for t in tests/test_* tests/stress; do
    case $t in *.c|*.o|*.sh|*.log|*.trs) continue ;; esac
    [ -f "$t" ] && run "${t#tests/}" "$t"
done
# The model without its fork operations (qemu-user aborts in a child
# forked from a threaded parent), in its three modes.
run model tests/model --no-fork --seconds 20
run model_passthrough tests/model --passthrough --no-fork --seconds 10
run model_debug tests/model --debug --no-fork --no debug-after-put --seconds 10
# Checks of the arm64 objects themselves, with the cross binutils.
mkdir -p /tmp/xbin
for tool in nm objdump; do ln -sf "$(command -v $TRIPLET-$tool)" "/tmp/xbin/$tool"; done
for s in test_layers test_abi_symbols test_glibc_versions; do
    t1=$(date +%s) rc=0
    PATH=/tmp/xbin:$PATH sh "tests/$s.sh" >"/tmp/$s.log" 2>&1 || rc=$?
    report "$s" "$rc" "$t1"
done
echo "arm64: not run here: test_valgrind.sh, test_asan_program.sh (valgrind and"
echo "arm64:   ASan are not available for arm64 programs under qemu-user),"
echo "arm64:   test_ctypes.sh (the host's python cannot load an arm64 library),"
echo "arm64:   test_magpool_stat.sh (it runs the test programs through libtool's"
echo "arm64:   wrapper scripts, whose exec of an arm64 program needs binfmt_misc,"
echo "arm64:   a host setting), test_faults_passthrough.sh (malloc's failures with"
echo "arm64:   MAGPOOL_DISABLE: nothing arm64-specific, 143 s under qemu), the"
echo "arm64:   GlusterFS tests (no arm64 GlusterFS here)."
echo "arm64: $pass passed ($skipped single tests skipped under qemu-user); failed:${failed:- none}"
[ -z "$failed" ] || die "arm64 tests failed:$failed"
