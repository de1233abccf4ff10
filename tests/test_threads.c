/*
 * test_threads.c - objects crossing threads: cross-thread put, the
 * producer->consumer flow back through the depot, thread exit, and the
 * memory a thread's cache takes.
 */
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tcache_probe.h"
#include "testutil.h"

static struct magpool *pool;

/* --- cross-thread put ------------------------------------------------ */

#define HANDOFF 20
static void *handed[HANDOFF];

static void *getter(void *arg)
{
    (void)arg;
    for (int i = 0; i < HANDOFF; i++)
        handed[i] = magpool_get(pool);
    return NULL;
}

static void *putter_then_getter(void *arg)
{
    void **again = arg;
    for (int i = 0; i < HANDOFF; i++)
        magpool_put(handed[i]);
    for (int i = 0; i < HANDOFF; i++)
        again[i] = magpool_get(pool);
    return NULL;
}

START_TEST(put_from_other_thread_is_reused_locally)
{
    pool = magpool_create("xput", 128, NULL);
    pthread_t a, b;
    pthread_create(&a, NULL, getter, NULL);
    pthread_join(a, NULL);
    struct magpool_stats before = pool_stats(pool);
    void *again[HANDOFF];
    pthread_create(&b, NULL, putter_then_getter, again);
    pthread_join(b, NULL);
    /* B got back exactly what it put, newest first, with no trip to the
     * depot or the slab. */
    for (int i = 0; i < HANDOFF; i++)
        ck_assert_ptr_eq(again[i], handed[HANDOFF - 1 - i]);
    struct magpool_stats after = pool_stats(pool);
    ck_assert_uint_eq(after.slab_refills, before.slab_refills);
    ck_assert_uint_eq(after.depot_full_hits, before.depot_full_hits);
    for (int i = 0; i < HANDOFF; i++)
        magpool_put(again[i]);
    magpool_destroy(pool);
}
END_TEST

/* --- producer -> consumer --------------------------------------------- */

#define RING 256
static void *ring[RING];
static atomic_ulong head, tail; /* producer writes head, consumer tail */
static atomic_int stop;

static void *producer(void *arg)
{
    unsigned long n = (unsigned long)(uintptr_t)arg;
    for (unsigned long i = 0; i < n; i++) {
        uint64_t *o = magpool_get(pool);
        ck_assert_ptr_nonnull(o);
        *o = i;
        unsigned long h = atomic_load_explicit(&head, memory_order_relaxed);
        while (h - atomic_load_explicit(&tail, memory_order_acquire) == RING)
            sched_yield();
        ring[h % RING] = o;
        atomic_store_explicit(&head, h + 1, memory_order_release);
    }
    atomic_store(&stop, 1);
    return NULL;
}

static void *consumer(void *arg)
{
    unsigned long expect = 0, *bad = arg;
    for (;;) {
        unsigned long t = atomic_load_explicit(&tail, memory_order_relaxed);
        if (t == atomic_load_explicit(&head, memory_order_acquire)) {
            if (atomic_load(&stop) &&
                t == atomic_load_explicit(&head, memory_order_acquire))
                break;
            sched_yield();
            continue;
        }
        uint64_t *o = ring[t % RING];
        if (*o != expect++)
            (*bad)++;
        magpool_put(o);
        atomic_store_explicit(&tail, t + 1, memory_order_release);
    }
    return NULL;
}

START_TEST(producer_consumer_memory_flows_back_through_the_depot)
{
    pool = magpool_create("pc", 512, NULL);
    unsigned long n = 2000000 / MP_TEST_SCALE, bad = 0;
    pthread_t p, c;
    pthread_create(&c, NULL, consumer, &bad);
    pthread_create(&p, NULL, producer, (void *)(uintptr_t)n);
    pthread_join(p, NULL);
    pthread_join(c, NULL);
    ck_assert_uint_eq(bad, 0);
    struct magpool_stats st = pool_stats(pool);
    ck_assert_uint_eq(st.active, 0);
    /* The consumer's full magazines went back to the producer: the pool
     * holds a small multiple of the ring, not one object per get. */
    uint64_t objects_mapped = st.bytes_mapped / st.block_size;
    printf("producer->consumer: %lu objects passed, %llu objects' worth "
           "mapped, %llu full magazines taken from the depot\n",
           n, (unsigned long long)objects_mapped,
           (unsigned long long)st.depot_full_hits);
    ck_assert_uint_lt(objects_mapped, n / 10);
    ck_assert_uint_gt(st.depot_full_hits, 0);
    magpool_destroy(pool);
}
END_TEST

/* --- thread exit ------------------------------------------------------- */

static void *exits_holding_objects(void *arg)
{
    void **keep = arg;
    void *tmp[100];
    for (int i = 0; i < 100; i++)
        tmp[i] = magpool_get(pool);
    for (int i = 0; i < 10; i++)
        keep[i] = tmp[i];       /* outstanding, handed to main */
    for (int i = 10; i < 100; i++)
        magpool_put(tmp[i]);    /* cached in this thread's magazines */
    return NULL;
}

START_TEST(thread_exit_flushes_cache_and_outstanding_objects_stay_valid)
{
    pool = magpool_create("exit", 200, NULL);
    void *keep[10];
    pthread_t t;
    pthread_create(&t, NULL, exits_holding_objects, keep);
    pthread_join(t, NULL);
    struct magpool_stats st = pool_stats(pool);
    ck_assert_uint_eq(st.in_threads, 0);
    ck_assert_uint_eq(st.active, 10);
    for (int i = 0; i < 10; i++) {
        memset(keep[i], 0x5a, 200);
        magpool_put(keep[i]);
    }
    st = pool_stats(pool);
    ck_assert_uint_eq(st.active, 0);
    /* The exited thread's objects serve this thread now. */
    uint64_t refills = st.slab_refills;
    void *objs[90];
    for (int i = 0; i < 90; i++)
        objs[i] = magpool_get(pool);
    ck_assert_uint_eq(pool_stats(pool).slab_refills, refills);
    for (int i = 0; i < 90; i++)
        magpool_put(objs[i]);
    magpool_destroy(pool);
}
END_TEST

static void *churn(void *arg)
{
    (void)arg;
    void *o[40];
    for (int i = 0; i < 40; i++)
        o[i] = magpool_get(pool);
    for (int i = 0; i < 40; i++)
        magpool_put(o[i]);
    return NULL;
}

START_TEST(thread_churn_does_not_grow_the_pool)
{
    pool = magpool_create("churn", 64, NULL);
    for (int round = 0; round < 500 / MP_TEST_SCALE + 20; round++) {
        pthread_t t[4];
        for (int i = 0; i < 4; i++)
            pthread_create(&t[i], NULL, churn, NULL);
        for (int i = 0; i < 4; i++)
            pthread_join(t[i], NULL);
    }
    magpool_trim(NULL);
    struct magpool_stats st = pool_stats(pool);
    ck_assert_uint_eq(st.active, 0);
    ck_assert_uint_eq(st.in_threads, 0);
    ck_assert_uint_le(st.chunk_maps, 4);
    magpool_destroy(pool);
}
END_TEST

/* ---- gets and puts from TLS destructors after magpool's exit hook ---- */

static pthread_key_t late_key;
static struct magpool *late_pool;
static atomic_int late_ok;

static void late_destructor(void *held)
{
    /* Runs after magpool's own exit hook (its key is older). */
    magpool_put(held);
    void *o = magpool_get(late_pool);
    if (!o)
        return;
    memset(o, 0x3c, 96);
    magpool_put(o);
    atomic_fetch_add(&late_ok, 1);
}

static void *late_thread(void *arg)
{
    (void)arg;
    void *o = magpool_get(late_pool);
    pthread_setspecific(late_key, o);
    return NULL;
}

static void *churn_depot(void *arg)
{
    (void)arg;
    void *o[300];
    for (int r = 0; r < 20; r++) {
        for (int i = 0; i < 300; i++)
            o[i] = magpool_get(late_pool);
        for (int i = 0; i < 300; i++)
            magpool_put(o[i]);
    }
    return NULL;
}

/* A destructor that re-arms its key until glibc's round `round_use'
 * (1-based; glibc runs 4) and then gets and puts. */
static pthread_key_t round_key;
static int round_use;
static atomic_int round_done;

static void round_destructor(void *arg)
{
    intptr_t round = (intptr_t)arg;
    if (round < round_use) {
        pthread_setspecific(round_key, (void *)(round + 1));
        return;
    }
    void *o[10];
    for (int i = 0; i < 10; i++)
        o[i] = magpool_get(late_pool);
    for (int i = 0; i < 10; i++)
        magpool_put(o[i]);
    atomic_fetch_add(&round_done, 1);
}

static void *round_thread(void *arg)
{
    if (arg)    /* one get and put before exiting */
        magpool_put(magpool_get(late_pool));
    pthread_setspecific(round_key, (void *)1);
    return NULL;
}

/* The limit magpool(7) states (GUARANTEES, thread exit): a thread's first
 * get or put in glibc's last round of destructors is never cleaned up;
 * in the third it is, and a thread that used magpool before may use it
 * in the last.  Each case is followed by threads and grace periods,
 * which a registration left behind would break. */
START_TEST(a_first_get_in_the_third_destructor_round_or_a_get_in_the_last_after_one_before_leaves_nothing)
{
#if defined(__SANITIZE_THREAD__)
    /* ThreadSanitizer finishes a thread in a TLS destructor of its own
     * and reports any instrumented code run after it. */
    return;
#endif
    late_pool = magpool_create("rounds", 96, NULL);
    ck_assert_int_eq(pthread_key_create(&round_key, round_destructor), 0);
    struct { int round; void *before; } cases[] = {
        { 3, NULL }, { 4, (void *)1 },
    };
    for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        round_use = cases[c].round;
        atomic_store(&round_done, 0);
        for (int i = 0; i < 10; i++) {
            pthread_t t;
            pthread_create(&t, NULL, round_thread, cases[c].before);
            pthread_join(t, NULL);
        }
        ck_assert_int_eq(atomic_load(&round_done), 10);
        struct magpool_stats st = pool_stats(late_pool);
        ck_assert_uint_eq(st.active, 0);
        ck_assert_uint_eq(st.in_threads, 0);
        /* New threads in the exited ones' TLS, and grace periods. */
        pthread_t t[4];
        for (int i = 0; i < 4; i++)
            pthread_create(&t[i], NULL, churn_depot, NULL);
        for (int i = 0; i < 4; i++)
            pthread_join(t[i], NULL);
        magpool_trim(NULL);
        ck_assert_uint_eq(pool_stats(late_pool).active, 0);
    }
    pthread_key_delete(round_key);
    magpool_destroy(late_pool);
}
END_TEST

START_TEST(gets_and_puts_from_later_tls_destructors_work_and_leave_nothing)
{
    late_pool = magpool_create("late", 96, NULL);
    ck_assert_int_eq(pthread_key_create(&late_key, late_destructor), 0);
    for (int i = 0; i < 20; i++) {
        pthread_t t;
        pthread_create(&t, NULL, late_thread, NULL);
        pthread_join(t, NULL);
    }
    ck_assert_int_eq(atomic_load(&late_ok), 20);
    ck_assert_uint_eq(pool_stats(late_pool).active, 0);
    /* New threads reuse the exited ones' stacks and TLS: the exited
     * threads left no RCU registration behind (a grace period would wait
     * for it forever, or the registry would be corrupted). */
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, churn_depot, NULL);
    ck_assert_int_eq(magpool_sweeper_start(1), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    magpool_sweeper_stop();
    magpool_trim(NULL);
    ck_assert_uint_eq(pool_stats(late_pool).active, 0);
    magpool_destroy(late_pool);
}
END_TEST

/* --- the thread cache's pages ---------------------------------------- */

static size_t page_size(void) { return (size_t)sysconf(_SC_PAGESIZE); }

#define NPOOLS_USED 3
static struct magpool *used[NPOOLS_USED];
static unsigned char cache_vec[64];
static int cache_pages_seen;
static char *cache_seen;

/* Uses each pool of used[] once and records which pages of its cache
 * hold memory. */
static void *use_pools_and_look(void *arg)
{
    (void)arg;
    for (int i = 0; i < NPOOLS_USED; i++)
        magpool_put(magpool_get(used[i]));
    cache_seen = my_cache();
    size_t len = sizeof(struct mp_tcache);
    cache_pages_seen = (int)((len + page_size() - 1) / page_size());
    if ((uintptr_t)cache_seen % page_size() ||
        mincore(cache_seen, len, cache_vec))
        cache_pages_seen = -1;
    return NULL;
}

static size_t page_of(const void *p)
{
    return (size_t)((const char *)p - cache_seen) / page_size();
}

START_TEST(a_thread_cache_takes_memory_only_in_the_pages_of_the_pools_it_used)
{
    for (int i = 0; i < NPOOLS_USED; i++)
        used[i] = magpool_create("pages", 64 + 64 * i, NULL);
    /* A new cache, then the same one again as the next thread's (the
     * exit's flush reads no slot or counter of pools never made). */
    char *first = NULL;
    for (int round = 0; round < 2; round++) {
        pthread_t t;
        pthread_create(&t, NULL, use_pools_and_look, NULL);
        pthread_join(t, NULL);
        /* A mapping of its own, page-aligned. */
        ck_assert_int_gt(cache_pages_seen, 0);
        ck_assert_int_le(cache_pages_seen, (int)sizeof(cache_vec));
        if (round)
            ck_assert_ptr_eq(cache_seen, first);
        first = cache_seen;
        /* The pages it wrote: every top (all are set when the cache is
         * made), the list link, and the slot and get counter of each
         * pool used. */
        struct mp_tcache *tc = (struct mp_tcache *)cache_seen;
        unsigned char want[sizeof(cache_vec)] = { 0 };
        for (unsigned i = 0; i < MAGPOOL_MAX_POOLS; i++)
            want[page_of(&tc->tops[i])] = 1;
        want[page_of(&tc->link)] = 1;
        for (int i = 0; i < NPOOLS_USED; i++) {
            unsigned idx = ((struct magpool_inline_view *)used[i])->idx;
            want[page_of(&tc->slot_rev[MAGPOOL_MAX_POOLS - 1 - idx])] = 1;
            want[page_of(&tc->gets[idx])] = 1;
        }
        int resident = 0;
        for (int p = 0; p < cache_pages_seen; p++) {
            ck_assert_msg((cache_vec[p] & 1) == want[p],
                          "round %d, page %d of the cache: resident %d, "
                          "expected %d", round, p, cache_vec[p] & 1, want[p]);
            resident += cache_vec[p] & 1;
        }
        /* With 4 KiB pages and pools among the first 248: 3 of its 7
         * pages (magpool(7), MEMORY AN IDLE THREAD KEEPS). */
        if (page_size() == 4096)
            ck_assert_int_eq(resident, 3);
    }
    for (int i = 0; i < NPOOLS_USED; i++)
        magpool_destroy(used[i]);
}
END_TEST

static void *use_pool_and_exit(void *arg)
{
    char **seen = arg;
    void *o[40];
    for (int i = 0; i < 40; i++)
        o[i] = magpool_get(pool);
    for (int i = 0; i < 40; i++)
        magpool_put(o[i]);
    *seen = my_cache();
    return NULL;
}

static int cache_mapped(char *c) { return cache_resident(c) >= 0; }


/* The sanitizers' runtimes map memory of their own for each new thread,
 * which may land in a range a cache left: there, a range found mapped
 * does not show that the cache is still there. */
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define RANGES_REUSED_BY_THE_RUNTIME 1
#else
#define RANGES_REUSED_BY_THE_RUNTIME 0
#endif
#define BURST 40
static pthread_barrier_t burst_barrier;

static void *use_pool_wait_and_exit(void *arg)
{
    magpool_put(magpool_get(pool));
    *(char **)arg = my_cache();
    pthread_barrier_wait(&burst_barrier);
    return NULL;
}

START_TEST(an_exited_threads_cache_serves_the_next_and_spares_go_back_to_the_kernel)
{
    pool = magpool_create("spare", 100, NULL);
    /* The next thread takes the cache the last one left, set up anew. */
    char *prev = NULL;
    for (int round = 0; round < 20; round++) {
        char *seen = NULL;
        pthread_t t;
        pthread_create(&t, NULL, use_pool_and_exit, &seen);
        pthread_join(t, NULL);
        ck_assert_uint_eq((uintptr_t)seen % page_size(), 0);
        if (prev)
            ck_assert_ptr_eq(seen, prev);
        prev = seen;
        struct magpool_stats st = pool_stats(pool);
        ck_assert_uint_eq(st.active, 0);
        ck_assert_uint_eq(st.in_threads, 0);
        ck_assert_uint_eq(st.alloc_count, 40 * (uint64_t)(round + 1));
    }
    /* Threads that exit together keep at most SPARE_MAX caches mapped. */
    char *caches[BURST];
    pthread_t t[BURST];
    pthread_barrier_init(&burst_barrier, NULL, BURST + 1);
    for (int i = 0; i < BURST; i++)
        pthread_create(&t[i], NULL, use_pool_wait_and_exit, &caches[i]);
    pthread_barrier_wait(&burst_barrier);
    for (int i = 0; i < BURST; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&burst_barrier);
    int mapped = 0;
    for (int i = 0; i < BURST; i++)
        mapped += cache_mapped(caches[i]);
    if (!RANGES_REUSED_BY_THE_RUNTIME)
        ck_assert_int_eq(mapped, SPARE_MAX);
    /* The sweeper unmaps those no thread took for two passes. */
    ck_assert_int_eq(magpool_sweeper_start(1), 0);
    for (int waited = 0; mapped && waited < 5000; waited++) {
        usleep(1000);
        mapped = 0;
        for (int i = 0; i < BURST; i++)
            mapped += cache_mapped(caches[i]);
    }
    magpool_sweeper_stop();
    if (!RANGES_REUSED_BY_THE_RUNTIME)
        ck_assert_int_eq(mapped, 0);
    ck_assert_uint_eq(pool_stats(pool).active, 0);
    magpool_destroy(pool);
}
END_TEST

START_TEST(the_last_fini_unmaps_the_caches_exited_threads_left)
{
    ck_assert_int_eq(magpool_init(), 0);
    pool = magpool_create("fini-spare", 100, NULL);
    char *seen = NULL;
    pthread_t t;
    pthread_create(&t, NULL, use_pool_and_exit, &seen);
    pthread_join(t, NULL);
    ck_assert(cache_mapped(seen));      /* kept for the next thread */
    magpool_destroy(pool);
    magpool_fini();
    ck_assert(!cache_mapped(seen));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("threads");
    TCase *tc = tcase_create("cross-thread");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, put_from_other_thread_is_reused_locally);
    tcase_add_test(tc, producer_consumer_memory_flows_back_through_the_depot);
    tcase_add_test(tc, thread_exit_flushes_cache_and_outstanding_objects_stay_valid);
    tcase_add_test(tc, thread_churn_does_not_grow_the_pool);
    tcase_add_test(tc, gets_and_puts_from_later_tls_destructors_work_and_leave_nothing);
    tcase_add_test(tc, a_first_get_in_the_third_destructor_round_or_a_get_in_the_last_after_one_before_leaves_nothing);
    tcase_add_test(tc, a_thread_cache_takes_memory_only_in_the_pages_of_the_pools_it_used);
    tcase_add_test(tc, an_exited_threads_cache_serves_the_next_and_spares_go_back_to_the_kernel);
    tcase_add_test(tc, the_last_fini_unmaps_the_caches_exited_threads_left);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(suite()); }
