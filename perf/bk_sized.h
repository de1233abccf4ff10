/*
 * bk_sized.h - the pool of a backend whose allocator is told only a
 * size (malloc, GSlice, oneTBB's scalable allocator): bk_pool holds the
 * object size, bk_new and bk_destroy make and free it with the process's
 * malloc.  Included by such a bk_*.c before its bk_get, bk_get0, bk_put
 * and workloads.h.
 */
#ifndef PERF_BK_SIZED_H
#define PERF_BK_SIZED_H

#include <stdlib.h>

typedef struct bk_sized_pool {
    size_t size;
} bk_pool;

static inline bk_pool *bk_new(const char *name, size_t size)
{
    bk_pool *p = malloc(sizeof *p);
    (void)name;
    if (p)
        p->size = size;
    return p;
}

static inline void bk_destroy(bk_pool *p) { free(p); }

#endif /* PERF_BK_SIZED_H */
