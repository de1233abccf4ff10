/*
 * perf/pltfloor.h - the empty get and put of libpltfloor (pltfloor.c).
 */
#ifndef PERF_PLTFLOOR_H
#define PERF_PLTFLOOR_H
void *perf_floor_get(void *pool);
void perf_floor_put(void *obj);
#endif
