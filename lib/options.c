/*
 * options.c - the process-wide tunables, read once from the environment.
 *
 * Owns: struct mp_options mp_opt.  Every MAGPOOL_* variable is parsed here
 * and nowhere else; magpool(7) documents each one.  A value that does not
 * parse, or is out of range, is reported on stderr and the default used.
 *
 * Synchronization: written once by mp_options_load(), called under
 * pthread_once before the first pool exists; read-only afterwards.
 *
 * Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "mp.h"

#define MP_DEFAULT_SWEEP_MS 1000u
/* Small to start with: a GlusterFS brick runs dozens of threads, each
 * keeping two magazines per pool it touches; busy pools grow theirs
 * (magazine.c). */
#define MP_DEFAULT_MAG_BYTES 4096u
#define MP_DEFAULT_CHUNK_BYTES (1u << 20)

struct mp_options mp_opt = {
    .sweep_ms = MP_DEFAULT_SWEEP_MS,
    .mag_bytes = MP_DEFAULT_MAG_BYTES,
    .mag_grow_bytes = MP_MAG_GROW_BYTES,
    .chunk_bytes = MP_DEFAULT_CHUNK_BYTES,
};

/* Decimal digits only: no sign, no blank, no overflow.  Not strtoul():
 * built with glibc 2.38 or later, that call becomes __isoc23_strtoul, and
 * a library that needs it cannot be loaded with an older glibc (a preload
 * shim built on Debian 13 would stop every program on Debian 12). */
static bool parse_ulong(const char *v, unsigned long *out)
{
    unsigned long x = 0;
    if (!*v)
        return false;
    for (; *v; v++) {
        if (*v < '0' || *v > '9')
            return false;
        unsigned long d = (unsigned long)(*v - '0');
        if (x > (ULONG_MAX - d) / 10)
            return false;
        x = x * 10 + d;
    }
    *out = x;
    return true;
}

/* Parse variable `name` as an unsigned integer in [lo, hi] into *out.
 * Unset leaves *out alone; a bad value is reported and ignored. */
static void env_ulong(const char *name, unsigned long lo, unsigned long hi,
                      unsigned long *out)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return;
    unsigned long x = 0;
    if (!parse_ulong(v, &x) || x < lo || x > hi) {
        mp_log(MP_MSG_CONFIG, "%s=\"%s\" is not a number in %lu..%lu; "
               "using %lu", name, v, lo, hi, *out);
        return;
    }
    *out = x;
}

atomic_bool mp_opt_started;

void mp_options_load(void)
{
    unsigned long v;

    /* From here on mp_log() must not call mp_global_init(): that is
     * where we are (a message about a bad value below would wait for
     * its own pthread_once forever). */
    atomic_store_explicit(&mp_opt_started, true, memory_order_relaxed);

    /* Quiet first, so that it governs the messages below. */
    v = 0;
    env_ulong("MAGPOOL_QUIET", 0, 1, &v);
    mp_opt.quiet = v;

    v = 0;
    env_ulong("MAGPOOL_DISABLE", 0, 1, &v);
    mp_opt.disable = v;

    v = mp_opt.sweep_ms;
    env_ulong("MAGPOOL_SWEEP_MS", 0, 86400000ul, &v);
    mp_opt.sweep_ms = (unsigned)v;

    v = mp_opt.mag_bytes;
    env_ulong("MAGPOOL_MAG_BYTES", 64, 1ul << 24, &v);
    mp_opt.mag_bytes = v;

    v = mp_opt.mag_grow_bytes;
    env_ulong("MAGPOOL_MAG_GROW_BYTES", 0, 1ul << 28, &v);
    mp_opt.mag_grow_bytes = v;

    v = mp_opt.depot_max;
    env_ulong("MAGPOOL_DEPOT_MAX", 0, UINT_MAX, &v);
    mp_opt.depot_max = (unsigned)v;

    v = mp_opt.chunk_bytes;
    env_ulong("MAGPOOL_CHUNK_BYTES", 65536, 1ul << 30, &v);
    if (v & (v - 1)) {
        mp_log(MP_MSG_CONFIG, "MAGPOOL_CHUNK_BYTES=\"%lu\" is not a power of "
               "two; using %zu", v, mp_opt.chunk_bytes);
        v = mp_opt.chunk_bytes;
    }
    mp_opt.chunk_bytes = v;

    const char *stats = getenv("MAGPOOL_STATS");
    mp_opt.stats_path = stats && *stats ? strdup(stats) : NULL;

    mp_debug_load(); /* MAGPOOL_DEBUG, valgrind, ASan */
    v = 1024;
    env_ulong("MAGPOOL_DEBUG_QUARANTINE", 0, 1000000, &v);
    mp_dbg.quarantine = (unsigned)v;
}
