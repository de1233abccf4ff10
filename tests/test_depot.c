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

/* Trimming takes magazines off the depot, but it is not traffic: a trim
 * of an idle pool whose depot holds hundreds of full magazines must
 * neither count depot hits nor double the size of its magazines (it
 * did: each popped magazine counted as an exchange, and 600 of them in
 * a microsecond looked like a pool trading millions a second). */
START_TEST(trimming_an_idle_pool_is_not_traffic_that_grows_its_magazines)
{
    struct magpool *p = magpool_create("trim-idle", 64, NULL);
    struct magpool_stats st = pool_stats(p);
    size_t n = (size_t)st.mag_capacity * 600;
    void **objs = malloc(n * sizeof(*objs));
    ck_assert_ptr_nonnull(objs);
    for (size_t i = 0; i < n; i++)
        ck_assert_ptr_nonnull(objs[i] = magpool_get(p));
    for (size_t i = 0; i < n; i++)
        magpool_put(objs[i]);
    free(objs);
    if (pool_stats(p).in_threads == 0) {
        /* A debug mode (valgrind): no magazines at all. */
        st = pool_stats(p);
        ck_assert_uint_eq(st.depot_full_hits + st.depot_empty_hits, 0);
        magpool_destroy(p);
        return;
    }
    magpool_thread_flush();
    struct magpool_stats before = pool_stats(p);
    ck_assert_uint_ge(before.in_depot, n); /* hundreds of magazines */
    ck_assert_uint_gt(magpool_trim(p), 0);
    st = pool_stats(p);
    ck_assert_uint_eq(st.in_depot, 0);
    ck_assert_uint_eq(st.depot_full_hits, before.depot_full_hits);
    ck_assert_uint_eq(st.depot_empty_hits, before.depot_empty_hits);
    ck_assert_uint_eq(st.mag_capacity, before.mag_capacity);
    magpool_destroy(p);
}
END_TEST

/* A producer thread gets, a consumer thread puts: each magazine's worth
 * of objects is one full-magazine hit (the producer) and one
 * empty-magazine hit (the consumer).  Paced at about 1,000 magazines a
 * second each way, 2,000 exchanges, a tenth of the rate that grows
 * magazines (magpool(7)); the size must stay.  It did not: gets and puts
 * each checked the rate at their own multiples of 256 against one
 * shared clock, so the window measured was the gap between the two
 * counters' crossings (often microseconds), and such a pool grew from
 * 64 to 1024 in two seconds. */
struct paced {
    struct magpool *p;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    void **batch;           /* a batch handed to the consumer, or NULL */
    size_t n;
    bool done;
};

static void *paced_consumer(void *arg)
{
    struct paced *pc = arg;
    pthread_mutex_lock(&pc->lock);
    for (;;) {
        while (!pc->batch && !pc->done)
            pthread_cond_wait(&pc->cond, &pc->lock);
        if (!pc->batch)
            break;
        for (size_t i = 0; i < pc->n; i++)
            magpool_put(pc->batch[i]);
        pc->batch = NULL;
        pthread_cond_broadcast(&pc->cond);
    }
    pthread_mutex_unlock(&pc->lock);
    return NULL;
}

/* The producer's side: batches of n objects handed to the consumer for
 * secs seconds, with a 1 ms pause after each one if paced. */
static void pace(struct paced *pc, size_t n, double secs, bool paced)
{
    void **objs = malloc(n * sizeof(*objs));
    ck_assert_ptr_nonnull(objs);
    double t0 = now_s();
    while (now_s() - t0 < secs) {
        for (size_t i = 0; i < n; i++)
            objs[i] = magpool_get(pc->p);
        pthread_mutex_lock(&pc->lock);
        pc->batch = objs;
        pc->n = n;
        pthread_cond_broadcast(&pc->cond);
        while (pc->batch)
            pthread_cond_wait(&pc->cond, &pc->lock);
        pthread_mutex_unlock(&pc->lock);
        if (paced) {
            struct timespec ms = { 0, 1000000 };
            nanosleep(&ms, NULL);
        }
    }
    free(objs);
}

static void pace_start(struct paced *pc, const char *name, pthread_t *t)
{
    *pc = (struct paced){ .p = magpool_create(name, 64, NULL) };
    pthread_mutex_init(&pc->lock, NULL);
    pthread_cond_init(&pc->cond, NULL);
    ck_assert_int_eq(pthread_create(t, NULL, paced_consumer, pc), 0);
}

static void pace_stop(struct paced *pc, pthread_t t)
{
    pthread_mutex_lock(&pc->lock);
    pc->done = true;
    pthread_cond_broadcast(&pc->cond);
    pthread_mutex_unlock(&pc->lock);
    pthread_join(t, NULL);
}

START_TEST(a_pool_trading_2000_magazines_a_second_keeps_its_magazine_size)
{
    struct paced pc;
    pthread_t t;
    pace_start(&pc, "paced", &t);
    struct magpool_stats first = pool_stats(pc.p);
    double t0 = now_s();
    pace(&pc, first.mag_capacity, 2.0, true);
    pace_stop(&pc, t);
    struct magpool_stats st = pool_stats(pc.p);
    uint64_t ex = st.depot_full_hits + st.depot_empty_hits;
    double secs = now_s() - t0;
    if (st.in_threads + st.in_depot == 0 && ex == 0) {
        magpool_destroy(pc.p); /* a debug mode (valgrind): no magazines */
        return;
    }
    /* Enough traffic for several of the pool's rate checks, all of it
     * well below the growth rate. */
    ck_assert_msg(ex >= 4 * 256, "%llu exchanges in %.1f s",
                  (unsigned long long)ex, secs);
    ck_assert_msg(ex / secs < 10000, "%.0f exchanges a second", ex / secs);
    ck_assert_uint_eq(st.mag_capacity, first.mag_capacity);
    magpool_destroy(pc.p);
}
END_TEST

/* The sweeper halves the magazines of a pool trading fewer than 200 a
 * second, measured over a second at least: with a sweep every
 * millisecond, a pass saw one exchange as a thousand a second and none
 * as zero, and halved a pool trading 1,500 a second to its first size. */
START_TEST(a_1_ms_sweeper_keeps_the_magazines_of_a_pool_trading_2000_a_second)
{
    struct paced pc;
    pthread_t t;
    ck_assert_int_eq(magpool_sweeper_start(1), 0);
    pace_start(&pc, "paced-sweep", &t);
    unsigned first = pool_stats(pc.p).mag_capacity;
    /* Hot: as fast as the pair goes, until its magazines grew. */
    double t0 = now_s();
    while (pool_stats(pc.p).mag_capacity < 4 * first && now_s() - t0 < 5)
        pace(&pc, 1024, 0.05, false);
    unsigned grown = pool_stats(pc.p).mag_capacity;
    /* Then a batch a millisecond of twice the largest magazine either
     * thread may hold by now (its own trades grow a thread's magazines
     * beyond the pool's size): two magazines or more each way. */
    struct magpool_stats before = pool_stats(pc.p);
    t0 = now_s();
    pace(&pc, 2 * 1024, 2.5, true);
    struct magpool_stats st = pool_stats(pc.p);
    double secs = now_s() - t0;
    pace_stop(&pc, t);
    magpool_sweeper_stop();
    uint64_t ex = st.depot_full_hits + st.depot_empty_hits -
                  before.depot_full_hits - before.depot_empty_hits;
    if (st.in_threads + st.in_depot == 0 && ex == 0) {
        magpool_destroy(pc.p); /* a debug mode (valgrind): no magazines */
        return;
    }
    /* Well above the shrink rate (200 a second), even on a loaded machine
     * where the 1 ms pauses last longer. */
    ck_assert_msg(ex / secs > 400, "%.0f exchanges a second", ex / secs);
    ck_assert_uint_eq(st.mag_capacity, grown);
    magpool_destroy(pc.p);
}
END_TEST

/* A thread that sets up its cache takes a full magazine from the depot
 * and has no second one yet: its first trade is part of the set-up, not
 * traffic.  Flushes and short threads whose first call is a put (or who
 * get more than a magazine) used to count each set-up as an exchange,
 * and a loop of them grew the pool's magazines to their largest. */
static struct magpool *putfirst_pool;

static void *put_first_thread(void *arg)
{
    magpool_put(arg);
    void *x = magpool_get(putfirst_pool);
    ck_assert_ptr_nonnull(x);
    magpool_put(x);
    return NULL;
}

START_TEST(flushes_and_short_threads_that_put_first_do_not_grow_magazines)
{
    struct magpool *p = putfirst_pool = magpool_create("put-first", 64, NULL);
    unsigned cap = pool_stats(p).mag_capacity;
    /* Full magazines in the depot, for the set-ups to take. */
    enum { PRIME = 2000 };
    static void *objs[PRIME];
    for (int i = 0; i < PRIME; i++)
        ck_assert_ptr_nonnull(objs[i] = magpool_get(p));
    for (int i = 0; i < PRIME; i++)
        magpool_put(objs[i]);
    magpool_thread_flush();
    if (pool_stats(p).in_depot == 0) {
        magpool_destroy(p); /* a debug mode (valgrind): no magazines */
        return;
    }
    int cycles = 100000 / MP_TEST_SCALE;
    void *x = magpool_get(p);
    for (int c = 0; c < cycles; c++) { /* put first, then flush */
        magpool_put(x);
        x = magpool_get(p);
        magpool_thread_flush();
    }
    ck_assert_uint_eq(pool_stats(p).mag_capacity, cap);
    for (int c = 0; c < cycles / 10; c++) { /* more than a magazine */
        for (unsigned i = 0; i <= cap; i++)
            objs[i] = magpool_get(p);
        for (unsigned i = 0; i <= cap; i++)
            magpool_put(objs[i]);
        magpool_thread_flush();
    }
    ck_assert_uint_eq(pool_stats(p).mag_capacity, cap);
    int threads = 3000 / MP_TEST_SCALE;
    for (int i = 0; i < threads; i++) { /* short threads that put first */
        pthread_t t;
        ck_assert_int_eq(pthread_create(&t, NULL, put_first_thread, x), 0);
        pthread_join(t, NULL);
        x = magpool_get(p);
    }
    magpool_put(x);
    struct magpool_stats st = pool_stats(p);
    ck_assert_uint_eq(st.mag_capacity, cap);
    ck_assert_uint_eq(st.active, 0);
    magpool_destroy(p);
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
    tcase_add_test(tc, trimming_an_idle_pool_is_not_traffic_that_grows_its_magazines);
    tcase_add_test(tc, flushes_and_short_threads_that_put_first_do_not_grow_magazines);
    tcase_add_test(tc, a_pool_trading_2000_magazines_a_second_keeps_its_magazine_size);
    tcase_add_test(tc, a_1_ms_sweeper_keeps_the_magazines_of_a_pool_trading_2000_a_second);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(suite()); }
