/*
 * gluster_compat.c - GlusterFS 10.3's mem-pool entry points, served by
 * magpool: mem_pool_new_fn, mem_get_malloc, mem_get_calloc, mem_put_pool,
 * mem_pool_destroy, mem_pools_init, mem_pools_fini.
 *
 * Layer: above pool.c, beside the GlusterFS front (lib/LAYERS).  This
 * file is the GlusterFS API of libmagpool.so, for programs that use
 * GlusterFS's names without GlusterFS (magpool/mem-pool.h); it needs no
 * GlusterFS header.  gluster_front.c gives the same names to GlusterFS's
 * own processes (the preload shim, the static archive), where they must
 * also link pools into glusterfs_ctx_t and step aside for a GlusterFS
 * magpool does not know.  The semantics both share are defined once, in
 * pool.c (mp_gf_pool_new, mp_gf_pools_init) and mp_fast.h.
 *
 * Owns: the exported GlusterFS names of libmagpool.so.  A struct
 * mem_pool handed out here is a struct magpool, whose first 72 bytes are
 * GlusterFS's struct mem_pool (see mp.h), so code that reads those fields
 * finds them.  ctx may be NULL; it is only stored.
 *   - sizeof_type 0, or a block (object + GlusterFS's 40-byte header)
 *     over 1 MiB: NULL, errno EINVAL, a message (as GlusterFS).
 *   - mem_put_pool(NULL): a message; a pointer not from a pool: ignored.
 *   - mem_pools_init/fini nest; the first init starts the sweeper, the
 *     last fini stops it.
 *
 * Synchronization: none of its own; see magazine.c and pool.c.
 *
 * Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).
 */
#include <errno.h>
#include <string.h>

#include "mp.h"
#include "magpool/mem-pool.h"

MP_EXPORT struct mem_pool *mem_pool_new_fn(struct _glusterfs_ctx *ctx,
                                           unsigned long sizeof_type,
                                           unsigned long count, char *name)
{
    return (struct mem_pool *)mp_gf_pool_new(ctx, sizeof_type, count, name);
}

/* mem_pool_new under MAGPOOL_GF_INLINE (magpool/mem-pool.h): the caller
 * compiles get and put inline, so its layout must be this library's. */
MP_EXPORT struct mem_pool *magpool_gf_pool_new_abi(struct _glusterfs_ctx *ctx,
                                                   unsigned long sizeof_type,
                                                   unsigned long count,
                                                   char *name, unsigned abi)
{
    if (mp_abi_check("mem_pool_new", name, abi))
        return NULL;
    return (struct mem_pool *)mp_gf_pool_new(ctx, sizeof_type, count, name);
}

MP_EXPORT void *mem_get_malloc(struct mem_pool *pool)
{
    return mp_get_fast((struct magpool *)pool);
}

MP_EXPORT void *mem_get_calloc(struct mem_pool *pool)
{
    return mp_gf_get_calloc((struct magpool *)pool);
}

MP_EXPORT void mem_put_pool(void *ptr) { mp_put_fast(ptr); }

MP_EXPORT void mem_pool_destroy(struct mem_pool *pool)
{
    if (pool)
        magpool_destroy((struct magpool *)pool);
}

MP_EXPORT void mem_pools_init(void)
{
    mp_gf_pools_init();
}

MP_EXPORT void mem_pools_fini(void) { magpool_fini(); }
