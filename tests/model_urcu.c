/*
 * model_urcu.c - the model's program uses liburcu itself, in its default
 * flavour (urcu-memb, <urcu.h>), as a program linked with magpool may:
 *   - a worker registers as an RCU reader before its first magpool call,
 *     after it, or never, and unregisters before it exits;
 *   - some of a registered worker's commands (gets, puts, flushes) run
 *     inside rcu_read_lock()/rcu_read_unlock();
 *   - some puts are deferred: call_rcu() with a callback that checks the
 *     object's contents and puts it (from liburcu's call_rcu thread); the
 *     object is the model's, counted active, until the callback ran, and
 *     rcu_barrier() runs before any exact count is checked;
 *   - a worker calls synchronize_rcu(), which must return (watchdog).
 * magpool must neither abort on these threads nor wait for the program's
 * readers.  Around fork() the workers unregister first and liburcu's
 * call_rcu threads are handled as liburcu asks (call_rcu_before_fork...);
 * the child does not use liburcu.  Off under ThreadSanitizer (liburcu is
 * not instrumented: its hand-offs would read as races) and with --no urcu.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include <urcu.h>

#include "model.h"

static int urcu_state = -1; /* -1: not decided yet, 0 off, 1 on */
/* Deferred puts not yet done, and whether a callback found an object
 * changed: seq_cst, written by liburcu's callback thread and read by the
 * driver after rcu_barrier(), which waits for the callbacks. */
static atomic_long outstanding;
static atomic_int callback_failed;

/* Whether this thread is one the program registered (crash reports). */
static __thread bool registered_here;

bool model_urcu_registered_here(void) { return registered_here; }

bool model_urcu_on(void)
{
    if (urcu_state < 0) {
#if defined(__SANITIZE_THREAD__)
        urcu_state = 0;
#else
        urcu_state = checking("urcu");
#endif
        if (urcu_state) {
            rcu_register_thread(); /* the driver: call_rcu's caller */
            registered_here = true;
        }
    }
    return urcu_state;
}

void model_urcu_start(void)
{
    if (!model_urcu_on())
        return;
    /* The driver is registered now: a pool's life on it. */
    op_name = "urcu start";
    promise = "a thread the program registered with liburcu (urcu-memb) "
              "can use magpool";
    struct magpool *p = magpool_create("model-urcu", 64, NULL);
    void *o = p ? magpool_get(p) : NULL;
    if (!o)
        fail("get on a registered thread: NULL");
    magpool_put(o);
    magpool_thread_flush();
    magpool_trim(p);
    magpool_destroy(p);
    promise = "";
}

void model_urcu_pick(struct worker *w)
{
    w->urcu_reg = false;
    w->urcu_mode = model_urcu_on() ? (int)below(3) : 0;
}

void model_urcu_thread_begin(struct worker *w)
{
    if (w->urcu_mode == 1) {
        rcu_register_thread();
        registered_here = w->urcu_reg = true;
    }
}

/* urcu_mode: 0 never registers, 1 registers at its start, 2 after its
 * first command, 3 unregistered for a fork: registers again after the
 * command after this one. */
void model_urcu_after_command(struct worker *w)
{
    if (w->urcu_mode == 3) {
        w->urcu_mode = 2;
        return;
    }
    if (w->urcu_mode == 2 && !w->urcu_reg) {
        rcu_register_thread();
        registered_here = w->urcu_reg = true;
    }
}

void model_urcu_thread_end(struct worker *w)
{
    if (w->urcu_reg) {
        rcu_unregister_thread();
        registered_here = w->urcu_reg = false;
    }
}

void model_urcu_read_lock(void) { rcu_read_lock(); }
void model_urcu_read_unlock(void) { rcu_read_unlock(); }

struct deferred {
    struct rcu_head head;
    void *p;
    size_t size;
    uint64_t serial;
    long *pending;
};

static void deferred_put(struct rcu_head *head)
{
    struct deferred *d = caa_container_of(head, struct deferred, head);
    if (!stamp_ok(d->p, d->size, d->serial))
        atomic_store(&callback_failed, 1);
    disown(d->p);
    magpool_put(d->p);
    /* seq_cst: read by the driver after rcu_barrier(), which orders it. */
    __atomic_sub_fetch(d->pending, 1, __ATOMIC_SEQ_CST);
    atomic_fetch_sub(&outstanding, 1);
    free(d);
}

void model_urcu_defer_put(void *p, size_t size, uint64_t serial,
                          long *pending)
{
    struct deferred *d = malloc(sizeof(*d));
    if (!d)
        fail("malloc: out of memory");
    *d = (struct deferred){ .p = p, .size = size, .serial = serial,
                            .pending = pending };
    __atomic_add_fetch(pending, 1, __ATOMIC_SEQ_CST);
    atomic_fetch_add(&outstanding, 1);
    call_rcu(&d->head, deferred_put);
}

void model_urcu_settle(void)
{
    if (urcu_state <= 0 || !atomic_load(&outstanding))
        return;
    const char *saved = promise;
    promise = "puts deferred through the program's call_rcu() complete "
              "(rcu_barrier returns)";
    rcu_barrier();
    promise = saved;
    if (atomic_load(&outstanding))
        fail("%ld deferred puts still pending after rcu_barrier()",
             atomic_load(&outstanding));
    if (atomic_load(&callback_failed))
        fail("an object changed while its put waited for a grace period");
}

void model_urcu_synchronize(struct worker *w)
{
    (void)w;
    synchronize_rcu();
}

/* Before a fork.  A worker that registers after its first command and
 * has not run one yet (mode 2, not registered) must not register right
 * after this command either: it would be registered at the fork, and in
 * the child liburcu's registry would keep its record, inside a stack
 * that glibc hands to the child's next thread (magpool's sweeper, which
 * the child restarts), whose start zeroes it: the child's call_rcu
 * thread then crashed in synchronize_rcu. */
static void cmd_unregister(struct worker *w, void *arg)
{
    (void)arg;
    if (w->urcu_reg) {
        rcu_unregister_thread();
        registered_here = w->urcu_reg = false;
        w->urcu_mode = 3;
    } else if (w->urcu_mode == 2) {
        w->urcu_mode = 3;
    }
}

void model_urcu_fork_prepare_workers(struct worker *ws, int n)
{
    if (urcu_state <= 0)
        return;
    for (int k = 0; k < n; k++)
        if (ws[k].alive)
            run_on(&ws[k], cmd_unregister, NULL);
}

void model_urcu_fork_prepare(void)
{
    if (urcu_state > 0)
        call_rcu_before_fork();
}

void model_urcu_fork_parent(void)
{
    if (urcu_state > 0)
        call_rcu_after_fork_parent();
}

void model_urcu_fork_child(void)
{
    if (urcu_state > 0)
        call_rcu_after_fork_child();
    urcu_state = 0;
}
