/*
 * test_gluster_inline.c - GlusterFS's macros compiled inline
 * (MAGPOOL_GF_INLINE, magpool/mem-pool.h): mem_get/mem_get0/mem_put work
 * on pools made by mem_pool_new, interoperate with the exported
 * functions, count in the statistics, and a caller of another inline
 * layout is refused.
 */
#define MAGPOOL_GF_INLINE 1
#include "magpool/mem-pool.h"
#include "testutil.h"

struct frame {
    char bytes[176];
};

START_TEST(the_inline_macros_get_put_and_zero_like_glusterfs)
{
    struct mem_pool *mp = mem_pool_new(struct frame, 128);
    ck_assert_ptr_nonnull(mp);
    struct frame *f[1000];
    for (int i = 0; i < 1000; i++) {
        f[i] = mem_get(mp);
        ck_assert_ptr_nonnull(f[i]);
        memset(f[i], 0xee, sizeof(*f[i]));
    }
    for (int i = 0; i < 1000; i++)
        mem_put(f[i]);
    struct frame *z = mem_get0(mp);
    for (size_t i = 0; i < sizeof(*z); i++)
        ck_assert_int_eq(z->bytes[i], 0);
    /* Put through the exported function: the same pool either way. */
    mem_put_pool(z);
    struct magpool_stats st = pool_stats((struct magpool *)mp);
    ck_assert_uint_eq(st.alloc_count, 1001);
    ck_assert_uint_eq(st.active, 0);
    ck_assert_str_eq(st.name, "struct frame");
    mem_pool_destroy(mp);
}
END_TEST

START_TEST(a_caller_of_another_inline_layout_is_refused)
{
    errno = 0;
    ck_assert_ptr_null(magpool_gf_pool_new_abi(NULL, 64, 16, (char *)"old",
                                               MAGPOOL_INLINE_ABI - 1));
    ck_assert_int_eq(errno, EPROTO);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("gluster_inline");
    TCase *tc = tcase_create("gluster_inline");
    tcase_add_test(tc, the_inline_macros_get_put_and_zero_like_glusterfs);
    tcase_add_test(tc, a_caller_of_another_inline_layout_is_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(suite()); }
