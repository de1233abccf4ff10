/*
 * smallfiles.c - small-file metadata load over gfapi, with verification.
 *
 * Usage: smallfiles HOST VOLUME LOGFILE [THREADS [FILES [ROUNDS [DUMPDIR]]]]
 *
 * Each thread works in its own directory /sf.PID.T and, per round, creates
 * FILES files of 1-8 KiB with contents derived from (thread, round, index),
 * then stats and reads back every file and compares size and bytes, then
 * unlinks every file and checks it is gone.  This drives the pools a
 * brick and a gfapi client churn per file operation (call frames, dicts,
 * inodes, dentries, fds) from several threads at once, so objects are got
 * on one thread and put on another.  With DUMPDIR, a statedump of this
 * client (its [mempool] section included) is written there once the load
 * has stopped, before glfs_fini() destroys the volume's pools.
 *
 * Exit status: 0 when every operation succeeded and every byte matched;
 * 1 on any error or mismatch (each one is reported on stderr); 2 on bad
 * usage or a failure to connect.
 *
 * Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <glusterfs/api/glfs.h>

#define MIN_SIZE 1024
#define MAX_SIZE 8192

static glfs_t *fs;
static int nfiles = 200;
static int nrounds = 2;

struct worker {
    pthread_t tid;
    int id;
    unsigned long ops;
    unsigned long errors;
};

/* Reproducible contents: the same (thread, round, index) gives the same
 * size and bytes on write and on verify, and differs between files, so a
 * read served from the wrong file or the wrong block is caught. */
static uint64_t seed_of(int id, int round, int i)
{
    uint64_t x = ((uint64_t)id << 40) ^ ((uint64_t)round << 20) ^ (uint64_t)i;
    return x * 0x9e3779b97f4a7c15ULL + 1;
}

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static size_t fill(unsigned char *buf, int id, int round, int i)
{
    uint64_t s = seed_of(id, round, i);
    size_t size = MIN_SIZE + next(&s) % (MAX_SIZE - MIN_SIZE + 1);
    for (size_t k = 0; k < size; k++)
        buf[k] = (unsigned char)(next(&s) >> 24);
    return size;
}

#define FAIL(w, ...)                                                          \
    do {                                                                      \
        fprintf(stderr, "smallfiles: " __VA_ARGS__);                          \
        fputc('\n', stderr);                                                  \
        (w)->errors++;                                                        \
    } while (0)

static void write_file(struct worker *w, const char *path,
                       const unsigned char *buf, size_t size)
{
    glfs_fd_t *fd = glfs_creat(fs, path, O_CREAT | O_EXCL | O_WRONLY, 0644);
    w->ops++;
    if (!fd) {
        FAIL(w, "creat %s: %s", path, strerror(errno));
        return;
    }
    size_t done = 0;
    while (done < size) {
        ssize_t n = glfs_write(fd, buf + done, size - done, 0);
        w->ops++;
        if (n <= 0) {
            FAIL(w, "write %s at %zu: %s", path, done,
                 n < 0 ? strerror(errno) : "wrote nothing");
            break;
        }
        done += (size_t)n;
    }
    if (glfs_close(fd))
        FAIL(w, "close %s after write: %s", path, strerror(errno));
    w->ops++;
}

static void verify_file(struct worker *w, const char *path,
                        const unsigned char *want, size_t size,
                        unsigned char *got)
{
    struct stat st;
    w->ops++;
    if (glfs_stat(fs, path, &st)) {
        FAIL(w, "stat %s: %s", path, strerror(errno));
        return;
    }
    if (!S_ISREG(st.st_mode) || (size_t)st.st_size != size)
        FAIL(w, "stat %s: mode %o size %lld, want a regular file of %zu",
             path, (unsigned)st.st_mode, (long long)st.st_size, size);

    glfs_fd_t *fd = glfs_open(fs, path, O_RDONLY);
    w->ops++;
    if (!fd) {
        FAIL(w, "open %s: %s", path, strerror(errno));
        return;
    }
    /* Ask for one byte more than written, to catch a file that is long. */
    size_t done = 0;
    for (;;) {
        ssize_t n = glfs_read(fd, got + done, MAX_SIZE + 1 - done, 0);
        w->ops++;
        if (n < 0) {
            FAIL(w, "read %s at %zu: %s", path, done, strerror(errno));
            break;
        }
        if (n == 0)
            break;
        done += (size_t)n;
        if (done > MAX_SIZE)
            break;
    }
    if (done != size)
        FAIL(w, "read %s: %zu bytes, want %zu", path, done, size);
    else if (memcmp(got, want, size)) {
        size_t k = 0;
        while (got[k] == want[k])
            k++;
        FAIL(w, "read %s: byte %zu is %#x, want %#x", path, k, got[k],
             want[k]);
    }
    if (glfs_close(fd))
        FAIL(w, "close %s after read: %s", path, strerror(errno));
    w->ops++;
}

static void remove_file(struct worker *w, const char *path)
{
    struct stat st;
    w->ops += 2;
    if (glfs_unlink(fs, path)) {
        FAIL(w, "unlink %s: %s", path, strerror(errno));
        return;
    }
    if (glfs_stat(fs, path, &st) == 0)
        FAIL(w, "stat %s after unlink: still there", path);
    else if (errno != ENOENT)
        FAIL(w, "stat %s after unlink: %s", path, strerror(errno));
}

static void *run(void *arg)
{
    struct worker *w = arg;
    unsigned char want[MAX_SIZE], got[MAX_SIZE + 1];
    char dir[64], path[96];

    snprintf(dir, sizeof(dir), "/sf.%d.%d", (int)getpid(), w->id);
    w->ops++;
    if (glfs_mkdir(fs, dir, 0755)) {
        FAIL(w, "mkdir %s: %s", dir, strerror(errno));
        return NULL;
    }
    for (int r = 0; r < nrounds; r++) {
        for (int i = 0; i < nfiles; i++) {
            snprintf(path, sizeof(path), "%s/f%d", dir, i);
            size_t size = fill(want, w->id, r, i);
            write_file(w, path, want, size);
        }
        for (int i = 0; i < nfiles; i++) {
            snprintf(path, sizeof(path), "%s/f%d", dir, i);
            size_t size = fill(want, w->id, r, i);
            verify_file(w, path, want, size, got);
        }
        for (int i = 0; i < nfiles; i++) {
            snprintf(path, sizeof(path), "%s/f%d", dir, i);
            remove_file(w, path);
        }
    }
    w->ops++;
    if (glfs_rmdir(fs, dir))
        FAIL(w, "rmdir %s: %s", dir, strerror(errno));
    return NULL;
}

static int positive(const char *s, const char *what)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v < 1 || v > 100000) {
        fprintf(stderr, "smallfiles: bad %s '%s'\n", what, s);
        exit(2);
    }
    return (int)v;
}

int main(int argc, char **argv)
{
    int nthreads = 4;

    if (argc < 4 || argc > 8) {
        fprintf(stderr, "usage: smallfiles HOST VOLUME LOGFILE "
                        "[THREADS [FILES [ROUNDS [DUMPDIR]]]]\n");
        return 2;
    }
    if (argc > 4)
        nthreads = positive(argv[4], "thread count");
    if (argc > 5)
        nfiles = positive(argv[5], "file count");
    if (argc > 6)
        nrounds = positive(argv[6], "round count");

    fs = glfs_new(argv[2]);
    if (!fs) {
        fprintf(stderr, "smallfiles: glfs_new: %s\n", strerror(errno));
        return 2;
    }
    if (glfs_set_volfile_server(fs, "tcp", argv[1], 24007) ||
        glfs_set_logging(fs, argv[3], 7) ||
        (argc > 7 && glfs_set_statedump_path(fs, argv[7]))) {
        fprintf(stderr, "smallfiles: glfs setup: %s\n", strerror(errno));
        return 2;
    }
    if (glfs_init(fs)) {
        fprintf(stderr, "smallfiles: glfs_init %s:%s: %s (see %s)\n",
                argv[1], argv[2], strerror(errno), argv[3]);
        return 2;
    }

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct worker *w = calloc((size_t)nthreads, sizeof(*w));
    if (!w) {
        perror("smallfiles: calloc");
        return 2;
    }
    for (int t = 0; t < nthreads; t++) {
        w[t].id = t;
        int e = pthread_create(&w[t].tid, NULL, run, &w[t]);
        if (e) {
            fprintf(stderr, "smallfiles: pthread_create: %s\n", strerror(e));
            return 2;
        }
    }
    unsigned long ops = 0, errors = 0;
    for (int t = 0; t < nthreads; t++) {
        pthread_join(w[t].tid, NULL);
        ops += w[t].ops;
        errors += w[t].errors;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) +
               (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("smallfiles: %d threads x %d files x %d rounds: %lu operations "
           "in %.2f s (%.0f/s), %lu errors\n",
           nthreads, nfiles, nrounds, ops, s, ops / s, errors);
    free(w);

    if (argc > 7 && glfs_sysrq(fs, GLFS_SYSRQ_STATEDUMP)) {
        fprintf(stderr, "smallfiles: statedump: %s\n", strerror(errno));
        errors++;
    }
    if (glfs_fini(fs)) {
        fprintf(stderr, "smallfiles: glfs_fini: %s\n", strerror(errno));
        errors++;
    }
    return errors ? 1 : 0;
}
