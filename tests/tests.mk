# Unit tests (Check), one program per area, and the stress program.
# Included from the top-level Makefile.am.

TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
TEST_LDADD = libmagpool.la $(CHECK_LIBS) -lpthread

if HAVE_CHECK
MP_TEST_BINS = \
	tests/test_magazine \
	tests/test_depot \
	tests/test_slab \
	tests/test_depot_layer \
	tests/test_threads \
	tests/test_fork \
	tests/test_fork_init \
	tests/test_sweeper \
	tests/test_lifecycle \
	tests/test_bad_input \
	tests/test_gluster_api \
	tests/test_gluster_inline \
	tests/test_passthrough \
	tests/test_faults \
	tests/test_inline \
	tests/test_dlopen \
	tests/test_stats \
	tests/test_debug \
	tests/test_urcu \
	tests/stress \
	tests/model
if HAVE_GLUSTERFS
MP_TEST_BINS += tests/test_gluster_abi tests/test_gluster_versions
endif
# tests/vgbugs and tests/asanbugs are not tests by themselves:
# test_valgrind.sh runs the one under valgrind, test_asan_program.sh the
# other (built with ASan, against the plain library).
check_PROGRAMS = $(MP_TEST_BINS) tests/vgbugs
if !SANITIZED
# (Its -fsanitize=address would clash with a sanitizer build's own.)
check_PROGRAMS += tests/asanbugs
endif
TESTS = $(MP_TEST_BINS) tests/test_valgrind.sh tests/test_asan_program.sh \
	tests/model_passthrough.sh tests/model_debug.sh \
	tests/test_faults_passthrough.sh \
	tests/test_ctypes.sh tests/test_magpool_stat.sh tests/test_glibc_versions.sh \
	tests/test_layers.sh tests/test_abi_symbols.sh
endif
EXTRA_DIST += tests/model_passthrough.sh tests/model_debug.sh tests/test_faults_passthrough.sh \
	tests/test_ctypes.sh tests/test_magpool_stat.sh tests/test_valgrind.sh \
	tests/test_asan_program.sh tests/test_glibc_versions.sh tests/test_layers.sh \
	tests/test_abi_symbols.sh
# The wrapper scripts live in the source tree, the programs in the build tree.
AM_TESTS_ENVIRONMENT = MP_BUILDDIR='$(abs_builddir)'; export MP_BUILDDIR;

# Longer randomized runs, on demand: the stress program and the model
# (pooled, passthrough and debug), MAGPOOL_STRESS_SECONDS / MAGPOOL_MODEL_SECONDS
# each (default 60).
STRESS_SECONDS = $${MAGPOOL_STRESS_SECONDS:-60}
MODEL_SECONDS = $${MAGPOOL_MODEL_SECONDS:-60}
stress: tests/stress tests/model
	MAGPOOL_STRESS_SECONDS=$(STRESS_SECONDS) tests/stress
	tests/model --seconds $(MODEL_SECONDS)
	tests/model --passthrough --seconds $(MODEL_SECONDS)
	tests/model --debug --seconds $(MODEL_SECONDS)
.PHONY: stress

# How many known defects the model catches (tests/mutants/run.sh): each
# tests/mutants/*.patch applied in turn to a scratch copy of the source
# tree, MAGPOOL_MUTANT_SECONDS (default 60) of the model against each.
mutants:
	$(SHELL) $(srcdir)/tests/mutants/run.sh $(srcdir) '$(MAKE)'
.PHONY: mutants
EXTRA_DIST += tests/mutants

noinst_HEADERS = tests/testutil.h tests/fault.h tests/tcache_probe.h

tests_test_magazine_SOURCES = tests/test_magazine.c
tests_test_magazine_CFLAGS = $(TEST_CFLAGS)
tests_test_magazine_LDADD = $(TEST_LDADD)
tests_test_depot_SOURCES = tests/test_depot.c
tests_test_depot_CFLAGS = $(TEST_CFLAGS)
tests_test_depot_LDADD = $(TEST_LDADD)
# The layers linked alone (lib/LAYERS): each test builds only the files
# of its layer and of those below it, which also proves they link
# without anything above.
LAYER_TEST_CFLAGS = $(TEST_CFLAGS) $(URCU_CFLAGS) -I$(top_srcdir)/lib
LAYER_TEST_LDADD = $(URCU_LIBS) $(CHECK_LIBS) -lpthread
tests_test_slab_SOURCES = tests/test_slab.c lib/os.c lib/options.c lib/slab.c
tests_test_slab_CFLAGS = $(LAYER_TEST_CFLAGS)
tests_test_slab_LDADD = $(LAYER_TEST_LDADD)
tests_test_depot_layer_SOURCES = tests/test_depot_layer.c lib/os.c lib/rcu.c \
	lib/options.c lib/slab.c lib/registry.c lib/depot.c
tests_test_depot_layer_CFLAGS = $(LAYER_TEST_CFLAGS)
tests_test_depot_layer_LDADD = $(LAYER_TEST_LDADD)
tests_test_threads_SOURCES = tests/test_threads.c
tests_test_threads_CFLAGS = $(TEST_CFLAGS) $(URCU_CFLAGS) -I$(top_srcdir)/lib
tests_test_threads_LDADD = $(TEST_LDADD)
tests_test_fork_init_SOURCES = tests/test_fork_init.c
tests_test_fork_init_CFLAGS = $(TEST_CFLAGS)
tests_test_fork_init_LDADD = $(TEST_LDADD) -ldl
tests_test_fork_SOURCES = tests/test_fork.c
tests_test_fork_CFLAGS = $(TEST_CFLAGS) $(URCU_CFLAGS) -I$(top_srcdir)/lib
tests_test_fork_LDADD = $(TEST_LDADD)
tests_test_debug_SOURCES = tests/test_debug.c
tests_test_debug_CFLAGS = $(TEST_CFLAGS)
tests_test_debug_LDADD = $(TEST_LDADD)
# A program that uses liburcu's default flavour itself, and magpool's.
tests_test_urcu_SOURCES = tests/test_urcu.c
tests_test_urcu_CFLAGS = $(TEST_CFLAGS) $(URCU_PROG_CFLAGS)
tests_test_urcu_LDADD = $(TEST_LDADD) $(URCU_PROG_LIBS)
# Run under valgrind by test_valgrind.sh: a real binary, not libtool's
# wrapper script.
tests_vgbugs_SOURCES = tests/vgbugs.c
tests_vgbugs_CFLAGS = $(AM_CFLAGS) -g
tests_vgbugs_LDFLAGS = -no-install
tests_vgbugs_LDADD = libmagpool.la -lpthread
tests_asanbugs_SOURCES = tests/vgbugs.c
tests_asanbugs_CFLAGS = $(AM_CFLAGS) -g -fsanitize=address -fno-omit-frame-pointer
tests_asanbugs_LDFLAGS = -no-install -fsanitize=address
tests_asanbugs_LDADD = libmagpool.la -lpthread
tests_test_gluster_inline_SOURCES = tests/test_gluster_inline.c
tests_test_gluster_inline_CFLAGS = $(TEST_CFLAGS)
tests_test_gluster_inline_LDADD = $(TEST_LDADD)
tests_test_stats_SOURCES = tests/test_stats.c
tests_test_stats_CFLAGS = $(TEST_CFLAGS) $(URCU_CFLAGS) -I$(top_srcdir)/lib
tests_test_stats_LDADD = $(TEST_LDADD)
tests_test_sweeper_SOURCES = tests/test_sweeper.c
tests_test_sweeper_CFLAGS = $(TEST_CFLAGS)
tests_test_sweeper_LDADD = $(TEST_LDADD)
tests_test_lifecycle_SOURCES = tests/test_lifecycle.c
tests_test_lifecycle_CFLAGS = $(TEST_CFLAGS)
tests_test_lifecycle_LDADD = $(TEST_LDADD)
tests_test_bad_input_SOURCES = tests/test_bad_input.c
tests_test_bad_input_CFLAGS = $(TEST_CFLAGS)
tests_test_bad_input_LDADD = $(TEST_LDADD)
tests_test_gluster_api_SOURCES = tests/test_gluster_api.c
tests_test_gluster_api_CFLAGS = $(TEST_CFLAGS)
tests_test_gluster_api_LDADD = $(TEST_LDADD)
tests_test_passthrough_SOURCES = tests/test_passthrough.c
tests_test_passthrough_CFLAGS = $(TEST_CFLAGS)
tests_test_passthrough_LDADD = $(TEST_LDADD)
# --export-dynamic: libmagpool and liburcu bind to this program's malloc/mmap.
tests_test_faults_SOURCES = tests/test_faults.c
tests_test_faults_CFLAGS = $(TEST_CFLAGS) $(URCU_CFLAGS) -I$(top_srcdir)/lib
tests_test_faults_LDFLAGS = -Wl,--export-dynamic $(AM_LDFLAGS)
tests_test_faults_LDADD = $(TEST_LDADD)
tests_test_inline_SOURCES = tests/test_inline.c
tests_test_inline_CFLAGS = $(TEST_CFLAGS)
tests_test_inline_LDADD = $(TEST_LDADD)
# Not linked with libmagpool: it dlopen()s the built libmagpool.so.
tests_test_dlopen_SOURCES = tests/test_dlopen.c
tests_test_dlopen_CFLAGS = $(AM_CFLAGS)
tests_test_dlopen_LDADD = -ldl -lpthread
tests_model_SOURCES = tests/model.c tests/model.h tests/model_urcu.c \
	tests/model_fault.c tests/model_memory.c tests/model_debug.c
tests_model_CFLAGS = $(AM_CFLAGS) $(URCU_PROG_CFLAGS)
# --export-dynamic: libmagpool binds to model_fault.c's mmap.  The program
# uses liburcu itself, as a program linked with magpool may.
tests_model_LDFLAGS = -Wl,--export-dynamic $(AM_LDFLAGS)
tests_model_LDADD = libmagpool.la $(URCU_PROG_LIBS) -lpthread
tests_stress_SOURCES = tests/stress.c
tests_stress_CFLAGS = $(TEST_CFLAGS)
tests_stress_LDADD = $(TEST_LDADD)
EXTRA_DIST += tests/tsan.supp

# Against GlusterFS's headers and libglusterfs; the shim comes first so its
# pool symbols win, as with LD_PRELOAD.
tests_test_gluster_abi_SOURCES = tests/test_gluster_abi.c
tests_test_gluster_abi_CPPFLAGS = $(AM_CPPFLAGS) $(GLUSTERFS_CPPFLAGS)
tests_test_gluster_abi_CFLAGS = $(TEST_CFLAGS)
tests_test_gluster_abi_LDADD = libmagpool-preload.la $(GFAPI_LIBS) $(CHECK_LIBS) -lpthread

# The shim against GlusterFS releases and builds this machine does not
# have: tests/fake_libglusterfs.c as libglusterfs.so.0 in four forms,
# and as a library of another name that defines the same functions,
# loaded by the test at run time.
FAKEGF_FORMS = tests/fakegf/v12/libglusterfs.so.0 \
	tests/fakegf/nopool/libglusterfs.so.0 tests/fakegf/v11/libglusterfs.so.0 \
	tests/fakegf/v11dev/libglusterfs.so.0 tests/fakegf/foreign/libpoolish.so.0 \
	tests/fakegf/ctor/libctorpool.so.0
tests/fakegf/v12/libglusterfs.so.0: tests/fake_libglusterfs.c
	@$(MKDIR_P) $(@D)
	$(AM_V_CC)$(CC) -shared -fPIC -O1 -DFAKE_VERSION='"12.0"' -o $@ $(srcdir)/tests/fake_libglusterfs.c
tests/fakegf/nopool/libglusterfs.so.0: tests/fake_libglusterfs.c
	@$(MKDIR_P) $(@D)
	$(AM_V_CC)$(CC) -shared -fPIC -O1 -DFAKE_VERSION='"10.3"' -DFAKE_NOPOOL -o $@ $(srcdir)/tests/fake_libglusterfs.c
tests/fakegf/v11/libglusterfs.so.0: tests/fake_libglusterfs.c
	@$(MKDIR_P) $(@D)
	$(AM_V_CC)$(CC) -shared -fPIC -O1 -DFAKE_VERSION='"11.1"' -o $@ $(srcdir)/tests/fake_libglusterfs.c
tests/fakegf/v11dev/libglusterfs.so.0: tests/fake_libglusterfs.c
	@$(MKDIR_P) $(@D)
	$(AM_V_CC)$(CC) -shared -fPIC -O1 -DFAKE_VERSION='"11dev"' -o $@ $(srcdir)/tests/fake_libglusterfs.c
tests/fakegf/foreign/libpoolish.so.0: tests/fake_libglusterfs.c
	@$(MKDIR_P) $(@D)
	$(AM_V_CC)$(CC) -shared -fPIC -O1 -DFAKE_VERSION='"10.3"' -o $@ $(srcdir)/tests/fake_libglusterfs.c
tests/fakegf/ctor/libctorpool.so.0: tests/ctor_pool.c
	@$(MKDIR_P) $(@D)
	$(AM_V_CC)$(CC) -shared -fPIC -O1 -o $@ $(srcdir)/tests/ctor_pool.c -ldl
EXTRA_DIST += tests/fake_libglusterfs.c tests/ctor_pool.c
CLEANFILES = $(FAKEGF_FORMS)
tests_test_gluster_versions_SOURCES = tests/test_gluster_versions.c
tests_test_gluster_versions_CPPFLAGS = $(AM_CPPFLAGS) -DFAKEGF_DIR='"$(abs_builddir)/tests/fakegf"'
tests_test_gluster_versions_CFLAGS = $(TEST_CFLAGS)
tests_test_gluster_versions_LDADD = libmagpool-preload.la $(CHECK_LIBS) -ldl -lpthread
# The front's functions visible to the libraries the test loads, as the
# preloaded shim's are, also where a build links it into the program
# (the sanitizer builds).
tests_test_gluster_versions_LDFLAGS = -Wl,--export-dynamic
tests_test_gluster_versions_DEPENDENCIES = libmagpool-preload.la $(FAKEGF_FORMS)

# End-to-end: GlusterFS 10.3 (glusterd, a brick, fio and a gfapi client)
# with the preload shim, in a private network namespace.  Needs root;
# installs glusterfs-server, glusterfs-client and fio if missing.
EXTRA_DIST += tests/gluster/run.sh tests/gluster/lib.sh tests/gluster/install.sh \
	tests/gluster/tcmalloc.sh tests/gluster/smallfiles.c perf/gluster/bench.sh \
	perf/gluster/metadata.c perf/results/gluster/RESULTS.md \
	perf/results/gluster/RESULTS.csv
if HAVE_GLUSTERFS
check-gluster: all
	MAGPOOL_PRELOAD=$(abs_builddir)/.libs/libmagpool-preload.so \
	MAGPOOL_EXPECT_MAGPOOL_SIZES=1 \
	$(SHELL) $(srcdir)/tests/gluster/run.sh

# The same with no preload: glusterfsd rebuilt with magpool inside (make
# glusterfsd), bind-mounted over /usr/sbin/glusterfsd in a private mount
# namespace.  Afterwards the host's /usr/sbin/glusterfsd must still be
# Debian's.  Then install-glusterfsd/uninstall-glusterfsd on private
# copies of /usr/sbin and /var/lib/dpkg (tests/gluster/install.sh).
check-gluster-static: all
	@test -x $(abs_builddir)/gluster/glusterfsd-magpool || { \
	  echo "$@: no gluster/glusterfsd-magpool: run make glusterfsd first" >&2; exit 1; }
	MAGPOOL_GLUSTERFSD=$(abs_builddir)/gluster/glusterfsd-magpool \
	MAGPOOL_PRELOAD= MAGPOOL_EXPECT_MAGPOOL_SIZES=1 \
	$(SHELL) $(srcdir)/tests/gluster/run.sh
	@test "`$(SHELL) $(srcdir)/gluster/glusterfsd.sh which /usr/sbin/glusterfsd`" = stock || \
	  test -n "`dpkg-divert --list /usr/sbin/glusterfsd`" || { \
	  echo "$@: /usr/sbin/glusterfsd carries magpool after the test, with no diversion" >&2; exit 1; }
	$(SHELL) $(srcdir)/tests/gluster/install.sh \
	  $(abs_builddir)/gluster/glusterfsd-magpool $(abs_builddir)/gluster/glusterfsd-stock

# The shim on a GlusterFS built with tcmalloc (upstream's default, no pool:
# GF_DISABLE_MEMPOOL): the whole GlusterFS of the installed release built
# from Debian's source (gluster/glusterfsd.sh build-tcmalloc; the first run
# builds it, later runs reuse it from /var/cache/magpool-glusterfs-tcmalloc),
# bind-mounted over the host's in a private mount namespace; the shim must
# step aside (tests/gluster/tcmalloc.sh).
check-gluster-tcmalloc: all
	$(SHELL) $(srcdir)/gluster/glusterfsd.sh build-tcmalloc $(abs_builddir)/gluster
	MAGPOOL_PRELOAD=$(abs_builddir)/.libs/libmagpool-preload.so \
	$(SHELL) $(srcdir)/tests/gluster/tcmalloc.sh $(abs_builddir)/gluster/glusterfs-tcmalloc

# Not a test: stock pool vs magpool (preloaded) vs passthrough+glibc vs
# passthrough+tcmalloc vs magpool linked into glusterfsd, on the same two
# workloads, then brick multiplexing at 6 volumes (about 95 minutes).
bench-gluster: all glusterfsd
	MAGPOOL_PRELOAD=$(abs_builddir)/.libs/libmagpool-preload.so \
	MAGPOOL_GLUSTERFSD=$(abs_builddir)/gluster/glusterfsd-magpool \
	$(SHELL) $(srcdir)/perf/gluster/bench.sh

# Its brick-multiplexing part alone, as a curve: one round of every
# configuration at 6, 12 and 24 volumes in one glusterfsd (results in
# perf/results/gluster-mux; MAGPOOL_BENCH_MUX_VOLS and the other knobs of
# bench.sh apply).
bench-gluster-mux: all glusterfsd
	MAGPOOL_BENCH_ONLY=mux \
	MAGPOOL_PRELOAD=$(abs_builddir)/.libs/libmagpool-preload.so \
	MAGPOOL_GLUSTERFSD=$(abs_builddir)/gluster/glusterfsd-magpool \
	$(SHELL) $(srcdir)/perf/gluster/bench.sh
else
check-gluster check-gluster-static check-gluster-tcmalloc bench-gluster bench-gluster-mux:
	@echo "$@: GlusterFS headers not found (libglusterfs-dev); run ./bootstrap" >&2
	@exit 1
endif
.PHONY: check-gluster check-gluster-static check-gluster-tcmalloc bench-gluster \
	bench-gluster-mux
