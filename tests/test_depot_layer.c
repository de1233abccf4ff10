/*
 * test_depot_layer.c - magazines and the depot by themselves: linked with
 * the layers below them only (lib/os.c, rcu.c, options.c, slab.c,
 * registry.c, depot.c; lib/LAYERS), no thread cache and no get or put.
 * A pool here is a struct magpool filled in by hand with what the depot
 * and the slab read.  test_depot.c tests the depot through the library.
 */
#include <limits.h>
#include <pthread.h>
#include <stdint.h>

#include "mp.h"
#include "testutil.h"

static struct magpool *new_pool(size_t obj_size, unsigned cap,
                                unsigned cap_max, unsigned depot_max)
{
    mp_options_init();
    struct magpool *p = calloc(1, sizeof(*p));
    ck_assert_ptr_nonnull(p);
    p->obj_size = p->sizeof_type = obj_size;
    p->hdr_alloc = 0x8000000000000003ull;
    snprintf(p->name, sizeof(p->name), "depot-test");
    atomic_init(&p->cap, cap);
    p->cap_min = cap;
    p->cap_max = cap_max;
    p->depot_max = depot_max;
    mp_depot_init(&p->depot);
    ck_assert_int_eq(mp_slab_init(p), 0);
    return p;
}

static void free_pool(struct magpool *p)
{
    mp_depot_shrink(p, LONG_MAX, LONG_MAX);
    mp_depot_recycle();
    ck_assert_uint_eq(p->slab.out, 0);
    mp_slab_destroy(p);
    free(p);
}

/* A magazine filled with n objects from the slab. */
static struct mp_mag *filled(struct magpool *p, unsigned n)
{
    struct mp_mag *m = mp_mag_new(p);
    ck_assert_ptr_nonnull(m);
    ck_assert_uint_le(n, m->cap);
    ck_assert_ptr_null(m->rounds[0]);
    ck_assert_ptr_eq(m->rounds[m->cap + 1], MP_END);
    ck_assert_uint_eq(mp_slab_alloc(p, &m->rounds[1], n), n);
    m->n = n;
    return m;
}

START_TEST(a_full_magazine_put_is_the_next_got_with_its_rounds)
{
    struct magpool *p = new_pool(32, 8, 8, 0);
    struct mp_mag *a = filled(p, 8), *b = filled(p, 5);
    void *b1 = b->rounds[1];
    mp_depot_put_full(p, a);
    mp_depot_put_full(p, b);
    ck_assert_int_eq(atomic_load(&p->depot.nfull), 2);
    ck_assert_int_eq(atomic_load(&p->depot.rounds), 13);
    struct mp_mag *m = mp_depot_get_full(p);
    ck_assert_ptr_eq(m, b); /* last in, first out: the warmest */
    ck_assert_uint_eq(m->n, 5);
    ck_assert_ptr_eq(m->rounds[1], b1);
    ck_assert_ptr_eq(mp_depot_get_full(p), a);
    ck_assert_ptr_null(mp_depot_get_full(p));
    ck_assert_int_eq(atomic_load(&p->depot.rounds), 0);
    ck_assert_int_eq(atomic_load(&p->depot.full_low), 0);
    mp_depot_put_full(p, a);
    mp_depot_put_full(p, b);
    free_pool(p);
}
END_TEST

START_TEST(empty_magazines_come_back_and_none_left_reads_null)
{
    struct magpool *p = new_pool(32, 8, 8, 0);
    struct mp_mag *e = mp_mag_new(p);
    mp_depot_put_empty(p, e);
    ck_assert_int_eq(atomic_load(&p->depot.nempty), 1);
    ck_assert_ptr_eq(mp_depot_get_empty(p), e);
    ck_assert_ptr_null(mp_depot_get_empty(p));
    ck_assert_int_eq(atomic_load(&p->depot.nempty), 0);
    mp_mag_free_now(e);
    free_pool(p);
}
END_TEST

START_TEST(shrink_returns_every_object_to_the_slab_which_unmaps_the_chunk)
{
    struct magpool *p = new_pool(48, 16, 16, 0);
    for (int i = 0; i < 4; i++) {
        struct mp_mag *m = filled(p, 16);
        for (unsigned k = 1; k <= m->n; k++)
            memset(m->rounds[k], 7, 48);
        mp_depot_put_full(p, m);
    }
    mp_depot_put_empty(p, mp_mag_new(p));
    ck_assert_uint_eq(p->slab.out, 64);
    size_t back = mp_depot_shrink(p, LONG_MAX, LONG_MAX);
    mp_depot_recycle();
    ck_assert_uint_eq(p->slab.out, 0);
    ck_assert_uint_gt(back, 0); /* the only chunk, all free: unmapped */
    ck_assert_uint_eq(p->slab.unmaps, p->slab.maps);
    ck_assert_int_eq(atomic_load(&p->depot.nfull), 0);
    ck_assert_int_eq(atomic_load(&p->depot.nempty), 0);
    ck_assert_uint_eq(atomic_load(&p->swept), 64);
    free_pool(p);
}
END_TEST

START_TEST(over_the_depot_limit_a_full_magazine_goes_back_to_the_slab)
{
    struct magpool *p = new_pool(32, 8, 8, 1);
    mp_depot_put_full(p, filled(p, 8));
    ck_assert_uint_eq(p->slab.out, 8);
    mp_depot_put_full(p, filled(p, 8));
    /* The second one's objects went back; the magazine is kept empty. */
    ck_assert_uint_eq(p->slab.out, 8);
    ck_assert_int_eq(atomic_load(&p->depot.nfull), 1);
    ck_assert_int_eq(atomic_load(&p->depot.nempty), 1);
    struct mp_mag *e = mp_depot_get_empty(p);
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(e->n, 0);
    mp_depot_put_empty(p, e);
    free_pool(p);
}
END_TEST

START_TEST(magazines_grow_with_fast_exchanges_and_shrink_when_quiet)
{
    struct magpool *p = new_pool(32, 8, 40, 0);
    /* The first boundary starts the clock; each later one that comes
     * sooner than MP_ADAPT_EVERY / MP_MAG_GROW_RATE seconds doubles. */
    mp_mag_note_exchange(p, MP_ADAPT_EVERY - 1); /* not a boundary */
    mp_mag_note_exchange(p, MP_ADAPT_EVERY);
    ck_assert_uint_eq(atomic_load(&p->cap), 8);
    mp_mag_note_exchange(p, 2 * MP_ADAPT_EVERY);
    ck_assert_uint_eq(atomic_load(&p->cap), 16);
    mp_mag_note_exchange(p, 3 * MP_ADAPT_EVERY);
    ck_assert_uint_eq(atomic_load(&p->cap), 32);
    mp_mag_note_exchange(p, 4 * MP_ADAPT_EVERY);
    ck_assert_uint_eq(atomic_load(&p->cap), 40); /* cap_max */
    struct magpool *q = new_pool(32, 8, 40, 0);
    /* A boundary's owner preempted past the next one: neither the late
     * boundary nor the one after it measures a window. */
    mp_mag_note_exchange(q, MP_ADAPT_EVERY);
    mp_mag_note_exchange(q, 3 * MP_ADAPT_EVERY);
    mp_mag_note_exchange(q, 2 * MP_ADAPT_EVERY); /* late */
    mp_mag_note_exchange(q, 4 * MP_ADAPT_EVERY);
    ck_assert_uint_eq(atomic_load(&q->cap), 8);
    mp_mag_note_exchange(q, 5 * MP_ADAPT_EVERY); /* in order again */
    ck_assert_uint_eq(atomic_load(&q->cap), 16);
    free_pool(q);
    struct mp_mag *m = mp_mag_new(p);
    ck_assert_uint_eq(m->cap, 40);
    ck_assert_ptr_eq(m->rounds[41], MP_END);
    mp_mag_free_now(m);
    /* The sweeper's first look starts the window; a look sooner than
     * MP_SHRINK_WINDOW_NS after it changes nothing. */
    const unsigned long long w = MP_SHRINK_WINDOW_NS;
    unsigned long long t = 5 * w;
    mp_mag_shrink_if_quiet(p, t);
    mp_mag_shrink_if_quiet(p, t + w / 2);
    ck_assert_uint_eq(atomic_load(&p->cap), 40);
    /* 300 exchanges over one window: above the shrink rate, kept. */
    atomic_store(&p->depot.exchanges, 300);
    mp_mag_shrink_if_quiet(p, t += w);
    ck_assert_uint_eq(atomic_load(&p->cap), 40);
    /* 150 more over 1.5 windows (100 a second): halved, once. */
    atomic_store(&p->depot.exchanges, 450);
    mp_mag_shrink_if_quiet(p, t += w + w / 2);
    ck_assert_uint_eq(atomic_load(&p->cap), 20);
    /* No exchange over each window: halve, down to cap_min. */
    mp_mag_shrink_if_quiet(p, t += w);
    mp_mag_shrink_if_quiet(p, t += w);
    ck_assert_uint_eq(atomic_load(&p->cap), 8);
    mp_mag_shrink_if_quiet(p, t += w);
    ck_assert_uint_eq(atomic_load(&p->cap), 8);
    free_pool(p);
}
END_TEST

/* MAGPOOL_MAG_GROW_RATE moves both thresholds.  At 1 a second (shrink
 * threshold under 1), magazines halve only over a window with no
 * exchange: one exchange in 1.2 s used to read as a rate of 0 and
 * halve them.  At 20,000, the shrink threshold of 200 a second is
 * compared exactly: 239 in 1.2 s halves, 241 does not. */
START_TEST(MAGPOOL_MAG_GROW_RATE_sets_where_magazines_grow_and_shrink)
{
    struct magpool *p = new_pool(32, 8, 64, 0);
    unsigned long saved = mp_opt.mag_grow_rate;
    const unsigned long long w = MP_SHRINK_WINDOW_NS;
    mp_opt.mag_grow_rate = 1;
    /* Growth: any window of MP_ADAPT_EVERY exchanges under 256 s. */
    mp_mag_note_exchange(p, MP_ADAPT_EVERY);
    mp_mag_note_exchange(p, 2 * MP_ADAPT_EVERY);
    ck_assert_uint_eq(atomic_load(&p->cap), 16);
    unsigned long long t = 5 * w;
    unsigned long ex = 2 * MP_ADAPT_EVERY;
    mp_mag_shrink_if_quiet(p, t);
    atomic_store(&p->depot.exchanges, ++ex);
    mp_mag_shrink_if_quiet(p, t += w + w / 5);
    ck_assert_uint_eq(atomic_load(&p->cap), 16);
    mp_mag_shrink_if_quiet(p, t += w);
    ck_assert_uint_eq(atomic_load(&p->cap), 8);
    mp_opt.mag_grow_rate = 20000;
    atomic_store(&p->cap, 32);
    atomic_store(&p->depot.exchanges, ex += 241);
    mp_mag_shrink_if_quiet(p, t += w + w / 5);
    ck_assert_uint_eq(atomic_load(&p->cap), 32);
    atomic_store(&p->depot.exchanges, ex += 239);
    mp_mag_shrink_if_quiet(p, t += w + w / 5);
    ck_assert_uint_eq(atomic_load(&p->cap), 16);
    mp_opt.mag_grow_rate = saved;
    free_pool(p);
}
END_TEST

/* Threads trade magazines through the depot as fast as they can: every
 * magazine stays exactly once in the depot or in a thread's hand. */
#define MAGS 64
static struct magpool *shared;
static atomic_int trade_failures;

static void *trader(void *arg)
{
    (void)arg;
    int iters = 200000 / MP_TEST_SCALE;
    for (int i = 0; i < iters; i++) {
        struct mp_mag *m = mp_depot_get_full(shared);
        if (!m)
            continue;
        if (m->n != 1)
            atomic_fetch_add(&trade_failures, 1);
        mp_depot_put_full(shared, m);
    }
    mp_depot_thread_release();
    return NULL;
}

START_TEST(concurrent_trades_lose_and_duplicate_no_magazine)
{
    shared = new_pool(16, 4, 4, 0);
    struct mp_mag *all[MAGS];
    for (int i = 0; i < MAGS; i++) {
        all[i] = filled(shared, 1);
        mp_depot_put_full(shared, all[i]);
    }
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, trader, NULL), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(atomic_load(&trade_failures), 0);
    ck_assert_int_eq(atomic_load(&shared->depot.nfull), MAGS);
    int seen[MAGS] = { 0 };
    struct mp_mag *m;
    int n = 0;
    while ((m = mp_depot_get_full(shared))) {
        int k = -1;
        for (int i = 0; i < MAGS; i++)
            if (all[i] == m)
                k = i;
        ck_assert_int_ge(k, 0);
        ck_assert_int_eq(seen[k]++, 0);
        n++;
        mp_slab_free(shared, &m->rounds[1], m->n);
        mp_mag_free_now(m);
    }
    ck_assert_int_eq(n, MAGS);
    free_pool(shared);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("depot-layer");
    TCase *tc = tcase_create("alone");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, a_full_magazine_put_is_the_next_got_with_its_rounds);
    tcase_add_test(tc, empty_magazines_come_back_and_none_left_reads_null);
    tcase_add_test(tc, shrink_returns_every_object_to_the_slab_which_unmaps_the_chunk);
    tcase_add_test(tc, over_the_depot_limit_a_full_magazine_goes_back_to_the_slab);
    tcase_add_test(tc, magazines_grow_with_fast_exchanges_and_shrink_when_quiet);
    tcase_add_test(tc, MAGPOOL_MAG_GROW_RATE_sets_where_magazines_grow_and_shrink);
    tcase_add_test(tc, concurrent_trades_lose_and_duplicate_no_magazine);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(suite()); }
