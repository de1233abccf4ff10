/*
 * model_memory.c - the model's checks of memory bounds:
 *   - many short thread lifetimes, or many flush-get-put cycles on one
 *     thread, on a pool (with or without the sweeper, or MAGPOOL_F_NOSWEEP)
 *     leave the program's heap where it was, up to a few magazines: the
 *     memory magpool keeps is bounded by the live threads and the working
 *     set, not by how many threads lived or flushed; and the pool's
 *     magazine size (stats mag_capacity) does not grow from that traffic,
 *     which is not a busy pool's depot exchanges.  The heap is measured
 *     with mallinfo2().uordblks, every thread in one arena (M_ARENA_MAX 1);
 *     not under the sanitizers, whose allocators do not report it;
 *   - magpool_trim() returns the bytes that left the pools' resident
 *     memory (magpool_resident_bytes() before and after, nothing else
 *     running).
 */
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define HEAP_MEASURED 0
#else
#define HEAP_MEASURED 1
#endif

/* Thread lifetimes or flush cycles per check; with the sweeper running,
 * SWEEPER_TIMES as many (see SWEEPER_NODES). */
#define LIFETIMES 256
#define SWEEPER_TIMES 8
/* Heap growth allowed besides 4 magazines: glibc's own per-thread
 * bookkeeping and the model's. */
#define HEAP_SLACK (16u << 10)
/* And with the sweeper running: the depot nodes the sweeper thread
 * keeps.  It pushes idle threads' magazines to the model's other pools'
 * depots (a node each) and pops them again (the node waits for a grace
 * period), and keeps up to 1280 such 32-byte nodes (magpool(7), MEMORY
 * AN IDLE THREAD KEEPS), 48 bytes each in glibc's heap: a check under
 * heavy load saw 25424 bytes of them.  So that a magazine lost per
 * lifetime or flush (160 bytes and up, a node with it) still shows above
 * this, the sweeper's runs are SWEEPER_TIMES as long. */
#define SWEEPER_NODES (1280u * 64u)

void model_memory_init(void)
{
#if HEAP_MEASURED
    mallopt(M_ARENA_MAX, 1);
#endif
}

static size_t heap_used(void)
{
#if HEAP_MEASURED
    return mallinfo2().uordblks;
#else
    return 0;
#endif
}

struct traffic {
    struct magpool *pool;
    int n;      /* objects got and put each time */
    int rounds; /* flush cycles (flush_cycles only) */
    int failed;
};

static void get_put(struct traffic *t)
{
    void *objs[64];
    for (int k = 0; k < t->n; k++)
        if (!(objs[k] = magpool_get(t->pool))) {
            t->failed = errno ? errno : -1;
            return;
        }
    for (int k = 0; k < t->n; k++)
        magpool_put(objs[k]);
}

static void *one_lifetime(void *arg)
{
    get_put(arg);
    return NULL;
}

static void cmd_flush_cycles(struct worker *w, void *arg)
{
    (void)w;
    struct traffic *t = arg;
    for (int r = 0; r < t->rounds && !t->failed; r++) {
        get_put(t);
        magpool_thread_flush();
    }
}

struct before {
    size_t heap;
    unsigned cap;
};

static struct magpool *traffic_pool(struct traffic *t)
{
    static const size_t sizes[] = { 24, 64, 200, 512, 1500 };
    struct magpool_options o = { 0 };
    if (below(2))
        o.flags = MAGPOOL_F_NOSWEEP;
    t->pool = magpool_create("model-traffic", sizes[below(5)], &o);
    if (!t->pool)
        fail("magpool_create: %s", strerror(errno));
    struct magpool_stats st;
    magpool_stats(t->pool, &st);
    /* Fewer than half a magazine: no get or put of its own needs the
     * depot. */
    unsigned half = st.mag_capacity / 2;
    t->n = 1 + (int)below(half < 40 ? half : 40);
    return t->pool;
}

static struct before measure(struct magpool *p)
{
    struct magpool_stats st;
    if (magpool_stats(p, &st))
        fail("magpool_stats: %s", strerror(errno));
    return (struct before){ heap_used(), st.mag_capacity };
}

static void check_bounded(struct magpool *p, struct before b,
                          const char *what)
{
    struct before a = measure(p);
    size_t mag = 8 * (size_t)b.cap + 64;
    size_t allowed = 4 * mag + HEAP_SLACK + (sweeper_on ? SWEEPER_NODES : 0);
    if (HEAP_MEASURED && a.heap > b.heap + allowed)
        fail("%s: the heap grew by %zu bytes (pool \"model-traffic\", "
             "magazines of %u objects: %.1f magazines' worth)", what,
             a.heap - b.heap, b.cap, (double)(a.heap - b.heap) / (double)mag);
    if (a.cap > b.cap)
        fail("%s: the pool's magazines grew from %u to %u objects", what,
             b.cap, a.cap);
}

void op_thread_lifetimes(void)
{
    if (opt_passthrough || opt_debug)
        return;
    promise = "memory stays bounded by the live threads and the working "
              "set, whatever the number of thread lifetimes (with or "
              "without the sweeper), and exits do not grow magazines";
    struct traffic t = { 0 };
    struct magpool *p = traffic_pool(&t);
    for (int round = 0; round < 2; round++) {
        /* The first round settles glibc's stack and arena caches. */
        struct before b = measure(p);
        int lives = !round ? 16 : sweeper_on ? SWEEPER_TIMES * LIFETIMES
                                             : LIFETIMES;
        for (int k = 0; k < lives; k++) {
            pthread_t th;
            if (pthread_create(&th, NULL, one_lifetime, &t))
                fail("pthread_create: %s", strerror(errno));
            pthread_join(th, NULL);
            if (t.failed)
                fail("get: %s", strerror(t.failed));
        }
        if (round) {
            char what[64];
            snprintf(what, sizeof(what),
                     "after %d threads each got and put objects", lives);
            check_bounded(p, b, what);
        }
    }
    magpool_destroy(p);
}

void op_flush_cycles(void)
{
    if (opt_passthrough || opt_debug)
        return;
    promise = "memory stays bounded by the live threads and the working "
              "set, whatever the number of magpool_thread_flush() calls, and "
              "flushes do not grow magazines";
    struct traffic t = { .rounds = 16 };
    struct magpool *p = traffic_pool(&t);
    extern struct worker *model_any_worker(void);
    struct worker *w = model_any_worker();
    run_on(w, cmd_flush_cycles, &t);
    struct before b = measure(p);
    t.rounds = sweeper_on ? SWEEPER_TIMES * LIFETIMES : LIFETIMES;
    run_on(w, cmd_flush_cycles, &t);
    if (t.failed)
        fail("get: %s", strerror(t.failed));
    char what[64];
    snprintf(what, sizeof(what),
             "after %d flush, get and put cycles on one thread", t.rounds);
    check_bounded(p, b, what);
    magpool_destroy(p);
}

/* The pools' resident figure counts live chunks only; trim's counts what
 * left the process, so each of the `chunks` whole chunks it retired makes
 * the pools' figure fall by one page more: the retired chunk's first page,
 * which keeps its link in the retired list. */
void check_trim_return(size_t returned, uint64_t before, uint64_t after,
                       uint64_t chunks)
{
    uint64_t drop = before > after ? before - after : 0;
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    uint64_t want = returned + chunks * pg;
    if (want > drop + pg || drop > want + (64u << 10))
        fail("magpool_trim returned %zu bytes and retired %" PRIu64
             " chunks; the pools' resident memory fell by %" PRIu64
             " (from %" PRIu64 " to %" PRIu64 ")",
             returned, chunks, drop, before, after);
}
