/*
 * fake_libglusterfs.c - a stand-in for libglusterfs.so.0, built in three
 * forms for tests/test_gluster_versions.c, so that the front can be shown
 * GlusterFS releases and builds this machine does not have:
 *   FAKE_VERSION "12.0"  a release whose layout the front does not know;
 *   FAKE_NOPOOL          a build without the pool (GF_DISABLE_MEMPOOL):
 *                        no mem_get_malloc, no mem_put_pool, and
 *                        mem_pool_new_fn returns the size as a pointer;
 *   FAKE_VERSION "11.1"  a release the front knows (the test checks it
 *                        links pools at 11.x's offsets).
 * Its own pool is malloc with a marker word, and it counts every call,
 * so the test can tell which implementation served each one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef FAKE_VERSION
#error FAKE_VERSION must be defined
#endif

/* What GlusterFS's configure puts in libglusterfs's read-only data. */
__attribute__((used)) static const char package_string[] =
    "package-string: glusterfs " FAKE_VERSION;

#define FAKE_MARK 0xfa4eu

/* Calls served by this library, by function (read by the test). */
unsigned long fake_calls[9];
enum { F_NEW, F_GET, F_GET0, F_PUT, F_DESTROY, F_INIT, F_FINI, F_DUMP,
       F_DUMP_DICT };

struct fake_pool {
    unsigned long sizeof_type;
    unsigned mark;
};

void *mem_pool_new_fn(void *ctx, unsigned long sizeof_type,
                      unsigned long count, char *name)
{
    (void)ctx;
    (void)count;
    (void)name;
    fake_calls[F_NEW]++;
#ifdef FAKE_NOPOOL
    return (void *)sizeof_type; /* what GF_DISABLE_MEMPOOL's does */
#else
    struct fake_pool *p = calloc(1, sizeof(*p));
    p->sizeof_type = sizeof_type;
    p->mark = FAKE_MARK;
    return p;
#endif
}

#ifndef FAKE_NOPOOL
/* Objects: [marker word][object]. */
void *mem_get_malloc(void *pool)
{
    fake_calls[F_GET]++;
    struct fake_pool *p = pool;
    if (p->mark != FAKE_MARK)
        abort(); /* handed a pool that is not ours */
    uint64_t *o = malloc(16 + p->sizeof_type);
    o[0] = 0;
    o[1] = FAKE_MARK;
    return o + 2;
}

void *mem_get_calloc(void *pool)
{
    fake_calls[F_GET0]++;
    fake_calls[F_GET]--;
    void *o = mem_get_malloc(pool);
    memset(o, 0, ((struct fake_pool *)pool)->sizeof_type);
    return o;
}

void mem_put_pool(void *obj)
{
    fake_calls[F_PUT]++;
    if (!obj)
        return;
    uint64_t *o = obj;
    if (o[-1] != FAKE_MARK)
        abort(); /* handed an object that is not ours */
    o[-1] = 0;
    free(o - 2);
}
#endif

void mem_pool_destroy(void *pool)
{
    fake_calls[F_DESTROY]++;
#ifndef FAKE_NOPOOL
    free(pool);
#else
    (void)pool;
#endif
}

void mem_pools_init(void) { fake_calls[F_INIT]++; }
void mem_pools_fini(void) { fake_calls[F_FINI]++; }
void gf_proc_dump_mempool_info(void *ctx)
{
    (void)ctx;
    fake_calls[F_DUMP]++;
}
void gf_proc_dump_mempool_info_to_dict(void *ctx, void *dict)
{
    (void)ctx;
    (void)dict;
    fake_calls[F_DUMP_DICT]++;
}
