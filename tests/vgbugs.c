/*
 * vgbugs.c - one seeded bug per run, for tests/test_valgrind.sh, which
 * runs this under valgrind memcheck and reads its report:
 *   vgbugs clean | use-after-put | overflow | leak | double-put | undefined
 * Native API, GlusterFS names and the inline API all appear, so that each
 * is seen by memcheck.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "magpool/inline.h"
#include "magpool/mem-pool.h"

static volatile unsigned char sink;

__attribute__((noinline)) static void *leaky_get(struct magpool *p)
{
    void *o = magpool_get(p);
    __asm__ volatile("" ::"r"(o) : "memory"); /* no tail call: a frame */
    return o;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "clean";
    struct magpool *p = magpool_create("vg-frames", 64, NULL);
    struct magpool *q = magpool_inline_create("vg-inline", 48, NULL);
    struct mem_pool *g = mem_pool_new(long[4], 16);
    if (!p || !q || !g) {
        perror("create");
        return 1;
    }
    /* Ordinary traffic first, as clean as it gets. */
    void *o[300];
    for (int round = 0; round < 5; round++) {
        for (int i = 0; i < 300; i++) {
            o[i] = i % 3 ? magpool_get(p) : magpool_get0(p);
            memset(o[i], i, 64);
        }
        for (int i = 0; i < 300; i++)
            magpool_put(o[i]);
        for (int i = 0; i < 50; i++) {
            long *l = mem_get0(g);
            l[3] = i;
            sink = (unsigned char)l[0];
            mem_put(l);
            unsigned char *x = magpool_inline_get0(q);
            sink = x[47];
            magpool_inline_put(x);
        }
    }
    unsigned char *b = magpool_get(p);
    memset(b, 1, 64);
    if (!strcmp(mode, "use-after-put")) {
        magpool_put(b);
        b[10] = 2; /* invalid write */
        b = magpool_get(p);
    } else if (!strcmp(mode, "overflow")) {
        b[64] = 3; /* one past the end */
    } else if (!strcmp(mode, "leak")) {
        void *lost = leaky_get(p);
        memset(lost, 0, 64);
        lost = NULL; /* the only pointer is gone */
    } else if (!strcmp(mode, "double-put")) {
        magpool_put(b);
        magpool_put(b);
        b = magpool_get(p);
    } else if (!strcmp(mode, "undefined")) {
        unsigned char *u = magpool_get(p); /* not zeroed */
        if (u[5] == 7) /* conditional jump on uninitialised value */
            sink = 1;
        magpool_put(u);
    } else if (strcmp(mode, "clean")) {
        fprintf(stderr, "unknown mode %s\n", mode);
        return 2;
    }
    magpool_put(b);
    magpool_destroy(q);
    mem_pool_destroy(g);
    if (strcmp(mode, "leak"))
        magpool_destroy(p);
    return 0;
}
