/*
 * testutil.h - small helpers shared by the Check test programs.
 */
#ifndef MP_TESTUTIL_H
#define MP_TESTUTIL_H

#include <check.h>
#include <dirent.h>
#include <sched.h>
#include <stdatomic.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "magpool.h"

/* Resident set size of this process, in bytes. */
static inline size_t rss_bytes(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = 0;
    fclose(f);
    return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

/* Threads of this process whose name (comm) is `name`; if sigblk is not
 * NULL, the blocked-signal mask of the last one found. */
static inline int threads_named(const char *name, unsigned long long *sigblk)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[300], comm[64] = "", line[256];
        snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue; /* exited meanwhile */
        if (!fgets(comm, sizeof(comm), f))
            comm[0] = 0;
        fclose(f);
        comm[strcspn(comm, "\n")] = 0;
        if (strcmp(comm, name))
            continue;
        n++;
        snprintf(path, sizeof(path), "/proc/self/task/%s/status", e->d_name);
        if (sigblk && (f = fopen(path, "r"))) {
            while (fgets(line, sizeof(line), f))
                if (sscanf(line, "SigBlk: %llx", sigblk) == 1)
                    break;
            fclose(f);
        }
    }
    if (d)
        closedir(d);
    return n;
}

static inline double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline struct magpool_stats pool_stats(struct magpool *p)
{
    struct magpool_stats st;
    ck_assert_int_eq(magpool_stats(p, &st), 0);
    return st;
}

/* Standard error into an anonymous file (unlinked as soon as it is open,
 * so that a test that aborts leaves nothing in /tmp); returns its
 * descriptor, for captured_from(). */
static inline int capture_stderr_fd(void)
{
    char path[64];
    snprintf(path, sizeof(path), "/tmp/magpool-test-stderr.%d", (int)getpid());
    int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
    ck_assert_int_ge(fd, 0);
    unlink(path);
    dup2(fd, 2);
    return fd;
}

/* What was written to the capture file fd so far. */
static inline const char *captured_from(int fd)
{
    static char buf[8192];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    ck_assert_int_ge(n, 0);
    buf[n] = 0;
    return buf;
}

/* Run one suite; exit status for automake's test driver. */
static inline int run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Under sanitizers everything is slower: scale loop counts down. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define MP_TEST_SCALE 10
#define MP_TEST_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define MP_TEST_SCALE 10
#define MP_TEST_SANITIZER 1
#endif
#endif

/* gcc 12's AddressSanitizer does not protect its allocator across fork():
 * a child forked while another thread is inside malloc deadlocks in
 * ASan's own lock (seen in gdb: every child thread waiting in
 * SizeClassAllocator64::GetFromAllocator).  Tests that fork from a
 * parent whose threads allocate run in the plain build only. */
#if defined(__SANITIZE_ADDRESS__)
#define MP_TEST_NO_BUSY_FORK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MP_TEST_NO_BUSY_FORK 1
#endif
#endif
#ifndef MP_TEST_SCALE
#define MP_TEST_SCALE 1
#endif

/* Under user-mode emulation (tests/arm64/inside.sh runs the arm64
 * build's tests under qemu-user and sets MAGPOOL_TEST_EMULATOR to its
 * name), a test of what the emulator does not emulate says so and
 * passes without checking: the reason is printed, the test is counted
 * by the runner as skipped. */
#define MP_SKIP_IF_EMULATED(why)                                          \
    do {                                                                  \
        const char *emu_ = getenv("MAGPOOL_TEST_EMULATOR");               \
        if (emu_ && *emu_) {                                              \
            fprintf(stderr, "%s: skipped under %s: %s\n", __func__, emu_, \
                    why);                                                 \
            return;                                                       \
        }                                                                 \
    } while (0)

#endif
