/*
 * bk_tlslist.c - backend "tls-list": a bare per-thread free list, the
 * lower bound of a local get+put (see lists.h).
 */
#include "lists.h"

typedef struct tlslist bk_pool;

static const char *bk_label(void) { return "tls-list"; }
static void bk_init(void) {}

static inline bk_pool *bk_new(const char *name, size_t size)
{
    (void)name;
    return tlslist_new(size);
}

static inline void *bk_get(bk_pool *p) { return tlslist_get(p); }
static inline void *bk_get0(bk_pool *p) { return tlslist_get0(p); }
static inline void bk_put(bk_pool *p, void *o) { tlslist_put(p, o); }
static inline void bk_destroy(bk_pool *p) { tlslist_destroy(p); }

#include "workloads.h"
