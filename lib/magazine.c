/*
 * magazine.c - the per-thread magazine layer: magpool_get/put and their
 * slow paths (Bonwick's loaded/previous magazine pair per pool per thread).
 *
 * Layer: above tcache, debug, depot, slab, the registry and options
 * (lib/LAYERS).
 *
 * Owns: the algorithm that swaps magazines and trades them with the
 * depot (their size is depot.c's), the cacheless path (a thread without
 * a cache trades single objects with the slab) and MAGPOOL_DISABLE's
 * malloc passthrough.  In a debug mode (valgrind, ASan, MAGPOOL_DEBUG) no thread
 * has a cache and both slow paths hand every call to debug.c.
 *
 * Synchronization:
 *   tops[i], slot->loaded   only the owner thread writes them; they are
 *       stored with relaxed atomics (or plain TLS stores) because the
 *       stats reader and the fork child read them, never to order anything.
 *   slot->prev   claimed by the owner with an exchange at the start of a
 *       slow path (take_prev) and stored back with release at its end
 *       (set_prev); the sweeper may take it from an idle slot in between
 *       two slow paths (tcache.c, mp_tcache_reclaim_idle), never the
 *       loaded magazine, which the fast path uses without any atomic.
 *   magazine rounds                private to the thread holding the
 *       magazine; a magazine changes hands only through the depot, whose
 *       push/pop carry the release/acquire edge (depot.c).
 *   tc->gets[i] (after the tops): the owner's count of gets, a relaxed
 *       load and store in the fast path (tcache.c).
 *   No lock and no atomic read-modify-write is taken on the fast path;
 *   the slow paths take one exchange (take_prev), the depot's and slab's,
 *   and update the pool's magazine
 *   size (pool->cap, pool->adapt_ns: relaxed atomics, once per MP_ADAPT_EVERY
 *   exchanges; any recent value makes a valid magazine).
 *   pool->passthrough_refs (MAGPOOL_DISABLE only): an atomic reference
 *   count; the put that drops it to zero frees the pool, under
 *   mp_reg_lock.  pool->gets_gone: relaxed adds by the passthrough and
 *   cacheless gets (slow paths).
 *
 * Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mp.h"

/* Make mag the loaded magazine of slot s (this thread). */
static void load(struct mp_tslot *s, mp_topref_t ref, struct mp_mag *mag)
{
    atomic_store_explicit(&s->loaded, mag, memory_order_relaxed);
    MP_TOP_SET(ref, &mag->rounds[1 + mag->n]);
}

/* Write the loaded magazine's count back from the TLS top. */
static struct mp_mag *unload(struct mp_tslot *s, mp_topref_t ref)
{
    struct mp_mag *mag =
        atomic_load_explicit(&s->loaded, memory_order_relaxed);
    if (mag)
        mag->n = (unsigned)(*ref - &mag->rounds[1]);
    return mag;
}

/* Claim this thread's previous magazine for the rest of a slow path:
 * the sweeper may take the previous magazine of an idle slot at any time
 * (tcache.c), so the owner does not read it in place.  Acquire: pairs with
 * the release in set_prev (ours, on an earlier slow path). */
static struct mp_mag *take_prev(struct mp_tslot *s)
{
    /* Relaxed: the pass number only tells the sweeper this slot is in
     * use; a stale one costs at most one more depot exchange. */
    atomic_store_explicit(&s->used_pass,
                          atomic_load_explicit(&mp_sweep_passes,
                                               memory_order_relaxed),
                          memory_order_relaxed);
    return atomic_exchange_explicit(&s->prev, NULL, memory_order_acquire);
}

/* End of a slow path: mag (or NULL) becomes the previous magazine.
 * prev_n first, then the pointer with release: a sweeper that takes the
 * magazine sees its rounds, and a stats reader that sees the pointer
 * sees its count. */
static void set_prev(struct mp_tslot *s, struct mp_mag *mag)
{
    atomic_store_explicit(&s->prev_n, mag ? mag->n : 0,
                          memory_order_relaxed);
    atomic_store_explicit(&s->prev, mag, memory_order_release);
}

/* ------------------------------------------------------------------ */
/* Passthrough (MAGPOOL_DISABLE=1): malloc with magpool's header word.  */
/* ------------------------------------------------------------------ */

/* Layout: [32 bytes][block pointer][header][object], the object 48 bytes
 * (or, if that would be page-aligned, 64) into the malloc'ed block.  The
 * first 32 bytes are malloc's: glibc's free() writes its list links
 * there (tcache next and key, bin fd and bk, large-bin fd_nextsize and
 * bk_nextsize), so the header after them still reads "free" after the
 * put, and a double put is seen until malloc hands the block out again
 * or malloc_trim(3) gives its page back (magpool(3)).
 * pool->passthrough_refs counts the objects out plus one reference held
 * by the live pool: whoever drops the count to zero (the last put after
 * magpool_destroy, or destroy itself) frees the pool, exactly once. */
#define MP_PT_OFFSET (3 * MP_OBJ_ALIGN) /* malloc's 32 bytes, pointer, header */

static void *passthrough_get(struct magpool *pool)
{
    char *block = malloc(MP_PT_OFFSET + MP_OBJ_ALIGN + pool->obj_size);
    if (!block) {
        errno = ENOMEM;
        return NULL;
    }
    char *obj = block + MP_PT_OFFSET;
    if (mp_in_page_head(obj))
        obj += MP_OBJ_ALIGN;
    ((void **)obj)[-2] = block;
    mp_hdr_set(obj, pool->hdr_alloc);
    /* Relaxed: taking a reference while holding one (the pool's) needs
     * no ordering, as for any reference count. */
    atomic_fetch_add_explicit(&pool->passthrough_refs, 1,
                              memory_order_relaxed);
    /* Relaxed: a counter (alloc-count), read by stats.  Passthrough is
     * malloc's speed, with one shared add already. */
    atomic_fetch_add_explicit(&pool->gets_gone, 1, memory_order_relaxed);
    return obj;
}

static void passthrough_put(struct magpool *pool, void *obj, uint64_t h)
{
    mp_hdr_set(obj, h ^ MP_HDR_FLIP);
    free(((void **)obj)[-2]);
    /* acq_rel: the thread that frees the pool must see every other
     * thread's last use of it (release by each, acquire by the last). */
    if (atomic_fetch_sub_explicit(&pool->passthrough_refs, 1,
                                  memory_order_acq_rel) == 1) {
        pthread_mutex_lock(&mp_reg_lock);
        mp_pool_release_dead(pool);
        pthread_mutex_unlock(&mp_reg_lock);
    }
}

/* ------------------------------------------------------------------ */
/* Without a thread cache                                              */
/* ------------------------------------------------------------------ */
/* A thread past its exit hook (a put from a later TLS destructor), or one
 * whose cache could not be allocated, trades single objects with the
 * slab under its lock: slow, but it needs no memory of its own and
 * leaves nothing behind in the thread. */

static void *cacheless_get(struct magpool *pool)
{
    void *obj;
    if (mp_slab_alloc(pool, &obj, 1) == 0) {
        errno = ENOMEM;
        return NULL;
    }
    mp_hdr_set(obj, pool->hdr_alloc);
    /* Relaxed: a counter (alloc-count), read by stats. */
    atomic_fetch_add_explicit(&pool->gets_gone, 1, memory_order_relaxed);
    return obj;
}

static void cacheless_put(struct magpool *pool, void *obj, uint64_t h)
{
    mp_hdr_set(obj, h ^ MP_HDR_FLIP);
    mp_slab_free(pool, &obj, 1);
}

/* An empty magazine this thread no longer keeps: to the depot, or freed
 * if the pool's magazine size has changed since it was made (the put
 * path would free it when it came out of the depot anyway). */
static void give_back_empty(struct magpool *pool, struct mp_mag *mag)
{
    if (mag->cap != atomic_load_explicit(&pool->cap, memory_order_relaxed))
        mp_mag_free_now(mag);
    else
        mp_depot_put_empty(pool, mag);
}

/* A magazine of an earlier size leaves circulation: its rounds move into
 * dst, an empty magazine of a larger size (src->n <= src->cap < dst->cap),
 * and it is freed. */
static void absorb(struct mp_mag *dst, struct mp_mag *src)
{
    memcpy(&dst->rounds[1], &src->rounds[1], src->n * sizeof(void *));
    dst->n = src->n;
    mp_mag_free_now(src);
}

/* Of a thread's two magazines, both empty or both full, keep the one made
 * after the pool's magazines last grew as the loaded one: the other
 * (previous) is the one to trade or to phase out. */
static void larger_loaded(struct mp_mag **loaded, struct mp_mag **prev)
{
    if (*prev && (*prev)->cap > (*loaded)->cap) {
        struct mp_mag *t = *prev;
        *prev = *loaded;
        *loaded = t;
    }
}

/* ------------------------------------------------------------------ */
/* get slow path                                                        */
/* ------------------------------------------------------------------ */

void *mp_get_slow(struct magpool *pool)
{
    if (!pool) {
        errno = EINVAL;
        return NULL;
    }
    if (mp_opt.disable)
        return passthrough_get(pool);
    if (mp_dbg.on)
        return mp_debug_get(pool);

    struct mp_tslot *s = mp_tslot_get(pool);
    if (!s)
        return cacheless_get(pool);
    /* From here to the load of the magazine the get goes on with,
     * magazines and objects are between the slot, the depot and the
     * slab: a move, which statistics readers wait out (tcache.c). */
    mp_tcache_move_begin();
    mp_topref_t ref = mp_topref_pool(pool);
    struct mp_mag *loaded = unload(s, ref);
    struct mp_mag *prev = take_prev(s);

    if (loaded->n > 0) {
        set_prev(s, prev); /* a first get: nothing to swap */
    } else if (prev && prev->n > 0) {
        /* The previous magazine still has rounds: swap. */
        set_prev(s, loaded);
        loaded = prev;
    } else {
        /* Both are empty (an exchange, counted to pace the magazine
         * size), or this slot has only its first magazine yet. */
        if (prev)
            mp_mag_note_trade(pool);
        mp_mag_slot_trade(pool, s);
        /* The larger is the one to fill. */
        larger_loaded(&loaded, &prev);
        struct mp_mag *full = mp_depot_get_full(pool);
        if (full && full->cap < loaded->cap) {
            /* Made before the pool's magazines grew: its rounds move into
             * ours and it is freed.  Kept in circulation, such a
             * magazine holds the threads that take it to trading with
             * the depot on every cycle of a working set their grown
             * magazines would hold. */
            absorb(loaded, full);
            set_prev(s, prev);
        } else if (full) {
            /* Bonwick: the empty previous goes back to the depot (or is
             * freed if its size is no longer the pool's), the empty
             * loaded becomes previous. */
            if (prev)
                give_back_empty(pool, prev);
            set_prev(s, loaded);
            loaded = full;
        } else {
            set_prev(s, prev);
            unsigned want = mp_mag_slot_cap(pool, s);
            struct mp_mag *larger =
                loaded->cap < want ? mp_mag_new_cap(want) : NULL;
            if (larger) {
                /* This thread's trades earned larger magazines: the
                 * slab fills one, in one run.  The slot names it before
                 * the empty one goes (a stats reader computes with the
                 * pointer it finds, never reads the magazine). */
                struct mp_mag *old = loaded;
                load(s, ref, larger);
                give_back_empty(pool, old);
                loaded = larger;
            }
            loaded->n = mp_slab_alloc(pool, &loaded->rounds[1], loaded->cap);
            if (loaded->n == 0) {
                load(s, ref, loaded);
                mp_tcache_move_end();
                errno = ENOMEM;
                return NULL;
            }
        }
    }
    load(s, ref, loaded);
    mp_tcache_move_end();
    return mp_get_fast(pool);
}

/* ------------------------------------------------------------------ */
/* put slow path                                                        */
/* ------------------------------------------------------------------ */

static void put_to_dead_pool(struct magpool *pool, void *obj, uint64_t h)
{
    pthread_mutex_lock(&mp_reg_lock);
    mp_hdr_set(obj, h ^ MP_HDR_FLIP);
    mp_slab_free(pool, &obj, 1);
    if (pool->slab.out == 0)
        mp_pool_release_dead(pool);
    pthread_mutex_unlock(&mp_reg_lock);
}

void mp_put_slow(void *obj)
{
    if (!obj) {
        mp_log(MP_MSG_NULL_PUT, "put of a NULL pointer ignored");
        return;
    }
    if (mp_in_page_head(obj))
        return; /* never one of ours (see mp_put_fast) */
    uint64_t h = mp_hdr_peek(obj);
    uint64_t idx = h ^ mp_key_alloc;
    if (idx >= MAGPOOL_MAX_POOLS) {
        uint64_t fidx = idx ^ MP_HDR_FLIP;
        struct magpool *fp =
            fidx < MAGPOOL_MAX_POOLS ? mp_pool_lookup(fidx) : NULL;
        if (fp) {
            atomic_fetch_add_explicit(&fp->double_puts, 1,
                                      memory_order_relaxed); /* a count */
            if (mp_dbg.on)
                mp_debug_double_put(fp, obj);
            else
                mp_log(MP_MSG_DOUBLE_PUT,
                       "double put of %p (pool \"%s\") ignored", obj,
                       fp->name);
        }
        /* Otherwise not one of ours: ignored, as GlusterFS does. */
        return;
    }
    struct magpool *pool = mp_pool_lookup(idx);
    if (!pool)
        return; /* a stale header of a pool long gone: not ours now */
    if (mp_opt.disable) {
        passthrough_put(pool, obj, h);
        return;
    }
    if (pool->dead) {
        mp_log(MP_MSG_DEAD_PUT,
               "put of %p after its pool \"%s\" was destroyed", obj,
               pool->name);
        if (mp_dbg.on)
            mp_debug_release(pool, obj, h);
        put_to_dead_pool(pool, obj, h);
        return;
    }
    if (mp_dbg.on) {
        mp_debug_put(pool, obj, h);
        return;
    }

    struct mp_tslot *s = mp_tslot_get(pool);
    if (!s) {
        cacheless_put(pool, obj, h);
        return;
    }
    mp_tcache_move_begin(); /* as in mp_get_slow */
    mp_topref_t ref = mp_topref_pool(pool);
    struct mp_mag *loaded = unload(s, ref);
    struct mp_mag *prev = take_prev(s);

    if (loaded->n < loaded->cap) {
        set_prev(s, prev); /* a first put: nothing to swap */
    } else if (prev && prev->n < prev->cap) {
        set_prev(s, loaded);
        loaded = prev;
    } else {
        /* Both are full (an exchange, counted to pace the magazine size,
         * whether the depot has an empty one or a new one is made), or
         * this slot has only its first magazine yet. */
        if (prev)
            mp_mag_note_trade(pool);
        mp_mag_slot_trade(pool, s);
        unsigned want = mp_mag_slot_cap(pool, s);
        struct mp_mag *empty = mp_depot_get_empty(pool);
        if (empty && empty->cap != want) {
            /* The pool's magazine size changed, or this thread's: phase
             * the old out. */
            mp_mag_free_now(empty);
            empty = NULL;
        }
        if (!empty)
            empty = mp_mag_new_cap(want);
        if (!empty) {
            /* Cannot get a magazine: the object goes to the slab. */
            set_prev(s, prev);
            load(s, ref, loaded);
            cacheless_put(pool, obj, h);
            mp_tcache_move_end();
            return;
        }
        /* Both full: the smaller goes to the depot (see mp_get_slow), */
        larger_loaded(&loaded, &prev);
        if (prev && prev->cap < empty->cap) {
            /* unless it was made before the pool's magazines grew: then
             * its rounds move into the new magazine (prev->n <= prev->cap
             * < empty->cap: room to spare), which is loaded, and it is
             * freed, so that no magazine of an earlier size enters the
             * depot again. */
            absorb(empty, prev);
        } else if (prev) {
            mp_depot_put_full(pool, prev);
        }
        set_prev(s, loaded);
        loaded = empty;
    }
    load(s, ref, loaded);
    mp_tcache_move_end();
    mp_put_fast(obj);
}

/* ------------------------------------------------------------------ */
/* Exported native entry points                                        */
/* ------------------------------------------------------------------ */

MP_EXPORT void *magpool_get(struct magpool *pool) { return mp_get_fast(pool); }

MP_EXPORT void magpool_put(void *obj) { mp_put_fast(obj); }

MP_EXPORT void magpool_put_to(struct magpool *pool, void *obj)
{
    mp_put_to_fast(pool, obj);
}

/* The inline API's out-of-line halves (include/magpool/inline.h). */
MP_EXPORT void *magpool_get_slow(struct magpool *pool)
{
    return mp_get_slow(pool);
}

MP_EXPORT void magpool_put_slow(void *obj) { mp_put_slow(obj); }

MP_EXPORT void *magpool_get0(struct magpool *pool)
{
    void *obj = mp_get_fast(pool);
    if (obj)
        memset(obj, 0, pool->obj_size);
    return obj;
}
