/*
 * instr_pair.c - the hot get+put pair through the exported GlusterFS-named
 * functions, for counting instructions under callgrind.  Usage:
 *   instr_pair ITERATIONS
 * perf/instr.sh runs it at two iteration counts and divides the difference
 * of the totals, so set-up and exit cancel out.
 */
#include <stdlib.h>

#include "magpool/mem-pool.h"

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    struct mem_pool *pool = mem_pool_new_fn(NULL, 512, 0, "instr");
    if (!pool)
        return 1;
    void *p = mem_get_malloc(pool); /* warm: thread cache and magazine */
    mem_put_pool(p);
    while (n-- > 0)
        mem_put_pool(mem_get_malloc(pool));
    mem_pool_destroy(pool);
    return 0;
}
