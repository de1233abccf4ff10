/*
 * rcu.c - magpool's use of RCU (liburcu's membarrier flavour, urcu-memb):
 * which threads are registered readers, grace periods, and what fork()
 * must repair.
 *
 * Owns: the per-thread registration record, the list of magpool's
 * registered threads, mp_rcu_lock and the grace-period count mp_gp_seq.
 *
 * Why urcu-memb and not urcu-bp: registering a reader with urcu-bp may
 * mmap a larger registry, and when that mmap fails liburcu-bp calls
 * abort() - the first depot exchange of a new thread could kill the
 * process under memory pressure instead of failing with ENOMEM.
 * Registering with urcu-memb links the thread's own TLS record into a
 * list and allocates nothing, so it cannot fail.  The price is that
 * magpool must itself (1) unregister every thread it registered before
 * the thread exits, and (2) repair the registry in the child of fork().
 *
 *   Persistent registration: a thread with a thread cache (tcache.c)
 *       registers once, when the cache is created, and unregisters in the
 *       cache's thread-exit hook; after that hook the thread is marked as
 *       exiting and never registers persistently again (a put from a later
 *       destructor goes straight to the slab).
 *   Temporary registration: any other thread that pops a depot (destroy,
 *       trim, the sweeper between its passes) registers around that one
 *       pop only.
 *   fork(): the prepare handler holds mp_rcu_lock, under which every
 *       register, unregister and synchronize_rcu is made, so in the child
 *       no magpool thread was inside liburcu's registry or grace-period
 *       code.  Threads that did not survive are still linked in liburcu's
 *       registry, inside their TLS, which glibc reuses for the child's
 *       next threads; the child handler unlinks them (struct urcu_reader
 *       is liburcu's public definition) before any thread can be created.
 *
 * Synchronization:
 *   mp_rcu_self (TLS)      the owner thread only, except the child of
 *                          fork, which unlinks dead threads' records.
 *   mp_rcu_threads, links  mp_rcu_lock.
 *   mp_gp_seq              see mp_grace_period().
 *   Lock order: mp_reg_lock -> mp_rcu_lock (a depot pop made under the
 *   registry lock may complete a grace period).
 *
 * Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).
 */
/* liburcu's inline read-side lock and the definition of its reader
 * record.  Only here: liburcu's inline lfstack code trips UBSan (a member
 * of a NULL head), so depot.c calls the library's functions. */
#define _LGPL_SOURCE
#include "mp.h"

struct mp_rcu_thread {
    struct cds_list_head link;      /* mp_rcu_threads, under mp_rcu_lock */
    struct urcu_reader *reader;     /* this thread's liburcu record */
    bool registered;
    bool exiting;                   /* past its thread-exit hook */
};

static __thread struct mp_rcu_thread mp_rcu_self
    __attribute__((tls_model("initial-exec")));
static CDS_LIST_HEAD(mp_rcu_threads);
static pthread_mutex_t mp_rcu_lock = PTHREAD_MUTEX_INITIALIZER;

/* Grace periods completed, as seen by their callers.  A wait that began
 * when the count read s raises it to s + 1 when it ends; so once the
 * count is two above a value read after some pop, a whole grace period
 * began after that pop and has ended.  Relaxed would do for the count
 * itself; acquire/release keeps the reasoning local. */
static atomic_ulong mp_gp_seq;

unsigned long mp_gp_now(void)
{
    return atomic_load_explicit(&mp_gp_seq, memory_order_acquire);
}

void mp_grace_period(void)
{
    unsigned long s = atomic_load_explicit(&mp_gp_seq, memory_order_acquire);
    pthread_mutex_lock(&mp_rcu_lock);
    urcu_memb_synchronize_rcu();
    pthread_mutex_unlock(&mp_rcu_lock);
    unsigned long cur = atomic_load_explicit(&mp_gp_seq, memory_order_relaxed);
    while (cur < s + 1 &&
           !atomic_compare_exchange_weak_explicit(&mp_gp_seq, &cur, s + 1,
                                                  memory_order_release,
                                                  memory_order_relaxed))
        ;
}

static void do_register(void)
{
    pthread_mutex_lock(&mp_rcu_lock);
    urcu_memb_register_thread();
    mp_rcu_self.reader = &URCU_TLS(urcu_memb_reader);
    mp_rcu_self.registered = true;
    cds_list_add(&mp_rcu_self.link, &mp_rcu_threads);
    pthread_mutex_unlock(&mp_rcu_lock);
}

static void do_unregister(void)
{
    pthread_mutex_lock(&mp_rcu_lock);
    cds_list_del(&mp_rcu_self.link);
    mp_rcu_self.registered = false;
    urcu_memb_unregister_thread();
    pthread_mutex_unlock(&mp_rcu_lock);
}

bool mp_rcu_thread_exiting(void) { return mp_rcu_self.exiting; }

void mp_rcu_thread_register(void)
{
    if (!mp_rcu_self.registered && !mp_rcu_self.exiting)
        do_register();
}

void mp_rcu_thread_exit(void)
{
    if (mp_rcu_self.registered)
        do_unregister();
    mp_rcu_self.exiting = true;
}

bool mp_rcu_read_begin(void)
{
    bool temporary = !mp_rcu_self.registered;
    if (temporary)
        do_register();
    urcu_memb_read_lock();
    return temporary;
}

void mp_rcu_read_end(bool temporary)
{
    urcu_memb_read_unlock();
    if (temporary)
        do_unregister();
}

/* ------------------------------------------------------------------ */
/* fork()                                                              */
/* ------------------------------------------------------------------ */

void mp_rcu_fork_prepare(void) { pthread_mutex_lock(&mp_rcu_lock); }

void mp_rcu_fork_parent(void) { pthread_mutex_unlock(&mp_rcu_lock); }

void mp_rcu_fork_child(void)
{
    struct mp_rcu_thread *t, *tmp;
    cds_list_for_each_entry_safe(t, tmp, &mp_rcu_threads, link) {
        if (t == &mp_rcu_self)
            continue;
        /* Only this thread runs: liburcu's registry lock is free (no
         * magpool thread was inside liburcu, see above), and the dead
         * thread's record is still mapped. */
        cds_list_del(&t->reader->node);
        t->reader->ctr = 0;
        t->reader->registered = 0;
        cds_list_del(&t->link);
    }
    pthread_mutex_init(&mp_rcu_lock, NULL);
}
