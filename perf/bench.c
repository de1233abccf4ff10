/*
 * bench.c - main() of the benchmark programs, and what bench.h declares:
 * option parsing, the backend registry, GlusterFS's pool shapes, RSS
 * sampling.
 *
 * Options of the workloads (stripped before google-benchmark sees argv;
 * every --benchmark_* option is passed on):
 *   --sizes=64,256,...   object sizes of the sized workloads
 *   --threads=1,2,...    thread counts of "batch" and "larson"
 *   --pairs=1,2,...      producer/consumer pairs of "prodcons"
 *   --rss_objects=N      objects the "rss" workload holds (1000000)
 *   --rss_seconds=S      RSS timeline after put-back (10)
 *   --rss_interval=S     timeline sampling period (0.5)
 *   --rss_out=FILE       timeline file; "%s" becomes the backend label
 *   --rss_only           register the memory workloads (rss, idle)
 *                        alone, and make no pool before they run
 *                        (perf/run.sh's memory runs)
 *   --idle_threads=10,.. thread counts of the "idle" workload
 *   --idle_wait=S        seconds "idle" waits after the last thread's
 *                        touch before it reads the RSS (5)
 *   --force_s            disable speculative store bypass (prctl) before
 *                        any thread starts: every chunk in the S
 *                        forwarding mode (fwdmode.h); refused where the
 *                        kernel has no such control
 *
 * Synchronization: everything here runs on the main thread before the
 * benchmarks, except the RSS readers, which only read /proc.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "fwdmode.h"

struct bench_opts bench_opt = {
    .sizes = {64, 256, 512, 2048},
    .nsizes = 4,
    .threads = {1, 2, 4, 8, 16},
    .nthreads = 5,
    .pairs = {1, 2, 4},
    .npairs = 3,
    .rss_objects = 1000000,
    .rss_seconds = 10,
    .rss_interval = 0.5,
    .rss_out = NULL,
    .idle_threads = {10, 100, 1000},
    .nidle = 3,
    .idle_wait = 5,
};

/* ------------------------------------------------- GlusterFS's shapes */

/* The hot pools and their shares are those measured on GlusterFS 10.3
 * (call_frame_t 60-75 % of gets); the rest fill the count of ~24 pools a
 * GlusterFS process has, with sizes spread over 64 B..4 KiB. */
const struct bench_pool_shape bench_many_pools[BENCH_MANY_POOLS] = {
    {"call_frame_t", 176, 60},   {"call_stack_t", 1864, 6},
    {"rpcsvc_request_t", 2840, 4}, {"pl_local_t", 184, 3},
    {"rpc_req", 544, 4},         {"saved_frame", 88, 4},
    {"clnt_local_t", 1288, 3},   {"data_t", 32, 4},
    {"data_pair_t", 48, 2},      {"dict_t", 152, 3},
    {"other-64", 64, 1},         {"other-72", 72, 1},
    {"other-96", 96, 1},         {"other-112", 112, 1},
    {"other-128", 128, 1},       {"other-200", 200, 1},
    {"other-256", 256, 1},       {"other-320", 320, 1},
    {"other-400", 400, 1},       {"other-640", 640, 1},
    {"other-768", 768, 1},       {"other-1024", 1024, 1},
    {"other-1536", 1536, 1},     {"other-4096", 4096, 1},
};
uint8_t bench_many_seq[BENCH_MANY_SEQ];

const struct bench_pool_shape bench_gf_pools[GF_NPOOLS] = {
    [GF_FRAME] = {"call_frame_t", 176, 0},
    [GF_STACK] = {"call_stack_t", 1864, 0},
    [GF_DICT] = {"dict_t", 152, 0},
    [GF_DATA] = {"data_t", 32, 0},
    [GF_RPCREQ] = {"rpc_req", 544, 0},
};
/* A stack and its frames, a dict with four values, an RPC request. */
const uint8_t bench_gf_fop[BENCH_GF_GETS] = {
    GF_STACK, GF_FRAME, GF_DICT, GF_DATA, GF_DATA,
    GF_FRAME, GF_DATA,  GF_DATA, GF_FRAME, GF_RPCREQ,
};

static void fill_many_seq(void)
{
    unsigned total = 0;
    for (int i = 0; i < BENCH_MANY_POOLS; i++)
        total += bench_many_pools[i].weight;
    /* A fixed LCG: every backend and every run sees the same sequence. */
    uint32_t x = 12345;
    for (int k = 0; k < BENCH_MANY_SEQ; k++) {
        x = x * 1103515245u + 12345u;
        unsigned r = (x >> 8) % total;
        int i = 0;
        while (r >= bench_many_pools[i].weight)
            r -= bench_many_pools[i++].weight;
        bench_many_seq[k] = (uint8_t)i;
    }
}

/* ------------------------------------------------------------- memory */

long bench_rss_now(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, resident = 0;
    if (!f)
        return -1;
    if (fscanf(f, "%ld %ld", &size, &resident) != 2)
        resident = -1;
    fclose(f);
    return resident < 0 ? -1 : resident * sysconf(_SC_PAGESIZE);
}

long bench_rss_peak(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
            break;
    fclose(f);
    return kib < 0 ? -1 : kib * 1024;
}

void *bench_map(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void bench_unmap(void *p, size_t bytes) { munmap(p, bytes); }

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int bench_ncpus(void)
{
    static int n;
    if (!n) {
        long v = sysconf(_SC_NPROCESSORS_ONLN);
        n = v > 0 ? (int)v : 1;
    }
    return n;
}

void bench_sleep_until(double t)
{
    struct timespec ts = {.tv_sec = (time_t)t};
    ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
           EINTR)
        ;
}

/* --------------------------------------------------------- wall clock */

void bench_wall_begin(struct bench_wall *w, const cbench_state *st)
{
    w->begin[cbench_thread_index(st)] = bench_now();
}

void bench_wall_end(struct bench_wall *w, const cbench_state *st)
{
    w->end[cbench_thread_index(st)] = bench_now();
}

void bench_wall_report(struct bench_wall *w, cbench_state *st,
                       double items_total)
{
    int n = cbench_nthreads(st);
    double b = w->begin[0], e = w->end[0];
    for (int i = 1; i < n; i++) {
        if (w->begin[i] < b)
            b = w->begin[i];
        if (w->end[i] > e)
            e = w->end[i];
    }
    if (e > b)
        cbench_counter(st, "rate", items_total / (e - b), CBENCH_AVG);
}

/* ------------------------------------------------------------ registry */

#define MAX_BACKENDS 8
static const struct bench_backend *backends[MAX_BACKENDS];
static int nbackends;

void bench_add_backend(const struct bench_backend *b)
{
    if (nbackends == MAX_BACKENDS) {
        fprintf(stderr, "bench: more than %d backends\n", MAX_BACKENDS);
        exit(2);
    }
    backends[nbackends++] = b;
}

/* ------------------------------------------------------------- options */

static int parse_list(const char *s, int64_t *out, int *n, int64_t lo,
                      int64_t hi)
{
    *n = 0;
    while (*s) {
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno || end == s || v < lo || v > hi || *n == BENCH_MAX_LIST)
            return -1;
        out[(*n)++] = v;
        if (*end == ',')
            end++;
        else if (*end)
            return -1;
        s = end;
    }
    return *n ? 0 : -1;
}

static int parse_option(const char *a)
{
    const char *v;
#define OPT(name) (strncmp(a, name "=", sizeof name) == 0 && \
                   (v = a + sizeof name, 1))
    if (OPT("--sizes"))
        return parse_list(v, bench_opt.sizes, &bench_opt.nsizes, 1,
                          1 << 20);
    if (OPT("--threads"))
        return parse_list(v, bench_opt.threads, &bench_opt.nthreads, 1,
                          BENCH_MAX_THREADS);
    if (OPT("--pairs"))
        return parse_list(v, bench_opt.pairs, &bench_opt.npairs, 1,
                          BENCH_MAX_THREADS / 2);
    if (OPT("--rss_objects"))
        return (bench_opt.rss_objects = atol(v)) > 0 ? 0 : -1;
    if (OPT("--rss_seconds"))
        return (bench_opt.rss_seconds = atof(v)) >= 0 ? 0 : -1;
    if (OPT("--idle_threads"))
        return parse_list(v, bench_opt.idle_threads, &bench_opt.nidle, 1,
                          BENCH_MAX_IDLE);
    if (OPT("--idle_wait"))
        return (bench_opt.idle_wait = atof(v)) >= 0 ? 0 : -1;
    if (OPT("--rss_interval"))
        return (bench_opt.rss_interval = atof(v)) > 0 ? 0 : -1;
    if (strcmp(a, "--force_s") == 0) {
        bench_opt.force_s = 1;
        return 0;
    }
    if (strcmp(a, "--rss_only") == 0) {
        bench_opt.rss_only = 1;
        return 0;
    }
    if (OPT("--rss_out")) {
        bench_opt.rss_out = v;
        return 0;
    }
#undef OPT
    return 1; /* not ours */
}

int main(int argc, char **argv)
{
    int n = 1;
    for (int i = 1; i < argc; i++) {
        int r = parse_option(argv[i]);
        if (r < 0) {
            fprintf(stderr, "%s: bad option %s\n", argv[0], argv[i]);
            return 1;
        }
        if (r > 0)
            argv[n++] = argv[i];
    }
    argv[n] = NULL;
    argc = n;
    /* Inherited by every thread created afterwards: google-benchmark's
     * and the workloads'. */
    if (bench_opt.force_s && fwd_force_s()) {
        fprintf(stderr, "%s: --force_s: prctl(PR_SET_SPECULATION_CTRL, "
                "PR_SPEC_STORE_BYPASS): %s\n", argv[0], strerror(errno));
        return 1;
    }
    bench_ncpus();
    fill_many_seq();

    char labels[256] = "";
    for (int i = 0; i < nbackends; i++) {
        const char *label = backends[i]->label();
        backends[i]->init();
        backends[i]->register_all(label);
        if (i)
            strncat(labels, ",", sizeof labels - strlen(labels) - 1);
        strncat(labels, label, sizeof labels - strlen(labels) - 1);
    }
    for (int i = 0; i < nbackends; i++)
        if (backends[i]->register_late)
            backends[i]->register_late(backends[i]->label());
    cbench_context("backends", labels);
    const char *preload = getenv("LD_PRELOAD");
    cbench_context("ld_preload", preload ? preload : "");
    cbench_context("fwd_mode", bench_opt.force_s ? "forced S (SSBD)"
                                                 : "as the CPU runs");
    return cbench_main(argc, argv);
}
