/*
 * stats.c - per-pool statistics, summed on read.
 *
 * Owns: magpool_stats(), magpool_stats_dump() and the MAGPOOL_STATS dump
 * at process exit.  Nothing here runs on the fast path: the number of
 * objects in use is derived, not counted,
 *     active = carved out of the slab - in threads' magazines
 *              - in the depot - waiting for a grace period,
 * so get and put keep no shared counter.  It is exact whenever no get or
 * put runs concurrently.  The struct mem_pool `active` field is refreshed
 * from the same sum each time statistics are read.
 *   alloc_count = the gets counted by each live thread in its own cache
 *                 (tc->gets, a load and a store in the fast path) + those
 *                 of gone threads and of the slow paths without a cache
 *                 (pool->gets_gone): exact.
 *   max_active  = the highest active seen by a statistics read or a
 *                 sweeper pass (mp_stats_sample), sampled every
 *                 MAGPOOL_SWEEP_MS, from reads that no thread's move of
 *                 magazines overlapped (tcache.c, tc->moving): a magazine
 *                 on its way between a thread and the depot is never
 *                 counted as in use.  Each thread's magazine is read at
 *                 its own moment, so a read can still count as in use
 *                 objects that other threads put back while it ran: it
 *                 exceeds the true peak by at most the puts made during
 *                 the read (none when one thread gets and puts).
 * Destroyed pools keep their final statistics, merged by name and object
 * size (a gfapi client creates and destroys a volume's pools in
 * glfs_new/glfs_fini), for the MAGPOOL_STATS dump at exit.
 *
 * Synchronization: mp_reg_lock is held while threads' caches are summed
 * (so none is freed under the reader, and no flush, trim or sweep moves
 * objects meanwhile), and for pool->max_active and the list of destroyed
 * pools; threads' fields are read with relaxed atomics, between two
 * reads of their move counts (acquire, tcache.c); the slab counters
 * under slab.lock.
 *
 * Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sched.h>
#include <time.h>

#include "mp.h"

/* Reads of a pool's counts before one that no thread's move overlapped
 * is given up (fill). */
#define MP_STATS_TRIES 16

/* Final statistics of destroyed pools, one record per name and object
 * size (mp_reg_lock).  A pool's record is found or made when the pool is
 * created (so that destroy allocates nothing and cannot fail); at most
 * MP_GONE_MAX are made, pools of other names then share gone_other. */
#define MP_GONE_MAX 1024
struct mp_gone {
    struct mp_gone *next;
    unsigned long instances;    /* pools destroyed */
    struct magpool_stats st;    /* their figures, added up */
};
static struct mp_gone *gone_head, **gone_tail = &gone_head;
static unsigned gone_n;
static struct mp_gone gone_other = {
    .st = { .name = "(other destroyed pools)" },
};

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
    /* The threads', the depot's and the slab's counts, read while no
     * thread moved a magazine or objects between them (a sequence count
     * per thread, tcache.c): a read that a move overlapped could miss
     * the magazine in transit and count its objects as in use.  A few
     * tries; if threads keep moving, the last read stands, and it does
     * not raise max_active. */
    uint64_t slab_out = 0, out = 0, carved_capacity = 0;
    bool steady = false;
    for (int try = 0; try < MP_STATS_TRIES && !steady; try++) {
        uint64_t moves0, moves1;
        bool quiet = mp_tcache_moves(&moves0);
        st->in_threads = mp_tcache_rounds(pool);
        st->in_depot =
            (uint64_t)atomic_load_explicit(&d->rounds, memory_order_relaxed);
        pthread_mutex_lock(&sl->lock);
        slab_out = sl->out;
        /* Quarantined objects (debug modes) are out of the slab, not in
         * use. */
        out = slab_out - pool->dbg_qn;
        carved_capacity = sl->chunks * sl->nobj;
        st->chunks = sl->chunks;
        st->bytes_mapped = sl->chunks * sl->chunk_size;
        st->chunk_maps = sl->maps;
        st->chunk_unmaps = sl->unmaps;
        st->slab_refills = sl->refills;
        pthread_mutex_unlock(&sl->lock);
        /* Acquire fence: the counts are read again after every load
         * above (a move's store seen there shows as a changed count;
         * tcache.c, mp_tcache_move_begin). */
        atomic_thread_fence(memory_order_acquire);
        steady = mp_tcache_moves(&moves1) && quiet && moves0 == moves1;
        if (!steady)
            sched_yield();
    }
    st->in_slab = carved_capacity - slab_out;
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
    st->alloc_count = mp_tcache_gets(pool) +
                      atomic_load_explicit(&pool->gets_gone,
                                           memory_order_relaxed);
    if (steady && st->active > pool->max_active)
        pool->max_active = st->active;
    st->max_active = pool->max_active;
    __atomic_store_n(&pool->active, (int64_t)st->active, __ATOMIC_RELAXED);
}

void mp_stats_sample(struct magpool *pool)
{
    struct magpool_stats st;
    fill(pool, &st);
}

static void gone_add(struct magpool_stats *acc, const struct magpool_stats *s)
{
    /* Totals add up; states (now) and peaks: the sum is the memory all of
     * them held at their ends, the max the largest any one reached. */
    acc->active += s->active;
    acc->in_threads += s->in_threads;
    acc->in_depot += s->in_depot;
    acc->in_slab += s->in_slab;
    acc->chunks += s->chunks;
    acc->bytes_mapped += s->bytes_mapped;
    acc->chunk_maps += s->chunk_maps;
    acc->chunk_unmaps += s->chunk_unmaps;
    acc->depot_full_hits += s->depot_full_hits;
    acc->depot_empty_hits += s->depot_empty_hits;
    acc->slab_refills += s->slab_refills;
    acc->sweeps += s->sweeps;
    acc->swept_objects += s->swept_objects;
    acc->double_puts += s->double_puts;
    acc->alloc_count += s->alloc_count;
    if (s->max_active > acc->max_active)
        acc->max_active = s->max_active;
}

/* Called by magpool_create with mp_reg_lock held: the record the pool's
 * figures go to when it is destroyed.  -1 (ENOMEM for the caller) when
 * one is needed and cannot be allocated. */
int mp_stats_reserve(struct magpool *pool)
{
    struct mp_gone *g;
    for (g = gone_head; g; g = g->next)
        if (g->st.obj_size == pool->obj_size && !strcmp(g->st.name, pool->name))
            break;
    if (!g && gone_n == MP_GONE_MAX)
        g = &gone_other;
    if (!g) {
        g = calloc(1, sizeof(*g));
        if (!g)
            return -1;
        snprintf(g->st.name, sizeof(g->st.name), "%s", pool->name);
        g->st.obj_size = pool->obj_size;
        *gone_tail = g;
        gone_tail = &g->next;
        gone_n++;
    }
    pool->gone = g;
    return 0;
}

/* Called by magpool_destroy with mp_reg_lock held, after the pool's
 * caches went back to the slab: add its final figures to its record. */
void mp_stats_keep_destroyed(struct magpool *pool)
{
    struct magpool_stats st;
    fill(pool, &st);
    struct mp_gone *g = pool->gone;
    if (g != &gone_other) {
        g->st.block_size = st.block_size;
        g->st.mag_capacity = st.mag_capacity;
    }
    g->instances++;
    gone_add(&g->st, &st);
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

MP_EXPORT int magpool_resident_bytes(const struct magpool *pool,
                                     uint64_t *bytes)
{
    if (!pool || !bytes) {
        errno = EINVAL;
        return -1;
    }
    *bytes = mp_opt.disable ? 0 : mp_slab_resident((struct magpool *)pool);
    return 0;
}

/* resident: the live pool's resident bytes; destroyed pools have none. */
static void dump_one(FILE *f, const struct magpool_stats *s,
                     unsigned long destroyed, uint64_t resident)
{
    fprintf(f, "[%s]\n", s->name);
    if (destroyed)
        fprintf(f, "state=destroyed\ninstances=%lu\n", destroyed);
    else
        fprintf(f, "bytes-resident=%llu\n", (unsigned long long)resident);
    fprintf(f,
            "obj-size=%zu\nblock-size=%zu\nmag-capacity=%u\n"
            "alloc-count=%llu\nmax-active=%llu\n"
            "active=%llu\nin-threads=%llu\nin-depot=%llu\nin-slab=%llu\n"
            "bytes-in-threads=%llu\nbytes-in-depot=%llu\n"
            "chunks=%llu\nbytes-mapped=%llu\nchunk-maps=%llu\n"
            "chunk-unmaps=%llu\ndepot-full-hits=%llu\n"
            "depot-empty-hits=%llu\nslab-refills=%llu\nsweeps=%llu\n"
            "swept-objects=%llu\ndouble-puts=%llu\n\n",
            s->obj_size, s->block_size, s->mag_capacity,
            (unsigned long long)s->alloc_count,
            (unsigned long long)s->max_active,
            (unsigned long long)s->active, (unsigned long long)s->in_threads,
            (unsigned long long)s->in_depot, (unsigned long long)s->in_slab,
            (unsigned long long)(s->in_threads * s->block_size),
            (unsigned long long)(s->in_depot * s->block_size),
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

/* The registry lock for a dump: waited for, except at process exit,
 * where other threads still run and one of them may hold it for good (a
 * thread stopped inside a magpool_foreach callback): there at most 2 s,
 * then the dump says it was skipped (EBUSY). */
static int lock_for_dump(bool at_exit)
{
    if (!at_exit)
        return pthread_mutex_lock(&mp_reg_lock);
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += 2;
    return pthread_mutex_timedlock(&mp_reg_lock, &t);
}

static int dump(const char *path, bool at_exit)
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
        /* Mode 0644 (less the umask): a daemon that cleared its umask,
         * as GlusterFS's bricks do, must not leave a file anyone may
         * rewrite.  A symbolic link at the path is not followed: a root
         * daemon writing to a predictable name in /tmp would otherwise
         * overwrite whatever file the link names. */
        int fd = open(buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
                               O_NOFOLLOW, 0644);
        if (fd < 0)
            return -1;
        f = fdopen(fd, "w");
        if (!f) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
    }
    fprintf(f, "# magpool %d.%d.%d statistics, pid %d\n",
            MAGPOOL_VERSION_MAJOR, MAGPOOL_VERSION_MINOR,
            MAGPOOL_VERSION_PATCH, (int)getpid());
    if (lock_for_dump(at_exit)) {
        fprintf(f, "# skipped: another thread held the pool registry at "
                   "exit for 2 s\n");
        if (to_stderr)
            fflush(f);
        else
            fclose(f);
        errno = EBUSY;
        return -1;
    }
    for (unsigned i = 0; i < MAGPOOL_MAX_POOLS; i++) {
        struct magpool *p = mp_pools[i];
        /* A destroyed pool still holding objects is among the
         * destroyed pools below. */
        if (!p || p->dead)
            continue;
        struct magpool_stats st;
        fill(p, &st);
        dump_one(f, &st, 0, mp_opt.disable ? 0 : mp_slab_resident(p));
    }
    for (struct mp_gone *g = gone_head; g; g = g->next)
        if (g->instances)
            dump_one(f, &g->st, g->instances, 0);
    if (gone_other.instances)
        dump_one(f, &gone_other.st, gone_other.instances, 0);
    pthread_mutex_unlock(&mp_reg_lock);
    if (to_stderr)
        return fflush(f) ? -1 : 0;
    return fclose(f) ? -1 : 0;
}

MP_EXPORT int magpool_stats_dump(const char *path)
{
    return dump(path, false);
}

void mp_stats_at_exit(void)
{
    if (dump(mp_opt.stats_path, true))
        mp_log(MP_MSG_CONFIG, "MAGPOOL_STATS=%s: %s", mp_opt.stats_path,
               strerror(errno));
}
