/*
 * debug.c - the debugging modes: valgrind memcheck and AddressSanitizer
 * (each detected by itself) and MAGPOOL_DEBUG (pattern, canary,
 * quarantine), for finding a use after put, an overflow, a leak or a
 * double put in the configuration that ships.  magpool(7), DEBUGGING, says what each mode does and costs.
 *
 * Layer: above options, slab and the registry of pools (lib/LAYERS).
 *
 * Owns: the debug get and put, each pool's quarantine, the reports, and
 * the checks at magpool_fini and at exit.  The mode itself (mp_dbg) is
 * parsed and detected by options.c.
 *
 * In a debug mode no thread ever gets a cache: magpool_tls keeps the
 * sentinel tops and key 0, so every get and every put (inline API
 * included) takes its slow path, which comes here.  The fast path is the
 * same code as outside the modes and costs nothing more.
 *   get:  one object from the slab; with MAGPOOL_DEBUG, if it was put
 *         before, the pattern its put wrote is checked (a write after the
 *         put shows up here); the canary after it is set; under valgrind
 *         it becomes a MALLOCLIKE block, the canary area no-access; in
 *         an ASan-built program the object is unpoisoned, the tail
 *         poisoned.
 *   put:  the canary is checked (a write past the end shows up here), the
 *         object filled with the pattern, FREELIKE under valgrind,
 *         poisoned under ASan, and it
 *         waits in the pool's FIFO quarantine (MAGPOOL_DEBUG_QUARANTINE
 *         objects) before going back to the slab, so it is not handed out
 *         again at once.  With MAGPOOL_DEBUG its pattern is checked when
 *         it leaves the quarantine, when its pool is destroyed, at
 *         magpool_fini/mem_pools_fini and at process exit, so a write
 *         after put is reported even if the object is never got again.
 * Layout of an object in a debug mode: [header][object][16-byte tail],
 * the tail's first 8 bytes (unaligned, read with memcpy) the canary.
 * The first 8 bytes of a freed object hold the slab's free-list link once
 * it leaves the quarantine, so the pattern check skips them.
 *
 * Synchronization: mp_dbg is written once, by options.c, before any
 * pool exists.  A pool's quarantine ring is under its slab.lock (so fork
 * handlers cover it); objects are returned to the slab after the lock is
 * dropped.  Everything else is the calling thread's own object.
 *
 * Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mp.h"


#define MP_DBG_PATTERN 0x6bu /* what a put object is filled with */
static const uint64_t canary_live = 0x1ec0a5eb0a710c0bull;
static const uint64_t canary_free = 0xf7eef7eef7eef7eeull;

/* ASan's reporting hooks (weak: absent without ASan's runtime). */
void __asan_set_error_report_callback(void (*callback)(const char *))
    __attribute__((weak));
void *__asan_get_report_address(void) __attribute__((weak));

/* Which pool's object holds addr, and where in it; 0 if none.  Runs in a
 * crash report: no lock is waited for (a busy slab is skipped). */
static int describe(uintptr_t addr, char *out, size_t len)
{
    for (unsigned i = 0; i < MAGPOOL_MAX_POOLS; i++) {
        struct magpool *p = mp_pool_lookup(i);
        if (!p)
            continue;
        struct mp_slab *sl = &p->slab;
        if (pthread_mutex_trylock(&sl->lock))
            continue;
        struct mp_chunk *c;
        struct cds_list_head *lists[2] = { &sl->partial, &sl->full };
        int n = 0;
        for (int l = 0; l < 2 && !n; l++) {
            cds_list_for_each_entry(c, lists[l], link) {
                uintptr_t first = (uintptr_t)c + sl->first + MP_HDR_SIZE;
                if (addr < (uintptr_t)c || addr >= (uintptr_t)c + sl->chunk_size)
                    continue;
                if (addr < first - MP_HDR_SIZE)
                    break;
                size_t k = (addr - (first - MP_HDR_SIZE)) / sl->stride;
                uintptr_t obj = first + k * sl->stride;
                long off = (long)(addr - obj);
                bool is_free = mp_hdr_peek((void *)obj) != p->hdr_alloc;
                n = snprintf(out, len,
                             "magpool: 0x%lx is %ld bytes %s %zu-byte object "
                             "%p of pool \"%s\"%s\n",
                             (unsigned long)addr, off < 0 ? -off : off,
                             off < 0 ? "before" : (size_t)off < p->obj_size
                                                      ? "inside" : "past the start of",
                             p->obj_size, (void *)obj, p->name,
                             off >= 0 && (size_t)off >= p->obj_size
                                 ? " (in the poisoned tail after it: an overflow)"
                                 : is_free ? " (it is free: a use after put)"
                                           : "");
                break;
            }
        }
        pthread_mutex_unlock(&sl->lock);
        if (n > 0)
            return n;
    }
    return 0;
}

/* Called by ASan at the end of an error report: name the pool. */
static void asan_report_hook(const char *report)
{
    (void)report;
    if (!__asan_get_report_address)
        return;
    char buf[400];
    int n = describe((uintptr_t)__asan_get_report_address(), buf, sizeof(buf));
    if (n > 0)
        (void)!write(STDERR_FILENO, buf, (size_t)n < sizeof(buf) ? (size_t)n
                                                                  : sizeof(buf) - 1);
}


/* A bug found: always said (debug reports are not rate-limited), with a
 * stack under valgrind; then abort() with MAGPOOL_DEBUG=abort. */
__attribute__((format(printf, 1, 2), noinline, cold)) static void
report(const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    char buf[480];
    int len = snprintf(buf, sizeof(buf), "magpool[%d]: DEBUG: %s\n",
                       (int)getpid(), msg);
    if (len > (int)sizeof(buf) - 1)
        len = (int)sizeof(buf) - 1;
#ifdef HAVE_VALGRIND_MEMCHECK_H
    if (mp_dbg.valgrind)
        VALGRIND_PRINTF_BACKTRACE("magpool: %s\n", msg);
    else
#endif
        (void)!write(STDERR_FILENO, buf, (size_t)len);
    if (mp_dbg.abort_on)
        abort();
}

static char *tail_of(struct magpool *pool, void *obj)
{
    return (char *)obj + pool->obj_size;
}

static uint64_t canary_get(struct magpool *pool, void *obj)
{
    uint64_t c;
    mp_dbg_expose(tail_of(pool, obj), sizeof(c));
    memcpy(&c, tail_of(pool, obj), sizeof(c));
    return c;
}

static void canary_set(struct magpool *pool, void *obj, uint64_t c)
{
    mp_dbg_expose(tail_of(pool, obj), sizeof(c));
    memcpy(tail_of(pool, obj), &c, sizeof(c));
    mp_dbg_hide(tail_of(pool, obj), MP_DBG_TAIL);
}

/* With MAGPOOL_DEBUG: if obj was put (its canary says free), report a
 * write into it since its put.  Bytes before `from` are not looked at
 * (the slab's free-list link, once the object left the quarantine). */
static void check_pattern(struct magpool *pool, void *obj, size_t from,
                          const char *when)
{
    if (!mp_dbg.check || canary_get(pool, obj) != canary_free)
        return;
    mp_dbg_expose(obj, pool->obj_size);
    const unsigned char *b = obj;
    for (size_t i = from; i < pool->obj_size; i++) {
        if (b[i] != MP_DBG_PATTERN) {
            report("use after put: %zu-byte object %p of pool \"%s\" "
                   "was written after it was put (byte %zu is 0x%02x, "
                   "not 0x%02x; seen %s)",
                   pool->obj_size, obj, pool->name, i, b[i],
                   MP_DBG_PATTERN, when);
            break;
        }
    }
}

/* The same for an object leaving the quarantine (or still in it): then
 * the memory goes hidden again. */
static void check_quarantined(struct magpool *pool, void *obj,
                              const char *when)
{
    check_pattern(pool, obj, 0, when);
    mp_dbg_hide(obj, pool->obj_size + MP_DBG_TAIL);
}

void *mp_debug_get(struct magpool *pool)
{
    void *obj;
    if (mp_slab_alloc(pool, &obj, 1) == 0) {
        errno = ENOMEM;
        return NULL;
    }
    mp_dbg_expose(obj, pool->obj_size);
    /* If it was put before, its pattern must be intact. */
    check_pattern(pool, obj, sizeof(void *), "at a later get");
    if (mp_dbg.check)
        canary_set(pool, obj, canary_live);
    else
        mp_dbg_hide(tail_of(pool, obj), MP_DBG_TAIL);
    mp_hdr_set(obj, pool->hdr_alloc);
    /* Relaxed: a counter (alloc-count), read by stats. */
    atomic_fetch_add_explicit(&pool->gets_gone, 1, memory_order_relaxed);
#ifdef HAVE_VALGRIND_MEMCHECK_H
    if (mp_dbg.valgrind)
        VALGRIND_MALLOCLIKE_BLOCK(obj, pool->obj_size, 0, 0);
#endif
    return obj;
}

/* The checks and the marking of a put; the header is still "allocated".
 * Then the object goes to the quarantine (mp_debug_put) or, if its pool
 * was destroyed, back to the slab (magazine.c). */
void mp_debug_release(struct magpool *pool, void *obj, uint64_t h)
{
    if (mp_dbg.check) {
        uint64_t c = canary_get(pool, obj);
        if (c != canary_live)
            report("overflow: the bytes after %zu-byte object %p of pool "
                   "\"%s\" were overwritten before its put (buffer "
                   "overflow)",
                   pool->obj_size, obj, pool->name);
        memset(obj, MP_DBG_PATTERN, pool->obj_size);
        canary_set(pool, obj, canary_free);
    }
    mp_hdr_set(obj, h ^ MP_HDR_FLIP);
#ifdef HAVE_VALGRIND_MEMCHECK_H
    if (mp_dbg.valgrind)
        VALGRIND_FREELIKE_BLOCK(obj, 0);
#endif
    /* memcheck: no-access; ASan: poisoned, so a use after put is an ASan
     * report ("use-after-poison") in the program's own code. */
    mp_dbg_hide(obj, pool->obj_size + MP_DBG_TAIL);
}

void mp_debug_put(struct magpool *pool, void *obj, uint64_t h)
{
    mp_debug_release(pool, obj, h);
    void *evicted = obj;
    struct mp_slab *sl = &pool->slab;
    pthread_mutex_lock(&sl->lock);
    if (mp_dbg.quarantine && !pool->dbg_q)
        pool->dbg_q = calloc(mp_dbg.quarantine, sizeof(void *));
    if (pool->dbg_q) {
        /* FIFO: the slot after the newest holds the oldest. */
        evicted = pool->dbg_q[pool->dbg_qhead];
        pool->dbg_q[pool->dbg_qhead] = obj;
        pool->dbg_qhead = (pool->dbg_qhead + 1) % mp_dbg.quarantine;
        if (!evicted)
            pool->dbg_qn++;
    }
    if (evicted && evicted != obj)
        check_quarantined(pool, evicted, "when it left the quarantine");
    pthread_mutex_unlock(&sl->lock);
    if (evicted)
        mp_slab_free(pool, &evicted, 1);
}

void mp_debug_double_put(struct magpool *pool, void *obj)
{
    report("double put of %zu-byte object %p of pool \"%s\" (ignored)",
           pool->obj_size, obj, pool->name);
#ifdef HAVE_VALGRIND_MEMCHECK_H
    /* memcheck's own report says where it was got and first put. */
    if (mp_dbg.valgrind)
        VALGRIND_FREELIKE_BLOCK(obj, 0);
#endif
}

/* Give every quarantined object of pool back to the slab (destroy, with
 * mp_reg_lock held). */
void mp_debug_drain(struct magpool *pool)
{
    if (!pool->dbg_q)
        return;
    struct mp_slab *sl = &pool->slab;
    for (unsigned i = 0; i < mp_dbg.quarantine; i++) {
        pthread_mutex_lock(&sl->lock);
        void *obj = pool->dbg_q[i];
        pool->dbg_q[i] = NULL;
        if (obj) {
            pool->dbg_qn--;
            check_quarantined(pool, obj, "when its pool was destroyed");
        }
        pthread_mutex_unlock(&sl->lock);
        if (obj)
            mp_slab_free(pool, &obj, 1);
    }
    free(pool->dbg_q);
    pool->dbg_q = NULL;
    pool->dbg_qhead = 0;
}

/* Check every quarantined object of every pool (magpool_fini,
 * mem_pools_fini and process exit): a write after put into an object
 * still waiting there would otherwise never be seen.  At exit other
 * threads may still run: a lock that is busy is not waited for (the
 * exit must not hang on it), its pools are skipped. */
static void check_all(const char *when, bool wait)
{
    if (!mp_dbg.check)
        return;
    if (wait) {
        pthread_mutex_lock(&mp_reg_lock);
    } else if (pthread_mutex_trylock(&mp_reg_lock)) {
        mp_log(MP_MSG_CONFIG, "MAGPOOL_DEBUG: the quarantines were not "
               "checked %s: another thread holds the pool registry", when);
        return;
    }
    for (unsigned i = 0; i < MAGPOOL_MAX_POOLS; i++) {
        struct magpool *p = mp_pools[i];
        if (!p)
            continue;
        if (wait) {
            pthread_mutex_lock(&p->slab.lock);
        } else if (pthread_mutex_trylock(&p->slab.lock)) {
            mp_log(MP_MSG_CONFIG, "MAGPOOL_DEBUG: pool \"%s\": its "
                   "quarantine was not checked %s: another thread holds it",
                   p->name, when);
            continue;
        }
        for (unsigned k = 0; p->dbg_q && k < mp_dbg.quarantine; k++)
            if (p->dbg_q[k])
                check_quarantined(p, p->dbg_q[k], when);
        pthread_mutex_unlock(&p->slab.lock);
    }
    pthread_mutex_unlock(&mp_reg_lock);
}

void mp_debug_check_all(const char *when) { check_all(when, true); }

static void check_all_at_exit(void) { check_all("at exit", false); }

/* Called once by global init, after the options are loaded: ASan's
 * reports name the pool, and MAGPOOL_DEBUG checks every pool at exit. */
void mp_debug_init(void)
{
#ifndef __SANITIZE_ADDRESS__
    if (mp_dbg.asan && __asan_set_error_report_callback)
        __asan_set_error_report_callback(asan_report_hook);
#endif
    if (mp_dbg.check)
        atexit(check_all_at_exit);
}
