/*
 * options.c - the process-wide tunables, read once from the environment,
 * and magpool's messages on stderr (which MAGPOOL_QUIET governs).
 *
 * Layer: calls nothing in lib/ (lib/LAYERS).  Everything above may log.
 *
 * Owns: struct mp_options mp_opt and struct mp_debug mp_dbg.  Every
 * MAGPOOL_* variable but MAGPOOL_GLUSTERFS (the GlusterFS front's own) is
 * parsed here and nowhere else, the debugging modes (MAGPOOL_DEBUG, and
 * whether valgrind or an AddressSanitizer runtime is present) included;
 * magpool(7) documents each one.  A value that does not parse, or is out
 * of range, is reported on stderr and the default used.  Also owns the
 * messages' rate limit: each kind of message is printed the first
 * MP_LOG_BURST times, then once every MP_LOG_EVERY occurrences with a
 * count, so a program that double-puts in a loop cannot flood its log.
 *
 * Synchronization: mp_opt and mp_dbg are written once, by mp_options_load
 * under this file's own pthread_once (mp_options_init), before the first
 * pool exists; read-only afterwards.  A message printed while they are
 * being parsed (a bad value) by the loading thread itself does not wait
 * for that once (mp_opt_parsing, thread-local, says it is that thread);
 * a message from any other thread waits for the parsing to end, so that
 * MAGPOOL_QUIET governs it (glibc's pthread_once restarts in a child
 * forked during the parsing, so a child does not wait forever).  The
 * per-kind message counters are relaxed atomics (a count; losing an exact
 * interleaving only changes which occurrence is printed).  A message is
 * written with one write(2) so lines do not mix.
 *
 * Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mp.h"

#define MP_DEFAULT_SWEEP_MS 1000u
/* Small to start with: a GlusterFS brick runs dozens of threads, each
 * keeping two magazines per pool it touches; busy pools grow theirs
 * (magazine.c). */
#define MP_DEFAULT_MAG_BYTES 4096u
#define MP_DEFAULT_CHUNK_BYTES (1u << 20)

/* ------------------------------------------------------------------ */
/* Messages                                                            */
/* ------------------------------------------------------------------ */

/* This thread is parsing the options (see the top of this file): its
 * messages must not wait for the parsing. */
static __thread bool mp_opt_parsing
    __attribute__((tls_model("initial-exec")));

#define MP_LOG_BURST 10u
#define MP_LOG_EVERY 1000u

static atomic_ulong seen[MP_MSG_NR];

void mp_log(enum mp_msg kind, const char *fmt, ...)
{
    /* A put of NULL may come before any pool exists, and two threads'
     * first messages may come while a third parses the options: each
     * waits for the parsing, except the parser's own (a bad value), which
     * comes from inside mp_options_init(). */
    if (!mp_opt_parsing)
        mp_options_init();
    unsigned long n =
        atomic_fetch_add_explicit(&seen[kind], 1, memory_order_relaxed) + 1;
    if (mp_opt.quiet || (n > MP_LOG_BURST && n % MP_LOG_EVERY))
        return;
    char buf[512];
    int len = snprintf(buf, sizeof(buf), "magpool[%d]: ", (int)getpid());
    va_list ap;
    va_start(ap, fmt);
    len += vsnprintf(buf + len, sizeof(buf) - (size_t)len, fmt, ap);
    va_end(ap);
    if (len >= (int)sizeof(buf) - 40)
        len = (int)sizeof(buf) - 40;
    if (n > MP_LOG_BURST)
        len += snprintf(buf + len, sizeof(buf) - (size_t)len,
                        " (%lu times so far)", n);
    buf[len++] = '\n';
    (void)!write(STDERR_FILENO, buf, (size_t)len);
}

/* ------------------------------------------------------------------ */
/* Tunables                                                            */
/* ------------------------------------------------------------------ */

struct mp_options mp_opt = {
    .sweep_ms = MP_DEFAULT_SWEEP_MS,
    .mag_bytes = MP_DEFAULT_MAG_BYTES,
    .mag_grow_bytes = MP_MAG_GROW_BYTES,
    .mag_grow_rate = MP_MAG_GROW_RATE,
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

struct mp_debug mp_dbg;

/* MAGPOOL_DEBUG, and the tools magpool detects by itself (debug.c says
 * what each mode does). */
static void debug_load(void)
{
    const char *v = getenv("MAGPOOL_DEBUG");
    bool off = false;
    if (v && *v) {
        if (!strcmp(v, "1")) {
            mp_dbg.check = true;
        } else if (!strcmp(v, "abort")) {
            mp_dbg.check = true;
            mp_dbg.abort_on = true;
        } else if (!strcmp(v, "0")) {
            off = true;
        } else {
            mp_log(MP_MSG_CONFIG, "MAGPOOL_DEBUG=\"%s\" is not 0, 1 or "
                   "abort; debugging stays off", v);
            off = true;
        }
    }
#ifdef HAVE_VALGRIND_MEMCHECK_H
    /* Under valgrind unless MAGPOOL_DEBUG=0 says to leave it alone. */
    if (!off && RUNNING_ON_VALGRIND)
        mp_dbg.valgrind = true;
#endif
#ifndef __SANITIZE_ADDRESS__
    /* An ASan-built program using this uninstrumented library: poison
     * what is free.  (A library built with ASan itself checks its own
     * accesses, and its tests expect the normal paths.) */
    if (!off && __asan_poison_memory_region && __asan_unpoison_memory_region) {
        mp_dbg.asan = true;
    }
#endif
    (void)off;
    mp_dbg.on = mp_dbg.check || mp_dbg.valgrind || mp_dbg.asan;
}


static void options_load(void)
{
    unsigned long v;

    /* Until the end mp_log() must not call mp_options_init() on this
     * thread: that is where we are (a message about a bad value below
     * would wait for its own pthread_once forever). */
    mp_opt_parsing = true;

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

    v = mp_opt.mag_grow_rate;
    env_ulong("MAGPOOL_MAG_GROW_RATE", 1, 1000000000ul, &v);
    mp_opt.mag_grow_rate = v;

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

    debug_load(); /* MAGPOOL_DEBUG, valgrind, ASan */
    v = 1024;
    env_ulong("MAGPOOL_DEBUG_QUARANTINE", 0, 1000000, &v);
    mp_dbg.quarantine = (unsigned)v;
    mp_opt_parsing = false;
}

static pthread_once_t options_once = PTHREAD_ONCE_INIT;

void mp_options_init(void) { pthread_once(&options_once, options_load); }
