/*
 * stats.c - per-pool statistics, summed on read.
 *
 * Owns: magpool_stats(), magpool_stats_dump() and the MAGPOOL_STATS dump
 * at process exit.  Nothing here runs on the fast path: the number of
 * objects in use is derived, not counted,
 *     active = carved out of the slab - in threads' magazines
 *              - in the depot - waiting for a grace period,
 * so get and put keep no counter at all.  It is exact whenever no get or
 * put runs concurrently.  The struct mem_pool `active` field is refreshed
 * from the same sum each time statistics are read.
 *
 * Synchronization: mp_reg_lock is held while threads' caches are summed
 * (so none is freed under the reader); their fields are read with relaxed
 * atomics; the slab counters under slab.lock.
 *
 * Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mp.h"

static void fill(struct magpool *pool, struct magpool_stats *st)
{
    struct mp_slab *sl = &pool->slab;
    struct mp_depot *d = &pool->depot;
    memset(st, 0, sizeof(*st));
    snprintf(st->name, sizeof(st->name), "%s", pool->name);
    st->obj_size = pool->obj_size;
    st->block_size = mp_opt.disable ? pool->obj_size + MP_OBJ_ALIGN
                                    : sl->stride;
    st->mag_capacity = atomic_load_explicit(&pool->cap, memory_order_relaxed);
    st->in_threads = mp_tcache_rounds(pool);
    st->in_depot =
        (uint64_t)atomic_load_explicit(&d->rounds, memory_order_relaxed);
    pthread_mutex_lock(&sl->lock);
    uint64_t out = sl->out;
    uint64_t carved_capacity = sl->chunks * sl->nobj;
    st->chunks = sl->chunks;
    st->bytes_mapped = sl->chunks * sl->chunk_size;
    st->chunk_maps = sl->maps;
    st->chunk_unmaps = sl->unmaps;
    st->slab_refills = sl->refills;
    pthread_mutex_unlock(&sl->lock);
    st->in_slab = carved_capacity - out;
    uint64_t cached = st->in_threads + st->in_depot;
    st->active = out > cached ? out - cached : 0;
    if (mp_opt.disable)
        st->active = atomic_load_explicit(&pool->passthrough_refs,
                                          memory_order_relaxed) -
                     (pool->dead ? 0 : 1);
    st->depot_full_hits =
        atomic_load_explicit(&d->full_hits, memory_order_relaxed);
    st->depot_empty_hits =
        atomic_load_explicit(&d->empty_hits, memory_order_relaxed);
    st->sweeps = atomic_load_explicit(&pool->sweeps, memory_order_relaxed);
    st->swept_objects =
        atomic_load_explicit(&pool->swept, memory_order_relaxed);
    st->double_puts =
        atomic_load_explicit(&pool->double_puts, memory_order_relaxed);
    __atomic_store_n(&pool->active, (int64_t)st->active, __ATOMIC_RELAXED);
}

MP_EXPORT int magpool_stats(const struct magpool *pool,
                            struct magpool_stats *out)
{
    if (!pool || !out) {
        errno = EINVAL;
        return -1;
    }
    pthread_mutex_lock(&mp_reg_lock);
    fill((struct magpool *)pool, out);
    pthread_mutex_unlock(&mp_reg_lock);
    return 0;
}

static void dump_one(FILE *f, const struct magpool_stats *s)
{
    fprintf(f,
            "[%s]\nobj-size=%zu\nblock-size=%zu\nmag-capacity=%u\n"
            "active=%llu\nin-threads=%llu\nin-depot=%llu\nin-slab=%llu\n"
            "chunks=%llu\nbytes-mapped=%llu\nchunk-maps=%llu\n"
            "chunk-unmaps=%llu\ndepot-full-hits=%llu\n"
            "depot-empty-hits=%llu\nslab-refills=%llu\nsweeps=%llu\n"
            "swept-objects=%llu\ndouble-puts=%llu\n\n",
            s->name, s->obj_size, s->block_size, s->mag_capacity,
            (unsigned long long)s->active, (unsigned long long)s->in_threads,
            (unsigned long long)s->in_depot, (unsigned long long)s->in_slab,
            (unsigned long long)s->chunks,
            (unsigned long long)s->bytes_mapped,
            (unsigned long long)s->chunk_maps,
            (unsigned long long)s->chunk_unmaps,
            (unsigned long long)s->depot_full_hits,
            (unsigned long long)s->depot_empty_hits,
            (unsigned long long)s->slab_refills,
            (unsigned long long)s->sweeps,
            (unsigned long long)s->swept_objects,
            (unsigned long long)s->double_puts);
}

/* Expand "%p" to the pid (and "%%" to "%"). */
static int expand_path(const char *in, char *out, size_t len)
{
    size_t o = 0;
    for (const char *p = in; *p; p++) {
        int n;
        if (p[0] == '%' && p[1] == 'p') {
            n = snprintf(out + o, len - o, "%d", (int)getpid());
            p++;
        } else if (p[0] == '%' && p[1] == '%') {
            n = snprintf(out + o, len - o, "%%");
            p++;
        } else {
            n = snprintf(out + o, len - o, "%c", *p);
        }
        if (n < 0 || (size_t)n >= len - o)
            return -1;
        o += (size_t)n;
    }
    return 0;
}

MP_EXPORT int magpool_stats_dump(const char *path)
{
    if (!path || !*path) {
        errno = EINVAL;
        return -1;
    }
    FILE *f;
    char buf[4096];
    bool to_stderr = strcmp(path, "-") == 0;
    if (to_stderr) {
        f = stderr;
    } else {
        if (expand_path(path, buf, sizeof(buf))) {
            errno = ENAMETOOLONG;
            return -1;
        }
        f = fopen(buf, "we");
        if (!f)
            return -1;
    }
    fprintf(f, "# magpool %d.%d.%d statistics, pid %d\n",
            MAGPOOL_VERSION_MAJOR, MAGPOOL_VERSION_MINOR,
            MAGPOOL_VERSION_PATCH, (int)getpid());
    pthread_mutex_lock(&mp_reg_lock);
    for (unsigned i = 0; i < MAGPOOL_MAX_POOLS; i++) {
        struct magpool *p = mp_pools[i];
        if (!p)
            continue;
        struct magpool_stats st;
        fill(p, &st);
        dump_one(f, &st);
    }
    pthread_mutex_unlock(&mp_reg_lock);
    if (to_stderr)
        return fflush(f) ? -1 : 0;
    return fclose(f) ? -1 : 0;
}

void mp_stats_at_exit(void)
{
    if (magpool_stats_dump(mp_opt.stats_path))
        mp_log(MP_MSG_CONFIG, "MAGPOOL_STATS=%s: %s", mp_opt.stats_path,
               strerror(errno));
}
