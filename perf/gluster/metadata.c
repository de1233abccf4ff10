/*
 * metadata.c - a metadata workload over gfapi, in phases, for the RSS
 * and CPU of a brick and of a client over time (bench.sh, metadata).
 *
 * Usage: metadata HOST VOLUME LOGFILE THREADS FILES IDLE_SECONDS
 *
 * THREADS threads each own a directory /md.PID.T and work through FILES
 * files in it, every thread through the same phases, one after the
 * other (a barrier between phases):
 *   create   glfs_creat + glfs_close of each (empty) file
 *   stat     glfs_stat of each
 *   list     glfs_opendir + glfs_readdir of its directory (counted: every
 *            file must be listed)
 *   idle     IDLE_SECONDS of nothing (the pools' working set goes)
 *   unlink   glfs_unlink of each, then rmdir
 *   idle2    IDLE_SECONDS again
 * For each phase it prints one line to stdout, as soon as the phase ends:
 *   phase NAME start_unix_s end_unix_s ops errors
 * (times with 3 decimals, CLOCK_REALTIME, so that a sampler outside can
 * place its samples in phases).
 *
 * Exit status: 0 when every operation succeeded; 1 on any error (each
 * reported on stderr); 2 on bad usage or a failure to connect.
 *
 * Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <glusterfs/api/glfs.h>

enum { CREATE, STAT, LIST, UNLINK, NPHASES };
static const char *const phase_name[NPHASES] = { "create", "stat", "list",
                                                 "unlink" };

static glfs_t *fs;
static int nthreads, nfiles;
static pthread_barrier_t barrier;
static double phase_start;

struct worker {
    pthread_t tid;
    int id;
    unsigned long ops[NPHASES], errors[NPHASES];
};
static struct worker *workers;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void err(struct worker *w, int phase, const char *what,
                const char *path)
{
    w->errors[phase]++;
    if (w->errors[phase] <= 5)
        fprintf(stderr, "metadata: %s %s: %s\n", what, path, strerror(errno));
}

/* A worker at the end of a phase: wait until all have finished it (the
 * main thread then prints the phase), then until the main thread lets
 * the next one begin. */
static void phase_end(void)
{
    pthread_barrier_wait(&barrier);
    pthread_barrier_wait(&barrier);
}

/* The main thread's side of phase_end(). */
static void phase_report(int phase)
{
    pthread_barrier_wait(&barrier);
    unsigned long ops = 0, errs = 0;
    for (int t = 0; t < nthreads; t++) {
        ops += workers[t].ops[phase];
        errs += workers[t].errors[phase];
    }
    double end = now_s();
    printf("phase %s %.3f %.3f %lu %lu\n", phase_name[phase], phase_start,
           end, ops, errs);
    fflush(stdout);
    phase_start = end;
    pthread_barrier_wait(&barrier);
}

static void *run(void *arg)
{
    struct worker *w = arg;
    char dir[64], path[96];
    snprintf(dir, sizeof(dir), "/md.%d.%d", (int)getpid(), w->id);
    if (glfs_mkdir(fs, dir, 0755))
        err(w, CREATE, "mkdir", dir);
    for (int i = 0; i < nfiles; i++) {
        snprintf(path, sizeof(path), "%s/f%07d", dir, i);
        glfs_fd_t *fd = glfs_creat(fs, path, O_CREAT | O_EXCL | O_WRONLY, 0644);
        if (!fd || glfs_close(fd))
            err(w, CREATE, "creat", path);
        w->ops[CREATE]++;
    }
    phase_end();

    for (int i = 0; i < nfiles; i++) {
        struct stat st;
        snprintf(path, sizeof(path), "%s/f%07d", dir, i);
        if (glfs_stat(fs, path, &st) || st.st_size != 0)
            err(w, STAT, "stat", path);
        w->ops[STAT]++;
    }
    phase_end();

    glfs_fd_t *d = glfs_opendir(fs, dir);
    int listed = 0;
    if (!d) {
        err(w, LIST, "opendir", dir);
    } else {
        struct dirent *e;
        errno = 0;
        while ((e = glfs_readdir(d))) {
            if (!strncmp(e->d_name, "f", 1))
                listed++;
            w->ops[LIST]++;
        }
        if (errno)
            err(w, LIST, "readdir", dir);
        glfs_closedir(d);
    }
    if (listed != nfiles) {
        errno = EIO;
        fprintf(stderr, "metadata: %s listed %d of %d files\n", dir, listed,
                nfiles);
        w->errors[LIST]++;
    }
    phase_end();

    /* idle: until the main thread has slept IDLE_SECONDS */
    pthread_barrier_wait(&barrier);

    for (int i = 0; i < nfiles; i++) {
        snprintf(path, sizeof(path), "%s/f%07d", dir, i);
        if (glfs_unlink(fs, path))
            err(w, UNLINK, "unlink", path);
        w->ops[UNLINK]++;
    }
    if (glfs_rmdir(fs, dir))
        err(w, UNLINK, "rmdir", dir);
    phase_end();
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: metadata HOST VOLUME LOGFILE THREADS FILES "
                        "IDLE_SECONDS\n");
        return 2;
    }
    nthreads = atoi(argv[4]);
    nfiles = atoi(argv[5]);
    int idle = atoi(argv[6]);
    if (nthreads < 1 || nthreads > 256 || nfiles < 1 || idle < 0) {
        fprintf(stderr, "metadata: bad THREADS, FILES or IDLE_SECONDS\n");
        return 2;
    }
    fs = glfs_new(argv[2]);
    if (!fs || glfs_set_volfile_server(fs, "tcp", argv[1], 24007) ||
        glfs_set_logging(fs, argv[3], 7) || glfs_init(fs)) {
        fprintf(stderr, "metadata: cannot connect to %s:%s: %s (see %s)\n",
                argv[1], argv[2], strerror(errno), argv[3]);
        return 2;
    }
    workers = calloc((size_t)nthreads, sizeof(*workers));
    /* The threads, plus this one for the idle phases. */
    pthread_barrier_init(&barrier, NULL, (unsigned)nthreads + 1);
    phase_start = now_s();
    for (int t = 0; t < nthreads; t++) {
        workers[t].id = t;
        int e = pthread_create(&workers[t].tid, NULL, run, &workers[t]);
        if (e) {
            fprintf(stderr, "metadata: pthread_create: %s\n", strerror(e));
            return 2;
        }
    }
    for (int p = CREATE; p <= LIST; p++)
        phase_report(p);
    double t0 = now_s();
    sleep((unsigned)idle);
    phase_start = now_s();
    printf("phase idle %.3f %.3f 0 0\n", t0, phase_start);
    fflush(stdout);
    pthread_barrier_wait(&barrier); /* the workers go on to unlink */
    phase_report(UNLINK);
    double t2 = now_s();
    sleep((unsigned)idle);
    printf("phase idle2 %.3f %.3f 0 0\n", t2, now_s());
    fflush(stdout);
    unsigned long errors = 0;
    for (int t = 0; t < nthreads; t++) {
        pthread_join(workers[t].tid, NULL);
        for (int p = 0; p < NPHASES; p++)
            errors += workers[t].errors[p];
    }
    glfs_fini(fs);
    return errors ? 1 : 0;
}
