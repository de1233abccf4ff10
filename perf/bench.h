/*
 * bench.h - what the benchmark programs (bench_magpool, bench_malloc,
 * bench_glusterfs) share: the backend registry, the command-line
 * options of the workloads, the SPSC ring of the cross-thread workloads,
 * the GlusterFS-shaped pool tables, and RSS sampling.
 *
 * A backend is one bk_*.c file: it defines the bk_* adapter functions
 * over one allocator and then includes workloads.h, which instantiates
 * every workload for it and adds it to the registry from a constructor.
 * Only main() (bench_main.c) registers the workloads, after the options
 * are parsed, so that the sizes and thread counts come from them.
 *
 * Synchronization: the registry and bench_opt are written before any
 * benchmark runs (constructors, then main) and read-only afterwards.
 * A ring has exactly one producer and one consumer thread.
 */
#ifndef PERF_BENCH_H
#define PERF_BENCH_H

#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "cbench.h"

/* ------------------------------------------------------------- options */

#define BENCH_MAX_LIST 16
#define BENCH_MAX_IDLE 4096 /* the most threads of the "idle" workload */

struct bench_opts {
    int64_t sizes[BENCH_MAX_LIST];   /* object sizes (bytes) */
    int nsizes;
    int64_t threads[BENCH_MAX_LIST]; /* of "batch" and "larson" */
    int nthreads;
    int64_t pairs[BENCH_MAX_LIST];   /* producer/consumer pair counts */
    int npairs;
    long rss_objects;        /* objects held by the rss workload */
    double rss_seconds;      /* length of the RSS timeline after put-back */
    double rss_interval;     /* seconds between RSS samples */
    const char *rss_out;     /* timeline file ("%s": backend label) */
    int rss_only;            /* --rss_only: the memory workloads alone */
    int64_t idle_threads[BENCH_MAX_LIST]; /* thread counts of "idle" */
    int nidle;
    double idle_wait;        /* seconds from the last touch to the sample */
    int force_s;             /* --force_s: speculative store bypass off */
};
extern struct bench_opts bench_opt;

/* ------------------------------------------------------------ registry */

struct bench_backend {
    const char *(*label)(void); /* name in benchmark names and reports */
    void (*init)(void);         /* process set-up of the allocator */
    void (*register_all)(const char *label);
    /* Called after every backend's register_all: what it registers runs
     * after every other case of the process (google-benchmark runs them
     * in registration order). */
    void (*register_late)(const char *label);
};
void bench_add_backend(const struct bench_backend *b);

/* ------------------------------------------------- GlusterFS's shapes */

/* One pool of the "many pools" set: a size and its share of the gets. */
struct bench_pool_shape {
    const char *name;
    unsigned size;
    unsigned weight;
};
#define BENCH_MANY_POOLS 24
extern const struct bench_pool_shape bench_many_pools[BENCH_MANY_POOLS];
/* Pool indexes drawn with those weights (deterministic). */
#define BENCH_MANY_SEQ 4096
extern uint8_t bench_many_seq[BENCH_MANY_SEQ];

/* The pools one file operation draws from, in the order it gets them. */
enum { GF_FRAME, GF_STACK, GF_DICT, GF_DATA, GF_RPCREQ, GF_NPOOLS };
extern const struct bench_pool_shape bench_gf_pools[GF_NPOOLS];
#define BENCH_GF_GETS 10
extern const uint8_t bench_gf_fop[BENCH_GF_GETS];

/* ---------------------------------------------------------------- ring */

/* Single-producer single-consumer ring of pointers.  head and tail only
 * grow, so a ring left empty by one run is valid for the next run's new
 * threads (thread creation orders their accesses) without a reset.
 * Both sides move whole runs of slots and publish once per run: a
 * hand-off of one object per cache-line round trip would measure the
 * ring, not the allocators. */
#define BENCH_RING 1024
struct bench_ring {
    _Alignas(64) _Atomic uint64_t head; /* written by the producer only */
    _Alignas(64) _Atomic uint64_t tail; /* written by the consumer only */
    _Alignas(64) void *slot[BENCH_RING];
};

/* Waiting yields at once: there are more threads than cores (2) in most
 * runs, and spinning would only burn the time slice the peer needs. */
static inline void bench_ring_push(struct bench_ring *r, void *const *objs,
                                   int n)
{
    uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    while (n > 0) {
        /* acquire: the consumer read those slots before freeing them */
        uint64_t room = BENCH_RING - (h - atomic_load_explicit(
                                              &r->tail, memory_order_acquire));
        if (!room) {
            sched_yield();
            continue;
        }
        int k = room < (uint64_t)n ? (int)room : n;
        for (int i = 0; i < k; i++)
            r->slot[(h + i) % BENCH_RING] = objs[i];
        h += k;
        objs += k;
        n -= k;
        /* release: publishes the slots (and the objects' contents) */
        atomic_store_explicit(&r->head, h, memory_order_release);
    }
}

/* Take exactly n objects, waiting for them. */
static inline void bench_ring_pop(struct bench_ring *r, void **objs, int n)
{
    uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    while (n > 0) {
        /* acquire: pairs with the producer's release of head */
        uint64_t avail =
            atomic_load_explicit(&r->head, memory_order_acquire) - t;
        if (!avail) {
            sched_yield();
            continue;
        }
        int k = avail < (uint64_t)n ? (int)avail : n;
        for (int i = 0; i < k; i++)
            objs[i] = r->slot[(t + i) % BENCH_RING];
        t += k;
        objs += k;
        n -= k;
        atomic_store_explicit(&r->tail, t, memory_order_release);
    }
}

/* --------------------------------------------------------- wall clock */

/* google-benchmark times each thread from the moment it gets a CPU after
 * the start barrier, so with more threads than cores its rates count
 * waiting threads as idle time that never happened.  A run's wall clock
 * is from the first thread's start to the last thread's end instead:
 * each thread marks its own slot (begin once, end after every step);
 * after the loop, which ends on google-benchmark's closing barrier,
 * every slot of the run is final and any thread may read them all. */
#define BENCH_MAX_THREADS 64
struct bench_wall {
    double begin[BENCH_MAX_THREADS];
    double end[BENCH_MAX_THREADS];
};
void bench_wall_begin(struct bench_wall *w, const cbench_state *st);
void bench_wall_end(struct bench_wall *w, const cbench_state *st);
/* Report items_total / wall seconds as the counter "rate" (each thread
 * calls it with the run's total; the counter is averaged over threads). */
void bench_wall_report(struct bench_wall *w, cbench_state *st,
                       double items_total);

/* ------------------------------------------------------------- memory */

/* Resident set now (bytes), from /proc/self/statm. */
long bench_rss_now(void);
/* Peak resident set (VmHWM, bytes), from /proc/self/status. */
long bench_rss_peak(void);
/* Anonymous memory that no allocator under test sees (mmap). */
void *bench_map(size_t bytes);
void bench_unmap(void *p, size_t bytes);
/* Seconds on the monotonic clock. */
double bench_now(void);
/* CPUs online (sysconf), read once. */
int bench_ncpus(void);
void bench_sleep_until(double t);

#endif /* PERF_BENCH_H */
