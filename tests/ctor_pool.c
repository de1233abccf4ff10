/*
 * ctor_pool.c - a library whose constructor makes the process's first
 * call of the GlusterFS pool API, some time after it started: loaded by
 * test_gluster_versions while another thread makes its own first call,
 * so that the loader's lock (held by dlopen around the constructor) and
 * the front's first decision meet.
 *
 * Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <unistd.h>

int ctor_pool_done;

__attribute__((constructor)) static void first_call(void)
{
    usleep(300000); /* the other thread is asking the loader by now */
    void (*init)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "mem_pools_init");
    void (*fini)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "mem_pools_fini");
    if (init && fini) {
        init();
        fini();
        ctor_pool_done = 1;
    }
}
