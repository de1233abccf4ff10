/*
 * test_gluster_api.c - GlusterFS's mem-pool API served by magpool, used
 * by a program that never heard of GlusterFS (ctx NULL).
 */
#include <stdint.h>

#include "testutil.h"
#include "magpool/mem-pool.h"

typedef struct {
    char bytes[176];
} call_frame_t;

START_TEST(mem_pool_new_macro_works_without_a_glusterfs_ctx)
{
    struct mem_pool *pool = mem_pool_new(call_frame_t, 4096);
    ck_assert_ptr_nonnull(pool);
    call_frame_t *f = mem_get(pool)
    ck_assert_ptr_nonnull(f);
    memset(f, 7, sizeof(*f));
    mem_put(f)
    call_frame_t *g = mem_get0(pool)
    ck_assert_ptr_eq(g, f);
    for (size_t i = 0; i < sizeof(*g); i++)
        ck_assert_int_eq(g->bytes[i], 0);
    mem_put(g);
    mem_pool_destroy(pool);
}
END_TEST

START_TEST(sizes_follow_glusterfs_limits)
{
    errno = 0;
    ck_assert_ptr_null(mem_pool_new_fn(NULL, 0, 0, "zero"));
    ck_assert_int_eq(errno, EINVAL);
    /* GlusterFS: object + 40-byte header must fit in 1 MiB. */
    struct mem_pool *p = mem_pool_new_fn(NULL, (1ul << 20) - 40, 0, "max");
    ck_assert_ptr_nonnull(p);
    mem_pool_destroy(p);
    errno = 0;
    ck_assert_ptr_null(mem_pool_new_fn(NULL, (1ul << 20) - 39, 0, "over"));
    ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(struct_mem_pool_fields_sit_where_statedump_reads_them)
{
    char name[] = "dict_t";
    struct mem_pool *pool = mem_pool_new_fn(NULL, 152, 123, name);
    const char *raw = (const char *)pool;
    ck_assert_uint_eq(*(const unsigned long *)(raw + 0), 152);
    ck_assert_uint_eq(*(const unsigned long *)(raw + 8), 123);
    ck_assert_ptr_eq(*(char *const *)(raw + 16), name);
    ck_assert_ptr_null(*(void *const *)(raw + 56));
    const unsigned int *shared = *(const unsigned int *const *)(raw + 64);
    /* padded-sizeof = 1 << power_of_two covers magpool's real block. */
    ck_assert_uint_ge(1ul << *shared, 152 + 8);
    ck_assert_uint_lt(1ul << *shared, 2 * (152 + 8 + 16));
    void *objs[10];
    for (int i = 0; i < 10; i++)
        objs[i] = mem_get_malloc(pool);
    struct magpool_stats st;
    ck_assert_int_eq(magpool_stats((struct magpool *)pool, &st), 0);
    ck_assert_uint_eq(st.active, 10);
    /* Reading statistics refreshes the gf_atomic_t `active` at offset 32. */
    ck_assert_int_eq(*(const int64_t *)(raw + 32), 10);
    for (int i = 0; i < 10; i++)
        mem_put_pool(objs[i]);
    mem_pool_destroy(pool);
}
END_TEST

START_TEST(mem_put_of_a_non_pool_pointer_is_ignored_as_glusterfs_does)
{
    struct mem_pool *pool = mem_pool_new_fn(NULL, 64, 0, "ignore");
    void *o = mem_get_malloc(pool);
    mem_put_pool(o);
    char *plain = malloc(100);
    mem_put_pool(plain);
    mem_put_pool(plain + 16);
    mem_put_pool(NULL);
    ck_assert_ptr_eq(mem_get_malloc(pool), o);
    free(plain);
    mem_put_pool(o);
    mem_pool_destroy(pool);
}
END_TEST

START_TEST(mem_get_of_null_pool_fails_with_EINVAL)
{
    errno = 0;
    ck_assert_ptr_null(mem_get_malloc(NULL));
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    ck_assert_ptr_null(mem_get_calloc(NULL));
    ck_assert_int_eq(errno, EINVAL);
    mem_pool_destroy(NULL); /* as GlusterFS: a no-op */
}
END_TEST

START_TEST(gfapi_style_init_fini_around_pools)
{
    for (int i = 0; i < 50; i++) {
        mem_pools_init();
        struct mem_pool *pool = mem_pool_new_fn(NULL, 2840, 0, "rpcsvc_request_t");
        void *o[20];
        for (int k = 0; k < 20; k++)
            o[k] = mem_get_calloc(pool);
        for (int k = 0; k < 20; k++)
            mem_put_pool(o[k]);
        mem_pool_destroy(pool);
        mem_pools_fini();
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("gluster_api");
    TCase *tc = tcase_create("gluster_api");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, mem_pool_new_macro_works_without_a_glusterfs_ctx);
    tcase_add_test(tc, sizes_follow_glusterfs_limits);
    tcase_add_test(tc, struct_mem_pool_fields_sit_where_statedump_reads_them);
    tcase_add_test(tc, mem_put_of_a_non_pool_pointer_is_ignored_as_glusterfs_does);
    tcase_add_test(tc, mem_get_of_null_pool_fails_with_EINVAL);
    tcase_add_test(tc, gfapi_style_init_fini_around_pools);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(suite()); }
