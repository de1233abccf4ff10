/*
 * bk_mtxlist.c - backend "mutex-list": one locked free list per pool,
 * GlusterFS's pool before 2017 (see lists.h).
 */
#include "lists.h"

typedef struct mtxlist bk_pool;

static const char *bk_label(void) { return "mutex-list"; }
static void bk_init(void) {}

static inline bk_pool *bk_new(const char *name, size_t size)
{
    (void)name;
    return mtxlist_new(size);
}

static inline void *bk_get(bk_pool *p) { return mtxlist_get(p); }
static inline void *bk_get0(bk_pool *p) { return mtxlist_get0(p); }
static inline void bk_put(bk_pool *p, void *o) { mtxlist_put(p, o); }
static inline void bk_destroy(bk_pool *p) { mtxlist_destroy(p); }

#include "workloads.h"
