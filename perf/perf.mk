# Performance harness (perf/).  Included from the top-level Makefile.am.
# Benchmarks are never run by `make check`.

noinst_PROGRAMS = perf/instr_pair
perf_instr_pair_SOURCES = perf/instr_pair.c
perf_instr_pair_LDADD = libmagpool.la

EXTRA_DIST += perf/instr.sh

# Instructions per get+put pair, counted by callgrind (repeatable).
bench-instr: perf/instr_pair
	$(SHELL) $(srcdir)/perf/instr.sh "$(LIBTOOL)" $(builddir)/perf/instr_pair magpool-mem_get_malloc

.PHONY: bench-instr
