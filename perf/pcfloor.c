/*
 * pcfloor.c - producer->consumer against the floors under it: the same
 * pinned pair, ring and steps as the prodcons workload (perf/workloads.h:
 * a ring of BENCH_RING pointers, WL_PC_STEP-object steps, the producer
 * writing each object's first word), with the objects coming from magpool
 * or from a bare array that no allocator manages, where the two threads
 * do to each object's 8-byte header only what the mode says:
 *
 *   none      nothing: the consumer never touches the object (what DPDK's
 *             mempool does, which keeps no state in a free object)
 *   read      the producer writes the header, the consumer only reads it
 *             (a put that checks the header but marks nothing there)
 *   write     the producer writes the header, the consumer writes it
 *             (the stores of magpool's get and put, no check)
 *   check     as write, the consumer reading the header and comparing it
 *             first (magpool's put reads it to find the pool and to
 *             catch a double put)
 *   magpool   magpool_get / magpool_put (exported)
 *   put-to    magpool_get / magpool_put_to
 *   inline    magpool_inline_get / magpool_inline_put
 *
 * The bare modes take ARENA objects of round16(SIZE + 8) bytes in turn;
 * each address is loaded from an index array, as magpool's come from a
 * magazine (PCFLOOR_COMPUTED=1 computes it instead, PCFLOOR_SHUFFLE=1
 * shuffles the order).  One process measures one mode: run the modes in
 * turn, several rounds, since the VM's cross-CPU costs drift from minute
 * to minute (perf/NOTES.md, "Producer->consumer: three rates of one
 * build").  Prints the mode, the size and M objects/s after a warm-up of
 * a tenth of the count.
 *
 * Usage: pcfloor MODE SIZE OBJECTS [ARENA]   (threads on CPUs 0 and 1)
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "magpool.h"
#include "magpool/inline.h"
#include "bench.h"

#define STEP 256 /* WL_PC_STEP */
#define HDR_ALLOC 0x5a5a000000000000ull

enum mode { M_NONE, M_READ, M_WRITE, M_CHECK, M_MAGPOOL, M_PUT_TO, M_INLINE };
static const char *const mode_names[] = { "none",   "read",    "write",
                                          "check",  "magpool", "put-to",
                                          "inline" };

static enum mode mode;
static size_t size, stride;
static unsigned long count, arena_n;
static char *arena;
static unsigned *order; /* NULL: addresses computed */
static struct magpool *pool;
static struct bench_ring ring;

static void pin(int cpu)
{
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    int e = pthread_setaffinity_np(pthread_self(), sizeof one, &one);
    if (e) {
        fprintf(stderr, "pcfloor: cannot pin to CPU %d: %s\n", cpu,
                strerror(e));
        exit(1);
    }
}

static void *bare_next(unsigned long *k)
{
    unsigned long j = *k;
    *k = j + 1 == arena_n ? 0 : j + 1;
    if (order)
        j = order[j];
    return arena + j * stride + 16;
}

static void *producer(void *arg)
{
    unsigned long n = *(unsigned long *)arg, k = 0;
    void *objs[STEP];
    pin(0);
    for (unsigned long done = 0; done < n; done += STEP) {
        for (int i = 0; i < STEP; i++) {
            void *o;
            switch (mode) {
            case M_MAGPOOL:
            case M_PUT_TO:
                o = magpool_get(pool);
                break;
            case M_INLINE:
                o = magpool_inline_get(pool);
                break;
            default:
                o = bare_next(&k);
                if (mode != M_NONE)
                    ((uint64_t *)o)[-1] = HDR_ALLOC;
            }
            if (!o) {
                perror("pcfloor: get");
                exit(1);
            }
            *(long *)o = i;
            objs[i] = o;
        }
        bench_ring_push(&ring, objs, STEP);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    unsigned long n = *(unsigned long *)arg;
    void *objs[STEP];
    pin(1);
    for (unsigned long done = 0; done < n; done += STEP) {
        bench_ring_pop(&ring, objs, STEP);
        for (int i = 0; i < STEP; i++) {
            volatile uint64_t *h = (volatile uint64_t *)objs[i] - 1;
            switch (mode) {
            case M_NONE:
                break;
            case M_READ:
                if (*h != HDR_ALLOC) {
                    fprintf(stderr, "pcfloor: header %p changed\n", objs[i]);
                    exit(1);
                }
                break;
            case M_WRITE:
                *h = HDR_ALLOC | 1;
                break;
            case M_CHECK:
                if (*h != HDR_ALLOC) {
                    fprintf(stderr, "pcfloor: header %p changed\n", objs[i]);
                    exit(1);
                }
                *h = HDR_ALLOC | 1;
                break;
            case M_MAGPOOL:
                magpool_put(objs[i]);
                break;
            case M_PUT_TO:
                magpool_put_to(pool, objs[i]);
                break;
            case M_INLINE:
                magpool_inline_put(objs[i]);
                break;
            }
        }
    }
    return NULL;
}

static double run(unsigned long n)
{
    pthread_t p, c;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (pthread_create(&p, NULL, producer, &n) ||
        pthread_create(&c, NULL, consumer, &n)) {
        fprintf(stderr, "pcfloor: cannot start the threads\n");
        exit(1);
    }
    pthread_join(p, NULL);
    pthread_join(c, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
}

static unsigned long arg_ulong(const char *s, const char *what)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || !v) {
        fprintf(stderr, "pcfloor: bad %s: %s\n", what, s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    unsigned m;
    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: pcfloor none|read|write|check|magpool|"
                        "put-to|inline SIZE OBJECTS [ARENA]\n");
        return 2;
    }
    for (m = 0; m < sizeof mode_names / sizeof *mode_names; m++)
        if (!strcmp(argv[1], mode_names[m]))
            break;
    if (m == sizeof mode_names / sizeof *mode_names) {
        fprintf(stderr, "pcfloor: unknown mode %s\n", argv[1]);
        return 2;
    }
    mode = (enum mode)m;
    size = arg_ulong(argv[2], "size");
    count = arg_ulong(argv[3], "count");
    count = (count + STEP - 1) / STEP * STEP;
    arena_n = argc == 5 ? arg_ulong(argv[4], "arena") : 8192;
    if (size < sizeof(long) || size > MAGPOOL_MAX_OBJECT_SIZE) {
        fprintf(stderr, "pcfloor: size must be %zu..%u\n", sizeof(long),
                MAGPOOL_MAX_OBJECT_SIZE);
        return 2;
    }
    stride = (size + 8 + 15) & ~(size_t)15;

    if (mode >= M_MAGPOOL) {
        if (magpool_init()) {
            perror("pcfloor: magpool_init");
            return 1;
        }
        pool = mode == M_INLINE ? magpool_inline_create("pcfloor", size, NULL)
                                : magpool_create("pcfloor", size, NULL);
        if (!pool) {
            perror("pcfloor: magpool_create");
            return 1;
        }
    } else {
        arena = aligned_alloc(4096, (arena_n * stride + 4095) & ~4095ul);
        if (!arena) {
            perror("pcfloor: arena");
            return 1;
        }
        memset(arena, 0, arena_n * stride);
        if (!getenv("PCFLOOR_COMPUTED")) {
            order = malloc(arena_n * sizeof *order);
            if (!order) {
                perror("pcfloor: order");
                return 1;
            }
            for (unsigned long i = 0; i < arena_n; i++)
                order[i] = (unsigned)i;
            if (getenv("PCFLOOR_SHUFFLE")) {
                srand(1);
                for (unsigned long i = arena_n - 1; i > 0; i--) {
                    unsigned long j = (unsigned long)rand() % (i + 1);
                    unsigned t = order[i];
                    order[i] = order[j];
                    order[j] = t;
                }
            }
        }
    }
    run((count / 10 + STEP - 1) / STEP * STEP); /* warm-up */
    double s = run(count);
    printf("%s %zu %.1f\n", mode_names[mode], size, (double)count / s / 1e6);
    return 0;
}
