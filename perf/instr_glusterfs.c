/*
 * instr_glusterfs.c - the hot get+put pair of GlusterFS 10.3's own pool
 * (Debian's libglusterfs.so.0), for callgrind (see instr_pair.c).
 * Usage: instr_glusterfs ITERATIONS [glusterfs]
 * Not linked with magpool, whose GlusterFS names would collide.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glusterfs/glusterfs.h>
#include <glusterfs/globals.h>
#include <glusterfs/mem-pool.h>

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    if (argc > 2 && strcmp(argv[2], "glusterfs")) {
        fprintf(stderr, "instr_glusterfs: unknown backend %s\n", argv[2]);
        return 2;
    }
    /* A NULL ctx crashes the library: give it the context it expects. */
    glusterfs_ctx_t *ctx = glusterfs_ctx_new();
    if (!ctx || glusterfs_globals_init(ctx))
        return 1;
    THIS->ctx = ctx;
    mem_pools_init();
    struct mem_pool *pool = mem_pool_new_fn(ctx, 512, 1024, "instr");
    if (!pool)
        return 1;
    mem_put_pool(mem_get_malloc(pool));
    while (n-- > 0)
        mem_put_pool(mem_get_malloc(pool));
    mem_pool_destroy(pool);
    return 0;
}
