/*
 * fault.h - memory fault injection for tests: this program's own
 * definitions of malloc, calloc and mmap, which every library in the
 * process (libmagpool, liburcu, glibc's callers) binds to when the program
 * is linked with -rdynamic.  Disarmed they forward to glibc; armed they
 * fail (NULL / MAP_FAILED, errno ENOMEM) at the Nth call or at random.
 * Not usable under AddressSanitizer or ThreadSanitizer, which own malloc.
 */
#ifndef MP_FAULT_H
#define MP_FAULT_H

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { FAULT_MALLOC = 1, FAULT_CALLOC = 2, FAULT_MMAP = 4,
       FAULT_ALL = 7 };

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

__attribute__((visibility("default"))) void *malloc(size_t n)
{
    return fault_now(FAULT_MALLOC) ? NULL : __libc_malloc(n);
}

__attribute__((visibility("default"))) void *calloc(size_t n, size_t m)
{
    return fault_now(FAULT_CALLOC) ? NULL : __libc_calloc(n, m);
}

__attribute__((visibility("default"))) void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if (fault_now(FAULT_MMAP))
        return MAP_FAILED;
    long r = syscall(SYS_mmap, addr, len, prot, flags, fd, off);
    return r == -1 ? MAP_FAILED : (void *)r;
}
#endif

#endif
