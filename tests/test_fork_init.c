/*
 * test_fork_init.c - a fork while another thread is inside magpool's
 * one-time global set-up.  glibc's pthread_once runs the set-up again in
 * such a child; the child must not end up with magpool's fork handlers
 * registered twice (its next fork would wait forever for a lock the
 * first handler took).  A program of its own: to widen the window it
 * defines __cxa_atexit (what atexit() in libmagpool calls, for
 * MAGPOOL_STATS), which sleeps on the thread doing the set-up.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include "testutil.h"

static __thread int in_first_init;

int __cxa_atexit(void (*f)(void *), void *a, void *d)
    __attribute__((visibility("default")));
int __cxa_atexit(void (*f)(void *), void *a, void *d)
{
    static int (*real)(void (*)(void *), void *, void *);
    if (!real)
        real = (int (*)(void (*)(void *), void *, void *))dlsym(RTLD_NEXT,
                                                                "__cxa_atexit");
    if (in_first_init)
        usleep(200000); /* the fork below lands here */
    return real(f, a, d);
}

static void *first_call(void *arg)
{
    (void)arg;
    in_first_init = 1;
    ck_assert_int_eq(magpool_init(), 0);
    in_first_init = 0;
    return NULL;
}

START_TEST(a_child_forked_during_the_first_set_up_can_fork_again)
{
#ifdef MP_TEST_SANITIZER
    /* The sanitizers intercept __cxa_atexit themselves, and ASan's
     * allocator is not fork-safe from a threaded parent: the plain
     * build runs this. */
    return;
#endif
    /* Each run of this test is a fresh process (Check forks it), so the
     * set-up has not run yet. */
    setenv("MAGPOOL_STATS", "/dev/null", 1);
    setenv("MAGPOOL_SWEEP_MS", "0", 1);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, first_call, NULL), 0);
    usleep(50000); /* the set-up is now in its atexit() */
    pid_t c = fork();
    ck_assert_int_ge(c, 0);
    if (c == 0) {
        alarm(5);
        struct magpool *p = magpool_create("after-fork", 32, NULL);
        if (!p)
            _exit(2);
        void *o = magpool_get(p);
        magpool_put(o);
        pid_t g = fork();
        if (g == 0) {
            void *x = magpool_get(p);
            magpool_put(x);
            _exit(0);
        }
        int st = 0;
        if (g < 0 || waitpid(g, &st, 0) != g || !WIFEXITED(st) ||
            WEXITSTATUS(st))
            _exit(3);
        _exit(0);
    }
    int st = 0;
    ck_assert_int_eq(waitpid(c, &st, 0), c);
    pthread_join(t, NULL);
    ck_assert_msg(!WIFSIGNALED(st), "the child was killed by signal %d%s",
                  WTERMSIG(st),
                  WTERMSIG(st) == SIGALRM ? " (its second fork hung)" : "");
    ck_assert_int_eq(WEXITSTATUS(st), 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("fork-init");
    TCase *tc = tcase_create("first set-up");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, a_child_forked_during_the_first_set_up_can_fork_again);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(suite()); }
