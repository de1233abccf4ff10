/*
 * test_depot.c - the shared depot under contention: magazines traded by
 * many threads at once never hand one object to two owners; and the
 * magazines that exited and flushed threads leave in it are taken back,
 * so memory stays flat without a sweeper.
 */
#include <malloc.h>
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

/* ---- memory bounded without a sweeper ---- */

#define NPOOLS 10
static struct magpool *pools[NPOOLS];

/* Bytes malloc has handed out and not got back, all threads included:
 * the test keeps every thread in the main arena (M_ARENA_MAX 1).  Under a
 * sanitizer, which owns malloc (no mallopt, no mallinfo2), the loops run
 * all the same but the heap is not measured. */
#ifdef MP_TEST_SANITIZER
#define HEAP_MEASURED 0
#else
#define HEAP_MEASURED 1
#endif

static void one_arena(void)
{
    if (HEAP_MEASURED)
        ck_assert_int_eq(mallopt(M_ARENA_MAX, 1), 1);
}

static size_t heap_in_use(void)
{
    return HEAP_MEASURED ? mallinfo2().uordblks : 0;
}

static void create_pools(unsigned flags)
{
    for (int i = 0; i < NPOOLS; i++) {
        struct magpool_options o = { .flags = flags };
        pools[i] = magpool_create("short-lived", 32 + 48 * (size_t)i, &o);
        ck_assert_ptr_nonnull(pools[i]);
    }
}

static void destroy_pools(void)
{
    for (int i = 0; i < NPOOLS; i++) {
        ck_assert_uint_eq(pool_stats(pools[i]).active, 0);
        magpool_destroy(pools[i]);
    }
}

/* A short thread: a few objects of every pool, then exit. */
static void *short_life(void *arg)
{
    (void)arg;
    for (int i = 0; i < NPOOLS; i++) {
        void *a = magpool_get(pools[i]), *b = magpool_get(pools[i]);
        if (!a || !b)
            atomic_fetch_add(&failures, 1);
        magpool_put(a);
        magpool_put(b);
    }
    return NULL;
}

static size_t run_short_threads(int n)
{
    for (int k = 0; k < n; k++) {
        pthread_t t;
        ck_assert_int_eq(pthread_create(&t, NULL, short_life, NULL), 0);
        ck_assert_int_eq(pthread_join(t, NULL), 0);
    }
    ck_assert_int_eq(atomic_load(&failures), 0);
    return heap_in_use();
}

/* Each lifetime leaves its magazines in the depot; the next thread's
 * cache must take them back rather than make new ones. */
static void short_threads_keep_memory_flat(unsigned flags)
{
    one_arena();
    create_pools(flags);
    size_t warm = run_short_threads(200);
    size_t after = run_short_threads(3000 / MP_TEST_SCALE);
    ck_assert_msg(after <= warm + 64 * 1024,
                  "heap %zu -> %zu bytes after %d more short threads",
                  warm, after, 3000 / MP_TEST_SCALE);
    destroy_pools();
}

START_TEST(short_threads_leave_no_magazines_behind_without_a_sweeper)
{
    short_threads_keep_memory_flat(0);
}
END_TEST

START_TEST(short_threads_leave_no_magazines_behind_in_NOSWEEP_pools_with_the_sweeper_on)
{
    ck_assert_int_eq(magpool_sweeper_start(10), 0);
    short_threads_keep_memory_flat(MAGPOOL_F_NOSWEEP);
    magpool_sweeper_stop();
}
END_TEST

START_TEST(flush_cycles_neither_grow_magazines_nor_pile_them_up)
{
    one_arena();
    create_pools(0);
    unsigned cap[NPOOLS];
    for (int i = 0; i < NPOOLS; i++)
        cap[i] = pool_stats(pools[i]).mag_capacity;
    size_t warm = 0;
    int cycles = 40000 / MP_TEST_SCALE;
    for (int c = 0; c < cycles; c++) {
        for (int i = 0; i < NPOOLS; i++)
            magpool_put(magpool_get(pools[i]));
        magpool_thread_flush();
        if (c == 100)
            warm = heap_in_use();
    }
    size_t after = heap_in_use();
    ck_assert_msg(after <= warm + 64 * 1024,
                  "heap %zu -> %zu bytes after %d flush cycles", warm, after,
                  cycles);
    /* Flushes are not the depot traffic of a busy pool. */
    for (int i = 0; i < NPOOLS; i++)
        ck_assert_uint_eq(pool_stats(pools[i]).mag_capacity, cap[i]);
    destroy_pools();
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("depot");
    TCase *tc = tcase_create("contention");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, contended_depot_never_hands_an_object_to_two_threads);
    tcase_add_test(tc, every_object_is_accounted_for_after_contention);
    tcase_add_test(tc, short_threads_leave_no_magazines_behind_without_a_sweeper);
    tcase_add_test(tc, short_threads_leave_no_magazines_behind_in_NOSWEEP_pools_with_the_sweeper_on);
    tcase_add_test(tc, flush_cycles_neither_grow_magazines_nor_pile_them_up);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(suite()); }
