/*
 * stress.c - many threads, random pools and sizes, cross-thread puts and
 * thread churn, with every object stamped and checked.  Runs for
 * MAGPOOL_STRESS_SECONDS (default 3) under `make check`.
 *
 * Each object carries (pool index, serial, checksum) written at get and
 * verified at put: an object handed to two owners, or corrupted while
 * cached, breaks the stamp.  Objects are passed between threads through
 * mutex-protected mailboxes, so about half the puts are cross-thread.
 */
#include <pthread.h>
#include <stdint.h>

#include "testutil.h"

#define NPOOLS 16
#define SLOTS 12
#define MAXHOLD 256

struct stamp {
    uint32_t pool;
    uint32_t size;
    uint64_t serial;
    uint64_t check;
};

static struct magpool *pools[NPOOLS];
static size_t sizes[NPOOLS];
static atomic_ulong serial, ops, errors, cross;
static atomic_int stop;

struct mailbox {
    pthread_mutex_t lock;
    void *items[MAXHOLD];
    int n;
} boxes[SLOTS];

static uint64_t checksum(const struct stamp *s)
{
    return (s->serial * 0x9e3779b97f4a7c15ull) ^ s->pool ^ ((uint64_t)s->size << 32);
}

static void stamp(void *o, uint32_t pool)
{
    struct stamp *s = o;
    s->pool = pool;
    s->size = (uint32_t)sizes[pool];
    s->serial = atomic_fetch_add_explicit(&serial, 1, memory_order_relaxed);
    s->check = checksum(s);
    unsigned char *tail = (unsigned char *)o + sizes[pool] - 1;
    if (sizes[pool] > sizeof(*s))
        *tail = (unsigned char)s->serial;
}

static void verify_and_put(void *o)
{
    struct stamp *s = o;
    if (s->pool >= NPOOLS || s->check != checksum(s) ||
        (sizes[s->pool] > sizeof(*s) &&
         *((unsigned char *)o + sizes[s->pool] - 1) != (unsigned char)s->serial))
        atomic_fetch_add(&errors, 1);
    s->check = 0; /* a second owner would now fail the check */
    magpool_put(o);
}

static uint64_t rnd(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void *worker(void *arg)
{
    uint64_t r = (uintptr_t)arg * 2654435761u + 1;
    void *held[MAXHOLD];
    int n = 0;
    int life = 2000 + (int)(rnd(&r) % 20000);
    for (int step = 0; step < life && !atomic_load(&stop); step++) {
        unsigned op = (unsigned)(rnd(&r) % 100);
        if (op < 50 && n < MAXHOLD) {
            uint32_t p = (uint32_t)(rnd(&r) % NPOOLS);
            void *o = magpool_get(pools[p]);
            if (!o) {
                atomic_fetch_add(&errors, 1);
                continue;
            }
            stamp(o, p);
            held[n++] = o;
        } else if (op < 80 && n > 0) {
            int i = (int)(rnd(&r) % (uint64_t)n);
            verify_and_put(held[i]);
            held[i] = held[--n];
        } else if (op < 90 && n > 0) {
            struct mailbox *b = &boxes[rnd(&r) % SLOTS];
            pthread_mutex_lock(&b->lock);
            while (n > 0 && b->n < MAXHOLD)
                b->items[b->n++] = held[--n];
            pthread_mutex_unlock(&b->lock);
        } else {
            struct mailbox *b = &boxes[rnd(&r) % SLOTS];
            void *got[MAXHOLD];
            int k = 0;
            pthread_mutex_lock(&b->lock);
            while (b->n > 0)
                got[k++] = b->items[--b->n];
            pthread_mutex_unlock(&b->lock);
            for (int i = 0; i < k; i++)
                verify_and_put(got[i]);
            atomic_fetch_add(&cross, (unsigned long)k);
        }
        atomic_fetch_add_explicit(&ops, 1, memory_order_relaxed);
    }
    while (n > 0)
        verify_and_put(held[--n]);
    return NULL;
}

START_TEST(random_pools_sizes_cross_thread_puts_and_thread_churn_stay_consistent)
{
    const char *env = getenv("MAGPOOL_STRESS_SECONDS");
    double seconds = env ? atof(env) : 3.0;
    uint64_t r = 88172645463325252ull;
    for (int i = 0; i < NPOOLS; i++) {
        sizes[i] = sizeof(struct stamp) + (size_t)(rnd(&r) % 4000);
        struct magpool_options o = { .mag_capacity = 4 + (unsigned)(rnd(&r) % 60) };
        pools[i] = magpool_create("stress", sizes[i], &o);
        ck_assert_ptr_nonnull(pools[i]);
    }
    for (int i = 0; i < SLOTS; i++)
        pthread_mutex_init(&boxes[i].lock, NULL);
    ck_assert_int_eq(magpool_sweeper_start(20), 0);

    enum { T = 6 };
    pthread_t t[T];
    uintptr_t seed = 1;
    for (int i = 0; i < T; i++)
        pthread_create(&t[i], NULL, worker, (void *)seed++);
    double t0 = now_s();
    unsigned long threads = T;
    /* Churn: as each worker's life ends, start a new one. */
    while (now_s() - t0 < seconds) {
        for (int i = 0; i < T; i++) {
            if (pthread_tryjoin_np(t[i], NULL) == 0) {
                pthread_create(&t[i], NULL, worker, (void *)seed++);
                threads++;
            }
        }
        usleep(2000);
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < T; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < SLOTS; i++)
        for (int k = 0; k < boxes[i].n; k++)
            verify_and_put(boxes[i].items[k]);
    magpool_sweeper_stop();

    printf("stress: %lu ops, %lu cross-thread puts, %lu threads, %lu errors\n",
           atomic_load(&ops), atomic_load(&cross), threads,
           atomic_load(&errors));
    ck_assert_uint_eq(atomic_load(&errors), 0);
    ck_assert_uint_gt(atomic_load(&cross), 0);
    for (int i = 0; i < NPOOLS; i++) {
        ck_assert_uint_eq(pool_stats(pools[i]).active, 0);
        ck_assert_uint_eq(pool_stats(pools[i]).double_puts, 0);
        magpool_destroy(pools[i]);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("stress");
    TCase *tc = tcase_create("stress");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, random_pools_sizes_cross_thread_puts_and_thread_churn_stay_consistent);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(suite()); }
