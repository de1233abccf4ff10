/*
 * tcache.c - thread caches: their creation, the registry of live threads,
 * thread exit and fork().
 *
 * Layer: above depot and debug (lib/LAYERS).
 *
 * Owns: struct mp_tcache (one per thread that ever took a slow path),
 * struct mp_tslot (one per thread and pool), magpool_tls (this thread's
 * view of its magazine tops, mp.h) and the sentinels, the count of
 * sweeper passes that dates each slot's last use, the thread-exit hook
 * and what a fork child does with the caches of threads that are gone.
 *
 * Synchronization:
 *   mp_tc (TLS)            the owner thread only.
 *   tc's slot of pool i    set by the owner (release, so that a reader
 *                          under mp_reg_lock sees an initialized slot);
 *                          cleared and freed, under mp_reg_lock, by
 *                          magpool_destroy while no thread uses that
 *                          pool, or by the owner (magpool_thread_flush,
 *                          thread exit, drop_idle_slots).
 *   slot->loaded           only the owner takes it away (the fast path
 *                          uses it without atomics); the sweeper only
 *                          asks, by setting tc->drop_idle (relaxed: a
 *                          hint), and the owner's next slow path gives
 *                          the idle slots' magazines to the depots.
 *   slot->prev             claimed by the owner's slow paths with an
 *                          exchange and stored back with release
 *                          (magazine.c); taken by the sweeper from a slot
 *                          idle for two passes, with an exchange, under
 *                          mp_reg_lock (mp_tcache_reclaim_idle).
 *   mp_threads, tc->link   mp_reg_lock.
 *   tc->gets[i]            the owner adds to it (relaxed load + store, the
 *                          inline fast path); under mp_reg_lock others read
 *                          it, and fold it into the pool's gets_gone and
 *                          zero it when the thread exits, dies in a fork or
 *                          the pool is destroyed (no thread may then use
 *                          the pool, so the owner is not writing it).
 *   A tcache leaves mp_threads only under mp_reg_lock: at its thread's
 *   exit (then kept as a spare, under the same lock, or unmapped after
 *   it), or in a fork child for the threads gone; so anyone walking
 *   mp_threads under the lock may read it.
 *   tc->moving             a sequence count, written by the owner only:
 *                          odd while its slow path moves magazines or
 *                          objects between its slots, the depot and the
 *                          slab (magazine.c brackets them; so does a
 *                          slot's creation here).  A statistics reader,
 *                          under mp_reg_lock (so the list of caches holds
 *                          still), sums every cache's count before and
 *                          after it reads the threads', the depot's and
 *                          the slab's objects, and trusts the read only
 *                          if no count was odd or moved (stats.c).  Moves
 *                          made under mp_reg_lock (flush, thread exit,
 *                          the sweeper, trim, destroy) need no bracket:
 *                          the reader holds the lock.
 *   spare_caches, nspare   mp_reg_lock.  A spare's tops, slots and
 *                          counters are as a new cache's, but its tops,
 *                          which a new thread must find set, are set
 *                          again when it is taken.
 *   A thread with a tcache is a registered RCU reader until its exit hook
 *   (rcu.c); after the hook it never creates one again.
 *   fork: pool.c's prepare handler takes every magpool lock (init,
 *   sweeper, registry, RCU, slabs, os), so the child starts from
 *   consistent structures.  The caches of the threads that did not survive are
 *   dropped, not flushed: such a thread may have been stopped anywhere in
 *   a slow path, between the stores that swap its magazines, so no
 *   magazine of its can be trusted.  Their objects stay counted as in use
 *   (magpool(7)).
 *
 * Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).
 */
#include <stdlib.h>

#include "mp.h"

CDS_LIST_HEAD(mp_threads);

void *mp_sentinel[2] = { NULL, MP_END };

/* Never written: every entry sends get and put to their slow paths. */
void **mp_sentinel_tops[MAGPOOL_MAX_POOLS] = {
    [0 ... MAGPOOL_MAX_POOLS - 1] = &mp_sentinel[1]
};

MP_EXPORT __thread struct magpool_tls magpool_tls
    __attribute__((tls_model("initial-exec"))) = { mp_sentinel_tops, 0 };

/* Passes of the sweeper so far.  Written by the sweeper only, under
 * mp_reg_lock; read with relaxed loads by every slow path (take_prev in
 * magazine.c) to date its slot, and by mp_tcache_reclaim_idle to find
 * the idle ones: a label, ordering nothing. */
atomic_ulong mp_sweep_passes;

/* Pool idx's slot in tc (the slots are stored in reverse, mp_types.h). */
static inline _Atomic(struct mp_tslot *) *tc_slot(struct mp_tcache *tc,
                                                  unsigned idx)
{
    return &tc->slot_rev[MAGPOOL_MAX_POOLS - 1 - idx];
}

static __thread struct mp_tcache *mp_tc
    __attribute__((tls_model("initial-exec")));
static pthread_key_t exit_key;

static void thread_exit(void *arg);

void mp_tcache_init_once(void)
{
    (void)pthread_key_create(&exit_key, thread_exit);
}

/* Caches of exited threads, kept for the next threads to start (under
 * mp_reg_lock; linked by their link field).  A program that starts and
 * joins a thread per request would otherwise map and unmap a cache for
 * each, and munmap makes every CPU that runs the process flush its TLB:
 * a step of 4 threads started and joined went from 0.13 to 0.26 ms
 * (perf/NOTES.md).  At most MP_SPARE_CACHES; the sweeper unmaps those
 * left unused for two passes, the last magpool_fini all of them.  A
 * cache the kernel refuses to unmap (mp_os_pages_free) is kept as a
 * spare whatever their number, its memory given back, and unmapping is
 * tried again two passes later. */
#define MP_SPARE_CACHES 32u
static CDS_LIST_HEAD(spare_caches);
static unsigned nspare;

static struct mp_tcache *take_spare(void)
{
    if (cds_list_empty(&spare_caches))
        return NULL;
    /* The latest left: its pages are the likeliest still cached. */
    struct mp_tcache *tc =
        cds_list_first_entry(&spare_caches, struct mp_tcache, link);
    cds_list_del(&tc->link);
    nspare--;
    return tc;
}

/* Adds tc, flushed (or emptied by the kernel) and out of mp_threads, to
 * the spares.  mp_reg_lock held. */
static void park_spare(struct mp_tcache *tc)
{
    /* Relaxed: the sweeper writes it under mp_reg_lock, held here. */
    tc->spare_pass =
        atomic_load_explicit(&mp_sweep_passes, memory_order_relaxed);
    cds_list_add(&tc->link, &spare_caches);
    nspare++;
}

/* Keeps tc for the next thread; false when there are enough already (the
 * caller then releases it).  mp_reg_lock held. */
static bool keep_spare(struct mp_tcache *tc)
{
    if (nspare >= MP_SPARE_CACHES)
        return false;
    park_spare(tc);
    return true;
}

/* Unmaps tc, out of every list, or keeps it as a spare if the kernel
 * refuses.  mp_reg_lock held. */
static void release_cache(struct mp_tcache *tc)
{
    if (!mp_os_pages_free(tc, sizeof(*tc)))
        park_spare(tc);
}

/* Unmaps every spare (all) or those no thread took for two passes
 * before pass.  One the kernel refuses goes back, emptied, to the head of
 * the list, which the walk has passed, dated now: tried again two passes
 * later.  mp_reg_lock held. */
static void release_spares(bool all, unsigned long pass)
{
    struct mp_tcache *tc, *tmp;
    cds_list_for_each_entry_safe(tc, tmp, &spare_caches, link) {
        if (!all && pass - tc->spare_pass < 2)
            continue;
        cds_list_del(&tc->link);
        nspare--;
        release_cache(tc);
    }
}

/* Sweeper, mp_reg_lock held, at pass number pass: unmap the spare
 * caches no thread took for two passes. */
void mp_tcache_trim_spares(unsigned long pass)
{
    release_spares(false, pass);
}

/* The last magpool_fini, mp_reg_lock held: unmap every spare cache. */
void mp_tcache_drop_spares(void)
{
    release_spares(true, 0);
}

/* This thread's cache, created on its first slow path; NULL when there is
 * no memory for it, or when the thread is past its exit hook (the slow
 * paths then trade single objects with the slab). */
static struct mp_tcache *tcache_self(void)
{
    struct mp_tcache *tc = mp_tc;
    if (tc)
        return tc;
    if (mp_rcu_thread_exiting())
        return NULL;
    /* From a spare or the kernel to mp_threads under one hold of the
     * lock, so that a fork child finds the cache of a thread caught here
     * in mp_threads and unmaps it with the thread's. */
    pthread_mutex_lock(&mp_reg_lock);
    tc = take_spare();
    /* Else a mapping of its own, not calloc: the pages the thread never
     * writes (the slots and counters of pools it does not use) then take
     * no memory, where calloc zeroes a recycled block whole. */
    if (!tc)
        tc = mp_os_pages(sizeof(*tc));
    /* Without the exit hook the cache could not be flushed, nor the RCU
     * registration undone, when the thread exits. */
    if (tc && pthread_setspecific(exit_key, tc)) {
        release_cache(tc);
        tc = NULL;
    }
    if (tc) {
        /* A spare's slots and counters are empty and its tops the
         * sentinel (its thread flushed it), or all of it zero (the kernel
         * emptied it); its flag may be set. */
        for (unsigned i = 0; i < MAGPOOL_MAX_POOLS; i++)
            tc->tops[i] = &mp_sentinel[1];
        atomic_store_explicit(&tc->drop_idle, false, memory_order_relaxed);
        cds_list_add(&tc->link, &mp_threads);
    }
    pthread_mutex_unlock(&mp_reg_lock);
    if (!tc)
        return NULL;
    magpool_tls.key = mp_key_alloc;
    magpool_tls.tops = tc->tops;
    mp_rcu_thread_register();
    mp_tc = tc;
    return tc;
}

static void drop_idle_slots(struct mp_tcache *tc, const struct magpool *busy);

/* Whether slot s's owner has taken no slow path on its pool for two
 * sweeper passes (a whole interval at least) at pass number pass.
 * Relaxed: the owner writes used_pass (take_prev); a stale value costs
 * at most one more depot exchange. */
static bool slot_idle(const struct mp_tslot *s, unsigned long pass)
{
    return pass - atomic_load_explicit(&s->used_pass,
                                       memory_order_relaxed) >= 2;
}

/* In the child of a fork made from inside a read-side section of
 * urcu-mb while magpool waited out a grace period (rcu.c): no thread
 * cache serves a slow path (every get and put that leaves a loaded
 * magazine goes to the slab, under its lock), so that the depot is
 * touched only under mp_reg_lock.  Said once. */
static bool caches_off(void)
{
    static atomic_bool said;
    if (MP_LIKELY(!mp_rcu_stepped_aside()))
        return false;
    /* Relaxed: only which thread says it is decided here. */
    if (!atomic_exchange_explicit(&said, true, memory_order_relaxed))
        mp_log(MP_MSG_CONFIG,
               "this process was forked from inside a urcu-mb read-side "
               "section while a thread of magpool's was inside liburcu (a "
               "grace period or a registration): liburcu "
               "may be unusable here, so magpool no longer calls it and "
               "serves gets and puts from its slab, without thread caches "
               "(slower; nothing is lost)");
    return true;
}

struct mp_tslot *mp_tslot_get(struct magpool *pool)
{
    if (caches_off())
        return NULL;
    struct mp_tcache *tc = tcache_self();
    if (!tc)
        return NULL;
    /* Relaxed: a hint from the sweeper; a late look costs a pass. */
    if (MP_UNLIKELY(atomic_load_explicit(&tc->drop_idle,
                                         memory_order_relaxed)))
        drop_idle_slots(tc, pool);
    struct mp_tslot *s =
        atomic_load_explicit(tc_slot(tc, pool->idx), memory_order_relaxed);
    if (s)
        return s;
    s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    /* A magazine an exited or flushed slot left in the depot first, so
     * that thread lifetimes do not add magazines (depot.c).  It leaves
     * the depot's count before the slot that counts it is published: a
     * move (see the top of this file). */
    mp_tcache_move_begin();
    struct mp_mag *mag = mp_depot_reuse(pool);
    if (!mag)
        mag = mp_mag_new(pool);
    if (!mag) {
        mp_tcache_move_end();
        free(s);
        return NULL;
    }
    s->pool = pool;
    s->trades_since_ns = mp_mono_ns(); /* its first window of trades */
    atomic_init(&s->loaded, mag);
    MP_TOP_SET(&tc->tops[pool->idx], &mag->rounds[1 + mag->n]);
    /* Release: a stats reader that finds the slot sees it initialized. */
    atomic_store_explicit(tc_slot(tc, pool->idx), s, memory_order_release);
    mp_tcache_move_end();
    return s;
}

unsigned mp_tslot_loaded_n(const struct mp_tcache *tc,
                           const struct mp_tslot *s)
{
    struct mp_mag *mag =
        atomic_load_explicit(&s->loaded, memory_order_relaxed);
    if (!mag)
        return 0;
    /* Relaxed: a racy snapshot is all stats promise while threads run. */
    void **top = __atomic_load_n(&tc->tops[s->pool->idx], __ATOMIC_RELAXED);
    /* Bounds from the pool's largest magazine, cap_max, fixed when the
     * pool was made: mag->cap is not read here, since the magazine may
     * have been made by a thread this one never synced with, and freed
     * since.  A top read after the owner swapped in another magazine
     * points into that one, wherever it lies; within these bounds it
     * counts at most what one magazine of the pool can hold. */
    if (top < &mag->rounds[1] || top > &mag->rounds[1 + s->pool->cap_max])
        return 0; /* caught mid-swap */
    return (unsigned)(top - &mag->rounds[1]);
}

/* Give a slot's magazines to its pool's depot and free the slot.  Called
 * with mp_reg_lock held. */
void mp_tslot_flush(struct mp_tcache *tc, struct mp_tslot *s)
{
    struct magpool *pool = s->pool;
    struct mp_mag *mags[2] = {
        atomic_load_explicit(&s->loaded, memory_order_relaxed),
        atomic_load_explicit(&s->prev, memory_order_relaxed),
    };
    if (mags[0])
        mags[0]->n = mp_tslot_loaded_n(tc, s);
    /* Relaxed: the owner is this thread, or gone (fork child), or not
     * using the pool (destroy); the store orders nothing. */
    __atomic_store_n(&tc->tops[pool->idx], &mp_sentinel[1],
                     __ATOMIC_RELAXED);
    for (int i = 0; i < 2; i++) {
        struct mp_mag *m = mags[i];
        if (!m)
            continue;
        if (m->n)
            mp_depot_put_full(pool, m);
        else
            mp_depot_put_empty(pool, m);
    }
    atomic_store_explicit(tc_slot(tc, pool->idx), NULL, memory_order_relaxed);
    free(s);
}

static void tcache_flush_all(struct mp_tcache *tc)
{
    for (unsigned i = 0; i < mp_pools_end; i++) {
        struct mp_tslot *s =
            atomic_load_explicit(tc_slot(tc, i), memory_order_relaxed);
        if (s)
            mp_tslot_flush(tc, s);
    }
}

MP_EXPORT void magpool_thread_flush(void)
{
    struct mp_tcache *tc = mp_tc;
    if (tc) {
        pthread_mutex_lock(&mp_reg_lock);
        tcache_flush_all(tc);
        pthread_mutex_unlock(&mp_reg_lock);
    }
    mp_depot_thread_release();
}

/* Move a cache's get counts to their pools (mp_reg_lock held): the cache
 * is going away.  A nonzero count belongs to the live pool at its index,
 * since destroy zeroes the counts of its own. */
/* Move tc's count of gets from pool index i to pool p (mp_reg_lock held;
 * p NULL: no pool there, the count is dropped). */
static void fold_gets_of(struct mp_tcache *tc, unsigned i, struct magpool *p)
{
    uint64_t n = __atomic_load_n(&tc->gets[i], __ATOMIC_RELAXED);
    if (!n)
        return;
    if (p)
        /* Relaxed: a counter, read by stats under the same lock. */
        atomic_fetch_add_explicit(&p->gets_gone, n, memory_order_relaxed);
    __atomic_store_n(&tc->gets[i], 0, __ATOMIC_RELAXED);
}

static void fold_gets(struct mp_tcache *tc)
{
    for (unsigned i = 0; i < mp_pools_end; i++)
        fold_gets_of(tc, i, mp_pools[i]);
}

static void thread_exit(void *arg)
{
    struct mp_tcache *tc = arg;
    /* Pointed away first: once spare, the cache may serve another
     * thread.  The flush below reaches it through tc. */
    magpool_tls.tops = mp_sentinel_tops;
    mp_tc = NULL;
    pthread_mutex_lock(&mp_reg_lock);
    tcache_flush_all(tc);
    fold_gets(tc);
    cds_list_del(&tc->link);
    /* Unmapped, when not kept, under the lock too: a fork between
     * leaving the lists and the unmap would leave the child a cache in
     * neither, never unmapped.  Only threads beyond MP_SPARE_CACHES
     * exiting together pay for the munmap there. */
    if (!keep_spare(tc))
        release_cache(tc);
    pthread_mutex_unlock(&mp_reg_lock);
    mp_rcu_thread_exit();
}

/* Called by magpool_destroy with mp_reg_lock held: take the pool's
 * magazines away from every thread. */
void mp_tcache_detach_pool(struct magpool *pool)
{
    struct mp_tcache *tc;
    cds_list_for_each_entry(tc, &mp_threads, link) {
        struct mp_tslot *s =
            atomic_load_explicit(tc_slot(tc, pool->idx), memory_order_acquire);
        if (s)
            mp_tslot_flush(tc, s);
        fold_gets_of(tc, pool->idx, pool);
    }
}

/* Gets of pool counted in live threads' caches (mp_reg_lock held). */
uint64_t mp_tcache_gets(const struct magpool *pool)
{
    uint64_t sum = 0;
    struct mp_tcache *tc;
    cds_list_for_each_entry(tc, &mp_threads, link)
        /* Relaxed: the owner may be adding to it; any recent value. */
        sum += __atomic_load_n(&tc->gets[pool->idx], __ATOMIC_RELAXED);
    return sum;
}

/* Objects of pool held in threads' magazines (mp_reg_lock held). */
uint64_t mp_tcache_rounds(const struct magpool *pool)
{
    uint64_t sum = 0;
    struct mp_tcache *tc;
    cds_list_for_each_entry(tc, &mp_threads, link) {
        struct mp_tslot *s =
            atomic_load_explicit(tc_slot(tc, pool->idx), memory_order_acquire);
        if (!s)
            continue;
        sum += mp_tslot_loaded_n(tc, s);
        /* Acquire: pairs with set_prev's release, so prev_n is the count
         * of the magazine seen (or a later one's). */
        if (atomic_load_explicit(&s->prev, memory_order_acquire))
            sum += atomic_load_explicit(&s->prev_n, memory_order_relaxed);
    }
    return sum;
}

/* The calling thread's slow path starts moving magazines or objects
 * between its slots, the depot and the slab (it has a cache: it got a
 * slot).  Relaxed store, then a release fence: the odd count is ordered
 * before every store of the move, so a reader that sees any of them and
 * then reads the count (after its acquire fence) sees it odd or later. */
void mp_tcache_move_begin(void)
{
    struct mp_tcache *tc = mp_tc;
    unsigned long v = atomic_load_explicit(&tc->moving, memory_order_relaxed);
    atomic_store_explicit(&tc->moving, v + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
}

/* The move is done.  Release: a reader that sees the even count (with
 * acquire) sees every store of the move. */
void mp_tcache_move_end(void)
{
    struct mp_tcache *tc = mp_tc;
    unsigned long v = atomic_load_explicit(&tc->moving, memory_order_relaxed);
    atomic_store_explicit(&tc->moving, v + 1, memory_order_release);
}

/* mp_reg_lock held: the sum of every live cache's move count into *sum;
 * false if a thread is in the middle of a move.  Acquire: pairs with
 * mp_tcache_move_end's release.  Each count only grows, and the list
 * holds still under the lock, so two equal sums mean no thread began or
 * ended a move in between. */
bool mp_tcache_moves(uint64_t *sum)
{
    bool quiet = true;
    uint64_t n = 0;
    struct mp_tcache *tc;
    cds_list_for_each_entry(tc, &mp_threads, link) {
        unsigned long v =
            atomic_load_explicit(&tc->moving, memory_order_acquire);
        quiet &= !(v & 1);
        n += v;
    }
    *sum = n;
    return quiet;
}

/* The owner, at the start of a slow path on pool busy, after the sweeper
 * found one of its slots idle with a loaded magazine: give the magazines
 * of every slot of a sweepable pool it has not taken a slow path on for
 * two passes to their depots, and free the slot, as magpool_thread_flush
 * does for all.  Only the owner may take a loaded magazine (its fast path
 * uses it with plain loads and stores), and a thread in a slow path is in
 * no fast path.  A brick thread that served one volume's inodes and then
 * works for other volumes would otherwise keep a loaded magazine of free
 * inodes, each pinning its page, for every volume it ever served.  A pool
 * still hot on this thread without slow paths loses its magazine too: one
 * slow path later it has a new one (at most once per two passes).
 * mp_reg_lock: the sweeper and stats read the slots under it; the slow
 * path takes it only if it is free, so a get or put never waits for it. */
static MP_NOINLINE void drop_idle_slots(struct mp_tcache *tc,
                                        const struct magpool *busy)
{
    /* Never wait for the lock here: this may be inside a read-side
     * section of a program sharing magpool's RCU domain while a trim or
     * a destroy holds the lock and a grace period waits for that section
     * (rcu.c), or behind a magpool_foreach callback that takes its time.
     * The flag stays set: a later slow path does it. */
    if (pthread_mutex_trylock(&mp_reg_lock))
        return;
    atomic_store_explicit(&tc->drop_idle, false, memory_order_relaxed);
    /* Relaxed: written by the sweeper under the lock held here. */
    unsigned long pass =
        atomic_load_explicit(&mp_sweep_passes, memory_order_relaxed);
    for (unsigned i = 0; i < mp_pools_end; i++) {
        struct mp_tslot *s =
            atomic_load_explicit(tc_slot(tc, i), memory_order_relaxed);
        if (s && s->pool != busy && !(s->pool->flags & MAGPOOL_F_NOSWEEP) &&
            slot_idle(s, pass))
            mp_tslot_flush(tc, s);
    }
    pthread_mutex_unlock(&mp_reg_lock);
}

/* Sweeper, mp_reg_lock held, at pass number pass: take the previous
 * magazine of every thread that has not taken a slow path on pool for
 * two passes (a whole interval at least) and give it to the depot, where
 * the working-set estimate returns it to the slab if it stays unused.  A
 * thread blocked in the kernel for minutes would otherwise keep two
 * magazines of every pool it ever touched.  The loaded one only its owner
 * may take (the fast path uses it with plain loads and stores): the
 * thread is asked to, at its next slow path on any pool
 * (drop_idle_slots).  The owner claims the previous magazine with an
 * exchange at the start of its slow paths (magazine.c, take_prev), so
 * exactly one of them gets it. */
void mp_tcache_reclaim_idle(struct magpool *pool, unsigned long pass)
{
    struct mp_tcache *tc;
    cds_list_for_each_entry(tc, &mp_threads, link) {
        struct mp_tslot *s =
            atomic_load_explicit(tc_slot(tc, pool->idx), memory_order_acquire);
        /* A slot that just became busy again loses its previous
         * magazine, which costs it one exchange. */
        if (!s || !slot_idle(s, pass))
            continue;
        /* Relaxed: a hint to the owner (see the field). */
        if (atomic_load_explicit(&s->loaded, memory_order_relaxed) &&
            !atomic_load_explicit(&tc->drop_idle, memory_order_relaxed))
            atomic_store_explicit(&tc->drop_idle, true,
                                  memory_order_relaxed);
        if (!atomic_load_explicit(&s->prev, memory_order_relaxed))
            continue;
        /* Acquire: pairs with set_prev's release (the rounds and n). */
        struct mp_mag *m =
            atomic_exchange_explicit(&s->prev, NULL, memory_order_acquire);
        if (!m)
            continue; /* the owner claimed it first */
        if (m->n)
            mp_depot_put_full(pool, m);
        else
            mp_depot_put_empty(pool, m);
    }
}

/* ------------------------------------------------------------------ */
/* fork()                                                              */
/* ------------------------------------------------------------------ */

/* In a fork child (pool.c's handler, every magpool lock re-created):
 * threads other than this one are gone.  Their caches are dropped whole
 * (see the top of this file): the objects in them are lost to the child,
 * which is bounded (two magazines per pool per thread) and safe, where
 * flushing a half-swapped cache could hand one object to two owners. */
void mp_tcache_fork_child(void)
{
    struct mp_tcache *tc, *tmp;
    cds_list_for_each_entry_safe(tc, tmp, &mp_threads, link) {
        if (tc == mp_tc)
            continue;
        /* Emptied as a flushed cache is: if the kernel refuses to unmap
         * it, it becomes a spare, and its memory may not be given back
         * (MADV_DONTNEED fails on locked pages).  Relaxed: the child
         * runs alone. */
        for (unsigned i = 0; i < mp_pools_end; i++)
            free(atomic_exchange_explicit(tc_slot(tc, i), NULL,
                                          memory_order_relaxed));
        fold_gets(tc); /* what they got still counts */
        cds_list_del(&tc->link);
        release_cache(tc);
    }
}
