/*
 * gluster_front.c - the GlusterFS-facing front: what a GlusterFS 10.3
 * process (glusterd, glusterfsd, FUSE and gfapi clients) calls to use
 * its pools, served by magpool.  Compiled against GlusterFS's development
 * headers, so the layout of struct mem_pool comes from the source of truth
 * (and is checked below).  One front, linked two ways:
 *   - libmagpool-preload.so, the LD_PRELOAD shim for Debian's unmodified
 *     binaries (magpool-preload(7));
 *   - libmagpool-gluster.a, the static archive linked into a rebuilt
 *     glusterfsd (magpool-glusterfsd(8)): glusterfsd is linked with
 *     -rdynamic, so these definitions in the executable win over
 *     libglusterfs's for every caller, as the preloaded ones do.
 * Built only when GlusterFS's headers are found.
 *
 * Owns: GlusterFS's seven pool symbols (mem_pool_new_fn, mem_get_malloc,
 * mem_get_calloc, mem_put_pool, mem_pool_destroy, mem_pools_init,
 * mem_pools_fini) and the two statedump functions that read pools
 * (gf_proc_dump_mempool_info, gf_proc_dump_mempool_info_to_dict), which
 * libglusterfs calls through its PLT and which therefore resolve here.
 *
 *   - A pool handed out is a struct magpool, whose first 72 bytes are
 *     GlusterFS's non-DEBUG struct mem_pool; it is linked into
 *     ctx->mempool_list under ctx->lock, with xl_name from THIS.
 *   - Statedump prints exact active counts (summed from the magazines, so
 *     get/put keep no shared counter) and magpool's real block size as
 *     padded-sizeof, then magpool's own lines: cached objects, mapped
 *     bytes, alloc-count, max-active and the bytes cached in threads and
 *     in the depot (stats.c defines them).
 *   - libglusterfs symbols are referenced weakly and the front links no
 *     GlusterFS library: glusterd's LD_PRELOAD reaches every helper it
 *     spawns (shell hooks, python), which must load the shim unharmed.
 *     (In the static link they resolve to libglusterfs, which glusterfsd
 *     links.)
 *
 *   - The GlusterFS it is loaded into, not the headers it was compiled
 *     with, decides: at the first call of any of these functions the
 *     front reads the version libglusterfs.so carries ("package-string:
 *     glusterfs 10.3" in its read-only data) and looks up the offsets of
 *     ctx->lock and ctx->mempool_list for that release series in a table
 *     (glusterfs_ctx_t changed between 10.x and 11.x; struct mem_pool and
 *     the pool API did not).  The table is checked at compile time
 *     against the headers of the release installed then.  A GlusterFS
 *     of a series not in the table, or one built without its pool
 *     (GF_DISABLE_MEMPOOL, what upstream's default tcmalloc build does:
 *     libglusterfs exports no mem_get_malloc nor mem_put_pool), is left
 *     alone: every function here forwards to GlusterFS's own (found with
 *     dlsym(RTLD_NEXT), or in libglusterfs itself when it was loaded with
 *     RTLD_LOCAL, which RTLD_NEXT does not see), and one message says why.
 *     MAGPOOL_GLUSTERFS=off asks for the same on any GlusterFS.  Where no
 *     libglusterfs is loaded but another library defines these names,
 *     that library keeps them (forwarded, one message).
 *   - A served release's ctx->mempool_list is looked at once, without
 *     faulting, before any lock at the table's offset is taken; if it is
 *     not a list, ctx is never written nor locked.
 *
 * Synchronization: ctx->mempool_list under ctx->lock (GlusterFS's rule).
 * The mode is decided once before any pool of this front exists and never
 * changes: every thread that finds it undecided asks the loader (no lock
 * held), the first to claim gf_claimer publishes, the others wait for
 * that (decide()); the get path reads it with a plain load (set before
 * the first pool is handed out, which the caller's own synchronization
 * orders).  gf_ctx_layout: see ctx_layout_ok().  Everything else as in
 * magazine.c and pool.c.
 *
 * Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).
 */
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glusterfs/dict.h>
#include <glusterfs/globals.h>
#include <glusterfs/mem-pool.h>
#include <glusterfs/statedump.h>

#include "mp.h"

/* The GlusterFS releases whose layout this front knows: offsets in
 * glusterfs_ctx_t of lock and mempool_list (x86-64 and every other LP64
 * target Debian ships GlusterFS on: the fields before them are pointers,
 * longs, ints and pthread types of the same sizes there).  Verified:
 * 10.x against 10.3's headers (Debian 12), 11.x against 11.1's (Debian
 * 13); the other releases of each series have the same struct. */
#define MP_GF10_CTX_LOCK 576
#define MP_GF10_CTX_POOLS 728
#define MP_GF11_CTX_LOCK 544
#define MP_GF11_CTX_POOLS 680
#define MP_GF_FRONT_FOR "10.x, 11.x"

struct mp_gf_layout {
    unsigned major;
    size_t ctx_lock, ctx_pools;
};
static const struct mp_gf_layout mp_gf_layouts[] = {
    { 10, MP_GF10_CTX_LOCK, MP_GF10_CTX_POOLS },
    { 11, MP_GF11_CTX_LOCK, MP_GF11_CTX_POOLS },
};

/* The installed headers' release must agree with the table. */
#if MP_GF_HEADERS_MAJOR == 10
_Static_assert(offsetof(glusterfs_ctx_t, lock) == MP_GF10_CTX_LOCK &&
                   offsetof(glusterfs_ctx_t, mempool_list) == MP_GF10_CTX_POOLS,
               "GlusterFS 10 headers disagree with the 10.x layout");
#elif MP_GF_HEADERS_MAJOR == 11
_Static_assert(offsetof(glusterfs_ctx_t, lock) == MP_GF11_CTX_LOCK &&
                   offsetof(glusterfs_ctx_t, mempool_list) == MP_GF11_CTX_POOLS,
               "GlusterFS 11 headers disagree with the 11.x layout");
#endif
_Static_assert(sizeof(void *) == 8 && sizeof(long) == 8,
               "the layout table holds LP64 offsets");

/* The layout GlusterFS's code reads must be the one magpool hands out. */
#define MP_SAME_FIELD(f, g)                                                    \
    _Static_assert(offsetof(struct mem_pool, f) == offsetof(struct magpool, g) \
                   && sizeof(((struct mem_pool *)0)->f) ==                     \
                          sizeof(((struct magpool *)0)->g),                    \
                   "struct mem_pool field " #f " moved")
MP_SAME_FIELD(sizeof_type, sizeof_type);
MP_SAME_FIELD(count, count);
MP_SAME_FIELD(name, gf_name);
MP_SAME_FIELD(xl_name, xl_name);
MP_SAME_FIELD(active, active);
MP_SAME_FIELD(owner, owner);
MP_SAME_FIELD(ctx, ctx);
MP_SAME_FIELD(pool, gf_pool);
_Static_assert(sizeof(struct mem_pool) <= offsetof(struct magpool, hdr_alloc),
               "struct mem_pool grew over magpool's own fields");
_Static_assert(offsetof(struct mem_pool_shared, power_of_two) == 0,
               "statedump reads power_of_two first");

/* libglusterfs, resolved at run time if present (see above). */
#pragma weak __glusterfs_this_location
#pragma weak gf_proc_dump_add_section
#pragma weak gf_proc_dump_write
#pragma weak dict_set_str
#pragma weak dict_set_uint64
#pragma weak dict_set_static_ptr

/* Names the front in the dynamic symbol table of whatever links it (the
 * shim, or a glusterfsd rebuilt with magpool): `nm -D` on a binary, or
 * gluster/glusterfsd.sh which, tells a magpool glusterfsd from Debian's. */
MP_EXPORT const char magpool_gf_front_version[] =
    "magpool " PACKAGE_VERSION " GlusterFS front for GlusterFS "
    MP_GF_FRONT_FOR;

static inline struct magpool *mp_of(struct mem_pool *p)
{
    return (struct magpool *)p;
}

/* ------------------------------------------------------------------ */
/* Which GlusterFS this is, decided once                               */
/* ------------------------------------------------------------------ */

enum mp_gf_mode { MP_GF_SERVE = 1, MP_GF_FORWARD };

/* GlusterFS's own definitions of the functions this front defines. */
struct gf_fns {
    struct mem_pool *(*pool_new)(glusterfs_ctx_t *, unsigned long,
                                 unsigned long, char *);
    void *(*get_malloc)(struct mem_pool *);
    void *(*get_calloc)(struct mem_pool *);
    void (*put_pool)(void *);
    void (*pool_destroy)(struct mem_pool *);
    void (*pools_init)(void);
    void (*pools_fini)(void);
    void (*dump_info)(glusterfs_ctx_t *);
    void (*dump_info_to_dict)(glusterfs_ctx_t *, dict_t *);
};

/* What a thread found out about the process before the decision: the
 * loader's answers (found with the loader's lock, so never while a
 * decision is being published). */
struct gf_found {
    bool loaded;             /* libglusterfs.so is in the process */
    char version[32];        /* its package-string's release, or "" */
    char path[512];          /* its file name, as the loader has it */
    char next_in[256];       /* the object gf_next.pool_new lies in */
    struct gf_fns next;
};

/* The decision, published once: gf_mode last, with release (a thread
 * that reads it with acquire sees the rest); before it, only the thread
 * holding gf_claimer writes them. */
static int gf_mode;                 /* enum mp_gf_mode, 0 until decided */
static pid_t gf_claimer;            /* the process whose thread decides */
static struct gf_fns gf_next;
static const struct mp_gf_layout *gf_layout; /* NULL: no libglusterfs */
static char gf_version[32];

/* dl_iterate_phdr callback: the version in libglusterfs's read-only
 * data, "package-string: glusterfs X.Y" (GlusterFS's configure puts it
 * there, for its crash reports). */
static int find_version(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct gf_found *f = arg;
    (void)size;
    if (!info->dlpi_name || !strstr(info->dlpi_name, "/libglusterfs.so"))
        return 0;
    f->loaded = true;
    snprintf(f->path, sizeof(f->path), "%s", info->dlpi_name);
    static const char tag[] = "package-string: glusterfs ";
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_R) ||
            (ph->p_flags & PF_W))
            continue;
        const char *seg = (const char *)(info->dlpi_addr + ph->p_vaddr);
        size_t len = ph->p_filesz;
        const char *at = memmem(seg, len, tag, sizeof(tag) - 1);
        if (!at)
            continue;
        /* The whole string, for the message; parsed in decide(). */
        const char *v = at + sizeof(tag) - 1;
        size_t n = 0;
        while (v + n < seg + len && n < sizeof(f->version) - 1 && v[n])
            n++;
        memcpy(f->version, v, n);
        f->version[n] = 0;
        return 1;
    }
    return 1; /* libglusterfs without the string: version unknown */
}

/* The major number of a release "MAJOR.MINOR[.PATCH]" (digits and dots
 * only, no leading zero, nothing after: "11dev" or "10.3dev" is a
 * development build, whose layout may differ), or 0.  Not strtoul: see
 * options.c. */
static unsigned release_major(const char *v)
{
    unsigned major = 0, dots = 0;
    if (*v < '1' || *v > '9')
        return 0;
    for (; *v >= '0' && *v <= '9'; v++)
        if ((major = major * 10 + (unsigned)(*v - '0')) > 1000)
            return 0;
    while (*v == '.' && v[1] >= '0' && v[1] <= '9') {
        dots++;
        for (v++; *v >= '0' && *v <= '9'; v++)
            ;
    }
    return *v || !dots ? 0 : major;
}

static void publish(int m)
{
    __atomic_store_n(&gf_mode, m, __ATOMIC_RELEASE);
}

static void refuse(const char *why)
{
    publish(MP_GF_FORWARD);
    mp_log(MP_MSG_CONFIG,
           "GlusterFS %s: %s; GlusterFS's own memory pools serve this "
           "process (this magpool serves GlusterFS %s)",
           gf_version[0] ? gf_version : "of unknown version", why,
           MP_GF_FRONT_FOR);
}

/* The definitions of the functions this front defines that calls would
 * reach without it: what comes after this object (libglusterfs's own,
 * when it was loaded as a program's dependency, or with RTLD_GLOBAL), or
 * else, when libglusterfs is loaded but RTLD_NEXT does not see it (a
 * program loaded it with RTLD_LOCAL), looked up in libglusterfs itself. */
static void lookup_next(struct gf_found *f, void *from)
{
#define NEXT(field, sym) f->next.field = (__typeof__(f->next.field))dlsym(from, sym)
    NEXT(pool_new, "mem_pool_new_fn");
    NEXT(get_malloc, "mem_get_malloc");
    NEXT(get_calloc, "mem_get_calloc");
    NEXT(put_pool, "mem_put_pool");
    NEXT(pool_destroy, "mem_pool_destroy");
    NEXT(pools_init, "mem_pools_init");
    NEXT(pools_fini, "mem_pools_fini");
    NEXT(dump_info, "gf_proc_dump_mempool_info");
    NEXT(dump_info_to_dict, "gf_proc_dump_mempool_info_to_dict");
#undef NEXT
}

static void find_next(struct gf_found *f)
{
    lookup_next(f, RTLD_NEXT);
    void *h = !f->next.pool_new && f->loaded && f->path[0]
                  ? dlopen(f->path, RTLD_LAZY | RTLD_NOLOAD)
                  : NULL;
    if (h) {
        lookup_next(f, h);
        /* The process keeps libglusterfs loaded as long as it uses it:
         * the reference taken here is dropped at once. */
        dlclose(h);
    }
    Dl_info di;
    snprintf(f->next_in, sizeof(f->next_in), "%s",
             f->next.pool_new && dladdr((void *)f->next.pool_new, &di) &&
                     di.dli_fname
                 ? di.dli_fname
                 : "another library");
}

/* Whether this thread publishes the decision: none was claimed, or one
 * was claimed in a parent process by a thread that did not survive the
 * fork.  Acquire/release on the claim only orders the claims. */
static bool claim(void)
{
    pid_t me = getpid(), cur = 0;
    while (!__atomic_compare_exchange_n(&gf_claimer, &cur, me, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        if (cur == me)
            return false;
    return true;
}

/* Decided by the first thread to get here, without a lock held while the
 * loader is asked: a thread inside dlopen (a library constructor that
 * makes a pool) holds the loader's lock and may wait for the decision,
 * which another thread asking the loader would then never publish. */
static void decide_as(const struct gf_found *f);

static int decide(void)
{
    struct gf_found f;
    memset(&f, 0, sizeof(f));
    dl_iterate_phdr(find_version, &f);
    find_next(&f);
    for (;;) {
        int m = __atomic_load_n(&gf_mode, __ATOMIC_ACQUIRE);
        if (m)
            return m;
        if (claim()) {
            decide_as(&f);
            return __atomic_load_n(&gf_mode, __ATOMIC_ACQUIRE);
        }
        sched_yield(); /* the claimer publishes without waiting */
    }
}

static void decide_as(const struct gf_found *f)
{
    bool gf_loaded = f->loaded;
    gf_next = f->next;
    memcpy(gf_version, f->version, sizeof(gf_version));
    const char *want = getenv("MAGPOOL_GLUSTERFS");
    if (want && *want && strcmp(want, "auto") && strcmp(want, "off"))
        mp_log(MP_MSG_CONFIG, "MAGPOOL_GLUSTERFS=\"%s\" is not auto or off; "
               "auto it is", want);
    if (!gf_loaded && gf_next.pool_new) {
        /* No libglusterfs, but another library defines GlusterFS's pool
         * names (its own pool, of another layout): its functions serve
         * its callers, as they would without this front. */
        publish(MP_GF_FORWARD);
        mp_log(MP_MSG_CONFIG,
               "mem_pool_new_fn in this process is %s's, not GlusterFS's: "
               "magpool leaves the mem_pool functions to it",
               f->next_in);
        return;
    }
    if (!gf_loaded || !gf_next.pool_new) {
        /* No libglusterfs in this process (a program using the GlusterFS
         * names of libmagpool, or a helper glusterd spawned): no
         * glusterfs_ctx_t to link pools into, nothing of GlusterFS's to
         * step aside for. */
        publish(MP_GF_SERVE);
        return;
    }
    if (want && !strcmp(want, "off")) {
        refuse("MAGPOOL_GLUSTERFS=off");
        return;
    }
    if (!gf_next.get_malloc || !gf_next.put_pool || !gf_next.pool_destroy ||
        !gf_next.pools_init || !gf_next.pools_fini) {
        /* GF_DISABLE_MEMPOOL: its callers compiled mem_get and mem_put as
         * GF_MALLOC and GF_FREE, and mem_pool_new_fn returns a size. */
        refuse("built without its memory pool (GF_DISABLE_MEMPOOL, as "
               "with tcmalloc)");
        return;
    }
    unsigned major = release_major(gf_version);
    for (size_t i = 0; i < sizeof(mp_gf_layouts) / sizeof(mp_gf_layouts[0]);
         i++)
        if (gf_version[0] && mp_gf_layouts[i].major == major)
            gf_layout = &mp_gf_layouts[i];
    if (!gf_layout) {
        refuse("its glusterfs_ctx_t layout is not known to this magpool");
        return;
    }
    publish(MP_GF_SERVE);
}

static int mode(void)
{
    int m = __atomic_load_n(&gf_mode, __ATOMIC_ACQUIRE);
    return MP_LIKELY(m) ? m : decide();
}

/* The get path's test: one compare with memory, no call once decided.
 * A plain read: any pool the caller holds was made after the decision
 * (decide()), in this thread or handed over with the caller's own
 * synchronization, which orders the read after decide()'s write; before
 * any pool exists no get can run. */
static inline bool forwarding(void)
{
    return MP_UNLIKELY(gf_mode != MP_GF_SERVE);
}

static gf_lock_t *ctx_lock(glusterfs_ctx_t *ctx)
{
    return (gf_lock_t *)((char *)ctx + gf_layout->ctx_lock);
}

static struct list_head *ctx_pools(glusterfs_ctx_t *ctx)
{
    return (struct list_head *)((char *)ctx + gf_layout->ctx_pools);
}

/* A list head: both links set and pointing back at it.  Read without
 * faulting: at a wrong offset the words are anything. */
static bool looks_like_a_list(const struct list_head *l)
{
    struct list_head h, next, prev;
    return mp_os_peek(l, &h, sizeof(h)) && h.next && h.prev &&
           !((uintptr_t)h.next % sizeof(void *)) &&
           !((uintptr_t)h.prev % sizeof(void *)) &&
           mp_os_peek(h.next, &next, sizeof(next)) &&
           mp_os_peek(h.prev, &prev, sizeof(prev)) && next.prev == l &&
           prev.next == l;
}

/* Whether this GlusterFS's ctx->mempool_list is where the table puts it:
 * 1 yes, -1 no, 0 not looked at yet.  Looked at on the first ctx the
 * front is given, before any lock at the table's offsets is taken (a
 * lock at a wrong offset would lock, or wait on, memory that is no lock);
 * until the answer is stored no pool is linked into any list, so nothing
 * of the front's writes the list being read.  Threads that look at once
 * race to store their answer (compare-and-swap: the first one stands; a
 * later look may have overlapped the first link, so its answer is
 * dropped).  Acquire/release: a thread that reads 1 links pools after
 * the look that stored it. */
static int gf_ctx_layout;

static bool ctx_layout_ok(glusterfs_ctx_t *ctx)
{
    int st = __atomic_load_n(&gf_ctx_layout, __ATOMIC_ACQUIRE);
    if (st)
        return st > 0;
    int mine = looks_like_a_list(ctx_pools(ctx)) ? 1 : -1;
    if (!__atomic_compare_exchange_n(&gf_ctx_layout, &st, mine, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return st > 0;
    if (mine < 0)
        mp_log(MP_MSG_CONFIG,
               "GlusterFS %s: ctx->mempool_list is not where this magpool "
               "expects it; its pools work but are left out of statedump, "
               "and ctx->lock is never taken",
               gf_version);
    return mine > 0;
}

/* ------------------------------------------------------------------ */
/* The pool API                                                        */
/* ------------------------------------------------------------------ */

MP_EXPORT struct mem_pool *mem_pool_new_fn(glusterfs_ctx_t *ctx,
                                           unsigned long sizeof_type,
                                           unsigned long count, char *name)
{
    if (mode() == MP_GF_FORWARD)
        return gf_next.pool_new(ctx, sizeof_type, count, name);
    struct magpool *p = mp_gf_pool_new(ctx, sizeof_type, count, name);
    if (!p)
        return NULL;
    if (__glusterfs_this_location && THIS && THIS->name)
        p->xl_name = THIS->name;
    struct mem_pool *gp = (struct mem_pool *)p;
    INIT_LIST_HEAD(&gp->owner);
    if (ctx && gf_layout && ctx_layout_ok(ctx)) {
        LOCK(ctx_lock(ctx));
        struct list_head *l = ctx_pools(ctx);
        /* This ctx's list too must look like one: a wrong offset never
         * gets written through. */
        bool sane = looks_like_a_list(l);
        if (sane)
            list_add(&gp->owner, l);
        UNLOCK(ctx_lock(ctx));
        if (!sane)
            mp_log(MP_MSG_CONFIG,
                   "GlusterFS %s: ctx->mempool_list is not where this "
                   "magpool expects it; pool \"%s\" is left out of "
                   "statedump", gf_version, p->name);
    }
    return gp;
}

/* A put that is not of a magpool object: in a process GlusterFS's own
 * pools serve, every put comes here and goes to GlusterFS's mem_put_pool
 * (their headers never decode to a magpool pool). */
static MP_NOINLINE void gf_put_slow(void *ptr)
{
    if (mode() != MP_GF_FORWARD)
        mp_put_slow(ptr);
    else if (gf_next.put_pool)
        gf_next.put_pool(ptr);
    /* else a GlusterFS without the pool, whose callers never put to it */
}

/* A get while the mode reads other than "serve": forward, unless this
 * is the first call of the front and the decision is to serve. */
static MP_NOINLINE void *gf_get_forward(struct mem_pool *pool, bool zero)
{
    if (mode() == MP_GF_SERVE)
        return zero ? mp_gf_get_calloc(mp_of(pool)) : mp_get_fast(mp_of(pool));
    void *(*get)(struct mem_pool *) = zero ? gf_next.get_calloc
                                           : gf_next.get_malloc;
    if (!get) {
        /* A GlusterFS without the pool: its callers never get from it. */
        errno = ENOSYS;
        return NULL;
    }
    return get(pool);
}

MP_EXPORT void *mem_get_malloc(struct mem_pool *pool)
{
    if (forwarding())
        return gf_get_forward(pool, false);
    return mp_get_fast(mp_of(pool));
}

MP_EXPORT void *mem_get_calloc(struct mem_pool *pool)
{
    if (forwarding())
        return gf_get_forward(pool, true);
    return mp_gf_get_calloc(mp_of(pool));
}

MP_EXPORT void mem_put_pool(void *ptr)
{
    magpool_inline_put_with(ptr, gf_put_slow);
}

MP_EXPORT void mem_pool_destroy(struct mem_pool *pool)
{
    if (mode() == MP_GF_FORWARD) {
        if (gf_next.pool_destroy)
            gf_next.pool_destroy(pool);
        return;
    }
    if (!pool)
        return;
    glusterfs_ctx_t *ctx = pool->ctx;
    /* Linked only where the list looked like one (mem_pool_new_fn). */
    if (ctx && gf_layout && !list_empty(&pool->owner)) {
        LOCK(ctx_lock(ctx));
        list_del_init(&pool->owner);
        UNLOCK(ctx_lock(ctx));
    }
    magpool_destroy(mp_of(pool));
}

MP_EXPORT void mem_pools_init(void)
{
    if (mode() == MP_GF_FORWARD) {
        if (gf_next.pools_init)
            gf_next.pools_init();
        return;
    }
    mp_gf_pools_init();
}

MP_EXPORT void mem_pools_fini(void)
{
    if (mode() == MP_GF_FORWARD) {
        if (gf_next.pools_fini)
            gf_next.pools_fini();
        return;
    }
    magpool_fini();
}

/* ------------------------------------------------------------------ */
/* Statedump                                                           */
/* ------------------------------------------------------------------ */

MP_EXPORT void gf_proc_dump_mempool_info(glusterfs_ctx_t *ctx)
{
    struct mem_pool *pool;
    if (mode() == MP_GF_FORWARD) {
        if (gf_next.dump_info)
            gf_next.dump_info(ctx);
        return;
    }
    if (!ctx || !gf_layout || !gf_proc_dump_write || !ctx_layout_ok(ctx))
        return;
    gf_proc_dump_add_section("mempool");
    LOCK(ctx_lock(ctx));
    list_for_each_entry(pool, ctx_pools(ctx), owner)
    {
        struct magpool_stats st;
        magpool_stats(mp_of(pool), &st); /* refreshes pool->active too */
        gf_proc_dump_write("-----", "-----");
        gf_proc_dump_write("pool-name", "%s", pool->name);
        gf_proc_dump_write("xlator-name", "%s", pool->xl_name);
        gf_proc_dump_write("active-count", "%" PRIu64, st.active);
        gf_proc_dump_write("sizeof-type", "%lu", pool->sizeof_type);
        gf_proc_dump_write("padded-sizeof", "%zu", st.block_size);
        gf_proc_dump_write("size", "%" PRIu64, st.block_size * st.active);
        gf_proc_dump_write("shared-pool", "%p", (void *)pool->pool);
        gf_proc_dump_write("magpool-cached", "%" PRIu64,
                           st.in_threads + st.in_depot);
        gf_proc_dump_write("magpool-mapped", "%" PRIu64, st.bytes_mapped);
        /* GlusterFS's pre-2017 pool printed these two; magpool(7)
         * defines them. */
        gf_proc_dump_write("alloc-count", "%" PRIu64, st.alloc_count);
        gf_proc_dump_write("max-active", "%" PRIu64, st.max_active);
        gf_proc_dump_write("magpool-bytes-in-threads", "%" PRIu64,
                           st.in_threads * st.block_size);
        gf_proc_dump_write("magpool-bytes-in-depot", "%" PRIu64,
                           st.in_depot * st.block_size);
        uint64_t resident = 0;
        (void)magpool_resident_bytes(mp_of(pool), &resident);
        gf_proc_dump_write("magpool-bytes-resident", "%" PRIu64, resident);
    }
    UNLOCK(ctx_lock(ctx));
}

MP_EXPORT void gf_proc_dump_mempool_info_to_dict(glusterfs_ctx_t *ctx,
                                                 dict_t *dict)
{
    struct mem_pool *pool;
    char key[64];
    int count = 0;
    if (mode() == MP_GF_FORWARD) {
        if (gf_next.dump_info_to_dict)
            gf_next.dump_info_to_dict(ctx, dict);
        return;
    }
    if (!ctx || !gf_layout || !dict || !dict_set_uint64 ||
        !ctx_layout_ok(ctx))
        return;
    LOCK(ctx_lock(ctx));
    /* Unlike GlusterFS 10.3, which writes every pool to "pool0.*",
     * each pool gets its own index. */
    list_for_each_entry(pool, ctx_pools(ctx), owner)
    {
        struct magpool_stats st;
        magpool_stats(mp_of(pool), &st);
#define SET(fn, field, ...)                                                    \
    do {                                                                       \
        snprintf(key, sizeof(key), "pool%d." field, count);                    \
        if (fn(dict, key, __VA_ARGS__))                                        \
            goto out;                                                          \
    } while (0)
        SET(dict_set_str, "name", pool->name);
        SET(dict_set_uint64, "active-count", st.active);
        SET(dict_set_uint64, "sizeof-type", pool->sizeof_type);
        SET(dict_set_uint64, "padded-sizeof", st.block_size);
        SET(dict_set_uint64, "size", st.block_size * st.active);
        SET(dict_set_static_ptr, "shared-pool", pool->pool);
        SET(dict_set_uint64, "alloc-count", st.alloc_count);
        SET(dict_set_uint64, "max-active", st.max_active);
#undef SET
        count++;
    }
out:
    UNLOCK(ctx_lock(ctx));
}
