/*
 * bk_magpool_inline.c - backend "magpool-inline": magpool's inline API
 * (magpool/inline.h): get and put compiled into the measured loop, the
 * slow paths in the library, pools made with magpool_inline_create (the
 * layout check).  magpool_init() starts the sweeper, as for "magpool".
 */
#include <stdio.h>

#include "magpool.h"
#include "magpool/inline.h"

typedef struct magpool bk_pool;

static const char *bk_label(void) { return "magpool-inline"; }

static void bk_init(void)
{
    if (magpool_init())
        perror("magpool_init");
}

static inline bk_pool *bk_new(const char *name, size_t size)
{
    return magpool_inline_create(name, size, NULL);
}

static inline void *bk_get(bk_pool *p) { return magpool_inline_get(p); }
static inline void *bk_get0(bk_pool *p) { return magpool_inline_get0(p); }
static inline void bk_put(bk_pool *p, void *o)
{
    (void)p;
    magpool_inline_put(o);
}
static inline void bk_destroy(bk_pool *p) { magpool_destroy(p); }

#define WL_FAST_PATH_ONLY 1
#include "workloads.h"
