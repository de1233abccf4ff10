/*
 * magpool.h - native API of magpool, a per-thread magazine memory pool.
 *
 * A pool hands out fixed-size objects.  get/put are served from the calling
 * thread's magazines without locks or atomic read-modify-write; full and
 * empty magazines are exchanged with a lock-free, RCU-protected depot; a
 * background sweeper returns memory beyond each pool's working set to the
 * kernel.  See magpool(3) for the API and magpool(7) for the design and
 * every tunable.
 *
 * Copyright (C) 2026 the magpool authors.
 * This file is dual-licensed: LGPLv3 or later, or GPLv2 (see COPYING).
 */
#ifndef MAGPOOL_H
#define MAGPOOL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MAGPOOL_VERSION_MAJOR 0
#define MAGPOOL_VERSION_MINOR 1
#define MAGPOOL_VERSION_PATCH 0

/* Largest object a native pool serves (bytes). */
#define MAGPOOL_MAX_OBJECT_SIZE (16u << 20)
/* Most pools alive at once in a process (each costs 8 bytes in the cache
 * of every thread that uses any pool). */
#define MAGPOOL_MAX_POOLS 1024u
/* Longest pool name kept (longer names are truncated). */
#define MAGPOOL_NAME_MAX 63u

struct magpool;

/* Per-pool options.  Zero in a field means "the process-wide default"
 * (which the MAGPOOL_* environment variables set; see magpool(7)). */
struct magpool_options {
    /* Objects per magazine, 4..1024, fixed.  Default: adaptive, starting
     * at MAGPOOL_MAG_BYTES / size clamped to 16..128 (see magpool(7)). */
    unsigned mag_capacity;
    /* Most full magazines the depot keeps before a put sends the surplus
     * straight back to the slab layer.  Default: MAGPOOL_DEPOT_MAX
     * (0 = no limit other than the sweeper's working-set estimate). */
    unsigned depot_max;
    /* MAGPOOL_F_* flags. */
    unsigned flags;
};

/* The sweeper never returns this pool's memory (it still can be trimmed
 * explicitly with magpool_trim()). */
#define MAGPOOL_F_NOSWEEP 0x1u

/* Statistics of one pool.  Counts of objects are exact when no get/put
 * runs concurrently; otherwise each is a recent value. */
struct magpool_stats {
    char name[MAGPOOL_NAME_MAX + 1];
    size_t obj_size;        /* size asked for at creation */
    size_t block_size;      /* bytes each object really takes (header incl.) */
    unsigned mag_capacity;  /* objects per new magazine, now */
    uint64_t active;        /* handed out and not yet put back */
    uint64_t in_threads;    /* free, in threads' magazines */
    uint64_t in_depot;      /* free, in the depot's full magazines */
    uint64_t in_slab;       /* free, back in the slab layer (still mapped) */
    uint64_t chunks;        /* chunks mapped now */
    uint64_t bytes_mapped;  /* bytes of those chunks */
    uint64_t chunk_maps;    /* chunks ever obtained from the kernel */
    uint64_t chunk_unmaps;  /* chunks ever given back to the kernel */
    uint64_t depot_full_hits;   /* get misses served by a full magazine */
    uint64_t depot_empty_hits;  /* put misses served by an empty magazine */
    uint64_t slab_refills;  /* get misses served from the slab layer */
    uint64_t sweeps;        /* sweeper passes and magpool_trim() calls
                               over this pool */
    uint64_t swept_objects; /* objects they returned from the depot to
                               the slab */
    uint64_t double_puts;   /* puts of an object already free (ignored) */
    uint64_t alloc_count;   /* objects got, ever (every successful get) */
    uint64_t max_active;    /* most objects in use seen by a statistics
                               read or a sweeper pass (how close to the
                               true peak: magpool(7)) */
};

/* Process-wide set-up.  Reference counted: each magpool_init() is matched
 * by one magpool_fini().  The first init starts the sweeper unless
 * MAGPOOL_SWEEP_MS=0 or magpool_sweeper_start() already did; the last
 * fini stops the sweeper the first init started (not one the program
 * started).  Pools work without init (they are just never swept).
 * Returns 0, or -1 with errno. */
int magpool_init(void);
void magpool_fini(void);

/* Create a pool of objects of obj_size bytes (1..MAGPOOL_MAX_OBJECT_SIZE).
 * name may be NULL; opts may be NULL.  Returns NULL with errno = EINVAL
 * (bad size or option), ENOSPC (MAGPOOL_MAX_POOLS pools alive) or ENOMEM. */
struct magpool *magpool_create(const char *name, size_t obj_size,
                               const struct magpool_options *opts);

/* Destroy a pool.  No thread may use it concurrently.  Objects still
 * handed out are reported on stderr and their memory is kept (a later
 * put of one is ignored) so that nothing is corrupted. */
void magpool_destroy(struct magpool *pool);

/* Get an object (16-byte aligned, contents undefined).  NULL with
 * errno = EINVAL for a NULL pool, ENOMEM when memory is exhausted. */
void *magpool_get(struct magpool *pool);
/* As magpool_get(), zero-filled. */
void *magpool_get0(struct magpool *pool);
/* Put an object back, from any thread.  The pool is found from the
 * pointer.  NULL is ignored with a message; a pointer magpool did not hand
 * out is ignored (the 8 bytes before it are read unless it lies in the
 * first 8 bytes of a page); a double put is reported and ignored while
 * the object is not handed out again (magpool(3), ERRORS IN USE). */
void magpool_put(void *obj);
/* As magpool_put(), told the pool the object came from: the put no longer
 * waits for the header's load to find the thread's magazine (faster when
 * that load misses, as for an object last touched by another thread, and
 * when speculative store bypass is disabled; magpool(3)).  The header is
 * still checked: an object of another pool, a foreign pointer or a double
 * put is handled exactly as magpool_put() handles it.  pool must not have
 * been released (the pool of an object not yet put back never is); NULL
 * means magpool_put(obj). */
void magpool_put_to(struct magpool *pool, void *obj);

/* Size a pool serves, or 0 (errno = EINVAL) for NULL. */
size_t magpool_obj_size(const struct magpool *pool);

/* Start the sweeper with this interval (0: MAGPOOL_SWEEP_MS, or 1000 ms
 * when that is 0), or change the interval of the running one; either way
 * it then runs until magpool_sweeper_stop(), whatever inits and finis
 * follow.  Returns 0 or -1 with errno. */
int magpool_sweeper_start(unsigned interval_ms);
/* Stop the sweeper, whoever started it, and wait for it. */
void magpool_sweeper_stop(void);

/* Return to the kernel, now, every free object of the pool (NULL: of
 * every pool) that is not in a thread's magazines: whole chunks that become
 * free, and the pages of other chunks that hold only free objects.
 * Returns the number of bytes given back (their address range stays
 * reserved, see magpool(3)). */
size_t magpool_trim(struct magpool *pool);

/* Give the calling thread's magazines back to the depots (e.g. before the
 * thread goes idle for long).  Thread exit does this by itself. */
void magpool_thread_flush(void);

/* Snapshot of a pool's statistics.  Returns 0, or -1 with errno = EINVAL. */
int magpool_stats(const struct magpool *pool, struct magpool_stats *out);

/* Bytes of the pool's chunks resident in memory now (mincore(2)): what
 * bytes_mapped really costs, free carved objects included, pages never
 * touched or given back not.  Walks every chunk: for statistics, not for a
 * hot path.  Returns 0, or -1 with errno = EINVAL (pool or bytes NULL). */
int magpool_resident_bytes(const struct magpool *pool, uint64_t *bytes);

/* Call fn for every live pool, under the (recursive) pool registry lock:
 * fn may call any magpool function but magpool_sweeper_stop() and
 * magpool_fini(), which wait for the sweeper, which waits for that lock.
 * Other threads' calls that take that lock (statistics, trim, create,
 * destroy, flush, thread exit, a thread's first get or put) wait for the
 * walk; other gets and puts do not. */
void magpool_foreach(void (*fn)(struct magpool *pool, void *arg), void *arg);

/* Write every pool's statistics as text to path ("-" for stderr; "%p" in
 * the path becomes the process id).  Returns 0 or -1 with errno. */
int magpool_stats_dump(const char *path);

#ifdef __cplusplus
}
#endif
#endif /* MAGPOOL_H */
