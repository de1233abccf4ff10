/*
 * bk_gfnames.h - the get/put half of a backend that speaks GlusterFS's
 * pool API (mem_get_malloc, mem_get_calloc, mem_put_pool,
 * mem_pool_destroy): shared by "magpool-gf" and "glusterfs", which differ
 * only in how a pool is created and in the library behind the names.
 * Include after defining bk_pool, bk_label, bk_init and bk_new.
 */
static inline void *bk_get(bk_pool *p) { return mem_get_malloc(p); }
static inline void *bk_get0(bk_pool *p) { return mem_get_calloc(p); }
static inline void bk_put(bk_pool *p, void *o)
{
    (void)p;
    mem_put_pool(o);
}
static inline void bk_destroy(bk_pool *p) { mem_pool_destroy(p); }

#include "workloads.h"
