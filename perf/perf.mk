# Performance harness (perf/).  Included from the top-level Makefile.am.
# Benchmarks are never run by `make check`.  See magpool-bench(1).
#
#   make bench          full comparison, ~18 min: perf/results/DATE/ and
#                       perf/results/LATEST.md + latest-*.png
#   make bench-quick    the same, smaller, ~3 min
#   make bench-growth   how the cost grows, alone (larson at 1-16 threads,
#                       npools, idle), ~4 min: a dated folder only
#   make bench-instr    instructions per get+put pair, per backend
#
# Several benchmark programs share perf/workloads.h, because the process
# model forbids one: bench_magpool (magpool, both APIs), bench_malloc
# (malloc - glibc's, or tcmalloc/jemalloc/mimalloc under LD_PRELOAD - and
# the mutex and TLS reference lists) and bench_glusterfs (GlusterFS's own
# pool, whose symbols are magpool's GlusterFS names); then one program
# per peer library, built when configure finds it, so that the library's
# threads, settings and memory are in its own processes only:
# bench_gslice (GLib's GSlice; G_SLICE=always-malloc makes it the
# gslice-malloc backend), bench_tbbmalloc (oneTBB's scalable allocator),
# bench_dpdk (DPDK's rte_mempool and its EAL).

# No builtin malloc/free: the compiler must not fold a get/put pair away;
# no unrolling: a measured loop is one get+put per trip.
PERF_CC_OPTS = $(AM_CFLAGS) -fno-builtin-malloc -fno-builtin-calloc \
	-fno-builtin-free -fno-unroll-loops
# What GlusterFS 10.3's installed headers expect of their includer
# (configure computes the sizes).
PERF_GF_DEFS = $(AM_CPPFLAGS) $(GLUSTERFS_CPPFLAGS)
# -no-install: real binaries (no libtool wrapper script), so valgrind
# and LD_PRELOAD apply to the measured program itself.
PERF_LD_OPTS = $(AM_LDFLAGS) -no-install

PERF_BENCH_COMMON = perf/cbench.h perf/cbench.cc perf/bench.h perf/bench.c perf/bk_sized.h \
	perf/workloads.h perf/fwdmode.h

noinst_PROGRAMS = perf/instr_pair perf/instr_malloc perf/hotpair perf/coldbatch \
	perf/pcfloor
# GlusterFS's own pool, when libglusterfs-dev is installed.
if HAVE_GLUSTERFS
noinst_PROGRAMS += perf/instr_glusterfs
endif

# The hot pair timed, five ways interleaved (make bench-hotpair).
perf_hotpair_SOURCES = perf/hotpair.c perf/fwdmode.h perf/pltfloor.h
perf_hotpair_CFLAGS = $(AM_CFLAGS) -O2
perf_hotpair_LDFLAGS = $(PERF_LD_OPTS)
perf_hotpair_LDADD = libmagpool.la perf/libpltfloor.la

# The batch workload in a fresh process, timed per window from the first
# pair (what a program that starts cold sees; make bench-cold).
perf_coldbatch_SOURCES = perf/coldbatch.c
perf_coldbatch_CFLAGS = $(AM_CFLAGS) -O2
perf_coldbatch_LDFLAGS = $(PERF_LD_OPTS)
perf_coldbatch_LDADD = libmagpool.la -lpthread

# Producer->consumer beside bare loops that touch only the header
# (perf/NOTES.md, "Producer->consumer against its floors").
perf_pcfloor_SOURCES = perf/pcfloor.c perf/bench.h
perf_pcfloor_CFLAGS = $(AM_CFLAGS) -O2
perf_pcfloor_LDFLAGS = $(PERF_LD_OPTS)
perf_pcfloor_LDADD = libmagpool.la -lpthread

# An empty get and put in a shared library of their own, linked as
# libmagpool is (-z now): the floor of a pair through the PLT.  -rpath
# makes libtool build it shared; it is never installed.
noinst_LTLIBRARIES += perf/libpltfloor.la
perf_libpltfloor_la_SOURCES = perf/pltfloor.c perf/pltfloor.h
perf_libpltfloor_la_LDFLAGS = -rpath /nowhere -avoid-version -Wl,-z,now \
	$(AM_LDFLAGS)

perf_instr_pair_SOURCES = perf/instr_pair.c
perf_instr_pair_CFLAGS = $(PERF_CC_OPTS)
perf_instr_pair_LDFLAGS = $(PERF_LD_OPTS)
perf_instr_pair_LDADD = libmagpool.la

perf_instr_malloc_SOURCES = perf/instr_malloc.c perf/lists.h perf/lists.c
perf_instr_malloc_CFLAGS = $(PERF_CC_OPTS)
perf_instr_malloc_LDFLAGS = $(PERF_LD_OPTS)

perf_instr_glusterfs_SOURCES = perf/instr_glusterfs.c
perf_instr_glusterfs_CPPFLAGS = $(PERF_GF_DEFS)
perf_instr_glusterfs_CFLAGS = $(PERF_CC_OPTS)
perf_instr_glusterfs_LDFLAGS = $(PERF_LD_OPTS)
perf_instr_glusterfs_LDADD = -lglusterfs

# The peers' programs, each when its library is installed.
PERF_PEER_BENCH =
if HAVE_BENCHMARK
noinst_PROGRAMS += perf/bench_magpool perf/bench_malloc
if HAVE_GLUSTERFS
noinst_PROGRAMS += perf/bench_glusterfs
endif
if HAVE_GLIB
PERF_PEER_BENCH += perf/bench_gslice
endif
if HAVE_TBBMALLOC
PERF_PEER_BENCH += perf/bench_tbbmalloc
endif
if HAVE_DPDK
PERF_PEER_BENCH += perf/bench_dpdk
endif
noinst_PROGRAMS += $(PERF_PEER_BENCH)
endif

perf_bench_magpool_SOURCES = $(PERF_BENCH_COMMON) perf/bk_magpool.c \
	perf/bk_magpool_gf.c perf/bk_gfnames.h perf/bk_magpool_inline.c
perf_bench_magpool_CFLAGS = $(PERF_CC_OPTS)
perf_bench_magpool_CXXFLAGS = $(BENCHMARK_CFLAGS)
perf_bench_magpool_LDFLAGS = $(PERF_LD_OPTS)
perf_bench_magpool_LDADD = libmagpool.la $(BENCHMARK_LIBS) -lpthread

perf_bench_malloc_SOURCES = $(PERF_BENCH_COMMON) perf/lists.h perf/lists.c \
	perf/bk_malloc.c perf/bk_mtxlist.c perf/bk_tlslist.c
perf_bench_malloc_CFLAGS = $(PERF_CC_OPTS)
perf_bench_malloc_CXXFLAGS = $(BENCHMARK_CFLAGS)
perf_bench_malloc_LDFLAGS = $(PERF_LD_OPTS)
perf_bench_malloc_LDADD = $(BENCHMARK_LIBS) -lpthread -ldl

perf_bench_glusterfs_SOURCES = $(PERF_BENCH_COMMON) perf/bk_glusterfs.c \
	perf/bk_gfnames.h
perf_bench_glusterfs_CPPFLAGS = $(PERF_GF_DEFS)
perf_bench_glusterfs_CFLAGS = $(PERF_CC_OPTS)
perf_bench_glusterfs_CXXFLAGS = $(BENCHMARK_CFLAGS)
perf_bench_glusterfs_LDFLAGS = $(PERF_LD_OPTS)
perf_bench_glusterfs_LDADD = -lglusterfs $(BENCHMARK_LIBS) -lpthread

perf_bench_gslice_SOURCES = $(PERF_BENCH_COMMON) perf/bk_gslice.c
perf_bench_gslice_CFLAGS = $(PERF_CC_OPTS) $(GLIB_CFLAGS)
perf_bench_gslice_CXXFLAGS = $(BENCHMARK_CFLAGS)
perf_bench_gslice_LDFLAGS = $(PERF_LD_OPTS)
perf_bench_gslice_LDADD = $(GLIB_LIBS) $(BENCHMARK_LIBS) -lpthread

perf_bench_tbbmalloc_SOURCES = $(PERF_BENCH_COMMON) perf/bk_tbbmalloc.c
perf_bench_tbbmalloc_CFLAGS = $(PERF_CC_OPTS)
perf_bench_tbbmalloc_CXXFLAGS = $(BENCHMARK_CFLAGS)
perf_bench_tbbmalloc_LDFLAGS = $(PERF_LD_OPTS)
perf_bench_tbbmalloc_LDADD = $(TBBMALLOC_LIBS) $(BENCHMARK_LIBS) -lpthread

# DPDK's flags (-march=corei7, -include rte_config.h) for the C files
# only: its inline get and put need them.
perf_bench_dpdk_SOURCES = $(PERF_BENCH_COMMON) perf/bk_dpdk.c
perf_bench_dpdk_CFLAGS = $(PERF_CC_OPTS) $(DPDK_CFLAGS)
perf_bench_dpdk_CXXFLAGS = $(BENCHMARK_CFLAGS)
perf_bench_dpdk_LDFLAGS = $(PERF_LD_OPTS)
perf_bench_dpdk_LDADD = $(DPDK_LIBS) $(BENCHMARK_LIBS) -lpthread

dist_man_MANS += man/magpool-bench.1
EXTRA_DIST += perf/instr.sh perf/run.sh perf/cold.sh perf/summarize.py perf/targets.tsv perf/lib.sh \
	perf/results/README.md perf/NOTES.md

# ------------------------------------------------------------- targets

PERF_RUN = $(SHELL) $(srcdir)/perf/run.sh --builddir=$(builddir) \
	--version=$(VERSION) \
	--srcdir=$(srcdir) --results=$(srcdir)/perf/results

# The GlusterFS programs are optional: without libglusterfs-dev the
# comparison goes on without that backend (run.sh says so); so are the
# peers' (PERF_PEER_BENCH, above).
if HAVE_GLUSTERFS
PERF_GF_BENCH = perf/bench_glusterfs
PERF_GF_INSTR = perf/instr_glusterfs
endif

if HAVE_BENCHMARK
bench: all perf/bench_magpool perf/bench_malloc $(PERF_GF_BENCH) $(PERF_PEER_BENCH)
	$(PERF_RUN) --full

bench-quick: all perf/bench_magpool perf/bench_malloc $(PERF_GF_BENCH) $(PERF_PEER_BENCH)
	$(PERF_RUN) --quick

bench-growth: all perf/bench_magpool perf/bench_malloc $(PERF_GF_BENCH) $(PERF_PEER_BENCH)
	$(PERF_RUN) --full --rounds=3 --workloads='larson|npools' --steps=rounds,idle
else
bench bench-quick bench-growth:
	@echo "google-benchmark was not found by configure: install" \
	    "libbenchmark-dev (./bootstrap does) and re-run ./configure" >&2
	@exit 1
endif

# Instructions per get+put pair, counted by callgrind (repeatable).
bench-instr: all perf/instr_pair perf/instr_malloc $(PERF_GF_INSTR)
	$(SHELL) $(srcdir)/perf/instr.sh --all "$(LIBTOOL)" $(builddir)/perf

# malloc+free is tcmalloc's (upstream GlusterFS 10's default).
bench-hotpair: perf/hotpair
	LD_PRELOAD=$${MAGPOOL_BENCH_MALLOC:-libtcmalloc_minimal.so.4} $(builddir)/perf/hotpair

# The batch workload from a cold start, per fresh process (perf/cold.sh).
bench-cold: perf/coldbatch
	$(SHELL) $(srcdir)/perf/cold.sh $(builddir)/perf/coldbatch

.PHONY: bench bench-quick bench-growth bench-instr bench-hotpair bench-cold
