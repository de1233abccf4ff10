/*
 * test_faults.c - every allocation magpool makes may fail: the call that
 * needed it fails with ENOMEM (or, for a put, hands the object back some
 * other way), nothing is corrupted or leaked, and everything works again
 * once memory comes back.  malloc, calloc and mmap are this program's own
 * (fault.h), so liburcu's and glibc's callers fail too.
 */
#include <pthread.h>
#include <sys/wait.h>

#include "fault.h"
#include "tcache_probe.h"
#include "testutil.h"

/* Blocks libmagpool allocated and has not freed (fault.h). */
static long lib_blocks(void) { return fault_lib_blocks(); }

/* ---- a scripted sequence, with the Nth allocation failing ---- */

#define HOLD 300

struct script;
static void script_body(struct script *sc);

struct script {
    struct magpool *pool;   /* created by the script, or NULL */
    void *held[HOLD];
    int nheld;
    int enomem;             /* failures seen, each with errno ENOMEM */
    int bad_errno;
};

static void expect_enomem(struct script *sc)
{
    if (errno == ENOMEM)
        sc->enomem++;
    else
        sc->bad_errno++;
}

/* Runs in a thread of its own, so that the thread cache and its RCU
 * registration are inside the faulty window, which the thread opens
 * itself (pthread_create allocates too, and Check's reports would). */
static long script_nth;

static void *script_thread(void *arg)
{
    struct script *sc = arg;
    if (script_nth)
        fault_arm(FAULT_ALL, script_nth, 0, 0);
    script_body(sc);
    fault_disarm();
    return NULL;
}

static void script_body(struct script *sc)
{
    errno = 0;
    sc->pool = magpool_create("faulty", 200, NULL);
    if (!sc->pool) {
        expect_enomem(sc);
        return;
    }
    for (int i = 0; i < HOLD; i++) {
        errno = 0;
        void *o = i % 3 ? magpool_get(sc->pool) : magpool_get0(sc->pool);
        if (o)
            sc->held[sc->nheld++] = o;
        else
            expect_enomem(sc);
    }
    /* Put half back, flush this thread's magazines, take them again. */
    for (int i = sc->nheld / 2; i < sc->nheld; i++)
        magpool_put(sc->held[i]);
    sc->nheld /= 2;
    magpool_thread_flush();
    for (int i = 0; i < 40; i++) {
        errno = 0;
        void *o = magpool_get(sc->pool);
        if (o)
            sc->held[sc->nheld++] = o;
        else
            expect_enomem(sc);
    }
    struct magpool_stats st;
    if (magpool_stats(sc->pool, &st) == 0 && st.active != (uint64_t)sc->nheld)
        sc->bad_errno += 1000; /* a miscount is as bad */
    magpool_thread_flush();
}

/* After the faulty window: the pool works, the objects are distinct and
 * intact, and everything can be given back. */
static void check_and_release(struct script *sc)
{
    if (!sc->pool)
        return;
    for (int i = 0; i < sc->nheld; i++)
        memset(sc->held[i], i & 0xff, 200);
    for (int i = 0; i < sc->nheld; i++)
        for (int j = 0; j < 200; j++)
            ck_assert_int_eq(((unsigned char *)sc->held[i])[j], i & 0xff);
    void *more[64];
    for (int i = 0; i < 64; i++)
        ck_assert_ptr_nonnull(more[i] = magpool_get(sc->pool));
    ck_assert_uint_eq(pool_stats(sc->pool).active, (uint64_t)sc->nheld + 64);
    for (int i = 0; i < 64; i++)
        magpool_put(more[i]);
    for (int i = 0; i < sc->nheld; i++)
        magpool_put(sc->held[i]);
    ck_assert_uint_eq(pool_stats(sc->pool).active, 0);
    magpool_destroy(sc->pool);
}

static void warm_up(void)
{
    /* One-time allocations (global set-up, pthread keys, this thread's
     * cache) happen before the heap baseline is taken. */
    struct script sc = { 0 };
    pthread_t t;
    script_nth = 0;
    pthread_create(&t, NULL, script_thread, &sc);
    pthread_join(t, NULL);
    check_and_release(&sc);
    magpool_thread_flush();
    /* A name's record for destroyed pools' statistics is made once, at
     * its first pool, and kept (magpool(7), STATISTICS). */
    magpool_destroy(magpool_create("probe", 8, NULL));
}

START_TEST(each_allocation_failing_in_turn_gives_ENOMEM_and_leaks_nothing)
{
    warm_up();
    long base = lib_blocks();
    /* The count sees libmagpool's blocks: a pool is one. */
    struct magpool *probe = magpool_create("probe", 8, NULL);
    ck_assert_int_gt(lib_blocks(), base);
    magpool_destroy(probe);
    ck_assert_int_eq(lib_blocks(), base);
    int failures_seen = 0;
    for (long n = 1;; n++) {
        struct script sc = { 0 };
        pthread_t t;
        script_nth = n;
        /* No Check call until the thread is joined: Check allocates, and
         * the thread may have armed the faults already. */
        int rc = pthread_create(&t, NULL, script_thread, &sc);
        if (rc == 0)
            pthread_join(t, NULL);
        ck_assert_int_eq(rc, 0);
        unsigned long injected = atomic_load(&fault_failed);
        ck_assert_msg(sc.bad_errno == 0,
                      "allocation %ld failing: wrong errno or count", n);
        failures_seen += sc.enomem;
        check_and_release(&sc);
        magpool_thread_flush();
        ck_assert_msg(lib_blocks() == base,
                      "allocation %ld failing: %ld blocks leaked", n,
                      lib_blocks() - base);
        if (!injected)
            break; /* the script made fewer than n allocations: done */
        ck_assert_int_lt(n, 100000);
    }
    ck_assert_int_gt(failures_seen, 0);
}
END_TEST

static int first_get_mmap_fails;

static void *first_get(void *arg)
{
    /* With MAGPOOL_DISABLE=1 a get is a malloc, which then fails. */
    if (first_get_mmap_fails)
        fault_arm(getenv("MAGPOOL_DISABLE") ? FAULT_ALL : FAULT_MMAP, 0,
                  1000, 1);
    errno = 0;
    void *o = magpool_get(arg);
    int e = errno;
    fault_disarm();
    return o ? o : (void *)(intptr_t)-e;
}

START_TEST(first_get_of_a_new_thread_with_mmap_failing_gives_ENOMEM)
{
    /* The thread's first slow path registers it as an RCU reader; with
     * liburcu-bp that registration mmaps and calls abort() on failure. */
    struct magpool *p = magpool_create("mmap-fails", 64, NULL);
    pthread_t t;
    void *r;
    first_get_mmap_fails = 1;
    /* No Check call until the thread is joined (it arms the faults, and
     * with MAGPOOL_DISABLE=1 those hit Check's malloc too). */
    int rc = pthread_create(&t, NULL, first_get, p);
    if (rc == 0)
        pthread_join(t, &r);
    first_get_mmap_fails = 0;
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_eq(r, (void *)(intptr_t)-ENOMEM);
    ck_assert_int_gt(atomic_load(&fault_failed), 0);
    /* Memory is back: a new thread and this one allocate. */
    ck_assert_int_eq(pthread_create(&t, NULL, first_get, p), 0);
    pthread_join(t, &r);
    ck_assert_uint_gt((uintptr_t)r, 4096);
    magpool_put(r);
    void *o = magpool_get(p);
    ck_assert_ptr_nonnull(o);
    magpool_put(o);
    magpool_destroy(p);
}
END_TEST

/* ---- random failures under concurrent load ---- */

static struct magpool *rpools[4];
static atomic_ulong rbad;

struct mark { uint64_t self, serial; };

static atomic_int rstarted;
static unsigned rpermille;

static void *random_load(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    if (atomic_fetch_add(&rstarted, 1) == 3)
        fault_arm(FAULT_ALL, 0, rpermille, 12345); /* the last thread to start */
    void *held[128];
    int n = 0;
    for (int i = 0; i < 20000 / MP_TEST_SCALE; i++) {
        seed = seed * 1103515245u + 12345u;
        unsigned r = seed >> 8;
        if (n < 128 && (r & 1)) {
            errno = 0;
            void *o = magpool_get(rpools[r % 4]);
            if (!o) {
                if (errno != ENOMEM)
                    atomic_fetch_add(&rbad, 1);
                continue;
            }
            struct mark *m = o;
            m->self = (uintptr_t)o;
            m->serial = r;
            held[n++] = o;
        } else if (n) {
            void *o = held[--n];
            struct mark *m = o;
            if (m->self != (uintptr_t)o)
                atomic_fetch_add(&rbad, 1);
            m->self = 0;
            magpool_put(o);
        }
        if (r % 997 == 0)
            magpool_thread_flush();
    }
    while (n)
        magpool_put(held[--n]);
    return NULL;
}

/* Four threads and the sweeper under random load, the last thread to
 * start arming faults at rpermille; returns how many were injected. */
static unsigned long random_round(void)
{
    atomic_store(&rstarted, 0);
    for (int i = 0; i < 4; i++)
        rpools[i] = magpool_create("random-faults", 32 + 96 * (size_t)i, NULL);
    ck_assert_int_eq(magpool_sweeper_start(5), 0);
    pthread_t t[4];
    int rc[4];
    /* No Check call while the faults may be armed (the last thread to
     * start arms them; Check allocates). */
    for (uintptr_t i = 0; i < 4; i++)
        rc[i] = pthread_create(&t[i], NULL, random_load, (void *)(i + 1));
    for (int i = 0; i < 4; i++)
        if (rc[i] == 0)
            pthread_join(t[i], NULL);
    unsigned long failed = atomic_load(&fault_failed);
    fault_disarm();
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(rc[i], 0);
    ck_assert_uint_eq(atomic_load(&rbad), 0);
    magpool_sweeper_stop();
    for (int i = 0; i < 4; i++) {
        ck_assert_uint_eq(pool_stats(rpools[i]).active, 0);
        magpool_destroy(rpools[i]);
    }
    magpool_thread_flush();
    return failed;
}

START_TEST(random_allocation_failures_under_load_corrupt_nothing)
{
    /* A first round without faults lets glibc cache what it keeps for
     * threads (stacks and their TLS vectors) before the baseline. */
    rpermille = 0;
    fault_arm(0, 0, 0, 0);
    random_round();
    long base = lib_blocks();
    rpermille = 50;
    ck_assert_uint_gt(random_round(), 0);
    ck_assert_int_eq(lib_blocks(), base);
}
END_TEST

/* ---- a thread cache the kernel refuses to unmap ---- */

#define BURST 40        /* threads exiting at once */
static struct magpool *upool;
static pthread_barrier_t ubarrier;

static void *use_and_wait(void *arg)
{
    magpool_put(magpool_get(upool));
    *(char **)arg = my_cache();
    pthread_barrier_wait(&ubarrier);
    pthread_barrier_wait(&ubarrier);
    return NULL;
}

static void *use_many(void *arg)
{
    (void)arg;
    void *o[100];
    int ok = 1;
    for (int i = 0; i < 100; i++)
        ok &= (o[i] = magpool_get(upool)) != NULL;
    for (int i = 0; i < 100; i++)
        magpool_put(o[i]);
    return (void *)(intptr_t)ok;
}

START_TEST(a_cache_the_kernel_refuses_to_unmap_is_emptied_kept_and_unmapped_later)
{
    if (getenv("MAGPOOL_DISABLE"))
        return; /* no thread caches: every get is a malloc */
    upool = magpool_create("unmap-refused", 64, NULL);
    char *cache[BURST];
    pthread_t t[BURST];
    pthread_barrier_init(&ubarrier, NULL, BURST + 1);
    for (int i = 0; i < BURST; i++)
        pthread_create(&t[i], NULL, use_and_wait, &cache[i]);
    pthread_barrier_wait(&ubarrier);
    /* Every munmap fails while they exit (no Check call meanwhile: the
     * faults are armed); the first SPARE_MAX caches are kept anyway. */
    fault_arm(FAULT_MUNMAP, 0, 1000, 1);
    pthread_barrier_wait(&ubarrier);
    for (int i = 0; i < BURST; i++)
        pthread_join(t[i], NULL);
    fault_disarm();
    pthread_barrier_destroy(&ubarrier);
    ck_assert_uint_ge(atomic_load(&fault_failed), BURST - SPARE_MAX);
    /* All still mapped; those refused hold no memory but the page of
     * their link in the list of spares (with 4 KiB pages: the others
     * hold the 3 their threads wrote). */
    int emptied = 0;
    for (int i = 0; i < BURST; i++) {
        int r = cache_resident(cache[i]);
        ck_assert_int_ge(r, 0);
        emptied += r <= 1;
    }
    if (sysconf(_SC_PAGESIZE) == 4096)
        ck_assert_int_eq(emptied, BURST - SPARE_MAX);
    /* A new thread takes one (the last refused) and works from it. */
    pthread_t u;
    void *ok;
    pthread_create(&u, NULL, use_many, NULL);
    pthread_join(u, &ok);
    ck_assert_int_eq((intptr_t)ok, 1);
    ck_assert_uint_eq(pool_stats(upool).active, 0);
    /* Once the kernel agrees, the sweeper unmaps them all. */
    ck_assert_int_eq(magpool_sweeper_start(1), 0);
    int mapped = BURST;
    for (int waited = 0; mapped && waited < 5000; waited++) {
        usleep(1000);
        mapped = 0;
        for (int i = 0; i < BURST; i++)
            mapped += cache_resident(cache[i]) >= 0;
    }
    magpool_sweeper_stop();
    ck_assert_int_eq(mapped, 0);
    magpool_destroy(upool);
}
END_TEST

/* ---- a fork child that cannot unmap a lost thread's cache ---- */

static void *hold_a_magazine(void *arg)
{
    void *o[5];
    for (int i = 0; i < 5; i++)
        o[i] = magpool_get(upool);
    for (int i = 0; i < 5; i++)
        magpool_put(o[i]);
    pthread_barrier_wait(&ubarrier);    /* alive across the fork */
    pthread_barrier_wait(&ubarrier);
    (void)arg;
    return NULL;
}

/* In the child: objects got from the pool by a new thread are distinct
 * and writable (a stale slot of the lost thread would hand out freed
 * magazines). */
static void *child_thread(void *arg)
{
    (void)arg;
    void *o[300];
    for (int i = 0; i < 300; i++) {
        if (!(o[i] = magpool_get(upool)))
            return (void *)1;
        memset(o[i], i & 0xff, 64);
    }
    for (int i = 0; i < 300; i++)
        for (int j = 0; j < 64; j++)
            if (((unsigned char *)o[i])[j] != (i & 0xff))
                return (void *)2;
    for (int i = 0; i < 300; i++)
        magpool_put(o[i]);
    return NULL;
}

START_TEST(a_fork_child_that_cannot_unmap_a_lost_threads_cache_reuses_it_empty)
{
    if (getenv("MAGPOOL_DISABLE"))
        return; /* no thread caches: every get is a malloc */
    /* qemu-user aborts in a child forked from a threaded parent. */
    MP_SKIP_IF_EMULATED("the emulator aborts in a child forked from a threaded parent");
    upool = magpool_create("fork-refused", 64, NULL);
    pthread_t t;
    pthread_barrier_init(&ubarrier, NULL, 2);
    pthread_create(&t, NULL, hold_a_magazine, NULL);
    pthread_barrier_wait(&ubarrier);
    /* The child's handler can neither unmap the thread's cache nor give
     * its memory back: the cache becomes a spare as it is. */
    fault_arm(FAULT_MUNMAP | FAULT_MADVISE, 0, 1000, 1);
    pid_t pid = fork();
    fault_disarm();
    if (pid == 0) {
        pthread_t c;
        void *r = (void *)3;
        if (pthread_create(&c, NULL, child_thread, NULL) == 0)
            pthread_join(c, &r);
        _exit((int)(intptr_t)r);
    }
    ck_assert_int_gt(pid, 0);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "child: status %d", status);
    pthread_barrier_wait(&ubarrier);
    pthread_join(t, NULL);
    pthread_barrier_destroy(&ubarrier);
    ck_assert_uint_eq(pool_stats(upool).active, 0);
    magpool_destroy(upool);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("faults");
    TCase *tc = tcase_create("faults");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, first_get_of_a_new_thread_with_mmap_failing_gives_ENOMEM);
    tcase_add_test(tc, each_allocation_failing_in_turn_gives_ENOMEM_and_leaks_nothing);
    tcase_add_test(tc, random_allocation_failures_under_load_corrupt_nothing);
    tcase_add_test(tc, a_cache_the_kernel_refuses_to_unmap_is_emptied_kept_and_unmapped_later);
    tcase_add_test(tc, a_fork_child_that_cannot_unmap_a_lost_threads_cache_reuses_it_empty);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    puts("fault injection skipped under sanitizers (they own malloc)");
    return 77;
#endif
    (void)argc;
    (void)argv;
    fault_track_lib((void *)magpool_create);
    setenv("MAGPOOL_QUIET", "1", 1);
    return run_suite(suite());
}
