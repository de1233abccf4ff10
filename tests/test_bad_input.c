/*
 * test_bad_input.c - wrong usage gets a clear result and corrupts
 * nothing.
 */
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <pthread.h>
#include <unistd.h>

#include "testutil.h"

START_TEST(get_from_null_pool_fails_with_EINVAL)
{
    errno = 0;
    ck_assert_ptr_null(magpool_get(NULL));
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    ck_assert_ptr_null(magpool_get0(NULL));
    ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(create_with_bad_size_or_options_fails_with_EINVAL)
{
    errno = 0;
    ck_assert_ptr_null(magpool_create("zero", 0, NULL));
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    ck_assert_ptr_null(magpool_create("huge", MAGPOOL_MAX_OBJECT_SIZE + 1, NULL));
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    ck_assert_ptr_null(magpool_create("wrap", SIZE_MAX, NULL));
    ck_assert_int_eq(errno, EINVAL);
    struct magpool_options o = { .mag_capacity = 2 };
    errno = 0;
    ck_assert_ptr_null(magpool_create("tiny-mag", 64, &o));
    ck_assert_int_eq(errno, EINVAL);
    o = (struct magpool_options){ .flags = 0x80 };
    errno = 0;
    ck_assert_ptr_null(magpool_create("bad-flag", 64, &o));
    ck_assert_int_eq(errno, EINVAL);
    struct magpool *p = magpool_create("largest", MAGPOOL_MAX_OBJECT_SIZE, NULL);
    ck_assert_ptr_nonnull(p);
    void *big = magpool_get(p);
    ck_assert_ptr_nonnull(big);
    memset(big, 1, MAGPOOL_MAX_OBJECT_SIZE);
    magpool_put(big);
    magpool_destroy(p);
}
END_TEST

START_TEST(put_of_null_is_a_noop)
{
    struct magpool *p = magpool_create("null-put", 64, NULL);
    void *o = magpool_get(p);
    magpool_put(NULL);
    magpool_put(o);
    ck_assert_ptr_eq(magpool_get(p), o);
    magpool_put(o);
    magpool_destroy(p);
}
END_TEST

START_TEST(put_of_foreign_pointers_is_ignored)
{
    struct magpool *p = magpool_create("foreign", 64, NULL);
    void *o = magpool_get(p);
    magpool_put(o);
    struct magpool_stats before = pool_stats(p);
    char *heap = malloc(64);
    uint64_t stack[4] = { 0, 0x21, 0, 0 };
    static uint64_t words[16];
    for (int i = 0; i < 16; i++)
        words[i] = (uint64_t)i * 0x0101010101010101ull;
    magpool_put(heap);
    magpool_put(&stack[1]);
    for (int i = 1; i < 16; i++)
        magpool_put(&words[i]);
    /* Nothing entered the pool: the next get is still the real object. */
    ck_assert_ptr_eq(magpool_get(p), o);
    struct magpool_stats after = pool_stats(p);
    ck_assert_uint_eq(after.double_puts, before.double_puts);
    ck_assert_uint_eq(after.active, 1);
    free(heap);
    magpool_put(o);
    magpool_destroy(p);
}
END_TEST

START_TEST(double_put_is_detected_and_never_hands_an_object_twice)
{
    struct magpool *p = magpool_create("double", 64, NULL);
    void *a = magpool_get(p);
    void *b = magpool_get(p);
    magpool_put(a);
    magpool_put(a);
    ck_assert_uint_eq(pool_stats(p).double_puts, 1);
    void *x = magpool_get(p);
    void *y = magpool_get(p);
    ck_assert_ptr_ne(x, y);
    ck_assert_ptr_eq(x, a);
    /* Double put much later, after the object went through the depot. */
    magpool_put(x);
    magpool_put(y);
    magpool_put(b);
    magpool_thread_flush();
    magpool_put(b);
    ck_assert_uint_eq(pool_stats(p).double_puts, 2);
    ck_assert_uint_eq(pool_stats(p).active, 0);
    magpool_destroy(p);
}
END_TEST

START_TEST(foreign_pointer_1_to_7_bytes_into_a_page_after_a_hole_is_ignored)
{
    struct magpool *p = magpool_create("page-head", 64, NULL);
    void *o = magpool_get(p);
    magpool_put(o);
    /* Two pages (of the system's size); the first is unmapped, so
     * reading 8 bytes in front of page + k (k < 8) would fault. */
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    char *m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(m, MAP_FAILED);
    ck_assert_int_eq(munmap(m, pg), 0);
    for (int k = 0; k < 16; k++)
        magpool_put(m + pg + k);
    /* Misaligned pointers further into a page are read without
     * undefined behaviour (UBSan checks this) and ignored. */
    for (int k = 9; k < 16; k++)
        magpool_put(m + pg + 64 + k);
    /* Nothing entered the pool. */
    ck_assert_ptr_eq(magpool_get(p), o);
    ck_assert_uint_eq(pool_stats(p).double_puts, 0);
    magpool_put(o);
    munmap(m + pg, pg);
    magpool_destroy(p);
}
END_TEST

START_TEST(double_put_after_the_chunk_went_back_to_the_kernel_is_ignored)
{
    struct magpool *p = magpool_create("retired", 256, NULL);
    enum { N = 20000 };
    static void *o[N];
    for (int i = 0; i < N; i++)
        ck_assert_ptr_nonnull(o[i] = magpool_get(p));
    for (int i = 0; i < N; i++)
        magpool_put(o[i]);
    magpool_thread_flush();
    ck_assert_uint_gt(magpool_trim(p), 0);
    struct magpool_stats st = pool_stats(p);
    ck_assert_uint_eq(st.chunks, 0);
    /* Every object's chunk is back with the kernel: put them all again. */
    for (int i = 0; i < N; i++)
        magpool_put(o[i]);
    st = pool_stats(p);
    ck_assert_uint_eq(st.active, 0);
    ck_assert_uint_eq(st.in_threads, 0);
    /* The pool is intact: N distinct objects again. */
    for (int i = 0; i < N; i++)
        ck_assert_ptr_nonnull(o[i] = magpool_get(p));
    for (int i = 0; i < N; i++)
        memset(o[i], 0xa5, 256);
    ck_assert_uint_eq(pool_stats(p).active, N);
    for (int i = 0; i < N; i++)
        magpool_put(o[i]);
    /* And once more after the pool itself is gone. */
    magpool_destroy(p);
    for (int i = 0; i < N; i++)
        magpool_put(o[i]);
}
END_TEST

START_TEST(null_arguments_elsewhere_fail_with_EINVAL)
{
    struct magpool_stats st;
    errno = 0;
    ck_assert_int_eq(magpool_stats(NULL, &st), -1);
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    magpool_destroy(NULL);
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    ck_assert_uint_eq(magpool_obj_size(NULL), 0);
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    ck_assert_int_eq(magpool_stats_dump(NULL), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(magpool_stats_dump("/nonexistent-dir/x"), -1);
    ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(out_of_memory_gives_ENOMEM_and_loses_nothing)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    /* Sanitizers reserve terabytes of shadow memory: an address-space
     * limit cannot be set under them.  The plain build runs this. */
    return;
#endif
    MP_SKIP_IF_EMULATED("qemu-user ignores the program's RLIMIT_AS (it would "
                        "limit the emulator too)");
    struct magpool *p = magpool_create("oom", 60000, NULL);
    ck_assert_ptr_nonnull(p);
    struct rlimit rl = { 256ul << 20, 256ul << 20 };
    /* A fresh address-space limit just above what the process uses. */
    FILE *f = fopen("/proc/self/statm", "r");
    long vm_pages = 0;
    ck_assert_int_eq(fscanf(f, "%ld", &vm_pages), 1);
    fclose(f);
    rl.rlim_cur = rl.rlim_max =
        (rlim_t)vm_pages * (rlim_t)sysconf(_SC_PAGESIZE) + (64ul << 20);
    ck_assert_int_eq(setrlimit(RLIMIT_AS, &rl), 0);
    static void *objs[100000];
    size_t n = 0;
    for (;;) {
        errno = 0;
        void *o = magpool_get(p);
        if (!o)
            break;
        objs[n++] = o;
        ck_assert_uint_lt(n, 100000);
    }
    ck_assert_int_eq(errno, ENOMEM);
    ck_assert_uint_gt(n, 100);
    ck_assert_uint_eq(pool_stats(p).active, n);
    for (size_t i = 0; i < n; i++)
        magpool_put(objs[i]);
    ck_assert_uint_eq(pool_stats(p).active, 0);
    /* Everything is usable again. */
    for (size_t i = 0; i < n; i++)
        ck_assert_ptr_nonnull(objs[i] = magpool_get(p));
    for (size_t i = 0; i < n; i++)
        magpool_put(objs[i]);
    magpool_destroy(p);
}
END_TEST

START_TEST(a_malformed_environment_value_gives_a_message_not_a_hang)
{
    /* Each test is its own process: this is its first pool, so the
     * options are parsed here.  Before 0.1.0 the message about the bad
     * value called back into the initialization it came from and waited
     * for itself forever (the test's timeout caught it). */
    setenv("MAGPOOL_MAG_BYTES", "junk", 1);
    setenv("MAGPOOL_SWEEP_MS", "-5", 1);
    setenv("MAGPOOL_MAG_GROW_BYTES", "1e9", 1);
    setenv("MAGPOOL_MAG_GROW_RATE", "0", 1);
    setenv("MAGPOOL_DEBUG", "yes", 1);
    struct magpool *p = magpool_create("after-bad-env", 64, NULL);
    ck_assert_ptr_nonnull(p);
    magpool_put(magpool_get(p));
    struct magpool_stats st = pool_stats(p);
    ck_assert_uint_eq(st.mag_capacity, 64); /* 4096 / 64: the default */
    ck_assert_uint_eq(st.block_size, 80);   /* debugging stayed off */
    magpool_destroy(p);
}
END_TEST

static pthread_barrier_t null_barrier;

static void *put_nulls(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&null_barrier);
    for (int i = 0; i < 200; i++)
        magpool_put(NULL);
    return NULL;
}

START_TEST(magpool_quiet_holds_for_messages_that_race_the_parsing_of_the_options)
{
    /* Each child is a fresh process whose two threads print their first
     * messages (a put of NULL says so) at once: one of them parses the
     * options, the other must wait for MAGPOOL_QUIET rather than print
     * before it is read.  This process calls no magpool function before
     * forking, so every child parses the options itself. */
    setenv("MAGPOOL_QUIET", "1", 1);
    int fd = capture_stderr_fd();
    for (int round = 0; round < 40; round++) {
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            pthread_t t[2];
            pthread_barrier_init(&null_barrier, NULL, 2);
            for (int i = 0; i < 2; i++)
                if (pthread_create(&t[i], NULL, put_nulls, NULL))
                    _exit(2);
            for (int i = 0; i < 2; i++)
                pthread_join(t[i], NULL);
            _exit(0);
        }
        int status;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                      "child status %d", status);
    }
    const char *e = captured_from(fd);
    ck_assert_msg(e[0] == 0, "a message under MAGPOOL_QUIET=1: %s", e);
    close(fd);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("bad_input");
    TCase *tc = tcase_create("bad_input");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, get_from_null_pool_fails_with_EINVAL);
    tcase_add_test(tc, create_with_bad_size_or_options_fails_with_EINVAL);
    tcase_add_test(tc, put_of_null_is_a_noop);
    tcase_add_test(tc, put_of_foreign_pointers_is_ignored);
    tcase_add_test(tc, double_put_is_detected_and_never_hands_an_object_twice);
    tcase_add_test(tc, foreign_pointer_1_to_7_bytes_into_a_page_after_a_hole_is_ignored);
    tcase_add_test(tc, double_put_after_the_chunk_went_back_to_the_kernel_is_ignored);
    tcase_add_test(tc, null_arguments_elsewhere_fail_with_EINVAL);
    tcase_add_test(tc, out_of_memory_gives_ENOMEM_and_loses_nothing);
    tcase_add_test(tc, a_malformed_environment_value_gives_a_message_not_a_hang);
    tcase_add_test(tc, magpool_quiet_holds_for_messages_that_race_the_parsing_of_the_options);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(suite()); }
