/*
 * test_sweeper.c - the sweeper gives memory back to the kernel after a
 * burst, and leaves a steady working set alone.
 */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>

#include <sys/mman.h>

#include "testutil.h"

#define INTERVAL_MS 200

START_TEST(rss_falls_below_a_tenth_of_peak_within_two_sweeps_after_a_burst)
{
    size_t n = 1000000 / MP_TEST_SCALE;
    struct magpool *p = magpool_create("burst", 512, NULL);
    void **objs = malloc(n * sizeof(void *));
    ck_assert_ptr_nonnull(objs);
    ck_assert_int_eq(magpool_sweeper_start(INTERVAL_MS), 0);
    for (size_t i = 0; i < n; i++) {
        objs[i] = magpool_get(p);
        ck_assert_ptr_nonnull(objs[i]);
        memset(objs[i], 1, 512);
    }
    size_t peak = rss_bytes();
    uint64_t peak_mapped = pool_stats(p).bytes_mapped;
    for (size_t i = 0; i < n; i++)
        magpool_put(objs[i]);
    free(objs);
    double t0 = now_s();
    size_t rss = peak;
    double fell_after = -1;
    while (now_s() - t0 < 2.0 * INTERVAL_MS / 1000 + 0.5) {
        rss = rss_bytes();
        /* Sanitizers keep freed heap blocks in quarantine, so RSS says
         * little there: check what the pool itself still maps instead. */
        bool back = MP_TEST_SCALE == 1
                        ? rss <= peak / 10
                        : pool_stats(p).bytes_mapped <= peak_mapped / 10;
        if (back) {
            fell_after = now_s() - t0;
            break;
        }
        usleep(10000);
    }
    printf("burst of %zu x 512 B: peak RSS %zu MB, %zu MB after %.2f s "
           "(sweep interval %d ms)\n", n, peak >> 20, rss >> 20,
           fell_after, INTERVAL_MS);
    ck_assert_msg(fell_after >= 0, "RSS %zu still above a tenth of %zu",
                  rss, peak);
    /* Two intervals plus the time the sweep itself takes. */
    ck_assert_double_le(fell_after, 2.0 * INTERVAL_MS / 1000 + 0.5);
    magpool_sweeper_stop();
    magpool_destroy(p);
}
END_TEST

START_TEST(peak_rss_of_a_million_512_byte_objects_is_within_560_MB)
{
    size_t n = 1000000 / MP_TEST_SCALE;
    size_t before = rss_bytes();
    struct magpool *p = magpool_create("peak", 512, NULL);
    void **objs = malloc(n * sizeof(void *));
    for (size_t i = 0; i < n; i++) {
        objs[i] = magpool_get(p);
        memset(objs[i], 1, 512);
    }
    size_t used = rss_bytes() - before - n * sizeof(void *);
    printf("%zu live 512-byte objects: %zu MB of RSS (%.1f bytes each)\n",
           n, used >> 20, (double)used / (double)n);
    /* Sanitizers' shadow memory inflates RSS: there, the pool's own
     * mapping is what is checked. */
    if (MP_TEST_SCALE == 1)
        ck_assert_uint_le(used, n * 560);
    ck_assert_uint_le(pool_stats(p).bytes_mapped, n * 560);
    for (size_t i = 0; i < n; i++)
        magpool_put(objs[i]);
    free(objs);
    magpool_destroy(p);
}
END_TEST

START_TEST(steady_working_set_is_kept_by_the_sweeper)
{
    enum { WS = 20000 };
    static void *objs[WS];
    struct magpool *p = magpool_create("steady", 256, NULL);
    ck_assert_int_eq(magpool_sweeper_start(50), 0);
    /* Warm up, then cycle the same working set for many intervals. */
    for (int i = 0; i < WS; i++)
        objs[i] = magpool_get(p);
    for (int i = 0; i < WS; i++)
        magpool_put(objs[i]);
    struct magpool_stats warm = pool_stats(p);
    double t0 = now_s();
    while (now_s() - t0 < 1.0) {
        for (int i = 0; i < WS; i++)
            objs[i] = magpool_get(p);
        for (int i = 0; i < WS; i++)
            magpool_put(objs[i]);
        usleep(1000);
    }
    struct magpool_stats st = pool_stats(p);
    printf("steady: %llu sweeps, %llu objects swept, chunk maps %llu -> %llu\n",
           (unsigned long long)st.sweeps,
           (unsigned long long)st.swept_objects,
           (unsigned long long)warm.chunk_maps,
           (unsigned long long)st.chunk_maps);
    ck_assert_uint_ge(st.sweeps, 5);
    /* Nothing of the working set was given back and faulted in again. */
    ck_assert_uint_eq(st.chunk_unmaps, 0);
    ck_assert_uint_eq(st.chunk_maps, warm.chunk_maps);
    magpool_sweeper_stop();
    magpool_destroy(p);
}
END_TEST

START_TEST(trim_returns_every_free_chunk_now)
{
    struct magpool *p = magpool_create("trim", 1000, NULL);
    static void *objs[10000];
    for (int i = 0; i < 10000; i++)
        objs[i] = magpool_get(p);
    for (int i = 0; i < 10000; i++)
        magpool_put(objs[i]);
    magpool_thread_flush();
    ck_assert_uint_gt(pool_stats(p).chunks, 0);
    ck_assert_uint_gt(magpool_trim(p), 0);
    struct magpool_stats st = pool_stats(p);
    ck_assert_uint_eq(st.chunks, 0);
    ck_assert_uint_eq(st.bytes_mapped, 0);
    void *again = magpool_get(p); /* usable after a trim */
    ck_assert_ptr_nonnull(again);
    magpool_put(again);
    magpool_destroy(p);
}
END_TEST

START_TEST(nosweep_pool_keeps_its_memory)
{
    struct magpool_options o = { .flags = MAGPOOL_F_NOSWEEP };
    struct magpool *p = magpool_create("keep", 512, &o);
    ck_assert_int_eq(magpool_sweeper_start(20), 0);
    static void *objs[5000];
    for (int i = 0; i < 5000; i++)
        objs[i] = magpool_get(p);
    for (int i = 0; i < 5000; i++)
        magpool_put(objs[i]);
    usleep(200000);
    struct magpool_stats st = pool_stats(p);
    ck_assert_uint_eq(st.sweeps, 0);
    ck_assert_uint_gt(st.chunks, 0);
    magpool_sweeper_stop();
    magpool_destroy(p);
}
END_TEST

static pthread_barrier_t race_barrier;

static void *stop_in_race(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&race_barrier);
    magpool_sweeper_stop();
    return NULL;
}

/* The number of sweeper threads once it is between lo and hi, or after
 * 3 s.  A thread that pthread_join has returned for stays listed in
 * /proc/self/task until the kernel has finished its exit: pthread_join
 * wakes when the kernel clears the thread's id, which is before the
 * task leaves its thread group.  Under an emulator that gap is wide. */
static int sweepers_between(int lo, int hi)
{
    int n = threads_named("magpool-sweep", NULL);
    for (int i = 0; i < 300 && (n < lo || n > hi); i++) {
        usleep(10000);
        n = threads_named("magpool-sweep", NULL);
    }
    return n;
}

static int sweepers_settled(int want)
{
    return sweepers_between(want, want);
}

START_TEST(stop_returns_and_one_sweeper_remains_when_a_start_races_it)
{
    /* Each round: a stop on one thread, a start on this one, released
     * together.  Whatever the order, the stop returns, and afterwards
     * at most one sweeper runs; the final stop leaves none. */
    for (int round = 0; round < 200 / MP_TEST_SCALE + 20; round++) {
        ck_assert_int_eq(magpool_sweeper_start(5), 0);
        pthread_barrier_init(&race_barrier, NULL, 2);
        pthread_t t;
        pthread_create(&t, NULL, stop_in_race, NULL);
        pthread_barrier_wait(&race_barrier);
        ck_assert_int_eq(magpool_sweeper_start(5), 0);
        pthread_join(t, NULL);
        pthread_barrier_destroy(&race_barrier);
        /* A sweeper that the racing stop joined may still be listed
         * for a moment; two running sweepers would stay. */
        ck_assert_int_le(sweepers_between(0, 1), 1);
        magpool_sweeper_stop();
        ck_assert_int_eq(sweepers_settled(0), 0);
    }
}
END_TEST

START_TEST(sweeper_thread_blocks_every_signal)
{
    MP_SKIP_IF_EMULATED("/proc's SigBlk is the emulator's host thread's mask, "
                        "which keeps SIGSEGV and SIGBUS open for itself");
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, NULL);
    ck_assert_int_eq(magpool_sweeper_start(50), 0);
    unsigned long long blk = 0;
    ck_assert_int_eq(sweepers_settled(1), 1);
    ck_assert_int_eq(threads_named("magpool-sweep", &blk), 1);
    /* Every signal the kernel lets a thread block (all but SIGKILL and
     * SIGSTOP; glibc reserves 32 and 33 for itself). */
    for (int sig = 1; sig <= 64; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP || sig == 32 || sig == 33)
            continue;
        ck_assert_msg(blk & (1ull << (sig - 1)),
                      "signal %d not blocked in the sweeper (SigBlk %llx)",
                      sig, blk);
    }
    /* The caller's own mask is untouched. */
    sigset_t cur;
    pthread_sigmask(SIG_SETMASK, NULL, &cur);
    ck_assert_int_eq(sigismember(&cur, SIGTERM), 0);
    magpool_sweeper_stop();
}
END_TEST

/* ---- threads that stop calling magpool ---- */

static pthread_mutex_t idle_mx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle_cv = PTHREAD_COND_INITIALIZER;
static int idle_phase; /* 1: the thread is parked; 2: it may go on */

static void *park_with_two_full_magazines(void *arg)
{
    struct magpool *p = arg;
    void *objs[100];
    /* 100 gets (slab refills of 64), then 100 puts: the loaded magazine
     * fills with 36, the previous one is that full magazine (64) and a
     * new loaded one takes the last 64: 128 objects in this thread. */
    for (int i = 0; i < 100; i++)
        ck_assert_ptr_nonnull(objs[i] = magpool_get(p));
    for (int i = 0; i < 100; i++)
        magpool_put(objs[i]);
    pthread_mutex_lock(&idle_mx);
    idle_phase = 1;
    pthread_cond_broadcast(&idle_cv);
    while (idle_phase != 2)
        pthread_cond_wait(&idle_cv, &idle_mx);
    pthread_mutex_unlock(&idle_mx);
    /* Its loaded magazine is still its own: 64 gets without the depot. */
    uint64_t hits = pool_stats(p).depot_full_hits;
    for (int i = 0; i < 64; i++)
        ck_assert_ptr_nonnull(objs[i] = magpool_get(p));
    ck_assert_uint_eq(pool_stats(p).depot_full_hits, hits);
    for (int i = 0; i < 64; i++)
        magpool_put(objs[i]);
    return NULL;
}

START_TEST(an_idle_threads_previous_magazine_goes_back_to_the_slab)
{
    struct magpool_options o = { .mag_capacity = 64 };
    struct magpool *p = magpool_create("idle", 2048, &o);
    ck_assert_ptr_nonnull(p);
    idle_phase = 0;
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, park_with_two_full_magazines, p), 0);
    pthread_mutex_lock(&idle_mx);
    while (idle_phase != 1)
        pthread_cond_wait(&idle_cv, &idle_mx);
    pthread_mutex_unlock(&idle_mx);
    ck_assert_uint_eq(pool_stats(p).in_threads, 128);

    ck_assert_int_eq(magpool_sweeper_start(50), 0);
    /* Taken at the second pass after the thread's last slow path, swept
     * to the slab at the next: 150 ms, allow 2 s on a loaded machine. */
    double t0 = now_s();
    struct magpool_stats st = pool_stats(p);
    while ((st.in_threads != 64 || st.in_depot != 0) && now_s() - t0 < 2.0) {
        usleep(10000);
        st = pool_stats(p);
    }
    printf("idle thread: %llu objects in threads, %llu in the depot, %llu "
           "in the slab after %.2f s (sweep interval 50 ms)\n",
           (unsigned long long)st.in_threads, (unsigned long long)st.in_depot,
           (unsigned long long)st.in_slab, now_s() - t0);
    ck_assert_uint_eq(st.in_threads, 64);
    ck_assert_uint_eq(st.in_depot, 0);
    ck_assert_uint_eq(st.active, 0);
    magpool_sweeper_stop();

    pthread_mutex_lock(&idle_mx);
    idle_phase = 2;
    pthread_cond_broadcast(&idle_cv);
    pthread_mutex_unlock(&idle_mx);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    st = pool_stats(p);
    ck_assert_uint_eq(st.active, 0);
    ck_assert_uint_eq(st.in_threads, 0); /* flushed at thread exit */
    magpool_destroy(p);
}
END_TEST

/* ---- threads that move on to other pools ---- */

enum { MOVE_POOLS = 8, MOVE_THREADS = 2 };
static struct magpool *move_pool[MOVE_POOLS];
static atomic_int move_parked;
static atomic_int move_go_on;

/* A brick thread under multiplexing: it serves one volume's pools for a
 * while (bursts of gets then puts, with slow paths), then the next
 * volume's, and so on; then it waits for work. */
static void *serve_pools_in_turn(void *arg)
{
    (void)arg;
    void *objs[200];
    for (int k = 0; k < MOVE_POOLS; k++) {
        double t0 = now_s();
        while (now_s() - t0 < 0.25) {
            for (int i = 0; i < 200; i++)
                ck_assert_ptr_nonnull(objs[i] = magpool_get(move_pool[k]));
            for (int i = 0; i < 200; i++)
                magpool_put(objs[i]);
            usleep(2000);
        }
    }
    atomic_fetch_add(&move_parked, 1);
    while (!atomic_load(&move_go_on))
        usleep(1000);
    return NULL;
}

START_TEST(a_thread_that_moved_on_to_other_pools_gives_back_its_loaded_magazines)
{
    struct magpool_options o = { .mag_capacity = 64 };
    for (int k = 0; k < MOVE_POOLS; k++) {
        char name[16];
        snprintf(name, sizeof name, "volume-%d", k);
        ck_assert_ptr_nonnull(move_pool[k] = magpool_create(name, 1024, &o));
    }
    atomic_store(&move_parked, 0);
    atomic_store(&move_go_on, 0);
    ck_assert_int_eq(magpool_sweeper_start(50), 0);
    pthread_t t[MOVE_THREADS];
    for (int i = 0; i < MOVE_THREADS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, serve_pools_in_turn,
                                        NULL), 0);
    while (atomic_load(&move_parked) < MOVE_THREADS)
        usleep(10000);
    /* Every pool but the last was left idle by both threads for 250 ms
     * (5 passes) of slow paths on later pools at least: their loaded
     * magazines went to the depots, and the sweeper returned them to the
     * slab, which gave the chunks (nothing in use) to the kernel.  The
     * last pool's magazines stay: its threads took no slow path since. */
    double t0 = now_s();
    uint64_t left = 0, chunks = 0;
    do {
        left = chunks = 0;
        for (int k = 0; k < MOVE_POOLS - 1; k++) {
            struct magpool_stats st = pool_stats(move_pool[k]);
            left += st.in_threads + st.in_depot;
            chunks += st.chunks;
        }
        if (left == 0 && chunks == 0)
            break;
        usleep(10000);
    } while (now_s() - t0 < 3.0);
    struct magpool_stats last = pool_stats(move_pool[MOVE_POOLS - 1]);
    printf("threads that moved on: %llu objects of the first %d pools in "
           "threads or depots, %llu chunks mapped, after %.2f s; last pool: "
           "%llu in threads\n",
           (unsigned long long)left, MOVE_POOLS - 1,
           (unsigned long long)chunks, now_s() - t0,
           (unsigned long long)last.in_threads);
    ck_assert_uint_eq(left, 0);
    ck_assert_uint_eq(chunks, 0);
    ck_assert_uint_gt(last.in_threads, 0);
    magpool_sweeper_stop();
    atomic_store(&move_go_on, 1);
    for (int i = 0; i < MOVE_THREADS; i++)
        ck_assert_int_eq(pthread_join(t[i], NULL), 0);
    for (int k = 0; k < MOVE_POOLS; k++) {
        struct magpool_stats st = pool_stats(move_pool[k]);
        ck_assert_uint_eq(st.active, 0);
        ck_assert_uint_eq(st.in_threads, 0); /* flushed at thread exit */
        magpool_destroy(move_pool[k]);
    }
}
END_TEST

/* Word 1 of every object is its holder while held, 0 while free (the
 * slab links free objects through word 0). */
#define OWNER(o) ((_Atomic unsigned long *)(o) + 1)

static struct magpool *race_pool;
static atomic_int race_stop;
static atomic_ulong race_double;

/* k gets of p (at most 40), each object marked with its holder me, then
 * k puts: a second holder or a failed get counts in race_double. */
static void owned_burst(struct magpool *p, unsigned long me, int k)
{
    void *held[40];
    for (int i = 0; i < k; i++) {
        held[i] = magpool_get(p);
        if (!held[i] || atomic_exchange(OWNER(held[i]), me) != 0)
            atomic_fetch_add(&race_double, 1);
    }
    for (int i = 0; i < k; i++) {
        if (!held[i])
            continue;
        if (atomic_exchange(OWNER(held[i]), 0) != me)
            atomic_fetch_add(&race_double, 1);
        magpool_put(held[i]);
    }
}

static void *burst_then_nap(void *arg)
{
    unsigned long me = (unsigned long)(uintptr_t)arg;
    unsigned seed = (unsigned)me * 2654435761u;
    while (!atomic_load_explicit(&race_stop, memory_order_relaxed)) {
        seed = seed * 1103515245u + 12345u;
        owned_burst(race_pool, me, 1 + (int)((seed >> 16) % 40));
        /* Naps of 0-3 sweep intervals: some passes find this thread
         * idle, some catch it coming back into a slow path. */
        if ((seed >> 8) % 4 == 0)
            usleep((seed >> 4) % 3000);
    }
    return NULL;
}

START_TEST(taking_idle_threads_magazines_never_hands_an_object_twice)
{
    /* Magazines of 4: nearly every burst swaps magazines, so slow paths
     * (which claim the previous magazine) race the sweeper's taking it. */
    struct magpool_options o = { .mag_capacity = 4 };
    race_pool = magpool_create("idle-race", 64, &o);
    ck_assert_ptr_nonnull(race_pool);
    atomic_store(&race_stop, 0);
    atomic_store(&race_double, 0);
    ck_assert_int_eq(magpool_sweeper_start(1), 0);
    enum { N = 6 };
    pthread_t t[N];
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, burst_then_nap,
                                        (void *)(uintptr_t)(i + 1)), 0);
    usleep(MP_TEST_SCALE > 1 ? 1500000 : 3000000);
    atomic_store(&race_stop, 1);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(pthread_join(t[i], NULL), 0);
    magpool_sweeper_stop();
    struct magpool_stats st = pool_stats(race_pool);
    printf("idle race: %llu sweeps, %llu objects swept, %llu double owners\n",
           (unsigned long long)st.sweeps, (unsigned long long)st.swept_objects,
           (unsigned long long)atomic_load(&race_double));
    ck_assert_uint_eq(atomic_load(&race_double), 0);
    ck_assert_uint_eq(st.active, 0);
    ck_assert_uint_eq(st.in_threads, 0);
    ck_assert_uint_eq(st.double_puts, 0);
    ck_assert_uint_gt(st.sweeps, 100);
    magpool_destroy(race_pool);
}
END_TEST

/* Threads that keep a hot pair on one pool (fast path only: its slot
 * looks idle to the sweeper) while they burst on another (slow paths,
 * where they drop idle slots), with a 1 ms sweeper and a statistics
 * reader: no object reaches two holders, none is lost. */
static struct magpool *hot_pool, *burst_pool;

static void *hot_pair_beside_bursts(void *arg)
{
    unsigned long me = (unsigned long)(uintptr_t)arg;
    unsigned seed = (unsigned)me * 2246822519u;
    while (!atomic_load_explicit(&race_stop, memory_order_relaxed)) {
        seed = seed * 1103515245u + 12345u;
        for (int r = 0; r < 1 + (int)(seed >> 20) % 64; r++) {
            void *o = magpool_get(hot_pool);
            if (!o || atomic_exchange(OWNER(o), me) != 0)
                atomic_fetch_add(&race_double, 1);
            if (o) {
                if (atomic_exchange(OWNER(o), 0) != me)
                    atomic_fetch_add(&race_double, 1);
                magpool_put(o);
            }
        }
        owned_burst(burst_pool, me, 1 + (int)((seed >> 16) % 40));
        if ((seed >> 8) % 8 == 0)
            usleep((seed >> 4) % 2000);
    }
    return NULL;
}

static void *read_stats_until_stop(void *arg)
{
    (void)arg;
    while (!atomic_load_explicit(&race_stop, memory_order_relaxed)) {
        struct magpool_stats st;
        (void)magpool_stats(hot_pool, &st);
        (void)magpool_stats(burst_pool, &st);
    }
    return NULL;
}

START_TEST(dropping_idle_slots_never_hands_an_object_twice)
{
    struct magpool_options o = { .mag_capacity = 4 };
    hot_pool = magpool_create("hot", 64, &o);
    burst_pool = magpool_create("burst", 64, &o);
    ck_assert_ptr_nonnull(hot_pool);
    ck_assert_ptr_nonnull(burst_pool);
    atomic_store(&race_stop, 0);
    atomic_store(&race_double, 0);
    ck_assert_int_eq(magpool_sweeper_start(1), 0);
    enum { N = 4 };
    pthread_t t[N + 1];
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, hot_pair_beside_bursts,
                                        (void *)(uintptr_t)(i + 1)), 0);
    ck_assert_int_eq(pthread_create(&t[N], NULL, read_stats_until_stop,
                                    NULL), 0);
    usleep(MP_TEST_SCALE > 1 ? 1500000 : 3000000);
    /* On a loaded machine fewer passes find the hot slots idle: go on
     * until enough drops were seen (up to 30 s), rather than fail. */
    for (int waited = 0; waited < 300; waited++) {
        struct magpool_stats now = pool_stats(hot_pool);
        if (now.depot_full_hits + now.slab_refills > 20)
            break;
        usleep(100000);
    }
    atomic_store(&race_stop, 1);
    for (int i = 0; i <= N; i++)
        ck_assert_int_eq(pthread_join(t[i], NULL), 0);
    magpool_sweeper_stop();
    struct magpool_stats h = pool_stats(hot_pool), b = pool_stats(burst_pool);
    /* Each time a thread dropped its hot slot, its next hot get took a
     * slow path and refilled from the depot or the slab. */
    printf("hot pair beside bursts: %llu + %llu gets, %llu sweeps, hot "
           "refills %llu, %llu double owners\n",
           (unsigned long long)h.alloc_count, (unsigned long long)b.alloc_count,
           (unsigned long long)h.sweeps,
           (unsigned long long)(h.depot_full_hits + h.slab_refills),
           (unsigned long long)atomic_load(&race_double));
    ck_assert_uint_eq(atomic_load(&race_double), 0);
    ck_assert_uint_eq(h.active + b.active, 0);
    ck_assert_uint_eq(h.in_threads + b.in_threads, 0);
    ck_assert_uint_eq(h.double_puts + b.double_puts, 0);
    ck_assert_uint_gt(h.sweeps, 100);
    ck_assert_uint_gt(h.depot_full_hits + h.slab_refills, 20);
    magpool_destroy(hot_pool);
    magpool_destroy(burst_pool);
}
END_TEST

/* ---- pages of chunks still in use ---- */

START_TEST(a_chunk_pinned_by_one_object_gives_back_its_free_pages)
{
    /* 176-byte objects (GlusterFS's inode_t): 5000 of them fill most of
     * one 1 MiB chunk; one stays in use, as a volume's root inode. */
    setenv("MAGPOOL_QUIET", "1", 1); /* read at the first pool creation */
    struct magpool *p = magpool_create("pinned", 168, NULL);
    enum { N = 5000 };
    static void *objs[N];
    for (int i = 0; i < N; i++) {
        objs[i] = magpool_get(p);
        ck_assert_ptr_nonnull(objs[i]);
        memset(objs[i], 0x5a, 168);
    }
    uint64_t r0, r1, r2;
    ck_assert_int_eq(magpool_resident_bytes(p, &r0), 0);
    ck_assert_uint_eq(pool_stats(p).chunks, 1);
    void *root = objs[N / 2]; /* the middle: pages on both sides */
    for (int i = 0; i < N; i++)
        if (objs[i] != root)
            magpool_put(objs[i]);
    magpool_thread_flush();
    size_t given = magpool_trim(p);
    ck_assert_int_eq(magpool_resident_bytes(p, &r1), 0);
    struct magpool_stats st = pool_stats(p);
    printf("pinned chunk: resident %llu -> %llu bytes (trim gave back %zu), "
           "%llu chunk(s), 1 object in use\n", (unsigned long long)r0,
           (unsigned long long)r1, given, (unsigned long long)st.chunks);
    ck_assert_uint_eq(st.chunks, 1);     /* the chunk stays: one object out */
    ck_assert_uint_eq(st.active, 1);
    ck_assert_uint_ge(r0, (uint64_t)N * 176);
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    ck_assert_uint_le(r1, 4 * pg);       /* header page + the root's pages */
    ck_assert_uint_ge(given, r0 - r1 - pg);
    ck_assert_uint_eq(((uint64_t *)root)[0], 0x5a5a5a5a5a5a5a5aull);

    /* Every object comes back, each once, and the pool's counts agree. */
    for (int i = 0; i < N; i++)
        if (i != N / 2) {
            objs[i] = magpool_get(p);
            ck_assert_ptr_nonnull(objs[i]);
            ck_assert_ptr_ne(objs[i], root);
            ((uint64_t *)objs[i])[1] = (uint64_t)i; /* owner word */
        }
    for (int i = 0; i < N; i++)
        if (i != N / 2)
            ck_assert_uint_eq(((uint64_t *)objs[i])[1], (uint64_t)i);
    st = pool_stats(p);
    ck_assert_uint_eq(st.active, N);
    ck_assert_uint_eq(st.chunks, 1);     /* the same chunk carved again */
    ck_assert_int_eq(magpool_resident_bytes(p, &r2), 0);
    ck_assert_uint_ge(r2, (uint64_t)(N - 1) * 176);
    /* A double put of a re-carved object is still caught. */
    for (int i = 0; i < N; i++)
        magpool_put(objs[i]);
    magpool_put(objs[0]);
    ck_assert_uint_eq(pool_stats(p).double_puts, 1);
    magpool_destroy(p);
}
END_TEST

START_TEST(a_chunk_that_gave_back_pages_in_many_steps_gives_back_the_rest)
{
    /* A chunk of 176-byte objects gives back its free pages while 20
     * objects spread over it are still in use: more gaps than the chunk
     * records runs of given-back pages at once.  Then all but one of
     * those 20 come back too (a volume's inodes unlinked, its root
     * inode kept): the pages they pinned, and the gaps not given back the
     * first time, must go back as well. */
    setenv("MAGPOOL_QUIET", "1", 1);
    struct magpool *p = magpool_create("many-steps", 168, NULL);
    enum { N = 5000, PINS = 20, GAP = N / PINS };
    static void *objs[N];
    for (int i = 0; i < N; i++) {
        ck_assert_ptr_nonnull(objs[i] = magpool_get(p));
        memset(objs[i], 0x5a, 168);
    }
    ck_assert_uint_eq(pool_stats(p).chunks, 1);
    for (int i = 0; i < N; i++)
        if (i % GAP)
            magpool_put(objs[i]);
    magpool_thread_flush();
    uint64_t r0, r1, r2;
    size_t given1 = magpool_trim(p);
    ck_assert_int_eq(magpool_resident_bytes(p, &r0), 0);
    for (int k = 1; k < PINS; k++)
        magpool_put(objs[k * GAP]);
    magpool_thread_flush();
    size_t given2 = magpool_trim(p);
    ck_assert_int_eq(magpool_resident_bytes(p, &r1), 0);
    printf("many steps: %d pins: resident %llu bytes (trim gave back %zu); "
           "1 pin: %llu (gave back %zu)\n", PINS, (unsigned long long)r0,
           given1, (unsigned long long)r1, given2);
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    ck_assert_uint_eq(pool_stats(p).active, 1);
    ck_assert_uint_le(r1, 4 * pg);      /* header page + the pin's pages */
    ck_assert_uint_ge(given2 + 4 * pg, r0 - r1);
    ck_assert_uint_eq(((uint64_t *)objs[0])[0], 0x5a5a5a5a5a5a5a5aull);

    /* Every object comes back once, from the same chunk. */
    for (int i = 1; i < N; i++) {
        ck_assert_ptr_nonnull(objs[i] = magpool_get(p));
        ck_assert_ptr_ne(objs[i], objs[0]);
        ((uint64_t *)objs[i])[1] = (uint64_t)i; /* owner word */
    }
    for (int i = 1; i < N; i++)
        ck_assert_uint_eq(((uint64_t *)objs[i])[1], (uint64_t)i);
    struct magpool_stats st = pool_stats(p);
    ck_assert_uint_eq(st.active, N);
    ck_assert_uint_eq(st.chunks, 1);
    ck_assert_int_eq(magpool_resident_bytes(p, &r2), 0);
    ck_assert_uint_ge(r2, (uint64_t)(N - 1) * 176);
    for (int i = 0; i < N; i++)
        magpool_put(objs[i]);
    magpool_put(objs[N / 2]);
    ck_assert_uint_eq(pool_stats(p).double_puts, 1);
    magpool_destroy(p);
}
END_TEST

static int by_address(const void *a, const void *b)
{
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return x < y ? -1 : x > y;
}

/* Fill one chunk of pool p (168-byte objects) with n objects, each
 * filled with 0x5a and marked held, sorted by address; returns the
 * chunk's address. */
static uintptr_t hold_one_chunk(struct magpool *p, void **objs, bool *held,
                                int n)
{
    for (int i = 0; i < n; i++) {
        ck_assert_ptr_nonnull(objs[i] = magpool_get(p));
        memset(objs[i], 0x5a, 168);
        held[i] = true;
    }
    ck_assert_uint_eq(pool_stats(p).chunks, 1);
    qsort(objs, (size_t)n, sizeof(objs[0]), by_address);
    return (uintptr_t)objs[0] & ~(uintptr_t)((1u << 20) - 1);
}

/* The objects of hold_one_chunk() still held are untouched and the only
 * ones the pool counts in use; put them back. */
static void put_back_held(struct magpool *p, void **objs, const bool *held,
                          int n)
{
    uint64_t nheld = 0;
    for (int i = 0; i < n; i++)
        if (held[i]) {
            nheld++;
            for (int b = 0; b < 168; b++)
                ck_assert_uint_eq(((unsigned char *)objs[i])[b], 0x5a);
        }
    ck_assert_uint_eq(pool_stats(p).active, nheld);
    for (int i = 0; i < n; i++)
        if (held[i])
            magpool_put(objs[i]);
}

/* Put back the held objects (168 B after their 8-byte header) of the
 * chunk at base that overlap its pages [lo, hi); returns how many. */
static int put_pages(void **objs, bool *held, int n, uintptr_t base,
                     size_t lo, size_t hi)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    int m = 0;
    for (int i = 0; i < n; i++) {
        uintptr_t h = (uintptr_t)objs[i] - 8;
        if (held[i] && h + 176 > base + lo * pg && h < base + hi * pg) {
            magpool_put(objs[i]);
            held[i] = false;
            m++;
        }
    }
    return m;
}

START_TEST(a_trim_of_a_chunk_with_more_free_runs_than_it_records_never_brings_pages_back)
{
    /* One chunk of 168-byte objects.  First, 18 runs of 7 free pages
     * (more than a chunk records) between objects kept in use, given back;
     * then 15 more single free pages lower down; then one object back
     * before each of 3 more trims.  No trim may leave more resident than
     * before it (a chunk that carved every run again when its table was
     * full, to find its runs afresh, brought back pages it then did not
     * give back again). */
    setenv("MAGPOOL_QUIET", "1", 1);
    struct magpool *p = magpool_create("more-runs", 168, NULL);
    enum { N = 5000 };
    static void *objs[N];
    static bool held[N];
    uintptr_t base = hold_one_chunk(p, objs, held, N);
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
#define FIRST_PAGE(o) (((uintptr_t)(o) - 8 - base) / pg)
#define LAST_PAGE(o) (((uintptr_t)(o) + 167 - base) / pg)
    for (int i = 0; i < N; i++) {
        size_t a = FIRST_PAGE(objs[i]), b = LAST_PAGE(objs[i]);
        if (a >= 64 && !(a == b && a % 8 == 0)) {
            magpool_put(objs[i]);
            held[i] = false;
        }
    }
    magpool_thread_flush();
    (void)magpool_trim(p);
    uint64_t r[5];
    ck_assert_int_eq(magpool_resident_bytes(p, &r[0]), 0);
    for (int i = 0; i < N; i++) {
        size_t a = FIRST_PAGE(objs[i]), b = LAST_PAGE(objs[i]);
        for (size_t q = a; q <= b && held[i]; q++)
            if (q >= 4 && q <= 60 && q % 4 == 0) {
                magpool_put(objs[i]);
                held[i] = false;
            }
    }
    magpool_thread_flush();
    (void)magpool_trim(p);
    ck_assert_int_eq(magpool_resident_bytes(p, &r[1]), 0);
    for (int t = 2; t < 5; t++) {
        for (int i = N - 1; i >= 0; i--)
            if (held[i] && FIRST_PAGE(objs[i]) > 64 && FIRST_PAGE(objs[i]) < 70) {
                magpool_put(objs[i]);
                held[i] = false;
                break;
            }
        magpool_thread_flush();
        (void)magpool_trim(p);
        ck_assert_int_eq(magpool_resident_bytes(p, &r[t]), 0);
    }
#undef FIRST_PAGE
#undef LAST_PAGE
    printf("more runs than recorded: resident %llu, %llu, %llu, %llu, %llu "
           "bytes after each trim\n", (unsigned long long)r[0],
           (unsigned long long)r[1], (unsigned long long)r[2],
           (unsigned long long)r[3], (unsigned long long)r[4]);
    for (int t = 1; t < 5; t++)
        ck_assert_uint_le(r[t], r[t - 1]);
    put_back_held(p, objs, held, N);
    ck_assert_uint_eq(pool_stats(p).active, 0);
    magpool_destroy(p);
}
END_TEST

/* Bytes of [base, base + len) resident (mincore(2)); base page-aligned. */
static size_t range_resident(uintptr_t base, size_t len)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    static unsigned char v[(1u << 20) / 4096];
    ck_assert_uint_le(len / page, sizeof(v));
    ck_assert_int_eq(mincore((void *)base, len, v), 0);
    size_t n = 0;
    for (size_t i = 0; i < len / page; i++)
        n += v[i] & 1;
    return n * page;
}

/* Whether the page holding addr is resident. */
static bool page_resident(const void *addr)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    return range_resident((uintptr_t)addr & ~(page - 1), page) != 0;
}

START_TEST(a_double_put_of_an_object_carved_again_from_given_back_pages_is_counted)
{
    setenv("MAGPOOL_QUIET", "1", 1);
    struct magpool_options o = { .mag_capacity = 16 };
    struct magpool *p = magpool_create("recarved", 168, &o);
    enum { N = 5000 };
    static void *objs[N];
    static bool released[N], held[N];
    for (int i = 0; i < N; i++)
        ck_assert_ptr_nonnull(objs[i] = magpool_get(p));
    const int pin = N / 2;
    for (int i = 0; i < N; i++)
        if (i != pin)
            magpool_put(objs[i]);
    magpool_thread_flush();
    ck_assert_uint_gt(magpool_trim(p), 0);
    int nreleased = 0;
    for (int i = 0; i < N; i++)
        nreleased += released[i] = i != pin && !page_resident((char *)objs[i] - 8);
    ck_assert_int_gt(nreleased, N / 2);
    /* Get until the slab carves given-back pages again: the refill that
     * does so leaves more such objects free in this thread's magazine. */
    static void *fresh[N]; /* never carved before (the chunk's rest) */
    int nfresh = 0, got_recarved = 0;
    for (int n = 0; n < 2 * N && !got_recarved; n++) {
        void *x = magpool_get(p);
        ck_assert_ptr_nonnull(x);
        int i = 0;
        while (i < N && objs[i] != x)
            i++;
        if (i == N) {
            ck_assert_int_lt(nfresh, N);
            fresh[nfresh++] = x;
            continue;
        }
        held[i] = true;
        got_recarved = released[i];
    }
    ck_assert(got_recarved);
    /* Every free object whose header is in memory again must be seen as
     * free: its double put is counted.  (One whose page is still given
     * back reads a zero header: not recognized, ignored.) */
    uint64_t expected = 0;
    int free_recarved = 0;
    for (int i = 0; i < N; i++) {
        if (held[i] || i == pin)
            continue;
        bool in_memory = page_resident((char *)objs[i] - 8);
        expected += in_memory;
        free_recarved += in_memory && released[i];
    }
    ck_assert_int_gt(free_recarved, 0);
    uint64_t active = pool_stats(p).active;
    for (int i = 0; i < N; i++)
        if (!held[i] && i != pin && page_resident((char *)objs[i] - 8))
            magpool_put(objs[i]); /* double puts */
    struct magpool_stats st = pool_stats(p);
    ck_assert_uint_eq(st.double_puts, expected);
    ck_assert_uint_eq(st.active, active);
    for (int i = 0; i < N; i++)
        if (held[i] || i == pin)
            magpool_put(objs[i]);
    for (int i = 0; i < nfresh; i++)
        magpool_put(fresh[i]);
    ck_assert_uint_eq(pool_stats(p).active, 0);
    magpool_destroy(p);
}
END_TEST

START_TEST(trim_returns_the_resident_bytes_it_gave_back)
{
    setenv("MAGPOOL_QUIET", "1", 1);
    /* A chunk of which 200 objects of 80 bytes were ever carved and
     * written: 4 or 5 pages in memory of its 1 MiB. */
    struct magpool_options o = { .mag_capacity = 16 };
    struct magpool *p = magpool_create("trim-small", 64, &o);
    void *objs[200];
    for (int i = 0; i < 200; i++) {
        ck_assert_ptr_nonnull(objs[i] = magpool_get(p));
        memset(objs[i], 0x5a, 64);
    }
    for (int i = 0; i < 200; i++)
        magpool_put(objs[i]);
    magpool_thread_flush();
    /* The chunk goes back whole.  The pools' figure counts live chunks
     * only and falls to 0; the process keeps the retired chunk's first
     * page (the retired list's link), which trim does not count. */
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    uintptr_t base = (uintptr_t)objs[0] & ~(uintptr_t)((1u << 20) - 1);
    uint64_t r0, r1;
    ck_assert_int_eq(magpool_resident_bytes(p, &r0), 0);
    size_t m0 = range_resident(base, 1u << 20);
    size_t given = magpool_trim(p);
    size_t m1 = range_resident(base, 1u << 20);
    ck_assert_int_eq(magpool_resident_bytes(p, &r1), 0);
    printf("whole chunk: trim returned %zu, the chunk's range %zu -> %zu "
           "bytes resident, the pool's figure %llu -> %llu\n", given, m0,
           m1, (unsigned long long)r0, (unsigned long long)r1);
    ck_assert_uint_eq(pool_stats(p).chunk_unmaps, 1);
    ck_assert_uint_eq(r1, 0);
    ck_assert_uint_eq(m1, pg);
    ck_assert_uint_eq(m0, r0);
    ck_assert_msg(given == m0 - m1, "trim said %zu, resident %zu -> %zu",
                  given, m0, m1);
    magpool_destroy(p);

    /* Pages of a chunk still in use. */
    p = magpool_create("trim-pinned", 168, &o);
    enum { N = 5000 };
    static void *many[N];
    for (int i = 0; i < N; i++)
        ck_assert_ptr_nonnull(many[i] = magpool_get(p));
    for (int i = 0; i < N; i++)
        if (i != N / 3)
            magpool_put(many[i]);
    magpool_thread_flush();
    ck_assert_int_eq(magpool_resident_bytes(p, &r0), 0);
    given = magpool_trim(p);
    ck_assert_int_eq(magpool_resident_bytes(p, &r1), 0);
    ck_assert_uint_gt(given, 0);
    ck_assert_msg(given == r0 - r1, "trim said %zu, resident %llu -> %llu",
                  given, (unsigned long long)r0, (unsigned long long)r1);
    magpool_put(many[N / 3]);
    magpool_destroy(p);
}
END_TEST

START_TEST(the_sweeper_gives_back_free_pages_of_a_pinned_chunk)
{
    struct magpool *p = magpool_create("pinned-sweep", 168, NULL);
    enum { N = 5000 };
    static void *objs[N];
    for (int i = 0; i < N; i++) {
        objs[i] = magpool_get(p);
        memset(objs[i], 1, 168);
    }
    for (int i = 1; i < N; i++)
        magpool_put(objs[i]);
    magpool_thread_flush();
    ck_assert_int_eq(magpool_sweeper_start(50), 0);
    uint64_t r = 0;
    double t0 = now_s();
    do {
        usleep(20000);
        ck_assert_int_eq(magpool_resident_bytes(p, &r), 0);
    } while (r > 4 * (size_t)sysconf(_SC_PAGESIZE) && now_s() - t0 < 2.0);
    magpool_sweeper_stop();
    printf("pinned chunk, sweeper: %llu bytes resident after %.2f s\n",
           (unsigned long long)r, now_s() - t0);
    ck_assert_uint_le(r, 4 * (size_t)sysconf(_SC_PAGESIZE));
    ck_assert_uint_eq(pool_stats(p).chunks, 1);
    magpool_put(objs[0]);
    magpool_destroy(p);
}
END_TEST

/* A chunk records 16 runs of pages given back.  Here 17 runs of 2 free
 * pages, given back (16 recorded, the last left resident), then 7 free
 * pages: a trim records the 7, drops the first 2-page run from its
 * record and carves that run's objects again, which brings its 2 pages
 * back.  What the trim returns is what left: 7 pages given, 2 taken back
 * (it said 7: one model run found a trim's figure 2 pages above the
 * drop it measured). */
START_TEST(a_trim_that_takes_back_pages_it_gave_before_returns_only_what_left)
{
    setenv("MAGPOOL_QUIET", "1", 1);
    struct magpool *p = magpool_create("net-trim", 168, NULL);
    enum { N = 5000 };
    static void *objs[N];
    static bool held[N];
    uintptr_t base = hold_one_chunk(p, objs, held, N);
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    for (int k = 0; k < 17; k++)
        (void)put_pages(objs, held, N, base, 8 + 6 * k, 8 + 6 * k + 2);
    magpool_thread_flush();
    (void)magpool_trim(p);
    uint64_t r0, r1, r2;
    ck_assert_int_eq(magpool_resident_bytes(p, &r0), 0);
    (void)put_pages(objs, held, N, base, 150, 157);
    magpool_thread_flush();
    /* Nothing given back yet: the 7 pages are resident. */
    ck_assert_int_eq(magpool_resident_bytes(p, &r1), 0);
    ck_assert_uint_eq(r1, r0);
    size_t got = magpool_trim(p);
    ck_assert_int_eq(magpool_resident_bytes(p, &r2), 0);
    printf("net trim: resident %llu -> %llu bytes, trim returned %zu\n",
           (unsigned long long)r1, (unsigned long long)r2, got);
    ck_assert_uint_eq(r1 - r2, 5 * pg); /* 7 pages given, 2 taken back */
    ck_assert_uint_eq(got, r1 - r2);
    /* The held ones untouched; then every object comes back once. */
    put_back_held(p, objs, held, N);
    for (int i = 0; i < N; i++)
        ck_assert_ptr_nonnull(objs[i] = magpool_get(p));
    qsort(objs, N, sizeof(objs[0]), by_address);
    for (int i = 1; i < N; i++)
        ck_assert_ptr_ne(objs[i], objs[i - 1]);
    for (int i = 0; i < N; i++)
        magpool_put(objs[i]);
    ck_assert_uint_eq(pool_stats(p).active, 0);
    magpool_destroy(p);
}
END_TEST

/* Whether page q of the chunk at base is resident. */
static bool chunk_page_resident(uintptr_t base, size_t q)
{
    return page_resident((const void *)(base + q * (size_t)sysconf(_SC_PAGESIZE)));
}

/* A free object whose header is in the page before a run given back
 * reaches into the run's first page; handed out and written, it brings
 * that page back, and put back, it leaves the run as it was recorded.
 * The page holds only free objects again: the next trim gives it back
 * (it stayed resident for good: the release skipped a run with no page
 * new to it). */
START_TEST(a_page_brought_back_by_an_object_reaching_into_it_goes_back_at_the_next_trim)
{
    struct magpool *p = magpool_create("straddle", 168, NULL);
    enum { N = 1000, M = 40 };
    static void *objs[N];
    static bool held[N];
    uintptr_t base = hold_one_chunk(p, objs, held, N);
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    for (int i = 10; i < N - 10; i++)
        if (i < 495 || i > 505) {
            magpool_put(objs[i]);
            held[i] = false;
        }
    magpool_thread_flush();
    ck_assert_uint_gt(magpool_trim(p), 0);
    size_t q0 = 0;
    for (size_t q = 1; q < 256 && !q0; q++)
        if (!chunk_page_resident(base, q))
            q0 = q;
    ck_assert_uint_gt(q0, 0);
    void *b[M];
    bool reached = false;
    for (int i = 0; i < M; i++) {
        ck_assert_ptr_nonnull(b[i] = magpool_get(p));
        memset(b[i], 0x77, 168);
        size_t h = ((uintptr_t)b[i] - 8 - base) / pg;
        size_t e = ((uintptr_t)b[i] + 167 - base) / pg;
        reached |= h == q0 - 1 && e >= q0;
    }
    ck_assert(reached);
    ck_assert(chunk_page_resident(base, q0));
    for (int i = 0; i < M; i++)
        magpool_put(b[i]);
    magpool_thread_flush();
    for (int i = 0; i < N; i++)
        if (held[i]) /* no object in use reaches into page q0 */
            ck_assert(((uintptr_t)objs[i] + 167 - base) / pg < q0 ||
                      ((uintptr_t)objs[i] - 8 - base) / pg > q0);
    ck_assert_uint_ge(magpool_trim(p), pg);
    ck_assert(!chunk_page_resident(base, q0));
    put_back_held(p, objs, held, N);
    magpool_destroy(p);
}
END_TEST

/* A chunk whose free objects all lie in one long run given back: gets
 * carve again only the pages their refills need (they carved the whole
 * run, bringing back 200 pages for a few magazines of objects, and the pages
 * stayed resident while those objects were in use: no object came back
 * to the chunk, so neither trim nor the sweeper looked at it). */
START_TEST(a_get_from_a_long_given_back_run_brings_back_only_the_pages_it_needs)
{
    struct magpool *p = magpool_create("long-run", 168, NULL);
    enum { MAXN = 6000, M = 100 };
    static void *objs[MAXN];
    static bool held[MAXN];
    /* Every object of the first chunk carved: get until a second chunk
     * is mapped, and put that one object back (the trim below unmaps the
     * second chunk). */
    int n = 0;
    for (;;) {
        ck_assert_int_lt(n, MAXN);
        ck_assert_ptr_nonnull(objs[n] = magpool_get(p));
        if (pool_stats(p).chunks == 2)
            break;
        memset(objs[n], 0x5a, 168);
        held[n++] = true;
    }
    magpool_put(objs[n]);
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    for (int i = 10; i < n - 10; i++) {
        magpool_put(objs[i]);
        held[i] = false;
    }
    magpool_thread_flush();
    (void)magpool_trim(p);
    ck_assert_uint_eq(pool_stats(p).chunks, 1);
    uint64_t r0, r1, r2;
    ck_assert_int_eq(magpool_resident_bytes(p, &r0), 0);
    void *b[M];
    for (int i = 0; i < M; i++) {
        ck_assert_ptr_nonnull(b[i] = magpool_get(p));
        memset(b[i], 0x77, 168);
    }
    ck_assert_int_eq(magpool_resident_bytes(p, &r1), 0);
    unsigned cap = pool_stats(p).mag_capacity;
    /* M objects and the rest of the last refill (a magazine of cap
     * objects of 176 bytes), and a page each may reach into. */
    uint64_t most = (((uint64_t)(M + cap) * 176 + pg - 1) / pg + 2) * pg;
    printf("long run: %d objects, resident %llu -> %llu bytes after %d gets "
           "(magazines of %u)\n", n, (unsigned long long)r0,
           (unsigned long long)r1, M, cap);
    ck_assert_uint_le(r1 - r0, most);
    /* The objects carved and not handed out are free in resident pages:
     * a trim with the M still in use gives back every page they do not
     * touch. */
    magpool_thread_flush();
    (void)magpool_trim(p);
    ck_assert_int_eq(magpool_resident_bytes(p, &r2), 0);
    ck_assert_uint_le(r2 - r0, (((uint64_t)M * 176 + pg - 1) / pg + 2) * pg);
    for (int i = 0; i < M; i++)
        for (int k = 0; k < 168; k++)
            ck_assert_uint_eq(((unsigned char *)b[i])[k], 0x77);
    for (int i = 0; i < M; i++)
        magpool_put(b[i]);
    put_back_held(p, objs, held, n);
    magpool_destroy(p);
}
END_TEST

struct giver { void **objs; bool *held; int n; uintptr_t base; };

static void *give_pages(void *arg)
{
    struct giver *g = arg;
    ck_assert_int_gt(put_pages(g->objs, g->held, g->n, g->base, 100, 140), 0);
    return NULL; /* its magazines go to the depot as it exits */
}

/* One trim of every pool: pool a's chunk takes pages back (the objects
 * that reach into the first page of each of its given-back runs are in
 * the thread's magazine, so each run loses that page and the objects
 * whose header is in it are written again), pool b's chunk gives 40
 * pages.  The trim returns the drop of the whole: it counted each
 * chunk's net at 0 or more and summed them, 5 pages over. */
START_TEST(a_trim_of_every_pool_counts_pages_taken_back_against_pages_given)
{
    struct magpool_options o = { .mag_capacity = 8 };
    struct magpool *a = magpool_create("takes-back", 168, &o);
    struct magpool *b = magpool_create("gives", 168, &o);
    enum { NA = 6000, NB = 7000 };
    static void *va[NA], *vb[NB];
    static bool ha[NA], hb[NB];
    for (int i = 0; i < NA; i++) {
        ck_assert_ptr_nonnull(va[i] = magpool_get(a));
        ha[i] = true;
    }
    for (int i = 0; i < NB; i++) {
        ck_assert_ptr_nonnull(vb[i] = magpool_get(b));
        hb[i] = true;
    }
    /* Pool a: one chunk carved to its end, the rest of its objects back. */
    uintptr_t ca = (uintptr_t)va[0] & ~(uintptr_t)((1u << 20) - 1);
    for (int i = 0; i < NA; i++)
        if (((uintptr_t)va[i] & ~(uintptr_t)((1u << 20) - 1)) != ca) {
            magpool_put(va[i]);
            ha[i] = false;
        }
    uintptr_t cb = (uintptr_t)vb[NB / 2] & ~(uintptr_t)((1u << 20) - 1);
    for (int k = 1; k <= 5; k++)
        ck_assert_int_gt(put_pages(va, ha, NA, ca, 20 * k, 20 * k + 10), 0);
    magpool_thread_flush();
    (void)magpool_trim(NULL);
    void *x = magpool_get(a); /* a refill of the objects on a's list */
    ck_assert_ptr_nonnull(x);
    struct giver g = { vb, hb, NB, cb };
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, give_pages, &g), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    uint64_t a0, b0, a1, b1;
    ck_assert_int_eq(magpool_resident_bytes(a, &a0), 0);
    ck_assert_int_eq(magpool_resident_bytes(b, &b0), 0);
    size_t got = magpool_trim(NULL);
    ck_assert_int_eq(magpool_resident_bytes(a, &a1), 0);
    ck_assert_int_eq(magpool_resident_bytes(b, &b1), 0);
    printf("trim of every pool: pool a %+lld bytes, pool b %+lld, trim "
           "returned %zu\n", (long long)a1 - (long long)a0,
           (long long)b1 - (long long)b0, got);
    ck_assert_uint_gt(b0, b1);
    ck_assert_uint_eq(got, (a0 + b0) - (a1 + b1));
    magpool_put(x);
    for (int i = 0; i < NA; i++)
        if (ha[i])
            magpool_put(va[i]);
    for (int i = 0; i < NB; i++)
        if (hb[i])
            magpool_put(vb[i]);
    ck_assert_uint_eq(pool_stats(a).active, 0);
    ck_assert_uint_eq(pool_stats(b).active, 0);
    magpool_destroy(a);
    magpool_destroy(b);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sweeper");
    TCase *tc = tcase_create("rss");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, rss_falls_below_a_tenth_of_peak_within_two_sweeps_after_a_burst);
    tcase_add_test(tc, peak_rss_of_a_million_512_byte_objects_is_within_560_MB);
    tcase_add_test(tc, steady_working_set_is_kept_by_the_sweeper);
    tcase_add_test(tc, trim_returns_every_free_chunk_now);
    tcase_add_test(tc, nosweep_pool_keeps_its_memory);
    tcase_add_test(tc, stop_returns_and_one_sweeper_remains_when_a_start_races_it);
    tcase_add_test(tc, sweeper_thread_blocks_every_signal);
    tcase_add_test(tc, an_idle_threads_previous_magazine_goes_back_to_the_slab);
    tcase_add_test(tc, taking_idle_threads_magazines_never_hands_an_object_twice);
    tcase_add_test(tc, a_thread_that_moved_on_to_other_pools_gives_back_its_loaded_magazines);
    tcase_add_test(tc, dropping_idle_slots_never_hands_an_object_twice);
    tcase_add_test(tc, a_chunk_pinned_by_one_object_gives_back_its_free_pages);
    tcase_add_test(tc, a_chunk_that_gave_back_pages_in_many_steps_gives_back_the_rest);
    tcase_add_test(tc, a_trim_of_a_chunk_with_more_free_runs_than_it_records_never_brings_pages_back);
    tcase_add_test(tc, a_trim_that_takes_back_pages_it_gave_before_returns_only_what_left);
    tcase_add_test(tc, a_page_brought_back_by_an_object_reaching_into_it_goes_back_at_the_next_trim);
    tcase_add_test(tc, a_get_from_a_long_given_back_run_brings_back_only_the_pages_it_needs);
    tcase_add_test(tc, a_trim_of_every_pool_counts_pages_taken_back_against_pages_given);
    tcase_add_test(tc, a_double_put_of_an_object_carved_again_from_given_back_pages_is_counted);
    tcase_add_test(tc, trim_returns_the_resident_bytes_it_gave_back);
    tcase_add_test(tc, the_sweeper_gives_back_free_pages_of_a_pinned_chunk);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(suite()); }
