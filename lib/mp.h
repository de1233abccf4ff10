/*
 * mp.h - what the files of lib/ offer each other, in the order of the
 * layers (lib/LAYERS): each file calls only what is declared above its
 * own section.  `make check` verifies it on the built objects
 * (tests/test_layers.sh).
 *
 * The types are in mp_types.h, the inline fast path in mp_fast.h, the
 * valgrind/ASan hooks in mp_track.h; this header includes all three.
 *
 * Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).
 */
#ifndef MP_H
#define MP_H

#include "mp_types.h"
#include "mp_track.h"
#include "mp_fast.h"

/* os.c: memory from the kernel, and what it says is resident. */
void *mp_os_map(size_t size) MP_HIDDEN;
void mp_os_retire(void *p, size_t size) MP_HIDDEN;
size_t mp_os_resident(const void *p, size_t len) MP_HIDDEN;
void *mp_os_pages(size_t size) MP_HIDDEN;
/* Copies len bytes (at most PIPE_BUF) at addr to out; false, without
 * faulting, if they are not all mapped readable (or no pipe could be
 * made: then nothing is known, and the caller takes it as unreadable). */
bool mp_os_peek(const void *addr, void *out, size_t len) MP_HIDDEN;
bool mp_os_pages_free(void *p, size_t size) MP_HIDDEN;
void mp_os_fork_prepare(void) MP_HIDDEN;
void mp_os_fork_parent(void) MP_HIDDEN;
void mp_os_fork_child(void) MP_HIDDEN;

/* rcu.c: magpool's RCU domain (liburcu's urcu-mb flavour). */
bool mp_grace_period(void) MP_HIDDEN;
unsigned long mp_gp_now(void) MP_HIDDEN;
bool mp_rcu_thread_exiting(void) MP_HIDDEN;
void mp_rcu_thread_register(void) MP_HIDDEN;
void mp_rcu_thread_exit(void) MP_HIDDEN;
bool mp_rcu_enter(void) MP_HIDDEN;
void mp_rcu_leave(bool temporary) MP_HIDDEN;
void mp_rcu_nowait_begin(void) MP_HIDDEN;
void mp_rcu_nowait_end(void) MP_HIDDEN;
bool mp_rcu_read_begin(void) MP_HIDDEN;
void mp_rcu_read_end(bool temporary) MP_HIDDEN;
void mp_rcu_init(void) MP_HIDDEN;
bool mp_rcu_stepped_aside(void) MP_HIDDEN;
void mp_rcu_fork_enter(void) MP_HIDDEN;
void mp_rcu_fork_prepare(void) MP_HIDDEN;
void mp_rcu_fork_parent(void) MP_HIDDEN;
void mp_rcu_fork_leave_parent(void) MP_HIDDEN;
void mp_rcu_fork_child(void) MP_HIDDEN;

/* options.c: the tunables, the debugging modes, the messages. */
extern struct mp_options mp_opt MP_HIDDEN;
void mp_options_init(void) MP_HIDDEN;
void mp_log(enum mp_msg kind, const char *fmt, ...) MP_HIDDEN
    __attribute__((format(printf, 2, 3)));

/* slab.c: chunks carved into objects. */
int mp_slab_init(struct magpool *pool) MP_HIDDEN;
void mp_slab_lock_init(struct mp_slab *sl) MP_HIDDEN;
unsigned mp_slab_alloc(struct magpool *pool, void **out, unsigned n) MP_HIDDEN;
size_t mp_slab_free(struct magpool *pool, void **objs, unsigned n) MP_HIDDEN;
void mp_slab_destroy(struct magpool *pool) MP_HIDDEN;
uint64_t mp_slab_resident(struct magpool *pool) MP_HIDDEN;
long long mp_slab_release_pages(struct magpool *pool, bool now) MP_HIDDEN;

/* registry.c: the table of pools, its lock, the header key. */
extern pthread_mutex_t mp_reg_lock MP_HIDDEN;
extern struct magpool *mp_pools[MAGPOOL_MAX_POOLS] MP_HIDDEN;
extern unsigned mp_pools_end MP_HIDDEN;  /* under mp_reg_lock (registry.c) */
void mp_registry_init_key(void) MP_HIDDEN;
void mp_reg_lock_init(void) MP_HIDDEN;
struct magpool *mp_pool_lookup(uint64_t idx) MP_HIDDEN;
void mp_pool_release_dead(struct magpool *pool) MP_HIDDEN;

/* depot.c: magazines and their size; the depot. */
struct mp_mag *mp_mag_new(struct magpool *pool) MP_HIDDEN;
struct mp_mag *mp_mag_new_cap(unsigned cap) MP_HIDDEN;
unsigned mp_mag_slot_cap(const struct magpool *pool,
                         const struct mp_tslot *s) MP_HIDDEN;
void mp_mag_slot_trade(struct magpool *pool, struct mp_tslot *s) MP_HIDDEN;
void mp_mag_free_now(struct mp_mag *mag) MP_HIDDEN;
unsigned long long mp_mono_ns(void) MP_HIDDEN;
void mp_mag_note_exchange(struct magpool *pool, unsigned long n) MP_HIDDEN;
void mp_mag_note_trade(struct magpool *pool) MP_HIDDEN;
void mp_mag_shrink_if_quiet(struct magpool *pool, unsigned long long now) MP_HIDDEN;
void mp_depot_init(struct mp_depot *d) MP_HIDDEN;
void mp_depot_put_full(struct magpool *pool, struct mp_mag *mag) MP_HIDDEN;
void mp_depot_put_empty(struct magpool *pool, struct mp_mag *mag) MP_HIDDEN;
struct mp_mag *mp_depot_get_full(struct magpool *pool) MP_HIDDEN;
struct mp_mag *mp_depot_get_empty(struct magpool *pool) MP_HIDDEN;
struct mp_mag *mp_depot_reuse(struct magpool *pool) MP_HIDDEN;
size_t mp_depot_shrink(struct magpool *pool, long full, long empty) MP_HIDDEN;
void mp_depot_thread_release(void) MP_HIDDEN;
void mp_depot_recycle(void) MP_HIDDEN;

/* debug.c: the debug get and put, quarantine, checks and reports. */
void mp_debug_init(void) MP_HIDDEN;
void *mp_debug_get(struct magpool *pool) MP_HIDDEN;
void mp_debug_put(struct magpool *pool, void *obj, uint64_t h) MP_HIDDEN;
void mp_debug_release(struct magpool *pool, void *obj, uint64_t h) MP_HIDDEN;
void mp_debug_double_put(struct magpool *pool, void *obj) MP_HIDDEN;
void mp_debug_drain(struct magpool *pool) MP_HIDDEN;
void mp_debug_check_all(const char *when) MP_HIDDEN;

/* tcache.c: thread caches, magpool_tls, thread exit, the fork child. */
extern struct cds_list_head mp_threads MP_HIDDEN;
extern atomic_ulong mp_sweep_passes MP_HIDDEN;
void mp_tcache_init_once(void) MP_HIDDEN;
struct mp_tslot *mp_tslot_get(struct magpool *pool) MP_HIDDEN;
unsigned mp_tslot_loaded_n(const struct mp_tcache *tc,
                           const struct mp_tslot *s) MP_HIDDEN;
void mp_tcache_trim_spares(unsigned long pass) MP_HIDDEN;
void mp_tcache_drop_spares(void) MP_HIDDEN;
void mp_tslot_flush(struct mp_tcache *tc, struct mp_tslot *s) MP_HIDDEN;
void mp_tcache_detach_pool(struct magpool *pool) MP_HIDDEN;
uint64_t mp_tcache_rounds(const struct magpool *pool) MP_HIDDEN;
uint64_t mp_tcache_gets(const struct magpool *pool) MP_HIDDEN;
void mp_tcache_move_begin(void) MP_HIDDEN;
void mp_tcache_move_end(void) MP_HIDDEN;
bool mp_tcache_moves(uint64_t *sum) MP_HIDDEN;
void mp_tcache_reclaim_idle(struct magpool *pool,
                            unsigned long pass) MP_HIDDEN;
void mp_tcache_fork_child(void) MP_HIDDEN;

/* magazine.c: the get and put slow paths (declared in mp_fast.h). */

/* stats.c: statistics, summed on read; the dump at exit. */
void mp_stats_at_exit(void) MP_HIDDEN;
void mp_stats_sample(struct magpool *pool) MP_HIDDEN;
void mp_stats_keep_destroyed(struct magpool *pool) MP_HIDDEN;
int mp_stats_reserve(struct magpool *pool) MP_HIDDEN;

/* sweeper.c: the thread that gives memory back. */
int mp_sweeper_start(unsigned interval_ms) MP_HIDDEN;
void mp_sweeper_stop(void) MP_HIDDEN;
long long mp_sweep_pool(struct magpool *pool, bool everything) MP_HIDDEN;
void mp_sweeper_fork_prepare(void) MP_HIDDEN;
void mp_sweeper_fork_parent(void) MP_HIDDEN;
void mp_sweeper_fork_child(void) MP_HIDDEN;

/* pool.c: lifecycle and global set-up. */
void mp_global_init(void) MP_HIDDEN;
struct magpool *mp_gf_pool_new(void *ctx, unsigned long sizeof_type,
                               unsigned long count, char *name) MP_HIDDEN;
void mp_gf_pools_init(void) MP_HIDDEN;
int mp_abi_check(const char *what, const char *name, unsigned abi) MP_HIDDEN;

#endif /* MP_H */
