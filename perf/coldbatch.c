/*
 * coldbatch.c - the batch workload (each thread gets WL_BATCH objects,
 * writes one word of each, puts them back; repeat) in a fresh process,
 * timed per window from the first pair on: what a program that starts
 * cold sees, beside google-benchmark's warm figures (make bench).  Each
 * line is one window: pairs done so far, ns per pair in the window (the
 * slowest thread's), and the pool's magazine capacity and depot
 * exchanges per 1000 pairs in the window.
 *
 * Usage: coldbatch THREADS SIZE TOTAL_PAIRS_PER_THREAD [WINDOW] [CPU...]
 * Threads are pinned to the CPUs given, round robin (default 0,1,...).
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "magpool.h"

#define BATCH 1000
#define MAXT 64

static struct magpool *pool;
static unsigned nthreads;
static unsigned long total, window;
static int cpus[MAXT], ncpus;
static pthread_barrier_t bar;
static double t_end[MAXT][4096];
static atomic_uint running, finished;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void *run(void *arg)
{
    unsigned me = (unsigned)(uintptr_t)arg;
    if (ncpus) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpus[me % ncpus], &set);
        pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
    }
    void *objs[BATCH];
    pthread_barrier_wait(&bar);
    unsigned long done = 0;
    unsigned w = 0;
    while (done < total) {
        for (int i = 0; i < BATCH; i++) {
            objs[i] = magpool_get(pool);
            *(volatile uint64_t *)objs[i] = done + i;
        }
        for (int i = 0; i < BATCH; i++)
            magpool_put(objs[i]);
        done += BATCH;
        if (done % window == 0 && w < 4096)
            t_end[me][w++] = now();
    }
    atomic_fetch_add(&finished, 1);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: coldbatch THREADS SIZE PAIRS [WINDOW] [CPU...]\n");
        return 2;
    }
    nthreads = (unsigned)atoi(argv[1]);
    size_t size = (size_t)atol(argv[2]);
    total = strtoul(argv[3], NULL, 10);
    window = argc > 4 ? strtoul(argv[4], NULL, 10) : 100000;
    window = window / BATCH * BATCH;
    for (int i = 5; i < argc && ncpus < MAXT; i++)
        cpus[ncpus++] = atoi(argv[i]);
    if (nthreads < 1 || nthreads > MAXT || !window) {
        fprintf(stderr, "coldbatch: bad arguments\n");
        return 2;
    }
    pool = magpool_create("coldbatch", size, NULL);
    pthread_barrier_init(&bar, NULL, nthreads + 1);
    pthread_t t[MAXT];
    for (unsigned i = 0; i < nthreads; i++)
        pthread_create(&t[i], NULL, run, (void *)(uintptr_t)i);
    /* Sample the pool while the threads run: capacity and exchanges at
     * each window's end, read by this thread (statistics, no fast path). */
    double t0 = now();
    pthread_barrier_wait(&bar);
    atomic_store(&running, nthreads);
    unsigned cap_seen = 0;
    bool sample = !getenv("COLDBATCH_NO_SAMPLING");
    while (sample && atomic_load(&finished) < nthreads) {
        struct magpool_stats s;
        magpool_stats(pool, &s);
        if (s.mag_capacity != cap_seen) {
            printf("# %.1f ms: magazine capacity %u (after %llu depot "
                   "exchanges)\n", (now() - t0) / 1e6, s.mag_capacity,
                   (unsigned long long)(s.depot_full_hits + s.depot_empty_hits));
            cap_seen = s.mag_capacity;
        }
        struct timespec ts = { 0, 1000000 };
        nanosleep(&ts, NULL);
    }
    for (unsigned i = 0; i < nthreads; i++)
        pthread_join(t[i], NULL);
    struct magpool_stats st;
    magpool_stats(pool, &st);
    unsigned nw = (unsigned)(total / window);
    double prev = t0, sum = 0;
    printf("# threads %u, %zu B, %lu pairs per thread, window %lu\n",
           nthreads, size, total, window);
    printf("# pairs_done ns_per_pair\n");
    for (unsigned w = 0; w < nw && w < 4096; w++) {
        double end = 0;
        for (unsigned i = 0; i < nthreads; i++)
            if (t_end[i][w] > end)
                end = t_end[i][w];
        printf("%lu %.2f\n", (w + 1) * window, (end - prev) / window);
        sum += end - prev;
        prev = end;
    }
    printf("# whole run: %.2f ns per pair (slowest thread); capacity now %u; "
           "depot exchanges %llu (%.2f per 1000 pairs); slab refills %llu\n",
           sum / (nw * (double)window), st.mag_capacity,
           (unsigned long long)(st.depot_full_hits + st.depot_empty_hits),
           1000.0 * (double)(st.depot_full_hits + st.depot_empty_hits) /
               ((double)total * nthreads),
           (unsigned long long)st.slab_refills);
    return 0;
}
