/*
 * slab.c - chunks carved into objects: taken from os.c, carved lazily,
 * handed back to os.c (their memory returned to the kernel) when every
 * object is back.
 *
 * Owns: struct mp_slab of each pool and its chunks.  A chunk is a
 * power-of-two sized, equally aligned mapping: the chunk of an object is
 * found by masking its address (only ever done for an object whose header
 * has already proved it is magpool's).  Objects are carved lazily (a bump
 * pointer) so mapping a chunk touches one page, not all of them.
 *
 * Layout of a chunk:  [struct mp_chunk][pad][hdr|object][hdr|object]...
 * Each object is 16-byte aligned and preceded by its 8-byte header.
 *
 * Pages of a chunk that still has objects out: a chunk goes back to the
 * kernel only when every object is back, so one object in use (a
 * GlusterFS volume's root inode) or held in a magazine kept every page
 * ever carved from it.  The sweeper also gives back pages that hold only
 * free objects (mp_slab_release_pages): the free objects whose header is
 * in such a page are taken off the free list first (the list is linked
 * through their bodies, which the kernel is about to zero), the page is
 * dropped with MADV_DONTNEED, and the run of pages is recorded in the
 * chunk (the 16 longest runs, found afresh at each pass:
 * release_chunk_pages; the sweeper waits while the pool is carving such
 * runs again: mp_slab_release_pages); when the free list and
 * the bump pointer run dry,
 * the first pages of a recorded run, as many as the refill needs, are
 * carved again (recarve_run).  A free object whose header is in a
 * kept page stays on the list even if its body reaches into a dropped
 * page (only its first 16
 * bytes, header and link, are ever read while it is free: they never
 * straddle a page, since objects are never page-aligned).
 *
 * Synchronization: every field of struct mp_slab and of its chunks is
 * protected by slab.lock, taken only on slow paths (a get that found the
 * depot empty, the sweeper, trim, destroy, a put over the depot limit).
 *
 * Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mp.h"

static size_t round_up(size_t v, size_t a) { return (v + a - 1) & ~(a - 1); }

/* slab.lock spins a little before it sleeps (glibc's adaptive mutex):
 * its holds are short (carving or returning a magazine's worth of
 * objects; a chunk is mapped outside it), and a thread put to sleep on a
 * futex on a virtual machine may wait milliseconds for its wake-up. */
void mp_slab_lock_init(struct mp_slab *sl)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ADAPTIVE_NP);
    pthread_mutex_init(&sl->lock, &a);
    pthread_mutexattr_destroy(&a);
}

/* Colours.  Chunks are aligned to their size, so without colours object
 * i of every pool sits at the same offset in its page.  A thread that
 * walks several pools then stores to one object's header and loads the
 * next pool's header at the same address modulo 4096: the processor takes
 * the load for one that may depend on the store (4K aliasing) and holds
 * it, and those objects also crowd the same few sets of the L1 cache.  A
 * pool's objects therefore start one of several cache lines into each
 * chunk (its colour, as in Bonwick's slab allocator), pools taking the
 * colours in turn as they are made.  The colours use the room the last
 * object leaves at the chunk's end (no object lost; a 512-byte object's
 * 1 MiB chunk has 5); where that room is under a cache line (a 64-byte
 * object's: 56 bytes), there are 2 colours and the second costs one
 * object's room (or the fewest that make a line, for objects of 40
 * bytes or less), if the chunk keeps at least 4 objects.  At most 4 KiB of
 * colours: the aliasing and the L1 cache's sets repeat modulo 4 KiB,
 * whatever the page size. */
#define MP_COLOUR_STEP 64u
#define MP_COLOUR_SPAN 4096u
static unsigned colour_next;

/* The colour offset of the next pool: `room` bytes after the first
 * header's offset in a chunk, objects of `stride` bytes. */
static size_t colour(size_t room, size_t stride)
{
    size_t nobj = room / stride, slack = room - nobj * stride;
    size_t colours = slack / MP_COLOUR_STEP + 1;
    if (colours > MP_COLOUR_SPAN / MP_COLOUR_STEP)
        colours = MP_COLOUR_SPAN / MP_COLOUR_STEP;
    if (colours < 2 &&
        (room - MP_COLOUR_STEP) / stride >= 4)
        colours = 2;
    /* Relaxed: a counter that only spreads pools over the colours; two
     * pools made at once that read the same value lose nothing but the
     * spread. */
    unsigned n = __atomic_fetch_add(&colour_next, 1, __ATOMIC_RELAXED);
    return (n % colours) * MP_COLOUR_STEP;
}

int mp_slab_init(struct magpool *pool)
{
    struct mp_slab *sl = &pool->slab;
    mp_slab_lock_init(sl);
    CDS_INIT_LIST_HEAD(&sl->partial);
    CDS_INIT_LIST_HEAD(&sl->full);
    /* Debug modes put a canary area after each object (debug.c). */
    sl->stride = round_up(pool->obj_size + MP_HDR_SIZE +
                              (mp_dbg.on ? MP_DBG_TAIL : 0),
                          MP_OBJ_ALIGN);
    /* Offset of the first header: the object after it is 16-aligned. */
    size_t first = round_up(sizeof(struct mp_chunk) + MP_HDR_SIZE,
                            MP_OBJ_ALIGN) - MP_HDR_SIZE;
    size_t want = first + 4 * sl->stride;
    if (want < mp_opt.chunk_bytes)
        want = mp_opt.chunk_bytes;
    size_t cs = 1;
    while (cs < want)
        cs <<= 1;
    sl->chunk_size = cs;
    /* The unit of page release: the system's page (see below). */
    sl->page = (size_t)sysconf(_SC_PAGESIZE);
    sl->first = first + colour(cs - first, sl->stride);
    sl->nobj = (unsigned)((cs - sl->first) / sl->stride);
    sl->out = sl->chunks = sl->maps = sl->unmaps = sl->refills = 0;
    sl->recarves = sl->recarves_seen = 0;
    sl->rel_deferred = 0;
    return 0;
}

/* Map a chunk for pool.  Called with slab.lock held; drops it around the
 * mapping (mmap can take milliseconds while another thread of the
 * process faults pages in, and the threads waiting for the lock would
 * wait that long).  Another thread may have added a chunk meanwhile:
 * then the new one goes back to os.c for the next map, untouched but
 * its first page. */
static struct mp_chunk *chunk_map(struct magpool *pool)
{
    struct mp_slab *sl = &pool->slab;
    pthread_mutex_unlock(&sl->lock);
    char *base = mp_os_map(sl->chunk_size);
    pthread_mutex_lock(&sl->lock);
    if (!base)
        return NULL;
    if (!cds_list_empty(&sl->partial)) {
        mp_os_retire(base, sl->chunk_size);
        return cds_list_first_entry(&sl->partial, struct mp_chunk, link);
    }
    /* A reused range may hold what memcheck was told is free. */
    mp_dbg_expose(base, sl->chunk_size);
    struct mp_chunk *c = (struct mp_chunk *)base;
    c->pool = pool;
    c->free = NULL;
    c->bump = base + sl->first;
    c->end = c->bump + (size_t)sl->nobj * sl->stride;
    c->nobj = sl->nobj;
    c->out = 0;
    c->on_partial = true;
    c->freed_since_release = false;
    c->nrel = 0;
    cds_list_add(&c->link, &sl->partial);
    sl->chunks++;
    sl->maps++;
    return c;
}

/* Retire chunk c; returns the bytes of it that left the process: what
 * was resident less the first page, which os.c writes the retired list's
 * link into and so stays in memory (the header page is always resident:
 * the chunk's header lives in it). */
static size_t chunk_unmap(struct mp_slab *sl, struct mp_chunk *c)
{
    cds_list_del(&c->link);
    size_t resident = mp_os_resident(c, sl->chunk_size);
    mp_os_retire(c, sl->chunk_size);
    sl->chunks--;
    sl->unmaps++;
    return resident > sl->page ? resident - sl->page : 0;
}

/* Bytes of the pool's chunks the kernel holds in memory now (mincore(2)):
 * what its mapped chunks really cost, carved objects free in the slab
 * included, never-carved pages not.  Takes slab.lock; statistics only. */
uint64_t mp_slab_resident(struct magpool *pool)
{
    struct mp_slab *sl = &pool->slab;
    uint64_t bytes = 0;
    pthread_mutex_lock(&sl->lock);
    struct cds_list_head *lists[2] = { &sl->partial, &sl->full };
    for (int l = 0; l < 2; l++) {
        struct mp_chunk *c;
        cds_list_for_each_entry(c, lists[l], link)
            bytes += mp_os_resident(c, sl->chunk_size);
    }
    pthread_mutex_unlock(&sl->lock);
    return bytes;
}

static struct mp_chunk *chunk_of(const struct mp_slab *sl, void *obj)
{
    return (struct mp_chunk *)((uintptr_t)obj & ~(sl->chunk_size - 1));
}

/* ------------------------------------------------------------------ */
/* Pages of live chunks                                                 */
/* ------------------------------------------------------------------ */

/* The page release works in units of sl->page bytes: the system's page
 * size (sysconf), 4 KiB on x86-64, 4, 16 or 64 KiB on arm64, 64 KiB on
 * ppc64el.  Any multiple of the system's page works as well (madvise then
 * drops whole pages), which is how the tests exercise 16 and 64 KiB on a
 * 4 KiB machine.  Per chunk, one bit per page marks the busy ones and one
 * bit per object the free ones, on the stack: chunks of at most
 * MP_REL_MAX_CHUNK bytes (the default size; a larger MAGPOOL_CHUNK_BYTES
 * switches the release off) and at most MP_REL_MAX_PAGES pages. */
#define MP_REL_MAX_CHUNK (1u << 20)
#define MP_REL_MAX_PAGES (MP_REL_MAX_CHUNK / 4096u)

/* Offset in the chunk of object i's header. */
static size_t hdr_off(const struct mp_slab *sl, size_t i)
{
    return sl->first + i * sl->stride;
}

/* Objects ever carved from c (the bump pointer's progress). */
static size_t carved(const struct mp_slab *sl, const struct mp_chunk *c)
{
    return (size_t)(c->bump - ((const char *)c + sl->first)) / sl->stride;
}

/* One bit per page or object, in arrays of 64-bit words. */
static bool bit(const uint64_t *m, size_t i)
{
    return m[i / 64] & (1ull << (i % 64));
}

static void set_bit(uint64_t *m, size_t i) { m[i / 64] |= 1ull << (i % 64); }

/* Set the bits of pages [page, page + n). */
static void set_run(uint64_t *m, size_t page, size_t n)
{
    for (size_t q = page; q < page + n; q++)
        set_bit(m, q);
}

/* Put back on the free list the objects whose header is in pages
 * [lo, hi) of c, given back earlier (their headers read zero since the
 * kernel dropped the pages: each gets the free value again, so that a
 * double put of one is seen as such), except those whose header page is
 * set in keep (NULL: none). */
static void recarve_pages(struct mp_slab *sl, struct mp_chunk *c, size_t lo,
                          size_t hi, const uint64_t *keep)
{
    uint64_t hdr_free = c->pool->hdr_alloc ^ MP_HDR_FLIP;
    size_t from = lo * sl->page, to = hi * sl->page;
    size_t k = carved(sl, c);
    /* The first object whose header is at or after from. */
    size_t i = from > sl->first
                   ? (from - sl->first + sl->stride - 1) / sl->stride
                   : 0;
    for (; i < k && hdr_off(sl, i) < to; i++) {
        if (keep && bit(keep, hdr_off(sl, i) / sl->page))
            continue;
        char *obj = (char *)c + hdr_off(sl, i) + MP_HDR_SIZE;
        if (mp_in_page_head(obj))
            continue; /* never handed out */
        *mp_hdr(obj) = hdr_free;
        *(void **)obj = c->free;
        c->free = obj;
    }
}

/* The free list and the bump pointer ran dry: carve again the first
 * pages of c's last recorded run, enough for want objects, and keep the
 * rest of the run recorded (or forget the run if it is all taken).
 * Carving writes each header, which brings the page back from the
 * kernel: a refill of a few objects from a run of a hundred pages used
 * to bring back all hundred.  An object whose header is in the last page
 * taken may reach into the run's next page; that is the page it faults
 * in when written, and the next release finds the run split there.  The
 * objects taken but not handed out now are free again in resident
 * pages: the chunk is looked at by the next release. */
static void recarve_run(struct mp_slab *sl, struct mp_chunk *c, unsigned want)
{
    sl->recarves++;
    size_t lo = c->rel[c->nrel - 1].page, n = c->rel[c->nrel - 1].npages;
    size_t take = ((size_t)want * sl->stride + sl->page - 1) / sl->page;
    if (take >= n) {
        take = n;
        c->nrel--;
    } else {
        c->rel[c->nrel - 1].page = (uint32_t)(lo + take);
        c->rel[c->nrel - 1].npages = (uint32_t)(n - take);
    }
    recarve_pages(sl, c, lo, lo + take, NULL);
    c->freed_since_release = true;
}

/* Bytes resident now of the pages of c's recorded runs that are not set
 * in keep: the pages whose objects recarve_pages is about to write. */
static size_t resident_not_kept(const struct mp_slab *sl,
                                const struct mp_chunk *c,
                                const uint64_t *keep)
{
    size_t bytes = 0;
    for (unsigned r = 0; r < c->nrel; r++)
        for (size_t q = c->rel[r].page;
             q < (size_t)c->rel[r].page + c->rel[r].npages; q++)
            if (!bit(keep, q))
                bytes += mp_os_resident((const char *)c + q * sl->page,
                                        sl->page);
    return bytes;
}

/* Give back the pages of chunk c that hold only free objects (or
 * never-carved space).  Returns the bytes by which that lowered the
 * chunk's resident memory: the pages given back that were resident,
 * less the pages of runs given back before that came back because their
 * objects were carved again here; negative if those were more (a sum
 * over chunks must see it: magpool_trim clamps only its total).
 * slab.lock held.
 *
 * The runs are found afresh at each pass over the whole chunk, counting
 * the objects of the runs given back before as free: adjacent runs merge,
 * and c keeps the MP_REL_RUNS largest.  A chunk that churns while the
 * sweeper runs gives back, pass after pass, the pages free at each
 * moment; recording each pass's runs as new ones filled the table, after
 * which the chunk gave back nothing more, and a chunk pinned by one
 * object kept every page freed later (a GlusterFS volume's inode table,
 * after thousands of creates and unlinks: 1.2 MiB of 2 MiB resident for
 * its root inode).  A run given back before that is no longer among the
 * largest (more than MP_REL_RUNS runs, or an object handed out since
 * reaches into it) has the objects whose header lies outside the kept
 * runs carved again: its pages come back as they are written, and are
 * smaller than the runs kept.  When nothing changed, no page is touched. */
static long long release_chunk_pages(struct mp_slab *sl, struct mp_chunk *c)
{
    size_t k = carved(sl, c);
    size_t page = sl->page;
    size_t npages = sl->chunk_size / page;
    /* Pages below this one hold the chunk's header (never given back);
     * a colour may put the first object past them. */
    size_t first_page = (sizeof(struct mp_chunk) + page - 1) / page;
    /* One bit per page: busy (some object overlapping it is out), in a
     * run given back before (old), in a run kept now (keep). */
    uint64_t busy[MP_REL_MAX_PAGES / 64], old[MP_REL_MAX_PAGES / 64],
        keep[MP_REL_MAX_PAGES / 64];
    if (sl->chunk_size > MP_REL_MAX_CHUNK || npages > sizeof(busy) * 8)
        return 0;
    memset(busy, 0, sizeof(busy));
    memset(old, 0, sizeof(old));
    memset(keep, 0, sizeof(keep));
    for (unsigned r = 0; r < c->nrel; r++)
        set_run(old, c->rel[r].page, c->rel[r].npages);
    /* Which carved objects are free (on the list): one bit each, at most
     * 1 MiB / 16 B of them (8 KiB of stack).  The others are out, except
     * page-head slots (never handed out) and those whose header is in an
     * old run (free, off the list). */
    uint64_t isfree[MP_REL_MAX_CHUNK / MP_OBJ_ALIGN / 64];
    memset(isfree, 0, (k + 63) / 64 * sizeof(uint64_t));
    for (char *o = c->free; o; o = *(char **)o)
        set_bit(isfree, ((size_t)(o - (char *)c) - MP_HDR_SIZE - sl->first) /
                            sl->stride);
    for (size_t i = 0; i < k; i++) {
        char *obj = (char *)c + hdr_off(sl, i) + MP_HDR_SIZE;
        size_t a = hdr_off(sl, i) / page;
        if (bit(isfree, i) || bit(old, a) || mp_in_page_head(obj))
            continue;
        size_t b = (hdr_off(sl, i) + sl->stride - 1) / page;
        for (size_t q = a; q <= b && q < npages; q++)
            set_bit(busy, q);
    }
    /* Runs of free pages below the page the bump pointer is in: an object
     * carved later has its header at or above it, so a recorded run never
     * owns an object carved after the run was given back (recarve_run
     * puts back every object whose header is in the run).  The
     * MP_REL_RUNS longest are kept (the first found among equals). */
    size_t top = hdr_off(sl, k) / page;
    if (top > npages)
        top = npages;
    struct { size_t page, n; } runs[MP_REL_RUNS];
    unsigned nruns = 0;
    for (size_t q = first_page; q < top;) {
        if (bit(busy, q)) {
            q++;
            continue;
        }
        size_t e = q;
        while (e < top && !bit(busy, e))
            e++;
        unsigned at = nruns;
        if (nruns == MP_REL_RUNS) {
            /* Full: replace the shortest if this one is longer. */
            at = 0;
            for (unsigned r = 1; r < nruns; r++)
                if (runs[r].n < runs[at].n)
                    at = r;
            if (runs[at].n >= e - q)
                at = MP_REL_RUNS;
        } else {
            nruns++;
        }
        if (at < MP_REL_RUNS) {
            runs[at].page = q;
            runs[at].n = e - q;
        }
        q = e;
    }
    for (unsigned r = 0; r < nruns; r++)
        set_run(keep, runs[r].page, runs[r].n);
    /* Old runs' objects outside the kept runs back on the free list.
     * Writing their headers brings those pages back from the kernel:
     * what this call gave is net of them (a trim's figure is what left
     * the process, which the caller can check with mincore). */
    size_t back = resident_not_kept(sl, c, keep);
    for (unsigned r = 0; r < c->nrel; r++)
        recarve_pages(sl, c, c->rel[r].page,
                      c->rel[r].page + c->rel[r].npages, keep);
    size_t now = resident_not_kept(sl, c, keep);
    back = now > back ? now - back : 0;
    /* Objects whose header is in a kept run off the free list before the
     * kernel zeroes the links (those of old runs are off it already). */
    char **pp = (char **)&c->free;
    while (*pp) {
        char *o = *pp;
        if (bit(keep, ((size_t)(o - (char *)c) - MP_HDR_SIZE) / page))
            *pp = *(char **)o;
        else
            pp = (char **)o;
    }
    size_t given = 0;
    c->nrel = 0;
    for (unsigned r = 0; r < nruns; r++) {
        size_t fresh = 0;
        for (size_t q = runs[r].page; q < runs[r].page + runs[r].n; q++)
            fresh += !bit(old, q);
        /* A page of a run given back before can be resident again
         * without being new to the run: an object whose header is in the
         * page before the run reaches into it, and was handed out,
         * written and put back.  So the test is residence (mincore), not
         * newness.  MADV_DONTNEED on private anonymous memory cannot fail
         * for a range we mapped; the pages read as zeros when touched
         * again.  Only what leaves counts. */
        char *at = (char *)c + runs[r].page * page;
        size_t res = mp_os_resident(at, runs[r].n * page);
        if (res) {
            given += res;
            (void)madvise(at, runs[r].n * page, MADV_DONTNEED);
            sl->pages_released += fresh;
        }
        c->rel[c->nrel].page = (uint32_t)runs[r].page;
        c->rel[c->nrel].npages = (uint32_t)runs[r].n;
        c->nrel++;
    }
    return (long long)given - (long long)back;
}

/* Sweeper and trim: give back the free pages of every chunk that had
 * objects returned since its last pass.  Not in a debug mode (a write
 * after put into a dropped page would vanish unseen, as for chunks).
 *
 * A pool that carved a given-back run again since the sweeper's last pass
 * took back pages it had given: its refills are faulting them in again (a
 * kernel fault and a zeroed page each), and pages given back now would
 * likely follow.  The sweeper (now false) then waits, up to MP_REL_DEFER
 * passes in a row, so that such a pool still gives its free pages back
 * every MP_REL_DEFER + 1 passes; trim (now true) never waits.  Refills
 * served by free objects still resident, or by fresh chunks, fault in no
 * page given back, and do not delay the release.
 * Returns the bytes by which the pool's resident memory fell (negative
 * if pages carved again here outweighed those given back). */
long long mp_slab_release_pages(struct magpool *pool, bool now)
{
    struct mp_slab *sl = &pool->slab;
    long long given = 0;
    if (mp_dbg.on)
        return 0;
    pthread_mutex_lock(&sl->lock);
    bool refaulting = sl->recarves != sl->recarves_seen;
    sl->recarves_seen = sl->recarves;
    if (refaulting && !now && sl->rel_deferred < MP_REL_DEFER) {
        sl->rel_deferred++;
        pthread_mutex_unlock(&sl->lock);
        return 0;
    }
    sl->rel_deferred = 0;
    struct mp_chunk *c;
    cds_list_for_each_entry(c, &sl->partial, link) {
        if (!c->freed_since_release)
            continue;
        c->freed_since_release = false;
        given += release_chunk_pages(sl, c);
    }
    pthread_mutex_unlock(&sl->lock);
    return given;
}

/* Carve up to n free objects into out[]; returns how many (0: ENOMEM). */
unsigned mp_slab_alloc(struct magpool *pool, void **out, unsigned n)
{
    struct mp_slab *sl = &pool->slab;
    uint64_t hdr_free = pool->hdr_alloc ^ MP_HDR_FLIP;
    unsigned got = 0;
    pthread_mutex_lock(&sl->lock);
    sl->refills++;
    while (got < n) {
        struct mp_chunk *c;
        if (cds_list_empty(&sl->partial)) {
            if (!chunk_map(pool))
                break;
        }
        c = cds_list_first_entry(&sl->partial, struct mp_chunk, link);
        if (!c->free && c->nrel)
            recarve_run(sl, c, n - got);
        while (got < n && c->free) {
            void *obj = c->free;
            mp_dbg_expose(obj, sizeof(void *));
            c->free = *(void **)obj;
            /* Free until a get hands it out: whatever its header held
             * while in the slab, a double put of it from a magazine must
             * read the free value. */
            *mp_hdr(obj) = hdr_free;
            out[got++] = obj;
            c->out++;
        }
        while (got < n && c->bump < c->end) {
            void *obj = c->bump + MP_HDR_SIZE;
            c->bump += sl->stride;
            if (mp_in_page_head(obj))
                continue; /* never hand out a page-aligned object */
            *mp_hdr(obj) = hdr_free;
            out[got++] = obj;
            c->out++;
        }
        if (!c->free && c->bump == c->end && !c->nrel) {
            cds_list_move(&c->link, &sl->full);
            c->on_partial = false;
        }
    }
    sl->out += got;
    pthread_mutex_unlock(&sl->lock);
    if (got == 0)
        mp_log(MP_MSG_OOM, "pool \"%s\": cannot map a %zu-byte chunk: %s",
               pool->name, sl->chunk_size, "out of memory");
    return got;
}

/* Return n objects (already marked free); retire chunks that become
 * entirely free.  Returns the resident bytes those chunks gave back. */
size_t mp_slab_free(struct magpool *pool, void **objs, unsigned n)
{
    struct mp_slab *sl = &pool->slab;
    size_t unmapped = 0;
    if (!n)
        return 0;
    pthread_mutex_lock(&sl->lock);
    for (unsigned i = 0; i < n; i++) {
        void *obj = objs[i];
        struct mp_chunk *c = chunk_of(sl, obj);
        mp_dbg_expose(obj, sizeof(void *));
        *(void **)obj = c->free;
        mp_dbg_hide(obj, sizeof(void *));
        c->free = obj;
        c->out--;
        c->freed_since_release = true;
        if (!c->on_partial) {
            cds_list_move(&c->link, &sl->partial);
            c->on_partial = true;
        }
        /* In a debug mode chunks stay: a write after put into memory
         * given back to the kernel would vanish unseen (debug.c). */
        if (c->out == 0 && !mp_dbg.on)
            unmapped += chunk_unmap(sl, c);
    }
    sl->out -= n;
    pthread_mutex_unlock(&sl->lock);
    return unmapped;
}

/* Unmap every chunk, objects outstanding or not (pool destruction). */
void mp_slab_destroy(struct magpool *pool)
{
    struct mp_slab *sl = &pool->slab;
    struct mp_chunk *c, *tmp;
    pthread_mutex_lock(&sl->lock);
    cds_list_for_each_entry_safe(c, tmp, &sl->partial, link)
        chunk_unmap(sl, c);
    cds_list_for_each_entry_safe(c, tmp, &sl->full, link)
        chunk_unmap(sl, c);
    sl->out = 0;
    pthread_mutex_unlock(&sl->lock);
    pthread_mutex_destroy(&sl->lock);
}
