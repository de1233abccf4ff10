/*
 * perf/hotpair.c - the hot get+put pair, timed: magpool's exported
 * functions, the inline API (magpool/inline.h), malloc+free (run it with a
 * malloc's LD_PRELOAD: make bench-hotpair preloads tcmalloc) and a bare
 * thread-local free list, interleaved chunk by chunk in one process pinned
 * to one CPU, so that all four see the same VM mode (../shared/fastpath.md)
 * and load.  Prints medians and the ratios of the same chunks.
 *
 *   perf/hotpair [CHUNKS [PAIRS_PER_CHUNK]]     (defaults 400, 50000)
 *
 * Not a test: it asserts nothing about speed.
 *
 * Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "magpool/inline.h"

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

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

enum { EXPORTED, INLINE, MALLOC, TLSLIST, NV };
static const char *names[NV] = { "magpool exported", "magpool inline",
                                 "malloc+free", "thread-local list" };

int main(int argc, char **argv)
{
    int chunks = argc > 1 ? atoi(argv[1]) : 400;
    int pairs = argc > 2 ? atoi(argv[2]) : 50000;
    if (chunks < 1 || pairs < 1) {
        fprintf(stderr, "usage: %s [CHUNKS [PAIRS_PER_CHUNK]]\n", argv[0]);
        return 2;
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
    double *t[NV];
    for (int v = 0; v < NV; v++)
        t[v] = malloc(sizeof(double) * (size_t)chunks);
    double *ratio[NV];
    for (int v = 0; v < NV; v++)
        ratio[v] = malloc(sizeof(double) * (size_t)chunks);
    for (int c = 0; c < chunks; c++) {
        double t0 = now_ns();
        for (int i = 0; i < pairs; i++) {
            void *o = magpool_get(p);
            KEEP(o);
            magpool_put(o);
        }
        double t1 = now_ns();
        for (int i = 0; i < pairs; i++) {
            void *o = magpool_inline_get(p);
            KEEP(o);
            magpool_inline_put(o);
        }
        double t2 = now_ns();
        for (int i = 0; i < pairs; i++) {
            void *o = malloc(64);
            KEEP(o);
            free(o);
        }
        double t3 = now_ns();
        for (int i = 0; i < pairs; i++) {
            void *o = tl_get();
            KEEP(o);
            tl_put(o);
        }
        double t4 = now_ns();
        t[EXPORTED][c] = (t1 - t0) / pairs;
        t[INLINE][c] = (t2 - t1) / pairs;
        t[MALLOC][c] = (t3 - t2) / pairs;
        t[TLSLIST][c] = (t4 - t3) / pairs;
        for (int v = 0; v < NV; v++)
            ratio[v][c] = t[v][c] / t[MALLOC][c];
    }
    printf("hot get+put pair, 64 B, %d chunks x %d pairs, one CPU\n", chunks, pairs);
    printf("%-18s %8s %8s %8s %12s %12s\n", "", "p25 ns", "median", "p75 ns",
           "/malloc med", "/list med");
    double tl_med;
    qsort(t[TLSLIST], (size_t)chunks, sizeof(double), cmp);
    tl_med = t[TLSLIST][chunks / 2];
    for (int v = 0; v < NV; v++) {
        if (v != TLSLIST)
            qsort(t[v], (size_t)chunks, sizeof(double), cmp);
        qsort(ratio[v], (size_t)chunks, sizeof(double), cmp);
        printf("%-18s %8.2f %8.2f %8.2f %11.2fx %11.2fx\n", names[v],
               t[v][chunks / 4], t[v][chunks / 2], t[v][3 * chunks / 4],
               ratio[v][chunks / 2], t[v][chunks / 2] / tl_med);
    }
    magpool_destroy(p);
    return 0;
}
