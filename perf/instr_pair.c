/*
 * instr_pair.c - the hot get+put pair through magpool's exported
 * functions, for counting instructions under callgrind.  Usage:
 *   instr_pair ITERATIONS [magpool-gf|magpool|magpool-inline]
 * magpool-gf (the default) calls the GlusterFS names, magpool the native
 * API, magpool-inline the inline API (magpool/inline.h) compiled in here;
 * under LD_PRELOAD of libmagpool-preload.so, magpool-gf measures the
 * shim.  perf/instr.sh runs it at two iteration counts and divides the
 * difference of the totals, so set-up and exit cancel out.  Its siblings
 * instr_malloc.c and instr_glusterfs.c take the same arguments.
 *
 * Each loop is a plain get-then-put loop, one pair per trip (perf.mk
 * builds it with -fno-unroll-loops): the count is what a caller pays.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "magpool.h"
#include "magpool/inline.h"
#include "magpool/mem-pool.h"

static int pair_gluster_names(long n)
{
    struct mem_pool *pool = mem_pool_new_fn(NULL, 512, 0, "instr");
    if (!pool)
        return 1;
    mem_put_pool(mem_get_malloc(pool)); /* warm: thread cache, magazine */
    while (n-- > 0)
        mem_put_pool(mem_get_malloc(pool));
    mem_pool_destroy(pool);
    return 0;
}

static int pair_native(long n)
{
    struct magpool *pool = magpool_create("instr", 512, NULL);
    if (!pool)
        return 1;
    magpool_put(magpool_get(pool));
    while (n-- > 0)
        magpool_put(magpool_get(pool));
    magpool_destroy(pool);
    return 0;
}

static int pair_inline(long n)
{
    struct magpool *pool = magpool_inline_create("instr", 512, NULL);
    if (!pool)
        return 1;
    magpool_inline_put(magpool_inline_get(pool));
    while (n-- > 0)
        magpool_inline_put(magpool_inline_get(pool));
    magpool_destroy(pool);
    return 0;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    const char *backend = argc > 2 ? argv[2] : "magpool-gf";
    if (!strcmp(backend, "magpool-gf"))
        return pair_gluster_names(n);
    if (!strcmp(backend, "magpool"))
        return pair_native(n);
    if (!strcmp(backend, "magpool-inline"))
        return pair_inline(n);
    fprintf(stderr, "instr_pair: unknown backend %s\n", backend);
    return 2;
}
