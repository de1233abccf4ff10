/*
 * gluster_front.c - the GlusterFS-facing front: what a GlusterFS 10.3
 * process (glusterd, glusterfsd, FUSE and gfapi clients) calls to use
 * its pools, served by magpool.  Compiled against GlusterFS's development
 * headers, so the layout of struct mem_pool comes from the source of truth
 * (and is checked below).  One front, linked two ways:
 *   - libmagpool-preload.so, the LD_PRELOAD shim for Debian's unmodified
 *     binaries (magpool-preload(7));
 *   - libmagpool-gluster.a, the static archive linked into a rebuilt
 *     glusterfsd (magpool-glusterfsd(8)): glusterfsd is linked with
 *     -rdynamic, so these definitions in the executable win over
 *     libglusterfs's for every caller, as the preloaded ones do.
 * Built only when GlusterFS's headers are found.
 *
 * Owns: GlusterFS's seven pool symbols (mem_pool_new_fn, mem_get_malloc,
 * mem_get_calloc, mem_put_pool, mem_pool_destroy, mem_pools_init,
 * mem_pools_fini) and the two statedump functions that read pools
 * (gf_proc_dump_mempool_info, gf_proc_dump_mempool_info_to_dict), which
 * libglusterfs calls through its PLT and which therefore resolve here.
 *
 *   - A pool handed out is a struct magpool, whose first 72 bytes are
 *     GlusterFS's non-DEBUG struct mem_pool; it is linked into
 *     ctx->mempool_list under ctx->lock, with xl_name from THIS.
 *   - Statedump prints exact active counts (summed from the magazines, so
 *     get/put keep no shared counter) and magpool's real block size as
 *     padded-sizeof, then magpool's own lines: cached objects, mapped
 *     bytes, alloc-count, max-active and the bytes cached in threads and
 *     in the depot (stats.c defines them).
 *   - libglusterfs symbols are referenced weakly and the front links no
 *     GlusterFS library: glusterd's LD_PRELOAD reaches every helper it
 *     spawns (shell hooks, python), which must load the shim unharmed.
 *     (In the static link they resolve to libglusterfs, which glusterfsd
 *     links.)
 *
 * Synchronization: ctx->mempool_list under ctx->lock (GlusterFS's rule);
 * everything else as in magazine.c and pool.c.
 *
 * Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <glusterfs/dict.h>
#include <glusterfs/globals.h>
#include <glusterfs/mem-pool.h>
#include <glusterfs/statedump.h>

#include "mp.h"

/* The GlusterFS release whose headers this front is checked against. */
#define MP_GF_FRONT_FOR "10.3"

/* The layout GlusterFS's code reads must be the one magpool hands out. */
#define MP_SAME_FIELD(f, g)                                                    \
    _Static_assert(offsetof(struct mem_pool, f) == offsetof(struct magpool, g) \
                   && sizeof(((struct mem_pool *)0)->f) ==                     \
                          sizeof(((struct magpool *)0)->g),                    \
                   "struct mem_pool field " #f " moved")
MP_SAME_FIELD(sizeof_type, sizeof_type);
MP_SAME_FIELD(count, count);
MP_SAME_FIELD(name, gf_name);
MP_SAME_FIELD(xl_name, xl_name);
MP_SAME_FIELD(active, active);
MP_SAME_FIELD(owner, owner);
MP_SAME_FIELD(ctx, ctx);
MP_SAME_FIELD(pool, gf_pool);
_Static_assert(sizeof(struct mem_pool) <= offsetof(struct magpool, hdr_alloc),
               "struct mem_pool grew over magpool's own fields");
_Static_assert(offsetof(struct mem_pool_shared, power_of_two) == 0,
               "statedump reads power_of_two first");

/* libglusterfs, resolved at run time if present (see above). */
#pragma weak __glusterfs_this_location
#pragma weak gf_proc_dump_add_section
#pragma weak gf_proc_dump_write
#pragma weak dict_set_str
#pragma weak dict_set_uint64
#pragma weak dict_set_static_ptr

/* Names the front in the dynamic symbol table of whatever links it (the
 * shim, or a glusterfsd rebuilt with magpool): `nm -D` on a binary, or
 * gluster/glusterfsd.sh which, tells a magpool glusterfsd from Debian's. */
MP_EXPORT const char magpool_gf_front_version[] =
    "magpool " PACKAGE_VERSION " GlusterFS front for GlusterFS "
    MP_GF_FRONT_FOR;

static inline struct magpool *mp_of(struct mem_pool *p)
{
    return (struct magpool *)p;
}

MP_EXPORT struct mem_pool *mem_pool_new_fn(glusterfs_ctx_t *ctx,
                                           unsigned long sizeof_type,
                                           unsigned long count, char *name)
{
    struct magpool *p = mp_gf_pool_new(ctx, sizeof_type, count, name);
    if (!p)
        return NULL;
    if (__glusterfs_this_location && THIS && THIS->name)
        p->xl_name = THIS->name;
    struct mem_pool *gp = (struct mem_pool *)p;
    INIT_LIST_HEAD(&gp->owner);
    if (ctx) {
        LOCK(&ctx->lock);
        list_add(&gp->owner, &ctx->mempool_list);
        UNLOCK(&ctx->lock);
    }
    return gp;
}

MP_EXPORT void *mem_get_malloc(struct mem_pool *pool)
{
    return mp_get_fast(mp_of(pool));
}

MP_EXPORT void *mem_get_calloc(struct mem_pool *pool)
{
    return mp_gf_get_calloc(mp_of(pool));
}

MP_EXPORT void mem_put_pool(void *ptr) { mp_put_fast(ptr); }

MP_EXPORT void mem_pool_destroy(struct mem_pool *pool)
{
    if (!pool)
        return;
    glusterfs_ctx_t *ctx = pool->ctx;
    if (ctx) {
        LOCK(&ctx->lock);
        list_del_init(&pool->owner);
        UNLOCK(&ctx->lock);
    }
    magpool_destroy(mp_of(pool));
}

MP_EXPORT void mem_pools_init(void)
{
    if (magpool_init())
        mp_log(MP_MSG_CONFIG, "mem_pools_init: cannot start the sweeper: %s",
               strerror(errno));
}

MP_EXPORT void mem_pools_fini(void) { magpool_fini(); }

/* ------------------------------------------------------------------ */
/* Statedump                                                           */
/* ------------------------------------------------------------------ */

MP_EXPORT void gf_proc_dump_mempool_info(glusterfs_ctx_t *ctx)
{
    struct mem_pool *pool;
    if (!ctx || !gf_proc_dump_write)
        return;
    gf_proc_dump_add_section("mempool");
    LOCK(&ctx->lock);
    list_for_each_entry(pool, &ctx->mempool_list, owner)
    {
        struct magpool_stats st;
        magpool_stats(mp_of(pool), &st); /* refreshes pool->active too */
        gf_proc_dump_write("-----", "-----");
        gf_proc_dump_write("pool-name", "%s", pool->name);
        gf_proc_dump_write("xlator-name", "%s", pool->xl_name);
        gf_proc_dump_write("active-count", "%" PRIu64, st.active);
        gf_proc_dump_write("sizeof-type", "%lu", pool->sizeof_type);
        gf_proc_dump_write("padded-sizeof", "%zu", st.block_size);
        gf_proc_dump_write("size", "%" PRIu64, st.block_size * st.active);
        gf_proc_dump_write("shared-pool", "%p", (void *)pool->pool);
        gf_proc_dump_write("magpool-cached", "%" PRIu64,
                           st.in_threads + st.in_depot);
        gf_proc_dump_write("magpool-mapped", "%" PRIu64, st.bytes_mapped);
        /* GlusterFS's pre-2017 pool printed these two; magpool(7)
         * defines them. */
        gf_proc_dump_write("alloc-count", "%" PRIu64, st.alloc_count);
        gf_proc_dump_write("max-active", "%" PRIu64, st.max_active);
        gf_proc_dump_write("magpool-bytes-in-threads", "%" PRIu64,
                           st.in_threads * st.block_size);
        gf_proc_dump_write("magpool-bytes-in-depot", "%" PRIu64,
                           st.in_depot * st.block_size);
        uint64_t resident = 0;
        (void)magpool_resident_bytes(mp_of(pool), &resident);
        gf_proc_dump_write("magpool-bytes-resident", "%" PRIu64, resident);
    }
    UNLOCK(&ctx->lock);
}

MP_EXPORT void gf_proc_dump_mempool_info_to_dict(glusterfs_ctx_t *ctx,
                                                 dict_t *dict)
{
    struct mem_pool *pool;
    char key[64];
    int count = 0;
    if (!ctx || !dict || !dict_set_uint64)
        return;
    LOCK(&ctx->lock);
    /* Unlike GlusterFS 10.3, which writes every pool to "pool0.*",
     * each pool gets its own index. */
    list_for_each_entry(pool, &ctx->mempool_list, owner)
    {
        struct magpool_stats st;
        magpool_stats(mp_of(pool), &st);
#define SET(fn, field, ...)                                                    \
    do {                                                                       \
        snprintf(key, sizeof(key), "pool%d." field, count);                    \
        if (fn(dict, key, __VA_ARGS__))                                        \
            goto out;                                                          \
    } while (0)
        SET(dict_set_str, "name", pool->name);
        SET(dict_set_uint64, "active-count", st.active);
        SET(dict_set_uint64, "sizeof-type", pool->sizeof_type);
        SET(dict_set_uint64, "padded-sizeof", st.block_size);
        SET(dict_set_uint64, "size", st.block_size * st.active);
        SET(dict_set_static_ptr, "shared-pool", pool->pool);
        SET(dict_set_uint64, "alloc-count", st.alloc_count);
        SET(dict_set_uint64, "max-active", st.max_active);
#undef SET
        count++;
    }
out:
    UNLOCK(&ctx->lock);
}
