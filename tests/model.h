/*
 * model.h - what the parts of the model-based test (tests/model.c and
 * its model_*.c helpers) share: the driver's random numbers, failure
 * reports, the set of held objects and the worker threads.
 */
#ifndef MP_MODEL_H
#define MP_MODEL_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include "magpool.h"

/* Random numbers: the driver thread's only (replayable from the seed). */
uint64_t rnd(void);
unsigned below(unsigned n);
double now(void);

/* The step running, its operation and the guarantee it checks, printed by
 * every failure report (and by the crash handler). */
extern unsigned long step;
extern const char *op_name;
extern const char *promise;
void fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Guarantees that may be left unchecked (--no NAME), while a defect that
 * one of them finds is being fixed. */
bool checking(const char *name);

/* Ownership: the set of objects held, under a lock (thread-safe). */
bool own(void *p);
void disown(void *p);
void stamp(void *p, size_t size, uint64_t serial);
bool stamp_ok(const void *p, size_t size, uint64_t serial);

/* Worker threads, each running one command at a time for the driver. */
struct worker {
    pthread_t t;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    void (*fn)(struct worker *, void *);
    void *arg;
    bool busy, quit, alive;
    int id;
    int urcu_mode;      /* model_urcu.c: when it registers with liburcu */
    bool urcu_reg;      /* registered (written by the worker itself) */
    bool in_read;       /* run the next command inside rcu_read_lock() */
};
void run_on(struct worker *w, void (*fn)(struct worker *, void *), void *arg);
void post(struct worker *w, void (*fn)(struct worker *, void *), void *arg);
void wait_done(struct worker *w);

/* Modes the run is in. */
extern bool opt_passthrough, opt_debug;
extern bool sweeper_on;
extern double wd_seconds;

/* The watchdog's deadline for the step running (monotonic seconds, 0:
 * none), which a step that waits on purpose may move. */
void watchdog_extend(double seconds);

/* fork() as liburcu asks of a program that uses call_rcu (the model's
 * workers unregister, call_rcu_before_fork and its after-fork halves):
 * a child that skips them hangs in liburcu 0.14+'s exit destructor,
 * which stops a call_rcu thread the child does not have. */
pid_t model_fork(void);

/* model_urcu.c: the program's own use of liburcu (urcu-memb). */
bool model_urcu_on(void);
void model_urcu_start(void);  /* driver: registers, uses a pool */
bool model_urcu_registered_here(void);
void model_urcu_pick(struct worker *w);       /* driver, at worker start */
void model_urcu_thread_begin(struct worker *w); /* worker, at its start */
void model_urcu_after_command(struct worker *w);
void model_urcu_thread_end(struct worker *w);
void model_urcu_read_lock(void);
void model_urcu_read_unlock(void);
/* Defer magpool_put(p) to an RCU callback; pending counts it meanwhile. */
void model_urcu_defer_put(void *p, size_t size, uint64_t serial,
                          long *pending);
void model_urcu_settle(void); /* every deferred put done (rcu_barrier) */
void model_urcu_synchronize(struct worker *w);
void model_urcu_fork_prepare_workers(struct worker *ws, int n);
void model_urcu_fork_prepare(void);
void model_urcu_fork_parent(void);
void model_urcu_fork_child(void);

/* model_fault.c: this program's mmap, which can be made to fail. */
bool model_fault_usable(void);
void model_fault_mmap_fails(bool on);

/* model_memory.c: bounded memory and what trim says it gave back. */
void model_memory_init(void);
void op_thread_lifetimes(void);
void op_flush_cycles(void);
uint64_t model_resident(void);
uint64_t model_unmaps(void);
void check_trim_return(size_t returned, uint64_t before, uint64_t after,
                       uint64_t chunks);

/* model_debug.c: MAGPOOL_DEBUG's use-after-put report. */
void op_debug_write_after_put(void);

#endif
