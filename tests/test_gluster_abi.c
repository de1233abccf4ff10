/*
 * test_gluster_abi.c - the preload shim against GlusterFS's own headers
 * and library: a real glusterfs_ctx_t, struct mem_pool read through
 * GlusterFS's definition, statedump's functions resolved to the shim.
 * Built only when libglusterfs-dev is installed.
 */
#include <glusterfs/dict.h>
#include <glusterfs/globals.h>
#include <glusterfs/glusterfs.h>
#include <glusterfs/mem-pool.h>
#include <glusterfs/statedump.h>

#include "testutil.h"

glusterfs_ctx_t *glusterfs_ctx_new(void);

static glusterfs_ctx_t *ctx;

static void setup(void)
{
    ctx = glusterfs_ctx_new();
    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(glusterfs_globals_init(ctx), 0);
    THIS->ctx = ctx;
    mem_pools_init();
    /* What glusterfsd's start-up makes for dict_new() (GlusterFS 11 has
     * no dict_pair_pool any more: pairs are GF_MALLOC'ed). */
    ctx->dict_pool = mem_pool_new_fn(ctx, sizeof(dict_t), 64, "dict_t");
    ctx->dict_data_pool = mem_pool_new_fn(ctx, sizeof(data_t), 64, "data_t");
    ck_assert(ctx->dict_pool && ctx->dict_data_pool);
#if MP_GF_HEADERS_MAJOR < 11
    ctx->dict_pair_pool = mem_pool_new_fn(ctx, sizeof(data_pair_t), 64, "data_pair_t");
    ck_assert(ctx->dict_pair_pool);
#endif
}

static void teardown(void) { mem_pools_fini(); }

static bool in_ctx_list(struct mem_pool *p)
{
    struct mem_pool *it;
    bool found = false;
    LOCK(&ctx->lock);
    list_for_each_entry(it, &ctx->mempool_list, owner) if (it == p) found = true;
    UNLOCK(&ctx->lock);
    return found;
}

START_TEST(pool_layout_matches_the_installed_glusterfs_headers)
{
    char name[] = "call_frame_t";
    struct mem_pool *p = mem_pool_new_fn(ctx, 176, 4096, name);
    ck_assert_ptr_nonnull(p);
    /* Read through GlusterFS's own struct definition. */
    ck_assert_uint_eq(p->sizeof_type, 176);
    ck_assert_uint_eq(p->count, 4096);
    ck_assert_ptr_eq(p->name, name);
    ck_assert_ptr_eq(p->ctx, ctx);
    ck_assert_str_eq(p->xl_name, THIS->name);
    ck_assert(in_ctx_list(p));
    struct magpool_stats st;
    ck_assert_int_eq(magpool_stats((struct magpool *)p, &st), 0);
    ck_assert_uint_ge(1u << p->pool->power_of_two, st.block_size);
    void *o[7];
    for (int i = 0; i < 7; i++)
        o[i] = mem_get_calloc(p);
    magpool_stats((struct magpool *)p, &st);
    ck_assert_int_eq(GF_ATOMIC_GET(p->active), 7);
    for (int i = 0; i < 7; i++)
        mem_put_pool(o[i]);
    ck_assert(in_ctx_list(p));
    mem_pool_destroy(p);
}
END_TEST

START_TEST(destroy_unlinks_the_pool_from_the_ctx)
{
    struct mem_pool *a = mem_pool_new_fn(ctx, 64, 0, "a");
    struct mem_pool *b = mem_pool_new_fn(ctx, 64, 0, "b");
    ck_assert(in_ctx_list(a) && in_ctx_list(b));
    mem_pool_destroy(a);
    ck_assert(in_ctx_list(b));
    struct mem_pool *it;
    int n = 0;
    LOCK(&ctx->lock);
    list_for_each_entry(it, &ctx->mempool_list, owner) n += strcmp(it->name, "a") == 0;
    UNLOCK(&ctx->lock);
    ck_assert_int_eq(n, 0);
    mem_pool_destroy(b);
}
END_TEST

START_TEST(statedump_dict_reports_exact_counts_and_real_block_size)
{
    struct mem_pool *p = mem_pool_new_fn(ctx, 2840, 0, "rpcsvc_request_t");
    void *o[33];
    for (int i = 0; i < 33; i++)
        o[i] = mem_get_malloc(p);
    for (int i = 0; i < 11; i++)
        mem_put_pool(o[i]);
    dict_t *d = dict_new();
    ck_assert_ptr_nonnull(d);
    gf_proc_dump_mempool_info_to_dict(ctx, d);
    /* Find our pool among the ctx's pools (libglusterfs made some too). */
    bool seen = false;
    for (int i = 0; i < 64 && !seen; i++) {
        char key[64], *name = NULL;
        snprintf(key, sizeof(key), "pool%d.name", i);
        if (dict_get_str(d, key, &name) || strcmp(name, "rpcsvc_request_t"))
            continue;
        uint64_t active = 0, padded = 0;
        snprintf(key, sizeof(key), "pool%d.active-count", i);
        ck_assert_int_eq(dict_get_uint64(d, key, &active), 0);
        snprintf(key, sizeof(key), "pool%d.padded-sizeof", i);
        ck_assert_int_eq(dict_get_uint64(d, key, &padded), 0);
        ck_assert_uint_eq(active, 22);
        ck_assert_uint_eq(padded, (2840 + 8 + 15) / 16 * 16);
        seen = true;
    }
    ck_assert(seen);
    dict_unref(d);
    for (int i = 11; i < 33; i++)
        mem_put_pool(o[i]);
    mem_pool_destroy(p);
}
END_TEST

START_TEST(glusterfs_size_limits_and_bad_puts_behave_as_glusterfs)
{
    errno = 0;
    ck_assert_ptr_null(mem_pool_new_fn(ctx, 0, 0, "zero"));
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_ptr_null(mem_pool_new_fn(ctx, (1ul << 20) - 39, 0, "big"));
    char *m = malloc(64);
    mem_put_pool(m + 16); /* not a pool object: ignored */
    mem_put_pool(NULL);
    free(m);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("gluster_abi");
    TCase *tc = tcase_create("abi");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, pool_layout_matches_the_installed_glusterfs_headers);
    tcase_add_test(tc, destroy_unlinks_the_pool_from_the_ctx);
    tcase_add_test(tc, statedump_dict_reports_exact_counts_and_real_block_size);
    tcase_add_test(tc, glusterfs_size_limits_and_bad_puts_behave_as_glusterfs);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(suite()); }
