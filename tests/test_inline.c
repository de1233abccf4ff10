/*
 * test_inline.c - the inline API (magpool/inline.h): get and put compiled
 * into the caller keep every guarantee of the exported functions, mix
 * with them, and a caller compiled for another layout is refused.
 */
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>

#include "testutil.h"
#include "magpool/inline.h"

START_TEST(inline_get_and_put_mix_with_the_exported_functions)
{
    struct magpool *p = magpool_inline_create("inline", 100, NULL);
    ck_assert_ptr_nonnull(p);
    enum { N = 5000 };
    static void *o[N];
    for (int i = 0; i < N; i++) {
        o[i] = i & 1 ? magpool_inline_get(p) : magpool_get(p);
        ck_assert_ptr_nonnull(o[i]);
        ck_assert_uint_eq((uintptr_t)o[i] % 16, 0);
        memset(o[i], i & 0xff, 100);
    }
    ck_assert_uint_eq(pool_stats(p).active, N);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < 100; j += 33)
            ck_assert_int_eq(((unsigned char *)o[i])[j], i & 0xff);
    for (int i = 0; i < N; i++) {
        if (i % 3)
            magpool_inline_put(o[i]);
        else
            magpool_put(o[i]);
    }
    ck_assert_uint_eq(pool_stats(p).active, 0);
    void *z = magpool_inline_get0(p);
    for (int j = 0; j < 100; j++)
        ck_assert_int_eq(((unsigned char *)z)[j], 0);
    magpool_inline_put(z);
    magpool_destroy(p);
}
END_TEST

START_TEST(inline_put_ignores_foreign_pointers_and_detects_double_puts)
{
    struct magpool *p = magpool_inline_create("inline-bad", 64, NULL);
    void *a = magpool_inline_get(p);
    magpool_inline_put(a);
    char *heap = malloc(64);
    memset(heap, 0x77, 64);
    magpool_inline_put(heap + 16);
    magpool_inline_put(NULL);
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    char *m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(m, MAP_FAILED);
    munmap(m, pg);
    for (int k = 0; k < 8; k++)
        magpool_inline_put(m + pg + k);
    munmap(m + pg, pg);
    free(heap);
    ck_assert_uint_eq(pool_stats(p).double_puts, 0);
    magpool_inline_put(a);
    ck_assert_uint_eq(pool_stats(p).double_puts, 1);
    ck_assert_ptr_eq(magpool_inline_get(p), a);
    ck_assert_ptr_ne(magpool_inline_get(p), a);
    errno = 0;
    ck_assert_ptr_null(magpool_inline_get(NULL));
    ck_assert_int_eq(errno, EINVAL);
    magpool_destroy(p);
}
END_TEST

START_TEST(a_caller_compiled_for_another_layout_is_refused)
{
    errno = 0;
    ck_assert_ptr_null(magpool_create_abi("old", 64, NULL, MAGPOOL_INLINE_ABI + 1));
    ck_assert_int_eq(errno, EPROTO);
    errno = 0;
    ck_assert_ptr_null(magpool_create_abi("none", 64, NULL, 0));
    ck_assert_int_eq(errno, EPROTO);
    /* Version 1 callers do not count their gets: refused, or the
     * statistics would silently miss them. */
    errno = 0;
    ck_assert_ptr_null(magpool_create_abi("v1", 64, NULL, 1));
    ck_assert_int_eq(errno, EPROTO);
    /* Version 2 callers count their gets MAGPOOL_INLINE_GETS_SKEW words
     * too early: refused, or they would miscount and scribble on the
     * skew. */
    errno = 0;
    ck_assert_ptr_null(magpool_create_abi("v2", 64, NULL, 2));
    ck_assert_int_eq(errno, EPROTO);
}
END_TEST

static int cmp_ptr(const void *x, const void *y)
{
    uintptr_t a = (uintptr_t) * (void *const *)x, b = (uintptr_t) * (void *const *)y;
    return a < b ? -1 : a > b;
}

START_TEST(put_to_checks_the_header_and_sends_strays_to_their_own_pool)
{
    struct magpool *p = magpool_inline_create("to-a", 64, NULL);
    struct magpool *q = magpool_inline_create("to-b", 200, NULL);
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_nonnull(q);
    enum { N = 3000 };
    static void *a[N], *b[N];
    for (int i = 0; i < N; i++) {
        a[i] = magpool_inline_get(p);
        b[i] = magpool_get(q);
        ck_assert_ptr_nonnull(a[i]);
        ck_assert_ptr_nonnull(b[i]);
        memset(a[i], 0xa1, 64);
        memset(b[i], 0xb2, 200);
    }
    /* The right pool, the wrong one, none, and both entry points. */
    for (int i = 0; i < N; i++) {
        switch (i % 4) {
        case 0:
            magpool_inline_put_to(p, a[i]);
            magpool_put_to(q, b[i]);
            break;
        case 1:
            magpool_inline_put_to(q, a[i]);
            magpool_put_to(p, b[i]);
            break;
        case 2:
            magpool_inline_put_to(NULL, a[i]);
            magpool_put_to(NULL, b[i]);
            break;
        default:
            magpool_put_to(p, a[i]);
            magpool_inline_put_to(q, b[i]);
        }
    }
    ck_assert_uint_eq(pool_stats(p).active, 0);
    ck_assert_uint_eq(pool_stats(q).active, 0);
    ck_assert_uint_eq(pool_stats(p).double_puts, 0);
    ck_assert_uint_eq(pool_stats(q).double_puts, 0);
    /* Every object went back to the pool it came from: p hands out none
     * of q's (200-byte) objects, and all of its own again. */
    qsort(a, N, sizeof(void *), cmp_ptr);
    qsort(b, N, sizeof(void *), cmp_ptr);
    static void *again[N];
    for (int i = 0; i < N; i++) {
        again[i] = magpool_inline_get(p);
        ck_assert_ptr_null(bsearch(&again[i], b, N, sizeof(void *), cmp_ptr));
        ck_assert_ptr_nonnull(bsearch(&again[i], a, N, sizeof(void *), cmp_ptr));
    }
    for (int i = 0; i < N; i++)
        magpool_inline_put_to(p, again[i]);

    /* Double puts are caught whichever pool the caller names. */
    void *x = magpool_inline_get(p);
    magpool_inline_put_to(p, x);
    magpool_inline_put_to(p, x);
    ck_assert_uint_eq(pool_stats(p).double_puts, 1);
    magpool_put_to(q, x);
    ck_assert_uint_eq(pool_stats(p).double_puts, 2);
    ck_assert_uint_eq(pool_stats(q).double_puts, 0);

    /* Foreign pointers are ignored, and those in the first 8 bytes of a
     * page are not read at all (the page before is unmapped). */
    char *heap = malloc(64);
    memset(heap, 0x77, 64);
    magpool_inline_put_to(p, heap + 16);
    magpool_put_to(p, heap + 16);
    magpool_inline_put_to(p, NULL);
    magpool_put_to(p, NULL);
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    char *m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(m, MAP_FAILED);
    munmap(m, pg);
    for (int k = 0; k < 8; k++) {
        magpool_inline_put_to(p, m + pg + k);
        magpool_put_to(q, m + pg + k);
    }
    munmap(m + pg, pg);
    free(heap);
    /* A pointer one byte off one of p's objects is not p's. */
    char *y = magpool_inline_get(p);
    magpool_inline_put_to(p, y + 1);
    magpool_put_to(p, y - 1);
    magpool_inline_put_to(p, y + 8);
    ck_assert_uint_eq(pool_stats(p).active, 1);
    magpool_put_to(p, y);
    ck_assert_uint_eq(pool_stats(p).active, 0);
    ck_assert_uint_eq(pool_stats(p).double_puts, 2);
    /* x is in p's magazine once, not twice. */
    void *x1 = magpool_inline_get(p), *x2 = magpool_inline_get(p);
    ck_assert_ptr_eq(x1, x);
    ck_assert_ptr_ne(x2, x);
    magpool_inline_put_to(p, x1);
    magpool_inline_put_to(p, x2);
    ck_assert_uint_eq(pool_stats(p).active, 0);
    magpool_destroy(p);
    magpool_destroy(q);
}
END_TEST

static struct magpool *xp;
static void *box[512];
static int nbox;
static pthread_mutex_t box_lock = PTHREAD_MUTEX_INITIALIZER;
#define XN (200000 / MP_TEST_SCALE)

static void *consume(void *arg)
{
    (void)arg;
    for (int done = 0; done < XN;) {
        void *o = NULL;
        pthread_mutex_lock(&box_lock);
        if (nbox)
            o = box[--nbox];
        pthread_mutex_unlock(&box_lock);
        if (!o) {
            sched_yield();
            continue;
        }
        ck_assert_int_eq(*(int *)o, 0x5eed);
        *(int *)o = 0;
        if (done & 1)
            magpool_inline_put_to(xp, o);
        else
            magpool_inline_put(o);
        done++;
    }
    return NULL;
}

START_TEST(inline_objects_put_by_another_thread_flow_back)
{
    xp = magpool_inline_create("inline-xthread", 48, NULL);
    pthread_t t;
    pthread_create(&t, NULL, consume, NULL);
    for (int made = 0; made < XN;) {
        pthread_mutex_lock(&box_lock);
        bool room = nbox < 512;
        pthread_mutex_unlock(&box_lock);
        if (!room) {
            sched_yield();
            continue;
        }
        void *o = magpool_inline_get(xp);
        ck_assert_ptr_nonnull(o);
        *(int *)o = 0x5eed;
        pthread_mutex_lock(&box_lock);
        box[nbox++] = o;
        pthread_mutex_unlock(&box_lock);
        made++;
    }
    pthread_join(t, NULL);
    ck_assert_uint_eq(pool_stats(xp).active, 0);
    /* Little memory: the consumer's magazines went back to the producer. */
    ck_assert_uint_le(pool_stats(xp).chunks, 2);
    magpool_destroy(xp);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("inline");
    TCase *tc = tcase_create("inline");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, inline_get_and_put_mix_with_the_exported_functions);
    tcase_add_test(tc, inline_put_ignores_foreign_pointers_and_detects_double_puts);
    tcase_add_test(tc, a_caller_compiled_for_another_layout_is_refused);
    tcase_add_test(tc, put_to_checks_the_header_and_sends_strays_to_their_own_pool);
    tcase_add_test(tc, inline_objects_put_by_another_thread_flow_back);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(suite()); }
