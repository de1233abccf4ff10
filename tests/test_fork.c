/*
 * test_fork.c - fork() while other threads allocate: the child can
 * allocate and free at once, and the sweeper runs again in the child.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tcache_probe.h"
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

/* qemu-user 7.2 aborts in a child forked while other threads run (its
 * assertions cpu == current_cpu and qemu_plugin_vcpu_init_hook). */
#define QEMU_FORK "the emulator aborts in a child forked from a threaded parent"

START_TEST(fork_with_busy_threads_child_allocates_at_once)
{
    MP_SKIP_IF_EMULATED(QEMU_FORK);
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

static _Atomic(char *) busy_cache[2];

static void *busy_and_tell(void *arg)
{
    magpool_put(magpool_get(pool));
    atomic_store(&busy_cache[(intptr_t)arg], my_cache());
    return busy(NULL);
}

static int mapped(char *c) { return cache_resident(c) >= 0; }

START_TEST(a_fork_child_unmaps_the_caches_of_the_threads_it_lost)
{
    MP_SKIP_IF_EMULATED(QEMU_FORK);
    atomic_store(&stop, 0);
    pool = magpool_create("lost", 64, NULL);
    magpool_put(magpool_get(pool));
    char *mine = my_cache();
    pthread_t t[2];
    for (intptr_t i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, busy_and_tell, (void *)i);
    while (!atomic_load(&busy_cache[0]) || !atomic_load(&busy_cache[1]))
        usleep(1000);
    for (int k = 0; k < 10; k++) {
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            /* The threads' caches are gone with them; this thread's is
             * kept and still serves it. */
            if (mapped(atomic_load(&busy_cache[0])) ||
                mapped(atomic_load(&busy_cache[1])))
                _exit(13);
            if (!mapped(mine) || my_cache() != mine)
                _exit(14);
            _exit(child_work());
        }
        int status;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                      "child %d failed: status %d", k, status);
        /* The parent's threads still have theirs. */
        ck_assert(mapped(atomic_load(&busy_cache[0])));
        ck_assert(mapped(atomic_load(&busy_cache[1])));
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
    MP_SKIP_IF_EMULATED(QEMU_FORK);
#ifdef MP_TEST_NO_BUSY_FORK
    /* The parent's sweeper thread allocates (depot nodes, malloc_trim):
     * a fork that lands inside ASan's allocator leaves the child waiting
     * for its lock (see testutil.h; seen once in CI, a Check timeout). */
    return;
#endif
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

/* ---- fork from a parent whose threads are inside slow paths ---- */

/* Word 1 of every object (the slab links free objects through word 0)
 * is its owner while held and 0 while free: a get that finds it nonzero
 * was handed an object someone else holds. */
#define OWNER(o) ((_Atomic unsigned long *)(o) + 1)

static struct magpool *tiny;
static atomic_int tiny_stop;
static atomic_ulong double_owner;

static void hold_and_release(unsigned long me, unsigned seed, int rounds)
{
    void *held[24];
    for (int r = 0; r < rounds; r++) {
        seed = seed * 1103515245u + 12345u;
        int k = 1 + (int)((seed >> 16) % 24);
        for (int i = 0; i < k; i++) {
            held[i] = magpool_get(tiny);
            if (!held[i] || atomic_exchange(OWNER(held[i]), me) != 0)
                atomic_fetch_add(&double_owner, 1);
        }
        for (int i = 0; i < k; i++) {
            if (!held[i])
                continue;
            if (atomic_exchange(OWNER(held[i]), 0) != me)
                atomic_fetch_add(&double_owner, 1);
            magpool_put(held[i]);
        }
    }
}

static void *tiny_busy(void *arg)
{
    unsigned long me = (unsigned long)(uintptr_t)arg;
    while (!atomic_load_explicit(&tiny_stop, memory_order_relaxed))
        hold_and_release(me, (unsigned)me * 7919u, 50);
    return NULL;
}

static void *child_worker(void *arg)
{
    unsigned long me = (unsigned long)(uintptr_t)arg;
    hold_and_release(me, (unsigned)me * 104729u, 200);
    return NULL;
}

START_TEST(fork_while_threads_swap_magazines_never_hands_an_object_twice)
{
    MP_SKIP_IF_EMULATED(QEMU_FORK);
#ifdef MP_TEST_NO_BUSY_FORK
    return; /* see testutil.h */
#endif
    /* Magazines of 4 objects: nearly every get and put of the busy
     * threads crosses a magazine boundary, so fork() catches them between
     * the stores that swap magazines. */
    struct magpool_options o = { .mag_capacity = 4 };
    tiny = magpool_create("tiny-mags", 64, &o);
    pthread_t t[2];
    for (uintptr_t i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, tiny_busy, (void *)(i + 1));
    int forks = 3000 / MP_TEST_SCALE;
    for (int k = 0; k < forks; k++) {
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            alarm(10); /* a child spinning in a slow path fails */
            pthread_t c[2];
            for (uintptr_t i = 0; i < 2; i++)
                pthread_create(&c[i], NULL, child_worker, (void *)(i + 100));
            for (int i = 0; i < 2; i++)
                pthread_join(c[i], NULL);
            _exit(atomic_load(&double_owner) ? 3 : 0);
        }
        int status;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                      "child %d of %d: %s %d", k, forks,
                      WIFSIGNALED(status) ? "signal" : "exit status",
                      WIFSIGNALED(status) ? WTERMSIG(status)
                                          : WEXITSTATUS(status));
    }
    atomic_store(&tiny_stop, 1);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    ck_assert_uint_eq(atomic_load(&double_owner), 0);
    ck_assert_uint_eq(pool_stats(tiny).active, 0);
    magpool_destroy(tiny);
}
END_TEST

/* ---- fork while a thread is between the stores of a swap ---- */

static _Atomic(char *) half_cache;
static atomic_int half_go;

static void *half_swapper(void *arg)
{
    (void)arg;
    void *o[20];
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 20; i++)
            o[i] = magpool_get(tiny);
        for (int i = 0; i < 20; i++)
            magpool_put(o[i]);
        if (round == 0) {
            atomic_store(&half_cache, my_cache());
            while (!atomic_load(&half_go))
                usleep(1000);
        }
    }
    return NULL;
}

static void *get_one(void *out)
{
    *(void **)out = magpool_get(tiny);
    return NULL;
}

START_TEST(a_fork_child_drops_a_lost_threads_half_swapped_magazines)
{
    MP_SKIP_IF_EMULATED(QEMU_FORK);
    /* A swap stores the old loaded magazine as the previous one, then
     * loads the other: between the two stores the slot names the same
     * magazine twice.  fork() can stop a thread there (the busy test
     * above hits it by chance); here the other thread waits while this
     * one writes that state into its slot, so the child meets it every
     * time.  Handing such a slot's magazines to the depot would put one
     * magazine there twice, and the child's two threads would each take
     * it: its objects would have two owners. */
    struct magpool_options o = { .mag_capacity = 8 };
    tiny = magpool_create("half-swap", 64, &o);
    atomic_store(&double_owner, 0);
    atomic_store(&half_cache, NULL);
    atomic_store(&half_go, 0);
    pthread_t t;
    pthread_create(&t, NULL, half_swapper, NULL);
    while (!atomic_load(&half_cache))
        usleep(1000);
    struct mp_tcache *tc = (struct mp_tcache *)atomic_load(&half_cache);
    struct mp_tslot *s =
        atomic_load(&tc->slot_rev[MAGPOOL_MAX_POOLS - 1 - tiny->idx]);
    ck_assert_ptr_nonnull(s);
    struct mp_mag *loaded = atomic_load(&s->loaded);
    unsigned n = (unsigned)(__atomic_load_n(&tc->tops[tiny->idx],
                                            __ATOMIC_RELAXED) -
                            &loaded->rounds[1]);
    ck_assert_uint_gt(n, 0); /* the magazine holds objects */
    struct mp_mag *saved = atomic_exchange(&s->prev, loaded);

    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        alarm(10); /* a depot looping on one magazine fails */
        /* This thread takes a magazine from the depot and one object
         * from it; another thread then takes the next magazine and one
         * object.  Were both the same magazine, the objects would be the
         * same: the magazine's count is only written back when its
         * holder's slow path unloads it. */
        void *mine = magpool_get(tiny), *theirs = NULL;
        pthread_t c[2];
        pthread_create(&c[0], NULL, get_one, &theirs);
        pthread_join(c[0], NULL);
        if (!mine || !theirs)
            _exit(2);
        if (mine == theirs)
            _exit(3);
        magpool_put(mine);
        magpool_put(theirs);
        /* And the pool goes on serving two threads, one owner each. */
        for (uintptr_t i = 0; i < 2; i++)
            pthread_create(&c[i], NULL, child_worker, (void *)(i + 100));
        for (int i = 0; i < 2; i++)
            pthread_join(c[i], NULL);
        _exit(atomic_load(&double_owner) ? 4 : 0);
    }
    atomic_store(&s->prev, saved); /* the parent's thread goes on as it was */
    atomic_store(&half_go, 1);
    pthread_join(t, NULL);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "child: %s %d", WIFSIGNALED(status) ? "signal" : "exit status",
                  WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    ck_assert_uint_eq(pool_stats(tiny).active, 0);
    magpool_destroy(tiny);
}
END_TEST

/* ---- fork while another thread is inside init or fini ---- */

static void *init_fini_loop(void *arg)
{
    (void)arg;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        magpool_init();
        magpool_fini();
    }
    return NULL;
}

START_TEST(fork_during_init_or_fini_leaves_the_child_able_to_init_and_fini)
{
    MP_SKIP_IF_EMULATED(QEMU_FORK);
#ifdef MP_TEST_NO_BUSY_FORK
    return; /* thread creation allocates: see testutil.h */
#endif
    atomic_store(&stop, 0);
    pthread_t t;
    pthread_create(&t, NULL, init_fini_loop, NULL);
    for (int k = 0; k < 300 / MP_TEST_SCALE + 20; k++) {
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            alarm(10); /* a deadlocked child fails */
            if (magpool_init())
                _exit(2);
            magpool_fini();
            _exit(0);
        }
        int status;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                      "child %d: status %d", k, status);
    }
    atomic_store(&stop, 1);
    pthread_join(t, NULL);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("fork");
    TCase *tc = tcase_create("fork");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, fork_with_busy_threads_child_allocates_at_once);
    tcase_add_test(tc, a_fork_child_unmaps_the_caches_of_the_threads_it_lost);
    tcase_add_test(tc, sweeper_runs_again_in_the_child);
    tcase_add_test(tc, fork_while_threads_swap_magazines_never_hands_an_object_twice);
    tcase_add_test(tc, a_fork_child_drops_a_lost_threads_half_swapped_magazines);
    tcase_add_test(tc, fork_during_init_or_fini_leaves_the_child_able_to_init_and_fini);
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
