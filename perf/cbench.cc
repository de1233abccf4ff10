/*
 * cbench.cc - the one C++ file of perf/: cbench.h over google-benchmark.
 *
 * Owns: the casts between the opaque C handles and benchmark::State /
 * benchmark::internal::Benchmark, and the process's main loop.  Nothing
 * here measures anything itself; every number comes from google-benchmark.
 */
#include <benchmark/benchmark.h>

#include <vector>

#include "cbench.h"

using benchmark::Counter;
using benchmark::State;
using benchmark::internal::Benchmark;

static Benchmark *B(cbench *b) { return reinterpret_cast<Benchmark *>(b); }
static cbench *C(Benchmark *b) { return reinterpret_cast<cbench *>(b); }
static State &S(cbench_state *st) { return *reinterpret_cast<State *>(st); }
static const State &S(const cbench_state *st)
{
    return *reinterpret_cast<const State *>(st);
}

/* ----------------------------------------------------------- registering */

extern "C" cbench *cbench_register(const char *name, cbench_fn fn, void *arg)
{
    /* The lambda keeps fn and arg: google-benchmark's plain-function
     * registration has no user pointer. */
    return C(benchmark::RegisterBenchmark(name, [fn, arg](State &st) {
        fn(reinterpret_cast<cbench_state *>(&st), arg);
    }));
}

extern "C" cbench *cbench_arg(cbench *b, int64_t a)
{
    return C(B(b)->Arg(a));
}

extern "C" cbench *cbench_args(cbench *b, const int64_t *a, int n)
{
    return C(B(b)->Args(std::vector<int64_t>(a, a + n)));
}

extern "C" cbench *cbench_threads(cbench *b, int n)
{
    return C(B(b)->Threads(n));
}

extern "C" cbench *cbench_real_time(cbench *b)
{
    return C(B(b)->UseRealTime());
}

extern "C" cbench *cbench_fixed_iterations(cbench *b, int64_t n)
{
    return C(B(b)->Iterations(n));
}

extern "C" cbench *cbench_min_time(cbench *b, double seconds)
{
    return C(B(b)->MinTime(seconds));
}

extern "C" cbench *cbench_unit_us(cbench *b)
{
    return C(B(b)->Unit(benchmark::kMicrosecond));
}

/* ------------------------------------------------------- inside a run */

extern "C" int cbench_keep_running(cbench_state *st)
{
    return S(st).KeepRunning();
}

extern "C" int cbench_keep_running_batch(cbench_state *st, int64_t n)
{
    return S(st).KeepRunningBatch(n);
}

extern "C" int64_t cbench_iterations(const cbench_state *st)
{
    return S(st).iterations();
}

extern "C" int64_t cbench_range(const cbench_state *st, int i)
{
    return S(st).range(static_cast<std::size_t>(i));
}

extern "C" int cbench_thread_index(const cbench_state *st)
{
    return S(st).thread_index();
}

extern "C" int cbench_nthreads(const cbench_state *st)
{
    return S(st).threads();
}

extern "C" void cbench_pause(cbench_state *st) { S(st).PauseTiming(); }

extern "C" void cbench_resume(cbench_state *st) { S(st).ResumeTiming(); }

extern "C" void cbench_set_items(cbench_state *st, int64_t items)
{
    S(st).SetItemsProcessed(items);
}

extern "C" void cbench_set_bytes(cbench_state *st, int64_t bytes)
{
    S(st).SetBytesProcessed(bytes);
}

extern "C" void cbench_counter(cbench_state *st, const char *name,
                               double value, unsigned kind)
{
    int flags = Counter::kDefaults;
    if (kind & CBENCH_RATE)
        flags |= Counter::kIsRate;
    if (kind & CBENCH_AVG)
        flags |= Counter::kAvgThreads;
    S(st).counters[name] =
        Counter(value, static_cast<Counter::Flags>(flags),
                (kind & CBENCH_BYTES) ? Counter::kIs1024 : Counter::kIs1000);
}

extern "C" void cbench_label(cbench_state *st, const char *label)
{
    S(st).SetLabel(label);
}

extern "C" void cbench_skip(cbench_state *st, const char *why)
{
    S(st).SkipWithError(why);
}

/* ------------------------------------------------------------- process */

extern "C" void cbench_context(const char *key, const char *value)
{
    benchmark::AddCustomContext(key, value);
}

extern "C" int cbench_main(int argc, char **argv)
{
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    size_t ran = benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return ran ? 0 : 1;
}
