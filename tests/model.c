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
 * Rarer operations reach corners of the promises, each named (--no NAME
 * leaves it out) and each failure naming the guarantee broken:
 *   dead-pool-race      two workers put the last two objects of a
 *                       destroyed pool at once (the pool is freed once);
 *   sweeper-race        magpool_sweeper_start and _stop from two workers
 *                       at once (both return);
 *   fork-during-init    fork() while a worker loops magpool_init/fini
 *                       (the child can init and fini);
 *   fork-while-swapping fork() while two workers cross magazine
 *                       boundaries all the time (in the child no object
 *                       is handed to two owners);
 *   mmap-fails          a new thread's first get with every mmap failing
 *                       (an object or ENOMEM, no abort; model_fault.c);
 *   retired-double-put  a double put after trim gave the object's whole
 *                       chunk back (ignored, no crash);
 *   foreach-stats       magpool_stats() inside magpool_foreach() (exact
 *                       counts, every live pool visited);
 *   recarve-double-put  a double put of an object whose page trim gave
 *                       back and a get carved again into a magazine
 *                       (counted);
 *   immediate-double-put  a put and at once the same put again (counted,
 *                       passthrough too);
 *   trim-return         magpool_trim() returns what left the pools'
 *                       resident memory (model_memory.c);
 *   depot-growth        hundreds of thread lifetimes, or of flush cycles,
 *                       on a pool: the heap and the magazine size stay
 *                       put (model_memory.c);
 *   urcu                the program uses liburcu itself: registered
 *                       workers, read-side sections, puts deferred with
 *                       call_rcu, synchronize_rcu (model_urcu.c);
 *   debug-after-put     --debug only: a write after put in a forked child
 *                       is reported (model_debug.c).
 * Foreign puts include pointers 1 to 7 bytes into a page after an
 * inaccessible one.  A watchdog fails a step that makes no progress for
 * --watchdog seconds (default 10; a hang), and a crash is reported with
 * the step and the guarantee being checked.
 *
 * Modes: --pooled (default), --passthrough (MAGPOOL_DISABLE=1), --debug
 * (MAGPOOL_DEBUG=1).  tests/mutants/run.sh (make mutants) measures which
 * known defects the model catches.
 *
 * Usage: model [--seed N] [--seconds S] [--steps N] [--watchdog S]
 *              [--no-fork] [--no-burst] [--pooled | --passthrough |
 *              --debug] [--no NAME]...
 * Prints the seed first; a failure prints the step and exits 1.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
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

#include "model.h"

#define NPOOLS 6
#define NWORKERS 4
#define MAXHELD 6000
#define SETSIZE (1u << 15) /* power of two, > 2 * MAXHELD */

static const size_t sizes[] = { 1, 8, 24, 64, 100, 512, 2000, 9000 };

/* ------------------------------------------------------------------ */
/* Random numbers and failure reports                                  */
/* ------------------------------------------------------------------ */

static uint64_t rng_state;
unsigned long step;
static unsigned long seed;
const char *op_name = "start";
const char *promise = "";

uint64_t rnd(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

unsigned below(unsigned n) { return (unsigned)(rnd() % n); }

static bool tracing;
void trace(const char *fmt, ...)
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

static const char *mode_args = "";

void fail(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "model: FAILED at step %lu (%s), seed %lu, pid %d: ",
            step, op_name, seed, (int)getpid());
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (*promise)
        fprintf(stderr, "\nmodel: broken guarantee: %s", promise);
    fprintf(stderr, "\nmodel: replay with: tests/model --seed %lu%s\n", seed,
            mode_args);
    _exit(1);
}

/* --no NAME: operations and checks left out. */
#define MAXNO 16
static const char *no_list[MAXNO];
static int nno;

bool checking(const char *name)
{
    for (int i = 0; i < nno; i++)
        if (!strcmp(no_list[i], name))
            return false;
    return true;
}

/* ------------------------------------------------------------------ */
/* Watchdog and crash reports                                          */
/* ------------------------------------------------------------------ */

double wd_seconds = 10;
/* The running step's deadline in ms of CLOCK_MONOTONIC, 0 for none.
 * Relaxed: the watchdog only compares it with the clock. */
static atomic_llong wd_deadline_ms;

double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void watchdog_extend(double seconds)
{
    atomic_store_explicit(&wd_deadline_ms,
                          seconds > 0 ? (long long)((now() + seconds) * 1e3) : 0,
                          memory_order_relaxed);
}

static void *watchdog_main(void *arg)
{
    (void)arg;
    for (;;) {
        struct timespec ts = { 0, 100 * 1000 * 1000 };
        nanosleep(&ts, NULL);
        long long d =
            atomic_load_explicit(&wd_deadline_ms, memory_order_relaxed);
        if (d && now() * 1e3 > (double)d)
            fail("no progress for %.0f s: a hang (deadlock or lost wake-up)",
                 wd_seconds);
    }
    return NULL;
}

static void watchdog_start(void)
{
    pthread_t t;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    if (pthread_create(&t, NULL, watchdog_main, NULL))
        fail("pthread_create: %s", strerror(errno));
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_detach(t);
}

/* A crash inside the library: say where the model was and what it was
 * checking, then die of the same signal. */
static void crashed(int sig)
{
    char buf[512];
    int n = snprintf(buf, sizeof(buf),
                     "model: FAILED at step %lu (%s), seed %lu, pid %d: "
                     "killed by signal %d (%s)%s\nmodel: broken guarantee: %s\n"
                     "model: replay with: tests/model --seed %lu%s\n",
                     step, op_name, seed, (int)getpid(), sig, strsignal(sig),
                     model_urcu_registered_here()
                         ? ", on a thread the program registered with liburcu"
                         : "",
                     *promise ? promise : "no crash", seed, mode_args);
    if (n > 0)
        (void)!write(STDERR_FILENO, buf, (size_t)n < sizeof(buf) ? (size_t)n
                                                                 : sizeof(buf));
    signal(sig, SIG_DFL);
    raise(sig);
}

static void crash_handlers(void)
{
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    /* The sanitizers report crashes better themselves. */
    static const int sigs[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL };
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        signal(sigs[i], crashed);
#endif
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
    long deferred;          /* puts waiting for an RCU callback */
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
bool own(void *p)
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

void disown(void *p)
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

void stamp(void *p, size_t size, uint64_t serial)
{
    unsigned char *c = p;
    size_t n = size < 64 ? size : 64;
    for (size_t i = 0; i < n; i++)
        c[i] = (unsigned char)(serial >> (8 * (i % 8)));
    c[size - 1] = (unsigned char)(serial * 31);
}

bool stamp_ok(const void *p, size_t size, uint64_t serial)
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

static struct worker workers[NWORKERS];
static bool opt_fork = true, opt_burst = true;
bool opt_passthrough, opt_debug;
/* The library runs its debug mode: MAGPOOL_DEBUG, or under ASan, where
 * it poisons free objects (no thread caches, a quarantine). */
static bool lib_debug;
bool sweeper_on;
static int init_count;

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    model_urcu_thread_begin(w);
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->busy)
            pthread_cond_wait(&w->cond, &w->lock);
        if (w->quit) {
            pthread_mutex_unlock(&w->lock);
            model_urcu_thread_end(w);
            pthread_mutex_lock(&w->lock);
            w->busy = false;
            pthread_cond_broadcast(&w->cond);
            pthread_mutex_unlock(&w->lock);
            return NULL;
        }
        bool in_read = w->in_read;
        w->in_read = false;
        pthread_mutex_unlock(&w->lock);
        if (in_read)
            model_urcu_read_lock();
        w->fn(w, w->arg);
        if (in_read)
            model_urcu_read_unlock();
        model_urcu_after_command(w);
        pthread_mutex_lock(&w->lock);
        w->busy = false;
        pthread_cond_broadcast(&w->cond);
    }
}

static void worker_start(struct worker *w, int id)
{
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    w->busy = w->quit = w->in_read = false;
    w->id = id;
    model_urcu_pick(w);
    if (pthread_create(&w->t, NULL, worker_main, w))
        fail("pthread_create: %s", strerror(errno));
    w->alive = true;
}

static bool read_side_ok(void (*fn)(struct worker *, void *));

void post(struct worker *w, void (*fn)(struct worker *, void *), void *arg)
{
    pthread_mutex_lock(&w->lock);
    /* Some commands of a registered reader run inside its read-side
     * critical section (model_urcu.c). */
    w->in_read = w->urcu_reg && read_side_ok(fn) && below(3) == 0;
    w->fn = fn;
    w->arg = arg;
    w->busy = true;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

void wait_done(struct worker *w)
{
    pthread_mutex_lock(&w->lock);
    while (w->busy)
        pthread_cond_wait(&w->cond, &w->lock);
    pthread_mutex_unlock(&w->lock);
}

void run_on(struct worker *w, void (*fn)(struct worker *, void *), void *arg)
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

/* Under ASan only: a round trip that shows a worker idle (op_fork). */
__attribute__((unused)) static void cmd_nothing(struct worker *w, void *arg)
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

static void cmd_put_twice(struct worker *w, void *arg);

static bool read_side_ok(void (*fn)(struct worker *, void *))
{
    return fn == cmd_get || fn == cmd_put || fn == cmd_put_to ||
           fn == cmd_flush || fn == cmd_put_twice;
}

static struct worker *any_worker(void) { return &workers[below(NWORKERS)]; }
struct worker *model_any_worker(void);
struct worker *model_any_worker(void) { return any_worker(); }

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

static void settle(void)
{
    model_urcu_settle();
}

static void check_counts(void)
{
    settle();
    for (int i = 0; i < NPOOLS; i++) {
        struct mpool *mp = &pools[i];
        if (!mp->h || mp->destroyed)
            continue;
        struct magpool_stats st;
        if (magpool_stats(mp->h, &st))
            fail("magpool_stats: %s", strerror(errno));
        if (mp->deferred)
            fail("pool %d: %ld deferred puts still pending after rcu_barrier",
                 i, mp->deferred);
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
    settle(); /* no deferred put may reach a destroyed pool's slot */
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

static void cmd_put_twice(struct worker *w, void *arg)
{
    (void)w;
    magpool_put(arg);
    magpool_put(arg);
}

static uint64_t double_puts_of(int i)
{
    struct magpool_stats st;
    if (magpool_stats(pools[i].h, &st))
        fail("magpool_stats: %s", strerror(errno));
    return st.double_puts;
}

/* A put and at once the same put again, on one thread, with no other
 * allocation between them: counted as a double put, pooled or
 * passthrough (in passthrough mode this is where free() has just written
 * into the block). */
static void immediate_double_put(struct worker *w, void *p, int i)
{
    const char *saved = promise;
    promise = "an immediate double put of a free object is detected and "
              "counted (stats.double_puts), also with MAGPOOL_DISABLE=1";
    uint64_t before = double_puts_of(i);
    run_on(w, cmd_put_twice, p);
    uint64_t after = double_puts_of(i);
    trace("%p (pool %d) twice on worker %d", p, i, w->id);
    if (after != before + 1)
        fail("put of %p (pool %d, %zu bytes) and at once again: %" PRIu64
             " double puts counted, want 1", p, i, pools[i].size,
             after - before);
    pools[i].double_puts++;
    promise = saved;
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
    if (model_urcu_on() && !pools[h.pool].destroyed && below(8) == 0) {
        /* The program's call_rcu() callback puts it: the model's until
         * the callback runs (and counted active meanwhile). */
        pools[h.pool].held--;
        model_urcu_defer_put(h.p, pools[h.pool].size, h.serial,
                             &pools[h.pool].deferred);
        trace("%p (pool %d) deferred through call_rcu", h.p, h.pool);
        last_put = NULL;
        return;
    }
    disown(h.p);
    struct worker *w = any_worker();
    if (!pools[h.pool].destroyed && !(lib_debug && !opt_passthrough) &&
        below(10) == 0 &&
        checking("immediate-double-put")) {
        immediate_double_put(w, h.p, h.pool);
        pools[h.pool].held--;
        last_put = NULL;
        return;
    }
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
    if (!last_put || sweeper_on || opt_passthrough || opt_debug)
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

/* Two pages, the first inaccessible: a pointer 1 to 7 bytes into the
 * second has its would-be header on the first. */
static char *hole_page;

static void op_foreign_put(void)
{
    static char page_buf[8192] __attribute__((aligned(4096)));
    if (!hole_page) {
        size_t pg = (size_t)sysconf(_SC_PAGESIZE);
        char *m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED || mprotect(m, pg, PROT_NONE))
            fail("mmap/mprotect: %s", strerror(errno));
        hole_page = m + pg;
    }
    if (below(4) == 0) {
        promise = "a foreign pointer 1 to 7 bytes into a page whose previous "
                  "page is unmapped is ignored, never read in front of";
        put_on(any_worker(), hole_page + 1 + below(7), -1);
        return;
    }
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

/* Resident bytes of the model's live pools. */
uint64_t model_resident(void)
{
    uint64_t sum = 0;
    for (int i = 0; i < NPOOLS; i++) {
        uint64_t b;
        if (pools[i].h && !pools[i].destroyed &&
            !magpool_resident_bytes(pools[i].h, &b))
            sum += b;
    }
    return sum;
}

/* Chunks the model's live pools ever gave back whole. */
uint64_t model_unmaps(void)
{
    uint64_t sum = 0;
    for (int i = 0; i < NPOOLS; i++)
        sum += unmaps_of(i);
    return sum;
}

static void op_trim(void)
{
    int i = live_pool();
    /* With nothing else running (no sweeper), what trim says it gave
     * back is what left the pools' resident memory. */
    bool exact = !sweeper_on && checking("trim-return");
    uint64_t before = exact ? model_resident() : 0;
    uint64_t unmaps = exact ? model_unmaps() : 0;
    size_t r = magpool_trim(below(3) == 0 || i < 0 ? NULL : pools[i].h);
    if (exact)
        check_trim_return(r, before, model_resident(),
                          model_unmaps() - unmaps);
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

/* ---- races and corners the single steps cannot reach ---- */

/* Workers released at once from a spin barrier (yielding now and then:
 * there may be fewer cores than spinners).  Sequentially consistent: the
 * arrival count and the round are read across threads with no lock, and
 * what a worker does after the gate must follow the others' arrival. */
static atomic_int gate_arrived, gate_round;

static void gate(int parties)
{
    int round = atomic_load(&gate_round);
    if (atomic_fetch_add(&gate_arrived, 1) + 1 == parties) {
        atomic_store(&gate_arrived, 0);
        atomic_fetch_add(&gate_round, 1);
    } else {
        for (unsigned spin = 1; atomic_load(&gate_round) == round; spin++)
            if (spin % 256 == 0)
                sched_yield();
    }
}

struct race {
    void *obj[2];
    int rounds;
    struct magpool *pool[64];
    void *objs[64][2];
};

static void cmd_race_put(struct worker *w, void *arg)
{
    struct race *r = arg;
    int me = w == &workers[0] ? 0 : 1;
    for (int k = 0; k < r->rounds; k++) {
        gate(2);
        magpool_put(r->objs[k][me]);
    }
}

/* The last two objects of a destroyed pool put by two threads at once:
 * exactly one of them frees the pool. */
static void op_dead_pool_race(void)
{
    promise = "a destroyed pool is freed exactly once when its last objects "
              "are put by several threads at once";
    struct race r = { .rounds = 1 + (int)below(32) };
    for (int k = 0; k < r.rounds; k++) {
        r.pool[k] = magpool_create("model-race", sizes[below(4)], NULL);
        if (!r.pool[k])
            fail("magpool_create: %s", strerror(errno));
        for (int j = 0; j < 2; j++)
            if (!(r.objs[k][j] = magpool_get(r.pool[k])))
                fail("get: %s", strerror(errno));
        magpool_destroy(r.pool[k]);
    }
    post(&workers[0], cmd_race_put, &r);
    post(&workers[1], cmd_race_put, &r);
    wait_done(&workers[0]);
    wait_done(&workers[1]);
}

struct sweeper_race {
    int rounds;
};

static void cmd_sweeper_flip(struct worker *w, void *arg)
{
    struct sweeper_race *r = arg;
    for (int k = 0; k < r->rounds; k++) {
        gate(2);
        if (w == &workers[0]) {
            if (magpool_sweeper_start(1 + (unsigned)k % 5))
                atomic_store(&burst_failed, 4);
        } else {
            magpool_sweeper_stop();
        }
    }
}

/* Start and stop from two threads at once: both return, and a stop after
 * them leaves no sweeper running. */
static void op_sweeper_race(void)
{
    promise = "magpool_sweeper_stop() returns, and leaves no sweeper, when a "
              "magpool_sweeper_start() runs at the same time";
    struct sweeper_race r = { .rounds = 1 + (int)below(8) };
    post(&workers[0], cmd_sweeper_flip, &r);
    post(&workers[1], cmd_sweeper_flip, &r);
    wait_done(&workers[0]);
    wait_done(&workers[1]);
    if (atomic_load(&burst_failed) == 4)
        fail("magpool_sweeper_start: %s", strerror(errno));
    magpool_sweeper_stop();
    sweeper_on = false;
    last_put = NULL;
}

/* A flag polled by the looping worker; seq_cst (a store and loads: its
 * cost does not matter here). */
static atomic_int init_loop_stop;

static void cmd_init_fini_loop(struct worker *w, void *arg)
{
    (void)w;
    (void)arg;
    while (!atomic_load(&init_loop_stop)) {
        if (magpool_init())
            atomic_store(&burst_failed, 5);
        magpool_fini();
    }
}

/* fork() while another thread is inside magpool_init or magpool_fini:
 * the child can init and fini. */
static void op_fork_during_init(void)
{
    if (!opt_fork)
        return;
#if defined(__SANITIZE_ADDRESS__)
    return; /* fork only with every thread idle (see op_fork) */
#endif
    promise = "the child of a fork() made while another thread was in "
              "magpool_init/magpool_fini can call them";
    atomic_store(&init_loop_stop, 0);
    post(&workers[0], cmd_init_fini_loop, NULL);
    int forks = 1 + (int)below(4);
    for (int k = 0; k < forks; k++) {
        for (volatile unsigned spin = below(200000); spin; spin--)
            ;
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0)
            fail("fork: %s", strerror(errno));
        if (pid == 0) {
            alarm(5); /* a deadlocked child fails (it needs milliseconds) */
            if (magpool_init())
                _exit(2);
            magpool_fini();
            _exit(0);
        }
        int status;
        if (waitpid(pid, &status, 0) != pid)
            fail("waitpid: %s", strerror(errno));
        if (!WIFEXITED(status) || WEXITSTATUS(status))
            fail("child %d could not init and fini: %s %d", (int)pid,
                 WIFSIGNALED(status) ? "killed by signal" : "exit status",
                 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    }
    atomic_store(&init_loop_stop, 1);
    wait_done(&workers[0]);
    if (atomic_load(&burst_failed) == 5)
        fail("magpool_init: %s", strerror(errno));
    magpool_sweeper_stop(); /* an init of the loop may have started it */
    sweeper_on = false;
    last_put = NULL;
}

static void cmd_get_mmap_fails(struct worker *w, void *arg)
{
    (void)w;
    struct getcmd *g = arg;
    model_fault_mmap_fails(true);
    errno = 0;
    g->result = magpool_get(pools[g->pool].h);
    g->err = errno;
    model_fault_mmap_fails(false);
}

/* A new thread's first get while no memory can be mapped: an object (the
 * pool had free ones) or NULL with ENOMEM, never an abort. */
static void op_first_get_mmap_fails(void)
{
    int i = live_pool();
    if (i < 0 || !model_fault_usable() || nheld == MAXHELD)
        return;
    promise = "a thread's first get fails with ENOMEM, never aborts, when "
              "no memory can be mapped";
    struct worker *w = any_worker();
    worker_stop(w);
    worker_start(w, w->id);
    struct getcmd g = { .pool = i };
    run_on(w, cmd_get_mmap_fails, &g);
    if (!g.result) {
        if (g.err != ENOMEM)
            fail("get with mmap failing: NULL, errno %d, want ENOMEM", g.err);
        return;
    }
    if (!own(g.result))
        fail("object %p handed out while the model holds it", g.result);
    if (g.result == last_put)
        last_put = NULL; /* handed out again: a put now is no double put */
    uint64_t serial = ++serials;
    stamp(g.result, pools[i].size, serial);
    held[nheld++] = (struct held){ g.result, i, serial };
    pools[i].held++;
}

static void foreach_check(struct magpool *p, void *arg)
{
    int *seen = arg;
    for (int i = 0; i < NPOOLS; i++) {
        if (pools[i].h != p || pools[i].destroyed)
            continue;
        struct magpool_stats st;
        if (magpool_stats(p, &st))
            fail("magpool_stats in foreach: %s", strerror(errno));
        if ((int64_t)st.active != pools[i].held + pools[i].lost)
            fail("pool %d in foreach: active %" PRIu64 ", model %ld", i,
                 st.active, pools[i].held);
        (*seen)++;
    }
}

/* magpool_stats() from a magpool_foreach() callback: returns, and visits
 * every live pool once. */
static void op_stats_in_foreach(void)
{
    promise = "magpool_stats() may be called from a magpool_foreach() "
              "callback";
    settle();
    int seen = 0, live = 0;
    magpool_foreach(foreach_check, &seen);
    for (int i = 0; i < NPOOLS; i++)
        live += pools[i].h && !pools[i].destroyed;
    if (seen != live)
        fail("magpool_foreach visited %d of the model's %d live pools", seen,
             live);
}

/* A pool of the op's own, not in the model's table. */
static struct magpool *private_pool(size_t size, unsigned cap, unsigned flags)
{
    struct magpool_options o = { .mag_capacity = cap, .flags = flags };
    struct magpool *p = magpool_create("model-private", size, &o);
    if (!p)
        fail("magpool_create(%zu): %s", size, strerror(errno));
    return p;
}

struct many {
    struct magpool *pool;
    void **objs;
    int n;
};

static void cmd_get_many(struct worker *w, void *arg)
{
    (void)w;
    struct many *m = arg;
    for (int k = 0; k < m->n; k++)
        if (!(m->objs[k] = magpool_get(m->pool)))
            atomic_store(&burst_failed, 1);
}

static void cmd_put_many(struct worker *w, void *arg)
{
    (void)w;
    struct many *m = arg;
    for (int k = 0; k < m->n; k++)
        magpool_put(m->objs[k]);
}

static void many_on(struct worker *w, void (*fn)(struct worker *, void *),
                    struct magpool *pool, void **objs, int n)
{
    struct many m = { pool, objs, n };
    run_on(w, fn, &m);
    if (atomic_load(&burst_failed) == 1)
        fail("get returned NULL: %s", strerror(errno));
}

static uint64_t stat_of(struct magpool *p, int which)
{
    struct magpool_stats st;
    if (magpool_stats(p, &st))
        fail("magpool_stats: %s", strerror(errno));
    return which == 0 ? st.double_puts : which == 1 ? st.chunk_unmaps
                                                    : st.active;
}

/* A double put after its whole chunk went back to the kernel (trim):
 * ignored, and the process lives. */
static void op_double_put_after_retire(void)
{
    /* (In debug mode the objects wait in the quarantine, and the chunk
     * is not free.) */
    if (opt_passthrough || lib_debug || sweeper_on)
        return;
    promise = "a double put of an object whose chunk went back to the "
              "kernel is ignored (no crash)";
    struct magpool *p = private_pool(sizes[below(6)], 0, 0);
    void *objs[16];
    int n = 1 + (int)below(16);
    struct worker *w = any_worker();
    many_on(w, cmd_get_many, p, objs, n);
    many_on(w, cmd_put_many, p, objs, n);
    run_on(w, cmd_flush, NULL);
    uint64_t unmaps = stat_of(p, 1);
    uint64_t before = 0, after = 0;
    magpool_resident_bytes(p, &before);
    size_t r = magpool_trim(p);
    magpool_resident_bytes(p, &after);
    if (stat_of(p, 1) == unmaps)
        fail("trim of a pool with nothing out gave back no chunk");
    /* What a whole chunk gave back: its resident pages, not its size. */
    if (checking("trim-return")) {
        promise = "magpool_trim returns the resident bytes it gave back";
        check_trim_return(r, before, after, stat_of(p, 1) - unmaps);
        promise = "a double put of an object whose chunk went back to the "
                  "kernel is ignored (no crash)";
    }
    put_on(any_worker(), objs[below((unsigned)n)], -1);
    if (stat_of(p, 2) != 0)
        fail("active %" PRIu64 " after a double put, want 0", stat_of(p, 2));
    magpool_destroy(p);
}

/* Whether the page that holds the header of object o is in memory. */
static bool header_resident(const void *o)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    uintptr_t page = ((uintptr_t)o - 8) & ~(uintptr_t)(pg - 1);
    unsigned char v = 0;
    if (mincore((void *)page, pg, &v))
        fail("mincore: %s", strerror(errno));
    return v & 1;
}

/* An object put, its page given back (trim, with another object of its
 * chunk still out), then carved again (into a thread's magazine or the
 * slab's free list) and not handed out, is free: putting it again is a
 * double put, counted.  (While its page is still given back its header
 * reads zero and the put is ignored uncounted: magpool(3).) */
static void op_recarved_double_put(void)
{
    if (opt_passthrough || lib_debug || sweeper_on)
        return;
    promise = "a double put of a free object is detected and counted, also "
              "after its page was given back and carved again";
    size_t size = 256 << below(3); /* 256 .. 1024 */
    unsigned cap = 64;
    struct magpool *p = private_pool(size, cap, MAGPOOL_F_NOSWEEP);
    enum { N = 40, MORE = 6000 };
    void *objs[N];
    static void *more[MORE];
    bool released[N];
    struct worker *w = any_worker();
    many_on(w, cmd_get_many, p, objs, N);
    /* objs[0] stays out: its chunk is not retired, its free pages are. */
    many_on(w, cmd_put_many, p, objs + 1, N - 1);
    run_on(w, cmd_flush, NULL);
    magpool_trim(p);
    int nreleased = 0;
    for (int i = 1; i < N; i++)
        nreleased += released[i] = !header_resident(objs[i]);
    /* Get until the slab carves given-back pages again (after the rest
     * of the chunk), 64 at a time. */
    int nmore = 0, k = -1;
    while (nreleased && k < 0 && nmore + 64 <= MORE) {
        many_on(w, cmd_get_many, p, more + nmore, 64);
        nmore += 64;
        for (int i = 1; i < N && k < 0; i++)
            if (released[i] && header_resident(objs[i])) {
                bool is_held = false;
                for (int j = 0; j < nmore && !is_held; j++)
                    is_held = more[j] == objs[i];
                if (!is_held)
                    k = i; /* carved again, free */
            }
    }
    if (k >= 0) {
        uint64_t before = stat_of(p, 0);
        put_on(any_worker(), objs[k], -1);
        uint64_t after = stat_of(p, 0);
        if (after != before + 1)
            fail("double put of %p (%zu bytes; its page given back by trim, "
                 "then carved again and not handed out): %" PRIu64
                 " double puts counted, want 1", objs[k], size,
                 after - before);
    }
    for (int j = 0; j < nmore; j += 64)
        many_on(w, cmd_put_many, p, more + j, 64);
    put_on(w, objs[0], -1);
    magpool_destroy(p);
}

/* Word 1 of every object of the swap pool is its owner while held, 0
 * while free (word 0 links free objects in the slab). */
#define OWNER(o) ((_Atomic unsigned long *)(o) + 1)
/* (Exchanged with seq_cst: two owners at once must see each other.) */

static struct magpool *swap_pool;
/* Polled by the busy workers with relaxed loads: it only ends their loop,
 * and wait_done() orders what they did before the driver goes on. */
static atomic_int swap_stop;
/* A count of objects found with another owner; seq_cst, rare. */
static atomic_ulong swap_double_owner;

static void hold_and_release(unsigned long me, unsigned s, int rounds)
{
    void *mine[24];
    for (int r = 0; r < rounds; r++) {
        s = s * 1103515245u + 12345u;
        int k = 1 + (int)((s >> 16) % 24);
        for (int i = 0; i < k; i++) {
            mine[i] = magpool_get(swap_pool);
            if (!mine[i] || atomic_exchange(OWNER(mine[i]), me) != 0)
                atomic_fetch_add(&swap_double_owner, 1);
        }
        for (int i = 0; i < k; i++) {
            if (!mine[i])
                continue;
            if (atomic_exchange(OWNER(mine[i]), 0) != me)
                atomic_fetch_add(&swap_double_owner, 1);
            magpool_put(mine[i]);
        }
    }
}

static void cmd_swap_busy(struct worker *w, void *arg)
{
    (void)arg;
    unsigned long me = (unsigned long)w->id + 1;
    unsigned s = (unsigned)me * 7919u;
    while (!atomic_load_explicit(&swap_stop, memory_order_relaxed))
        hold_and_release(me, s++, 20);
}

/* fork() while the workers cross magazine boundaries all the time
 * (magazines of 4): in the child, which gets and puts the same pool, no
 * object is handed to two owners. */
static void op_fork_while_swapping(void)
{
    if (!opt_fork || opt_passthrough || lib_debug)
        return;
#if defined(__SANITIZE_ADDRESS__)
    return; /* fork only with every thread idle (see op_fork) */
#endif
    promise = "in the child of a fork() made while other threads swapped "
              "magazines, no object is handed to two owners";
    struct magpool_options o = { .mag_capacity = 4 };
    swap_pool = magpool_create("model-swap", 64, &o);
    if (!swap_pool)
        fail("magpool_create: %s", strerror(errno));
    atomic_store(&swap_stop, 0);
    atomic_store(&swap_double_owner, 0);
    for (int k = 0; k < NWORKERS; k++)
        post(&workers[k], cmd_swap_busy, NULL);
    int forks = 1 + (int)below(24);
    for (int k = 0; k < forks; k++) {
        for (volatile unsigned spin = below(20000); spin; spin--)
            ;
        pid_t pid = fork();
        if (pid < 0)
            fail("fork: %s", strerror(errno));
        if (pid == 0) {
            alarm(2); /* a child spinning in a slow path fails (it needs
                       * milliseconds) */
            /* Hold more than the depot and the dead threads' caches
             * can have had: every magazine they left is popped. */
            static void *all[512];
            for (int i = 0; i < 512; i++) {
                all[i] = magpool_get(swap_pool);
                if (!all[i] || atomic_exchange(OWNER(all[i]), 100) != 0)
                    _exit(3);
            }
            for (int i = 0; i < 512; i++) {
                atomic_store(OWNER(all[i]), 0);
                magpool_put(all[i]);
            }
            hold_and_release(100, 104729u, 50);
            _exit(atomic_load(&swap_double_owner) ? 3 : 0);
        }
        int status;
        if (waitpid(pid, &status, 0) != pid)
            fail("waitpid: %s", strerror(errno));
        if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
            fail("child %d (fork %d of %d) was handed an object another "
                 "owner held", (int)pid, k + 1, forks);
        if (!WIFEXITED(status) || WEXITSTATUS(status))
            fail("child %d (fork %d of %d) failed: %s %d", (int)pid, k + 1,
                 forks, WIFSIGNALED(status) ? "signal" : "exit status",
                 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    }
    atomic_store(&swap_stop, 1);
    for (int k = 0; k < NWORKERS; k++)
        wait_done(&workers[k]);
    if (atomic_load(&swap_double_owner))
        fail("an object was handed to two owners");
    magpool_destroy(swap_pool);
    swap_pool = NULL;
}

static void cmd_synchronize(struct worker *w, void *arg)
{
    (void)arg;
    model_urcu_synchronize(w);
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
    watchdog_start(); /* and says where */
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

pid_t model_fork(void)
{
    model_urcu_fork_prepare_workers(workers, NWORKERS);
    fflush(NULL);
    model_urcu_fork_prepare();
    pid_t pid = fork();
    if (pid == 0)
        model_urcu_fork_child();
    else
        model_urcu_fork_parent();
    return pid;
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
    settle();
    /* The child cannot use liburcu with the parent's readers registered
     * (their records die with them): they unregister first. */
    model_urcu_fork_prepare_workers(workers, NWORKERS);
    fflush(NULL);
    /* Busy: the workers are inside bursts, most likely in slow paths. */
    bool bursting = busy && burst_post();
    if (bursting)
        for (volatile unsigned spin = below(20000); spin; spin--)
            ;
    model_urcu_fork_prepare();
    pid_t pid = fork();
    if (pid < 0)
        fail("fork: %s", strerror(errno));
    if (pid == 0) {
        model_urcu_fork_child();
        rng_state = child_seed;
        child_takes_over();
        run_steps(300, 0, true);
        check_counts();
        _exit(0);
    }
    model_urcu_fork_parent();
    if (bursting)
        burst_collect();
    /* The child has a watchdog of its own. */
    watchdog_extend(0);
    int status;
    if (waitpid(pid, &status, 0) != pid)
        fail("waitpid: %s", strerror(errno));
    if (!WIFEXITED(status) || WEXITSTATUS(status))
        fail("child %d failed (status %#x)", (int)pid, status);
}

/* ------------------------------------------------------------------ */

static void one_step(bool child)
{
    unsigned r = below(1100);
    promise = "";
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
        promise = "magpool_trim() returns the bytes that left the pools' "
                  "resident memory";
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
    } else if (r < 1000) {
        op_name = "put NULL";
        run_on(any_worker(), cmd_put, NULL);
    } else if (r < 1012) {
        op_name = "dead-pool-race";
        if (checking(op_name))
            op_dead_pool_race();
    } else if (r < 1020) {
        op_name = "sweeper-race";
        if (checking(op_name))
            op_sweeper_race();
    } else if (r < 1025) {
        op_name = "fork-during-init";
        if (!child && checking(op_name))
            op_fork_during_init();
    } else if (r < 1033) {
        op_name = "mmap-fails";
        if (checking(op_name))
            op_first_get_mmap_fails();
    } else if (r < 1041) {
        op_name = "retired-double-put";
        if (checking(op_name))
            op_double_put_after_retire();
    } else if (r < 1049) {
        op_name = "foreach-stats";
        if (checking(op_name))
            op_stats_in_foreach();
    } else if (r < 1057) {
        op_name = "recarve-double-put";
        if (checking(op_name))
            op_recarved_double_put();
    } else if (r < 1061) {
        op_name = "depot-growth";
        if (checking(op_name))
            op_thread_lifetimes();
    } else if (r < 1065) {
        op_name = "depot-growth";
        if (checking(op_name))
            op_flush_cycles();
    } else if (r < 1072) {
        op_name = "urcu synchronize";
        if (model_urcu_on()) {
            promise = "the program's own synchronize_rcu() returns";
            run_on(any_worker(), cmd_synchronize, NULL);
        }
    } else if (r < 1080) {
        op_name = "fork-while-swapping";
        if (!child && checking(op_name))
            op_fork_while_swapping();
    } else if (r < 1084) {
        op_name = "debug-after-put";
        if (!child && opt_debug && checking(op_name))
            op_debug_write_after_put();
    } else {
        op_name = "get";
        op_get(false);
    }
}

static void run_steps(unsigned long steps, double seconds, bool child)
{
    double end = now() + seconds;
    for (unsigned long n = 0; steps ? n < steps : now() < end; n++) {
        step++;
        watchdog_extend(wd_seconds);
        one_step(child);
    }
    watchdog_extend(0);
}

int main(int argc, char **argv)
{
    double seconds = 3;
    unsigned long steps = 0;
    seed = (unsigned long)time(NULL) ^ ((unsigned long)getpid() << 16);
    static char modes[256];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoul(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = strtod(argv[++i], NULL);
        else if (!strcmp(argv[i], "--steps") && i + 1 < argc)
            steps = strtoul(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--watchdog") && i + 1 < argc)
            wd_seconds = strtod(argv[++i], NULL);
        else if (!strcmp(argv[i], "--no") && i + 1 < argc && nno < MAXNO) {
            no_list[nno++] = argv[++i];
            snprintf(modes + strlen(modes), sizeof(modes) - strlen(modes),
                     " --no %s", argv[i]);
        } else if (!strcmp(argv[i], "--no-fork"))
            opt_fork = false;
        else if (!strcmp(argv[i], "--no-burst"))
            opt_burst = false;
        else if (!strcmp(argv[i], "--pooled"))
            opt_passthrough = opt_debug = false;
        else if (!strcmp(argv[i], "--passthrough"))
            opt_passthrough = true;
        else if (!strcmp(argv[i], "--debug"))
            opt_debug = true;
        else {
            fprintf(stderr, "usage: %s [--seed N] [--seconds S] [--steps N] "
                    "[--watchdog S] [--no-fork] [--no-burst] [--pooled | "
                    "--passthrough | --debug] [--no OPERATION]...\n", argv[0]);
            return 2;
        }
    }
    if (opt_passthrough && opt_debug) {
        fprintf(stderr, "model: --passthrough and --debug exclude each other\n");
        return 2;
    }
    snprintf(modes + strlen(modes), sizeof(modes) - strlen(modes), "%s%s",
             opt_passthrough ? " --passthrough" : "",
             opt_debug ? " --debug" : "");
    mode_args = modes;
    tracing = getenv("MAGPOOL_MODEL_TRACE") != NULL;
    const char *env = getenv("MAGPOOL_MODEL_SECONDS");
    if (env && *env)
        seconds = strtod(env, NULL);
#if defined(__SANITIZE_THREAD__)
    opt_fork = false; /* ThreadSanitizer does not support fork with threads */
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    wd_seconds *= 3; /* everything is slower */
#endif
    /* Before the first magpool call, which reads the environment. */
    if (opt_passthrough)
        setenv("MAGPOOL_DISABLE", "1", 1);
    if (opt_debug)
        setenv("MAGPOOL_DEBUG", "1", 1);
    lib_debug = opt_debug;
#if defined(__SANITIZE_ADDRESS__)
    lib_debug = true;
#endif
    setenv("MAGPOOL_QUIET", "1", 1);
    printf("model: seed %lu%s%s%s, %s\n", seed, opt_fork ? "" : ", no fork",
           opt_burst ? "" : ", no bursts", modes, steps ? "fixed steps" : "timed");
    fflush(stdout);
    rng_state = seed;
    crash_handlers();
    model_memory_init();
    watchdog_start();
    watchdog_extend(wd_seconds);
    model_urcu_start();
    for (int k = 0; k < NWORKERS; k++)
        worker_start(&workers[k], k);
    run_steps(steps, seconds, false);

    /* Give everything back: every pool must end with nothing active. */
    op_name = "teardown";
    promise = "";
    watchdog_extend(wd_seconds);
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
    settle();
    for (int i = 0; i < NPOOLS; i++)
        if (pools[i].h && !pools[i].destroyed)
            magpool_destroy(pools[i].h);
    magpool_thread_flush();
    printf("model: %lu steps, no defect found (seed %lu)\n", step, seed);
    return 0;
}
