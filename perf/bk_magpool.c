/*
 * bk_magpool.c - backend "magpool": magpool's native API
 * (magpool_create, magpool_get, magpool_get0, magpool_put).
 * magpool_init() starts the sweeper, as a real user's process would;
 * MAGPOOL_* variables (MAGPOOL_SWEEP_MS) tune it.
 */
#include <stdio.h>

#include "magpool.h"

typedef struct magpool bk_pool;

static const char *bk_label(void) { return "magpool"; }

static void bk_init(void)
{
    if (magpool_init())
        perror("magpool_init");
}

static inline bk_pool *bk_new(const char *name, size_t size)
{
    return magpool_create(name, size, NULL);
}

static inline void *bk_get(bk_pool *p) { return magpool_get(p); }
static inline void *bk_get0(bk_pool *p) { return magpool_get0(p); }
static inline void bk_put(bk_pool *p, void *o)
{
    (void)p;
    magpool_put(o);
}
static inline void bk_destroy(bk_pool *p) { magpool_destroy(p); }

#include "workloads.h"

/* bench_magpool's three backends (this one, magpool-gf, magpool-inline)
 * make their pools in one process. */
_Static_assert(3 * WL_POOLS_MAX <= MAGPOOL_MAX_POOLS,
               "bench_magpool makes more pools than magpool allows");
