/*
 * magpool/mem-pool.h - GlusterFS's mem-pool API, served by magpool.
 *
 * The names, signatures and macros are GlusterFS 10.3's, so code written
 * for libglusterfs' pool compiles unchanged; `ctx` may be NULL.  Like
 * GlusterFS's, the mem_get/mem_get0/mem_put macros end in ';'.
 * See mem_get(3).
 *
 * Opt-in: with MAGPOOL_GF_INLINE defined before this header, the macros
 * compile get and put into the caller (magpool/inline.h), and
 * mem_pool_new/mem_pool_new_ctx create pools through
 * magpool_gf_pool_new_abi(), which refuses (NULL, EPROTO) a library of
 * another inline layout.  Use the inline macros only on pools created by
 * those macros in a unit that opted in.
 *
 * Copyright (C) 2026 the magpool authors.
 * This file is dual-licensed: LGPLv3 or later, or GPLv2 (see COPYING).
 */
#ifndef MAGPOOL_MEM_POOL_H
#define MAGPOOL_MEM_POOL_H

#ifdef __cplusplus
extern "C" {
#endif

struct mem_pool;
struct _glusterfs_ctx;

struct mem_pool *mem_pool_new_fn(struct _glusterfs_ctx *ctx,
                                 unsigned long sizeof_type,
                                 unsigned long count, char *name);
void *mem_get_malloc(struct mem_pool *pool);
void *mem_get_calloc(struct mem_pool *pool);
void mem_put_pool(void *ptr);
void mem_pool_destroy(struct mem_pool *pool);
void mem_pools_init(void);
void mem_pools_fini(void);

#ifdef MAGPOOL_GF_INLINE
#ifdef __cplusplus
}
#endif
#include "magpool/inline.h"
#ifdef __cplusplus
extern "C" {
#endif
struct mem_pool *magpool_gf_pool_new_abi(struct _glusterfs_ctx *ctx,
                                         unsigned long sizeof_type,
                                         unsigned long count, char *name,
                                         unsigned abi);
#define mem_pool_new(type, count)                                              \
    magpool_gf_pool_new_abi(NULL, sizeof(type), count, (char *)#type,         \
                            MAGPOOL_INLINE_ABI)
#define mem_pool_new_ctx(ctx, type, count)                                     \
    magpool_gf_pool_new_abi(ctx, sizeof(type), count, (char *)#type,          \
                            MAGPOOL_INLINE_ABI)
#define mem_get(mem_pool) magpool_inline_get((struct magpool *)(mem_pool));
#define mem_get0(mem_pool) magpool_inline_get0((struct magpool *)(mem_pool));
#define mem_put(ptr) magpool_inline_put(ptr);
#else
#define mem_pool_new(type, count)                                              \
    mem_pool_new_fn(NULL, sizeof(type), count, (char *)#type)
#define mem_pool_new_ctx(ctx, type, count)                                     \
    mem_pool_new_fn(ctx, sizeof(type), count, (char *)#type)
#define mem_get(mem_pool) mem_get_malloc(mem_pool);
#define mem_get0(mem_pool) mem_get_calloc(mem_pool);
#define mem_put(ptr) mem_put_pool(ptr);
#endif

#ifdef __cplusplus
}
#endif
#endif /* MAGPOOL_MEM_POOL_H */
