/*
 * bk_tlslist.c - backend "tls-list": a bare per-thread free list, the
 * lower bound of a local get+put (see lists.h).
 */
#include <stdio.h>

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

/* A process has TLSLIST_MAX_POOLS lists at most (each thread's caches
 * are one static array): npools' 256 pools do not all fit beside the
 * others, and its cases on the missing ones are skipped. */
#define BK_HAVE_UNFIT 1
static const char *bk_unfit(bk_pool *const *pools, int npools, int threads,
                            int live)
{
    static __thread char why[96];
    (void)threads;
    (void)live;
    for (int i = 0; i < npools; i++)
        if (!pools[i]) {
            snprintf(why, sizeof why, "a process has at most %d TLS lists "
                     "(TLSLIST_MAX_POOLS)", TLSLIST_MAX_POOLS);
            return why;
        }
    return NULL;
}

#include "workloads.h"
