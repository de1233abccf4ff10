/*
 * coldbatch.c - the batch workload (each thread gets WL_BATCH objects,
 * writes one word of each, puts them back; repeat) in a fresh process,
 * timed per window from the first pair on: what a program that starts
 * cold sees, beside google-benchmark's warm figures (make bench).  Each
 * line is one window: pairs done so far, ns per pair in the window (the
 * slowest thread's), and the pool's magazine capacity and depot
 * exchanges per 1000 pairs in the window.
 *
 * With two threads or more, each window's line also gives, over the
 * objects of each thread's last batch in the window: the 128-byte blocks
 * that objects of more than one thread share (a header or first word in
 * the block), and the runs the threads' objects make in memory (sorted
 * by address, a new run where the next object is more than two blocks
 * of round16(SIZE + 8) bytes on; the mean over the threads).  Where two
 * threads' objects lie in many short runs side by side, both CPUs'
 * caches want the lines at the runs' ends, and the time per pair follows
 * (perf/NOTES.md, "Two threads on one pool: whose objects lie side by
 * side").
 *
 * Environment: COLDBATCH_CAP=N makes the pool's magazines N objects from
 * the start (magpool_options.mag_capacity: no growth);
 * COLDBATCH_POOL_PER_THREAD=1 gives each thread a pool of its own (the
 * capacity lines then follow thread 0's pool); COLDBATCH_NO_SAMPLING=1
 * leaves out the capacity lines.
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

static struct magpool *pools[MAXT]; /* pools[0] is the one sampled */
static unsigned nthreads;
static unsigned long total, window;
static int cpus[MAXT], ncpus;
static pthread_barrier_t bar;
static double t_end[MAXT][4096];
/* Each thread's last batch of each window: [thread][window][BATCH]. */
static void **snap;
static unsigned snap_windows;
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
    struct magpool *p = pools[me];
    pthread_barrier_wait(&bar);
    unsigned long done = 0;
    unsigned w = 0;
    while (done < total) {
        for (int i = 0; i < BATCH; i++) {
            objs[i] = magpool_get(p);
            *(volatile uint64_t *)objs[i] = done + i;
        }
        for (int i = 0; i < BATCH; i++)
            magpool_put(objs[i]);
        done += BATCH;
        if (done % window == 0 && w < 4096) {
            if (snap && w < snap_windows) /* ~1 us per window */
                memcpy(&snap[((size_t)me * snap_windows + w) * BATCH], objs,
                       sizeof(objs));
            t_end[me][w++] = now();
        }
    }
    atomic_fetch_add(&finished, 1);
    return NULL;
}

struct block_owner {
    uintptr_t block;
    unsigned thread;
};

static int by_block(const void *a, const void *b)
{
    const struct block_owner *x = a, *y = b;
    if (x->block != y->block)
        return x->block < y->block ? -1 : 1;
    return (x->thread > y->thread) - (x->thread < y->thread);
}

static int by_address(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;
    return (x > y) - (x < y);
}

/* Runs in memory of the objects of the threads' last batches of window
 * w, the mean over the threads. */
static double runs(unsigned w, size_t stride)
{
    static void *o[BATCH];
    unsigned n = 0;
    for (unsigned t = 0; t < nthreads; t++) {
        memcpy(o, &snap[((size_t)t * snap_windows + w) * BATCH], sizeof(o));
        qsort(o, BATCH, sizeof(o[0]), by_address);
        n++;
        for (int i = 1; i < BATCH; i++)
            if ((uintptr_t)o[i] - (uintptr_t)o[i - 1] > 2 * stride)
                n++;
    }
    return (double)n / nthreads;
}

/* 128-byte blocks holding the header or first word of objects of more
 * than one thread, over the threads' last batches of window w. */
static unsigned shared_blocks(unsigned w, struct block_owner *bo)
{
    size_t n = 0;
    for (unsigned t = 0; t < nthreads; t++) {
        void **o = &snap[((size_t)t * snap_windows + w) * BATCH];
        for (int i = 0; i < BATCH; i++) {
            uintptr_t a = (uintptr_t)o[i];
            bo[n++] = (struct block_owner){ (a - 8) >> 7, t };
            bo[n++] = (struct block_owner){ a >> 7, t };
        }
    }
    qsort(bo, n, sizeof(*bo), by_block);
    unsigned shared = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        bool more = false;
        while (j < n && bo[j].block == bo[i].block) {
            if (bo[j].thread != bo[i].thread)
                more = true;
            j++;
        }
        shared += more;
        i = j;
    }
    return shared;
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
    struct magpool_options mo = { 0 };
    const char *e = getenv("COLDBATCH_CAP");
    if (e)
        mo.mag_capacity = (unsigned)atoi(e);
    bool own = getenv("COLDBATCH_POOL_PER_THREAD") &&
               atoi(getenv("COLDBATCH_POOL_PER_THREAD"));
    for (unsigned i = 0; i < nthreads; i++) {
        pools[i] = i == 0 || own ? magpool_create("coldbatch", size, &mo)
                                 : pools[0];
        if (!pools[i]) {
            perror("coldbatch: magpool_create");
            return 1;
        }
    }
    unsigned nwin = (unsigned)(total / window);
    if (nthreads > 1) {
        snap_windows = nwin < 4096 ? nwin : 4096;
        snap = malloc((size_t)nthreads * snap_windows * BATCH * sizeof(void *));
    }
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
        magpool_stats(pools[0], &s);
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
    magpool_stats(pools[0], &st);
    for (unsigned i = 1; own && i < nthreads; i++) {
        struct magpool_stats o;
        magpool_stats(pools[i], &o);
        st.depot_full_hits += o.depot_full_hits;
        st.depot_empty_hits += o.depot_empty_hits;
        st.slab_refills += o.slab_refills;
    }
    unsigned nw = nwin;
    struct block_owner *bo =
        snap ? malloc((size_t)nthreads * BATCH * 2 * sizeof(*bo)) : NULL;
    double prev = t0, sum = 0;
    printf("# threads %u, %zu B, %lu pairs per thread, window %lu\n",
           nthreads, size, total, window);
    printf(snap && bo ? "# pairs_done ns_per_pair shared_128B_blocks runs\n"
                      : "# pairs_done ns_per_pair\n");
    size_t stride = (size + 8 + 15) / 16 * 16; /* magpool(7): header, 16-byte steps */
    for (unsigned w = 0; w < nw && w < 4096; w++) {
        double end = 0;
        for (unsigned i = 0; i < nthreads; i++)
            if (t_end[i][w] > end)
                end = t_end[i][w];
        if (snap && bo && w < snap_windows)
            printf("%lu %.2f %u %.1f\n", (w + 1) * window,
                   (end - prev) / window, shared_blocks(w, bo), runs(w, stride));
        else
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
