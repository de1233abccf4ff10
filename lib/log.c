/*
 * log.c - messages about misuse and trouble, on stderr.
 *
 * Owns: the rate limit.  Each kind of message is printed the first
 * MP_LOG_BURST times, then once every MP_LOG_EVERY occurrences with a
 * count, so a program that double-puts in a loop cannot flood its log.
 * MAGPOOL_QUIET=1 silences everything but the statistics dump.
 *
 * Synchronization: the per-kind counters are relaxed atomics (a count;
 * losing an exact interleaving only changes which occurrence is printed).
 * The message itself is written with one write(2) so lines do not mix.
 *
 * Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).
 */
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "mp.h"

#define MP_LOG_BURST 10u
#define MP_LOG_EVERY 1000u

static atomic_ulong seen[MP_MSG_NR];

void mp_log(enum mp_msg kind, const char *fmt, ...)
{
    /* A put of NULL may come before any pool exists; but a message from
     * the option parser comes from inside mp_global_init().  Relaxed: at
     * worst a message races the parsing of MAGPOOL_QUIET. */
    if (!atomic_load_explicit(&mp_opt_started, memory_order_relaxed))
        mp_global_init();
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
