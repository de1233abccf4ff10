/*
 * test_urcu.c - magpool inside a program that uses liburcu itself.
 *
 * The program here uses liburcu's default flavour (urcu-memb, <urcu.h>):
 * it registers threads, frees objects through call_rcu() whose callback
 * puts them back (the ordinary deferred-free pattern), calls magpool
 * inside its read-side sections and registers threads that used a pool
 * first.  None of it may abort, hang or lose an object.  The last tests
 * share magpool's own flavour (urcu-mb): a thread the program registered
 * there is used as it is, and inside its read-side section magpool
 * defers what needs a grace period; destroy, trim and a foreach callback
 * that flushes or trims never wait for such a reader while it waits for
 * the pool registry; the child of a fork keeps none of the program's
 * dead threads' records; and a fork from inside a read-side section
 * never waits for a grace period that waits for that section.
 *
 * Pools have magazines of 4 objects, so every few gets or puts trade
 * with the depot (an RCU read-side pop), and enough pops make a thread
 * recycle its retired depot nodes (a grace period).
 */
#include <pthread.h>
#include <sys/wait.h>
#include <stdint.h>
#include <urcu.h>

#include "testutil.h"

#define NOBJ 256
#define ROUNDS (200 / MP_TEST_SCALE + 20)

static struct magpool *small_pool(const char *name)
{
    struct magpool_options o = { .mag_capacity = 4 };
    struct magpool *p = magpool_create(name, 64, &o);
    ck_assert_ptr_nonnull(p);
    return p;
}

/* Gets and puts NOBJ objects ROUNDS times: hundreds of depot pops. */
static int churn(struct magpool *p)
{
    void *objs[NOBJ];
    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < NOBJ; i++) {
            objs[i] = magpool_get(p);
            if (!objs[i])
                return -1;
            memset(objs[i], r, 64);
        }
        for (int i = 0; i < NOBJ; i++)
            magpool_put(objs[i]);
    }
    return 0;
}

/* Runs fn(p) on n threads at once (n <= 4); each must return NULL. */
static void run_threads(void *(*fn)(void *), struct magpool *p, int n)
{
    pthread_t t[4];
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, fn, p), 0);
    for (int i = 0; i < n; i++) {
        void *rc;
        ck_assert_int_eq(pthread_join(t[i], &rc), 0);
        ck_assert_ptr_null(rc);
    }
}

static void assert_all_back(struct magpool *p)
{
    struct magpool_stats st = pool_stats(p);
    ck_assert_uint_eq(st.active, 0);
    ck_assert_uint_eq(st.double_puts, 0);
}

/* ------------------------------------------------------------------ */

struct deferred {
    struct rcu_head head;
    void *obj;
};

static void put_deferred(struct rcu_head *h)
{
    struct deferred *d = caa_container_of(h, struct deferred, head);
    magpool_put(d->obj);
    magpool_put(d);
}

START_TEST(objects_freed_through_call_rcu_go_back_to_their_pool)
{
    struct magpool *objs = small_pool("rcu-objs");
    struct magpool *heads = magpool_create("rcu-heads", sizeof(struct deferred),
                                           &(struct magpool_options){ .mag_capacity = 4 });
    ck_assert_ptr_nonnull(heads);
    rcu_register_thread();
    for (int i = 0; i < 20000 / MP_TEST_SCALE; i++) {
        struct deferred *d = magpool_get(heads);
        ck_assert_ptr_nonnull(d);
        d->obj = magpool_get(objs);
        ck_assert_ptr_nonnull(d->obj);
        call_rcu(&d->head, put_deferred);
    }
    rcu_barrier();
    rcu_unregister_thread();
    assert_all_back(objs);
    assert_all_back(heads);
    magpool_destroy(objs);
    magpool_destroy(heads);
}
END_TEST

static void *registered_worker(void *arg)
{
    struct magpool *p = arg;
    rcu_register_thread();
    intptr_t rc = churn(p);
    rcu_read_lock();
    rcu_read_unlock();
    /* liburcu asserts that the thread is still registered. */
    rcu_unregister_thread();
    return (void *)rc;
}

START_TEST(a_thread_the_program_registered_uses_pools_and_unregisters_itself)
{
    struct magpool *p = small_pool("registered");
    for (int n = 0; n < 4; n++)
        run_threads(registered_worker, p, 1);
    /* No registration of a gone thread is left behind in the program's
     * flavour: its grace period still ends. */
    synchronize_rcu();
    assert_all_back(p);
    magpool_destroy(p);
}
END_TEST

static void *reader_worker(void *arg)
{
    struct magpool *p = arg;
    rcu_register_thread();
    rcu_read_lock();
    intptr_t rc = churn(p);
    magpool_thread_flush();
    rc |= churn(p);
    rcu_read_unlock();
    rcu_unregister_thread();
    return (void *)rc;
}

START_TEST(magpool_inside_the_programs_read_side_section_neither_aborts_nor_hangs)
{
    struct magpool *p = small_pool("in-read-side");
    run_threads(reader_worker, p, 2);
    synchronize_rcu();
    assert_all_back(p);
    magpool_destroy(p);
}
END_TEST

static void *register_after_use(void *arg)
{
    struct magpool *p = arg;
    intptr_t rc = churn(p);
    /* magpool has made this thread a reader of its own domain by now;
     * the program's registration is its own business. */
    rcu_register_thread();
    rcu_read_lock();
    rc |= churn(p);
    rcu_read_unlock();
    rcu_unregister_thread();
    rc |= churn(p);
    return (void *)rc;
}

START_TEST(a_thread_that_used_a_pool_first_may_register_itself_afterwards)
{
    struct magpool *p = small_pool("register-after");
    run_threads(register_after_use, p, 1);
    synchronize_rcu();
    assert_all_back(p);
    magpool_destroy(p);
}
END_TEST

/* The program shares magpool's flavour: urcu-mb (liburcu-mb's API,
 * declared here because <urcu/urcu-mb.h> would map rcu_* onto it). */
void urcu_mb_register_thread(void);
void urcu_mb_unregister_thread(void);
void urcu_mb_read_lock(void);
void urcu_mb_read_unlock(void);
void urcu_mb_synchronize_rcu(void);

static void *mb_reader(void *arg)
{
    struct magpool *p = arg;
    urcu_mb_register_thread();
    urcu_mb_read_lock();
    /* Hundreds of pops: enough retired nodes to want a grace period,
     * which this thread must not wait for here. */
    intptr_t rc = churn(p);
    magpool_thread_flush();
    rc |= churn(p);
    urcu_mb_read_unlock();
    rc |= churn(p); /* now the deferred recycling may happen */
    magpool_thread_flush();
    /* liburcu asserts the thread is registered: magpool left it so. */
    urcu_mb_unregister_thread();
    return (void *)rc;
}

START_TEST(a_thread_registered_in_magpools_own_flavour_is_used_as_it_is)
{
    struct magpool *p = small_pool("mb-shared");
    run_threads(mb_reader, p, 2);
    urcu_mb_synchronize_rcu();
    assert_all_back(p);
    magpool_destroy(p);
}
END_TEST

/* A reader of magpool's own domain, inside its read-side section, needs
 * the pool registry while another thread destroys a pool whose depot
 * holds over a thousand magazines (enough pops to want a grace period):
 * the destroy must not wait for that reader while holding the registry. */
static struct magpool *reg_pool;
static atomic_int reader_in, destroyer_started;

static void *mb_reader_needing_the_registry(void *arg)
{
    (void)arg;
    urcu_mb_register_thread();
    magpool_put(magpool_get(reg_pool));
    urcu_mb_read_lock();
    atomic_store(&reader_in, 1);
    while (!atomic_load(&destroyer_started))
        usleep(100);
    usleep(200000); /* the destroy is under way, holding the registry */
    struct magpool_stats st;
    intptr_t rc = magpool_stats(reg_pool, &st);
    urcu_mb_read_unlock();
    urcu_mb_unregister_thread();
    return (void *)rc;
}

static void *destroyer(void *arg)
{
    (void)arg;
    struct magpool *big = small_pool("big-depot");
    enum { N = 12000 }; /* 3000 magazines in the depot */
    static void *v[N];
    for (int i = 0; i < N; i++)
        if (!(v[i] = magpool_get(big)))
            return (void *)1;
    for (int i = 0; i < N; i++)
        magpool_put(v[i]);
    while (!atomic_load(&reader_in))
        usleep(100);
    atomic_store(&destroyer_started, 1);
    magpool_destroy(big);
    return NULL;
}

START_TEST(a_destroy_never_waits_for_a_reader_that_waits_for_the_registry)
{
    reg_pool = small_pool("registry-reader");
    pthread_t a, b;
    void *ra, *rb;
    ck_assert_int_eq(pthread_create(&a, NULL, mb_reader_needing_the_registry, NULL), 0);
    ck_assert_int_eq(pthread_create(&b, NULL, destroyer, NULL), 0);
    ck_assert_int_eq(pthread_join(a, &ra), 0);
    ck_assert_int_eq(pthread_join(b, &rb), 0);
    ck_assert_ptr_null(ra);
    ck_assert_ptr_null(rb);
    assert_all_back(reg_pool);
    magpool_destroy(reg_pool);
}
END_TEST

/* A reader of magpool's domain, inside its read-side section, gets and
 * puts (slow paths, after leaving another pool idle long enough for the
 * sweeper to ask it to give that pool's magazines back) or reads
 * statistics, while a thread that is no reader (no cache: it never got
 * an object) trims or destroys pools in a loop and a 1 ms sweeper ends
 * every pass with a grace period.  Loop i: the reader gets (even i) or
 * reads statistics (odd); the other thread trims (i < 2) or creates and
 * destroys a pool (i >= 2).  Each must keep making progress. */
static struct magpool *cyc_idle, *cyc_busy;
static atomic_int cyc_stop;
static atomic_ulong cyc_rounds, cyc_trims;
static int cyc_mode;

static void *cycle_reader(void *arg)
{
    (void)arg;
    urcu_mb_register_thread();
    void *o[8];
    for (int i = 0; i < 8; i++) /* the cache, outside any section */
        o[i] = magpool_get(cyc_busy);
    for (int i = 0; i < 8; i++)
        magpool_put(o[i]);
    while (!atomic_load(&cyc_stop)) {
        magpool_put(magpool_get(cyc_idle));
        usleep(5000); /* cyc_idle idle for passes: the sweeper asks */
        urcu_mb_read_lock();
        usleep(2000);
        if (cyc_mode % 2 == 0) {
            for (int i = 0; i < 8; i++) /* magazines of 4: slow paths */
                o[i] = magpool_get(cyc_busy);
            for (int i = 0; i < 8; i++)
                magpool_put(o[i]);
        } else {
            struct magpool_stats st;
            (void)magpool_stats(cyc_busy, &st);
        }
        urcu_mb_read_unlock();
        atomic_fetch_add(&cyc_rounds, 1);
    }
    urcu_mb_unregister_thread();
    return NULL;
}

static void *cycle_trimmer(void *arg)
{
    (void)arg;
    while (!atomic_load(&cyc_stop)) {
        if (cyc_mode < 2) {
            magpool_trim(NULL);
        } else {
            struct magpool *c = magpool_create("cycle-destroyed", 32, NULL);
            magpool_destroy(c);
        }
        atomic_fetch_add(&cyc_trims, 1);
        usleep(100);
    }
    return NULL;
}

START_TEST(a_reader_neither_waits_for_a_trim_by_a_thread_that_is_no_reader_nor_for_the_sweeper)
{
    cyc_mode = _i;
    struct magpool_options four = { .mag_capacity = 4 };
    cyc_idle = small_pool("cycle-idle");
    ck_assert_ptr_nonnull(cyc_busy = magpool_create("cycle-busy", 64, &four));
    atomic_store(&cyc_stop, 0);
    atomic_store(&cyc_rounds, 0);
    atomic_store(&cyc_trims, 0);
    ck_assert_int_eq(magpool_sweeper_start(1), 0);
    pthread_t r, t;
    ck_assert_int_eq(pthread_create(&r, NULL, cycle_reader, NULL), 0);
    ck_assert_int_eq(pthread_create(&t, NULL, cycle_trimmer, NULL), 0);
    /* 3 s; each 0.5 s both threads must have moved (a deadlock stops
     * both: the test fails here, its process is then killed). */
    unsigned long r0 = 0, t0 = 0;
    for (int step = 0; step < 6; step++) {
        unsigned long rr = 0, tt = 0;
        usleep(500000);
        for (int w = 0; w < 100; w++) { /* 5 s more on a loaded machine */
            rr = atomic_load(&cyc_rounds);
            tt = atomic_load(&cyc_trims);
            if (rr > r0 && tt > t0)
                break;
            usleep(50000);
        }
        ck_assert_msg(rr > r0 && tt > t0,
                      "mode %d: no progress (reader rounds %lu, trims %lu)",
                      cyc_mode, rr, tt);
        r0 = rr;
        t0 = tt;
    }
    atomic_store(&cyc_stop, 1);
    ck_assert_int_eq(pthread_join(r, NULL), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    magpool_sweeper_stop();
    printf("reader and trims, mode %d: %lu reader rounds, %lu trims\n",
           cyc_mode, atomic_load(&cyc_rounds), atomic_load(&cyc_trims));
    assert_all_back(cyc_idle);
    assert_all_back(cyc_busy);
    magpool_destroy(cyc_idle);
    magpool_destroy(cyc_busy);
}
END_TEST

/* A reader of magpool's domain, inside its read-side section, reads
 * statistics (it waits for the registry) while another thread's
 * magpool_foreach callback, holding the registry, flushes its cache (it
 * holds retired depot nodes: a flush would complete a grace period),
 * trims (a thread that is no reader must register), or reads statistics,
 * and a 1 ms sweeper ends its passes with grace periods that wait for
 * the reader.  magpool(3): fn may call any magpool function but
 * magpool_sweeper_stop() and magpool_fini(), and a reader calling magpool
 * inside its section cannot deadlock with it.  Loop i: 0 flush, 1 trim,
 * 2 statistics. */
static struct magpool *fe_pool;
static atomic_int fe_reader_in, fe_in_fn, fe_reader_done, fe_done;
static int fe_mode;

static void *fe_reader(void *arg)
{
    (void)arg;
    urcu_mb_register_thread();
    urcu_mb_read_lock();
    atomic_store(&fe_reader_in, 1);
    for (int w = 0; w < 2000 && !atomic_load(&fe_in_fn); w++)
        usleep(1000);
    usleep(20000); /* the callback holds the registry */
    struct magpool_stats st;
    intptr_t rc = magpool_stats(fe_pool, &st);
    urcu_mb_read_unlock();
    urcu_mb_unregister_thread();
    atomic_store(&fe_reader_done, 1);
    return (void *)rc;
}

static void fe_fn(struct magpool *p, void *arg)
{
    (void)arg;
    if (p != fe_pool)
        return;
    atomic_store(&fe_in_fn, 1);
    usleep(50000); /* the reader now waits for the registry */
    if (fe_mode == 0) {
        magpool_thread_flush();
    } else if (fe_mode == 1) {
        magpool_trim(NULL);
    } else {
        struct magpool_stats st;
        ck_assert_int_eq(magpool_stats(p, &st), 0);
    }
}

static void *fe_caller(void *arg)
{
    (void)arg;
    if (fe_mode == 0) {
        /* Depot pops enough to hold retired nodes at the flush. */
        static void *v[400];
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < 400; i++)
                if (!(v[i] = magpool_get(fe_pool)))
                    return (void *)1;
            for (int i = 0; i < 400; i++)
                magpool_put(v[i]);
            if (round == 0) /* the second round's pops stay retired */
                magpool_thread_flush();
        }
    }
    while (!atomic_load(&fe_reader_in))
        usleep(100);
    usleep(30000); /* a sweeper pass's grace period waits for the reader */
    magpool_foreach(fe_fn, NULL);
    atomic_store(&fe_done, 1);
    return NULL;
}

START_TEST(a_foreach_callback_that_flushes_or_trims_never_waits_for_a_reader_waiting_for_the_registry)
{
    fe_mode = _i;
    fe_pool = small_pool("foreach-reader");
    atomic_store(&fe_reader_in, 0);
    atomic_store(&fe_in_fn, 0);
    atomic_store(&fe_reader_done, 0);
    atomic_store(&fe_done, 0);
    ck_assert_int_eq(magpool_sweeper_start(1), 0);
    pthread_t r, f;
    ck_assert_int_eq(pthread_create(&r, NULL, fe_reader, NULL), 0);
    ck_assert_int_eq(pthread_create(&f, NULL, fe_caller, NULL), 0);
    /* A deadlock stops both for good: fail here (Check then kills the
     * process); 10 s is far beyond the 0.1 s the two need. */
    for (int w = 0; w < 1000 && !(atomic_load(&fe_reader_done) &&
                                  atomic_load(&fe_done)); w++)
        usleep(10000);
    ck_assert_msg(atomic_load(&fe_reader_done) && atomic_load(&fe_done),
                  "mode %d: deadlock (reader done %d, foreach done %d)",
                  fe_mode, atomic_load(&fe_reader_done),
                  atomic_load(&fe_done));
    void *rr, *rf;
    ck_assert_int_eq(pthread_join(r, &rr), 0);
    ck_assert_int_eq(pthread_join(f, &rf), 0);
    ck_assert_ptr_null(rr);
    ck_assert_ptr_null(rf);
    magpool_sweeper_stop();
    assert_all_back(fe_pool);
    magpool_destroy(fe_pool);
}
END_TEST

/* Threads of the program registered with urcu-mb (magpool's domain)
 * when it forks without exec, which liburcu's own README forbids: the
 * child must not inherit their records.  Mode 0: one such reader sleeps
 * inside its read-side section at the fork, and the child's flush needs
 * a grace period, which a dead reader's record would make wait forever.
 * Mode 1: four such threads sleep outside any section, and the child
 * starts threads that magpool registers, whose TLS glibc takes from the
 * dead threads' stacks, records and all: left linked, those records
 * corrupt the registry (the child crashed). */
static atomic_int pf_ready, pf_stop;
static int pf_mode;
static struct magpool *pf_pool;

static void *pf_program_thread(void *arg)
{
    (void)arg;
    urcu_mb_register_thread();
    if (pf_mode == 0)
        urcu_mb_read_lock();
    atomic_fetch_add(&pf_ready, 1);
    while (!atomic_load(&pf_stop))
        usleep(1000);
    if (pf_mode == 0)
        urcu_mb_read_unlock();
    urcu_mb_unregister_thread();
    return NULL;
}

/* In a fork child: 20 rounds of 300 gets, 300 puts and a flush of the
 * pool arg; NULL when every get succeeded. */
static void *child_churn(void *arg)
{
    struct magpool *p = arg;
    void *v[300];
    for (int r = 0; r < 20; r++) {
        for (int i = 0; i < 300; i++)
            if (!(v[i] = magpool_get(p)))
                return (void *)1;
        for (int i = 0; i < 300; i++)
            magpool_put(v[i]);
        magpool_thread_flush();
    }
    return NULL;
}

/* n (<= 8) threads of child_churn on p, joined: 0 if all succeeded, -1
 * if one could not be started, 1 if a get failed. */
static int child_churners(struct magpool *p, int n)
{
    pthread_t c[8];
    for (int i = 0; i < n; i++)
        if (pthread_create(&c[i], NULL, child_churn, p))
            return -1;
    int rc = 0;
    for (int i = 0; i < n; i++) {
        void *r;
        pthread_join(c[i], &r);
        rc |= r != NULL;
    }
    return rc;
}

static int pf_child(void)
{
    alarm(20); /* a hang ends the child by SIGALRM */
    if (pf_mode == 0) {
        /* Gets of full magazines from the depot: pops, whose retired
         * nodes the flush recycles after a grace period. */
        void *v[300];
        for (int r = 0; r < 50; r++) {
            for (int i = 0; i < 300; i++)
                if (!(v[i] = magpool_get(pf_pool)))
                    return 2;
            for (int i = 0; i < 300; i++)
                magpool_put(v[i]);
        }
        magpool_thread_flush();
        return 0;
    }
    if (magpool_sweeper_start(1))
        return 3;
    int rc = child_churners(pf_pool, 8);
    magpool_trim(NULL);
    magpool_sweeper_stop();
    return rc ? 4 : 0;
}

START_TEST(a_fork_child_drops_the_records_of_the_programs_urcu_mb_threads)
{
    MP_SKIP_IF_EMULATED("the emulator aborts in a child forked from a "
                        "threaded parent");
    pf_mode = _i;
    pf_pool = small_pool("fork-program-readers");
    atomic_store(&pf_ready, 0);
    atomic_store(&pf_stop, 0);
    int n = pf_mode == 0 ? 1 : 4;
    pthread_t t[4];
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, pf_program_thread, NULL), 0);
    while (atomic_load(&pf_ready) < n)
        usleep(100);
    for (int k = 0; k < 5; k++) {
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0)
            _exit(pf_child());
        int st;
        ck_assert_int_eq(waitpid(pid, &st, 0), pid);
        ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                      "mode %d, fork %d: child %s %d", pf_mode, k,
                      WIFSIGNALED(st) ? "killed by signal" : "exit status",
                      WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
    }
    atomic_store(&pf_stop, 1);
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(pthread_join(t[i], NULL), 0);
    assert_all_back(pf_pool);
    magpool_destroy(pf_pool);
}
END_TEST

/* A thread inside its urcu-mb read-side section forks while the 1 ms
 * sweeper waits out a grace period, which waits for that very section:
 * the fork must not wait for it (it would forever), and in the child,
 * where liburcu's locks may be held by the sweeper that did not survive,
 * magpool steps aside from liburcu and still serves gets and puts, from
 * several threads, with trims, flushes, a new pool and its sweeper, and
 * forks again. */
static int sa_child(struct magpool *p)
{
    alarm(20); /* a hang ends the child by SIGALRM */
    urcu_mb_read_unlock(); /* the section this thread forked in */
    if (child_churners(p, 3))
        return 2;
    magpool_trim(NULL);
    /* Forks from this child: its new threads have taken the stacks of
     * the threads that did not survive, the sweeper's among them, where
     * liburcu's grace period had moved this thread's record. */
    for (int i = 0; i < 4; i++) {
        pid_t pid = fork();
        if (pid < 0)
            return 5;
        if (pid == 0) {
            magpool_put(magpool_get(p));
            _exit(child_churners(p, 2) ? 1 : 0);
        }
        int st;
        if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
            WEXITSTATUS(st) != 0)
            return 6;
        if (child_churners(p, 2))
            return 7;
    }
    struct magpool *q = magpool_create("stepped-aside-child", 100, NULL);
    if (!q)
        return 3;
    magpool_put(magpool_get(q));
    magpool_destroy(q);
    struct magpool_stats st;
    if (magpool_stats(p, &st) || st.active != 0)
        return 4;
    magpool_sweeper_stop();
    return 0;
}

START_TEST(a_fork_from_inside_a_read_side_section_during_a_grace_period_returns_and_the_child_works)
{
    MP_SKIP_IF_EMULATED("the emulator aborts in a child forked from a "
                        "threaded parent");
    struct magpool *p = small_pool("fork-in-section");
    ck_assert_int_eq(magpool_sweeper_start(1), 0);
    urcu_mb_register_thread();
    magpool_put(magpool_get(p));
    urcu_mb_read_lock();
    usleep(100000); /* the sweeper's grace period now waits for us */
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(sa_child(p));
    urcu_mb_read_unlock();
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %s %d",
                  WIFSIGNALED(st) ? "killed by signal" : "exit status",
                  WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
    urcu_mb_unregister_thread();
    magpool_sweeper_stop();
    assert_all_back(p);
    magpool_destroy(p);
}
END_TEST

int main(void)
{
#if defined(__SANITIZE_THREAD__)
    /* liburcu is not built with ThreadSanitizer: the hand-offs it makes
     * (call_rcu to its worker, grace periods) are invisible to it, so the
     * program's own objects race in its eyes.  The plain and ASan builds
     * run these tests. */
    puts("liburcu tests skipped under ThreadSanitizer");
    return 77;
#endif
    Suite *s = suite_create("urcu");
    TCase *tc = tcase_create("coexistence");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, objects_freed_through_call_rcu_go_back_to_their_pool);
    tcase_add_test(tc, a_thread_the_program_registered_uses_pools_and_unregisters_itself);
    tcase_add_test(tc, magpool_inside_the_programs_read_side_section_neither_aborts_nor_hangs);
    tcase_add_test(tc, a_thread_that_used_a_pool_first_may_register_itself_afterwards);
    tcase_add_test(tc, a_thread_registered_in_magpools_own_flavour_is_used_as_it_is);
    tcase_add_test(tc, a_destroy_never_waits_for_a_reader_that_waits_for_the_registry);
    tcase_add_loop_test(tc, a_reader_neither_waits_for_a_trim_by_a_thread_that_is_no_reader_nor_for_the_sweeper, 0, 4);
    tcase_add_loop_test(tc, a_foreach_callback_that_flushes_or_trims_never_waits_for_a_reader_waiting_for_the_registry, 0, 3);
    tcase_add_loop_test(tc, a_fork_child_drops_the_records_of_the_programs_urcu_mb_threads, 0, 2);
    tcase_add_test(tc, a_fork_from_inside_a_read_side_section_during_a_grace_period_returns_and_the_child_works);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
