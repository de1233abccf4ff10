/*
 * mp_types.h - magpool's internal types: the layout of a pool, a
 * magazine, a depot, a thread cache, a slab chunk and an object header,
 * the tunables' and debugging modes' structures, and the constants that
 * size them.  No function but the header word's accessors.
 *
 * Synchronization (who may touch what):
 * Synchronization (who may touch what):
 *   magazine tops       in the owner's tcache, reached through magpool_tls
 *                       (TLS).  Only the owner thread writes them; stats
 *                       and fork handling read another thread's through
 *                       mp_tcache.tops with relaxed loads.
 *   loaded magazine     rounds written only by the owner thread while the
 *                       magazine is loaded; never shared while loaded.
 *   object header       written with plain stores by whoever holds the
 *                       object (get stores the allocated value, put the
 *                       free one); never a read-modify-write.
 *   struct magpool      immutable after creation except: depot (lock-free,
 *                       see depot.c), slab (slab.lock), dead state
 *                       (mp_reg_lock), cap (relaxed atomic: any recent
 *                       value makes a valid magazine), last_exchanges,
 *                       rate_since_ns (sweeper only), adapt_ns (relaxed
 *                       atomic).
 *   mp_tcache, slots    created by the owner; linked, unlinked and freed
 *                       under mp_reg_lock; see tcache.c.
 *   mp_opt, mp_dbg      written once by options.c before the first pool
 *                       exists; read-only afterwards.
 *
 * Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).
 */
#ifndef MP_TYPES_H
#define MP_TYPES_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <urcu/urcu-mb.h>
#include <urcu/lfstack.h>
#include <urcu/list.h>

#include "magpool.h"
#include "magpool/inline.h"

#define MP_LIKELY(x) __builtin_expect(!!(x), 1)
#define MP_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define MP_NOINLINE __attribute__((noinline, cold))
#define MP_HIDDEN __attribute__((visibility("hidden")))
#define MP_EXPORT __attribute__((visibility("default")))

/* Marks the slot just past a magazine's last round: a put that sees it
 * knows the magazine is full.  rounds[0] is NULL: a get that sees it
 * knows the magazine is empty. */
#define MP_END ((void *)(uintptr_t)1)

#define MP_MAG_MIN 4u
#define MP_MAG_MAX 1024u
/* Most bytes of objects in a magazine of a pool of large objects, unless
 * MAGPOOL_MAG_BYTES asks for more (pool.c, default_capacity). */
#define MP_MAG_FLOOR_BYTES (16u << 10)
/* Bytes of objects a magazine of a hot pool may grow to, unless
 * MAGPOOL_MAG_GROW_BYTES says otherwise (options.c; magazine.c grows,
 * the sweeper shrinks).  512 KiB: 255 objects of 2 KiB, so that a thread
 * cycling through 1000 of them trades 2 magazines each way with the
 * depot per cycle instead of 16 (perf/NOTES.md). */
#define MP_MAG_GROW_BYTES (512u << 10)
/* Depot exchanges per second above which a pool's magazines double,
 * unless MAGPOOL_MAG_GROW_RATE says otherwise; they halve again below
 * a hundredth of it (MP_MAG_SHRINK_DIV), and at least below 1 (a pool
 * with no exchange at all).  The rate is checked every
 * MP_ADAPT_EVERY exchanges (a window of 12.8 ms at the growth rate): a
 * pool that starts hot reaches its largest magazines after a few
 * thousand exchanges, where one check per 4096 took two million
 * get+put pairs (perf/NOTES.md, "A second thread from a cold start"). */
#define MP_MAG_GROW_RATE 20000u
#define MP_MAG_SHRINK_DIV 100u
/* The shortest span over which the sweeper measures that rate. */
#define MP_SHRINK_WINDOW_NS 1000000000ull
#define MP_ADAPT_EVERY 256u
/* A thread's own trips to the shared layer (depot or slab) are timed in
 * windows of this many: faster than the growth rate, its next magazines
 * are twice as large (depot.c, mp_mag_slot_trade).  Two, so that a
 * thread that starts by taking a thousand objects makes a handful of
 * trips, not sixty, and its objects lie in a handful of runs, not
 * sixty interleaved with another thread's (perf/NOTES.md). */
#define MP_SLOT_TRADES 2u
#define MP_OBJ_ALIGN 16u
#define MP_HDR_SIZE 8u

/* GlusterFS 10.3 limits, applied by mem_pool_new_fn only. */
#define MP_GF_HDR_SIZE 40u
#define MP_GF_MAX_BLOCK (1ul << 20)

/* ---------------------------------------------------------------------
 * Object header: one 64-bit word just before each object.
 *   allocated: hdr == idx ^ mp_key_alloc            (pool->hdr_alloc)
 *   free:      hdr == idx ^ mp_key_alloc ^ MP_HDR_FLIP
 * mp_key_alloc is random per process with its high bits set, so a word in
 * front of memory magpool did not hand out decodes to an index below
 * MAGPOOL_MAX_POOLS with probability about 2^-54.  Both states are
 * written with plain stores of a value already in a register (get: the
 * pool's allocated value; put: the word it just read, flipped): a
 * read-modify-write of memory costs several times more on this path
 * (see NEWS).
 * ------------------------------------------------------------------- */
#define MP_HDR_FLIP ((uint64_t)1 << 40)

extern uint64_t mp_key_alloc MP_HIDDEN;

static inline uint64_t *mp_hdr(void *obj) { return (uint64_t *)obj - 1; }

/* The word in front of a pointer that may not be magpool's (as GlusterFS
 * reads its own pool's header): see magpool/inline.h. */
static inline uint64_t mp_hdr_peek(const void *obj)
{
    return magpool_inline_hdr_peek(obj);
}

static inline void mp_hdr_set(void *obj, uint64_t h) { *mp_hdr(obj) = h; }

/* ---------------------------------------------------------------------
 * Magazines.
 * ------------------------------------------------------------------- */
struct magpool;
struct mp_gone;

struct mp_mag {
    unsigned n;                 /* rounds held while not loaded */
    unsigned cap;
    void *rounds[];             /* [0] NULL, [1..cap] objects, [cap+1] MP_END */
};

/* ---------------------------------------------------------------------
 * Depot: lock-free stacks of full (non-empty) and empty magazines.
 * ------------------------------------------------------------------- */
struct mp_depot {
    struct __cds_lfs_stack full;
    struct __cds_lfs_stack empty;
    atomic_long nfull;          /* magazines on the full stack */
    atomic_long nempty;         /* magazines on the empty stack */
    atomic_long rounds;         /* objects in the full stack's magazines */
    atomic_long full_low;       /* low-water mark of nfull this interval */
    atomic_long empty_low;      /* low-water mark of nempty this interval */
    atomic_ulong full_hits, empty_hits; /* statistics, per kind */
    atomic_ulong exchanges;     /* trips of threads whose two magazines
                                   were exhausted, gets' and puts': its
                                   multiples of MP_ADAPT_EVERY pace the
                                   magazine size (depot.c) */
};

/* ---------------------------------------------------------------------
 * Slab: chunks of memory mapped from the kernel, carved into objects.
 * ------------------------------------------------------------------- */
/* Runs of pages of a chunk given back to the kernel while the chunk
 * still has objects out (slab.c, mp_slab_release_pages). */
#define MP_REL_RUNS 16
struct mp_chunk {
    struct magpool *pool;
    struct cds_list_head link;  /* pool's partial or full list */
    void *free;                 /* returned objects, linked through body */
    char *bump;                 /* next never-carved object */
    char *end;                  /* past the last object */
    unsigned nobj;              /* objects the chunk holds */
    unsigned out;               /* objects carved and not returned */
    bool on_partial;
    bool freed_since_release;   /* objects came back since the last pass */
    unsigned nrel;              /* runs in rel[] */
    /* Free objects whose header is in these pages are off the free list:
     * the pages were given back (MADV_DONTNEED); they go back on the list
     * when the list and the bump pointer run dry. */
    struct { uint32_t page, npages; } rel[MP_REL_RUNS];
};

struct mp_slab {
    pthread_mutex_t lock;
    struct cds_list_head partial;   /* chunks with a free or uncarved object */
    struct cds_list_head full;      /* chunks with none */
    size_t chunk_size;              /* power of two; chunks are aligned to it */
    size_t stride;                  /* bytes per object, header included */
    size_t first;                   /* offset of the first object header */
    unsigned nobj;
    uint64_t out;                   /* objects carved and not returned */
    uint64_t chunks, maps, unmaps, refills;
    uint64_t pages_released;        /* pages given back from live chunks */
    uint64_t recarves;              /* given-back runs carved again */
    uint64_t recarves_seen;         /* recarves at the last release pass */
#define MP_REL_DEFER 7              /* release passes a refaulting pool skips */
    unsigned rel_deferred;          /* release passes skipped since */
    size_t page;                    /* unit of page release (slab.c) */
};

/* What statedump reads through struct mem_pool::pool (power_of_two). */
struct mp_gf_shared {
    unsigned int power_of_two;
};

/* ---------------------------------------------------------------------
 * A pool.  It starts with GlusterFS 10.3's non-DEBUG struct mem_pool
 * (72 bytes) so that the same object can be handed to GlusterFS code that
 * reads it (statedump); magpool's own fields follow.
 * ------------------------------------------------------------------- */
struct magpool {
    unsigned long sizeof_type;      /* @0  */
    unsigned long count;            /* @8  */
    char *gf_name;                  /* @16 */
    char *xl_name;                  /* @24 */
    int64_t active;                 /* @32  gf_atomic_t; see stats.c */
    struct { void *next, *prev; } owner; /* @40 list_head in ctx */
    void *ctx;                      /* @56 */
    struct mp_gf_shared *gf_pool;   /* @64 */
    /* --- magpool --- */
    uint64_t hdr_alloc;             /* @72 header of a handed-out object */
    unsigned idx;                   /* @80 index in mp_pools[] and tops */
    atomic_uint cap;                /* rounds per new magazine (sweeper may
                                       grow or shrink it; relaxed: any
                                       recent value makes a valid magazine) */
    unsigned cap_min, cap_max;      /* bounds of the adaptive capacity */
    unsigned long last_exchanges;   /* sweeper only: exchanges at ... */
    unsigned long long rate_since_ns; /* ... this time (0: not yet) */
    atomic_ullong adapt_ns;         /* when the last MP_ADAPT_EVERY
                                       exchanges began, and the number
                                       of that boundary (depot.c) */
    unsigned depot_max;
    unsigned flags;
    bool dead;                      /* destroyed with objects outstanding
                                       (set under mp_reg_lock) */
    size_t obj_size;
    struct mp_gf_shared gf_shared;
    char name[MAGPOOL_NAME_MAX + 1];
    struct mp_depot depot;
    struct mp_slab slab;
    /* MAGPOOL_DISABLE=1 only: objects handed out, plus one reference the
     * pool holds until magpool_destroy; whoever drops the last frees the
     * pool (magazine.c, pool.c). */
    atomic_ulong passthrough_refs;
    atomic_ulong sweeps, swept, double_puts;
    /* Gets counted outside live threads' caches: of threads that exited
     * or died in a fork, and of the passthrough and cacheless paths
     * (relaxed adds: slow paths only; read by stats). */
    atomic_ullong gets_gone;
    /* The most objects in use seen by any statistics read or sweeper
     * pass (stats.c, under mp_reg_lock). */
    uint64_t max_active;
    struct mp_gone *gone;   /* where destroy leaves its figures (stats.c) */
    /* Debug modes only (debug.c), under slab.lock: the FIFO quarantine. */
    void **dbg_q;
    unsigned dbg_qhead, dbg_qn;
};

_Static_assert(offsetof(struct magpool, sizeof_type) == 0, "gf layout");
_Static_assert(offsetof(struct magpool, active) == 32, "gf layout");
_Static_assert(offsetof(struct magpool, owner) == 40, "gf layout");
_Static_assert(offsetof(struct magpool, ctx) == 56, "gf layout");
_Static_assert(offsetof(struct magpool, gf_pool) == 64, "gf layout");
_Static_assert(offsetof(struct magpool, hdr_alloc) == 72, "fast path offset");
/* The inline API's view (include/magpool/inline.h) is ABI. */
_Static_assert(offsetof(struct magpool, sizeof_type) ==
               offsetof(struct magpool_inline_view, obj_size), "inline ABI");
_Static_assert(offsetof(struct magpool, hdr_alloc) ==
               offsetof(struct magpool_inline_view, hdr_alloc), "inline ABI");
_Static_assert(offsetof(struct magpool, idx) ==
               offsetof(struct magpool_inline_view, idx), "inline ABI");
_Static_assert(MP_HDR_FLIP == MAGPOOL_INLINE_HDR_FREE, "inline ABI");
_Static_assert((uintptr_t)MP_END == 1, "inline ABI");

/* ---------------------------------------------------------------------
 * Thread caches.
 * ------------------------------------------------------------------- */
struct mp_tslot {
    struct magpool *pool;
    _Atomic(struct mp_mag *) loaded;    /* relaxed: read by stats */
    /* The previous magazine.  Its owner claims it with an exchange at the
     * start of each slow path and stores it back (release) at the end;
     * the sweeper may take it (exchange, under mp_reg_lock) from a slot
     * idle for two passes (tcache.c, mp_tcache_reclaim_idle). */
    _Atomic(struct mp_mag *) prev;
    atomic_uint prev_n;                 /* prev->n, for stats; valid only
                                           while prev is not NULL */
    atomic_ulong used_pass;             /* mp_sweep_passes at the owner's
                                           last slow path (relaxed) */
    /* Owner only (its slow paths; plain fields): the magazine size its
     * own trades earned, 0 while that is the pool's, and the window
     * they are counted in (depot.c, mp_mag_slot_trade). */
    unsigned cap;
    unsigned trades;
    unsigned long long trades_since_ns;
};

/* A thread's cache: one page-aligned mapping of its own (tcache.c), laid
 * out so that a thread using pools of low index (they are handed out
 * lowest first) writes three of its seven pages: its slots and tops of
 * pools 0-255 share the third page, the fourth holds the rest of the
 * tops, all of which are written when the cache is made, and the fifth
 * the last tops, the list link and the get counters of pools 0-247.
 * Pages never written take no memory.  With the slots in front in pool
 * order and the link and flag after the get counters, the same thread
 * wrote five (20 KiB against 12). */
#define MP_TCACHE_FRONT 2048u   /* puts tops[0] in the middle of a page */
struct mp_tcache {
    unsigned char front[MP_TCACHE_FRONT];   /* never used */
    /* Pool i's slot is slot_rev[MAGPOOL_MAX_POOLS - 1 - i] (tc_slot in
     * tcache.c): the slots of the low pools end where their tops start,
     * in the same page. */
    _Atomic(struct mp_tslot *) slot_rev[MAGPOOL_MAX_POOLS];
    /* The owner's magazine tops (magpool_tls.tops points here); others
     * read them with relaxed loads (stats, fork child). */
    void **tops[MAGPOOL_MAX_POOLS];
    /* The words between the tops and the get counters (inline.h's skew),
     * which the inline fast path never touches. */
    union {
        uint64_t skew[MAGPOOL_INLINE_GETS_SKEW];
        struct {
            struct cds_list_head link;  /* mp_threads, under mp_reg_lock */
            /* Set by the sweeper when one of this thread's slots has been
             * idle for two passes with a loaded magazine; the owner's
             * next slow path clears it and gives such slots' magazines
             * to their depots (tcache.c, drop_idle_slots).  Relaxed both
             * ways: a hint. */
            atomic_bool drop_idle;
            /* mp_sweep_passes when the cache was left by its thread and
             * kept for the next (tcache.c, spare caches). */
            unsigned long spare_pass;
            /* Odd while the owner's slow path moves magazines or objects
             * between its slots, the depot and the slab: a statistics
             * reader retries a sum that such a move overlapped
             * (tcache.c, mp_tcache_move_begin, mp_tcache_moves).  Only
             * the owner writes it. */
            atomic_ulong moving;
        };
    };
    /* After tops and the skew (the inline fast path finds them there): gets this
     * thread served from each pool.  Written by the owner only (relaxed
     * load + store); read by stats under mp_reg_lock; folded into
     * pool->gets_gone and zeroed by the thread's exit, the fork child
     * (dead threads) and magpool_destroy (tcache.c). */
    uint64_t gets[MAGPOOL_MAX_POOLS];
};
_Static_assert(offsetof(struct mp_tcache, gets) ==
                   offsetof(struct mp_tcache, tops) +
                       (MAGPOOL_MAX_POOLS + MAGPOOL_INLINE_GETS_SKEW) *
                           sizeof(void **),
               "inline ABI: the get counters follow the tops and the skew");
_Static_assert(offsetof(struct mp_tcache, gets) - offsetof(struct mp_tcache, link) <=
                   MAGPOOL_INLINE_GETS_SKEW * sizeof(uint64_t),
               "the link and flags fit between the tops and the counters");
_Static_assert(offsetof(struct mp_tcache, tops) % 4096 == 2048,
               "the low pools' slots and tops share a 4 KiB page");


/* ---------------------------------------------------------------------
 * Tunables (options.c; magpool(7) documents each).
 * ------------------------------------------------------------------- */
struct mp_options {
    bool disable;
    bool quiet;
    unsigned sweep_ms;
    size_t mag_bytes;
    size_t mag_grow_bytes;
    unsigned long mag_grow_rate;
    unsigned depot_max;
    size_t chunk_bytes;
    const char *stats_path;
};

/* ---------------------------------------------------------------------
 * Debugging modes: parsed and detected by options.c, fixed before the
 * first pool exists; what each does is debug.c's.
 * ------------------------------------------------------------------- */
#define MP_DBG_TAIL 16u     /* bytes after each object in a debug mode */
struct mp_debug {
    bool on;            /* any mode: no thread caches, every op slow */
    bool check;         /* MAGPOOL_DEBUG=1|abort: pattern, canary */
    bool abort_on;      /* MAGPOOL_DEBUG=abort */
    bool valgrind;      /* running under valgrind (and not MAGPOOL_DEBUG=0) */
    bool asan;          /* the program has ASan's runtime; we are not
                           instrumented ourselves (debug.c) */
    unsigned quarantine;
};

/* The kinds of message, each rate-limited on its own (options.c). */
enum mp_msg { MP_MSG_NULL_PUT, MP_MSG_DOUBLE_PUT, MP_MSG_DEAD_PUT,
              MP_MSG_LEAK, MP_MSG_CONFIG, MP_MSG_OOM, MP_MSG_NR };

#endif /* MP_TYPES_H */
