/*
 * fault.h - memory fault injection for tests: this program's own
 * definitions of malloc, calloc, mmap and munmap, which every library in the
 * process (libmagpool, liburcu, glibc's callers) binds to when the program
 * is linked with -rdynamic.  Disarmed they forward to glibc; armed they
 * fail (NULL / MAP_FAILED, errno ENOMEM) at the Nth call or at random.
 * They also keep count of the blocks libmagpool allocated (the caller's
 * return address is in libmagpool's image) and has not freed yet, which
 * is what a leak check compares: glibc's own caches (freed chunks, thread
 * stacks and their TLS vectors) vary with timing and are not counted.
 * Not usable under AddressSanitizer or ThreadSanitizer, which own malloc.
 */
#ifndef MP_FAULT_H
#define MP_FAULT_H

#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* FAULT_ALL: every allocation; FAULT_MUNMAP (munmap refused with ENOMEM,
 * as the kernel does when it must split a mapping and the process is at
 * vm.max_map_count) and FAULT_MADVISE (madvise refused, as MADV_DONTNEED
 * is on locked pages) only when asked for. */
enum { FAULT_MALLOC = 1, FAULT_CALLOC = 2, FAULT_MMAP = 4,
       FAULT_ALL = 7, FAULT_MUNMAP = 8, FAULT_MADVISE = 16 };

static atomic_uint fault_kinds;      /* which calls may fail; 0: disarmed */
static atomic_long fault_nth;        /* fail the call that counts this down to 0 */
static atomic_uint fault_permille;   /* or fail this many per thousand */
static atomic_ulong fault_seed;
static atomic_ulong fault_calls, fault_failed;

static inline void fault_arm(unsigned kinds, long nth, unsigned permille,
                             unsigned long seed)
{
    atomic_store(&fault_nth, nth);
    atomic_store(&fault_permille, permille);
    atomic_store(&fault_seed, seed | 1);
    atomic_store(&fault_calls, 0);
    atomic_store(&fault_failed, 0);
    atomic_store(&fault_kinds, kinds);
}

static inline void fault_disarm(void) { atomic_store(&fault_kinds, 0); }

static inline int fault_now(unsigned kind)
{
    if (!(atomic_load_explicit(&fault_kinds, memory_order_relaxed) & kind))
        return 0;
    atomic_fetch_add(&fault_calls, 1);
    int fail = 0;
    long nth = atomic_load(&fault_nth);
    if (nth > 0 && atomic_fetch_sub(&fault_nth, 1) == 1)
        fail = 1;
    unsigned pm = atomic_load(&fault_permille);
    if (pm) {
        unsigned long s = atomic_load(&fault_seed), n;
        do
            n = s * 6364136223846793005ull + 1442695040888963407ull;
        while (!atomic_compare_exchange_weak(&fault_seed, &s, n));
        fail |= (n >> 33) % 1000 < pm;
    }
    if (fail) {
        atomic_fetch_add(&fault_failed, 1);
        errno = ENOMEM;
    }
    return fail;
}

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void __libc_free(void *);

/* Live blocks allocated from libmagpool: an open-addressing set. */
#define FAULT_SET (1u << 18)
static void *fault_live[FAULT_SET];
static long fault_nlive;
static pthread_mutex_t fault_lock = PTHREAD_MUTEX_INITIALIZER;
static uintptr_t fault_lib_lo, fault_lib_hi; /* libmagpool's code */
#define FAULT_GONE ((void *)1)

static unsigned fault_slot(void *p)
{
    return (unsigned)(((uintptr_t)p >> 4) * 0x9e3779b97f4a7c15ull >> 46) &
           (FAULT_SET - 1);
}

static void fault_track(void *p, void *caller)
{
    if (!p || (uintptr_t)caller < fault_lib_lo ||
        (uintptr_t)caller >= fault_lib_hi)
        return;
    pthread_mutex_lock(&fault_lock);
    unsigned i = fault_slot(p);
    while (fault_live[i] && fault_live[i] != FAULT_GONE)
        i = (i + 1) & (FAULT_SET - 1);
    fault_live[i] = p;
    fault_nlive++;
    pthread_mutex_unlock(&fault_lock);
}

/* Blocks libmagpool holds now; call fault_track_lib() first. */
static inline long fault_lib_blocks(void)
{
    pthread_mutex_lock(&fault_lock);
    long n = fault_nlive;
    pthread_mutex_unlock(&fault_lock);
    return n;
}

static int fault_find_lib(struct dl_phdr_info *info, size_t size, void *sym)
{
    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) &&
            (uintptr_t)sym >= lo && (uintptr_t)sym < hi) {
            fault_lib_lo = lo;
            fault_lib_hi = hi;
            return 1;
        }
    }
    return 0;
}

/* Start counting the blocks allocated by the code segment holding sym
 * (libmagpool's, or this program's when it is linked statically). */
static inline void fault_track_lib(void *sym)
{
    dl_iterate_phdr(fault_find_lib, sym);
}

__attribute__((visibility("default"))) void *malloc(size_t n)
{
    void *p = fault_now(FAULT_MALLOC) ? NULL : __libc_malloc(n);
    fault_track(p, __builtin_return_address(0));
    return p;
}

__attribute__((visibility("default"))) void *calloc(size_t n, size_t m)
{
    void *p = fault_now(FAULT_CALLOC) ? NULL : __libc_calloc(n, m);
    fault_track(p, __builtin_return_address(0));
    return p;
}

__attribute__((visibility("default"))) void free(void *p)
{
    if (p && fault_lib_hi) {
        pthread_mutex_lock(&fault_lock);
        for (unsigned i = fault_slot(p); fault_live[i];
             i = (i + 1) & (FAULT_SET - 1))
            if (fault_live[i] == p) {
                fault_live[i] = FAULT_GONE;
                fault_nlive--;
                break;
            }
        pthread_mutex_unlock(&fault_lock);
    }
    __libc_free(p);
}

__attribute__((visibility("default"))) void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if (fault_now(FAULT_MMAP))
        return MAP_FAILED;
    long r = syscall(SYS_mmap, addr, len, prot, flags, fd, off);
    return r == -1 ? MAP_FAILED : (void *)r;
}

__attribute__((visibility("default"))) int munmap(void *addr, size_t len)
{
    if (fault_now(FAULT_MUNMAP))
        return -1;
    return (int)syscall(SYS_munmap, addr, len);
}

__attribute__((visibility("default"))) int madvise(void *addr, size_t len,
                                                   int advice)
{
    if (fault_now(FAULT_MADVISE)) {
        errno = EINVAL;
        return -1;
    }
    return (int)syscall(SYS_madvise, addr, len, advice);
}
#endif

#endif
