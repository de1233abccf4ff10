/*
 * lists.h - the two reference pools the harness measures magpool against:
 *
 *   mutex list  one free list per pool behind one mutex, as GlusterFS's
 *               pool was before 2017 (every get and put takes the lock;
 *               memory is never given back while the pool lives).
 *   TLS list    a bare free list per thread, capped at TLSLIST_CAP objects
 *               (beyond that, put frees): no locks, no atomics, no header,
 *               no cross-thread return - the lower bound on the cost of
 *               a local get+put.
 *
 * Both take more from malloc() when empty.  Unlike GlusterFS's mem_put,
 * their put is told the pool, which only makes them cheaper.
 * Their functions live in lists.c, called like any library's: never
 * inlined into the measured loops.
 *
 * Synchronization: a mutex list may be used from any thread (its lock).
 * A TLS list's caches are thread-local; its pool may be used from any
 * thread, and a thread's cached objects are freed when it exits.
 */
#ifndef PERF_LISTS_H
#define PERF_LISTS_H

#include <stddef.h>

#define TLSLIST_CAP 4096    /* objects a thread keeps per pool */
#define TLSLIST_MAX_POOLS 64

struct mtxlist;
struct mtxlist *mtxlist_new(size_t size);
void *mtxlist_get(struct mtxlist *l);
void *mtxlist_get0(struct mtxlist *l); /* zero-filled */
void mtxlist_put(struct mtxlist *l, void *obj);
void mtxlist_destroy(struct mtxlist *l);

struct tlslist;
/* NULL once TLSLIST_MAX_POOLS pools were created (ids are not reused). */
struct tlslist *tlslist_new(size_t size);
void *tlslist_get(struct tlslist *l);
void *tlslist_get0(struct tlslist *l); /* zero-filled */
void tlslist_put(struct tlslist *l, void *obj);
/* Frees the calling thread's cache of it; the caller's job is that no
 * other thread holds any. */
void tlslist_destroy(struct tlslist *l);

#endif /* PERF_LISTS_H */
