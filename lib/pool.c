/*
 * pool.c - pool lifecycle: create and destroy, the reference-counted
 * process-wide init/fini and the sweeper's control, and the one-time
 * global set-up, fork handlers included.
 *
 * Layer: the top of the core (lib/LAYERS): it calls every file below it
 * and nothing below calls it.  Only the GlusterFS fronts sit above.
 *
 * Owns: the one-time global set-up (options, header key, the thread-exit
 * key, the fork and exit hooks), the init count, the order in which
 * fork's handlers take and release every magpool lock, and the exported
 * lifecycle functions (magpool_create, _destroy, _foreach, _init, _fini,
 * _sweeper_start, _sweeper_stop).  The table of pools is registry.c's.
 *
 * Synchronization:
 *   init_count, sweeper_explicit  init_lock, which is held across
 *                   starting and stopping the sweeper and across fork()
 *                   (the child re-creates it).
 *   fork            the prepare handler takes every magpool lock, in the
 *                   lock order (registry.c), so that the child starts from
 *                   consistent structures: init_lock, the sweeper's,
 *                   mp_reg_lock, RCU's, every pool's slab.lock, os_lock;
 *                   the parent releases them in reverse; the child
 *                   re-creates them and drops the caches of the threads
 *                   that did not survive (tcache.c).
 *
 * Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mp.h"

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned init_count;
/* The running sweeper was started by magpool_sweeper_start(): it runs
 * until magpool_sweeper_stop(), whatever inits and finis come and go (a
 * library's mem_pools_init/fini pair must not stop the program's
 * sweeper).  init_lock. */
static bool sweeper_explicit;

/* The steps of the global set-up done so far.  glibc's pthread_once runs
 * the routine again in a child forked while it was running, so a step
 * done before that fork must not be done twice (pthread_atfork twice
 * would run the prepare handler twice per fork, and the second would wait
 * for the init_lock the first holds).  Written by the set-up only. */
static bool done_key, done_atfork, done_debug, done_stats;
/* The forking thread's nesting of the handlers: 1 inside one fork.  A
 * registration that a fork right after pthread_atfork() returned made
 * twice (the step is marked done just after) runs the handlers twice;
 * only the outer ones act. */
static __thread unsigned fork_depth;

/* ------------------------------------------------------------------ */
/* fork()                                                              */
/* ------------------------------------------------------------------ */

static void fork_prepare(void)
{
    if (fork_depth++)
        return;
    mp_rcu_fork_enter(); /* before any lock (rcu.c) */
    pthread_mutex_lock(&init_lock);
    mp_sweeper_fork_prepare();
    pthread_mutex_lock(&mp_reg_lock);
    mp_rcu_fork_prepare();
    for (unsigned i = 0; i < MAGPOOL_MAX_POOLS; i++)
        if (mp_pools[i])
            pthread_mutex_lock(&mp_pools[i]->slab.lock);
    mp_os_fork_prepare();
}

static void fork_parent(void)
{
    if (--fork_depth)
        return;
    mp_os_fork_parent();
    for (unsigned i = MAGPOOL_MAX_POOLS; i-- > 0;)
        if (mp_pools[i])
            pthread_mutex_unlock(&mp_pools[i]->slab.lock);
    mp_rcu_fork_parent();
    pthread_mutex_unlock(&mp_reg_lock);
    mp_sweeper_fork_parent();
    pthread_mutex_unlock(&init_lock);
    mp_rcu_fork_leave_parent();
}

static void fork_child(void)
{
    if (--fork_depth)
        return;
    mp_os_fork_child();
    for (unsigned i = 0; i < MAGPOOL_MAX_POOLS; i++)
        if (mp_pools[i])
            mp_slab_lock_init(&mp_pools[i]->slab);
    mp_rcu_fork_child();
    mp_reg_lock_init();
    mp_tcache_fork_child(); /* drops the caches of the threads gone */
    mp_sweeper_fork_child();
    pthread_mutex_init(&init_lock, NULL);
}

/* ------------------------------------------------------------------ */
/* Global set-up                                                       */
/* ------------------------------------------------------------------ */

static void global_init_once(void)
{
    mp_options_init();
    mp_rcu_init();
    if (!done_key) {
        mp_registry_init_key();
        mp_tcache_init_once();
        done_key = true;
    }
    if (!done_atfork) {
        (void)pthread_atfork(fork_prepare, fork_parent, fork_child);
        done_atfork = true;
    }
    if (!done_debug) {
        mp_debug_init();
        done_debug = true;
    }
    if (mp_opt.stats_path && !done_stats) {
        atexit(mp_stats_at_exit);
        done_stats = true;
    }
}

void mp_global_init(void) { pthread_once(&global_once, global_init_once); }

/* Rounds per magazine: MAGPOOL_MAG_BYTES of objects, at least 16 and
 * at most 128 objects, except that the floor of 16 is lowered for large
 * objects so that a magazine holds no more than MP_MAG_FLOOR_BYTES (but
 * at least MP_MAG_MIN objects): every thread may keep two magazines of
 * every pool it touches, and a GlusterFS brick runs dozens of threads
 * through its 2.8 KiB rpcsvc_request_t pool (magpool(7), MEMORY AN IDLE
 * THREAD KEEPS).  A busy pool's magazines still grow (magazine.c). */
static unsigned default_capacity(size_t obj_size)
{
    size_t floor = MP_MAG_FLOOR_BYTES / (obj_size + MP_HDR_SIZE);
    if (floor > 16)
        floor = 16;
    if (floor < MP_MAG_MIN)
        floor = MP_MAG_MIN;
    size_t cap = mp_opt.mag_bytes / obj_size;
    if (cap < floor)
        cap = floor;
    if (cap > 128)
        cap = 128;
    return (unsigned)cap;
}

/* A caller compiling get and put inline (magpool/inline.h) passes the
 * layout it was built for; another than ours is refused, with a message
 * naming what (how the pool was asked for) and name.  0, or -1 with
 * errno EPROTO. */
int mp_abi_check(const char *what, const char *name, unsigned abi)
{
    if (abi == MAGPOOL_INLINE_ABI)
        return 0;
    mp_log(MP_MSG_CONFIG, "%s \"%s\": the caller was compiled for inline "
           "ABI %u, this library has %u", what, name ? name : "", abi,
           MAGPOOL_INLINE_ABI);
    errno = EPROTO;
    return -1;
}

MP_EXPORT struct magpool *magpool_create_abi(const char *name,
                                             size_t obj_size,
                                             const struct magpool_options *opts,
                                             unsigned abi)
{
    if (mp_abi_check("pool", name, abi))
        return NULL;
    return magpool_create(name, obj_size, opts);
}

MP_EXPORT struct magpool *magpool_create(const char *name, size_t obj_size,
                                         const struct magpool_options *opts)
{
    mp_global_init();
    if (obj_size == 0 || obj_size > MAGPOOL_MAX_OBJECT_SIZE) {
        errno = EINVAL;
        return NULL;
    }
    if (opts && ((opts->mag_capacity &&
                  (opts->mag_capacity < MP_MAG_MIN ||
                   opts->mag_capacity > MP_MAG_MAX)) ||
                 (opts->flags & ~MAGPOOL_F_NOSWEEP))) {
        errno = EINVAL;
        return NULL;
    }
    struct magpool *pool = calloc(1, sizeof(*pool));
    if (!pool) {
        errno = ENOMEM;
        return NULL;
    }
    pool->obj_size = obj_size;
    pool->sizeof_type = obj_size;
    snprintf(pool->name, sizeof(pool->name), "%s", name ? name : "magpool");
    pool->gf_name = pool->name;
    pool->xl_name = pool->name;
    pool->owner.next = pool->owner.prev = &pool->owner;
    unsigned cap = opts && opts->mag_capacity ? opts->mag_capacity
                                              : default_capacity(obj_size);
    atomic_init(&pool->cap, cap);
    pool->cap_min = pool->cap_max = cap;
    if (!(opts && opts->mag_capacity)) {
        /* Adaptive: a hot pool's magazines may grow to
         * MAGPOOL_MAG_GROW_BYTES of objects (never below the start). */
        size_t most = mp_opt.mag_grow_bytes / (obj_size + MP_HDR_SIZE);
        pool->cap_max = (unsigned)(most < cap ? cap
                                   : most > MP_MAG_MAX ? MP_MAG_MAX : most);
    }
    atomic_init(&pool->passthrough_refs, 1); /* the pool's own reference */
    pool->depot_max = opts && opts->depot_max ? opts->depot_max
                                              : mp_opt.depot_max;
    pool->flags = opts ? opts->flags : 0;
    mp_depot_init(&pool->depot);
    mp_slab_init(pool);
    size_t block = pool->slab.stride;
    unsigned p2 = 0;
    while ((1ul << p2) < block)
        p2++;
    pool->gf_shared.power_of_two = p2;
    pool->gf_pool = &pool->gf_shared;

    pthread_mutex_lock(&mp_reg_lock);
    unsigned idx = 0;
    while (idx < MAGPOOL_MAX_POOLS && mp_pools[idx])
        idx++;
    if (idx == MAGPOOL_MAX_POOLS || mp_stats_reserve(pool)) {
        pthread_mutex_unlock(&mp_reg_lock);
        pthread_mutex_destroy(&pool->slab.lock);
        free(pool);
        errno = idx == MAGPOOL_MAX_POOLS ? ENOSPC : ENOMEM;
        return NULL;
    }
    pool->idx = idx;
    if (idx >= mp_pools_end)
        mp_pools_end = idx + 1;
    pool->hdr_alloc = idx ^ mp_key_alloc;
    /* Release: lock-free readers of mp_pools[] see a finished pool. */
    __atomic_store_n(&mp_pools[idx], pool, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&mp_reg_lock);
    return pool;
}

/* mem_pool_new_fn's semantics, shared by both GlusterFS fronts
 * (gluster_compat.c and gluster_front.c): GlusterFS rejects a zero size and any
 * whose block (object + its 40-byte header) exceeds 1 MiB, and keeps the
 * caller's name string. */
struct magpool *mp_gf_pool_new(void *ctx, unsigned long sizeof_type,
                               unsigned long count, char *name)
{
    if (!sizeof_type || sizeof_type > MP_GF_MAX_BLOCK - MP_GF_HDR_SIZE) {
        mp_log(MP_MSG_CONFIG, "mem_pool_new_fn(\"%s\", %lu): invalid size",
               name ? name : "", sizeof_type);
        errno = EINVAL;
        return NULL;
    }
    struct magpool *p = magpool_create(name, sizeof_type, NULL);
    if (!p)
        return NULL;
    p->count = count;
    p->ctx = ctx;
    if (name)
        p->gf_name = name;
    return p;
}

MP_EXPORT void magpool_destroy(struct magpool *pool)
{
    if (!pool) {
        errno = EINVAL;
        return;
    }
    bool temporary = mp_rcu_enter(); /* before mp_reg_lock (rcu.c) */
    pthread_mutex_lock(&mp_reg_lock);
    if (mp_opt.disable) {
        mp_stats_keep_destroyed(pool);
        /* Dead first: the put that drops the last reference frees the
         * pool, and needs mp_reg_lock to do so, which is held here. */
        pool->dead = true;
        unsigned long refs = atomic_fetch_sub_explicit(
            &pool->passthrough_refs, 1, memory_order_acq_rel);
        if (refs == 1)
            mp_pool_release_dead(pool);
        else
            mp_log(MP_MSG_LEAK,
                   "pool \"%s\" destroyed with %lu objects still in use; "
                   "the pool is freed when the last is put back",
                   pool->name, refs - 1);
        pthread_mutex_unlock(&mp_reg_lock);
        mp_rcu_leave(temporary);
        return;
    }
    mp_tcache_detach_pool(pool);
    mp_depot_shrink(pool, LONG_MAX, LONG_MAX); /* every free object */
    mp_debug_drain(pool); /* and the quarantined ones */
    mp_stats_keep_destroyed(pool);
    uint64_t out = pool->slab.out;
    if (out) {
        mp_log(MP_MSG_LEAK,
               "pool \"%s\" destroyed with %llu objects still in use; "
               "their memory is kept until they are put back",
               pool->name, (unsigned long long)out);
        pool->dead = true;
    } else {
        mp_pool_release_dead(pool);
    }
    pthread_mutex_unlock(&mp_reg_lock);
    mp_depot_recycle(); /* what the pops above deferred */
    mp_rcu_leave(temporary);
}

MP_EXPORT size_t magpool_obj_size(const struct magpool *pool)
{
    if (!pool) {
        errno = EINVAL;
        return 0;
    }
    return pool->obj_size;
}

MP_EXPORT void magpool_foreach(void (*fn)(struct magpool *, void *),
                               void *arg)
{
    if (!fn)
        return;
    /* fn may trim, destroy or flush (magpool(3)): it runs as a reader
     * registered before the registry lock was taken, and waits for no
     * grace period under that lock (rcu.c), as trim and destroy do. */
    bool temporary = mp_rcu_enter();
    pthread_mutex_lock(&mp_reg_lock);
    mp_rcu_nowait_begin();
    for (unsigned i = 0; i < MAGPOOL_MAX_POOLS; i++)
        if (mp_pools[i] && !mp_pools[i]->dead)
            fn(mp_pools[i], arg);
    mp_rcu_nowait_end();
    pthread_mutex_unlock(&mp_reg_lock);
    mp_rcu_leave(temporary);
}

/* mem_pools_init's semantics, shared by both GlusterFS fronts: it
 * returns nothing, so a sweeper that cannot start is said. */
void mp_gf_pools_init(void)
{
    if (magpool_init())
        mp_log(MP_MSG_CONFIG, "mem_pools_init: cannot start the sweeper: %s",
               strerror(errno));
}

MP_EXPORT int magpool_init(void)
{
    mp_global_init();
    int ret = 0;
    pthread_mutex_lock(&init_lock);
    if (init_count++ == 0 && mp_opt.sweep_ms && !sweeper_explicit)
        ret = mp_sweeper_start(0);
    if (ret)
        init_count--;
    pthread_mutex_unlock(&init_lock);
    return ret;
}

MP_EXPORT void magpool_fini(void)
{
    pthread_mutex_lock(&init_lock);
    /* As GlusterFS: a fini without a matching init does nothing. */
    if (init_count > 0 && --init_count == 0) {
        if (!sweeper_explicit)
            mp_sweeper_stop();
        mp_debug_check_all("at magpool_fini");
        /* The sweeper no longer unmaps the caches exited threads left. */
        pthread_mutex_lock(&mp_reg_lock);
        mp_tcache_drop_spares();
        pthread_mutex_unlock(&mp_reg_lock);
    }
    pthread_mutex_unlock(&init_lock);
}

MP_EXPORT int magpool_sweeper_start(unsigned interval_ms)
{
    mp_global_init();
    pthread_mutex_lock(&init_lock);
    int ret = mp_sweeper_start(interval_ms);
    if (ret == 0)
        sweeper_explicit = true;
    pthread_mutex_unlock(&init_lock);
    return ret;
}

MP_EXPORT void magpool_sweeper_stop(void)
{
    mp_global_init();
    pthread_mutex_lock(&init_lock);
    sweeper_explicit = false;
    mp_sweeper_stop();
    pthread_mutex_unlock(&init_lock);
}
