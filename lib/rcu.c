/*
 * rcu.c - magpool's use of RCU (liburcu's memory-barrier flavour,
 * urcu-mb): which threads are registered readers, grace periods, and
 * what fork() must repair.
 *
 * Owns: the per-thread registration record, the list of the threads
 * magpool registered, mp_rcu_lock, mp_rcu_list_lock, the grace-period
 * count mp_gp_seq and where liburcu-mb's registry head lies.
 *
 * Why urcu-mb.  magpool is a guest in programs that use liburcu
 * themselves, most of them through its default flavour (urcu-memb, what
 * <urcu.h> gives).  liburcu's flavours are separate domains: each has
 * its own registry, its own per-thread reader record and its own grace
 * periods.  In a domain of its own magpool can register a thread the
 * program registered too, the program can register a thread magpool
 * registered first, magpool's grace periods never wait for the program's
 * readers nor the program's for magpool's, and a grace period magpool
 * waits for inside the program's read-side section cannot wait for
 * itself.  urcu-mb rather than urcu-bp: registering with urcu-bp may mmap
 * a larger registry and liburcu-bp calls abort() when that mmap fails;
 * registering with urcu-mb links the thread's own TLS record into a list
 * and allocates nothing, so it cannot fail.  Its read-side lock costs a
 * full memory barrier, taken only around a depot pop (a slow path).
 *
 * A program that uses urcu-mb itself shares that domain with magpool.
 * Then a thread the program registered is used as it is: magpool never
 * registers it again and never unregisters it; and a thread inside a
 * read-side section (the program's) never waits for a grace period:
 * the work that needed one is deferred (mp_grace_period() returns
 * false).  What magpool cannot prevent there is the program registering
 * a thread magpool registered first (liburcu's assertion): magpool(3).
 *
 *   Persistent registration: a thread with a thread cache (tcache.c)
 *       that is not a registered reader yet registers once, when the
 *       cache is created, and magpool unregisters it in the cache's
 *       thread-exit hook; after that hook the thread is marked as exiting
 *       and never registers persistently again (a put from a later
 *       destructor goes straight to the slab).
 *   Temporary registration: any other thread that pops a depot and is
 *       not a registered reader registers around that one pop; destroy,
 *       trim and magpool_foreach register around the whole call, before
 *       they take mp_reg_lock (mp_rcu_enter), so that nothing a foreach
 *       callback calls registers under that lock either.
 *   No waiting under the registry for the program's code: while a
 *       magpool_foreach callback runs, mp_grace_period() defers
 *       (mp_rcu_nowait_begin).
 *   fork(): magpool makes every register, unregister and synchronize_rcu
 *       holding mp_rcu_lock shared, and the prepare handler holds it
 *       exclusive, so in the child no magpool thread was inside liburcu's
 *       registry or grace-period code.  Shared, not a mutex: a thread
 *       registering must not wait for a grace period another thread of
 *       magpool's is waiting out (liburcu lets threads register while a
 *       grace period runs), since that grace period may wait for a reader
 *       of the program that waits for a lock the registering thread
 *       holds (mp_reg_lock in a magpool_foreach callback).  The forking
 *       thread itself is registered for the fork if it is no reader
 *       (mp_rcu_fork_enter).  In the child, the threads that did not
 *       survive are still linked in liburcu's registry, inside their TLS,
 *       which glibc reuses for the child's next threads; the child
 *       handler walks the registry from this thread's record, finds its
 *       head (the one node inside liburcu's image) and unlinks every
 *       other record (struct urcu_reader is liburcu's public definition)
 *       before any thread can be created: magpool's and the program's,
 *       whose threads are gone too.  A grace period under way at the
 *       fork may have moved this record onto lists headed on the
 *       waiting thread's stack: then the head noted earlier
 *       (urcu_registry) is emptied and this record relinked to it.
 *
 * Synchronization:
 *   mp_rcu_self (TLS)      the owner thread only, except the child of
 *                          fork, which unlinks dead threads' records.
 *   mp_rcu_lock            a reader-writer lock preferring the writer
 *                          (fork's prepare handler): held shared around
 *                          each of magpool's calls into liburcu's
 *                          registry or grace periods.
 *   mp_rcu_threads, links  mp_rcu_list_lock, held only to link or unlink
 *                          a record (never across a call into liburcu).
 *   mp_gp_seq              see mp_grace_period().
 *   urcu_registry          relaxed atomic, stored by any thread that sees
 *                          the head (always the same address), read in
 *                          the fork child handler.
 *   Lock order: mp_reg_lock -> mp_rcu_lock -> mp_rcu_list_lock (a depot
 *   pop made under the registry lock may register the thread).
 *
 * Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).
 */
/* liburcu's inline read-side lock and the definition of its reader
 * record.  Only here: liburcu's inline lfstack code trips UBSan (a member
 * of a NULL head), so depot.c calls the library's functions. */
#define _LGPL_SOURCE
#include <link.h>

#include "mp.h"

struct mp_rcu_thread {
    struct cds_list_head link;      /* mp_rcu_threads, under mp_rcu_lock */
    struct urcu_reader *reader;     /* this thread's liburcu record */
    bool registered;                /* by magpool (not by the program) */
    bool exiting;                   /* past its thread-exit hook */
    unsigned nowait;                /* depth of mp_rcu_nowait_begin() */
    bool fork_registered;           /* registered for a fork under way */
};

static __thread struct mp_rcu_thread mp_rcu_self
    __attribute__((tls_model("initial-exec")));
static CDS_LIST_HEAD(mp_rcu_threads);
static pthread_rwlock_t mp_rcu_lock;
static pthread_mutex_t mp_rcu_list_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t mp_rcu_once = PTHREAD_ONCE_INIT;

/* Writer-preferring: a fork waits for the calls under way, not for every
 * registration that keeps arriving.  A failure leaves the default
 * attributes (a fork may then wait longer). */
static void rcu_lock_init(void)
{
    pthread_rwlockattr_t a;
    if (pthread_rwlockattr_init(&a) == 0) {
        (void)pthread_rwlockattr_setkind_np(
            &a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
        (void)pthread_rwlock_init(&mp_rcu_lock, &a);
        pthread_rwlockattr_destroy(&a);
    } else {
        (void)pthread_rwlock_init(&mp_rcu_lock, NULL);
    }
}

static void rcu_shared(void)
{
    pthread_once(&mp_rcu_once, rcu_lock_init);
    pthread_rwlock_rdlock(&mp_rcu_lock);
}

static void rcu_shared_end(void) { pthread_rwlock_unlock(&mp_rcu_lock); }

/* Grace periods completed, as seen by their callers.  A wait that began
 * when the count read s raises it to s + 1 when it ends; so once the
 * count is two above a value read after some pop, a whole grace period
 * began after that pop and has ended.  Relaxed would do for the count
 * itself; acquire/release keeps the reasoning local. */
static atomic_ulong mp_gp_seq;

/* Set in the child of a fork that could not wait for a grace period in
 * flight (mp_rcu_fork_prepare): liburcu's locks may be held there for
 * good, so magpool never calls liburcu again in this process.  Thread
 * caches are then off (tcache.c), every depot push and pop is made
 * under mp_reg_lock (flush, thread exit, the sweeper, trim, destroy), so
 * no pop can overlap another and a retired node is free at once: a grace
 * period is complete as soon as it is asked for.  Written only by the
 * child handler, before any other thread exists. */
static bool rcu_stepped_aside;
/* This fork's prepare handler holds mp_rcu_lock; no thread of magpool's
 * is inside liburcu at this fork (held, or stepped aside before).  The
 * forking thread's own, read by its parent and child handlers. */
static __thread bool fork_locked, fork_quiet;

bool mp_rcu_stepped_aside(void) { return rcu_stepped_aside; }

unsigned long mp_gp_now(void)
{
    return atomic_load_explicit(&mp_gp_seq, memory_order_acquire);
}

/* A registered reader of magpool's domain, by magpool or by the program. */
static bool is_reader(void) { return URCU_TLS(urcu_mb_reader).registered; }

/* Inside a read-side section of the domain (the program's: magpool's
 * own never span a call): a grace period waited for here waits for it. */
static bool in_read_section(void)
{
    return is_reader() && urcu_mb_read_ongoing();
}

bool mp_grace_period(void)
{
    /* Inside a read-side section the wait would wait for itself; inside
     * a no-wait
     * region (a magpool_foreach callback, under the registry lock) it
     * could wait for a reader of a program sharing the domain that waits
     * for that lock. */
    if (mp_rcu_self.nowait || in_read_section())
        return false;
    unsigned long s = atomic_load_explicit(&mp_gp_seq, memory_order_acquire);
    if (!rcu_stepped_aside) {
        rcu_shared();
        urcu_mb_synchronize_rcu();
        rcu_shared_end();
    }
    unsigned long cur = atomic_load_explicit(&mp_gp_seq, memory_order_relaxed);
    while (cur < s + 1 &&
           !atomic_compare_exchange_weak_explicit(&mp_gp_seq, &cur, s + 1,
                                                  memory_order_release,
                                                  memory_order_relaxed))
        ;
    return true;
}

static void note_registry(struct cds_list_head *p);

static void do_register(void)
{
    if (rcu_stepped_aside)
        return; /* no reader needed: see rcu_stepped_aside */
    rcu_shared();
    urcu_mb_register_thread();
    note_registry(__atomic_load_n(&URCU_TLS(urcu_mb_reader).node.prev,
                                  __ATOMIC_RELAXED));
    mp_rcu_self.reader = &URCU_TLS(urcu_mb_reader);
    mp_rcu_self.registered = true;
    pthread_mutex_lock(&mp_rcu_list_lock);
    cds_list_add(&mp_rcu_self.link, &mp_rcu_threads);
    pthread_mutex_unlock(&mp_rcu_list_lock);
    rcu_shared_end();
}

static void do_unregister(void)
{
    if (rcu_stepped_aside) {
        /* Registered before the fork: left in liburcu's registry, which
         * nothing in this process walks for magpool any more. */
        mp_rcu_self.registered = false;
        return;
    }
    rcu_shared();
    pthread_mutex_lock(&mp_rcu_list_lock);
    cds_list_del(&mp_rcu_self.link);
    pthread_mutex_unlock(&mp_rcu_list_lock);
    mp_rcu_self.registered = false;
    urcu_mb_unregister_thread();
    rcu_shared_end();
}

bool mp_rcu_thread_exiting(void) { return mp_rcu_self.exiting; }

/* A thread the program registered is left as it is. */
void mp_rcu_thread_register(void)
{
    if (!is_reader() && !mp_rcu_self.exiting)
        do_register();
}

void mp_rcu_thread_exit(void)
{
    if (mp_rcu_self.registered)
        do_unregister();
    mp_rcu_self.exiting = true;
}

/* Before a function takes mp_reg_lock to pop depots (trim, destroy): a
 * thread that is not a reader registers now, outside that lock, for the
 * whole call.  Registering waits for mp_rcu_lock, which a grace period
 * holds while it waits for readers; a reader of a program sharing the
 * domain may be waiting for mp_reg_lock inside its read-side section
 * (statistics, create): registering under mp_reg_lock closed that
 * circle.  Returns whether to unregister in mp_rcu_leave. */
bool mp_rcu_enter(void)
{
    bool temporary = !is_reader();
    if (temporary)
        do_register();
    return temporary;
}

void mp_rcu_leave(bool temporary)
{
    if (temporary)
        do_unregister();
}

/* Around code of the program's that runs under mp_reg_lock (a
 * magpool_foreach callback, which may call any magpool function): no
 * grace period is waited for there (mp_grace_period() defers the work),
 * since a reader of a program sharing the domain may be waiting for that
 * lock inside its read-side section.  Nests. */
void mp_rcu_nowait_begin(void) { mp_rcu_self.nowait++; }
void mp_rcu_nowait_end(void) { mp_rcu_self.nowait--; }

bool mp_rcu_read_begin(void)
{
    if (rcu_stepped_aside)
        return false;
    bool temporary = !is_reader();
    if (temporary)
        do_register();
    urcu_mb_read_lock();
    return temporary;
}

void mp_rcu_read_end(bool temporary)
{
    if (rcu_stepped_aside)
        return;
    urcu_mb_read_unlock();
    if (temporary)
        do_unregister();
}

/* ------------------------------------------------------------------ */
/* fork()                                                              */
/* ------------------------------------------------------------------ */

/* liburcu-mb's writable segments, [urcu_lo, urcu_hi): its registry's
 * list head lies there, a thread's record (TLS, on a thread's stack or in
 * the heap) never does.  Found once, at global set-up (mp_rcu_init): the
 * object whose code holds urcu_mb_synchronize_rcu (a function: an
 * exported variable of liburcu's may have been copied into a program
 * linked without -fPIC, a function's address is its own); 0 and 0 if not
 * found (the child then repairs only magpool's own records). */
static uintptr_t urcu_lo, urcu_hi;

static int find_urcu_segment(struct dl_phdr_info *info, size_t size,
                             void *arg)
{
    (void)size;
    (void)arg;
    uintptr_t code = (uintptr_t)&urcu_mb_synchronize_rcu;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    bool ours = false;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t a = info->dlpi_addr + ph->p_vaddr, b = a + ph->p_memsz;
        if (ph->p_flags & PF_X)
            ours |= code >= a && code < b;
        if (ph->p_flags & PF_W) {
            lo = a < lo ? a : lo;
            hi = b > hi ? b : hi;
        }
    }
    if (!ours || !hi)
        return 0;
    urcu_lo = lo;
    urcu_hi = hi;
    return 1;
}

void mp_rcu_init(void)
{
    if (!urcu_hi)
        (void)dl_iterate_phdr(find_urcu_segment, NULL);
}

static bool in_urcu_image(const void *p)
{
    return (uintptr_t)p >= urcu_lo && (uintptr_t)p < urcu_hi;
}

/* liburcu-mb's registry head, once seen: the node in liburcu's image that
 * a record was linked to (a record just registered sits right after it,
 * and the child's walk passes it).  The fork child handler needs it when
 * its walk cannot reach it (mp_rcu_fork_child).  Relaxed: every thread
 * that stores it stores the same address, and the child reads it with
 * no other thread left. */
static struct cds_list_head *urcu_registry;

/* p: a link of a registered record, read while other threads may be
 * registering (a load that may see a neighbour's store: any value in
 * liburcu's image is the head all the same). */
static void note_registry(struct cds_list_head *p)
{
    if (p && urcu_hi && in_urcu_image(p))
        __atomic_store_n(&urcu_registry, p, __ATOMIC_RELAXED);
}

/* Before the prepare handler's locks: a forking thread that is no reader
 * registers for the fork, so that the child finds liburcu's registry
 * from its own record (mp_rcu_fork_child) even when no other thread of
 * magpool's was registered.  Not from an exiting thread (it never
 * registers again). */
void mp_rcu_fork_enter(void)
{
    mp_rcu_self.fork_registered =
        !is_reader() && !mp_rcu_self.exiting && !rcu_stepped_aside;
    if (mp_rcu_self.fork_registered)
        do_register();
}

/* Exclusive, so that no thread of magpool's is inside liburcu at the
 * fork.  A thread inside a read-side section of urcu-mb cannot wait for
 * that: a grace period of magpool's in flight (the sweeper's, a flush's)
 * waits for that very section.  It forks without waiting if the lock is
 * taken, and its child steps aside from liburcu (rcu_stepped_aside). */
void mp_rcu_fork_prepare(void)
{
    pthread_once(&mp_rcu_once, rcu_lock_init);
    if (is_reader()) {
        note_registry(__atomic_load_n(&URCU_TLS(urcu_mb_reader).node.prev,
                                      __ATOMIC_RELAXED));
        note_registry(__atomic_load_n(&URCU_TLS(urcu_mb_reader).node.next,
                                      __ATOMIC_RELAXED));
    }
    if (rcu_stepped_aside)
        fork_locked = false; /* magpool calls liburcu no more */
    else if (in_read_section())
        fork_locked = pthread_rwlock_trywrlock(&mp_rcu_lock) == 0;
    else
        fork_locked = pthread_rwlock_wrlock(&mp_rcu_lock) == 0;
    fork_quiet = fork_locked || rcu_stepped_aside;
    pthread_mutex_lock(&mp_rcu_list_lock);
}

void mp_rcu_fork_parent(void)
{
    pthread_mutex_unlock(&mp_rcu_list_lock);
    if (fork_locked)
        pthread_rwlock_unlock(&mp_rcu_lock);
}

/* After the parent handler's locks are released: the fork's registration
 * is undone. */
void mp_rcu_fork_leave_parent(void)
{
    if (mp_rcu_self.fork_registered) {
        mp_rcu_self.fork_registered = false;
        do_unregister();
    }
}

/* Longest registry walked (records): a list that long, or one that does
 * not lead back to its head, is not repaired (see unlink_dead). */
#define MP_RCU_WALK_MAX (1u << 20)

/* In the child: a dead thread's record (still mapped) out of liburcu's
 * registry, marked as no reader in no section. */
static void forget_record(struct urcu_reader *r)
{
    cds_list_del(&r->node);
    /* Linked to itself: forgetting it again, or the program's own
     * unregister, touches no other node. */
    CDS_INIT_LIST_HEAD(&r->node);
    r->ctr = 0;
    r->registered = 0;
}

/* In the child: whether the list through start closes back on start,
 * every node aligned and linked both ways (memory is the parent's at the
 * fork, nothing is freed yet). */
static bool circle_closes(struct cds_list_head *start)
{
    struct cds_list_head *p = start;
    unsigned n = 0;
    do {
        struct cds_list_head *next = p->next;
        if (!next || ((uintptr_t)next & (sizeof(void *) - 1)) ||
            next->prev != p || ++n > MP_RCU_WALK_MAX)
            return false;
        p = next;
    } while (p != start);
    return true;
}

/* In the child, from a record linked in liburcu-mb's registry: unlink
 * every record but keep (this thread's, or NULL).  The head is the one
 * node in liburcu's image; the records are of threads that did not
 * survive the fork (only this one did), whoever registered them: magpool
 * or the program.  Left linked, a dead reader inside a read-side section
 * makes every grace period wait forever, and a dead record lies in TLS
 * that glibc hands to the child's next threads, whose first writes there
 * corrupt the list.  The program's liburcu state in the child is the
 * better for it: those threads are gone.  Returns false, touching
 * nothing, if the head is not found. */
static bool unlink_dead(struct cds_list_head *start,
                        struct cds_list_head *keep)
{
    struct cds_list_head *head = start;
    unsigned n = 0;
    while (!in_urcu_image(head)) {
        head = head->next;
        if (!head || ((uintptr_t)head & (sizeof(void *) - 1)) ||
            head == start || ++n > MP_RCU_WALK_MAX)
            return false;
    }
    /* The whole circle first, so that nothing is unlinked from a list
     * that does not close. */
    if (!circle_closes(head))
        return false;
    note_registry(head);
    for (struct cds_list_head *p = head->next, *next; p != head; p = next) {
        next = p->next;
        if (p != keep)
            forget_record(caa_container_of(p, struct urcu_reader, node));
    }
    return true;
}

/* In the child, when the walk from this thread's record did not reach
 * the head: a grace period under way at the fork had moved the records
 * it had looked at, this one among them, to lists headed on the waiting
 * thread's stack, which glibc gives to the child's next thread.  This
 * thread's record leaves them (kept: relinked to the registry, or linked
 * to itself if the head was never seen; else forgotten), and the records
 * still in the registry, all of threads that did not survive, are
 * forgotten.  What the other lists hold is no longer reachable. */
static void repair_from_head(bool reader, bool keep)
{
    struct cds_list_head *self = &URCU_TLS(urcu_mb_reader).node;
    struct cds_list_head *h =
        __atomic_load_n(&urcu_registry, __ATOMIC_RELAXED);
    if (reader) {
        if (circle_closes(self))
            cds_list_del(self);
        CDS_INIT_LIST_HEAD(self);
        if (!keep) {
            URCU_TLS(urcu_mb_reader).ctr = 0;
            URCU_TLS(urcu_mb_reader).registered = 0;
        }
    }
    if (h)
        (void)unlink_dead(h, NULL);
    if (reader && keep && h && circle_closes(h))
        cds_list_add(self, h);
}

void mp_rcu_fork_child(void)
{
    /* Only this thread runs.  No magpool thread was inside liburcu's
     * registry (see above); a thread of the program's may have been,
     * which liburcu forbids (its README: registrations are released
     * before a fork not followed by exec). */
    struct cds_list_head *self = &URCU_TLS(urcu_mb_reader).node;
    bool mine = mp_rcu_self.fork_registered;
    struct cds_list_head *start = NULL;
    /* A thread of magpool's may have been inside liburcu's grace-period
     * code (the fork did not wait, see mp_rcu_fork_prepare): liburcu's
     * locks may stay held here, so magpool steps aside from liburcu for
     * good.  The registry is still repaired below, for the program's
     * sake (its walk touches nothing it cannot read). */
    if (!fork_quiet)
        rcu_stepped_aside = true;
    if (is_reader())
        start = self;
    else if (!cds_list_empty(&mp_rcu_threads))
        start = &cds_list_first_entry(&mp_rcu_threads, struct mp_rcu_thread,
                                      link)->reader->node;
    bool reader = is_reader(), keep = reader && !mine;
    bool whole = start && unlink_dead(start, keep ? self : NULL);
    if (!whole)
        repair_from_head(reader, keep);
    struct mp_rcu_thread *t, *tmp;
    cds_list_for_each_entry_safe(t, tmp, &mp_rcu_threads, link) {
        if (t == &mp_rcu_self && !mine)
            continue;
        if (!whole && circle_closes(&t->reader->node))
            forget_record(t->reader);
        cds_list_del(&t->link);
    }
    if (mine) {
        /* The fork's registration, undone as liburcu would (its lock may
         * be held by a thread of the program's that is gone). */
        mp_rcu_self.registered = false;
        mp_rcu_self.fork_registered = false;
    }
    pthread_mutex_init(&mp_rcu_list_lock, NULL);
    rcu_lock_init();
}
