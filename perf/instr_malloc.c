/*
 * instr_malloc.c - the hot get+put pair of the allocators magpool is
 * compared with, for callgrind (see instr_pair.c).  Usage:
 *   instr_malloc ITERATIONS [malloc|mutex-list|tls-list]
 * malloc is whichever allocator the process has: glibc's, or one brought
 * in with LD_PRELOAD (tcmalloc, jemalloc, mimalloc).  Not linked with
 * magpool.  Built with -fno-builtin-malloc/-free so that the compiler
 * cannot fold a malloc/free pair away.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lists.h"

static int pair_malloc(long n)
{
    free(malloc(512)); /* warm: the allocator's own set-up */
    while (n-- > 0)
        free(malloc(512));
    return 0;
}

static int pair_mutex_list(long n)
{
    struct mtxlist *l = mtxlist_new(512);
    if (!l)
        return 1;
    mtxlist_put(l, mtxlist_get(l));
    while (n-- > 0)
        mtxlist_put(l, mtxlist_get(l));
    mtxlist_destroy(l);
    return 0;
}

static int pair_tls_list(long n)
{
    struct tlslist *l = tlslist_new(512);
    if (!l)
        return 1;
    tlslist_put(l, tlslist_get(l));
    while (n-- > 0)
        tlslist_put(l, tlslist_get(l));
    tlslist_destroy(l);
    return 0;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    const char *backend = argc > 2 ? argv[2] : "malloc";
    if (!strcmp(backend, "malloc"))
        return pair_malloc(n);
    if (!strcmp(backend, "mutex-list"))
        return pair_mutex_list(n);
    if (!strcmp(backend, "tls-list"))
        return pair_tls_list(n);
    fprintf(stderr, "instr_malloc: unknown backend %s\n", backend);
    return 2;
}
