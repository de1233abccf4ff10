/*
 * mp_track.h - telling valgrind's memcheck and AddressSanitizer which
 * memory is free: the hooks every layer that touches a free object uses.
 * No-ops (one predictable branch) outside the two tools.
 *
 * Synchronization: reads mp_dbg only, fixed before the first pool.
 *
 * Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).
 */
#ifndef MP_TRACK_H
#define MP_TRACK_H

#include "mp_types.h"

#ifdef HAVE_VALGRIND_MEMCHECK_H
#include <valgrind/memcheck.h>
#endif

/* ASan's runtime, when the program was built with -fsanitize=address
 * (weak: NULL otherwise). */
void __asan_poison_memory_region(void const volatile *addr, size_t size)
    __attribute__((weak));
void __asan_unpoison_memory_region(void const volatile *addr, size_t size)
    __attribute__((weak));

extern struct mp_debug mp_dbg MP_HIDDEN; /* options.c */

/* Make memory that memcheck or ASan was told is free accessible (to
 * magpool, or to a new owner), and forbid it again. */
static inline void mp_dbg_expose(void *p, size_t n)
{
#ifdef HAVE_VALGRIND_MEMCHECK_H
    if (__builtin_expect(mp_dbg.valgrind, 0))
        (void)VALGRIND_MAKE_MEM_DEFINED(p, n);
#endif
    if (__builtin_expect(mp_dbg.asan, 0))
        __asan_unpoison_memory_region(p, n);
}

static inline void mp_dbg_hide(void *p, size_t n)
{
#ifdef HAVE_VALGRIND_MEMCHECK_H
    if (__builtin_expect(mp_dbg.valgrind, 0))
        (void)VALGRIND_MAKE_MEM_NOACCESS(p, n);
#endif
    if (__builtin_expect(mp_dbg.asan, 0))
        __asan_poison_memory_region(p, n);
}

#endif /* MP_TRACK_H */
