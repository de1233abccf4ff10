/*
 * test_magazine.c - the per-thread magazine layer: what one thread sees.
 */
#include <stdint.h>

#include "testutil.h"

START_TEST(put_then_get_returns_the_same_object)
{
    struct magpool *p = magpool_create("lifo", 64, NULL);
    ck_assert_ptr_nonnull(p);
    void *a = magpool_get(p);
    ck_assert_ptr_nonnull(a);
    magpool_put(a);
    ck_assert_ptr_eq(magpool_get(p), a);
    magpool_put(a);
    magpool_destroy(p);
}
END_TEST

START_TEST(objects_are_aligned_distinct_and_writable)
{
    enum { N = 5000 };
    static void *objs[N];
    struct magpool *p = magpool_create("align", 100, NULL);
    for (int i = 0; i < N; i++) {
        objs[i] = magpool_get(p);
        ck_assert_ptr_nonnull(objs[i]);
        ck_assert_uint_eq((uintptr_t)objs[i] % 16, 0);
        memset(objs[i], i & 0xff, 100);
    }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < 100; j++)
            ck_assert_uint_eq(((unsigned char *)objs[i])[j], i & 0xff);
    for (int i = 0; i < N; i++)
        magpool_put(objs[i]);
    magpool_destroy(p);
}
END_TEST

START_TEST(get0_returns_zeroed_memory)
{
    struct magpool *p = magpool_create("zero", 300, NULL);
    void *a = magpool_get(p);
    memset(a, 0xab, 300);
    magpool_put(a);
    unsigned char *b = magpool_get0(p);
    ck_assert_ptr_eq(b, a);
    for (int i = 0; i < 300; i++)
        ck_assert_uint_eq(b[i], 0);
    magpool_put(b);
    magpool_destroy(p);
}
END_TEST

START_TEST(more_objects_than_two_magazines_go_through_the_depot)
{
    struct magpool_options o = { .mag_capacity = 8 };
    struct magpool *p = magpool_create("exchange", 64, &o);
    enum { N = 1000 };
    void *objs[N];
    for (int i = 0; i < N; i++)
        objs[i] = magpool_get(p);
    for (int i = 0; i < N; i++)
        magpool_put(objs[i]);
    struct magpool_stats st = pool_stats(p);
    ck_assert_uint_eq(st.mag_capacity, 8);
    ck_assert_uint_eq(st.active, 0);
    /* Two magazines stay with the thread, the rest went to the depot. */
    ck_assert_uint_le(st.in_threads, 16);
    ck_assert_uint_eq(st.in_threads + st.in_depot, N);
    /* Getting them again takes full magazines back from the depot and
     * maps nothing new. */
    uint64_t maps = st.chunk_maps;
    for (int i = 0; i < N; i++)
        objs[i] = magpool_get(p);
    st = pool_stats(p);
    ck_assert_uint_gt(st.depot_full_hits, 0);
    ck_assert_uint_eq(st.chunk_maps, maps);
    ck_assert_uint_eq(st.active, N);
    for (int i = 0; i < N; i++)
        magpool_put(objs[i]);
    magpool_destroy(p);
}
END_TEST

START_TEST(alternating_at_a_magazine_boundary_stays_local)
{
    struct magpool_options o = { .mag_capacity = 4 };
    struct magpool *p = magpool_create("boundary", 32, &o);
    void *objs[4];
    for (int i = 0; i < 4; i++)
        objs[i] = magpool_get(p);
    for (int i = 0; i < 4; i++)
        magpool_put(objs[i]);
    struct magpool_stats before = pool_stats(p);
    for (int r = 0; r < 10000; r++) {
        void *a = magpool_get(p);
        magpool_put(a);
    }
    struct magpool_stats after = pool_stats(p);
    ck_assert_uint_eq(after.depot_full_hits, before.depot_full_hits);
    ck_assert_uint_eq(after.depot_empty_hits, before.depot_empty_hits);
    magpool_destroy(p);
}
END_TEST

static int by_address(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;
    return (x > y) - (x < y);
}

/* Cycle n objects of pool p until its magazine capacity has settled: no
 * change over 8192 depot exchanges (32 of the pool's growth checks), or
 * 200 cycles with no exchange at all (or 20 s: growth is
 * by depot traffic a second, so its pace depends on the machine).
 * Returns the capacity, 0 in a debug mode (no thread caches). */
static unsigned cycle_until_stable(struct magpool *p, void **objs, int n)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned cap = pool_stats(p).mag_capacity, quiet = 0;
    uint64_t ex_at_change = 0, ex_last = 0;
    struct magpool_stats st;
    for (;;) {
        /* No ck_assert in the loop: each costs Check a write(2), which
         * would slow the traffic below what makes magazines grow. */
        bool got_all = true;
        for (int i = 0; i < n; i++)
            got_all &= (objs[i] = magpool_get(p)) != NULL;
        ck_assert(got_all);
        for (int i = 0; i < n; i++)
            magpool_put(objs[i]);
        st = pool_stats(p);
        if (st.in_threads == 0)
            return 0;
        uint64_t ex = st.depot_full_hits + st.depot_empty_hits;
        if (st.mag_capacity != cap) {
            cap = st.mag_capacity;
            ex_at_change = ex;
        }
        quiet = ex == ex_last ? quiet + 1 : 0;
        ex_last = ex;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (ex - ex_at_change > 2 * 4096 || quiet >= 200 ||
            t.tv_sec - t0.tv_sec >= 20)
            return cap;
    }
}

/* Magazines double when a pool trades faster than MAGPOOL_MAG_GROW_RATE
 * exchanges a second of real time (test_depot_layer.c tests that rule
 * with made-up clocks).  These tests are about what growth does, not how
 * fast this machine is: a ThreadSanitizer build on a busy 2-core machine
 * cycles slower than the default 20,000 a second, and its magazines
 * stayed at 256 objects.  At 1 a second every window of 256 exchanges
 * counts as busy.  Set before the process's first pool (each test is its
 * own process, so the options are read after this). */
static void grow_at_any_speed(void)
{
    setenv("MAGPOOL_MAG_GROW_RATE", "1", 1);
}

/* A pool whose magazines grew keeps its older, smaller magazines in
 * circulation.  A thread that kept one of them beside a grown one traded
 * with the depot on every cycle of a working set the grown magazines
 * hold (1000 objects, magazines of 1024: found by make bench, one full
 * and one empty trade per cycle, forever). */
START_TEST(a_working_set_that_grown_magazines_hold_stops_trading)
{
    grow_at_any_speed();
    struct magpool *p = magpool_create("grown", 64, NULL);
    enum { N = 1000 };
    static void *objs[N];
    struct magpool_stats st = pool_stats(p);
    unsigned first_cap = st.mag_capacity;
    ck_assert_uint_lt(first_cap * 2, N); /* it has to grow to hold N */
    unsigned cap = cycle_until_stable(p, objs, N);
    if (cap == 0) {
        /* A debug mode (valgrind): no thread caches at all. */
        st = pool_stats(p);
        ck_assert_uint_eq(st.depot_full_hits + st.depot_empty_hits, 0);
        magpool_destroy(p);
        return;
    }
    /* The thread's magazines hold the working set: the pool's own size
     * may be smaller, since a thread's fast trades grow its magazines
     * before the pool's (magpool(7), OVERVIEW). */
    struct magpool_stats before = pool_stats(p);
    for (int r = 0; r < 100; r++) {
        for (int i = 0; i < N; i++)
            objs[i] = magpool_get(p);
        for (int i = 0; i < N; i++)
            magpool_put(objs[i]);
    }
    st = pool_stats(p);
    ck_assert_uint_eq(st.mag_capacity, cap);
    ck_assert_uint_eq(st.depot_full_hits, before.depot_full_hits);
    ck_assert_uint_eq(st.depot_empty_hits, before.depot_empty_hits);
    ck_assert_uint_ge(st.in_threads, N);
    magpool_destroy(p);
}
END_TEST

START_TEST(stats_count_objects_exactly_when_quiescent)
{
    struct magpool *p = magpool_create("count", 512, NULL);
    void *objs[777];
    for (int i = 0; i < 777; i++)
        objs[i] = magpool_get(p);
    struct magpool_stats st = pool_stats(p);
    ck_assert_uint_eq(st.active, 777);
    ck_assert_uint_eq(st.obj_size, 512);
    ck_assert_uint_ge(st.block_size, 520);
    ck_assert_uint_le(st.block_size, 528);
    for (int i = 0; i < 700; i++)
        magpool_put(objs[i]);
    st = pool_stats(p);
    ck_assert_uint_eq(st.active, 77);
    for (int i = 700; i < 777; i++)
        magpool_put(objs[i]);
    ck_assert_uint_eq(pool_stats(p).active, 0);
    magpool_destroy(p);
}
END_TEST

START_TEST(thread_flush_hands_the_cache_to_the_depot)
{
    struct magpool *p = magpool_create("flush", 64, NULL);
    void *a = magpool_get(p);
    magpool_put(a);
    ck_assert_uint_gt(pool_stats(p).in_threads, 0);
    magpool_thread_flush();
    struct magpool_stats st = pool_stats(p);
    ck_assert_uint_eq(st.in_threads, 0);
    ck_assert_uint_gt(st.in_depot, 0);
    void *again = magpool_get(p); /* still usable */
    ck_assert_ptr_nonnull(again);
    magpool_put(again);
    magpool_destroy(p);
}
END_TEST

/* Magazines of 2 KiB objects used to stop growing at 63 (128 KiB), and
 * a thread cycling 1000 of them traded 16 magazines each way with the
 * depot per cycle.  They now grow to 512 KiB of objects. */
START_TEST(a_hot_pool_of_2_KiB_objects_grows_its_magazines_to_512_KiB)
{
    /* With the sweeper, as a program would run it: it completes the
     * depot's grace periods, which the threads would otherwise wait for
     * themselves, slowing the traffic that makes magazines grow. */
    grow_at_any_speed();
    ck_assert_int_eq(magpool_init(), 0);
    struct magpool *p = magpool_create("hot-2k", 2048, NULL);
    enum { N = 1000 };
    static void *objs[N];
    unsigned first = pool_stats(p).mag_capacity;
    unsigned cap = cycle_until_stable(p, objs, N);
    if (cap) {
        ck_assert_uint_gt(cap, first);
        ck_assert_uint_le(cap * (2048 + 8), 512u << 10);
        ck_assert_uint_gt(cap * 2 * (2048 + 8), 512u << 10);
    }
    magpool_destroy(p);
    magpool_fini();
}
END_TEST

/* With MAGPOOL_MAG_GROW_BYTES=grow (set before the process's first pool:
 * each test is its own process, so the options are read here), the
 * capacity a pool of size-byte objects starts at (*first) and settles at
 * under a cycle of 1000 objects (0 in a debug mode). */
static unsigned settled_capacity(const char *grow, size_t size,
                                 unsigned *first)
{
    setenv("MAGPOOL_MAG_GROW_BYTES", grow, 1);
    grow_at_any_speed();
    struct magpool *p = magpool_create("grow-limit", size, NULL);
    ck_assert_ptr_nonnull(p);
    static void *objs[1000];
    *first = pool_stats(p).mag_capacity;
    unsigned cap = cycle_until_stable(p, objs, 1000);
    magpool_destroy(p);
    return cap;
}

START_TEST(magazines_grow_no_further_than_MAGPOOL_MAG_GROW_BYTES)
{
    unsigned first, cap = settled_capacity("16384", 512, &first);
    ck_assert_uint_lt(first, 16384 / (512 + 8));
    if (cap) {
        ck_assert_uint_gt(cap, first); /* it grew, */
        ck_assert_uint_eq(cap, 16384 / (512 + 8)); /* to the limit */
    }
}
END_TEST

START_TEST(MAGPOOL_MAG_GROW_BYTES_0_keeps_magazines_at_their_first_size)
{
    unsigned first, cap = settled_capacity("0", 64, &first);
    if (cap)
        ck_assert_uint_eq(cap, first);
}
END_TEST

/* A rate no thread reaches (a billion exchanges a second: 256 of them
 * in 256 ns) keeps a pool's magazines at their first size however hot
 * the pool is. */
START_TEST(magazines_of_a_pool_slower_than_MAGPOOL_MAG_GROW_RATE_keep_their_size)
{
    setenv("MAGPOOL_MAG_GROW_RATE", "1000000000", 1);
    struct magpool *p = magpool_create("grow-rate", 64, NULL);
    ck_assert_ptr_nonnull(p);
    static void *objs[1000];
    unsigned first = pool_stats(p).mag_capacity;
    unsigned cap = cycle_until_stable(p, objs, 1000);
    if (cap) {
        struct magpool_stats st = pool_stats(p);
        ck_assert_uint_gt(st.depot_full_hits + st.depot_empty_hits,
                          512); /* two windows of 256 measured */
        ck_assert_uint_eq(cap, first);
    }
    magpool_destroy(p);
}
END_TEST

/* A thread that takes a thousand objects at once from a new pool goes
 * to the shared layer every magazine's worth.  At the pool's first size
 * (64 objects of 64 B) that was 16 slab refills, each a run of 64 that
 * another thread doing the same interleaved with its own; their objects
 * then lay side by side for the rest of the run (perf/NOTES.md, "Two
 * threads on one pool").  The thread's own trades now double its
 * magazines every two trips: 64, 128, 128, 256, 256, 512: six refills. */
START_TEST(a_thread_that_takes_many_objects_at_once_gets_them_in_a_few_runs)
{
    grow_at_any_speed(); /* the trips' speed is not what is tested */
    struct magpool *p = magpool_create("own-size", 64, NULL);
    enum { N = 1000 };
    static void *objs[N];
    unsigned first = pool_stats(p).mag_capacity;
    ck_assert_uint_lt(first * 8, N);
    for (int i = 0; i < N; i++)
        ck_assert_ptr_nonnull(objs[i] = magpool_get(p));
    struct magpool_stats st = pool_stats(p);
    if (st.in_threads == 0 && st.slab_refills >= N) {
        magpool_destroy(p); /* a debug mode (valgrind): no magazines */
        return;
    }
    ck_assert_msg(st.slab_refills <= 8, "%llu slab refills for %d objects",
                  (unsigned long long)st.slab_refills, N);
    /* Runs of consecutive objects (a stride of round16(64 + 8) = 80
     * bytes): one per refill at most. */
    qsort(objs, N, sizeof(objs[0]), by_address);
    unsigned runs = 1;
    for (int i = 1; i < N; i++)
        if ((char *)objs[i] - (char *)objs[i - 1] > 2 * 80)
            runs++;
    ck_assert_uint_le(runs, st.slab_refills);
    /* The pool's own size has not changed: only this thread's. */
    ck_assert_uint_eq(st.mag_capacity, first);
    for (int i = 0; i < N; i++)
        magpool_put(objs[i]);
    st = pool_stats(p);
    ck_assert_uint_eq(st.active, 0);
    magpool_destroy(p);
}
END_TEST

/* The thread's own size has the pool's bound: MAGPOOL_MAG_GROW_BYTES of
 * objects in a magazine.  At 8 KiB (113 objects of 64 B) a thread that
 * takes and returns a thousand objects keeps at most two magazines of
 * 113 in its cache; the rest go to the depot. */
START_TEST(a_threads_own_magazines_grow_no_further_than_MAGPOOL_MAG_GROW_BYTES)
{
    grow_at_any_speed();
    setenv("MAGPOOL_MAG_GROW_BYTES", "8192", 1);
    struct magpool *p = magpool_create("own-bound", 64, NULL);
    enum { N = 1000 };
    static void *objs[N];
    for (int r = 0; r < 20; r++) {
        for (int i = 0; i < N; i++)
            ck_assert_ptr_nonnull(objs[i] = magpool_get(p));
        for (int i = 0; i < N; i++)
            magpool_put(objs[i]);
    }
    struct magpool_stats st = pool_stats(p);
    if (st.in_threads == 0 && st.in_depot == 0) {
        magpool_destroy(p); /* a debug mode (valgrind): no magazines */
        return;
    }
    unsigned most = 8192 / (64 + 8);
    ck_assert_uint_le(st.in_threads, 2 * most);
    ck_assert_uint_ge(st.in_threads + st.in_depot, N);
    magpool_destroy(p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("magazine");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, put_then_get_returns_the_same_object);
    tcase_add_test(tc, objects_are_aligned_distinct_and_writable);
    tcase_add_test(tc, get0_returns_zeroed_memory);
    tcase_add_test(tc, more_objects_than_two_magazines_go_through_the_depot);
    tcase_add_test(tc, alternating_at_a_magazine_boundary_stays_local);
    tcase_add_test(tc, a_working_set_that_grown_magazines_hold_stops_trading);
    tcase_add_test(tc, a_hot_pool_of_2_KiB_objects_grows_its_magazines_to_512_KiB);
    tcase_add_test(tc, magazines_grow_no_further_than_MAGPOOL_MAG_GROW_BYTES);
    tcase_add_test(tc, MAGPOOL_MAG_GROW_BYTES_0_keeps_magazines_at_their_first_size);
    tcase_add_test(tc, magazines_of_a_pool_slower_than_MAGPOOL_MAG_GROW_RATE_keep_their_size);
    tcase_add_test(tc, a_thread_that_takes_many_objects_at_once_gets_them_in_a_few_runs);
    tcase_add_test(tc, a_threads_own_magazines_grow_no_further_than_MAGPOOL_MAG_GROW_BYTES);
    tcase_add_test(tc, stats_count_objects_exactly_when_quiescent);
    tcase_add_test(tc, thread_flush_hands_the_cache_to_the_depot);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(suite()); }
