/*
 * test_lifecycle.c - init/fini, the sweeper a program starts, pool creation
 * and destruction.
 */
#include <pthread.h>

#include "testutil.h"
#include "magpool/mem-pool.h"

/* Threads of this process, from /proc/self/status. */
static int thread_count(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    int n = -1;
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "Threads: %d", &n) == 1)
            break;
    if (f)
        fclose(f);
    return n;
}

/* A joined thread can linger in /proc for a moment after pthread_join():
 * wait (up to 2 s) for the count to settle at `want`. */
static int settled_thread_count(int want)
{
    int n = thread_count();
    for (int i = 0; i < 200 && n != want; i++) {
        usleep(10000);
        n = thread_count();
    }
    return n;
}

START_TEST(no_thread_is_started_before_init)
{
    int base = thread_count(); /* 1, or 2 under ThreadSanitizer */
    struct magpool *p = magpool_create("early", 64, NULL);
    void *o = magpool_get(p);
    magpool_put(o);
    magpool_trim(p);
    ck_assert_int_eq(thread_count(), base);
    magpool_destroy(p);
}
END_TEST

START_TEST(init_and_fini_nest_and_repeat_a_thousand_times)
{
    struct magpool *p = magpool_create("cycles", 64, NULL);
    /* One cycle first: ThreadSanitizer starts its own thread lazily. */
    mem_pools_init();
    mem_pools_fini();
    int base = settled_thread_count(thread_count());
    for (int i = 0; i < 1000; i++) {
        mem_pools_init();
        mem_pools_init();
        void *o = magpool_get(p);
        ck_assert_ptr_nonnull(o);
        mem_pools_fini();
        magpool_put(o);
        mem_pools_fini();
    }
    ck_assert_int_eq(settled_thread_count(base), base);
    /* A stray fini (more finis than inits) is harmless, as in GlusterFS. */
    mem_pools_fini();
    ck_assert_int_eq(magpool_init(), 0);
    ck_assert_int_eq(thread_count(), base + 1);
    magpool_fini();
    ck_assert_int_eq(settled_thread_count(base), base);
    magpool_destroy(p);
}
END_TEST

START_TEST(a_sweeper_started_by_the_program_survives_another_init_and_fini)
{
    /* ThreadSanitizer starts a thread of its own lazily: one cycle first. */
    mem_pools_init();
    mem_pools_fini();
    int base = settled_thread_count(thread_count());
    ck_assert_int_eq(magpool_sweeper_start(5), 0);
    ck_assert_int_eq(thread_count(), base + 1);
    /* A library's pair (glfs_new/glfs_fini: mem_pools_init/fini). */
    mem_pools_init();
    mem_pools_fini();
    ck_assert_int_eq(magpool_init(), 0);
    magpool_fini();
    ck_assert_msg(settled_thread_count(base + 1) == base + 1,
                  "the program's sweeper was stopped by another's fini");
    magpool_sweeper_stop();
    ck_assert_int_eq(settled_thread_count(base), base);
    /* Stopped by the program: an init from 0 starts one again, its fini
     * stops it. */
    ck_assert_int_eq(magpool_init(), 0);
    ck_assert_int_eq(thread_count(), base + 1);
    magpool_fini();
    ck_assert_int_eq(settled_thread_count(base), base);
}
END_TEST

START_TEST(pool_indices_are_reused_after_destroy)
{
    for (int i = 0; i < 3000; i++) {
        struct magpool *p = magpool_create("short-lived", 32 + (size_t)i % 200, NULL);
        ck_assert_ptr_nonnull(p);
        void *o = magpool_get(p);
        ck_assert_ptr_nonnull(o);
        magpool_put(o);
        magpool_destroy(p);
    }
}
END_TEST

START_TEST(more_than_max_pools_fails_with_ENOSPC)
{
    static struct magpool *pools[MAGPOOL_MAX_POOLS];
    for (unsigned i = 0; i < MAGPOOL_MAX_POOLS; i++) {
        pools[i] = magpool_create("many", 16, NULL);
        ck_assert_ptr_nonnull(pools[i]);
    }
    errno = 0;
    ck_assert_ptr_null(magpool_create("one-too-many", 16, NULL));
    ck_assert_int_eq(errno, ENOSPC);
    for (unsigned i = 0; i < MAGPOOL_MAX_POOLS; i++)
        magpool_destroy(pools[i]);
    ck_assert_ptr_nonnull(magpool_create("room-again", 16, NULL));
}
END_TEST

START_TEST(destroy_with_objects_outstanding_keeps_them_usable)
{
    struct magpool *p = magpool_create("early-destroy", 128, NULL);
    void *o[50];
    for (int i = 0; i < 50; i++)
        o[i] = magpool_get(p);
    magpool_destroy(p);
    /* The memory stays valid; a new pool does not get the same objects. */
    struct magpool *q = magpool_create("next", 128, NULL);
    void *n = magpool_get(q);
    for (int i = 0; i < 50; i++) {
        ck_assert_ptr_ne(o[i], n);
        memset(o[i], 0xee, 128);
    }
    for (int i = 0; i < 50; i++)
        magpool_put(o[i]);
    magpool_put(n);
    ck_assert_uint_eq(pool_stats(q).active, 0);
    magpool_destroy(q);
}
END_TEST

START_TEST(get_and_put_work_without_any_init)
{
    struct magpool *p = magpool_create("no-init", 64, NULL);
    void *o = magpool_get(p);
    ck_assert_ptr_nonnull(o);
    magpool_put(o);
    ck_assert_uint_eq(pool_stats(p).active, 0);
    magpool_destroy(p);
}
END_TEST

struct visit {
    int pools;
    uint64_t active;
};

static void visit_with_stats(struct magpool *p, void *arg)
{
    struct visit *v = arg;
    struct magpool_stats st;
    ck_assert_int_eq(magpool_stats(p, &st), 0);
    v->pools++;
    v->active += st.active;
}

START_TEST(stats_inside_a_foreach_callback_returns)
{
    struct magpool *a = magpool_create("visited-a", 64, NULL);
    struct magpool *b = magpool_create("visited-b", 128, NULL);
    void *o = magpool_get(b);
    struct visit v = { 0, 0 };
    magpool_foreach(visit_with_stats, &v);
    ck_assert_int_eq(v.pools, 2);
    ck_assert_uint_eq(v.active, 1);
    magpool_put(o);
    magpool_destroy(a);
    magpool_destroy(b);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("lifecycle");
    TCase *tc = tcase_create("lifecycle");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, no_thread_is_started_before_init);
    tcase_add_test(tc, init_and_fini_nest_and_repeat_a_thousand_times);
    tcase_add_test(tc, a_sweeper_started_by_the_program_survives_another_init_and_fini);
    tcase_add_test(tc, pool_indices_are_reused_after_destroy);
    tcase_add_test(tc, more_than_max_pools_fails_with_ENOSPC);
    tcase_add_test(tc, destroy_with_objects_outstanding_keeps_them_usable);
    tcase_add_test(tc, get_and_put_work_without_any_init);
    tcase_add_test(tc, stats_inside_a_foreach_callback_returns);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(suite()); }
