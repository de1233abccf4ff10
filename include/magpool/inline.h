/*
 * magpool/inline.h - magpool's get and put compiled into the caller.
 *
 * magpool_inline_get/get0/put do what magpool_get/get0/put do, with the
 * fast path (a dozen instructions, no call) in the caller and the slow
 * paths out of line in libmagpool.  Pools used with them must be created
 * with magpool_inline_create(), which passes the layout this header was
 * written for: a library with another layout refuses it (NULL, errno
 * EPROTO) instead of letting the caller corrupt it.  Objects may be put
 * with either API, from any thread.
 *
 * What becomes ABI (magpool(3), INLINE API): the offsets of obj_size,
 * hdr_alloc and idx in struct magpool (struct magpool_inline_view), the
 * thread-local struct magpool_tls, the per-thread get counters that follow
 * the tops array (MAGPOOL_MAX_POOLS 64-bit words, MAGPOOL_INLINE_GETS_SKEW
 * words after its end), the sentinel values NULL (a get's empty
 * magazine) and 1 (a put's full magazine), and the header encoding
 * (allocated: hdr_alloc; free: hdr_alloc ^ MAGPOOL_INLINE_HDR_FREE; a
 * word that decodes to no pool index is not magpool's).  Any change to
 * them changes MAGPOOL_INLINE_ABI.
 *
 * Copyright (C) 2026 the magpool authors.
 * This file is dual-licensed: LGPLv3 or later, or GPLv2 (see COPYING).
 */
#ifndef MAGPOOL_INLINE_H
#define MAGPOOL_INLINE_H

#include <stdint.h>
#include <string.h>

#include "magpool.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 2: get counts itself in the thread's counter of the pool (0.1.0).
 * 3: the counters start MAGPOOL_INLINE_GETS_SKEW words after the end of
 *    the tops, no longer right after them. */
#define MAGPOOL_INLINE_ABI 3u
/* Words between the end of a thread's tops and its get counters.  Right
 * after them, a pool's counter was exactly 8 KiB above its top, an
 * address with the same low 12 bits: the CPU took the counter's load for
 * one that might read the top just stored (4 KiB aliasing) and held it
 * back, 0.8 ns of a 5 ns get+put in a loop of 1000 (NEWS). */
#define MAGPOOL_INLINE_GETS_SKEW 8u
#define MAGPOOL_INLINE_HDR_FREE ((uint64_t)1 << 40)

/* A thread's view of its magazines (libmagpool.so's only initial-exec
 * TLS besides its private bookkeeping). */
struct magpool_tls {
    /* per pool index: just past the loaded magazine's top.  A thread's
     * array is followed by MAGPOOL_MAX_POOLS uint64_t: the gets it served
     * from each pool (magpool(7), alloc-count).  The array before the
     * thread's first slow path is not, but no get passes its empty-check
     * there. */
    void ***tops;
    uint64_t key;   /* header key; 0 before the thread's first slow path */
};
extern __thread struct magpool_tls magpool_tls
    __attribute__((tls_model("initial-exec")));

/* The fields of struct magpool the inline fast path reads. */
struct magpool_inline_view {
    unsigned long obj_size;     /* GlusterFS's sizeof_type */
    unsigned char gf_rest[64];  /* the rest of GlusterFS's struct mem_pool */
    uint64_t hdr_alloc;         /* header of a handed-out object */
    unsigned idx;               /* index in magpool_tls.tops */
};

struct magpool *magpool_create_abi(const char *name, size_t obj_size,
                                   const struct magpool_options *opts,
                                   unsigned abi);
void *magpool_get_slow(struct magpool *pool);
void magpool_put_slow(void *obj);

static inline struct magpool *
magpool_inline_create(const char *name, size_t obj_size,
                      const struct magpool_options *opts)
{
    return magpool_create_abi(name, obj_size, opts, MAGPOOL_INLINE_ABI);
}

/* ---------------------------------------------------------------------
 * The fast path itself, shared with libmagpool's exported functions
 * (lib/mp.h instantiates it with its internal slow paths): one
 * implementation of get and put.
 * ------------------------------------------------------------------- */

/* The first 8 bytes of a page (NULL included) never hold an object: the
 * word in front of such a pointer would start on the page before. */
#define MAGPOOL_INLINE_PAGE_HEAD_MASK ((uintptr_t)0xff8)

/* Read the word before a pointer that may not be magpool's (a memcpy: one
 * plain load, no undefined behaviour when misaligned).  Under
 * AddressSanitizer or ThreadSanitizer that read of foreign memory is by
 * design and is not instrumented (and then cannot be inlined). */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define MAGPOOL_INLINE_PEEK_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define MAGPOOL_INLINE_PEEK_SANITIZED 1
#endif
#endif
#ifdef MAGPOOL_INLINE_PEEK_SANITIZED
__attribute__((no_sanitize_address, no_sanitize_thread, noinline, unused))
static uint64_t
#else
static inline uint64_t
#endif
magpool_inline_hdr_peek(const void *obj)
{
    uint64_t h;
    memcpy(&h, (const char *)obj - sizeof(h), sizeof(h));
    return h;
}

__attribute__((always_inline)) static inline void *
magpool_inline_get_with(struct magpool *pool,
                        void *(*slow)(struct magpool *))
{
    const struct magpool_inline_view *v =
        (const struct magpool_inline_view *)pool;
    if (__builtin_expect(!pool, 0))
        return slow(pool);
    void ***slot = &magpool_tls.tops[v->idx];
    void **top = *slot;
    void *obj = top[-1];
    if (__builtin_expect(!obj, 0))
        return slow(pool);
    /* Relaxed: only this thread writes its tops; statistics read them
     * with relaxed loads.  A plain mov on x86-64. */
    __atomic_store_n(slot, top - 1, __ATOMIC_RELAXED);
    ((uint64_t *)obj)[-1] = v->hdr_alloc;
    /* This thread's count of gets from the pool: a load and a store, not
     * an atomic read-modify-write (only this thread writes it; statistics
     * read it with relaxed loads), off the object's dependency chain. */
    uint64_t *gets =
        (uint64_t *)(slot + MAGPOOL_MAX_POOLS + MAGPOOL_INLINE_GETS_SKEW);
    __atomic_store_n(gets, __atomic_load_n(gets, __ATOMIC_RELAXED) + 1,
                     __ATOMIC_RELAXED);
    return obj;
}

/* The end of both puts: obj (header h, allocated) onto the magazine
 * whose top, *slot, is top.  Marked free before it enters the magazine,
 * and (in get) taken out before it is marked allocated: an object inside
 * a magazine is always marked free, even in the child of a fork() that
 * stopped this thread between two of these stores. */
__attribute__((always_inline)) static inline void
magpool_inline_push(void ***slot, void **top, void *obj, uint64_t h)
{
    ((uint64_t *)obj)[-1] = h ^ MAGPOOL_INLINE_HDR_FREE;
    *top = obj;
    __atomic_store_n(slot, top + 1, __ATOMIC_RELAXED);
}

__attribute__((always_inline)) static inline void
magpool_inline_put_with(void *obj, void (*slow)(void *))
{
    if (__builtin_expect(!((uintptr_t)obj & MAGPOOL_INLINE_PAGE_HEAD_MASK), 0)) {
        slow(obj);
        return;
    }
    uint64_t h = magpool_inline_hdr_peek(obj);
    uint64_t idx = h ^ magpool_tls.key;
    if (__builtin_expect(idx >= MAGPOOL_MAX_POOLS, 0)) {
        slow(obj);
        return;
    }
    void ***slot = &magpool_tls.tops[idx];
    void **top = *slot;
    if (__builtin_expect(*top == (void *)(uintptr_t)1, 0)) {
        slow(obj);
        return;
    }
    magpool_inline_push(slot, top, obj, h);
}

/* A put that is told the pool: the header is still read and must say the
 * object is one of this pool's, allocated (anything else goes to the slow
 * path, which decides from the header alone, as magpool_put does), but
 * finding the magazine top no longer waits for that load: the header's
 * load leaves the chain of dependent loads through memory that a loop of
 * gets and puts is (magpool(3), magpool_put_to). */
__attribute__((always_inline)) static inline void
magpool_inline_put_to_with(struct magpool *pool, void *obj,
                           void (*slow)(void *))
{
    const struct magpool_inline_view *v =
        (const struct magpool_inline_view *)pool;
    if (__builtin_expect(!pool || !((uintptr_t)obj &
                                    MAGPOOL_INLINE_PAGE_HEAD_MASK), 0)) {
        slow(obj);
        return;
    }
    uint64_t h = magpool_inline_hdr_peek(obj);
    void ***slot = &magpool_tls.tops[v->idx];
    void **top = *slot;
    if (__builtin_expect(h != v->hdr_alloc, 0) ||
        __builtin_expect(*top == (void *)(uintptr_t)1, 0)) {
        slow(obj);
        return;
    }
    magpool_inline_push(slot, top, obj, h);
}

static inline void *magpool_inline_get(struct magpool *pool)
{
    return magpool_inline_get_with(pool, magpool_get_slow);
}

static inline void *magpool_inline_get0(struct magpool *pool)
{
    void *obj = magpool_inline_get(pool);
    if (obj)
        memset(obj, 0, ((const struct magpool_inline_view *)pool)->obj_size);
    return obj;
}

static inline void magpool_inline_put(void *obj)
{
    magpool_inline_put_with(obj, magpool_put_slow);
}

/* magpool_inline_put with the pool the object came from (or any live
 * pool: an object of another pool, a foreign pointer or a double put is
 * recognized from the header and handled as magpool_put would). */
static inline void magpool_inline_put_to(struct magpool *pool, void *obj)
{
    magpool_inline_put_to_with(pool, obj, magpool_put_slow);
}

#ifdef __cplusplus
}
#endif
#endif /* MAGPOOL_INLINE_H */
