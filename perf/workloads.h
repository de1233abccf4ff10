/*
 * workloads.h - every workload, instantiated once per backend.
 *
 * Owns: what each benchmark does (see magpool-bench(1) for what each one
 * models).  A bk_*.c file defines, before including this header:
 *     bk_pool                                  the allocator's pool type
 *     const char *bk_label(void)               the name in reports
 *     void bk_init(void)                       process set-up
 *     bk_pool *bk_new(const char *name, size_t size)
 *     void *bk_get(bk_pool *), *bk_get0(bk_pool *)   (get0 zero-fills)
 *     void bk_put(bk_pool *, void *)
 *     void bk_destroy(bk_pool *)
 * as static inline wrappers that call the allocator's exported functions
 * directly, so that a measured loop is get-then-put through those
 * functions and nothing else (no indirect call the real callers lack).
 * A backend that defines WL_FAST_PATH_ONLY registers only the hot pair,
 * the 1-2 thread batches and the larsons at every thread count
 * (magpool-inline: the magpool process runs before every competitor's,
 * so each backend in it costs a full pass; larson's 16 threads show
 * what DPDK's inline get and put are compared with there).
 *
 * Every object a workload gets is written to before it is put back (one
 * word, or all of it where memory is measured): real callers do, and an
 * allocator that defers work to first touch must not look free.
 *
 * Pools live for the whole process, as GlusterFS's do; the sized ones
 * are shared by the workloads that use the same size, in run order.
 * The 256 pools of npools are made by its first run and it runs last
 * (register_late), so that no other case runs beside them.
 *
 * A get that fails aborts the program: a run that skipped it would
 * measure something else, and the other threads of the run would wait
 * for it forever.  A backend whose pools hold a fixed number of objects
 * (dpdk) sizes them with wl_pool_peak() and wl_pool_threads(); one that
 * cannot run some cases defines BK_HAVE_UNFIT and
 *     const char *bk_unfit(bk_pool *const *pools, int npools, int threads,
 *                          int live)
 * which says why a case on those pools cannot run, or NULL: threads is
 * how many threads use them at once (its own and the ones it starts,
 * main thread included), live how many have used them and are alive at
 * once (more than threads only in idle, whose threads take turns).
 * Such a case ends at once, skipped, with that reason in its JSON
 * (summary.md lists it under Problems).  Without bk_unfit, a case whose
 * pool could not be created is skipped the same way.
 *
 * The threads of a producer->consumer run are pinned, each to a CPU of
 * its own where there are enough (wl_pin).
 *
 * Synchronization: the pool tables are written by wl_register() before
 * any run.  In a threaded run thread 2k produces for thread 2k+1 through
 * wl_ring[k]; every thread runs the same number of iterations, so each
 * ring is empty again when the run ends.  wl_wall: one slot per thread
 * (see bench.h).
 */
#ifndef PERF_WORKLOADS_H
#define PERF_WORKLOADS_H

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "fwdmode.h"

#define WL_MAX_PAIRS (BENCH_MAX_THREADS / 2)
#define WL_BATCH 1000  /* objects a "batch" thread holds at once */

static bk_pool *wl_sized[BENCH_MAX_LIST];
static char wl_sized_name[BENCH_MAX_LIST][24];
static bk_pool *wl_many[BENCH_MANY_POOLS];
static bk_pool *wl_gf[GF_NPOOLS];
static struct bench_ring wl_ring[WL_MAX_PAIRS];
static struct bench_wall wl_wall; /* of the run in progress */

static bk_pool *wl_pool_for(int64_t size)
{
    for (int i = 0; i < bench_opt.nsizes; i++)
        if (bench_opt.sizes[i] == size)
            return wl_sized[i];
    return NULL;
}

/* Whether --sizes lists this size (its pool may still have failed). */
static int wl_has_size(int64_t size)
{
    for (int i = 0; i < bench_opt.nsizes; i++)
        if (bench_opt.sizes[i] == size)
            return 1;
    return 0;
}

#define WL_TOUCH(obj, v) (*(long *)(obj) = (long)(v))

static __attribute__((noinline, noreturn)) void wl_get_failed(void)
{
    fprintf(stderr, "%s: get returned NULL: %s\n", bk_label(),
            strerror(errno));
    abort();
}
#define WL_CHECK(obj)                                                          \
    do {                                                                       \
        if (__builtin_expect(!(obj), 0))                                       \
            wl_get_failed();                                                   \
    } while (0)

/* End the run at once, skipped, when the backend cannot run it (see the
 * top of this file); every thread of the run decides the same.  threads:
 * those that use the pools at once, the main thread included; live:
 * those that have used them and are alive at once. */
static int wl_unfit_live(cbench_state *st, bk_pool *const *pools, int npools,
                         int threads, int live)
{
    const char *why = NULL;
#ifdef BK_HAVE_UNFIT
    why = bk_unfit(pools, npools, threads, live);
#else
    (void)threads;
    (void)live;
    for (int i = 0; i < npools && !why; i++)
        if (!pools[i])
            why = "the pool could not be created";
#endif
    if (why)
        cbench_skip(st, why);
    return why != NULL;
}

static int wl_unfit(cbench_state *st, bk_pool *const *pools, int npools,
                    int threads)
{
    return wl_unfit_live(st, pools, npools, threads, threads);
}

/* Get n objects into objs[], each written to: a producer's step. */
static inline void wl_get_n(bk_pool *p, void **objs, int n)
{
    for (int i = 0; i < n; i++) {
        void *o = bk_get(p);
        WL_CHECK(o);
        WL_TOUCH(o, i);
        objs[i] = o;
    }
}

/* ----------------------------------------------------------------- pair */

/* Chunks of the pair and batch workloads, bracketed by forwarding-mode
 * probes (fwdmode.h): the counters fwdF_ns/fwdF_items (and fwdS_) are
 * the time and items of the chunks run wholly in one mode, summed over
 * threads (summarize.py divides them); fwdF/fwdS/fwdX_chunks count the
 * chunks (X: the mode changed inside).  Not reported when the run has
 * more threads than CPUs: a chunk's time would then include other
 * threads' time slices. */
#define WL_PAIR_CHUNK 10000 /* pairs per chunk, ~20-200 us */
#define WL_BATCH_CHUNK 8    /* batches (8000 pairs) per chunk */

static void wl_fwd_report(cbench_state *st, const struct fwd_chunks *c)
{
    if (cbench_nthreads(st) > bench_ncpus())
        return;
    cbench_counter(st, "fwdF_ns", c->ns[FWD_F], CBENCH_VALUE);
    cbench_counter(st, "fwdF_items", c->items[FWD_F], CBENCH_VALUE);
    cbench_counter(st, "fwdS_ns", c->ns[FWD_S], CBENCH_VALUE);
    cbench_counter(st, "fwdS_items", c->items[FWD_S], CBENCH_VALUE);
    cbench_counter(st, "fwdF_chunks", (double)c->n[FWD_F], CBENCH_VALUE);
    cbench_counter(st, "fwdS_chunks", (double)c->n[FWD_S], CBENCH_VALUE);
    cbench_counter(st, "fwdX_chunks", (double)c->n[FWD_MIXED], CBENCH_VALUE);
}

/* The hot pair: one get, one put, the same object back and forth. */
static void wl_pair(cbench_state *st, void *arg)
{
    bk_pool *p = wl_pool_for(cbench_range(st, 0));
    struct fwd_chunks c = {0};
    (void)arg;
    if (wl_unfit(st, &p, 1, 1))
        return;
    while (cbench_keep_running_batch(st, WL_PAIR_CHUNK)) {
        fwd_chunk_begin(&c);
        for (int i = 0; i < WL_PAIR_CHUNK; i++) {
            void *o = bk_get(p);
            WL_CHECK(o);
            WL_TOUCH(o, i);
            bk_put(p, o);
        }
        fwd_chunk_end(&c, WL_PAIR_CHUNK);
    }
    cbench_set_items(st, cbench_iterations(st));
    wl_fwd_report(st, &c);
}

/* ---------------------------------------------------------------- batch */

/* 1000 gets then 1000 puts, in every thread, on one shared pool: the
 * local path, including the thread's cache running dry and overflowing.
 * Items are get+put pairs, all threads together. */
static void wl_batch(cbench_state *st, void *arg)
{
    bk_pool *p = wl_pool_for(cbench_range(st, 0));
    void *objs[WL_BATCH];
    struct fwd_chunks c = {0};
    int first = 1, in_chunk = 0;
    (void)arg;
    if (wl_unfit(st, &p, 1, cbench_nthreads(st)))
        return;
    while (cbench_keep_running(st)) {
        if (first) {
            bench_wall_begin(&wl_wall, st);
            first = 0;
        }
        if (!in_chunk)
            fwd_chunk_begin(&c);
        wl_get_n(p, objs, WL_BATCH);
        for (int i = 0; i < WL_BATCH; i++)
            bk_put(p, objs[i]);
        if (++in_chunk == WL_BATCH_CHUNK) {
            fwd_chunk_end(&c, (double)WL_BATCH_CHUNK * WL_BATCH);
            in_chunk = 0;
        }
        bench_wall_end(&wl_wall, st);
    }
    cbench_set_items(st, cbench_iterations(st) * WL_BATCH);
    wl_fwd_report(st, &c);
    bench_wall_report(&wl_wall, st, (double)cbench_iterations(st) *
                                        WL_BATCH * cbench_nthreads(st));
}

/* ------------------------------------------------------------- prodcons */

#define WL_PC_STEP 256

/* Pin the calling thread, thread t of a run, to the (t mod n)-th of the
 * n CPUs it may use: producer 2k and consumer 2k+1 of a pair are never on
 * one CPU when n >= 2 (with 2 CPUs: every producer on the first, every
 * consumer on the second).  Unpinned, the rates were bimodal, by whether
 * the scheduler had put the two threads of a pair on one CPU or on two.
 * *saved receives the mask to give back with wl_unpin(): thread 0 is
 * google-benchmark's main thread, which goes on to the next benchmarks
 * and whose mask the threads of those inherit.  Returns 0 when it left
 * the thread as it was (one CPU, or the calls failed). */
static int wl_pin(int t, cpu_set_t *saved)
{
    cpu_set_t one;
    int n, cpu, k;
    if (pthread_getaffinity_np(pthread_self(), sizeof *saved, saved))
        return 0;
    n = CPU_COUNT(saved);
    if (n < 2)
        return 0;
    k = t % n;
    for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, saved) && k-- == 0)
            break;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    return pthread_setaffinity_np(pthread_self(), sizeof one, &one) == 0;
}

static void wl_unpin(const cpu_set_t *saved)
{
    (void)pthread_setaffinity_np(pthread_self(), sizeof *saved, saved);
}

/* Producer gets, consumer (another thread) puts: every put is remote.
 * Objects cross in runs of up to WL_PC_STEP.  Each thread is pinned
 * (wl_pin) before its first step.  Items are the objects passed, counted
 * once.  The producer writes each object's first word (WL_TOUCH); with
 * arg non-NULL (the pcread workload) the consumer reads it before the
 * put, as the receiver of a message does: then each object's line
 * crosses to the consumer's CPU for every allocator.  Without the read,
 * an allocator that stores nothing in a free object (DPDK's mempool)
 * leaves the line on the producer's CPU, where one that writes a header
 * or a free-list link at the put (magpool, the mallocs) moves it to the
 * consumer's and back (perf/NOTES.md). */
static volatile long wl_sink;

static void wl_prodcons(cbench_state *st, void *arg)
{
    bk_pool *p = wl_pool_for(cbench_range(st, 0));
    int t = cbench_thread_index(st);
    struct bench_ring *r = &wl_ring[t / 2];
    void *objs[WL_PC_STEP];
    cpu_set_t saved;
    int first = 1, pinned;
    const int reads = arg != NULL;
    if (wl_unfit(st, &p, 1, cbench_nthreads(st)))
        return;
    pinned = wl_pin(t, &saved);
    while (cbench_keep_running_batch(st, WL_PC_STEP)) {
        if (first) {
            bench_wall_begin(&wl_wall, st);
            first = 0;
        }
        if (t % 2 == 0) {
            wl_get_n(p, objs, WL_PC_STEP);
            bench_ring_push(r, objs, WL_PC_STEP);
        } else {
            bench_ring_pop(r, objs, WL_PC_STEP);
            if (reads) {
                long sum = 0;
                for (int i = 0; i < WL_PC_STEP; i++) {
                    sum += *(volatile long *)objs[i];
                    bk_put(p, objs[i]);
                }
                wl_sink += sum;
            } else {
                for (int i = 0; i < WL_PC_STEP; i++)
                    bk_put(p, objs[i]);
            }
        }
        bench_wall_end(&wl_wall, st);
    }
    if (pinned)
        wl_unpin(&saved);
    if (t % 2 == 0)
        cbench_set_items(st, cbench_iterations(st));
    bench_wall_report(&wl_wall, st, (double)cbench_iterations(st) *
                                        (cbench_nthreads(st) / 2));
}

/* ---------------------------------------------------------------- gfmix */

#define WL_GF_STEP 64 /* file operations per keep-running step */
#define WL_GF_INFLIGHT 16
#define WL_GF_REMOTE (BENCH_GF_GETS / 2)

/* A GlusterFS-shaped file operation: ten zero-filled gets from five
 * pools (a stack and three frames, a dict with four values, an RPC
 * request), several operations in flight; when one completes, half its
 * objects are put by this thread and half are handed to thread 1 to put,
 * as io-threads and epoll threads free what rpc threads allocated;
 * thread 1 reads each object's first word before its put.  The two
 * threads are pinned to different CPUs (wl_pin).  Items are file
 * operations (BENCH_GF_GETS gets each). */
static void wl_gfmix_fop_done(void **objs, struct bench_ring *r)
{
    void *remote[WL_GF_REMOTE];
    for (int g = 0; g < BENCH_GF_GETS; g++) {
        if (g % 2)
            remote[g / 2] = objs[g];
        else
            bk_put(wl_gf[bench_gf_fop[g]], objs[g]);
    }
    bench_ring_push(r, remote, WL_GF_REMOTE);
}

static void wl_gfmix(cbench_state *st, void *arg)
{
    struct bench_ring *r = &wl_ring[0];
    int first = 1, pinned;
    cpu_set_t saved;
    (void)arg;
    if (wl_unfit(st, wl_gf, GF_NPOOLS, cbench_nthreads(st)))
        return;
    /* Pinned as producer->consumer's pairs are, for the same reason. */
    pinned = wl_pin(cbench_thread_index(st), &saved);
    if (cbench_thread_index(st) == 0) {
        void *fly[WL_GF_INFLIGHT][BENCH_GF_GETS];
        while (cbench_keep_running_batch(st, WL_GF_STEP)) {
            if (first) {
                bench_wall_begin(&wl_wall, st);
                first = 0;
            }
            /* The window is drained inside each step: the other thread
             * must receive its half before the run's closing barrier. */
            for (int f = 0; f < WL_GF_STEP; f++) {
                void **objs = fly[f % WL_GF_INFLIGHT];
                if (f >= WL_GF_INFLIGHT)
                    wl_gfmix_fop_done(objs, r);
                for (int g = 0; g < BENCH_GF_GETS; g++) {
                    objs[g] = bk_get0(wl_gf[bench_gf_fop[g]]);
                    WL_CHECK(objs[g]);
                    WL_TOUCH(objs[g], f);
                }
            }
            for (int f = WL_GF_STEP - WL_GF_INFLIGHT; f < WL_GF_STEP; f++)
                wl_gfmix_fop_done(fly[f % WL_GF_INFLIGHT], r);
            bench_wall_end(&wl_wall, st);
        }
        cbench_set_items(st, cbench_iterations(st));
    } else {
        void *objs[WL_GF_REMOTE];
        while (cbench_keep_running_batch(st, WL_GF_STEP)) {
            if (first) {
                bench_wall_begin(&wl_wall, st);
                first = 0;
            }
            /* The ring is FIFO: each object's pool is known from its
             * position (the odd gets of an operation, in order). */
            for (int f = 0; f < WL_GF_STEP; f++) {
                bench_ring_pop(r, objs, WL_GF_REMOTE);
                /* Each object is read before its put, as GlusterFS
                 * reads what it frees (a frame's fields in
                 * STACK_DESTROY, a dict's refcount in dict_unref). */
                for (int g = 1; g < BENCH_GF_GETS; g += 2) {
                    wl_sink += *(volatile long *)objs[g / 2];
                    bk_put(wl_gf[bench_gf_fop[g]], objs[g / 2]);
                }
            }
            bench_wall_end(&wl_wall, st);
        }
    }
    if (pinned)
        wl_unpin(&saved);
    bench_wall_report(&wl_wall, st, (double)cbench_iterations(st));
}

/* ------------------------------------------------------------ manypools */

#define WL_MANY_LIVE 256

/* 24 pools of mixed sizes, picked with GlusterFS's weights, 256 objects
 * live per thread: the cost of many pools' caches side by side.  Items
 * are get+put pairs, all threads together. */
static void wl_manypools(cbench_state *st, void *arg)
{
    void *live[WL_MANY_LIVE] = {0};
    unsigned char from[WL_MANY_LIVE];
    unsigned k = (unsigned)cbench_thread_index(st) * 1009u;
    int first = 1;
    (void)arg;
    if (wl_unfit(st, wl_many, BENCH_MANY_POOLS, cbench_nthreads(st)))
        return;
    while (cbench_keep_running_batch(st, WL_MANY_LIVE)) {
        if (first) {
            bench_wall_begin(&wl_wall, st);
            first = 0;
        }
        for (int i = 0; i < WL_MANY_LIVE; i++) {
            unsigned pi = bench_many_seq[k++ % BENCH_MANY_SEQ];
            if (live[i])
                bk_put(wl_many[from[i]], live[i]);
            live[i] = bk_get(wl_many[pi]);
            WL_CHECK(live[i]);
            WL_TOUCH(live[i], k);
            from[i] = (unsigned char)pi;
        }
        bench_wall_end(&wl_wall, st);
    }
    for (int i = 0; i < WL_MANY_LIVE; i++)
        if (live[i])
            bk_put(wl_many[from[i]], live[i]);
    cbench_set_items(st, cbench_iterations(st));
    bench_wall_report(&wl_wall, st, (double)cbench_iterations(st) *
                                        cbench_nthreads(st));
}

/* --------------------------------------------------------------- npools */

/* The cost of a get+put pair against the number of pools in use, 1, 24
 * or 256, all of 64 B: each thread holds WL_NP_OBJS objects, got round
 * robin from the first N pools (object i from pool i mod N), then puts
 * them back in the same order, again and again.  The total is fixed, so
 * the objects' memory is the same at every N and only the pools change:
 * 1024 from one pool (the batch workload, at 64 B), 43 (or 42) from each
 * of 24, 4 from each of 256; what grows with N is each thread's state
 * per pool that the pair walks (magpool: a magazine per pool and
 * thread), and the depot traffic shrinks, since a pool's share then fits
 * a thread's cache.  Items are get+put pairs, all threads together. */
#define WL_NP_OBJS 1024
#define WL_NP_MAX 256 /* pools made, the largest count */
#define WL_NP_SIZE 64
#define WL_NP_THREADS 2
static const int64_t wl_np_counts[] = { 1, 24, WL_NP_MAX };
#define WL_NP_NCOUNTS ((int)(sizeof wl_np_counts / sizeof *wl_np_counts))

/* The most pools one backend makes in a process: the sized ones, the
 * GlusterFS-shaped ones (manypools, gfmix), npools', rss's and idle's. */
#define WL_POOLS_MAX                                                           \
    (BENCH_MAX_LIST + BENCH_MANY_POOLS + GF_NPOOLS + WL_NP_MAX + 2)

static bk_pool *wl_np[WL_NP_MAX];
static char wl_np_name[WL_NP_MAX][24]; /* "npools-" and any int: no truncation */
static pthread_once_t wl_np_once = PTHREAD_ONCE_INIT;

/* At the first npools run, before its clock starts (the cases run after
 * every other, register_late). */
static void wl_np_make(void)
{
    for (int i = 0; i < WL_NP_MAX; i++) {
        snprintf(wl_np_name[i], sizeof wl_np_name[i], "npools-%d", i);
        wl_np[i] = bk_new(wl_np_name[i], WL_NP_SIZE);
    }
}

/* One round: WL_NP_OBJS gets round robin over the first n pools, then
 * their puts in the same order. */
static inline void wl_np_round(void **objs, int n)
{
    int k = 0;
    for (int i = 0; i < WL_NP_OBJS; i++) {
        void *o = bk_get(wl_np[k]);
        WL_CHECK(o);
        WL_TOUCH(o, i);
        objs[i] = o;
        if (++k == n)
            k = 0;
    }
    k = 0;
    for (int i = 0; i < WL_NP_OBJS; i++) {
        bk_put(wl_np[k], objs[i]);
        if (++k == n)
            k = 0;
    }
}

static void wl_npools(cbench_state *st, void *arg)
{
    int n = (int)cbench_range(st, 0);
    void *objs[WL_NP_OBJS];
    int first = 1;
    (void)arg;
    pthread_once(&wl_np_once, wl_np_make);
    if (wl_unfit(st, wl_np, n, cbench_nthreads(st)))
        return;
    /* Before the clock starts: a thread's first use of a pool (its cache
     * made, the pool's first memory) is not what this measures, and a
     * first timed round of 256 cold pools could alone outlast the
     * minimum time and be the figure reported. */
    wl_np_round(objs, n);
    while (cbench_keep_running(st)) {
        if (first) {
            bench_wall_begin(&wl_wall, st);
            first = 0;
        }
        wl_np_round(objs, n);
        bench_wall_end(&wl_wall, st);
    }
    cbench_set_items(st, cbench_iterations(st) * WL_NP_OBJS);
    bench_wall_report(&wl_wall, st, (double)cbench_iterations(st) *
                                        WL_NP_OBJS * cbench_nthreads(st));
}

/* ------------------------------------------------------------------ rss */

#define WL_RSS_SIZE 512 /* bytes per object */

/* Hold rss_objects objects (written all over), put them all back, then
 * sample the resident set every rss_interval seconds for rss_seconds:
 * what the allocator keeps, and whether it gives memory back by itself.
 * Run it in a fresh process: the figures are the process's. */
static void wl_rss(cbench_state *st, void *arg)
{
    size_t size = (size_t)cbench_range(st, 0);
    long n = bench_opt.rss_objects;
    size_t vbytes = (size_t)n * sizeof(void *);
    void **objs = bench_map(vbytes);
    bk_pool *p = bk_new("rss", size);
    char path[512];
    FILE *out = NULL;
    long base = 0, held = 0, peak = 0, after = 0, last = 0;
    double fill_s = 0, put_s = 0;
    (void)arg;
    if (!objs) {
        cbench_skip(st, "cannot map the table of objects");
        return;
    }
    if (wl_unfit(st, &p, 1, 1)) {
        bench_unmap(objs, vbytes);
        return;
    }
    if (bench_opt.rss_out) {
        snprintf(path, sizeof path, bench_opt.rss_out, bk_label());
        if (!(out = fopen(path, "w")))
            perror(path);
    }
    while (cbench_keep_running(st)) {
        base = bench_rss_now();
        double t0 = bench_now();
        for (long i = 0; i < n; i++) {
            void *o = bk_get(p);
            WL_CHECK(o);
            memset(o, 0xa5, size);
            objs[i] = o;
        }
        double t1 = bench_now();
        held = bench_rss_now();
        peak = bench_rss_peak();
        for (long i = 0; i < n; i++)
            bk_put(p, objs[i]);
        double t2 = bench_now();
        last = after = bench_rss_now();
        fill_s = t1 - t0;
        put_s = t2 - t1;
        if (out)
            fprintf(out, "# %s: t (s after put-back), RSS (bytes); "
                    "held %ld\n0.000 %ld\n", bk_label(), held, after);
        for (int s = 1; s * bench_opt.rss_interval <=
                        bench_opt.rss_seconds + 1e-9; s++) {
            bench_sleep_until(t2 + s * bench_opt.rss_interval);
            last = bench_rss_now();
            if (out)
                fprintf(out, "%.3f %ld\n", s * bench_opt.rss_interval, last);
        }
    }
    if (out)
        fclose(out);
    cbench_counter(st, "rss_base", (double)base, CBENCH_BYTES);
    cbench_counter(st, "rss_held", (double)held, CBENCH_BYTES);
    cbench_counter(st, "rss_peak", (double)peak, CBENCH_BYTES);
    cbench_counter(st, "rss_after_put", (double)after, CBENCH_BYTES);
    cbench_counter(st, "rss_final", (double)last, CBENCH_BYTES);
    cbench_counter(st, "fill_seconds", fill_s, 0);
    cbench_counter(st, "put_seconds", put_s, 0);
    bk_destroy(p);
    bench_unmap(objs, vbytes);
}

/* ----------------------------------------------------------------- idle */

/* The memory threads keep in the allocator once they have used a pool
 * and gone idle: N threads (64 KiB stacks, so that 1000 fit) are
 * started and wait; the RSS is read (the base: their stacks, the pool,
 * everything but what touching it adds); then each thread in turn (the
 * main thread lets one go and waits for it: at most WL_IDLE_OBJS objects
 * out at once) gets WL_IDLE_OBJS objects of 64 B, writes them all over
 * and puts them back, and blocks without exiting; the RSS is read right
 * after the last one, and again idle_wait seconds later (time for a
 * sweeper to act).  The main thread gets and puts as many first, before
 * the base: the pool's first memory is not a per-thread cost.  What the
 * allocator's own calls touch on a thread's stack counts as its cost;
 * the benchmark's array of objects is written before the base.  Run it
 * in a fresh process (--rss_only), one thread count per process: the
 * figures are the process's.
 *
 * Semaphores, not a condition variable, hand the turns and the release
 * out: a post wakes one thread, where a broadcast would wake all N for
 * every turn. */
#define WL_IDLE_SIZE 64
#define WL_IDLE_OBJS 64
#define WL_IDLE_STACK (64 << 10)

static struct {
    pthread_mutex_t mu;
    pthread_cond_t all_ready;
    int ready;          /* threads started, under mu */
    sem_t turn, done;   /* one thread's go, and its end */
    sem_t release;      /* one thread's exit */
    int skip;           /* not all could start: return without a touch */
    bk_pool *p;
} wl_idle_gate = { .mu = PTHREAD_MUTEX_INITIALIZER,
                   .all_ready = PTHREAD_COND_INITIALIZER };

static void wl_idle_touch(bk_pool *p, void **objs)
{
    for (int i = 0; i < WL_IDLE_OBJS; i++) {
        objs[i] = bk_get(p);
        WL_CHECK(objs[i]);
        memset(objs[i], 0xa5, WL_IDLE_SIZE);
    }
    for (int i = 0; i < WL_IDLE_OBJS; i++)
        bk_put(p, objs[i]);
}

/* sem_wait, again when a signal interrupts it. */
static void wl_sem_wait(sem_t *s)
{
    while (sem_wait(s) && errno == EINTR)
        ;
}

static void *wl_idle_thread(void *arg)
{
    void *objs[WL_IDLE_OBJS];
    (void)arg;
    /* Its stack is in the base: written now, and kept written. */
    memset(objs, 0, sizeof objs);
    __asm__ volatile("" : : "r"(objs) : "memory");
    pthread_mutex_lock(&wl_idle_gate.mu);
    wl_idle_gate.ready++;
    pthread_cond_signal(&wl_idle_gate.all_ready);
    pthread_mutex_unlock(&wl_idle_gate.mu);
    /* The semaphores order skip and the pool before the reads. */
    wl_sem_wait(&wl_idle_gate.turn);
    if (!wl_idle_gate.skip) {
        wl_idle_touch(wl_idle_gate.p, objs);
        sem_post(&wl_idle_gate.done);
    }
    wl_sem_wait(&wl_idle_gate.release);
    return NULL;
}

static void wl_idle(cbench_state *st, void *arg)
{
    int n = (int)cbench_range(st, 0), made = 0, err = 0;
    size_t tbytes = (size_t)n * sizeof(pthread_t);
    pthread_t *tid = bench_map(tbytes);
    bk_pool *p = bk_new("idle", WL_IDLE_SIZE);
    void *objs[WL_IDLE_OBJS];
    pthread_attr_t attr;
    long base = 0, touched = 0, idle = 0;
    char why[128];
    (void)arg;
    if (!tid) {
        cbench_skip(st, "cannot map the table of threads");
        return;
    }
    /* Touched by one thread at a time; the main thread's lcore, cache
     * or arena and the N threads' stay. */
    if (wl_unfit_live(st, &p, 1, 1, n + 1)) {
        bench_unmap(tid, tbytes);
        return;
    }
    wl_idle_touch(p, objs);
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, WL_IDLE_STACK);
    sem_init(&wl_idle_gate.turn, 0, 0);
    sem_init(&wl_idle_gate.done, 0, 0);
    sem_init(&wl_idle_gate.release, 0, 0);
    wl_idle_gate.p = p;
    while (cbench_keep_running(st)) {
        wl_idle_gate.ready = 0;
        for (made = 0; made < n; made++)
            if ((err = pthread_create(&tid[made], &attr, wl_idle_thread,
                                      NULL)))
                break;
        pthread_mutex_lock(&wl_idle_gate.mu);
        while (wl_idle_gate.ready < made)
            pthread_cond_wait(&wl_idle_gate.all_ready, &wl_idle_gate.mu);
        pthread_mutex_unlock(&wl_idle_gate.mu);
        wl_idle_gate.skip = made < n;
        if (!wl_idle_gate.skip)
            base = bench_rss_now();
        for (int i = 0; i < made; i++) {
            sem_post(&wl_idle_gate.turn);
            if (!wl_idle_gate.skip)
                wl_sem_wait(&wl_idle_gate.done);
        }
        if (!wl_idle_gate.skip) {
            touched = bench_rss_now();
            bench_sleep_until(bench_now() + bench_opt.idle_wait);
            idle = bench_rss_now();
        }
        for (int i = 0; i < made; i++)
            sem_post(&wl_idle_gate.release);
        for (int i = 0; i < made; i++)
            pthread_join(tid[i], NULL);
    }
    pthread_attr_destroy(&attr);
    bench_unmap(tid, tbytes);
    bk_destroy(p);
    if (made < n) {
        snprintf(why, sizeof why, "pthread_create, thread %d of %d "
                 "(%d KiB stacks): %s", made + 1, n, WL_IDLE_STACK >> 10,
                 strerror(err));
        cbench_skip(st, why);
        return;
    }
    cbench_counter(st, "threads", n, CBENCH_VALUE);
    cbench_counter(st, "idle_wait", bench_opt.idle_wait, CBENCH_VALUE);
    cbench_counter(st, "rss_base", (double)base, CBENCH_BYTES);
    cbench_counter(st, "rss_touched", (double)touched, CBENCH_BYTES);
    cbench_counter(st, "rss_idle", (double)idle, CBENCH_BYTES);
}

/* -------------------------------------------------------------- xmalloc */

/* mimalloc-bench's xmalloc-test (Lever and Boreham), for a pool: half the
 * threads produce, half consume, through ONE shared queue (a mutex and
 * two condition variables, as xmalloc-test's shared free list), so any
 * consumer frees any producer's objects in batches of WL_XM_BATCH.  Items
 * are the objects passed, counted once. */
#define WL_XM_BATCH 64
#define WL_XM_CAP 64 /* batches the queue holds: bounds what is in flight */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t nonempty, nonfull;
    unsigned head, n;
    void *slot[WL_XM_CAP][WL_XM_BATCH];
} wl_xq = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
            PTHREAD_COND_INITIALIZER, 0, 0, {{0}} };

static void wl_xq_push(void *const *objs)
{
    pthread_mutex_lock(&wl_xq.mu);
    while (wl_xq.n == WL_XM_CAP)
        pthread_cond_wait(&wl_xq.nonfull, &wl_xq.mu);
    memcpy(wl_xq.slot[(wl_xq.head + wl_xq.n) % WL_XM_CAP], objs,
           sizeof(wl_xq.slot[0]));
    wl_xq.n++;
    pthread_cond_signal(&wl_xq.nonempty);
    pthread_mutex_unlock(&wl_xq.mu);
}

static void wl_xq_pop(void **objs)
{
    pthread_mutex_lock(&wl_xq.mu);
    while (wl_xq.n == 0)
        pthread_cond_wait(&wl_xq.nonempty, &wl_xq.mu);
    memcpy(objs, wl_xq.slot[wl_xq.head], sizeof(wl_xq.slot[0]));
    wl_xq.head = (wl_xq.head + 1) % WL_XM_CAP;
    wl_xq.n--;
    pthread_cond_signal(&wl_xq.nonfull);
    pthread_mutex_unlock(&wl_xq.mu);
}

static void wl_xmalloc(cbench_state *st, void *arg)
{
    bk_pool *p = wl_pool_for(cbench_range(st, 0));
    int t = cbench_thread_index(st);
    void *objs[WL_XM_BATCH];
    int first = 1;
    (void)arg;
    if (wl_unfit(st, &p, 1, cbench_nthreads(st)))
        return;
    /* Every thread runs the same number of iterations and there are as
     * many consumers as producers, so the queue is empty at the end. */
    while (cbench_keep_running_batch(st, WL_XM_BATCH)) {
        if (first) {
            bench_wall_begin(&wl_wall, st);
            first = 0;
        }
        if (t % 2 == 0) {
            wl_get_n(p, objs, WL_XM_BATCH);
            wl_xq_push(objs);
        } else {
            wl_xq_pop(objs);
            for (int i = 0; i < WL_XM_BATCH; i++)
                bk_put(p, objs[i]);
        }
        bench_wall_end(&wl_wall, st);
    }
    if (t % 2 == 0)
        cbench_set_items(st, cbench_iterations(st));
    bench_wall_report(&wl_wall, st, (double)cbench_iterations(st) *
                                        (cbench_nthreads(st) / 2));
}

/* --------------------------------------------------------------- larson */

/* Larson and Krishnan's server benchmark with min = max size (a pool has
 * one size): each thread keeps WL_LARSON_SLOTS live objects and replaces
 * a randomly chosen one at every step (put it, get a new one), so objects
 * come back in random order, not LIFO.  Items are replacements (one get
 * and one put), all threads together. */
#define WL_LARSON_SLOTS 1000
#define WL_LARSON_STEP 1000

static void wl_larson(cbench_state *st, void *arg)
{
    bk_pool *p = wl_pool_for(cbench_range(st, 0));
    void *slot[WL_LARSON_SLOTS];
    uint64_t x = 0x9e3779b97f4a7c15ull * (uint64_t)(cbench_thread_index(st) + 1);
    int first = 1;
    (void)arg;
    if (wl_unfit(st, &p, 1, cbench_nthreads(st)))
        return;
    for (int i = 0; i < WL_LARSON_SLOTS; i++) {
        slot[i] = bk_get(p);
        WL_CHECK(slot[i]);
        WL_TOUCH(slot[i], i);
    }
    while (cbench_keep_running_batch(st, WL_LARSON_STEP)) {
        if (first) {
            bench_wall_begin(&wl_wall, st);
            first = 0;
        }
        for (int i = 0; i < WL_LARSON_STEP; i++) {
            x ^= x << 13; /* xorshift64 */
            x ^= x >> 7;
            x ^= x << 17;
            unsigned k = (unsigned)(x % WL_LARSON_SLOTS);
            bk_put(p, slot[k]);
            slot[k] = bk_get(p);
            WL_CHECK(slot[k]);
            WL_TOUCH(slot[k], i);
        }
        bench_wall_end(&wl_wall, st);
    }
    for (int i = 0; i < WL_LARSON_SLOTS; i++)
        bk_put(p, slot[i]);
    cbench_set_items(st, cbench_iterations(st));
    bench_wall_report(&wl_wall, st, (double)cbench_iterations(st) *
                                        cbench_nthreads(st));
}

/* ---------------------------------------------------------------- churn */

/* Thread churn, as mimalloc-bench's mstress: every step starts
 * WL_CHURN_THREADS short-lived threads and joins them.  Each frees what
 * the thread of the same index in the previous generation left behind
 * (objects of a thread that has exited), gets WL_CHURN_OBJS objects,
 * puts half of them back itself and leaves the other half to the next
 * generation.  What it measures is per-thread set-up and tear-down (a
 * thread cache made, registered, flushed at exit) with objects outliving
 * their threads.  Items are gets. */
#define WL_CHURN_THREADS 4
#define WL_CHURN_OBJS 512

struct wl_churn_job {
    bk_pool *p;
    void *left[WL_CHURN_OBJS / 2]; /* from the previous generation */
    int nleft;
};

static void *wl_churn_thread(void *arg)
{
    struct wl_churn_job *j = arg;
    void *mine[WL_CHURN_OBJS];
    for (int i = 0; i < j->nleft; i++)
        bk_put(j->p, j->left[i]);
    wl_get_n(j->p, mine, WL_CHURN_OBJS);
    for (int i = 0; i < WL_CHURN_OBJS; i += 2)
        bk_put(j->p, mine[i]);
    for (int i = 1, k = 0; i < WL_CHURN_OBJS; i += 2)
        j->left[k++] = mine[i];
    j->nleft = WL_CHURN_OBJS / 2;
    return NULL;
}

static void wl_churn(cbench_state *st, void *arg)
{
    static struct wl_churn_job jobs[WL_CHURN_THREADS];
    bk_pool *p = wl_pool_for(cbench_range(st, 0));
    (void)arg;
    /* The main thread and the ones it starts. */
    if (wl_unfit(st, &p, 1, 1 + WL_CHURN_THREADS))
        return;
    for (int i = 0; i < WL_CHURN_THREADS; i++) {
        jobs[i].p = p;
        jobs[i].nleft = 0;
    }
    while (cbench_keep_running(st)) {
        pthread_t tid[WL_CHURN_THREADS];
        for (int i = 0; i < WL_CHURN_THREADS; i++)
            if (pthread_create(&tid[i], NULL, wl_churn_thread, &jobs[i])) {
                fprintf(stderr, "%s: pthread_create failed\n", bk_label());
                abort();
            }
        for (int i = 0; i < WL_CHURN_THREADS; i++)
            pthread_join(tid[i], NULL);
    }
    for (int i = 0; i < WL_CHURN_THREADS; i++)
        for (int k = 0; k < jobs[i].nleft; k++)
            bk_put(p, jobs[i].left[k]);
    cbench_set_items(st, cbench_iterations(st) * WL_CHURN_THREADS *
                             WL_CHURN_OBJS);
}

/* ----------------------------------------------- pools of a fixed size */

/* For a backend whose pool holds a fixed number of objects: the pools
 * by what they serve, told apart by the name given to bk_new(): "rss",
 * "idle", "bench-SIZE" (the sized pools), "npools-I" (the I-th pool of
 * npools), or a GlusterFS pool name (gfmix and manypools). */
enum wl_pool_kind {
    WL_POOL_SIZED, WL_POOL_SHAPED, WL_POOL_RSS, WL_POOL_IDLE, WL_POOL_NPOOLS
};

static inline enum wl_pool_kind wl_pool_kind_of(const char *name)
{
    if (strcmp(name, "rss") == 0)
        return WL_POOL_RSS;
    if (strcmp(name, "idle") == 0)
        return WL_POOL_IDLE;
    if (strncmp(name, "npools-", 7) == 0)
        return WL_POOL_NPOOLS;
    return strncmp(name, "bench-", 6) == 0 ? WL_POOL_SIZED : WL_POOL_SHAPED;
}

static inline long wl_max_opt(const int64_t *v, int n)
{
    long m = 0;
    for (int i = 0; i < n; i++)
        if (v[i] > m)
            m = (long)v[i];
    return m;
}

/* The most objects the workloads hold at once from the pool of this
 * name, with the options of this process: got and not yet put, in
 * threads' hands, rings and queues. */
static inline long wl_pool_peak(const char *name)
{
    long m, v;
    switch (wl_pool_kind_of(name)) {
    case WL_POOL_RSS:
        return bench_opt.rss_objects;
    case WL_POOL_IDLE:
        return WL_IDLE_OBJS; /* one thread at a time */
    case WL_POOL_NPOOLS:
        /* Each thread's share of the case with the fewest pools that
         * uses this one. */
        v = atol(name + 7);
        for (int i = 0; i < WL_NP_NCOUNTS; i++)
            if (wl_np_counts[i] > v)
                return WL_NP_THREADS * ((WL_NP_OBJS + wl_np_counts[i] - 1) /
                                        wl_np_counts[i]);
        return 0;
    case WL_POOL_SHAPED:
        /* manypools: 256 live per thread, 1-2 threads, any of them from
         * one pool; gfmix: the operations in flight, the ring and the
         * putting thread's hand. */
        m = 2L * WL_MANY_LIVE;
        v = (long)WL_GF_INFLIGHT * BENCH_GF_GETS + BENCH_RING + WL_GF_REMOTE;
        return v > m ? v : m;
    case WL_POOL_SIZED:
    default:
        /* batch, prodcons (a ring and two hands per pair), xmalloc (the
         * queue and four hands), larson, churn (each thread's objects
         * and the half it leaves). */
        m = wl_max_opt(bench_opt.threads, bench_opt.nthreads) * WL_BATCH;
        v = wl_max_opt(bench_opt.pairs, bench_opt.npairs) *
            (BENCH_RING + 2L * WL_PC_STEP);
        m = v > m ? v : m;
        v = (WL_XM_CAP + 4L) * WL_XM_BATCH;
        m = v > m ? v : m;
        v = wl_max_opt(bench_opt.threads, bench_opt.nthreads) *
            (long)WL_LARSON_SLOTS;
        m = v > m ? v : m;
        v = WL_CHURN_THREADS * (WL_CHURN_OBJS + WL_CHURN_OBJS / 2L);
        return v > m ? v : m;
    }
}

/* The most threads that use the pool of this name and are alive at
 * once (main thread included), with the options of this process. */
static inline int wl_pool_threads(const char *name)
{
    long m, v;
    switch (wl_pool_kind_of(name)) {
    case WL_POOL_RSS:
        return 1;
    case WL_POOL_IDLE:
        return (int)wl_max_opt(bench_opt.idle_threads, bench_opt.nidle) + 1;
    case WL_POOL_SHAPED:
    case WL_POOL_NPOOLS:
        return 2;
    case WL_POOL_SIZED:
    default:
        m = wl_max_opt(bench_opt.threads, bench_opt.nthreads);
        v = 2 * wl_max_opt(bench_opt.pairs, bench_opt.npairs);
        m = v > m ? v : m;
        m = m > 4 ? m : 4; /* xmalloc */
        v = 1 + WL_CHURN_THREADS;
        return (int)(v > m ? v : m);
    }
}

/* ------------------------------------------------------------- register */

/* The memory workloads, rss and idle: each meant for a fresh process. */
static void wl_register_rss(const char *label)
{
#ifndef WL_FAST_PATH_ONLY
    char name[128];
    snprintf(name, sizeof name, "rss/%s", label);
    cbench *b = cbench_register(name, wl_rss, NULL);
    cbench_unit_us(cbench_fixed_iterations(cbench_arg(b, WL_RSS_SIZE), 1));
    snprintf(name, sizeof name, "idle/%s", label);
    b = cbench_unit_us(cbench_fixed_iterations(
        cbench_register(name, wl_idle, NULL), 1));
    for (int i = 0; i < bench_opt.nidle; i++)
        cbench_arg(b, bench_opt.idle_threads[i]);
#else
    (void)label;
#endif
}

/* Register b at each of sizes[0..n) that --sizes has. */
static void wl_args_sized(cbench *b, const int64_t *sizes, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (wl_has_size(sizes[i]))
            cbench_arg(b, sizes[i]);
}

/* Register b at each of --threads' counts (a WL_FAST_PATH_ONLY backend:
 * up to 2, unless every is set). */
static void wl_threads_list_of(cbench *b, int every)
{
    for (int i = 0; i < bench_opt.nthreads; i++)
#ifdef WL_FAST_PATH_ONLY
        if (every || bench_opt.threads[i] <= 2)
#endif
            cbench_threads(b, (int)bench_opt.threads[i]);
    (void)every;
}

static void wl_threads_list(cbench *b)
{
    wl_threads_list_of(b, 0);
}

static void wl_register(const char *label)
{
    char name[128];
    cbench *b;

    /* --rss_only: the memory workloads alone, and no pool made beforehand
     * (a backend whose pools take their memory when made, dpdk, would
     * have them counted in the RSS it reports). */
    if (bench_opt.rss_only) {
        wl_register_rss(label);
        return;
    }
    for (int i = 0; i < bench_opt.nsizes; i++) {
        snprintf(wl_sized_name[i], sizeof wl_sized_name[i], "bench-%lld",
                 (long long)bench_opt.sizes[i]);
        wl_sized[i] = bk_new(wl_sized_name[i], (size_t)bench_opt.sizes[i]);
    }
    for (int i = 0; i < BENCH_MANY_POOLS; i++)
        wl_many[i] = bk_new(bench_many_pools[i].name, bench_many_pools[i].size);
    for (int i = 0; i < GF_NPOOLS; i++)
        wl_gf[i] = bk_new(bench_gf_pools[i].name, bench_gf_pools[i].size);
#ifndef BK_HAVE_UNFIT
    /* (With bk_unfit, the cases on such a pool are skipped instead.) */
    for (int i = 0; i < bench_opt.nsizes; i++)
        if (!wl_sized[i]) {
            fprintf(stderr, "%s: cannot create a pool of %lld bytes\n",
                    label, (long long)bench_opt.sizes[i]);
            exit(2);
        }
#endif

    snprintf(name, sizeof name, "pair/%s", label);
    b = cbench_register(name, wl_pair, NULL);
    for (int i = 0; i < bench_opt.nsizes; i++)
        cbench_arg(b, bench_opt.sizes[i]);

    snprintf(name, sizeof name, "batch/%s", label);
    b = cbench_real_time(cbench_register(name, wl_batch, NULL));
    for (int i = 0; i < bench_opt.nsizes; i++)
        cbench_arg(b, bench_opt.sizes[i]);
    wl_threads_list(b);

#ifndef WL_FAST_PATH_ONLY

    snprintf(name, sizeof name, "prodcons/%s", label);
    b = cbench_real_time(cbench_register(name, wl_prodcons, NULL));
    for (int i = 0; i < bench_opt.nsizes; i++)
        cbench_arg(b, bench_opt.sizes[i]);
    for (int i = 0; i < bench_opt.npairs; i++)
        cbench_threads(b, 2 * (int)bench_opt.pairs[i]);

    /* The same with the consumer reading each object, one pair; pcread
     * and the mimalloc-bench-style workloads run at 64 and 512 B (each
     * only where --sizes has it). */
    static const int64_t two_sizes[] = { 64, 512 };
    const unsigned n2 = sizeof two_sizes / sizeof *two_sizes;
    snprintf(name, sizeof name, "pcread/%s", label);
    b = cbench_real_time(cbench_register(name, wl_prodcons, (void *)1));
    wl_args_sized(b, two_sizes, n2);
    cbench_threads(b, 2);

    snprintf(name, sizeof name, "gfmix/%s", label);
    cbench_threads(cbench_real_time(cbench_register(name, wl_gfmix, NULL)), 2);

    snprintf(name, sizeof name, "manypools/%s", label);
    b = cbench_real_time(cbench_register(name, wl_manypools, NULL));
    cbench_threads(cbench_threads(b, 1), 2);

    snprintf(name, sizeof name, "xmalloc/%s", label);
    b = cbench_real_time(cbench_register(name, wl_xmalloc, NULL));
    wl_args_sized(b, two_sizes, n2);
    cbench_threads(cbench_threads(b, 2), 4);

#endif
    static const int64_t lc_sizes[] = { 64, 2048 };
    snprintf(name, sizeof name, "larson/%s", label);
    b = cbench_real_time(cbench_register(name, wl_larson, NULL));
    wl_args_sized(b, lc_sizes, sizeof lc_sizes / sizeof *lc_sizes);
    wl_threads_list_of(b, 1);

#ifndef WL_FAST_PATH_ONLY
    snprintf(name, sizeof name, "churn/%s", label);
    b = cbench_real_time(cbench_register(name, wl_churn, NULL));
    wl_args_sized(b, two_sizes, n2);

    wl_register_rss(label);
#else
    /* Not registered for this backend (see the top of this file). */
    (void)wl_prodcons;
    (void)wl_gfmix;
    (void)wl_manypools;
    (void)wl_rss;
    (void)wl_idle;
    (void)wl_xmalloc;
    (void)wl_churn;
#endif
}

/* After every backend's other cases (bench.h). */
static void wl_register_late(const char *label)
{
#ifndef WL_FAST_PATH_ONLY
    char name[128];
    if (bench_opt.rss_only)
        return;
    snprintf(name, sizeof name, "npools/%s", label);
    cbench *b = cbench_real_time(cbench_register(name, wl_npools, NULL));
    for (int i = 0; i < WL_NP_NCOUNTS; i++)
        cbench_arg(b, wl_np_counts[i]);
    for (int t = 1; t <= WL_NP_THREADS; t++)
        cbench_threads(b, t);
#else
    (void)label;
    (void)wl_npools;
#endif
}

static const struct bench_backend wl_backend = {
    .label = bk_label,
    .init = bk_init,
    .register_all = wl_register,
    .register_late = wl_register_late,
};

__attribute__((constructor)) static void wl_add_backend(void)
{
    bench_add_backend(&wl_backend);
}

#endif /* PERF_WORKLOADS_H */
