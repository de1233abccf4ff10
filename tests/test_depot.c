/*
 * test_depot.c - the shared depot under contention: magazines traded by
 * many threads at once never hand one object to two owners.
 */
#include <pthread.h>
#include <stdint.h>

#include "testutil.h"

#define THREADS 4
#define BATCH 300

static struct magpool *pool;
static atomic_int failures;

struct tag {
    uintptr_t owner;
    uint64_t seq;
};

static void *worker(void *arg)
{
    uintptr_t me = (uintptr_t)arg;
    struct tag *objs[BATCH];
    int rounds = 2000 / MP_TEST_SCALE;
    for (int r = 0; r < rounds; r++) {
        int n = 1 + (int)((me * 7919 + (unsigned)r * 104729) % BATCH);
        for (int i = 0; i < n; i++) {
            objs[i] = magpool_get(pool);
            if (!objs[i]) {
                atomic_fetch_add(&failures, 1);
                return NULL;
            }
            objs[i]->owner = me;
            objs[i]->seq = (uint64_t)r * BATCH + (uint64_t)i;
        }
        sched_yield();
        for (int i = 0; i < n; i++) {
            /* Another owner's stamp would mean the object was handed out
             * twice. */
            if (objs[i]->owner != me ||
                objs[i]->seq != (uint64_t)r * BATCH + (uint64_t)i)
                atomic_fetch_add(&failures, 1);
            magpool_put(objs[i]);
        }
    }
    return NULL;
}

START_TEST(contended_depot_never_hands_an_object_to_two_threads)
{
    struct magpool_options o = { .mag_capacity = 8 };
    pool = magpool_create("contended", sizeof(struct tag), &o);
    ck_assert_ptr_nonnull(pool);
    pthread_t t[THREADS];
    for (uintptr_t i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, worker, (void *)(i + 1)), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(atomic_load(&failures), 0);
    struct magpool_stats st = pool_stats(pool);
    ck_assert_uint_eq(st.active, 0);
    ck_assert_uint_gt(st.depot_full_hits, 0);
    ck_assert_uint_gt(st.depot_empty_hits, 0);
    magpool_destroy(pool);
}
END_TEST

START_TEST(every_object_is_accounted_for_after_contention)
{
    struct magpool_options o = { .mag_capacity = 4 };
    pool = magpool_create("accounting", 48, &o);
    pthread_t t[THREADS];
    for (uintptr_t i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, worker, (void *)(i + 10));
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(atomic_load(&failures), 0);
    /* Exited threads flushed their magazines: everything carved is now
     * in the depot (or still waiting for its grace period). */
    struct magpool_stats st = pool_stats(pool);
    ck_assert_uint_eq(st.in_threads, 0);
    ck_assert_uint_eq(st.active, 0);
    ck_assert_uint_gt(st.in_depot, 0);
    /* Trimming gives every chunk back. */
    ck_assert_uint_gt(magpool_trim(pool), 0);
    ck_assert_uint_eq(pool_stats(pool).chunks, 0);
    magpool_destroy(pool);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("depot");
    TCase *tc = tcase_create("contention");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, contended_depot_never_hands_an_object_to_two_threads);
    tcase_add_test(tc, every_object_is_accounted_for_after_contention);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(suite()); }
