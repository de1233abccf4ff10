/*
 * test_fork.c - fork() while other threads allocate: the child can
 * allocate and free at once, and the sweeper runs again in the child.
 */
#include <pthread.h>
#include <sys/wait.h>

#include "testutil.h"

static struct magpool *pool;
static atomic_int stop;

static void *busy(void *arg)
{
    (void)arg;
    void *o[64];
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        for (int i = 0; i < 64; i++)
            o[i] = magpool_get(pool);
        for (int i = 0; i < 64; i++)
            magpool_put(o[i]);
    }
    return NULL;
}

static int child_work(void)
{
    /* Objects the parent's busy threads held at fork() stay counted as
     * in use here (the child has no thread to put them back). */
    struct magpool_stats st;
    if (magpool_stats(pool, &st))
        return 5;
    uint64_t held_at_fork = st.active;
    struct magpool *mine = magpool_create("child", 100, NULL);
    if (!mine)
        return 2;
    void *o[5000];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 5000; i++)
            if (!(o[i] = magpool_get(round & 1 ? mine : pool)))
                return 3;
        for (int i = 0; i < 5000; i++)
            magpool_put(o[i]);
    }
    if (magpool_stats(pool, &st) || st.active != held_at_fork)
        return 4;
    magpool_destroy(mine);
    return 0;
}

START_TEST(fork_with_busy_threads_child_allocates_at_once)
{
    pool = magpool_create("shared", 64, NULL);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, busy, NULL);
    usleep(20000);
    for (int k = 0; k < 20; k++) {
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0)
            _exit(child_work());
        int status;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                      "child %d failed: status %d", k, status);
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    ck_assert_uint_eq(pool_stats(pool).active, 0);
    magpool_destroy(pool);
}
END_TEST

START_TEST(sweeper_runs_again_in_the_child)
{
    ck_assert_int_eq(magpool_sweeper_start(50), 0);
    pool = magpool_create("swept", 256, NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        void *o[20000];
        for (int i = 0; i < 20000; i++)
            o[i] = magpool_get(pool);
        for (int i = 0; i < 20000; i++)
            magpool_put(o[i]);
        magpool_thread_flush();
        /* Only a sweeper thread in this child can unmap the chunks. */
        for (int i = 0; i < 500; i++) { /* up to 10 s on a loaded machine */
            struct magpool_stats st;
            magpool_stats(pool, &st);
            if (st.sweeps >= 2 && st.chunks == 0)
                _exit(0);
            usleep(20000);
        }
        _exit(1);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_int_eq(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
    magpool_sweeper_stop();
    magpool_destroy(pool);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("fork");
    TCase *tc = tcase_create("fork");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, fork_with_busy_threads_child_allocates_at_once);
    tcase_add_test(tc, sweeper_runs_again_in_the_child);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
#if defined(__SANITIZE_THREAD__)
    /* ThreadSanitizer does not support fork() in a multi-threaded process
     * followed by work in the child; the plain and ASan builds cover it. */
    puts("fork tests skipped under ThreadSanitizer");
    return 77;
#endif
    return run_suite(suite());
}
