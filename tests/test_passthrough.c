/*
 * test_passthrough.c - MAGPOOL_DISABLE=1 (every get a malloc, every put a
 * free): the same guarantees as pooled mode, a destroyed pool freed
 * exactly once whatever threads put its last objects.
 */
#include <pthread.h>

#include "testutil.h"

static struct magpool *pool;
static void *objs[2];
static pthread_barrier_t go;

static void *put_one(void *arg)
{
    pthread_barrier_wait(&go);
    magpool_put(objs[(uintptr_t)arg]);
    return NULL;
}

START_TEST(last_two_puts_racing_after_destroy_free_the_pool_once)
{
    /* Two threads put the last two objects of a destroyed pool at the
     * same instant; both used to see the count reach zero and free the
     * pool twice (ASan: use after free; glibc: double free). */
    for (int round = 0; round < 3000 / MP_TEST_SCALE; round++) {
        pool = magpool_create("racing-last-puts", 48, NULL);
        ck_assert_ptr_nonnull(pool);
        objs[0] = magpool_get(pool);
        objs[1] = magpool_get(pool);
        ck_assert_ptr_nonnull(objs[0]);
        ck_assert_ptr_nonnull(objs[1]);
        magpool_destroy(pool);
        pthread_barrier_init(&go, NULL, 2);
        pthread_t t[2];
        for (uintptr_t i = 0; i < 2; i++)
            pthread_create(&t[i], NULL, put_one, (void *)i);
        for (int i = 0; i < 2; i++)
            pthread_join(t[i], NULL);
        pthread_barrier_destroy(&go);
    }
    /* The indices of the freed pools are free again: as many pools as
     * the limit can be created. */
    static struct magpool *all[MAGPOOL_MAX_POOLS];
    for (unsigned i = 0; i < MAGPOOL_MAX_POOLS; i++)
        ck_assert_ptr_nonnull(all[i] = magpool_create("fill", 16, NULL));
    for (unsigned i = 0; i < MAGPOOL_MAX_POOLS; i++)
        magpool_destroy(all[i]);
}
END_TEST

START_TEST(passthrough_keeps_double_put_and_foreign_pointer_checks)
{
    struct magpool *p = magpool_create("pt-checks", 100, NULL);
    void *a = magpool_get(p);
    void *b = magpool_get(p);
    ck_assert_ptr_nonnull(a);
    ck_assert_uint_eq(((uintptr_t)a) % 16, 0);
    struct magpool_stats st = pool_stats(p);
    ck_assert_uint_eq(st.active, 2);
    char *heap = malloc(64);
    magpool_put(heap + 16);
    magpool_put(NULL);
    ck_assert_uint_eq(pool_stats(p).active, 2);
    free(heap);
    magpool_put(a);
    ck_assert_uint_eq(pool_stats(p).active, 1);
    void *z = magpool_get0(p);
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(((unsigned char *)z)[i], 0);
    magpool_put(z);
    magpool_put(b);
    ck_assert_uint_eq(pool_stats(p).active, 0);
    magpool_destroy(p);
}
END_TEST

START_TEST(destroy_with_nothing_out_frees_the_pool_at_once)
{
    for (int i = 0; i < 2 * (int)MAGPOOL_MAX_POOLS; i++) {
        struct magpool *p = magpool_create("pt-cycle", 32, NULL);
        ck_assert_ptr_nonnull(p);
        void *o = magpool_get(p);
        magpool_put(o);
        magpool_destroy(p);
    }
}
END_TEST

/* glibc's free() writes its own links into the first 16 (tcache, small
 * bins) to 32 (large bins) bytes of a block; the header must survive it.
 * Objects below malloc's mmap threshold (128 KiB) only: above it free()
 * unmaps the block (magpool(3)). */
START_TEST(an_immediate_double_put_is_counted_for_every_size_below_the_mmap_threshold)
{
    static const size_t sizes[] = { 1, 16, 24, 40, 64, 100, 256, 512, 1000,
                                    1024, 1040, 2000, 4096, 5000, 65536,
                                    100000 };
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        struct magpool *p = magpool_create("pt-double", sizes[i], NULL);
        ck_assert_ptr_nonnull(p);
        /* A neighbour, so the block is not merged with the top chunk. */
        void *keep = magpool_get(p);
        void *o = magpool_get(p);
        void *after = magpool_get(p);
        ck_assert_ptr_nonnull(o);
        magpool_put(o);
        magpool_put(o); /* the bug */
        struct magpool_stats st = pool_stats(p);
        ck_assert_msg(st.double_puts == 1,
                      "%zu-byte objects: %llu double puts counted, want 1",
                      sizes[i], (unsigned long long)st.double_puts);
        ck_assert_uint_eq(st.active, 2);
        magpool_put(keep);
        magpool_put(after);
        ck_assert_uint_eq(pool_stats(p).active, 0);
        magpool_destroy(p);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("passthrough");
    TCase *tc = tcase_create("passthrough");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, last_two_puts_racing_after_destroy_free_the_pool_once);
    tcase_add_test(tc, passthrough_keeps_double_put_and_foreign_pointer_checks);
    tcase_add_test(tc, destroy_with_nothing_out_frees_the_pool_at_once);
    tcase_add_test(tc, an_immediate_double_put_is_counted_for_every_size_below_the_mmap_threshold);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    /* Read once, at the first pool: set before anything else runs. */
    setenv("MAGPOOL_DISABLE", "1", 1);
    setenv("MAGPOOL_QUIET", "1", 1);
    return run_suite(suite());
}
