/*
 * slab.c - chunks carved into objects: taken from os.c, carved lazily,
 * handed back to os.c (their memory returned to the kernel) when every
 * object is back.
 *
 * Owns: struct mp_slab of each pool and its chunks.  A chunk is a
 * power-of-two sized, equally aligned mapping: the chunk of an object is
 * found by masking its address (only ever done for an object whose header
 * has already proved it is magpool's).  Objects are carved lazily (a bump
 * pointer) so mapping a chunk touches one page, not all of them.
 *
 * Layout of a chunk:  [struct mp_chunk][pad][hdr|object][hdr|object]...
 * Each object is 16-byte aligned and preceded by its 8-byte header.
 *
 * Synchronization: every field of struct mp_slab and of its chunks is
 * protected by slab.lock, taken only on slow paths (a get that found the
 * depot empty, the sweeper, trim, destroy, a put over the depot limit).
 *
 * Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mp.h"

static size_t round_up(size_t v, size_t a) { return (v + a - 1) & ~(a - 1); }

int mp_slab_init(struct magpool *pool)
{
    struct mp_slab *sl = &pool->slab;
    pthread_mutex_init(&sl->lock, NULL);
    CDS_INIT_LIST_HEAD(&sl->partial);
    CDS_INIT_LIST_HEAD(&sl->full);
    /* Debug modes put a canary area after each object (debug.c). */
    sl->stride = round_up(pool->obj_size + MP_HDR_SIZE +
                              (mp_dbg.on ? MP_DBG_TAIL : 0),
                          MP_OBJ_ALIGN);
    /* Offset of the first header: the object after it is 16-aligned. */
    sl->first = round_up(sizeof(struct mp_chunk) + MP_HDR_SIZE,
                         MP_OBJ_ALIGN) - MP_HDR_SIZE;
    size_t want = sl->first + 4 * sl->stride;
    if (want < mp_opt.chunk_bytes)
        want = mp_opt.chunk_bytes;
    size_t cs = 1;
    while (cs < want)
        cs <<= 1;
    sl->chunk_size = cs;
    sl->nobj = (unsigned)((cs - sl->first) / sl->stride);
    sl->out = sl->chunks = sl->maps = sl->unmaps = sl->refills = 0;
    return 0;
}

static struct mp_chunk *chunk_map(struct magpool *pool)
{
    struct mp_slab *sl = &pool->slab;
    char *base = mp_os_map(sl->chunk_size);
    if (!base)
        return NULL;
    /* A reused range may hold what memcheck was told is free. */
    mp_dbg_expose(base, sl->chunk_size);
    struct mp_chunk *c = (struct mp_chunk *)base;
    c->pool = pool;
    c->free = NULL;
    c->bump = base + sl->first;
    c->end = c->bump + (size_t)sl->nobj * sl->stride;
    c->nobj = sl->nobj;
    c->out = 0;
    c->on_partial = true;
    cds_list_add(&c->link, &sl->partial);
    sl->chunks++;
    sl->maps++;
    return c;
}

static size_t chunk_unmap(struct mp_slab *sl, struct mp_chunk *c)
{
    cds_list_del(&c->link);
    mp_os_retire(c, sl->chunk_size);
    sl->chunks--;
    sl->unmaps++;
    return sl->chunk_size;
}

/* Bytes of the pool's chunks the kernel holds in memory now (mincore(2)):
 * what its mapped chunks really cost, carved objects free in the slab
 * included, never-carved pages not.  Takes slab.lock; statistics only. */
uint64_t mp_slab_resident(struct magpool *pool)
{
    struct mp_slab *sl = &pool->slab;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    unsigned char vec[256];
    uint64_t pages = 0;
    pthread_mutex_lock(&sl->lock);
    struct cds_list_head *lists[2] = { &sl->partial, &sl->full };
    for (int l = 0; l < 2; l++) {
        struct mp_chunk *c;
        cds_list_for_each_entry(c, lists[l], link) {
            for (size_t off = 0; off < sl->chunk_size;
                 off += sizeof(vec) * page) {
                size_t len = sl->chunk_size - off;
                if (len > sizeof(vec) * page)
                    len = sizeof(vec) * page;
                if (mincore((char *)c + off, len, vec))
                    continue; /* cannot happen for our own mapping */
                for (size_t i = 0; i < len / page; i++)
                    pages += vec[i] & 1;
            }
        }
    }
    pthread_mutex_unlock(&sl->lock);
    return pages * page;
}

static struct mp_chunk *chunk_of(const struct mp_slab *sl, void *obj)
{
    return (struct mp_chunk *)((uintptr_t)obj & ~(sl->chunk_size - 1));
}

/* Carve up to n free objects into out[]; returns how many (0: ENOMEM). */
unsigned mp_slab_alloc(struct magpool *pool, void **out, unsigned n)
{
    struct mp_slab *sl = &pool->slab;
    uint64_t hdr_free = pool->hdr_alloc ^ MP_HDR_FLIP;
    unsigned got = 0;
    pthread_mutex_lock(&sl->lock);
    sl->refills++;
    while (got < n) {
        struct mp_chunk *c;
        if (cds_list_empty(&sl->partial)) {
            if (!chunk_map(pool))
                break;
        }
        c = cds_list_first_entry(&sl->partial, struct mp_chunk, link);
        while (got < n && c->free) {
            void *obj = c->free;
            mp_dbg_expose(obj, sizeof(void *));
            c->free = *(void **)obj;
            out[got++] = obj;
            c->out++;
        }
        while (got < n && c->bump < c->end) {
            void *obj = c->bump + MP_HDR_SIZE;
            c->bump += sl->stride;
            if (mp_in_page_head(obj))
                continue; /* never hand out a page-aligned object */
            *mp_hdr(obj) = hdr_free;
            out[got++] = obj;
            c->out++;
        }
        if (!c->free && c->bump == c->end) {
            cds_list_move(&c->link, &sl->full);
            c->on_partial = false;
        }
    }
    sl->out += got;
    pthread_mutex_unlock(&sl->lock);
    if (got == 0)
        mp_log(MP_MSG_OOM, "pool \"%s\": cannot map a %zu-byte chunk: %s",
               pool->name, sl->chunk_size, "out of memory");
    return got;
}

/* Return n objects (already marked free); unmap chunks that become
 * entirely free.  Returns the bytes unmapped. */
size_t mp_slab_free(struct magpool *pool, void **objs, unsigned n)
{
    struct mp_slab *sl = &pool->slab;
    size_t unmapped = 0;
    if (!n)
        return 0;
    pthread_mutex_lock(&sl->lock);
    for (unsigned i = 0; i < n; i++) {
        void *obj = objs[i];
        struct mp_chunk *c = chunk_of(sl, obj);
        mp_dbg_expose(obj, sizeof(void *));
        *(void **)obj = c->free;
        mp_dbg_hide(obj, sizeof(void *));
        c->free = obj;
        c->out--;
        if (!c->on_partial) {
            cds_list_move(&c->link, &sl->partial);
            c->on_partial = true;
        }
        /* In a debug mode chunks stay: a write after put into memory
         * given back to the kernel would vanish unseen (debug.c). */
        if (c->out == 0 && !mp_dbg.on)
            unmapped += chunk_unmap(sl, c);
    }
    sl->out -= n;
    pthread_mutex_unlock(&sl->lock);
    return unmapped;
}

/* Unmap every chunk, objects outstanding or not (pool destruction). */
void mp_slab_destroy(struct magpool *pool)
{
    struct mp_slab *sl = &pool->slab;
    struct mp_chunk *c, *tmp;
    pthread_mutex_lock(&sl->lock);
    cds_list_for_each_entry_safe(c, tmp, &sl->partial, link)
        chunk_unmap(sl, c);
    cds_list_for_each_entry_safe(c, tmp, &sl->full, link)
        chunk_unmap(sl, c);
    sl->out = 0;
    pthread_mutex_unlock(&sl->lock);
    pthread_mutex_destroy(&sl->lock);
}
