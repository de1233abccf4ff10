/*
 * perf/hotpair.c - the hot get+put pair, timed: magpool's exported
 * functions, the inline API (magpool/inline.h; its put with and without
 * the pool: magpool_inline_put_to, magpool_inline_put), malloc+free (run it with a
 * malloc's LD_PRELOAD: make bench-hotpair preloads tcmalloc), a bare
 * thread-local free list and two empty calls through the PLT (the floor of
 * any exported pair: libpltfloor), interleaved chunk by chunk in one process pinned
 * to one CPU, so that all four see the same load, each chunk bracketed by
 * forwarding-mode probes (fwdmode.h, perf/NOTES.md).  Prints, per
 * mode, medians and the ratios of the same chunks.
 *
 *   perf/hotpair [--force-s] [--batch] [CHUNKS [PAIRS_PER_CHUNK]]
 *                (defaults 400, 50000)
 *
 * --force-s disables speculative store bypass first (prctl): every chunk
 * then runs in the S mode.  --batch times each variant as make bench's
 * batch workload does: 1000 gets, then the 1000 puts (the pairs of a
 * chunk rounded down to a multiple of 1000).
 *
 * Not a test: it asserts nothing about speed.
 *
 * Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fwdmode.h"
#include "pltfloor.h"

#include "magpool/inline.h"

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The lower bound: a thread-local LIFO of 64-byte blocks, no header, no
 * check. */
static __thread void *tl_head;
static inline void *tl_get(void)
{
    void *o = tl_head;
    if (__builtin_expect(!o, 0))
        return malloc(64);
    tl_head = *(void **)o;
    return o;
}
static inline void tl_put(void *o)
{
    *(void **)o = tl_head;
    tl_head = o;
}

#define KEEP(o) __asm__ volatile("" ::"r"(o) : "memory")

/* One variant's loop: n pairs, one get and its put at a time, or (batch)
 * BATCH gets into objs[] and then their puts.  PUT names the object o. */
#define BATCH 1000
static void *objs[BATCH];
#define RUN(n, batch, GET, PUT)                                         \
    do {                                                                \
        if (!(batch)) {                                                 \
            for (int i_ = 0; i_ < (n); i_++) {                          \
                void *o = GET;                                          \
                KEEP(o);                                                \
                PUT;                                                    \
            }                                                           \
        } else {                                                        \
            for (int b_ = 0; b_ < (n) / BATCH; b_++) {                  \
                for (int i_ = 0; i_ < BATCH; i_++) {                    \
                    void *o = GET;                                      \
                    KEEP(o);                                            \
                    objs[i_] = o;                                       \
                }                                                       \
                for (int i_ = 0; i_ < BATCH; i_++) {                    \
                    void *o = objs[i_];                                 \
                    KEEP(o);                                            \
                    PUT;                                                \
                }                                                       \
            }                                                           \
        }                                                               \
    } while (0)

enum { EXPORTED, INLINE, INLINE_TO, MALLOC, TLSLIST, FLOOR, NV };
static const char *names[NV] = { "magpool exported", "magpool inline",
                                 "inline, pool given",
                                 "malloc+free", "thread-local list",
                                 "two empty calls" };

/* Per forwarding mode: each variant's ns per pair in the chunks of that
 * mode, and its ratio to malloc+free and to the list in the same chunk. */
struct per_mode {
    int n;
    double *t[NV], *vs_malloc[NV], *vs_list[NV];
    /* (exported - floor) / (malloc+free - floor): what the two bodies
     * cost beside the two calls. */
    double *above_floor;
};

static void report(const char *title, struct per_mode *m, int chunks)
{
    printf("%s: %d of %d chunks\n", title, m->n, chunks);
    if (!m->n)
        return;
    printf("  %-18s %8s %8s %8s %10s %10s\n", "", "p25 ns", "median",
           "p75 ns", "/malloc", "/list");
    for (int v = 0; v < NV; v++) {
        qsort(m->t[v], (size_t)m->n, sizeof(double), cmp);
        qsort(m->vs_malloc[v], (size_t)m->n, sizeof(double), cmp);
        qsort(m->vs_list[v], (size_t)m->n, sizeof(double), cmp);
        printf("  %-18s %8.2f %8.2f %8.2f %9.2fx %9.2fx\n", names[v],
               m->t[v][m->n / 4], m->t[v][m->n / 2], m->t[v][3 * m->n / 4],
               m->vs_malloc[v][m->n / 2], m->vs_list[v][m->n / 2]);
    }
    qsort(m->above_floor, (size_t)m->n, sizeof(double), cmp);
    printf("  above the two calls: magpool exported / malloc+free %.2fx "
           "(median of same-chunk ratios)\n", m->above_floor[m->n / 2]);
}

int main(int argc, char **argv)
{
    int force_s = 0, batch = 0;
    while (argc > 1 && argv[1][0] == '-') {
        if (strcmp(argv[1], "--force-s") == 0)
            force_s = 1;
        else if (strcmp(argv[1], "--batch") == 0)
            batch = 1;
        else
            break;
        argv++;
        argc--;
    }
    int chunks = argc > 1 ? atoi(argv[1]) : 400;
    int pairs = argc > 2 ? atoi(argv[2]) : 50000;
    if (batch)
        pairs -= pairs % BATCH;
    if (chunks < 1 || pairs < 1 || argc > 3) {
        fprintf(stderr, "usage: hotpair [--force-s] [--batch] [CHUNKS "
                        "[PAIRS_PER_CHUNK]] (with --batch at least %d "
                        "pairs)\n", BATCH);
        return 2;
    }
    if (force_s && fwd_force_s()) {
        perror("hotpair: --force-s: prctl(PR_SET_SPECULATION_CTRL)");
        return 1;
    }
    cpu_set_t cs;
    CPU_ZERO(&cs);
    CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &cs);
    (void)sched_setaffinity(0, sizeof(cs), &cs);
    struct magpool *p = magpool_inline_create("hotpair", 64, NULL);
    if (!p) {
        perror("magpool_inline_create");
        return 1;
    }
    struct per_mode mode[FWD_NMODES];
    for (int m = 0; m < FWD_NMODES; m++) {
        mode[m].n = 0;
        mode[m].above_floor = malloc(sizeof(double) * (size_t)chunks);
        if (!mode[m].above_floor) {
            perror("hotpair: malloc");
            return 1;
        }
        for (int v = 0; v < NV; v++) {
            mode[m].t[v] = malloc(sizeof(double) * (size_t)chunks);
            mode[m].vs_malloc[v] = malloc(sizeof(double) * (size_t)chunks);
            mode[m].vs_list[v] = malloc(sizeof(double) * (size_t)chunks);
            if (!mode[m].t[v] || !mode[m].vs_malloc[v] ||
                !mode[m].vs_list[v]) {
                perror("hotpair: malloc");
                return 1;
            }
        }
    }
    for (int c = 0; c < chunks; c++) {
        /* The variants back to back are one chunk, bracketed by
         * probes: the same mode for all, or the chunk is "mixed". */
        enum fwd_mode before = fwd_mode_now();
        /* start[v]: when variant v began; start[NV]: when the last ended. */
        double start[NV + 1];
        start[EXPORTED] = fwd_now_ns();
        RUN(pairs, batch, magpool_get(p), magpool_put(o));
        start[INLINE] = fwd_now_ns();
        RUN(pairs, batch, magpool_inline_get(p), magpool_inline_put(o));
        start[INLINE_TO] = fwd_now_ns();
        RUN(pairs, batch, magpool_inline_get(p), magpool_inline_put_to(p, o));
        start[MALLOC] = fwd_now_ns();
        RUN(pairs, batch, malloc(64), free(o));
        start[TLSLIST] = fwd_now_ns();
        RUN(pairs, batch, tl_get(), tl_put(o));
        start[FLOOR] = fwd_now_ns();
        RUN(pairs, batch, perf_floor_get(p), perf_floor_put(o));
        start[NV] = fwd_now_ns();
        enum fwd_mode after = fwd_mode_now();
        struct per_mode *m = &mode[before == after ? after : FWD_MIXED];
        double t[NV];
        for (int v = 0; v < NV; v++)
            t[v] = (start[v + 1] - start[v]) / pairs;
        for (int v = 0; v < NV; v++) {
            m->t[v][m->n] = t[v];
            m->vs_malloc[v][m->n] = t[v] / t[MALLOC];
            m->vs_list[v][m->n] = t[v] / t[TLSLIST];
        }
        m->above_floor[m->n] = (t[EXPORTED] - t[FLOOR]) / (t[MALLOC] - t[FLOOR]);
        m->n++;
    }
    printf("%s, 64 B, %d chunks x %d pairs, one CPU%s\n",
           batch ? "1000 gets then 1000 puts" : "hot get+put pair", chunks,
           pairs,
           force_s ? ", speculative store bypass disabled" : "");
    printf("ratios: medians of same-chunk ratios; a forwarding-mode probe "
           "before and after each chunk (fwdmode.h)\n");
    report("F (predictive store forwarding)", &mode[FWD_F], chunks);
    report("S (no predictive store forwarding)", &mode[FWD_S], chunks);
    report("mixed (the mode changed inside the chunk)", &mode[FWD_MIXED],
           chunks);
    if (!FWD_HAVE_PROBE)
        report("unknown (no probe on this CPU)", &mode[FWD_UNKNOWN], chunks);
    magpool_destroy(p);
    return 0;
}
