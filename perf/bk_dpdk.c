/*
 * bk_dpdk.c - backends "dpdk" and "dpdk-rts": DPDK's rte_mempool
 * (rte_mempool_get, rte_mempool_put; get0 is a get and a memset of the
 * object), one mempool per pool, with a per-lcore cache of BK_CACHE =
 * 256 objects (legal: at most RTE_MEMPOOL_CACHE_MAX_SIZE, 512, and at
 * most a pool's size / 1.5) and RTE_MEMPOOL_F_NO_IOVA_CONTIG (no device
 * reads these objects; without it, on 4 KiB pages, an object may not
 * cross a page and each 2048-byte one would take a page).  In a program
 * of its own (bench_dpdk): the EAL's threads and memory are the whole
 * process's.  Compiled with DPDK's flags (pkg-config libdpdk:
 * -march=corei7, -include rte_config.h), which its inline get and put
 * need.
 *
 * "dpdk" is rte_mempool_create() as it comes: the ring_mp_mc ops, a
 * ring whose every operation, once it has claimed its slots, waits for
 * the operations that claimed slots before it to finish, so a thread
 * preempted inside one leaves the others spinning.  DPDK's guide (Ring
 * Mempool Driver) calls it the right ops for one thread per core and
 * names ring_mt_rts or ring_mt_hts where threads share cores.  On the
 * project's 2-CPU VM, with other jobs running, 4 threads of the batch
 * workload took 8 ms per 1000 gets and puts per thread with ring_mp_mc
 * and 9 us with ring_mt_rts (one case of 64 B ran 31 s), so "dpdk"
 * skips the cases with more threads than the CPUs the process may use
 * (bk_unfit).  "dpdk-rts" (MAGPOOL_BENCH_DPDK_OPS=ring_mt_rts:
 * rte_mempool_create_empty, rte_mempool_set_ops_byname,
 * rte_mempool_populate_default) has relaxed tail sync, where the last
 * operation to finish moves the tail, and runs every case.
 *
 * The EAL is initialised once per process, by bk_init(), for a machine
 * without hugepages: --no-huge (anonymous 4 KiB pages) with -m sized
 * from the pools below, --no-pci, --no-shconf (no run-time files shared
 * with other DPDK processes: several run at once for the rss workload),
 * --no-telemetry, --lcores=0@(the CPUs the process may use): the main
 * thread is lcore 0 on every CPU it had (-l 0 would pin it, and every
 * thread it creates afterwards, to CPU 0), --log-level=*:error.
 *
 * Threads: a pool's cache is per lcore id.  A thread that is not an
 * EAL thread has none (LCORE_ID_ANY), and for it rte_mempool_get/put
 * skip the cache: every call goes to the pool's ring.  So each thread
 * the benchmark creates (google-benchmark's, the churn workload's)
 * registers itself with rte_thread_register() at its first get or put,
 * which gives it the lowest free lcore id, and gives the id back at exit
 * (rte_thread_unregister() from a key destructor).  The objects in a
 * cache stay with its lcore id, for the next thread to get that id.
 * Beyond RTE_MAX_LCORE (128 in Debian's build) lcore ids,
 * rte_thread_register() fails with ENOMEM and leaves the thread with
 * LCORE_ID_ANY: it runs without a cache.  A case with more live threads
 * than that (idle's 1000) is skipped (bk_unfit), as is a case whose pool
 * could not be created (the reason in its JSON).
 *
 * Size: a pool is made with a fixed number of objects, all carved at
 * creation.  Each holds wl_pool_peak() of its name (workloads.h: the
 * most objects the workloads hold at once with this process's options:
 * --rss_objects for rss, 16,000 for the sized pools with batch's and
 * larson's default 16 threads, 1189 for the GlusterFS-shaped ones,
 * 2048, 86 or 8 for npools' first, next 23 and last 232, 64 for idle)
 * plus two caches' worth for each lcore that may use it
 * (wl_pool_threads() + 1, at most RTE_MAX_LCORE; DPDK 22.11 flushes a
 * cache past 1.5 times its size and fills it to its size), so that no
 * get of any workload fails, whatever the caches of idle lcores hold;
 * with ring_mt_rts, more (bk_rts_objects).  A pool that breaks those
 * assumptions is not used (bk_misfit).  Every mempool with a cache also
 * has RTE_MAX_LCORE of them in its header, about 1 MiB whatever its
 * size, zeroed at creation: npools' 256 pools of 64 B add about 345 MiB
 * to the process's resident set, most of it those caches.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "bench.h"

#define BK_CACHE 256
_Static_assert(BK_CACHE <= RTE_MEMPOOL_CACHE_MAX_SIZE,
               "rte_mempool_create() refuses a cache above the maximum");

typedef struct rte_mempool bk_pool;

/* The ops: NULL for rte_mempool_create()'s own (ring_mp_mc). */
static const char *bk_ops(void)
{
    const char *o = getenv("MAGPOOL_BENCH_DPDK_OPS");
    return o && *o && strcmp(o, "ring_mp_mc") ? o : NULL;
}

static const char *bk_label(void)
{
    const char *o = bk_ops();
    if (!o)
        return "dpdk";
    if (strcmp(o, "ring_mt_rts") == 0)
        return "dpdk-rts";
    fprintf(stderr, "dpdk: MAGPOOL_BENCH_DPDK_OPS=%s: the pools are sized "
            "for ring_mp_mc and ring_mt_rts only\n", o);
    exit(2);
}

static void bk_init(void);
static unsigned bk_objects(const char *name);
static const char *bk_misfit(struct rte_mempool *mp, const char *name);

/* Why the first pool that could not be created was not (bk_unfit). */
static char bk_failed[192];

static inline bk_pool *bk_new(const char *name, size_t size)
{
    static unsigned seq;
    char mpname[RTE_MEMPOOL_NAMESIZE];
    unsigned n = bk_objects(name);
    const char *ops = bk_ops(), *why = NULL;
    struct rte_mempool *mp;
    /* Names must be unique in the process (gfmix and manypools share
     * some) and shorter than RTE_MEMPOOL_NAMESIZE (26): a sequence
     * number and the name's start. */
    snprintf(mpname, sizeof mpname, "mp%u-%.16s", seq++ % 1000u, name);
    if (!ops) {
        mp = rte_mempool_create(mpname, n, (unsigned)size, BK_CACHE, 0, NULL,
                                NULL, NULL, NULL, SOCKET_ID_ANY,
                                RTE_MEMPOOL_F_NO_IOVA_CONTIG);
    } else {
        mp = rte_mempool_create_empty(mpname, n, (unsigned)size, BK_CACHE, 0,
                                      SOCKET_ID_ANY,
                                      RTE_MEMPOOL_F_NO_IOVA_CONTIG);
        if (mp && (rte_mempool_set_ops_byname(mp, ops, NULL) ||
                   rte_mempool_populate_default(mp) < 0)) {
            rte_mempool_free(mp);
            mp = NULL;
        }
    }
    if (mp && (why = bk_misfit(mp, name))) {
        rte_mempool_free(mp);
        mp = NULL;
    }
    if (!mp && !bk_failed[0])
        snprintf(bk_failed, sizeof bk_failed,
                 "rte_mempool_create(%.40s, %u objects of %zu B%s%.16s): "
                 "%.80s", name, n, size, ops ? ", ops " : "", ops ? ops : "",
                 why ? why : rte_strerror(rte_errno));
    return mp;
}

/* ------------------------------------------------------------ threads */

static __thread int bk_asked;  /* this thread called rte_thread_register */
static pthread_key_t bk_exit;  /* its destructor gives the lcore id back */

static void bk_unregister(void *unused)
{
    (void)unused;
    rte_thread_unregister();
}

static __attribute__((noinline, cold)) void bk_register(void)
{
    bk_asked = 1;
    if (rte_thread_register() == 0)
        (void)pthread_setspecific(bk_exit, &bk_asked);
}

/* The first get or put of a thread that is not an lcore yet. */
static inline void bk_self(void)
{
    if (__builtin_expect(rte_lcore_id() == LCORE_ID_ANY && !bk_asked, 0))
        bk_register();
}

/* A get found no object it could see.  The pools are sized so that it
 * should not happen (see the top of this file); should it, what the get
 * cannot see yet is in another thread's ring operation, which ends once
 * that thread runs: wait, for at most a second, then fail (the workload
 * aborts with a message). */
static __attribute__((noinline, cold)) void *bk_get_wait(bk_pool *p)
{
    double until = bench_now() + 1.0;
    void *o;
    while (rte_mempool_get(p, &o)) {
        if (bench_now() > until)
            return NULL;
        sched_yield();
    }
    return o;
}

static inline void *bk_get(bk_pool *p)
{
    void *o;
    bk_self();
    if (__builtin_expect(rte_mempool_get(p, &o) != 0, 0))
        return bk_get_wait(p);
    return o;
}

static inline void *bk_get0(bk_pool *p)
{
    void *o = bk_get(p);
    if (o)
        memset(o, 0, p->elt_size);
    return o;
}

static inline void bk_put(bk_pool *p, void *o)
{
    bk_self();
    rte_mempool_put(p, o);
}

static inline void bk_destroy(bk_pool *p) { rte_mempool_free(p); }

#define BK_HAVE_UNFIT 1
static const char *bk_unfit(bk_pool *const *pools, int npools, int threads,
                            int live);

#include "workloads.h"

static int bk_ncpus; /* CPUs this process may use (bk_init) */

static const char *bk_unfit(bk_pool *const *pools, int npools, int threads,
                            int live)
{
    static __thread char why[256];
    for (int i = 0; i < npools; i++)
        if (!pools[i])
            return bk_failed[0] ? bk_failed : "no pool";
    if (live > RTE_MAX_LCORE) {
        snprintf(why, sizeof why,
                 "%d threads: DPDK has %d lcore ids (RTE_MAX_LCORE); a "
                 "thread beyond them would run without a cache",
                 live, RTE_MAX_LCORE);
        return why;
    }
    if (!bk_ops() && threads > bk_ncpus) {
        snprintf(why, sizeof why,
                 "ring_mp_mc with %d threads on %d CPUs: a thread preempted "
                 "inside a ring operation leaves the others spinning (DPDK "
                 "advises ring_mt_rts where threads share cores: dpdk-rts)",
                 threads, bk_ncpus);
        return why;
    }
    return NULL;
}

/* ------------------------------------------------------------- sizes */

/* With ring_mt_rts the last operation to finish moves a tail, so a tail
 * may lag its head by up to the ring's htd_max (the ring driver sets its
 * capacity / 8) when threads overlap: that many objects put may be
 * invisible to gets yet, that many slots got not yet free for puts.  n
 * objects make a ring of C = 2^k - 1 >= n slots; n must be at least
 * base + C/8 (a get finds an object) and at most C - C/8 - 2 caches (a
 * cache's flush finds room, or the put would drop objects).  n >= 2^(k-1)
 * keeps the ring at 2^k. */
static unsigned long bk_rts_objects(unsigned long base)
{
    unsigned long count = rte_align64pow2(base + 1);
    for (;;) {
        unsigned long c = count - 1, lag = c / 8;
        unsigned long n = base + lag > count / 2 ? base + lag : count / 2;
        if (n + lag + 2 * BK_CACHE <= c)
            return n;
        count *= 2;
    }
}

/* The lcores that may hold a cache of the pool of this name. */
static unsigned long bk_lcores(const char *name)
{
    unsigned long n = wl_pool_threads(name) + 1UL;
    return n < RTE_MAX_LCORE ? n : RTE_MAX_LCORE;
}

/* Objects of a pool by its name (see the top of this file). */
static unsigned bk_objects(const char *name)
{
    unsigned long base = (unsigned long)wl_pool_peak(name) +
                         bk_lcores(name) * 2 * BK_CACHE;
    if (bk_ops() && wl_pool_threads(name) > 1)
        return (unsigned)bk_rts_objects(base);
    return (unsigned)base;
}

/* Why the pool does not obey what bk_objects() assumed (a cache holds at
 * most two caches' worth; the ring ring_mt_rts made lags no more than
 * bk_rts_objects() allows), or NULL when it does. */
static const char *bk_misfit(struct rte_mempool *mp, const char *name)
{
    const struct rte_ring *r = mp->pool_data;
    unsigned lag;
    if (mp->local_cache[0].flushthresh > 2 * BK_CACHE)
        return "a cache may hold more than the pool's size allows for";
    if (!bk_ops() || wl_pool_threads(name) < 2)
        return NULL;
    lag = rte_ring_get_prod_htd_max(r) > rte_ring_get_cons_htd_max(r)
              ? rte_ring_get_prod_htd_max(r)
              : rte_ring_get_cons_htd_max(r);
    if (mp->size + lag + 2 * BK_CACHE > rte_ring_get_capacity(r))
        return "its ring's tails may lag more than its size allows for";
    return NULL;
}

/* An upper bound of the EAL memory a pool takes: its objects (each with
 * a cache line of header and up to one of padding, which spreads
 * objects over memory channels), its ring (a power of two of
 * pointers), the mempool and its RTE_MAX_LCORE caches, and slack. */
static size_t bk_pool_bytes(const char *name, size_t size)
{
    size_t n = bk_objects(name);
    size_t elt = RTE_ALIGN_CEIL(size, RTE_CACHE_LINE_SIZE) +
                 2 * RTE_CACHE_LINE_SIZE;
    return n * elt + rte_align64pow2(n + 1) * sizeof(void *) +
           sizeof(struct rte_mempool) +
           RTE_MAX_LCORE * sizeof(struct rte_mempool_cache) + (64 << 10);
}

/* Every pool this process may create, in MiB, with room for the EAL's
 * own (memzones, the heap's headers); at most 3/4 of the machine's
 * memory, since a pool's objects are all written when it is made: a
 * pool beyond that fails to be made (ENOMEM) and its cases are skipped,
 * where it would otherwise take the machine's memory. */
static unsigned bk_eal_mib(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    size_t cap = pages > 0 && psize > 0
                     ? (size_t)pages / 4 * 3 * (size_t)psize >> 20
                     : (size_t)-1;
    size_t b = bk_pool_bytes("rss", WL_RSS_SIZE) +
               bk_pool_bytes("idle", WL_IDLE_SIZE);
    char name[24];
    for (int i = 0; i < bench_opt.nsizes && !bench_opt.rss_only; i++) {
        snprintf(name, sizeof name, "bench-%lld",
                 (long long)bench_opt.sizes[i]);
        b += bk_pool_bytes(name, (size_t)bench_opt.sizes[i]);
    }
    for (int i = 0; i < BENCH_MANY_POOLS && !bench_opt.rss_only; i++)
        b += bk_pool_bytes(bench_many_pools[i].name, bench_many_pools[i].size);
    for (int i = 0; i < GF_NPOOLS && !bench_opt.rss_only; i++)
        b += bk_pool_bytes(bench_gf_pools[i].name, bench_gf_pools[i].size);
    for (int i = 0; i < WL_NP_MAX && !bench_opt.rss_only; i++) {
        snprintf(name, sizeof name, "npools-%d", i);
        b += bk_pool_bytes(name, WL_NP_SIZE);
    }
    b += b / 8;
    b = (b >> 20) + 64;
    return (unsigned)(b < cap ? b : cap);
}

/* ------------------------------------------------------------- set-up */

static void bk_init(void)
{
    cpu_set_t cpus;
    char mem[24], lcores[64 + 8 * CPU_SETSIZE];
    size_t len;
    char *argv[] = {
        "magpool-bench", "--no-huge", "--no-pci", "--no-shconf",
        "--no-telemetry", lcores, "-m", mem, "--log-level=*:error", NULL,
    };
    int argc = (int)(sizeof argv / sizeof argv[0]) - 1;

    if (pthread_key_create(&bk_exit, bk_unregister)) {
        fprintf(stderr, "dpdk: pthread_key_create failed\n");
        exit(2);
    }
    if (sched_getaffinity(0, sizeof cpus, &cpus)) {
        perror("dpdk: sched_getaffinity");
        exit(2);
    }
    bk_ncpus = CPU_COUNT(&cpus);
    len = (size_t)snprintf(lcores, sizeof lcores, "--lcores=0@(");
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &cpus))
            len += (size_t)snprintf(lcores + len, sizeof lcores - len, "%s%d",
                                    lcores[len - 1] == '(' ? "" : ",", c);
    snprintf(lcores + len, sizeof lcores - len, ")");
    snprintf(mem, sizeof mem, "%u", bk_eal_mib());
    if (rte_eal_init(argc, argv) < 0) {
        fprintf(stderr, "dpdk: rte_eal_init(%s %s -m %s): %s\n", argv[1],
                lcores, mem, rte_strerror(rte_errno));
        exit(2);
    }
}
