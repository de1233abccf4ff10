/*
 * bk_malloc.c - backend "glibc", "tcmalloc", "jemalloc" or "mimalloc":
 * plain malloc/calloc/free, whichever allocator the process has.  The
 * others are brought in with LD_PRELOAD (perf/run.sh), so that one binary
 * measures all four the same way; the label says which one it found.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "bk_sized.h"

/* Name the allocator by the library that provides malloc() to this
 * process: the preloaded one if it interposes, else glibc. */
static const char *bk_label(void)
{
    static const struct {
        const char *lib, *label;
    } known[] = {
        {"tcmalloc", "tcmalloc"},
        {"jemalloc", "jemalloc"},
        {"mimalloc", "mimalloc"},
        {"libc.so", "glibc"},
    };
    Dl_info info;
    if (dladdr(dlsym(RTLD_DEFAULT, "malloc"), &info) && info.dli_fname)
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
            if (strstr(info.dli_fname, known[i].lib))
                return known[i].label;
    return "malloc";
}

static void bk_init(void) {}

static inline void *bk_get(bk_pool *p) { return malloc(p->size); }
static inline void *bk_get0(bk_pool *p) { return calloc(1, p->size); }
static inline void bk_put(bk_pool *p, void *o)
{
    (void)p;
    free(o);
}

#include "workloads.h"
