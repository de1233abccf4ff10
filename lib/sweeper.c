/*
 * sweeper.c - the background thread that gives memory back to the kernel.
 *
 * Owns: the sweeper thread and its interval; the working-set estimate.
 * Each pass also lets quiet pools' magazines shrink (depot.c) and
 * completes one grace period for the depots' retired nodes (depot.c).
 *
 * Working set (as Bonwick's depot and FreeBSD's UMA): over each interval
 * the depot records the lowest number of full magazines it held
 * (full_low, lowered on every pop).  Magazines that stayed below that mark
 * the whole interval were never needed: the sweeper takes exactly that
 * many, returns their objects to the slab (which unmaps chunks that become
 * entirely free) and resets the mark.  A steady workload keeps its low
 * mark near zero and loses nothing; an idle pool is emptied within two
 * intervals.  Empty magazines are trimmed the same way.  Before that, it
 * takes the previous magazine of every thread idle on the pool for two
 * passes into the depot (tcache.c), so that the estimate returns it at
 * the next pass; a thread's loaded magazine only the thread may take,
 * so the pass asks it to, at its next slow path on another pool (see
 * magpool(7) for what an idle thread keeps).  After that, chunks that
 * still hold an object in use give back their pages that hold only free
 * objects (slab.c).
 *
 * Never started from a constructor: GlusterFS daemonizes with fork()
 * after loading, and a thread started before that would be lost.
 *
 * Synchronization:
 *   start and stop   sw_ctl, held for the whole of each, the join
 *                    included, so a start cannot slip between a stop's
 *                    request and its join (the thread never takes sw_ctl).
 *   sw_* state       sw_lock; the thread sleeps on sw_cond (monotonic).
 *   signals          the thread is created with every signal blocked, so
 *                    a process's signal handlers never run on it (as
 *                    GlusterFS does for its own threads).
 *   sweeping         the thread holds mp_reg_lock for one pass, so pools
 *                    cannot be destroyed, nor threads' caches freed,
 *                    under it; it drops sw_lock first (lock order:
 *                    sw_lock -> mp_reg_lock -> slab.lock).
 *   fork             sw_ctl and sw_lock are held across fork(); the child
 *                    restarts the thread if the parent had one.
 *
 * Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).
 */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <time.h>

#include "mp.h"

static pthread_mutex_t sw_ctl = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t sw_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sw_cond;
static pthread_once_t sw_once = PTHREAD_ONCE_INIT;
static pthread_t sw_thread;
static bool sw_running, sw_stop;
static unsigned sw_interval_ms;
static unsigned long sw_generation;

static void sw_init_once(void)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&sw_cond, &a);
    pthread_condattr_destroy(&a);
}

long long mp_sweep_pool(struct magpool *pool, bool everything)
{
    struct mp_depot *d = &pool->depot;
    long nfull = atomic_load_explicit(&d->nfull, memory_order_relaxed);
    long nempty = atomic_load_explicit(&d->nempty, memory_order_relaxed);
    /* Relaxed: the estimate is advisory; a pop racing the reset only
     * makes the next interval's mark a little lower. */
    long low_full = atomic_exchange_explicit(&d->full_low, nfull,
                                             memory_order_relaxed);
    long low_empty = atomic_exchange_explicit(&d->empty_low, nempty,
                                              memory_order_relaxed);
    if (everything)
        low_full = low_empty = LONG_MAX;
    long long unmapped = 0;
    if (low_full > 0 || low_empty > 0)
        unmapped = (long long)mp_depot_shrink(pool, low_full, low_empty);
    /* Then the pages of chunks still in use that hold only free objects
     * (slab.c): only chunks that got objects back since their last look.
     * Net of pages carved again there, so possibly negative. */
    unmapped += mp_slab_release_pages(pool, everything);
    atomic_fetch_add_explicit(&pool->sweeps, 1, memory_order_relaxed);
    return unmapped;
}

/* Bytes of objects swept in one pass above which the heap is trimmed
 * even though no chunk went back: the program's working set fell (a
 * GlusterFS brick forgetting its inodes frees their malloc'ed contexts
 * at the same time), and glibc keeps what malloc freed until asked. */
#define MP_TRIM_SWEPT_BYTES (1u << 20)

/* After chunks went back, the magazines that held their objects were
 * freed too; after a large sweep the program's own heap has likely
 * shrunk as well: let glibc return the pages left empty. */
static void trim_heap(size_t unmapped, size_t swept_bytes)
{
#ifdef __GLIBC__
    if (unmapped || swept_bytes >= MP_TRIM_SWEPT_BYTES)
        malloc_trim(0);
#else
    (void)unmapped;
    (void)swept_bytes;
#endif
}

static void sweep_all(void)
{
    long long unmapped = 0;
    size_t swept_bytes = 0;
    unsigned long long now = mp_mono_ns();
    pthread_mutex_lock(&mp_reg_lock);
    unsigned long pass =
        atomic_load_explicit(&mp_sweep_passes, memory_order_relaxed) + 1;
    atomic_store_explicit(&mp_sweep_passes, pass, memory_order_relaxed);
    for (unsigned i = 0; i < MAGPOOL_MAX_POOLS; i++) {
        struct magpool *p = mp_pools[i];
        if (!p || p->dead)
            continue;
        mp_stats_sample(p); /* max-active, sampled (stats.c) */
        mp_mag_shrink_if_quiet(p, now);
        if (!(p->flags & MAGPOOL_F_NOSWEEP)) {
            /* Idle threads' previous magazines into the depot first: the
             * estimate below starts counting them now and returns them
             * at the next pass if nobody needs them. */
            mp_tcache_reclaim_idle(p, pass);
            /* Relaxed: a counter; sweeps, trims and destroys, which add
             * to it, all hold mp_reg_lock, as this pass does. */
            unsigned long before =
                atomic_load_explicit(&p->swept, memory_order_relaxed);
            unmapped += mp_sweep_pool(p, false);
            swept_bytes +=
                (atomic_load_explicit(&p->swept, memory_order_relaxed) -
                 before) * p->slab.stride;
        }
    }
    mp_tcache_trim_spares(pass);
    pthread_mutex_unlock(&mp_reg_lock);
    trim_heap(unmapped > 0 ? (size_t)unmapped : 0, swept_bytes);
    /* Lets threads recycle their retired depot nodes without waiting. */
    mp_grace_period();
    mp_depot_recycle();
}

static void *sweeper_main(void *arg)
{
    (void)arg;
    /* A cache of its own would only hold memory; but it pops depots on
     * every pass, so it is a registered RCU reader for its whole life. */
    mp_rcu_thread_register();
    pthread_mutex_lock(&sw_lock);
    while (!sw_stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        unsigned long long ns = (unsigned long long)ts.tv_nsec +
                                sw_interval_ms * 1000000ull;
        ts.tv_sec += (time_t)(ns / 1000000000ull);
        ts.tv_nsec = (long)(ns % 1000000000ull);
        unsigned long gen = sw_generation;
        int rc = 0;
        while (!sw_stop && gen == sw_generation && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&sw_cond, &sw_lock, &ts);
        if (sw_stop || rc != ETIMEDOUT)
            continue; /* stopped, or the interval changed: re-arm */
        pthread_mutex_unlock(&sw_lock);
        sweep_all();
        pthread_mutex_lock(&sw_lock);
    }
    pthread_mutex_unlock(&sw_lock);
    mp_depot_thread_release();
    mp_rcu_thread_exit();
    return NULL;
}

static int start_locked(void)
{
    sw_stop = false;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&sw_thread, NULL, sweeper_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc) {
        errno = rc;
        return -1;
    }
#ifdef __GLIBC__
    (void)pthread_setname_np(sw_thread, "magpool-sweep");
#endif
    sw_running = true;
    return 0;
}

/* magpool_sweeper_start (pool.c, after global init). */
int mp_sweeper_start(unsigned interval_ms)
{
    pthread_once(&sw_once, sw_init_once);
    pthread_mutex_lock(&sw_ctl);
    pthread_mutex_lock(&sw_lock);
    sw_interval_ms = interval_ms ? interval_ms
                                 : (mp_opt.sweep_ms ? mp_opt.sweep_ms : 1000);
    int rc = 0;
    if (sw_running) {
        sw_generation++;
        pthread_cond_signal(&sw_cond);
    } else {
        rc = start_locked();
    }
    pthread_mutex_unlock(&sw_lock);
    pthread_mutex_unlock(&sw_ctl);
    return rc;
}

void mp_sweeper_stop(void)
{
    pthread_once(&sw_once, sw_init_once);
    pthread_mutex_lock(&sw_ctl);
    pthread_mutex_lock(&sw_lock);
    if (!sw_running) {
        pthread_mutex_unlock(&sw_lock);
        pthread_mutex_unlock(&sw_ctl);
        return;
    }
    sw_stop = true;
    pthread_cond_signal(&sw_cond);
    pthread_t t = sw_thread;
    pthread_mutex_unlock(&sw_lock);
    pthread_join(t, NULL);
    pthread_mutex_lock(&sw_lock);
    sw_running = false;
    pthread_mutex_unlock(&sw_lock);
    pthread_mutex_unlock(&sw_ctl);
}

MP_EXPORT size_t magpool_trim(struct magpool *pool)
{
    /* Summed signed over pools and chunks: a chunk that took pages back
     * counts against another that gave them (magpool(3): the drop of
     * the whole, 0 if it rose). */
    long long unmapped = 0;
    bool temporary = mp_rcu_enter(); /* before mp_reg_lock (rcu.c) */
    pthread_mutex_lock(&mp_reg_lock);
    for (unsigned i = 0; i < MAGPOOL_MAX_POOLS; i++) {
        struct magpool *p = mp_pools[i];
        if (p && !p->dead && (!pool || p == pool))
            unmapped += mp_sweep_pool(p, true);
    }
    pthread_mutex_unlock(&mp_reg_lock);
    size_t fell = unmapped > 0 ? (size_t)unmapped : 0;
    trim_heap(fell, 0);
    mp_depot_recycle(); /* what the pops above deferred */
    mp_rcu_leave(temporary);
    return fell;
}

void mp_sweeper_fork_prepare(void)
{
    pthread_once(&sw_once, sw_init_once);
    pthread_mutex_lock(&sw_ctl);
    pthread_mutex_lock(&sw_lock);
}

void mp_sweeper_fork_parent(void)
{
    pthread_mutex_unlock(&sw_lock);
    pthread_mutex_unlock(&sw_ctl);
}

void mp_sweeper_fork_child(void)
{
    pthread_mutex_init(&sw_ctl, NULL);
    pthread_mutex_init(&sw_lock, NULL);
    sw_init_once();
    if (sw_running) {
        pthread_mutex_lock(&sw_lock);
        sw_running = false;
        if (start_locked())
            mp_log(MP_MSG_CONFIG, "cannot restart the sweeper after fork");
        pthread_mutex_unlock(&sw_lock);
    }
}
