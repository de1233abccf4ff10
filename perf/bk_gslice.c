/*
 * bk_gslice.c - backend "gslice" or "gslice-malloc": GLib's slice
 * allocator (g_slice_alloc, g_slice_alloc0, g_slice_free1), in a program
 * of its own (bench_gslice) so that GLib's threads and settings reach no
 * other backend's process.
 *
 * GLib 2.74 (Debian 12) still has Bonwick's magazines: per-thread
 * magazines over a shared magazine cache over a slab of 8 KiB pages,
 * for chunks up to 1008 bytes (a slab page holds at least 8 chunks);
 * larger sizes go to malloc().  Under G_SLICE=always-malloc every call
 * goes to malloc()/free() (perf/run.sh runs that as the group
 * "gslice-malloc": what the magazines buy).  GLib 2.76 and later have
 * no magazines at all: g_slice_* is malloc there, and this program
 * says so with its label, whatever G_SLICE holds.
 */
#define GLIB_DISABLE_DEPRECATION_WARNINGS
#include <glib.h>
#include <stdlib.h>

#include "bk_sized.h"

/* GLib 2.74 reads G_SLICE once, at its first slice call, with
 * g_parse_debug_string() and these keys ("all" sets both), and
 * g_slice_get_config() does not report what it read: the label comes
 * from the same parse. */
static const char *bk_label(void)
{
    static const GDebugKey keys[] = {
        {"always-malloc", 1 << 0},
        {"debug-blocks", 1 << 1},
    };
    if (!glib_check_version(2, 76, 0))
        return "gslice-malloc";
    if (g_parse_debug_string(g_getenv("G_SLICE"), keys, G_N_ELEMENTS(keys)) &
        1)
        return "gslice-malloc";
    return "gslice";
}

static void bk_init(void) {}

static inline void *bk_get(bk_pool *p) { return g_slice_alloc(p->size); }
static inline void *bk_get0(bk_pool *p) { return g_slice_alloc0(p->size); }
static inline void bk_put(bk_pool *p, void *o) { g_slice_free1(p->size, o); }

#include "workloads.h"
