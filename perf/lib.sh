# lib.sh - shell helpers shared by run.sh and instr.sh (sourced, POSIX sh).
#
# Owns: where the competing allocators are found, and under which label
# each is reported.  Debian installs them under their sonames:
# libtcmalloc-minimal4, libjemalloc2, libmimalloc2.0 (see bootstrap).

# The allocators brought in with LD_PRELOAD, as LABEL:SONAME.
PERF_PRELOADS="tcmalloc:libtcmalloc_minimal.so.4 jemalloc:libjemalloc.so.2
mimalloc:libmimalloc.so.2"

# Path of a shared library by soname, from the dynamic linker's cache;
# empty when it is not installed.
perf_find_lib() {
    /sbin/ldconfig -p 2>/dev/null |
        awk -v n="$1" '$1 == n { print $NF; exit }'
}
