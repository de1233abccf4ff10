/*
 * bk_tbbmalloc.c - backend "tbbmalloc": oneTBB's scalable allocator
 * (scalable_malloc, scalable_calloc, scalable_free from libtbbmalloc,
 * C-callable through tbb/scalable_allocator.h), in a program of its own
 * (bench_tbbmalloc).  It is called by name, not brought in as malloc:
 * libtbbmalloc_proxy is not loaded, so the process's malloc stays
 * glibc's.
 */
#include <stdlib.h>

#include <tbb/scalable_allocator.h>

#include "bk_sized.h"

static const char *bk_label(void) { return "tbbmalloc"; }

static void bk_init(void) {}

static inline void *bk_get(bk_pool *p) { return scalable_malloc(p->size); }
static inline void *bk_get0(bk_pool *p)
{
    return scalable_calloc(1, p->size);
}
static inline void bk_put(bk_pool *p, void *o)
{
    (void)p;
    scalable_free(o);
}

#include "workloads.h"
