/*
 * test_debug.c - MAGPOOL_DEBUG (magpool(7), DEBUGGING): a use after put,
 * an overflow past an object, a double put are each reported with the
 * pool's name and the address; MAGPOOL_DEBUG=abort aborts; the quarantine
 * keeps a put object from coming back at once; a clean program gets no
 * report; every operation takes the slow path (no thread cache); the
 * statistics stay exact.  Each test runs in its own process (Check's fork
 * mode), which reads MAGPOOL_DEBUG at its first pool.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include "magpool/inline.h"
#include "testutil.h"

/* Send stderr to a file; return what was written to it when asked. */
static int cap_fd = -1;   /* the capture file, already unlinked */
static int saved_err = -1;

static void capture_stderr(void)
{
    saved_err = dup(2);
    cap_fd = capture_stderr_fd();
}

static const char *captured(void) { return captured_from(cap_fd); }

static void debug_env(const char *mode, const char *quarantine)
{
    setenv("MAGPOOL_DEBUG", mode, 1);
    if (quarantine)
        setenv("MAGPOOL_DEBUG_QUARANTINE", quarantine, 1);
    capture_stderr();
}

static void teardown(void)
{
    if (saved_err >= 0) {
        dup2(saved_err, 2);
        close(saved_err);
        saved_err = -1;
    }
    if (cap_fd >= 0) {
        close(cap_fd);
        cap_fd = -1;
    }
}

START_TEST(a_write_after_put_is_reported_at_the_next_get_with_the_pool_name)
{
    debug_env("1", "0"); /* no quarantine: the object comes straight back */
    struct magpool *p = magpool_create("frames", 100, NULL);
    unsigned char *o = magpool_get(p);
    magpool_put(o);
    o[50] = 0x11; /* the bug */
    unsigned char *again = magpool_get(p);
    ck_assert_ptr_eq(again, o);
    const char *e = captured();
    ck_assert_msg(strstr(e, "use after put") && strstr(e, "\"frames\"") &&
                      strstr(e, "byte 50 is 0x11"),
                  "report: %s", e);
    char addr[32];
    snprintf(addr, sizeof(addr), "%p", (void *)o);
    ck_assert_msg(strstr(e, addr), "no address %s in: %s", addr, e);
    magpool_put(again);
    magpool_destroy(p);
}
END_TEST

START_TEST(a_write_past_the_end_is_reported_at_its_put)
{
    debug_env("1", NULL);
    struct magpool *p = magpool_create("dict_t", 24, NULL);
    unsigned char *o = magpool_get(p);
    memset(o, 0, 25); /* one byte too many */
    magpool_put(o);
    const char *e = captured();
    ck_assert_msg(strstr(e, "overflow") && strstr(e, "\"dict_t\""), "report: %s", e);
    magpool_destroy(p);
}
END_TEST

START_TEST(a_double_put_is_reported_and_ignored)
{
    debug_env("1", NULL);
    struct magpool *p = magpool_create("data_t", 32, NULL);
    void *o = magpool_get(p);
    magpool_put(o);
    magpool_put(o);
    const char *e = captured();
    ck_assert_msg(strstr(e, "double put") && strstr(e, "\"data_t\""), "report: %s", e);
    struct magpool_stats st = pool_stats(p);
    ck_assert_uint_eq(st.double_puts, 1);
    ck_assert_uint_eq(st.active, 0);
    /* The object was not put twice into the pool: two gets, two objects. */
    void *a = magpool_get(p), *b = magpool_get(p);
    ck_assert_ptr_ne(a, b);
    magpool_put(a);
    magpool_put(b);
    magpool_destroy(p);
}
END_TEST

START_TEST(magpool_quiet_silences_messages_but_not_the_debug_reports)
{
    /* The reports are what MAGPOOL_DEBUG was set for; MAGPOOL_QUIET
     * silences the rest (here: a put of NULL, which otherwise says so). */
    setenv("MAGPOOL_QUIET", "1", 1);
    debug_env("1", NULL);
    struct magpool *p = magpool_create("quiet_t", 32, NULL);
    magpool_put(NULL);
    void *o = magpool_get(p);
    magpool_put(o);
    magpool_put(o);
    const char *e = captured();
    ck_assert_msg(strstr(e, "DEBUG: double put") && strstr(e, "\"quiet_t\""),
                  "report: %s", e);
    ck_assert_msg(!strstr(e, "NULL"), "a message under MAGPOOL_QUIET: %s", e);
    ck_assert_uint_eq(pool_stats(p).double_puts, 1);
    magpool_destroy(p);
}
END_TEST

START_TEST(abort_mode_aborts_at_the_first_report)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        debug_env("abort", NULL);
        struct magpool *p = magpool_create("aborting", 32, NULL);
        void *o = magpool_get(p);
        magpool_put(o);
        magpool_put(o);
        _exit(0);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
                  "status %#x", status);
}
END_TEST

START_TEST(the_quarantine_keeps_a_put_object_out_for_that_many_puts)
{
    debug_env("1", "8");
    struct magpool *p = magpool_create("quarantined", 64, NULL);
    void *first = magpool_get(p);
    magpool_put(first);
    /* Seven more puts: first is still in the quarantine. */
    void *o[16];
    for (int i = 0; i < 7; i++)
        o[i] = magpool_get(p);
    for (int i = 0; i < 7; i++) {
        ck_assert_ptr_ne(o[i], first);
        magpool_put(o[i]);
    }
    for (int i = 0; i < 16; i++)
        ck_assert_ptr_ne(o[i] = magpool_get(p), NULL);
    ck_assert_uint_eq(pool_stats(p).active, 16);
    for (int i = 0; i < 16; i++)
        magpool_put(o[i]);
    /* Quarantined objects are not in use. */
    ck_assert_uint_eq(pool_stats(p).active, 0);
    magpool_destroy(p);
}
END_TEST

START_TEST(a_clean_program_gets_no_report_and_every_op_is_slow)
{
    debug_env("1", "64");
    struct magpool *p = magpool_create("clean", 200, NULL);
    struct magpool *q = magpool_inline_create("clean-inline", 40, NULL);
    void *o[500];
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 500; i++) {
            o[i] = i % 2 ? magpool_get0(p) : magpool_get(p);
            memset(o[i], i, 200);
        }
        for (int i = 0; i < 500; i++)
            magpool_put(o[i]);
        for (int i = 0; i < 100; i++) {
            void *x = magpool_inline_get0(q);
            memset(x, 1, 40);
            magpool_inline_put(x);
        }
    }
    ck_assert_str_eq(captured(), "");
    struct magpool_stats st = pool_stats(p);
    ck_assert_uint_eq(st.alloc_count, 10000);
    ck_assert_uint_eq(st.active, 0);
    /* No magazine was ever used. */
    ck_assert_uint_eq(st.in_threads, 0);
    ck_assert_uint_eq(st.depot_full_hits + st.depot_empty_hits, 0);
    ck_assert_uint_eq(pool_stats(q).alloc_count, 2000);
    /* The canary area makes each block 16 bytes bigger. */
    ck_assert_uint_eq(st.block_size, 224);
    magpool_destroy(p);
    magpool_destroy(q);
}
END_TEST

START_TEST(magpool_debug_0_leaves_the_fast_path_on)
{
    debug_env("0", NULL);
    struct magpool *p = magpool_create("fast", 64, NULL);
    for (int i = 0; i < 1000; i++)
        magpool_put(magpool_get(p));
    ck_assert_uint_eq(pool_stats(p).block_size, 80);
    ck_assert_uint_gt(pool_stats(p).in_threads, 0);
    magpool_destroy(p);
}
END_TEST

START_TEST(a_bad_magpool_debug_value_is_refused_with_a_message)
{
    debug_env("yes", NULL);
    struct magpool *p = magpool_create("bad-value", 64, NULL);
    magpool_put(magpool_get(p));
    ck_assert_msg(strstr(captured(), "MAGPOOL_DEBUG=\"yes\" is not 0, 1 or abort"),
                  "message: %s", captured());
    ck_assert_uint_eq(pool_stats(p).block_size, 80); /* off */
    magpool_destroy(p);
}
END_TEST

/* A write after put into an object that is never got again: the
 * quarantine keeps it past the program's last get. */
static void write_after_put(struct magpool *p, size_t at, unsigned char v)
{
    unsigned char *o = magpool_get(p);
    ck_assert_ptr_nonnull(o);
    magpool_put(o);
    o[at] = v; /* the bug */
    magpool_put(magpool_get(p));
}

START_TEST(a_write_after_put_is_reported_when_the_object_leaves_the_quarantine)
{
    debug_env("1", "2");
    struct magpool *p = magpool_create("evicted", 100, NULL);
    write_after_put(p, 30, 0x33);
    ck_assert_ptr_null(strstr(captured(), "use after put"));
    void *a = magpool_get(p), *b = magpool_get(p);
    magpool_put(a);
    magpool_put(b); /* pushes the written object out of the quarantine */
    const char *e = captured();
    ck_assert_msg(strstr(e, "use after put") && strstr(e, "\"evicted\"") &&
                      strstr(e, "byte 30 is 0x33") &&
                      strstr(e, "left the quarantine"),
                  "report: %s", e);
    magpool_destroy(p);
}
END_TEST

START_TEST(a_write_after_put_is_reported_when_its_pool_is_destroyed)
{
    debug_env("1", NULL); /* the default quarantine: 1024 objects */
    struct magpool *p = magpool_create("late-frames", 100, NULL);
    write_after_put(p, 20, 0x22);
    ck_assert_ptr_null(strstr(captured(), "use after put"));
    magpool_destroy(p);
    const char *e = captured();
    ck_assert_msg(strstr(e, "use after put") && strstr(e, "\"late-frames\"") &&
                      strstr(e, "byte 20 is 0x22") && strstr(e, "destroyed"),
                  "report: %s", e);
}
END_TEST

START_TEST(a_write_after_put_is_reported_at_magpool_fini)
{
    debug_env("1", NULL);
    ck_assert_int_eq(magpool_init(), 0);
    struct magpool *p = magpool_create("fini-frames", 64, NULL);
    write_after_put(p, 0, 0x44); /* the first byte is checked too */
    magpool_fini();
    const char *e = captured();
    ck_assert_msg(strstr(e, "use after put") && strstr(e, "\"fini-frames\"") &&
                      strstr(e, "byte 0 is 0x44") && strstr(e, "magpool_fini"),
                  "report: %s", e);
    magpool_destroy(p);
}
END_TEST

/* The short program of the report: get, put, write, one more get and put,
 * exit without destroying the pool.  In abort mode it must abort. */
static int exit_after_write(const char *mode)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        setenv("MAGPOOL_DEBUG", mode, 1);
        struct magpool *p = magpool_create("exit-frames", 48, NULL);
        write_after_put(p, 40, 0x55);
        exit(0);
    }
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    return st;
}

START_TEST(a_write_after_put_is_reported_at_exit)
{
    capture_stderr();
    int st = exit_after_write("1");
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    const char *e = captured();
    ck_assert_msg(strstr(e, "use after put") && strstr(e, "\"exit-frames\"") &&
                      strstr(e, "byte 40 is 0x55") && strstr(e, "at exit"),
                  "report: %s", e);
    st = exit_after_write("abort");
    ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT,
                  "abort mode: status 0x%x", st);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("debug");
    TCase *tc = tcase_create("debug");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, a_write_after_put_is_reported_at_the_next_get_with_the_pool_name);
    tcase_add_test(tc, a_write_past_the_end_is_reported_at_its_put);
    tcase_add_test(tc, a_double_put_is_reported_and_ignored);
    tcase_add_test(tc, magpool_quiet_silences_messages_but_not_the_debug_reports);
    tcase_add_test(tc, abort_mode_aborts_at_the_first_report);
    tcase_add_test(tc, the_quarantine_keeps_a_put_object_out_for_that_many_puts);
    tcase_add_test(tc, a_clean_program_gets_no_report_and_every_op_is_slow);
    tcase_add_test(tc, magpool_debug_0_leaves_the_fast_path_on);
    tcase_add_test(tc, a_bad_magpool_debug_value_is_refused_with_a_message);
    tcase_add_test(tc, a_write_after_put_is_reported_when_the_object_leaves_the_quarantine);
    tcase_add_test(tc, a_write_after_put_is_reported_when_its_pool_is_destroyed);
    tcase_add_test(tc, a_write_after_put_is_reported_at_magpool_fini);
    tcase_add_test(tc, a_write_after_put_is_reported_at_exit);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(suite()); }
