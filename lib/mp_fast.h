/*
 * mp_fast.h - the inline get/put fast path, shared by the exported
 * functions, the GlusterFS fronts and (through magpool/inline.h, whose
 * code it is) callers of the inline API: one implementation.
 *
 * Owns nothing; the tops it reads and writes are the calling thread's
 * own (tcache.c), the slow paths magazine.c's.
 *
 * Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).
 */
#ifndef MP_FAST_H
#define MP_FAST_H

#include "mp_types.h"

/* ---------------------------------------------------------------------
 * Per-thread magazine tops.  tops[i] points just past the last round of
 * the thread's loaded magazine of pool i, or into mp_sentinel when the
 * thread has none (which sends both get and put to their slow paths).
 * They live in the thread's cache (tcache.c) and are reached through
 * magpool_tls, 16 bytes of initial-exec TLS - few enough that the library
 * can be dlopen()ed (glibc keeps only a few hundred bytes of static TLS
 * for late-loaded libraries; an 8 KiB array of tops in TLS, the layout
 * before 0.1, could not be).  Before a thread's first slow path,
 * magpool_tls.tops is mp_sentinel_tops, every entry of which is the
 * sentinel, and magpool_tls.key is 0 (a put then decodes no pool and
 * takes its slow path).  This is also the layout the inline API compiles
 * into its callers (include/magpool/inline.h, magpool(3)).  Measured
 * against the %fs-relative TLS array on a 2-core x86-64 VM: the same
 * time per get+put pair (perf/NOTES.md).
 * ------------------------------------------------------------------- */
extern void *mp_sentinel[2] MP_HIDDEN;
extern __thread struct magpool_tls magpool_tls
    __attribute__((tls_model("initial-exec")));
extern void **mp_sentinel_tops[MAGPOOL_MAX_POOLS] MP_HIDDEN;

/* ---------------------------------------------------------------------
 * Fast path: the inline API's (include/magpool/inline.h), with the
 * library's own slow paths, so that the exported functions, the preload
 * shim and callers of the inline API run one implementation.
 * ------------------------------------------------------------------- */
typedef void ***mp_topref_t;
/* The owner's store of its own top.  Relaxed atomic: other threads
 * (statistics) load it with relaxed loads; it orders nothing and is a
 * plain mov on x86-64. */
#define MP_TOP_SET(ref, v) __atomic_store_n((ref), (v), __ATOMIC_RELAXED)
static inline mp_topref_t mp_topref_pool(const struct magpool *p)
{
    return &magpool_tls.tops[p->idx];
}

void *mp_get_slow(struct magpool *pool) MP_HIDDEN MP_NOINLINE;
void mp_put_slow(void *obj) MP_HIDDEN MP_NOINLINE;

static inline void *mp_get_fast(struct magpool *pool)
{
    return magpool_inline_get_with(pool, mp_get_slow);
}

/* Objects are never page-aligned (slab.c skips such slots) and are
 * 16-byte aligned, so a pointer in the first 8 bytes of a page, NULL
 * included, is not magpool's: its header word would start on the page
 * before, perhaps unmapped.  Such pointers are rejected before anything
 * is read; the test costs what a NULL test does. */
static inline bool mp_in_page_head(const void *obj)
{
    return !((uintptr_t)obj & MAGPOOL_INLINE_PAGE_HEAD_MASK);
}

static inline void mp_put_fast(void *obj)
{
    magpool_inline_put_with(obj, mp_put_slow);
}

static inline void mp_put_to_fast(struct magpool *pool, void *obj)
{
    magpool_inline_put_to_with(pool, obj, mp_put_slow);
}

/* mem_get_calloc: GlusterFS zeroes sizeof_type bytes. */
static inline void *mp_gf_get_calloc(struct magpool *p)
{
    void *obj = mp_get_fast(p);
    if (obj)
        __builtin_memset(obj, 0, p->sizeof_type);
    return obj;
}


#endif /* MP_FAST_H */
