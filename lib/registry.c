/*
 * registry.c - the table of pools: index -> pool, its lock, the header
 * key, and the release of a destroyed pool's memory.
 *
 * Layer: above slab (lib/LAYERS).  What creates and destroys pools is
 * pool.c, above everything; what reads the table (the put slow path,
 * statistics, the sweeper, the debug reports) sits between.
 *
 * Owns: mp_pools[] and one past the highest index a pool ever had
 * (mp_pools_end), mp_reg_lock, mp_key_alloc (the per-process key
 * every object header is encoded with, mp.h), and mp_pool_release_dead.
 *
 * Synchronization:
 *   mp_pools[i]     written under mp_reg_lock with release stores; read by
 *                   the put slow path with acquire loads and no lock (a
 *                   pool is published fully built).
 *   mp_pools_end    mp_reg_lock: raised by create, never lowered (a
 *                   thread's slots and counters above it are all empty).
 *   pool->dead      set and read under mp_reg_lock (the put slow path reads
 *                   it without the lock only for a pool whose object it
 *                   holds, which therefore cannot be released meanwhile).
 *   mp_reg_lock     recursive, so that a magpool_foreach() callback may
 *                   call magpool_stats() and the other functions that take
 *                   it.  Re-created in a fork child (pool.c's handlers).
 *   mp_key_alloc    written once by global init (pool.c) before the first
 *                   pool exists, under its pthread_once; read-only after.
 *   Lock order (every lock of magpool): init_lock (pool.c) -> sweeper locks
 *                   -> mp_reg_lock -> mp_rcu_lock (rcu.c's) -> slab.lock
 *                   -> os_lock.
 *
 * Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).
 */
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "mp.h"

pthread_mutex_t mp_reg_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
struct magpool *mp_pools[MAGPOOL_MAX_POOLS];
unsigned mp_pools_end;

/* Nonzero before any pool exists so that no foreign header decodes to a
 * small index; re-randomized once, before the first pool is created. */
uint64_t mp_key_alloc = 0xa5c3f00d5eed0000ull;

void mp_registry_init_key(void)
{
    uint64_t k = 0;
    if (getrandom(&k, sizeof(k), GRND_NONBLOCK) != (ssize_t)sizeof(k)) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        k = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^
            (uint64_t)getpid() << 32 ^ (uintptr_t)&k;
    }
    /* High bit set: small foreign words never decode to a pool index. */
    mp_key_alloc = k | (1ull << 63);
}

void mp_reg_lock_init(void)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&mp_reg_lock, &a);
    pthread_mutexattr_destroy(&a);
}

struct magpool *mp_pool_lookup(uint64_t idx)
{
    return __atomic_load_n(&mp_pools[idx], __ATOMIC_ACQUIRE);
}

/* Free a destroyed pool whose last outstanding object came back.
 * Caller holds mp_reg_lock. */
void mp_pool_release_dead(struct magpool *pool)
{
    mp_slab_destroy(pool);
    __atomic_store_n(&mp_pools[pool->idx], NULL, __ATOMIC_RELEASE);
    free(pool);
}
