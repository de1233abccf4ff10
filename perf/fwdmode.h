/*
 * fwdmode.h - which store-forwarding mode the CPU is in, measured.
 *
 * Owns: the store->load probe (perf/NOTES.md) and the per-chunk
 * bookkeeping built on it.  The 2-core VM this was developed on flips,
 * every few milliseconds and with host load, between two modes:
 *   F  predictive store forwarding active: a load that reads what the
 *      previous store wrote costs ~1 cycle;
 *   S  not active: ~6 cycles per store->load hop (prctl's speculative
 *      store bypass disable, fwd_force_s(), reproduces it).
 * A get+put pair is a chain of such hops, so a figure that mixes chunks
 * of both modes mixes two distributions.  The probe times a chain of
 * FWD_HOPS dependent store->load hops against a chain of as many
 * dependent register adds (1 cycle each), both with the TSC: the ratio
 * is the cost of one hop in cycles, whatever the clock rate.  Measured on
 * that VM (2026-12-02, 20,000 probes each): F 1.0-1.5, S (SSBD) 4.5-9.8;
 * the boundary is FWD_S_ABOVE.
 *
 * A chunk (fwd_chunk_begin/end) is classified by a probe before and one
 * after it: both F, both S, or mixed (the mode flipped inside it; not
 * counted in either mode).  A probe is the median of three such ratios
 * and costs ~0.3 us in F, ~1.5 us in S.
 * Only x86-64 has the probe; elsewhere every chunk is "unknown".
 *
 * Synchronization: none; a struct fwd_chunks belongs to one thread.
 */
#ifndef PERF_FWDMODE_H
#define PERF_FWDMODE_H

#include <errno.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <time.h>

#if defined(__x86_64__)
#include <x86intrin.h>
#define FWD_HAVE_PROBE 1
#else
#define FWD_HAVE_PROBE 0
#endif

enum fwd_mode { FWD_F, FWD_S, FWD_MIXED, FWD_UNKNOWN, FWD_NMODES };
#define FWD_HOPS 256      /* store->load hops per probe (4 x 64) */
#define FWD_S_ABOVE 3.0   /* cycles per hop above which the mode is S */

#if FWD_HAVE_PROBE
/* Cycles (TSC ticks, as the add chain's) of one store->load hop. */
static inline double fwd_probe(void)
{
    /* The middle of three: an interrupt or a preemption inside one
     * probe, or one probe that happens to be fast in the S mode (about
     * 1 in 100 here), does not decide. */
    double r[3];
    for (int k = 0; k < 3; k++) {
        uint64_t x = 0, slot = 0;
        uint64_t t0 = __rdtsc();
        for (int i = 0; i < FWD_HOPS / 64; i++)
            /* The load reads what the store before it wrote and the next
             * store writes what it read: one dependency chain through
             * memory, 64 hops per trip. */
            __asm__ volatile(
                ".rept 64\n\tmovq %0, %1\n\tmovq %1, %0\n\t.endr"
                : "+r"(x), "+m"(slot));
        uint64_t t1 = __rdtsc();
        for (int i = 0; i < FWD_HOPS / 64; i++)
            __asm__ volatile(".rept 64\n\taddq $1, %0\n\t.endr" : "+r"(x));
        uint64_t t2 = __rdtsc();
        r[k] = t2 > t1 ? (double)(t1 - t0) / (double)(t2 - t1) : 0;
    }
    double lo = r[0] < r[1] ? r[0] : r[1], hi = r[0] < r[1] ? r[1] : r[0];
    return r[2] < lo ? lo : r[2] > hi ? hi : r[2];
}

static inline enum fwd_mode fwd_mode_now(void)
{
    return fwd_probe() > FWD_S_ABOVE ? FWD_S : FWD_F;
}
#else
static inline double fwd_probe(void) { return 0; }
static inline enum fwd_mode fwd_mode_now(void) { return FWD_UNKNOWN; }
#endif

static inline double fwd_now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* One thread's chunks, by mode: time and items in each. */
struct fwd_chunks {
    double ns[FWD_NMODES];
    double items[FWD_NMODES];
    unsigned long n[FWD_NMODES];
    enum fwd_mode before;  /* of the chunk in progress */
    double t0;
};

static inline void fwd_chunk_begin(struct fwd_chunks *c)
{
    c->before = fwd_mode_now();
    c->t0 = fwd_now_ns();
}

/* End the chunk begun last, of `items` items; returns its mode. */
static inline enum fwd_mode fwd_chunk_end(struct fwd_chunks *c, double items)
{
    double t = fwd_now_ns();
    enum fwd_mode after = fwd_mode_now();
    enum fwd_mode m = c->before == after ? after : FWD_MIXED;
    c->ns[m] += t - c->t0;
    c->items[m] += items;
    c->n[m]++;
    return m;
}

/* Ask the kernel to disable speculative store bypass for this thread and
 * the threads it creates afterwards: the S mode, on demand.  0, or -1
 * with errno (EINVAL/ENXIO where the CPU or kernel has no such control,
 * EPERM where it is forced on). */
static inline int fwd_force_s(void)
{
#if defined(PR_SET_SPECULATION_CTRL) && defined(PR_SPEC_STORE_BYPASS)
    return prctl(PR_SET_SPECULATION_CTRL, PR_SPEC_STORE_BYPASS,
                 PR_SPEC_DISABLE, 0, 0);
#else
    errno = ENOSYS;
    return -1;
#endif
}

#endif /* PERF_FWDMODE_H */
