/*
 * depot.c - magazines and the per-pool depot: lock-free stacks of full
 * and empty magazines, shared by all threads, protected by RCU.
 *
 * Layer: above rcu, options, slab and the registry (lib/LAYERS).  The
 * per-thread use of magazines is magazine.c's and tcache.c's, above.
 *
 * Owns: struct mp_mag's allocation and the size of new magazines (the
 * pool's cap, grown with depot traffic and shrunk by the sweeper when
 * the pool is quiet, as in Bonwick's design, and a thread's own size,
 * grown and shrunk with that thread's trips: slot->cap, mp_mag_slot_trade),
 * struct mp_depot, the stack
 * nodes (struct mp_dnode) and each thread's lists of spare and retired
 * nodes.
 *
 * RCU: liburcu's memory-barrier flavour; registration, grace periods and
 * fork are rcu.c's.  The read-side lock is a few instructions and is
 * taken only here, on the slow path.
 *
 * Nodes, not magazines, sit on the stacks.  liburcu's rule for its
 * lock-free stack is that a node popped under the read lock is not pushed
 * again, nor freed, before a grace period: a slow popper may still hold
 * it as the head it read, and would install a stale next pointer if the
 * same node came back to the head (ABA).  A magazine is traded again a
 * few microseconds after it was popped, far sooner than a grace period,
 * so each push wraps the magazine in a small node; a popped node is
 * retired to its thread's list and recycled only after a grace period.
 * A thread that may not wait for one (inside a read-side section of a
 * program that shares magpool's RCU domain, rcu.c) keeps its retired
 * nodes and takes new ones from malloc until it may.
 * Grace periods are counted in mp_gp_seq, so one thread's wait serves
 * every thread: a batch of MP_RETIRE_BATCH retired nodes is recycled at
 * once if two grace periods were completed (by anyone, the sweeper
 * included) since its last pop, and only otherwise does the thread call
 * mp_grace_period() itself.  Poppers never touch a magazine
 * before owning it, so magazines themselves are reusable (and freeable)
 * at once.
 *
 * Synchronization:
 *   full, empty          cds_lfs_push from any thread without a lock;
 *                        __cds_lfs_pop only inside mp_rcu_read_begin/end.
 *   node->mag            release store at push, acquire load after pop:
 *                        the popper sees the rounds the pusher wrote (and
 *                        ThreadSanitizer sees the edge liburcu's own,
 *                        uninstrumented atomics provide).
 *   spare/retired lists  thread-local (TLS); retired nodes become spare
 *                        after a grace period (mp_grace_period()).
 *   counters             relaxed atomics: statistics and the sweeper's
 *                        estimate, never memory safety.
 *   slot->cap, trades, trades_since_ns  the owner thread's alone (its
 *                        slow paths): plain fields.
 *   pool->cap, adapt_ns  relaxed atomics, changed once per MP_ADAPT_EVERY
 *                        exchanges or by the sweeper: any recent value
 *                        makes a valid magazine.  last_exchanges,
 *                        rate_since_ns: the sweeper only.
 *
 * Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).
 */
#include <stdlib.h>
#include <time.h>

#include "mp.h"

/* ------------------------------------------------------------------ */
/* Magazines                                                           */
/* ------------------------------------------------------------------ */

struct mp_mag *mp_mag_new(struct magpool *pool)
{
    return mp_mag_new_cap(
        atomic_load_explicit(&pool->cap, memory_order_relaxed));
}

struct mp_mag *mp_mag_new_cap(unsigned cap)
{
    /* Zeroed: a put tests the slot at the top for MP_END, so no slot
     * below the real end may hold a stale one from recycled memory. */
    struct mp_mag *m = calloc(1, sizeof(*m) + (cap + 2) * sizeof(void *));
    if (!m)
        return NULL;
    m->cap = cap;
    m->rounds[cap + 1] = MP_END;
    return m;
}

void mp_mag_free_now(struct mp_mag *mag) { free(mag); }

/* ------------------------------------------------------------------ */
/* Magazine size                                                        */
/* ------------------------------------------------------------------ */
/* Bonwick grows magazines when threads contend for the depot.  A
 * lock-free depot shows contention as traffic: when a pool's threads
 * trade magazines faster than mp_opt.mag_grow_rate a second, its new
 * magazines are made twice as large (up to cap_max bytes' worth); when
 * the sweeper sees it quiet, they halve again.  Old magazines are phased
 * out as threads take them from the depot (see mp_put_slow). */

unsigned long long mp_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull +
           (unsigned long long)ts.tv_nsec;
}

/* pool->adapt_ns holds when the last boundary was passed and which one:
 * the time in units of 1024 ns in the high 44 bits (wrapping after 208
 * days; differences are taken modulo 2^44), the boundary's number
 * (n / MP_ADAPT_EVERY) in the low 20.  A thread can be preempted between
 * taking its boundary's number and reading the clock, and pass its
 * boundary after the next one's owner: the window it would measure from
 * that later time is not MP_ADAPT_EVERY exchanges long, so a window
 * counts only between consecutive boundaries. */
#define ADAPT_SEQ_BITS 20
#define ADAPT_SEQ_MASK ((1ull << ADAPT_SEQ_BITS) - 1)
#define ADAPT_TIME_MASK ((1ull << (64 - ADAPT_SEQ_BITS)) - 1)

/* Whether `count` trips within span_ns came faster than
 * MAGPOOL_MAG_GROW_RATE a second: the span against count / rate seconds
 * (divided, not multiplied: a span of days times the rate would
 * overflow). */
static bool faster_than_grow_rate(unsigned long count,
                                  unsigned long long span_ns)
{
    return span_ns < count * 1000000000ull / mp_opt.mag_grow_rate;
}

/* cap doubled, up to the pool's largest magazine. */
static unsigned doubled(const struct magpool *pool, unsigned cap)
{
    return cap * 2 > pool->cap_max ? pool->cap_max : cap * 2;
}

/* n: the pool's exchanges so far, this one included, counted in the one
 * depot->exchanges (mp_mag_note_trade): gets and puts share it, so every
 * window between two consecutive checks holds exactly MP_ADAPT_EVERY
 * exchanges. */
void mp_mag_note_exchange(struct magpool *pool, unsigned long n)
{
    if (n % MP_ADAPT_EVERY)
        return;
    unsigned long long seq = (n / MP_ADAPT_EVERY) & ADAPT_SEQ_MASK;
    unsigned long long t = mp_mono_ns() >> 10;
    /* Relaxed: one caller per boundary (n is unique), and the value
     * carries its own boundary number, so no other order is needed. */
    unsigned long long then = atomic_exchange_explicit(
        &pool->adapt_ns, (t << ADAPT_SEQ_BITS) | seq, memory_order_relaxed);
    if (!then || (then & ADAPT_SEQ_MASK) != ((seq - 1) & ADAPT_SEQ_MASK))
        return; /* the first boundary, or not the one just before */
    unsigned long long window_ns =
        ((t - (then >> ADAPT_SEQ_BITS)) & ADAPT_TIME_MASK) << 10;
    unsigned cap = atomic_load_explicit(&pool->cap, memory_order_relaxed);
    if (cap < pool->cap_max &&
        faster_than_grow_rate(MP_ADAPT_EVERY, window_ns))
        atomic_store_explicit(&pool->cap, doubled(pool, cap),
                              memory_order_relaxed);
}

/* A thread whose two magazines were both exhausted went to the shared
 * layer for another (from the depot, or a new one when the depot had
 * none): one exchange, in the count that paces the magazine size.
 * Relaxed: a count, and fetch_add makes each exchange's number unique,
 * so one caller owns each MP_ADAPT_EVERY boundary. */
void mp_mag_note_trade(struct magpool *pool)
{
    mp_mag_note_exchange(pool, atomic_fetch_add_explicit(
                                   &pool->depot.exchanges, 1,
                                   memory_order_relaxed) + 1);
}

/* Whether `count` trips over span_ns came slower than the shrink rate,
 * MAGPOOL_MAG_GROW_RATE / MP_MAG_SHRINK_DIV a second: compared in
 * floating point (a day's span times the count would overflow 64 bits,
 * and an integer rate rounds one trip in 1.2 s down to none); with a
 * rate under 1 a second, only no trip at all is slower. */
static bool slower_than_shrink_rate(unsigned long count,
                                    unsigned long long span_ns)
{
    unsigned long below = mp_opt.mag_grow_rate / MP_MAG_SHRINK_DIV;
    return below ? (double)count * 1e9 < (double)below * (double)span_ns
                 : count == 0;
}

/* The size of the magazines slot s's thread takes now: the pool's, or
 * the larger one its own trades earned.  Relaxed: any recent size of the
 * pool makes a valid magazine. */
unsigned mp_mag_slot_cap(const struct magpool *pool, const struct mp_tslot *s)
{
    unsigned cap = atomic_load_explicit(&pool->cap, memory_order_relaxed);
    return s->cap > cap ? s->cap : cap;
}

/* Slot s's thread went to the shared layer (the depot, or the slab when
 * the depot had nothing): every MP_SLOT_TRADES such trips, if they came
 * faster than the growth rate, its next magazines are twice as large (up
 * to the pool's largest), and if slower than a hundredth of it, half as
 * large (down to the pool's size).  The pool's size follows all threads'
 * trades together over MP_ADAPT_EVERY of them; this one lets a thread
 * that starts hot get large magazines after a few trips instead of
 * hundreds.  The memory bound is the pool's: no magazine holds more than
 * cap_max objects.  Owner only: plain fields. */
void mp_mag_slot_trade(struct magpool *pool, struct mp_tslot *s)
{
    if (++s->trades < MP_SLOT_TRADES)
        return;
    unsigned long long now = mp_mono_ns();
    unsigned long long span = now - s->trades_since_ns;
    unsigned pool_cap = atomic_load_explicit(&pool->cap, memory_order_relaxed);
    unsigned cap = mp_mag_slot_cap(pool, s);
    if (faster_than_grow_rate(MP_SLOT_TRADES, span))
        cap = doubled(pool, cap);
    else if (cap > pool_cap && slower_than_shrink_rate(MP_SLOT_TRADES, span))
        cap /= 2;
    s->cap = cap > pool_cap ? cap : 0;
    s->trades = 0;
    s->trades_since_ns = now;
}

/* Sweeper, at each pass (now: mp_mono_ns()): halve the magazine size of
 * a pool that went quiet, its rate measured over at least
 * MP_SHRINK_WINDOW_NS of real time (one pass of a short sweep interval
 * would see one exchange as a thousand a second, or none as zero). */
void mp_mag_shrink_if_quiet(struct magpool *pool, unsigned long long now)
{
    struct mp_depot *d = &pool->depot;
    unsigned long ex =
        atomic_load_explicit(&d->exchanges, memory_order_relaxed);
    if (!pool->rate_since_ns) {
        pool->rate_since_ns = now; /* the first look starts the window */
        pool->last_exchanges = ex;
        return;
    }
    unsigned long long span = now - pool->rate_since_ns;
    if (span < MP_SHRINK_WINDOW_NS)
        return;
    unsigned long made = ex - pool->last_exchanges;
    pool->rate_since_ns = now;
    pool->last_exchanges = ex;
    bool quiet = slower_than_shrink_rate(made, span);
    unsigned cap = atomic_load_explicit(&pool->cap, memory_order_relaxed);
    if (quiet && cap > pool->cap_min) {
        cap = cap / 2 < pool->cap_min ? pool->cap_min : cap / 2;
        atomic_store_explicit(&pool->cap, cap, memory_order_relaxed);
    }
}

/* ------------------------------------------------------------------ */
/* The depot                                                           */
/* ------------------------------------------------------------------ */


#define MP_RETIRE_BATCH 1024u  /* pops per grace-period check */
#define MP_SPARE_MAX 256u      /* spare nodes a thread keeps */

struct mp_dnode {
    struct cds_lfs_node node;
    _Atomic(struct mp_mag *) mag;
    struct mp_dnode *link;      /* spare or retired list */
};

struct mp_nodelists {
    struct mp_dnode *spare, *retired;
    unsigned nspare, nretired;
    unsigned long retired_seq;  /* mp_gp_seq after the newest retire */
    bool key_set;
};

static __thread struct mp_nodelists nl
    __attribute__((tls_model("initial-exec")));
static pthread_key_t nl_key;
static pthread_once_t nl_once = PTHREAD_ONCE_INIT;

static void free_list(struct mp_dnode *n)
{
    while (n) {
        struct mp_dnode *next = n->link;
        free(n);
        n = next;
    }
}

/* Free every node this thread holds: after one grace period none of
 * its retired nodes can still be read by a popper.  Where no grace
 * period may be waited for, the retired ones stay (the thread's exit
 * hook, or its next recycle, frees them). */
void mp_depot_thread_release(void)
{
    free_list(nl.spare);
    nl.spare = NULL;
    nl.nspare = 0;
    if (nl.retired && !mp_grace_period())
        return;
    free_list(nl.retired);
    nl.retired = NULL;
    nl.nretired = 0;
}

static void nodes_thread_exit(void *arg)
{
    (void)arg;
    mp_depot_thread_release();
    nl.key_set = false;
}

static void nl_init_once(void)
{
    (void)pthread_key_create(&nl_key, nodes_thread_exit);
}

static struct mp_dnode *node_get(void)
{
    struct mp_dnode *n = nl.spare;
    if (n) {
        nl.spare = n->link;
        nl.nspare--;
        return n;
    }
    n = malloc(sizeof(*n));
    if (n)
        cds_lfs_node_init(&n->node);
    return n;
}

/* A grace period after the pops of every retired node: reuse them.
 * Without may_wait (a pop made under mp_reg_lock: destroy, trim, the
 * sweeper) only if others' grace periods have already covered them: a
 * reader of a program sharing magpool's RCU domain (rcu.c) may be waiting
 * for that lock inside its read-side section, and a grace period waited
 * for there would wait for it forever.  Nor if this thread may not wait
 * (inside such a section itself).  Either way it tries again later. */
static void recycle(bool may_wait)
{
    if (mp_gp_now() < nl.retired_seq + 2 &&
        (!may_wait || !mp_grace_period()))
        return;
    while (nl.retired) {
        struct mp_dnode *n = nl.retired;
        nl.retired = n->link;
        if (nl.nspare < MP_SPARE_MAX) {
            n->link = nl.spare;
            nl.spare = n;
            nl.nspare++;
        } else {
            free(n);
        }
    }
    nl.nretired = 0;
}

static void node_retire(struct mp_dnode *n, bool may_wait)
{
    if (!nl.key_set) {
        pthread_once(&nl_once, nl_init_once);
        (void)pthread_setspecific(nl_key, &nl);
        nl.key_set = true;
    }
    n->link = nl.retired;
    nl.retired = n;
    nl.retired_seq = mp_gp_now();
    if (++nl.nretired >= MP_RETIRE_BATCH)
        recycle(may_wait);
}

/* After a lock was dropped (destroy, trim, a sweeper pass): the recycling
 * that its pops deferred, waiting for a grace period if need be. */
void mp_depot_recycle(void)
{
    if (nl.nretired >= MP_RETIRE_BATCH)
        recycle(true);
}

void mp_depot_init(struct mp_depot *d)
{
    __cds_lfs_init(&d->full);
    __cds_lfs_init(&d->empty);
    atomic_init(&d->nfull, 0);
    atomic_init(&d->nempty, 0);
    atomic_init(&d->rounds, 0);
    atomic_init(&d->full_low, 0);
    atomic_init(&d->empty_low, 0);
    atomic_init(&d->full_hits, 0);
    atomic_init(&d->empty_hits, 0);
    atomic_init(&d->exchanges, 0);
}

/* Lower *low to v if v is below it (a running minimum; relaxed because
 * the estimate tolerates a lost update). */
static void lower_to(atomic_long *low, long v)
{
    long cur = atomic_load_explicit(low, memory_order_relaxed);
    while (v < cur &&
           !atomic_compare_exchange_weak_explicit(low, &cur, v,
                                                  memory_order_relaxed,
                                                  memory_order_relaxed))
        ;
}

/* Push mag; false when no node could be allocated. */
static bool push(struct __cds_lfs_stack *stack, struct mp_mag *mag)
{
    struct mp_dnode *n = node_get();
    if (!n)
        return false;
    /* Release: whoever pops the node sees mag->n and the rounds. */
    atomic_store_explicit(&n->mag, mag, memory_order_release);
    cds_lfs_push(stack, &n->node);
    return true;
}

void mp_depot_put_full(struct magpool *pool, struct mp_mag *mag)
{
    struct mp_depot *d = &pool->depot;
    if (pool->depot_max &&
        atomic_load_explicit(&d->nfull, memory_order_relaxed) >=
            (long)pool->depot_max) {
        /* Over the depot limit: the rounds go back to the slab now. */
        mp_slab_free(pool, &mag->rounds[1], mag->n);
        mag->n = 0;
        mp_depot_put_empty(pool, mag);
        return;
    }
    unsigned n = mag->n;
    atomic_fetch_add_explicit(&d->rounds, n, memory_order_relaxed);
    atomic_fetch_add_explicit(&d->nfull, 1, memory_order_relaxed);
    if (!push(&d->full, mag)) {
        atomic_fetch_sub_explicit(&d->rounds, n, memory_order_relaxed);
        atomic_fetch_sub_explicit(&d->nfull, 1, memory_order_relaxed);
        mp_slab_free(pool, &mag->rounds[1], n);
        mp_mag_free_now(mag);
    }
}

void mp_depot_put_empty(struct magpool *pool, struct mp_mag *mag)
{
    struct mp_depot *d = &pool->depot;
    atomic_fetch_add_explicit(&d->nempty, 1, memory_order_relaxed);
    if (!push(&d->empty, mag)) {
        atomic_fetch_sub_explicit(&d->nempty, 1, memory_order_relaxed);
        mp_mag_free_now(mag);
    }
}

static struct mp_mag *pop(struct __cds_lfs_stack *stack, bool may_wait)
{
    bool temporary = mp_rcu_read_begin();
    struct cds_lfs_node *node = __cds_lfs_pop(stack);
    mp_rcu_read_end(temporary);
    if (!node)
        return NULL;
    struct mp_dnode *n = caa_container_of(node, struct mp_dnode, node);
    struct mp_mag *mag = atomic_load_explicit(&n->mag, memory_order_acquire);
    node_retire(n, may_wait);
    return mag;
}

/* Pop a full magazine; hit: a get that ran dry takes it (a depot hit,
 * a statistic; relaxed, a count) rather than a thread setting up its
 * cache or the sweeper taking it back.  The exchanges that pace the
 * magazine size are counted by the slow paths (mp_mag_note_trade). */
static struct mp_mag *take_full(struct magpool *pool, bool hit,
                                bool may_wait)
{
    struct mp_depot *d = &pool->depot;
    struct mp_mag *mag = pop(&d->full, may_wait);
    if (!mag)
        return NULL;
    long left = atomic_fetch_sub_explicit(&d->nfull, 1,
                                          memory_order_relaxed) - 1;
    lower_to(&d->full_low, left);
    atomic_fetch_sub_explicit(&d->rounds, mag->n, memory_order_relaxed);
    if (hit)
        atomic_fetch_add_explicit(&d->full_hits, 1, memory_order_relaxed);
    return mag;
}

static struct mp_mag *take_empty(struct magpool *pool, bool hit,
                                 bool may_wait)
{
    struct mp_depot *d = &pool->depot;
    struct mp_mag *mag = pop(&d->empty, may_wait);
    if (!mag)
        return NULL;
    long left = atomic_fetch_sub_explicit(&d->nempty, 1,
                                          memory_order_relaxed) - 1;
    lower_to(&d->empty_low, left);
    if (hit)
        atomic_fetch_add_explicit(&d->empty_hits, 1, memory_order_relaxed);
    return mag;
}

struct mp_mag *mp_depot_get_full(struct magpool *pool)
{
    return take_full(pool, true, true);
}

struct mp_mag *mp_depot_get_empty(struct magpool *pool)
{
    return take_empty(pool, true, true);
}

/* A magazine for a thread's new cache slot: a full one if the depot has
 * one, else an empty one of the pool's current size, else NULL (the
 * caller makes one).  A thread that exits or flushes gives its magazines
 * to the depot and the next slot takes them back from there, so thread
 * lifetimes and flushes neither pile magazines up in the depot nor count
 * as the traffic that grows a busy pool's magazines. */
struct mp_mag *mp_depot_reuse(struct magpool *pool)
{
    struct mp_mag *mag = take_full(pool, false, true);
    if (mag)
        return mag;
    mag = take_empty(pool, false, true);
    if (mag && mag->cap != atomic_load_explicit(&pool->cap,
                                                memory_order_relaxed)) {
        mp_mag_free_now(mag); /* made before the size changed */
        mag = NULL;
    }
    return mag;
}

/* Take up to `full` full and `empty` empty magazines off the depot,
 * return their objects to the slab and free them.  Returns the bytes the
 * slab gave back to the kernel. */
size_t mp_depot_shrink(struct magpool *pool, long full, long empty)
{
    size_t unmapped = 0;
    struct mp_mag *mag;
    /* Under mp_reg_lock: pops that never wait (see recycle), and not
     * depot hits. */
    for (long i = 0; i < full && (mag = take_full(pool, false, false)); i++) {
        unmapped += mp_slab_free(pool, &mag->rounds[1], mag->n);
        atomic_fetch_add_explicit(&pool->swept, mag->n,
                                  memory_order_relaxed); /* a count */
        mp_mag_free_now(mag);
    }
    for (long i = 0; i < empty && (mag = take_empty(pool, false, false));
         i++)
        mp_mag_free_now(mag);
    return unmapped;
}
