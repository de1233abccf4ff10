/*
 * bk_magpool_gf.c - backend "magpool-gf": magpool through GlusterFS's
 * names (mem_pool_new_fn, mem_get_malloc, mem_get_calloc, mem_put_pool),
 * the calls GlusterFS's own code makes once magpool replaces its pool.
 * mem_pools_init() starts the sweeper, as GlusterFS's processes do.
 */
#include <stdio.h>

#include "magpool/mem-pool.h"

typedef struct mem_pool bk_pool;

static const char *bk_label(void) { return "magpool-gf"; }

static void bk_init(void) { mem_pools_init(); }

static inline bk_pool *bk_new(const char *name, size_t size)
{
    /* GlusterFS keeps the name pointer: callers pass string constants,
     * and so do the workloads (or names that live as long). */
    return mem_pool_new_fn(NULL, size, 1024, (char *)name);
}

#include "bk_gfnames.h"
