/*
 * os.c - address space from the kernel, for the slab's chunks and the
 * threads' caches.
 *
 * Owns: mapping aligned chunks, giving their memory back, the list of
 * retired chunks kept for reuse, counting what of a range is resident,
 * the page-aligned mappings thread caches live in (mp_os_pages), and
 * reading memory that may not be mapped without faulting (mp_os_peek).
 *
 * A chunk is never unmapped.  When the slab is done with one, its pages
 * are dropped with madvise(MADV_DONTNEED) - the memory really goes back
 * to the kernel and RSS drops - but the address range stays mapped, reads
 * as zeros, and is reused for the next chunk of the same size (any pool).
 * This is what makes a put of a stale pointer safe: the fast path reads
 * the word in front of any pointer it is given, and for an object whose
 * chunk went back that word is still readable (zero, which decodes to no
 * pool: the put is ignored).  With munmap the same put would crash the
 * process.  The cost is address space only: a process keeps the peak of
 * its chunks mapped (virtual size), never their memory.
 *
 * The first page of a retired chunk holds its link in the retired list
 * (one page of memory per retired chunk; the chunk header is there
 * anyway), zeroed again when the chunk is reused.
 *
 * Synchronization: the retired list under os_lock, a leaf lock (taken
 * inside slab.lock, never the other way round); fork holds it.
 *
 * Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mp.h"

/* Under AddressSanitizer, LeakSanitizer scans the heap, stacks, TLS and
 * globals for pointers, not anonymous mappings: the slots a thread's
 * cache points to (malloc'ed) would be reported as leaked.  The cache's
 * mapping is registered as a root region while it is mapped. */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define MP_LSAN_ROOT(p, n) __lsan_register_root_region((p), (n))
#define MP_LSAN_UNROOT(p, n) __lsan_unregister_root_region((p), (n))
#else
#define MP_LSAN_ROOT(p, n) ((void)(p), (void)(n))
#define MP_LSAN_UNROOT(p, n) ((void)(p), (void)(n))
#endif

struct mp_retired {
    struct mp_retired *next;
    size_t size;
};

static pthread_mutex_t os_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mp_retired *retired;

static size_t round_up(size_t v, size_t a) { return (v + a - 1) & ~(a - 1); }

static void *reuse(size_t size)
{
    pthread_mutex_lock(&os_lock);
    struct mp_retired **pp = &retired, *r;
    while ((r = *pp) && r->size != size)
        pp = &r->next;
    if (r)
        *pp = r->next;
    pthread_mutex_unlock(&os_lock);
    if (r)
        memset(r, 0, sizeof(*r));
    return r;
}

/* A size-aligned mapping of size bytes (a power of two), zero-filled, or
 * NULL with errno = ENOMEM. */
void *mp_os_map(size_t size)
{
    void *p = reuse(size);
    if (p)
        return p;
    char *raw = mmap(NULL, 2 * size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) {
        errno = ENOMEM;
        return NULL;
    }
    char *base = (char *)round_up((uintptr_t)raw, size);
    if (base > raw)
        munmap(raw, (size_t)(base - raw));
    if (raw + 2 * size > base + size)
        munmap(base + size, (size_t)(raw + 2 * size - (base + size)));
    return base;
}

/* Give a chunk's memory back to the kernel and keep its range for reuse. */
void mp_os_retire(void *p, size_t size)
{
    /* MADV_DONTNEED on private anonymous memory cannot fail for a valid
     * range; the pages read back as zeros. */
    (void)madvise(p, size, MADV_DONTNEED);
    struct mp_retired *r = p;
    r->size = size;
    pthread_mutex_lock(&os_lock);
    r->next = retired;
    retired = r;
    pthread_mutex_unlock(&os_lock);
}

/* size bytes, page-aligned and zero-filled, of which only the pages
 * written will take memory; NULL with errno = ENOMEM.  For a thread's
 * cache, which may be unmapped when no thread uses it: unlike a chunk,
 * nothing reads it through a stale pointer afterwards (magpool_tls is
 * pointed away first).  mp_os_pages_free: false when the range could
 * not be unmapped and was only emptied. */
void *mp_os_pages(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        errno = ENOMEM;
        return NULL;
    }
    MP_LSAN_ROOT(p, size);
    return p;
}

bool mp_os_pages_free(void *p, size_t size)
{
    if (munmap(p, size) == 0) {
        MP_LSAN_UNROOT(p, size);
        return true;
    }
    /* Neighbouring mappings of the same kind merge into one, which
     * munmap must split, and a process at its limit of mappings
     * (vm.max_map_count) gets ENOMEM.  The memory is given back instead
     * (MADV_DONTNEED never splits a mapping; it fails on locked pages,
     * which stay as they are); the range stays mapped, for the caller to
     * keep and reuse as it was. */
    (void)madvise(p, size, MADV_DONTNEED);
    return false;
}

/* Bytes of [p, p + len) the kernel holds in memory now (mincore(2));
 * p page-aligned.  What giving the range back really returns. */
size_t mp_os_resident(const void *p, size_t len)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    unsigned char vec[256];
    size_t pages = 0;
    for (size_t off = 0; off < len; off += sizeof(vec) * page) {
        size_t n = len - off;
        if (n > sizeof(vec) * page)
            n = sizeof(vec) * page;
        if (mincore((char *)p + off, n, vec))
            continue; /* cannot happen for our own mapping */
        for (size_t i = 0; i < (n + page - 1) / page; i++)
            pages += vec[i] & 1;
    }
    return pages * page;
}

bool mp_os_peek(const void *addr, void *out, size_t len)
{
#if defined(__SANITIZE_ADDRESS__) && defined(__x86_64__)
    /* AddressSanitizer checks the buffer write() is given against its
     * shadow, which covers user space only. */
    if ((uintptr_t)addr >= ((uintptr_t)1 << 47))
        return false;
#endif
    /* The kernel copies what write() is given and answers EFAULT for an
     * address that is not mapped readable, where a load would fault.  A
     * pipe, not process_vm_readv: that is a debugging call, which
     * sandboxes (seccomp, systemd's SystemCallFilter) refuse or punish
     * with SIGSYS; write and pipe2 are allowed everywhere. */
    int fd[2];
    if (len > PIPE_BUF || pipe2(fd, O_CLOEXEC))
        return false;
    bool ok = write(fd[1], addr, len) == (ssize_t)len &&
              read(fd[0], out, len) == (ssize_t)len;
    close(fd[0]);
    close(fd[1]);
    return ok;
}

void mp_os_fork_prepare(void) { pthread_mutex_lock(&os_lock); }
void mp_os_fork_parent(void) { pthread_mutex_unlock(&os_lock); }
void mp_os_fork_child(void) { pthread_mutex_init(&os_lock, NULL); }
