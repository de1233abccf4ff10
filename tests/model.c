/*
 * model.c - model-based randomized test of magpool's public API.
 *
 * A driver draws random operations - create, destroy, get, get0, put
 * (magpool_put, or magpool_put_to told the object's pool, no pool or
 * another one: all must do the same), put of NULL, foreign and double
 * puts, thread start and exit, thread
 * flush, trim, statistics, sweeper start/stop, init/fini, fork and
 * concurrent bursts - and runs each on one of several worker threads,
 * checking every result against a reference model of who holds which
 * object:
 *   - no object is ever held by two owners (a set of held pointers);
 *   - an object's contents survive while it is held (stamped at get,
 *     checked at put), and get0 returns zeros;
 *   - every pool's `active` count equals the model's, whenever no
 *     operation runs (and a double put counts exactly one);
 *   - errno is as documented (EINVAL for a NULL pool).
 * Operations run one at a time, so a run without bursts and without the
 * sweeper replays exactly from its seed; bursts run all workers at once
 * (cross-thread puts through a shared box, statistics read meanwhile)
 * and check ownership through the same set under a lock.
 *
 * Usage: model [--seed N] [--seconds S] [--steps N] [--no-fork]
 *              [--no-burst] [--passthrough]
 * Prints the seed first; a failure prints the step and exits 1.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "magpool.h"

#define NPOOLS 6
#define NWORKERS 4
#define MAXHELD 6000
#define SETSIZE (1u << 15) /* power of two, > 2 * MAXHELD */

static const size_t sizes[] = { 1, 8, 24, 64, 100, 512, 2000, 9000 };

/* ------------------------------------------------------------------ */
/* Random numbers and failure reports                                  */
/* ------------------------------------------------------------------ */

static uint64_t rng_state;
static unsigned long step;
static unsigned long seed;
static const char *op_name = "start";

static uint64_t rnd(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static unsigned below(unsigned n) { return (unsigned)(rnd() % n); }

static bool tracing;
static void trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void trace(const char *fmt, ...)
{
    if (!tracing)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "model: %lu %s: ", step, op_name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "model: FAILED at step %lu (%s), seed %lu, pid %d: ",
            step, op_name, seed, (int)getpid());
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nmodel: replay with: tests/model --seed %lu\n", seed);
    _exit(1);
}

/* ------------------------------------------------------------------ */
/* The model                                                           */
/* ------------------------------------------------------------------ */

struct mpool {
    struct magpool *h;      /* NULL: slot unused */
    size_t size;
    bool destroyed;         /* destroyed with objects still held */
    long held;              /* objects the model holds */
    int64_t lost;           /* fork child: cached or held by the parent's
                               other threads, counted as active
                               (magpool(7)) */
    uint64_t double_puts;   /* expected count */
};

struct held {
    void *p;
    int pool;
    uint64_t serial;
};

static struct mpool pools[NPOOLS];
static struct held held[MAXHELD];
static int nheld;
static uint64_t serials;

/* Set of held pointers: open addressing, tombstones, under own_lock
 * (only bursts run concurrently). */
static void *set[SETSIZE];
#define TOMB ((void *)1)
static pthread_mutex_t own_lock = PTHREAD_MUTEX_INITIALIZER;

static unsigned slot_of(void *p)
{
    return (unsigned)(((uintptr_t)p >> 4) * 0x9e3779b97f4a7c15ull >> 49) &
           (SETSIZE - 1);
}

/* Take ownership of p: false if someone holds it already. */
static bool own(void *p)
{
    pthread_mutex_lock(&own_lock);
    unsigned i = slot_of(p), tomb = SETSIZE;
    for (;; i = (i + 1) & (SETSIZE - 1)) {
        if (set[i] == p) {
            pthread_mutex_unlock(&own_lock);
            return false;
        }
        if (set[i] == TOMB && tomb == SETSIZE)
            tomb = i;
        if (!set[i])
            break;
    }
    set[tomb != SETSIZE ? tomb : i] = p;
    pthread_mutex_unlock(&own_lock);
    return true;
}

static void disown(void *p)
{
    pthread_mutex_lock(&own_lock);
    for (unsigned i = slot_of(p);; i = (i + 1) & (SETSIZE - 1)) {
        if (set[i] == p) {
            set[i] = TOMB;
            break;
        }
        if (!set[i]) {
            pthread_mutex_unlock(&own_lock);
            fail("put of %p, which the model does not hold", p);
        }
    }
    pthread_mutex_unlock(&own_lock);
}

static void stamp(void *p, size_t size, uint64_t serial)
{
    unsigned char *c = p;
    size_t n = size < 64 ? size : 64;
    for (size_t i = 0; i < n; i++)
        c[i] = (unsigned char)(serial >> (8 * (i % 8)));
    c[size - 1] = (unsigned char)(serial * 31);
}

static bool stamp_ok(const void *p, size_t size, uint64_t serial)
{
    const unsigned char *c = p;
    size_t n = size < 64 ? size : 64;
    for (size_t i = 0; i + 1 < n; i++)
        if (c[i] != (unsigned char)(serial >> (8 * (i % 8))))
            return false;
    return c[size - 1] == (unsigned char)(serial * 31);
}

/* ------------------------------------------------------------------ */
/* Workers: threads that run one command at a time for the driver      */
/* ------------------------------------------------------------------ */

struct worker {
    pthread_t t;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    void (*fn)(struct worker *, void *);
    void *arg;
    bool busy, quit, alive;
    int id;
};

static struct worker workers[NWORKERS];
static bool opt_fork = true, opt_burst = true, opt_passthrough;
static bool sweeper_on;
static int init_count;

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->busy)
            pthread_cond_wait(&w->cond, &w->lock);
        if (w->quit) {
            w->busy = false;
            pthread_cond_broadcast(&w->cond);
            pthread_mutex_unlock(&w->lock);
            return NULL;
        }
        pthread_mutex_unlock(&w->lock);
        w->fn(w, w->arg);
        pthread_mutex_lock(&w->lock);
        w->busy = false;
        pthread_cond_broadcast(&w->cond);
    }
}

static void worker_start(struct worker *w, int id)
{
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    w->busy = w->quit = false;
    w->id = id;
    if (pthread_create(&w->t, NULL, worker_main, w))
        fail("pthread_create: %s", strerror(errno));
    w->alive = true;
}

static void post(struct worker *w, void (*fn)(struct worker *, void *), void *arg)
{
    pthread_mutex_lock(&w->lock);
    w->fn = fn;
    w->arg = arg;
    w->busy = true;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

static void wait_done(struct worker *w)
{
    pthread_mutex_lock(&w->lock);
    while (w->busy)
        pthread_cond_wait(&w->cond, &w->lock);
    pthread_mutex_unlock(&w->lock);
}

static void run_on(struct worker *w, void (*fn)(struct worker *, void *), void *arg)
{
    post(w, fn, arg);
    wait_done(w);
}

static void worker_stop(struct worker *w)
{
    pthread_mutex_lock(&w->lock);
    w->quit = true;
    w->busy = true;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->t, NULL);
    w->alive = false;
}

/* ------------------------------------------------------------------ */
/* Commands                                                            */
/* ------------------------------------------------------------------ */

struct getcmd {
    int pool;
    bool zero;
    void *result;
    int err;
};

static void cmd_get(struct worker *w, void *arg)
{
    (void)w;
    struct getcmd *g = arg;
    errno = 0;
    struct magpool *h = g->pool < 0 ? NULL : pools[g->pool].h;
    g->result = g->zero ? magpool_get0(h) : magpool_get(h);
    g->err = errno;
}

static void cmd_nothing(struct worker *w, void *arg)
{
    (void)w;
    (void)arg;
}

static void cmd_put(struct worker *w, void *arg)
{
    (void)w;
    magpool_put(arg);
}

struct putcmd {
    struct magpool *pool;
    void *p;
};

static void cmd_put_to(struct worker *w, void *arg)
{
    (void)w;
    struct putcmd *c = arg;
    magpool_put_to(c->pool, c->p);
}

static void cmd_flush(struct worker *w, void *arg)
{
    (void)w;
    (void)arg;
    magpool_thread_flush();
}

static struct worker *any_worker(void) { return &workers[below(NWORKERS)]; }

static int live_pool(void)
{
    int cand[NPOOLS], n = 0;
    for (int i = 0; i < NPOOLS; i++)
        if (pools[i].h && !pools[i].destroyed)
            cand[n++] = i;
    return n ? cand[below((unsigned)n)] : -1;
}

/* Put p on worker w through either entry point: magpool_put, or
 * magpool_put_to told p's own pool (own >= 0; a pool is never released
 * while an object of it is out), no pool, or another live pool. */
static void put_on(struct worker *w, void *p, int own)
{
    unsigned r = (unsigned)below(4);
    if (r == 0) {
        run_on(w, cmd_put, p);
        return;
    }
    struct putcmd c = { NULL, p };
    if (r == 1 && own >= 0) {
        c.pool = pools[own].h;
    } else if (r == 2) {
        int i = live_pool();
        c.pool = i >= 0 ? pools[i].h : NULL;
    }
    run_on(w, cmd_put_to, &c);
}

static void check_counts(void)
{
    for (int i = 0; i < NPOOLS; i++) {
        struct mpool *mp = &pools[i];
        if (!mp->h || mp->destroyed)
            continue;
        struct magpool_stats st;
        if (magpool_stats(mp->h, &st))
            fail("magpool_stats: %s", strerror(errno));
        if ((int64_t)st.active != mp->held + mp->lost)
            fail("pool %d: active %" PRIu64 ", model holds %ld (+%" PRId64
                 " lost at fork); in threads %" PRIu64 ", depot %" PRIu64
                 ", slab %" PRIu64 ", chunks %" PRIu64, i, st.active,
                 mp->held, mp->lost, st.in_threads, st.in_depot, st.in_slab,
                 st.chunks);
        if (st.double_puts != mp->double_puts)
            fail("pool %d: %" PRIu64 " double puts, model %" PRIu64, i,
                 st.double_puts, mp->double_puts);
        if (st.obj_size != mp->size)
            fail("pool %d: obj_size %zu, want %zu", i, st.obj_size, mp->size);
    }
}

static void op_create(void)
{
    int i;
    for (i = 0; i < NPOOLS && pools[i].h; i++)
        ;
    if (i == NPOOLS)
        return;
    struct magpool_options o = { 0 };
    if (below(3) == 0) /* small magazines: slow paths all the time */
        o.mag_capacity = below(2) ? 4 + below(4) : 8 + below(56);
    if (below(4) == 0)
        o.depot_max = 1 + below(4);
    if (below(4) == 0)
        o.flags = MAGPOOL_F_NOSWEEP;
    size_t size = sizes[below(sizeof(sizes) / sizeof(sizes[0]))];
    pools[i] = (struct mpool){ .size = size };
    bool with = below(2);
    pools[i].h = magpool_create("model", size, with ? &o : NULL);
    trace("slot %d: %zu bytes, mag %u depot %u flags %u", i, size,
          with ? o.mag_capacity : 0, with ? o.depot_max : 0, with ? o.flags : 0);
    if (!pools[i].h)
        fail("magpool_create(%zu): %s", size, strerror(errno));
}

static void forget_pool_if_empty(int i)
{
    if (pools[i].destroyed && pools[i].held == 0)
        pools[i] = (struct mpool){ 0 };
}

static void *last_put;      /* may be put again (a double put) */
static int last_put_pool = -1;

static void op_destroy(void)
{
    int i = live_pool();
    if (i < 0)
        return;
    magpool_destroy(pools[i].h);
    pools[i].destroyed = true;
    /* Its memory may go back and be reused by the next pool: a put of a
     * stale pointer into reused memory is not detectable (magpool(3)). */
    if (last_put_pool == i)
        last_put = NULL;
    forget_pool_if_empty(i);
}

static uint64_t last_put_unmaps; /* the pool's chunk_unmaps after it */

static uint64_t unmaps_of(int i)
{
    struct magpool_stats st;
    if (!pools[i].h || pools[i].destroyed || magpool_stats(pools[i].h, &st))
        return 0;
    return st.chunk_unmaps;
}

static void op_get(bool zero)
{
    int i = live_pool();
    if (i < 0 || nheld == MAXHELD)
        return;
    struct getcmd g = { .pool = i, .zero = zero };
    run_on(any_worker(), cmd_get, &g);
    if (!g.result)
        fail("get from pool %d (%zu bytes): NULL, %s", i, pools[i].size,
             strerror(g.err));
    if ((uintptr_t)g.result % 16)
        fail("object %p is not 16-byte aligned", g.result);
    if (!own(g.result))
        fail("object %p handed out while the model holds it", g.result);
    if (zero)
        for (size_t k = 0; k < pools[i].size; k++)
            if (((unsigned char *)g.result)[k])
                fail("get0 object %p not zero at byte %zu", g.result, k);
    if (g.result == last_put)
        last_put = NULL; /* handed out again: a put now is no double put */
    uint64_t serial = ++serials;
    stamp(g.result, pools[i].size, serial);
    held[nheld++] = (struct held){ g.result, i, serial };
    pools[i].held++;
    trace("pool %d -> %p", i, g.result);
}

static void op_put(void)
{
    if (!nheld)
        return;
    int k = (int)below((unsigned)nheld);
    struct held h = held[k];
    held[k] = held[--nheld];
    if (!stamp_ok(h.p, pools[h.pool].size, h.serial))
        fail("object %p of pool %d changed while held", h.p, h.pool);
    disown(h.p);
    struct worker *w = any_worker();
    put_on(w, h.p, h.pool);
    trace("%p (pool %d) on worker %d", h.p, h.pool, w->id);
    pools[h.pool].held--;
    /* A put into a destroyed pool may free it and its memory: a second
     * put of that pointer would be a put into reused memory. */
    last_put = pools[h.pool].destroyed ? NULL : h.p;
    last_put_pool = h.pool;
    last_put_unmaps = unmaps_of(h.pool);
    forget_pool_if_empty(h.pool);
}

static void op_double_put(void)
{
    /* Only right after the put and with no sweeper: otherwise the
     * object's memory may have gone back to the kernel and been reused,
     * where no allocator can tell a stale pointer from a live one
     * (magpool(3)).  Passthrough memory goes back to malloc at once. */
    if (!last_put || sweeper_on || opt_passthrough)
        return;
    int i = last_put_pool;
    void *p = last_put;
    bool live = pools[i].h && !pools[i].destroyed;
    struct worker *w = any_worker();
    put_on(w, p, live ? i : -1);
    trace("%p (pool %d) on worker %d", p, i, w->id);
    last_put = NULL;
    if (!live)
        return;
    struct magpool_stats st;
    if (magpool_stats(pools[i].h, &st))
        fail("magpool_stats: %s", strerror(errno));
    if (st.double_puts == pools[i].double_puts + 1)
        pools[i].double_puts++;
    else if (st.double_puts != pools[i].double_puts ||
             st.chunk_unmaps == last_put_unmaps)
        /* Not counted is right only if the object's chunk went back to
         * the kernel since the put (a depot limit or a thread exit can
         * send it there): then the put is ignored as foreign. */
        fail("double put of %p (pool %d): %" PRIu64 " double puts, model %"
             PRIu64, p, i, st.double_puts, pools[i].double_puts);
}

static void op_foreign_put(void)
{
    static char page_buf[8192] __attribute__((aligned(4096)));
    char stack[64];
    memset(stack, 0x5a, sizeof(stack));
    char *heap = malloc(80);
    if (!heap)
        return;
    memset(heap, (int)below(256), 80);
    void *cands[] = { heap + 16, stack + 16, page_buf + 4096 + below(8),
                      page_buf + 64 + below(16), NULL };
    put_on(any_worker(), cands[below(5)], -1);
    free(heap);
}

static void op_get_null_pool(void)
{
    struct getcmd g = { .pool = -1, .zero = below(2) };
    run_on(any_worker(), cmd_get, &g);
    if (g.result || g.err != EINVAL)
        fail("get(NULL): %p, errno %d", g.result, g.err);
}

static void op_thread_exit(void)
{
    int k = (int)below(NWORKERS);
    trace("worker %d", k);
    worker_stop(&workers[k]);
    worker_start(&workers[k], k);
}

static void op_trim(void)
{
    int i = live_pool();
    (void)magpool_trim(below(3) == 0 || i < 0 ? NULL : pools[i].h);
    last_put = NULL; /* its chunk may have gone back */
}

static void op_sweeper(void)
{
    if (sweeper_on) {
        magpool_sweeper_stop();
        sweeper_on = false;
    } else {
        if (magpool_sweeper_start(1 + below(20)))
            fail("magpool_sweeper_start: %s", strerror(errno));
        sweeper_on = true;
        last_put = NULL;
    }
}

static void op_init_fini(void)
{
    if (init_count && below(2)) {
        magpool_fini();
        init_count--;
    } else if (init_count < 3) {
        if (magpool_init())
            fail("magpool_init: %s", strerror(errno));
        init_count++;
    }
    /* The sweeper may now be running or not: stop tracking it exactly. */
    magpool_sweeper_stop();
    sweeper_on = false;
}

/* ---- bursts: every worker at once ---- */

#define BOX 64
static void *box[BOX];
static int box_pool[BOX];
static uint64_t box_serial[BOX];
static int nbox;
static pthread_mutex_t box_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int burst_failed;

struct burst {
    unsigned seed;
    struct held mine[256];
    int n;
};

static void cmd_burst(struct worker *w, void *arg)
{
    (void)w;
    struct burst *b = arg;
    unsigned s = b->seed;
    for (int it = 0; it < 400; it++) {
        s = s * 1103515245u + 12345u;
        unsigned r = s >> 8;
        int i = (int)(r % NPOOLS);
        if (b->n < 256 && (r & 3) == 0 && pools[i].h && !pools[i].destroyed) {
            void *o = magpool_get(pools[i].h);
            if (!o || !own(o)) {
                atomic_store(&burst_failed, o ? 2 : 1);
                return;
            }
            uint64_t serial = __atomic_add_fetch(&serials, 1, __ATOMIC_RELAXED);
            stamp(o, pools[i].size, serial);
            b->mine[b->n++] = (struct held){ o, i, serial };
        } else if (b->n && (r & 3) == 1) {
            /* Hand one to whoever takes it from the box. */
            pthread_mutex_lock(&box_lock);
            if (nbox < BOX) {
                struct held h = b->mine[--b->n];
                box[nbox] = h.p;
                box_pool[nbox] = h.pool;
                box_serial[nbox++] = h.serial;
            }
            pthread_mutex_unlock(&box_lock);
        } else if ((r & 3) == 2) {
            struct held h = { 0 };
            pthread_mutex_lock(&box_lock);
            if (nbox && b->n < 256) {
                nbox--;
                h = (struct held){ box[nbox], box_pool[nbox], box_serial[nbox] };
                b->mine[b->n++] = h;
            }
            pthread_mutex_unlock(&box_lock);
        } else if (b->n) {
            struct held h = b->mine[--b->n];
            if (!stamp_ok(h.p, pools[h.pool].size, h.serial)) {
                atomic_store(&burst_failed, 3);
                return;
            }
            disown(h.p);
            if (r & 4) /* the object's own pool: alive while it is out */
                magpool_put_to(pools[h.pool].h, h.p);
            else
                magpool_put(h.p);
        }
    }
}

static struct burst bursts[NWORKERS];

static bool burst_post(void)
{
    if (nheld + NWORKERS * 256 + BOX > MAXHELD)
        return false;
    for (int k = 0; k < NWORKERS; k++) {
        bursts[k].seed = (unsigned)rnd();
        bursts[k].n = 0;
        post(&workers[k], cmd_burst, &bursts[k]);
    }
    return true;
}

static void recount(void)
{
    for (int i = 0; i < NPOOLS; i++)
        if (pools[i].h)
            pools[i].held = 0;
    for (int j = 0; j < nheld; j++)
        pools[held[j].pool].held++;
}

static void burst_collect(void)
{
    for (int k = 0; k < NWORKERS; k++)
        wait_done(&workers[k]);
    if (atomic_load(&burst_failed))
        fail("burst: %s", atomic_load(&burst_failed) == 1 ? "get returned NULL"
                          : atomic_load(&burst_failed) == 2
                              ? "object handed to two owners"
                              : "object changed while held");
    /* What the workers and the box still hold joins the model. */
    for (int k = 0; k < NWORKERS; k++)
        for (int j = 0; j < bursts[k].n; j++)
            held[nheld++] = bursts[k].mine[j];
    for (int j = 0; j < nbox; j++)
        held[nheld++] = (struct held){ box[j], box_pool[j], box_serial[j] };
    nbox = 0;
    recount();
    last_put = NULL;
}

static void op_burst(void)
{
    if (!burst_post())
        return;
    /* Statistics read while the workers run (exactness not expected). */
    for (int i = 0; i < NPOOLS; i++) {
        struct magpool_stats st;
        if (pools[i].h && !pools[i].destroyed)
            magpool_stats(pools[i].h, &st);
    }
    burst_collect();
}

/* ---- fork ---- */

static void run_steps(unsigned long steps, double seconds, bool child);

/* In the child: only this thread survives.  Objects the model holds
 * now belong to this driver; what the parent's workers held or cached
 * (a burst may have been running) is lost to the child and counted as
 * active there, which the model records per pool. */
static void child_takes_over(void)
{
    alarm(60); /* a child that spins or deadlocks fails */
    pthread_mutex_init(&own_lock, NULL);
    pthread_mutex_init(&box_lock, NULL);
    nbox = 0;
    atomic_store(&burst_failed, 0);
    memset(set, 0, sizeof(set));
    for (int j = 0; j < nheld; j++)
        own(held[j].p);
    recount();
    for (int k = 0; k < NWORKERS; k++)
        worker_start(&workers[k], k);
    sweeper_on = false; /* it restarts if it ran; the model forgets */
    magpool_sweeper_stop();
    last_put = NULL;
    for (int i = 0; i < NPOOLS; i++) {
        struct magpool_stats st;
        if (!pools[i].h || pools[i].destroyed)
            continue;
        if (magpool_stats(pools[i].h, &st))
            fail("magpool_stats: %s", strerror(errno));
        pools[i].lost = (int64_t)st.active - pools[i].held;
    }
}

static void op_fork(bool busy)
{
    if (!opt_fork || (busy && !opt_burst))
        return;
#if defined(__SANITIZE_ADDRESS__)
    /* gcc 12's ASan deadlocks a child forked while another thread is in
     * malloc (tests/testutil.h): fork only with every thread idle.  The
     * sweeper may also have been started by magpool_init (op_init_fini),
     * and a worker just restarted (op_thread_exit) may still be inside
     * ASan's thread start-up: stop the one, and have every worker run a
     * command, so that each is back waiting for the next. */
    if (busy)
        return;
    magpool_sweeper_stop();
    sweeper_on = false;
    for (int k = 0; k < NWORKERS; k++)
        run_on(&workers[k], cmd_nothing, NULL);
#endif
    uint64_t child_seed = rnd();
    fflush(NULL);
    /* Busy: the workers are inside bursts, most likely in slow paths. */
    bool bursting = busy && burst_post();
    if (bursting)
        for (volatile unsigned spin = below(20000); spin; spin--)
            ;
    pid_t pid = fork();
    if (pid < 0)
        fail("fork: %s", strerror(errno));
    if (pid == 0) {
        rng_state = child_seed;
        child_takes_over();
        run_steps(300, 0, true);
        check_counts();
        _exit(0);
    }
    if (bursting)
        burst_collect();
    int status;
    if (waitpid(pid, &status, 0) != pid)
        fail("waitpid: %s", strerror(errno));
    if (!WIFEXITED(status) || WEXITSTATUS(status))
        fail("child %d failed (status %#x)", (int)pid, status);
}

/* ------------------------------------------------------------------ */

static void one_step(bool child)
{
    unsigned r = below(1000);
    if (tracing && r >= 660 && r < 900)
        fprintf(stderr, "model: %lu op %u\n", step, r);
    if (r < 300) {
        op_name = "get";
        op_get(false);
    } else if (r < 360) {
        op_name = "get0";
        op_get(true);
    } else if (r < 660) {
        op_name = "put";
        op_put();
    } else if (r < 700) {
        op_name = "double put";
        op_double_put();
    } else if (r < 730) {
        op_name = "foreign put";
        op_foreign_put();
    } else if (r < 740) {
        op_name = "get from NULL";
        op_get_null_pool();
    } else if (r < 760) {
        op_name = "create";
        op_create();
    } else if (r < 775) {
        op_name = "destroy";
        op_destroy();
    } else if (r < 800) {
        op_name = "thread exit";
        op_thread_exit();
    } else if (r < 820) {
        op_name = "thread flush";
        run_on(any_worker(), cmd_flush, NULL);
    } else if (r < 835) {
        op_name = "trim";
        op_trim();
    } else if (r < 850) {
        op_name = "sweeper";
        op_sweeper();
    } else if (r < 860) {
        op_name = "init/fini";
        op_init_fini();
    } else if (r < 900) {
        op_name = "stats";
        check_counts();
    } else if (r < 930) {
        if (opt_burst) {
            op_name = "burst";
            op_burst();
        }
    } else if (r < 932) {
        if (!child) {
            op_name = "fork";
            op_fork(false);
        }
    } else if (r < 942) {
        if (!child) {
            op_name = "fork while busy";
            op_fork(true);
        }
    } else {
        op_name = "put NULL";
        run_on(any_worker(), cmd_put, NULL);
    }
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run_steps(unsigned long steps, double seconds, bool child)
{
    double end = now() + seconds;
    for (unsigned long n = 0; steps ? n < steps : now() < end; n++) {
        step++;
        one_step(child);
    }
}

int main(int argc, char **argv)
{
    double seconds = 3;
    unsigned long steps = 0;
    seed = (unsigned long)time(NULL) ^ ((unsigned long)getpid() << 16);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoul(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = strtod(argv[++i], NULL);
        else if (!strcmp(argv[i], "--steps") && i + 1 < argc)
            steps = strtoul(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--no-fork"))
            opt_fork = false;
        else if (!strcmp(argv[i], "--no-burst"))
            opt_burst = false;
        else if (!strcmp(argv[i], "--passthrough"))
            opt_passthrough = true;
        else {
            fprintf(stderr, "usage: %s [--seed N] [--seconds S] [--steps N] "
                    "[--no-fork] [--no-burst] [--passthrough]\n", argv[0]);
            return 2;
        }
    }
    tracing = getenv("MAGPOOL_MODEL_TRACE") != NULL;
    const char *env = getenv("MAGPOOL_MODEL_SECONDS");
    if (env && *env)
        seconds = strtod(env, NULL);
#if defined(__SANITIZE_THREAD__)
    opt_fork = false; /* ThreadSanitizer does not support fork with threads */
#endif
    if (opt_passthrough)
        setenv("MAGPOOL_DISABLE", "1", 1);
    setenv("MAGPOOL_QUIET", "1", 1);
    printf("model: seed %lu%s%s%s, %s\n", seed, opt_fork ? "" : ", no fork",
           opt_burst ? "" : ", no bursts",
           opt_passthrough ? ", passthrough" : "",
           steps ? "fixed steps" : "timed");
    fflush(stdout);
    rng_state = seed;
    for (int k = 0; k < NWORKERS; k++)
        worker_start(&workers[k], k);
    run_steps(steps, seconds, false);

    /* Give everything back: every pool must end with nothing active. */
    op_name = "teardown";
    check_counts();
    while (nheld)
        op_put();
    check_counts();
    if (sweeper_on)
        magpool_sweeper_stop();
    while (init_count--)
        magpool_fini();
    for (int k = 0; k < NWORKERS; k++)
        worker_stop(&workers[k]);
    for (int i = 0; i < NPOOLS; i++)
        if (pools[i].h && !pools[i].destroyed)
            magpool_destroy(pools[i].h);
    magpool_thread_flush();
    printf("model: %lu steps, no defect found (seed %lu)\n", step, seed);
    return 0;
}
