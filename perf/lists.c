/*
 * lists.c - the mutex list and the TLS list (see lists.h for what each
 * stands for).
 *
 * Free objects are linked through their first word.  The TLS cache of a
 * thread counts its free room, not its objects: room is 0 in a thread
 * that never used the pool (TLS starts zeroed), which sends its first put
 * to the slow path where the thread-exit hook is set, with no extra test
 * on the fast paths.
 *
 * Synchronization:
 *   mtxlist.free    mtxlist.lock
 *   tl_cache[]      the owning thread only (exit hook included)
 *   tls_next_id     atomic
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lists.h"

struct node {
    struct node *next;
};

static size_t block_size(size_t size)
{
    return size < sizeof(struct node) ? sizeof(struct node) : size;
}

/* ---------------------------------------------------------- mutex list */

struct mtxlist {
    pthread_mutex_t lock;
    struct node *free;
    size_t size;  /* asked for */
    size_t block; /* malloc'ed */
};

struct mtxlist *mtxlist_new(size_t size)
{
    struct mtxlist *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    pthread_mutex_init(&l->lock, NULL);
    l->size = size;
    l->block = block_size(size);
    return l;
}

void *mtxlist_get(struct mtxlist *l)
{
    pthread_mutex_lock(&l->lock);
    struct node *n = l->free;
    if (n)
        l->free = n->next;
    pthread_mutex_unlock(&l->lock);
    return n ? n : malloc(l->block);
}

void *mtxlist_get0(struct mtxlist *l)
{
    void *obj = mtxlist_get(l);
    return obj ? memset(obj, 0, l->size) : NULL;
}

void mtxlist_put(struct mtxlist *l, void *obj)
{
    struct node *n = obj;
    pthread_mutex_lock(&l->lock);
    n->next = l->free;
    l->free = n;
    pthread_mutex_unlock(&l->lock);
}

void mtxlist_destroy(struct mtxlist *l)
{
    while (l->free) {
        struct node *n = l->free;
        l->free = n->next;
        free(n);
    }
    pthread_mutex_destroy(&l->lock);
    free(l);
}

/* ------------------------------------------------------------ TLS list */

struct tlslist {
    size_t size;  /* asked for */
    size_t block; /* malloc'ed */
    unsigned id;
};

struct tl_cache {
    struct node *head;
    unsigned room; /* objects it may still take; 0 before first use */
};

static __thread struct tl_cache tl_cache[TLSLIST_MAX_POOLS];
static __thread bool tl_hooked;
static _Atomic unsigned tls_next_id;
static pthread_key_t tl_key;
static pthread_once_t tl_key_once = PTHREAD_ONCE_INIT;

static void tl_cache_free(struct tl_cache *c)
{
    while (c->head) {
        struct node *n = c->head;
        c->head = n->next;
        free(n);
    }
    c->room = 0;
}

static void tl_exit(void *unused)
{
    (void)unused;
    for (unsigned i = 0; i < TLSLIST_MAX_POOLS; i++)
        tl_cache_free(&tl_cache[i]);
}

static void tl_key_create(void) { pthread_key_create(&tl_key, tl_exit); }

/* First use of the pool by this thread: arm the exit hook, open room. */
static __attribute__((noinline)) void tl_first_use(struct tl_cache *c)
{
    if (!tl_hooked) {
        pthread_once(&tl_key_once, tl_key_create);
        pthread_setspecific(tl_key, (void *)1);
        tl_hooked = true;
    }
    c->room = TLSLIST_CAP;
}

struct tlslist *tlslist_new(size_t size)
{
    unsigned id = atomic_fetch_add(&tls_next_id, 1);
    if (id >= TLSLIST_MAX_POOLS)
        return NULL;
    struct tlslist *l = malloc(sizeof *l);
    if (!l)
        return NULL;
    l->size = size;
    l->block = block_size(size);
    l->id = id;
    return l;
}

static __attribute__((noinline)) void *tlslist_get_slow(struct tlslist *l)
{
    struct tl_cache *c = &tl_cache[l->id];
    if (!c->room)
        tl_first_use(c);
    return malloc(l->block);
}

void *tlslist_get(struct tlslist *l)
{
    struct tl_cache *c = &tl_cache[l->id];
    struct node *n = c->head;
    if (__builtin_expect(n != NULL, 1)) {
        c->head = n->next;
        c->room++;
        return n;
    }
    return tlslist_get_slow(l);
}

void *tlslist_get0(struct tlslist *l)
{
    void *obj = tlslist_get(l);
    return obj ? memset(obj, 0, l->size) : NULL;
}

static __attribute__((noinline)) void tlslist_put_slow(struct tlslist *l,
                                                       void *obj)
{
    struct tl_cache *c = &tl_cache[l->id];
    if (c->head) { /* no room left, yet objects: full */
        free(obj);
        return;
    }
    tl_first_use(c);
    tlslist_put(l, obj);
}

void tlslist_put(struct tlslist *l, void *obj)
{
    struct tl_cache *c = &tl_cache[l->id];
    if (__builtin_expect(c->room != 0, 1)) {
        struct node *n = obj;
        n->next = c->head;
        c->head = n;
        c->room--;
        return;
    }
    tlslist_put_slow(l, obj);
}

void tlslist_destroy(struct tlslist *l)
{
    tl_cache_free(&tl_cache[l->id]);
    free(l);
}
