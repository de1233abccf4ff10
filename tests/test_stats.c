/*
 * test_stats.c - the operator statistics of magpool(7): alloc-count is
 * exact (fast path, slow paths, cross-thread puts, exited threads, fork
 * children, the inline API), a reused pool index starts from zero,
 * max-active never falls below what a read saw, a read that meets a
 * magazine swap counts no more than a magazine holds, a magazine between
 * a thread and the depot is never counted as in use, and destroyed pools
 * keep their totals in the MAGPOOL_STATS dump.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "magpool/inline.h"
#include "tcache_probe.h"
#include "testutil.h"

/* The value of key in section [name] of a stats dump (the n-th such
 * section, from 0), or -1. */
static long long dump_value(const char *path, const char *name, int nth,
                            const char *key)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char line[512], want[256];
    snprintf(want, sizeof(want), "[%s]", name);
    int seen = -1;
    bool in = false;
    long long v = -1;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = 0;
        if (line[0] == '[') {
            in = strcmp(line, want) == 0 && ++seen == nth;
            continue;
        }
        size_t k = strlen(key);
        if (in && strncmp(line, key, k) == 0 && line[k] == '=') {
            v = atoll(line + k + 1);
            break;
        }
    }
    fclose(f);
    return v;
}

/* MP_KEEP_STATS_DUMP=PATH: the destroyed-pools test writes its dump
 * there and keeps it (tests/test_magpool_stat.sh reads it). */
static const char *dump_path(void)
{
    static char path[64];
    const char *keep = getenv("MP_KEEP_STATS_DUMP");
    if (keep)
        return keep;
    snprintf(path, sizeof(path), "/tmp/magpool-test-stats.%d", (int)getpid());
    return path;
}

START_TEST(alloc_count_counts_every_get_once)
{
    struct magpool_options o = { .mag_capacity = 4 }; /* many slow paths */
    struct magpool *p = magpool_create("counted", 48, &o);
    void *objs[1000];
    unsigned long got = 0;
    for (int round = 0; round < 5; round++) {
        for (int i = 0; i < 1000; i++, got++)
            objs[i] = magpool_get(p);
        for (int i = 0; i < 1000; i++)
            magpool_put(objs[i]);
        for (int i = 0; i < 3000; i++, got++)
            magpool_put(magpool_get0(p));
    }
    struct magpool_stats st = pool_stats(p);
    ck_assert_uint_eq(st.alloc_count, got);
    ck_assert_uint_eq(st.active, 0);
    magpool_destroy(p);
}
END_TEST

START_TEST(alloc_count_counts_the_inline_api)
{
    struct magpool *p = magpool_inline_create("inline-counted", 32, NULL);
    for (int i = 0; i < 10000; i++)
        magpool_inline_put(magpool_inline_get(p));
    for (int i = 0; i < 10; i++)
        magpool_put(magpool_inline_get0(p));
    ck_assert_uint_eq(pool_stats(p).alloc_count, 10010);
    magpool_destroy(p);
}
END_TEST

struct xfer {
    struct magpool *p;
    void **objs;
    int n;
};

static void *getter(void *arg)
{
    struct xfer *x = arg;
    for (int i = 0; i < x->n; i++)
        x->objs[i] = magpool_get(x->p);
    return NULL; /* the thread exits: its counts must not be lost */
}

static void *putter(void *arg)
{
    struct xfer *x = arg;
    for (int i = 0; i < x->n; i++)
        magpool_put(x->objs[i]);
    return NULL;
}

START_TEST(alloc_count_keeps_the_gets_of_exited_threads_and_remote_puts)
{
    struct magpool *p = magpool_create("cross", 64, NULL);
    enum { THREADS = 4, N = 20000 };
    struct xfer x[THREADS];
    pthread_t t[THREADS];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < THREADS; i++) {
            x[i].p = p;
            x[i].n = N;
            x[i].objs = malloc(N * sizeof(void *));
            ck_assert_int_eq(pthread_create(&t[i], NULL, getter, &x[i]), 0);
        }
        for (int i = 0; i < THREADS; i++)
            pthread_join(t[i], NULL);
        /* Each batch is put by a thread that did not get it. */
        for (int i = 0; i < THREADS; i++)
            ck_assert_int_eq(pthread_create(&t[i], NULL, putter,
                                            &x[(i + 1) % THREADS]), 0);
        for (int i = 0; i < THREADS; i++)
            pthread_join(t[i], NULL);
        for (int i = 0; i < THREADS; i++)
            free(x[i].objs);
    }
    struct magpool_stats st = pool_stats(p);
    ck_assert_uint_eq(st.alloc_count, 3ull * THREADS * N);
    ck_assert_uint_eq(st.active, 0);
    magpool_destroy(p);
}
END_TEST

START_TEST(a_reused_pool_index_starts_counting_from_zero)
{
    struct magpool *a = magpool_create("first", 64, NULL);
    for (int i = 0; i < 777; i++)
        magpool_put(magpool_get(a));
    ck_assert_uint_eq(pool_stats(a).alloc_count, 777);
    magpool_destroy(a);
    struct magpool *b = magpool_create("second", 64, NULL);
    /* The lifecycle test proves indices are reused; here: no count of
     * the first pool leaks into the second. */
    ck_assert_uint_eq(pool_stats(b).alloc_count, 0);
    magpool_put(magpool_get(b));
    ck_assert_uint_eq(pool_stats(b).alloc_count, 1);
    magpool_destroy(b);
}
END_TEST

START_TEST(max_active_stays_at_the_highest_active_a_read_saw)
{
    struct magpool *p = magpool_create("peak", 128, NULL);
    void *objs[500];
    for (int i = 0; i < 500; i++)
        objs[i] = magpool_get(p);
    ck_assert_uint_eq(pool_stats(p).max_active, 500);
    for (int i = 0; i < 400; i++)
        magpool_put(objs[i]);
    struct magpool_stats st = pool_stats(p);
    ck_assert_uint_eq(st.active, 100);
    ck_assert_uint_eq(st.max_active, 500);
    for (int i = 400; i < 500; i++)
        magpool_put(objs[i]);
    magpool_destroy(p);
}
END_TEST

START_TEST(in_threads_never_counts_more_than_a_magazine_holds_from_a_stale_top)
{
    /* A read takes a thread's loaded magazine, then its top: when the
     * thread swaps magazines between the two loads, the top points into
     * the next magazine, which may lie anywhere after this one in memory.
     * Here this thread's top is moved 100 entries past its magazine of 4
     * (as if the next magazine lay there) while it reads its own count. */
    struct magpool_options o = { .mag_capacity = 4 };
    struct magpool *p = magpool_create("stale-top", 64, &o);
    ck_assert_ptr_nonnull(p);
    magpool_put(magpool_get(p)); /* a loaded magazine, one object in it */
    struct mp_tcache *tc = (struct mp_tcache *)my_cache();
    void **top = __atomic_load_n(&tc->tops[p->idx], __ATOMIC_RELAXED);
    ck_assert_uint_le(pool_stats(p).in_threads, 4);
    __atomic_store_n(&tc->tops[p->idx], top + 100, __ATOMIC_RELAXED);
    uint64_t stale = pool_stats(p).in_threads;
    __atomic_store_n(&tc->tops[p->idx], top, __ATOMIC_RELAXED);
    ck_assert_msg(stale <= 4, "a stale top counted %llu objects in a "
                  "magazine of 4", (unsigned long long)stale);
    ck_assert_uint_eq(pool_stats(p).active, 0);
    magpool_destroy(p);
}
END_TEST

/* One thread holds one object and, in a loop, flushes its magazines to
 * the depot and gets and puts one object: each first get after a flush
 * takes a magazine of free objects back from the depot, and each flush
 * sends two there. */
struct flusher {
    struct magpool *p;
    atomic_bool stop;
    atomic_ulong cycles;
};

static void *flush_in_a_loop(void *arg)
{
    struct flusher *f = arg;
    void *held = magpool_get(f->p);
    while (!atomic_load(&f->stop)) {
        magpool_thread_flush();
        magpool_put(magpool_get(f->p));
        atomic_fetch_add(&f->cycles, 1);
    }
    magpool_put(held);
    return NULL;
}

START_TEST(max_active_never_counts_a_magazine_on_its_way_to_or_from_the_depot)
{
    /* At most 2 objects are ever in use (the held one and the one got
     * and put); a get on an empty magazine fills it whole from the slab,
     * so each flush sends a magazine of 4 free objects to the depot.  A
     * read that took the thread's count, then the depot's, while such a
     * magazine moved from the depot to the thread, counted them as in
     * use: max_active 4 where 2 is the peak. */
    struct magpool_options o = { .mag_capacity = 4 };
    struct flusher f = { .p = magpool_create("in-transit", 64, &o) };
    ck_assert_ptr_nonnull(f.p);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, flush_in_a_loop, &f), 0);
    unsigned long reads = 0;
    for (double end = now_s() + 1.5; now_s() < end; reads++) {
        struct magpool_stats st = pool_stats(f.p);
        ck_assert_msg(st.max_active <= 2,
                      "max_active %llu after %lu reads and %lu cycles, where "
                      "at most 2 objects were in use",
                      (unsigned long long)st.max_active, reads,
                      (unsigned long)atomic_load(&f.cycles));
    }
    atomic_store(&f.stop, true);
    pthread_join(t, NULL);
    ck_assert_uint_gt(atomic_load(&f.cycles), 100);
    ck_assert_uint_eq(pool_stats(f.p).active, 0);
    magpool_destroy(f.p);
}
END_TEST

START_TEST(the_sweeper_samples_max_active_without_a_read)
{
    setenv("MAGPOOL_SWEEP_MS", "20", 1);
    ck_assert_int_eq(magpool_init(), 0);
    struct magpool *p = magpool_create("sampled", 64, NULL);
    void *objs[300];
    for (int i = 0; i < 300; i++)
        objs[i] = magpool_get(p);
    /* No statistics read while 300 are out: only the sweeper looks. */
    double until = now_s() + 10;
    struct magpool_stats st;
    for (;;) {
        usleep(100 * 1000);
        if (pool_stats(p).sweeps >= 3 || now_s() > until)
            break;
    }
    for (int i = 0; i < 300; i++)
        magpool_put(objs[i]);
    st = pool_stats(p);
    ck_assert_uint_ge(st.sweeps, 3);
    ck_assert_uint_eq(st.active, 0);
    ck_assert_uint_eq(st.max_active, 300);
    magpool_destroy(p);
    magpool_fini();
}
END_TEST

static atomic_int fork_phase;

static void *getter_then_wait(void *arg)
{
    getter(arg);
    atomic_store(&fork_phase, 1);
    while (atomic_load(&fork_phase) != 2)
        usleep(1000);
    return NULL;
}

START_TEST(a_fork_child_keeps_the_counts_of_threads_it_lost)
{
#if defined(__SANITIZE_THREAD__) || defined(MP_TEST_NO_BUSY_FORK)
    /* fork() with a live thread: see test_fork.c. */
    puts("skipped under this sanitizer");
    return;
#endif
    struct magpool *p = magpool_create("forked", 64, NULL);
    struct xfer x = { p, malloc(5000 * sizeof(void *)), 5000 };
    pthread_t t;
    atomic_store(&fork_phase, 0);
    /* A thread that got 5000 and is alive at the fork: the child drops
     * its cache, and must keep its count. */
    ck_assert_int_eq(pthread_create(&t, NULL, getter_then_wait, &x), 0);
    while (atomic_load(&fork_phase) != 1)
        usleep(1000);
    for (int i = 0; i < 5000; i++)
        magpool_put(x.objs[i]);
    for (int i = 0; i < 100; i++)
        magpool_put(magpool_get(p));
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct magpool *q = magpool_create("child", 64, NULL);
        magpool_put(magpool_get(q)); /* the child's allocator works */
        _exit(pool_stats(p).alloc_count == 5100 ? 0 : 1);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the child's alloc-count is not 5100");
    atomic_store(&fork_phase, 2);
    pthread_join(t, NULL);
    ck_assert_uint_eq(pool_stats(p).alloc_count, 5100);
    free(x.objs);
    magpool_destroy(p);
}
END_TEST

START_TEST(resident_bytes_follow_the_objects_touched_and_trim)
{
    uint64_t r = 1;
    errno = 0;
    ck_assert_int_eq(magpool_resident_bytes(NULL, &r), -1);
    ck_assert_int_eq(errno, EINVAL);
    struct magpool *p = magpool_create("resident", 512, NULL);
    ck_assert_int_eq(magpool_resident_bytes(p, NULL), -1);
    ck_assert_int_eq(magpool_resident_bytes(p, &r), 0);
    ck_assert_uint_eq(r, 0); /* no chunk yet */
    enum { N = 4000 }; /* 4000 x 528 B: about 2 MB, three 1 MiB chunks */
    static void *objs[N];
    for (int i = 0; i < N; i++) {
        objs[i] = magpool_get(p);
        ck_assert_ptr_nonnull(objs[i]);
        memset(objs[i], 1, 512);
    }
    struct magpool_stats st = pool_stats(p);
    ck_assert_int_eq(magpool_resident_bytes(p, &r), 0);
    printf("resident: %llu bytes for %d objects of %zu B in %llu bytes mapped\n",
           (unsigned long long)r, N, st.block_size,
           (unsigned long long)st.bytes_mapped);
    /* Every object touched is resident; what was never carved is not. */
    ck_assert_uint_ge(r, (uint64_t)N * st.block_size);
    ck_assert_uint_le(r, (uint64_t)N * st.block_size + 3 * 64 * 4096);
    ck_assert_uint_lt(r, st.bytes_mapped);
    for (int i = 0; i < N; i++)
        magpool_put(objs[i]);
    magpool_thread_flush();
    magpool_trim(p);
    ck_assert_int_eq(magpool_resident_bytes(p, &r), 0);
    ck_assert_uint_eq(r, 0); /* every chunk went back */
    /* The dump carries it for live pools. */
    char path[64];
    snprintf(path, sizeof(path), "/tmp/magpool-test-res.%d", (int)getpid());
    objs[0] = magpool_get(p);
    memset(objs[0], 1, 512);
    ck_assert_int_eq(magpool_stats_dump(path), 0);
    ck_assert_int_ge(dump_value(path, "resident", 0, "bytes-resident"), 4096);
    unlink(path);
    magpool_put(objs[0]);
    magpool_destroy(p);
}
END_TEST

START_TEST(destroyed_pools_keep_their_totals_in_the_dump)
{
    setenv("MAGPOOL_QUIET", "1", 1); /* read at the first pool creation */
    for (int inst = 0; inst < 3; inst++) {
        struct magpool *p = magpool_create("call_frame_t", 176, NULL);
        void *objs[100];
        for (int i = 0; i < 100 - inst; i++)
            objs[i] = magpool_get(p);
        /* A read while they are out (as a statedump would): max-active. */
        ck_assert_uint_eq(pool_stats(p).max_active, 100 - inst);
        for (int i = 0; i < 100 - inst; i++)
            magpool_put(objs[i]);
        for (int i = 0; i < 900 + inst; i++)
            magpool_put(magpool_get(p));
        magpool_destroy(p);
    }
    /* Same name, other size: its own record.  One object leaked. */
    struct magpool *q = magpool_create("call_frame_t", 64, NULL);
    void *leak = magpool_get(q);
    magpool_destroy(q);
    struct magpool *live = magpool_create("call_frame_t", 176, NULL);
    magpool_put(magpool_get(live));

    const char *path = dump_path();
    ck_assert_int_eq(magpool_stats_dump(path), 0);
    /* The live pool first, then the destroyed ones. */
    ck_assert_int_eq(dump_value(path, "call_frame_t", 0, "alloc-count"), 1);
    ck_assert_int_eq(dump_value(path, "call_frame_t", 0, "state"), -1);
    ck_assert_int_eq(dump_value(path, "call_frame_t", 1, "instances"), 3);
    ck_assert_int_eq(dump_value(path, "call_frame_t", 1, "obj-size"), 176);
    ck_assert_int_eq(dump_value(path, "call_frame_t", 1, "alloc-count"), 3000);
    ck_assert_int_eq(dump_value(path, "call_frame_t", 1, "max-active"), 100);
    ck_assert_int_eq(dump_value(path, "call_frame_t", 1, "active"), 0);
    ck_assert_int_eq(dump_value(path, "call_frame_t", 2, "instances"), 1);
    ck_assert_int_eq(dump_value(path, "call_frame_t", 2, "obj-size"), 64);
    ck_assert_int_eq(dump_value(path, "call_frame_t", 2, "active"), 1);
    ck_assert_int_eq(dump_value(path, "call_frame_t", 3, "obj-size"), -1);
    if (!getenv("MP_KEEP_STATS_DUMP"))
        unlink(path);
    magpool_put(leak);
    magpool_destroy(live);
}
END_TEST

START_TEST(the_dump_file_is_not_writable_by_others_and_follows_no_symlink)
{
    struct magpool *p = magpool_create("mode", 64, NULL);
    magpool_put(magpool_get(p));
    char path[64], target[64];
    snprintf(path, sizeof(path), "/tmp/magpool-mode-%d", (int)getpid());
    snprintf(target, sizeof(target), "/tmp/magpool-target-%d", (int)getpid());
    unlink(path);
    mode_t old = umask(0); /* as a GlusterFS brick */
    ck_assert_int_eq(magpool_stats_dump(path), 0);
    umask(old);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_msg((st.st_mode & 0777) == 0644, "mode %o", st.st_mode & 0777);
    unlink(path);
    /* A link planted at the path: the dump fails, the target is intact. */
    FILE *f = fopen(target, "w");
    ck_assert_ptr_nonnull(f);
    fputs("precious\n", f);
    fclose(f);
    ck_assert_int_eq(symlink(target, path), 0);
    errno = 0;
    ck_assert_int_eq(magpool_stats_dump(path), -1);
    ck_assert_int_eq(errno, ELOOP);
    char buf[32] = "";
    f = fopen(target, "r");
    ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
    fclose(f);
    ck_assert_str_eq(buf, "precious\n");
    unlink(path);
    unlink(target);
    magpool_destroy(p);
}
END_TEST

START_TEST(more_destroyed_names_than_records_are_summed_not_lost)
{
    /* 1024 records; 1100 distinct names (this test runs in its own
     * process: no other names before). */
    for (int i = 0; i < 1100; i++) {
        char name[32];
        snprintf(name, sizeof(name), "gone-%d", i);
        struct magpool *p = magpool_create(name, 32, NULL);
        magpool_put(magpool_get(p));
        magpool_destroy(p);
    }
    char path[64];
    snprintf(path, sizeof(path), "/tmp/magpool-test-stats.%d", (int)getpid());
    ck_assert_int_eq(magpool_stats_dump(path), 0);
    ck_assert_int_eq(dump_value(path, "gone-0", 0, "alloc-count"), 1);
    ck_assert_int_eq(dump_value(path, "gone-1023", 0, "alloc-count"), 1);
    /* The others share one record: 1100 - 1024 pools. */
    ck_assert_int_eq(dump_value(path, "(other destroyed pools)", 0, "instances"), 76);
    ck_assert_int_eq(dump_value(path, "(other destroyed pools)", 0, "alloc-count"), 76);
    ck_assert_int_eq(dump_value(path, "gone-1099", 0, "alloc-count"), -1);
    unlink(path);
}
END_TEST

/* A thread stopped for good inside a magpool_foreach callback holds the
 * pool registry; the program exits.  The exit-time dump must not wait for
 * it forever: it says it was skipped, and the process ends. */
static void stop_here(struct magpool *p, void *arg)
{
    (void)p;
    atomic_store((atomic_int *)arg, 1);
    pause();
}

static void *hold_the_registry(void *arg)
{
    magpool_foreach(stop_here, arg);
    return NULL;
}

START_TEST(exit_with_the_registry_held_by_another_thread_does_not_hang)
{
#if defined(__SANITIZE_THREAD__)
    /* A thread started in a fork child: see test_fork.c. */
    puts("skipped under this sanitizer");
    return;
#endif
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(fds[1], 2);
        setenv("MAGPOOL_STATS", "-", 1);
        setenv("MAGPOOL_DEBUG", "1", 1);
        struct magpool *p = magpool_create("held", 64, NULL);
        magpool_put(magpool_get(p));
        static atomic_int inside;
        pthread_t t;
        pthread_create(&t, NULL, hold_the_registry, &inside);
        while (!atomic_load(&inside))
            usleep(1000);
        exit(0);
    }
    close(fds[1]);
    double t0 = now_s();
    int st;
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        ck_assert_int_ge(r, 0);
        if (r == pid)
            break;
        if (now_s() - t0 > 20) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            ck_abort_msg("the exit hung");
        }
        usleep(10000);
    }
    char buf[4096];
    ssize_t n = read(fds[0], buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = 0;
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status 0x%x", st);
    ck_assert_msg(strstr(buf, "skipped") && strstr(buf, "not checked"),
                  "stderr: %s", buf);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("stats");
    TCase *tc = tcase_create("stats");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, alloc_count_counts_every_get_once);
    tcase_add_test(tc, alloc_count_counts_the_inline_api);
    tcase_add_test(tc, alloc_count_keeps_the_gets_of_exited_threads_and_remote_puts);
    tcase_add_test(tc, a_reused_pool_index_starts_counting_from_zero);
    tcase_add_test(tc, max_active_stays_at_the_highest_active_a_read_saw);
    tcase_add_test(tc, the_sweeper_samples_max_active_without_a_read);
    tcase_add_test(tc, in_threads_never_counts_more_than_a_magazine_holds_from_a_stale_top);
    tcase_add_test(tc, max_active_never_counts_a_magazine_on_its_way_to_or_from_the_depot);
    tcase_add_test(tc, a_fork_child_keeps_the_counts_of_threads_it_lost);
    tcase_add_test(tc, more_destroyed_names_than_records_are_summed_not_lost);
    tcase_add_test(tc, the_dump_file_is_not_writable_by_others_and_follows_no_symlink);
    tcase_add_test(tc, resident_bytes_follow_the_objects_touched_and_trim);
    tcase_add_test(tc, exit_with_the_registry_held_by_another_thread_does_not_hang);
    suite_add_tcase(s, tc);
    /* Its own case, so that CK_RUN_CASE=dump runs it alone. */
    TCase *dump = tcase_create("dump");
    tcase_add_test(dump, destroyed_pools_keep_their_totals_in_the_dump);
    suite_add_tcase(s, dump);
    return s;
}

int main(void) { return run_suite(suite()); }
