/*
 * cbench.h - google-benchmark for benchmarks written in plain C.
 *
 * Owns: the C view of benchmark::State and of benchmark registration, so
 * that perf/ needs exactly one C++ file (cbench.cc).  A benchmark is a
 * function taking the state and the pointer given at registration:
 *
 *     static void hot_pair(cbench_state *st, void *arg)
 *     {
 *         while (cbench_keep_running_batch(st, 1000))
 *             for (int i = 0; i < 1000; i++)
 *                 put(get(pool));
 *         cbench_set_items(st, cbench_iterations(st));
 *     }
 *     cbench_arg(cbench_register("pair/x", hot_pair, NULL), 64);
 *
 * cbench_keep_running_batch() is the loop to use for anything cheap:
 * each call crosses into C++ (it cannot be inlined into C), and a batch
 * pays that once per n iterations instead of once per iteration.
 *
 * Synchronization: registration and cbench_main() from the main thread
 * before any benchmark runs; a cbench_state belongs to the one thread that
 * runs it, as google-benchmark's State does.
 */
#ifndef PERF_CBENCH_H
#define PERF_CBENCH_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cbench_state cbench_state; /* a benchmark::State */
typedef struct cbench cbench;             /* a registered benchmark */
typedef void (*cbench_fn)(cbench_state *st, void *arg);

/* ----------------------------------------------------------- registering */

/* Register fn under name; arg is passed to every call.  The name is
 * copied.  The returned handle configures it (calls chain on it). */
cbench *cbench_register(const char *name, cbench_fn fn, void *arg);
/* One more argument tuple of one value (one more run). */
cbench *cbench_arg(cbench *b, int64_t a);
/* One more argument tuple of n values (read with cbench_range(st, i)). */
cbench *cbench_args(cbench *b, const int64_t *a, int n);
/* One more thread count: every argument tuple also runs with n threads. */
cbench *cbench_threads(cbench *b, int n);
/* Rate counters by wall-clock time (for threaded or blocking work). */
cbench *cbench_real_time(cbench *b);
/* Run exactly n iterations instead of timing how many are needed. */
cbench *cbench_fixed_iterations(cbench *b, int64_t n);
/* Run for at least this long (seconds); default: --benchmark_min_time. */
cbench *cbench_min_time(cbench *b, double seconds);
/* Report this benchmark in microseconds instead of nanoseconds. */
cbench *cbench_unit_us(cbench *b);

/* ------------------------------------------------------- inside a run */

/* The keep-running loop: true while more iterations are wanted. */
int cbench_keep_running(cbench_state *st);
/* As cbench_keep_running(), n iterations at a time: the caller runs n
 * iterations per true.  Every thread of a run gets the same count. */
int cbench_keep_running_batch(cbench_state *st, int64_t n);
/* Iterations done so far (all of them, after the loop). */
int64_t cbench_iterations(const cbench_state *st);
/* Argument i of this run's tuple. */
int64_t cbench_range(const cbench_state *st, int i);
/* This thread's index in the run, 0..cbench_nthreads()-1. */
int cbench_thread_index(const cbench_state *st);
int cbench_nthreads(const cbench_state *st);
/* Stop and restart the clock (costly: not for per-iteration use). */
void cbench_pause(cbench_state *st);
void cbench_resume(cbench_state *st);
/* items_per_second / bytes_per_second from this thread's totals. */
void cbench_set_items(cbench_state *st, int64_t items);
void cbench_set_bytes(cbench_state *st, int64_t bytes);

/* How a user counter is reported (google-benchmark's Counter::Flags). */
enum cbench_counter_kind {
    CBENCH_VALUE = 0,   /* summed over threads, as is */
    CBENCH_RATE = 1,    /* divided by the run's time: per second */
    CBENCH_AVG = 2,     /* averaged over threads */
    CBENCH_BYTES = 4,   /* shown with a 1024 base (k = KiB) */
};
void cbench_counter(cbench_state *st, const char *name, double value,
                    unsigned kind);
void cbench_label(cbench_state *st, const char *label);
/* End the run as failed; the loop then stops. */
void cbench_skip(cbench_state *st, const char *why);

/* ------------------------------------------------------------- process */

/* A key/value written into the JSON "context" of this process. */
void cbench_context(const char *key, const char *value);
/* Parse google-benchmark's --benchmark_* options (unknown options are an
 * error), run what the filter selects, return 0, or 1 on a bad option or
 * when the filter matched nothing. */
int cbench_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif /* PERF_CBENCH_H */
