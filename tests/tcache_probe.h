/*
 * tcache_probe.h - for the tests of the thread caches' memory: where
 * this thread's cache is, and how many of a cache's pages hold memory.
 * Needs lib/ on the include path (struct mp_tcache's layout).
 */
#ifndef MP_TCACHE_PROBE_H
#define MP_TCACHE_PROBE_H

#include <stddef.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mp_types.h"

/* Caches of exited threads kept for the next (magpool(7), MEMORY AN
 * IDLE THREAD KEEPS). */
#define SPARE_MAX 32

/* This thread's cache, found from the tops it publishes (inline ABI). */
static inline char *my_cache(void)
{
    return (char *)magpool_tls.tops - offsetof(struct mp_tcache, tops);
}

/* Pages of the cache at c that hold memory (mincore(2)); -1 when its
 * range is not mapped. */
static inline int cache_resident(char *c)
{
    unsigned char vec[64];
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t pages = (sizeof(struct mp_tcache) + page - 1) / page;
    if (pages > sizeof(vec) || mincore(c, sizeof(struct mp_tcache), vec))
        return -1;
    int n = 0;
    for (size_t i = 0; i < pages; i++)
        n += vec[i] & 1;
    return n;
}

#endif
