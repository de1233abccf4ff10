/*
 * bk_glusterfs.c - backend "glusterfs": GlusterFS 10.3's own pool, from
 * Debian's libglusterfs.so.0.  Its symbols are magpool's GlusterFS
 * names, so this backend has a program of its own (bench_glusterfs),
 * never linked with magpool.
 *
 * The library needs a context before any pool (a NULL ctx crashes it):
 * glusterfs_ctx_new(), glusterfs_globals_init(), THIS->ctx, then
 * mem_pools_init(), which starts its sweeper thread.
 */
#include <stdio.h>
#include <stdlib.h>

#include <glusterfs/glusterfs.h>
#include <glusterfs/globals.h>
#include <glusterfs/mem-pool.h>

typedef struct mem_pool bk_pool;

static glusterfs_ctx_t *bk_ctx;

static const char *bk_label(void) { return "glusterfs"; }

static void bk_init(void)
{
    bk_ctx = glusterfs_ctx_new();
    if (!bk_ctx || glusterfs_globals_init(bk_ctx)) {
        fprintf(stderr, "glusterfs: cannot set up a context\n");
        exit(2);
    }
    THIS->ctx = bk_ctx;
    mem_pools_init();
}

static inline bk_pool *bk_new(const char *name, size_t size)
{
    return mem_pool_new_fn(bk_ctx, size, 1024, (char *)name);
}

#include "bk_gfnames.h"
