/*
 * perf/pltfloor.c - libpltfloor: a get and a put that do nothing, in a
 * shared library of their own, called through the PLT as magpool's
 * exported functions and malloc are.  perf/hotpair times them beside
 * those: the floor of any get+put pair a caller makes through a shared
 * library on this machine.  Not installed.
 *
 * Copyright (C) 2026 the magpool authors.  LGPLv3+ or GPLv2 (see COPYING).
 */
#include "pltfloor.h"

__attribute__((visibility("default"))) void *perf_floor_get(void *pool)
{
    return pool;
}

__attribute__((visibility("default"))) void perf_floor_put(void *obj)
{
    (void)obj;
}
