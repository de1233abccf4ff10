/*
 * test_slab.c - the slab layer by itself: linked with lib/os.c,
 * lib/options.c and lib/slab.c only (lib/LAYERS), no pool, no thread
 * cache, no depot.  A pool here is a struct magpool filled in by hand
 * with what the slab reads (object size, header value, name).
 */
#include <stdint.h>
#include <sys/mman.h>

#include "mp.h"
#include "testutil.h"

#define HDR_ALLOC 0xa5c3f00d5eed0007ull

static struct magpool *new_pool(size_t obj_size)
{
    mp_options_init();
    struct magpool *p = calloc(1, sizeof(*p));
    ck_assert_ptr_nonnull(p);
    p->obj_size = p->sizeof_type = obj_size;
    p->hdr_alloc = HDR_ALLOC;
    snprintf(p->name, sizeof(p->name), "slab-test");
    ck_assert_int_eq(mp_slab_init(p), 0);
    return p;
}

static void free_pool(struct magpool *p)
{
    mp_slab_destroy(p);
    free(p);
}

static size_t page_size(void) { return (size_t)sysconf(_SC_PAGESIZE); }

static int cmp_ptr(const void *a, const void *b)
{
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return x < y ? -1 : x > y;
}

/* A chunk's worth of objects of p (obj_size bytes) carved, each filled
 * with byte; the array is the caller's to free. */
static void **carve_filled(struct magpool *p, size_t obj_size, int byte)
{
    unsigned n = p->slab.nobj;
    void **objs = calloc(n, sizeof(void *));
    ck_assert_ptr_nonnull(objs);
    ck_assert_uint_eq(mp_slab_alloc(p, objs, n), n);
    for (unsigned i = 0; i < n; i++)
        memset(objs[i], byte, obj_size);
    return objs;
}

START_TEST(carved_objects_are_aligned_distinct_never_page_aligned_and_marked_free)
{
    struct magpool *p = new_pool(24);
    struct mp_slab *sl = &p->slab;
    unsigned n = 3 * sl->nobj; /* three chunks' worth */
    void **objs = calloc(n, sizeof(void *));
    unsigned got = 0;
    while (got < n)
        got += mp_slab_alloc(p, objs + got, n - got);
    ck_assert_uint_eq(sl->out, n);
    for (unsigned i = 0; i < n; i++) {
        ck_assert_uint_eq((uintptr_t)objs[i] % MP_OBJ_ALIGN, 0);
        ck_assert_msg((uintptr_t)objs[i] % page_size() != 0,
                      "object %p is page-aligned", objs[i]);
        ck_assert_uint_eq(*mp_hdr(objs[i]), HDR_ALLOC ^ MP_HDR_FLIP);
        memset(objs[i], 0x5a, 24); /* writable, all of it */
    }
    qsort(objs, n, sizeof(void *), cmp_ptr);
    for (unsigned i = 1; i < n; i++)
        ck_assert_msg((char *)objs[i] - (char *)objs[i - 1] >= (long)sl->stride,
                      "objects %p and %p overlap", objs[i - 1], objs[i]);
    ck_assert_uint_ge(sl->maps, 3);
    free(objs);
    free_pool(p);
}
END_TEST

START_TEST(a_chunk_whose_objects_all_come_back_is_unmapped)
{
    struct magpool *p = new_pool(64);
    struct mp_slab *sl = &p->slab;
    unsigned n = sl->nobj / 2;
    void **objs = calloc(n, sizeof(void *));
    ck_assert_uint_eq(mp_slab_alloc(p, objs, n), n);
    for (unsigned i = 0; i < n; i++)
        memset(objs[i], 1, 64); /* make the pages resident */
    ck_assert_uint_gt(mp_slab_resident(p), 0);
    ck_assert_uint_eq(sl->maps, 1);
    /* All but one back: the chunk stays. */
    ck_assert_uint_eq(mp_slab_free(p, objs + 1, n - 1), 0);
    ck_assert_uint_eq(sl->unmaps, 0);
    /* The last one: the chunk goes, and its resident bytes are counted. */
    ck_assert_uint_gt(mp_slab_free(p, objs, 1), 0);
    ck_assert_uint_eq(sl->unmaps, 1);
    ck_assert_uint_eq(sl->out, 0);
    ck_assert_uint_eq(mp_slab_resident(p), 0);
    free(objs);
    free_pool(p);
}
END_TEST

START_TEST(free_pages_of_a_live_chunk_go_back_and_are_carved_again)
{
    struct magpool *p = new_pool(200);
    struct mp_slab *sl = &p->slab;
    unsigned n = sl->nobj;
    void **objs = carve_filled(p, 200, 2);
    uint64_t before = mp_slab_resident(p);
    /* Keep the first object; give back the others of its chunk (the
     * objects skipped at page starts may have spilled a few into a
     * second chunk, which keep theirs out). */
    uintptr_t c0 = (uintptr_t)objs[0] & ~(uintptr_t)(sl->chunk_size - 1);
    void **back = calloc(n, sizeof(void *));
    unsigned nback = 0;
    for (unsigned i = 1; i < n; i++)
        if (((uintptr_t)objs[i] & ~(uintptr_t)(sl->chunk_size - 1)) == c0)
            back[nback++] = objs[i];
    ck_assert_uint_gt(nback, n / 2);
    mp_slab_free(p, back, nback);
    ck_assert_uint_eq(sl->unmaps, 0);
    size_t released = mp_slab_release_pages(p, true);
    ck_assert_uint_gt(released, 0);
    ck_assert_uint_gt(sl->pages_released, 0);
    ck_assert_uint_lt(mp_slab_resident(p), before);
    /* The kept object is intact. */
    for (unsigned k = 0; k < 200; k++)
        ck_assert_uint_eq(((unsigned char *)objs[0])[k], 2);
    /* Every object given back comes back from the same chunk, marked
     * free and writable, without a new map. */
    uint64_t maps = sl->maps;
    ck_assert_uint_eq(mp_slab_alloc(p, back, nback), nback);
    ck_assert_uint_eq(sl->maps, maps);
    qsort(back, nback, sizeof(void *), cmp_ptr);
    for (unsigned i = 0; i < nback; i++) {
        if (i)
            ck_assert_ptr_ne(back[i], back[i - 1]);
        ck_assert_uint_eq((uintptr_t)back[i] & ~(uintptr_t)(sl->chunk_size - 1), c0);
        ck_assert_uint_eq(*mp_hdr(back[i]), p->hdr_alloc ^ MP_HDR_FLIP);
        memset(back[i], 3, 200);
    }
    free(back);
    free(objs);
    free_pool(p);
}
END_TEST

/* The release works in units of any multiple of the system's page: the
 * page sizes of arm64 (16 KiB, 64 KiB) and ppc64el (64 KiB) run here as
 * units on this machine's pages.  A unit that holds part of an object in
 * use is never given back (its bytes would read zero), every other free
 * one is, and every object given back is carved again, once. */
static void release_with_unit(size_t unit)
{
    struct magpool *p = new_pool(200);
    struct mp_slab *sl = &p->slab;
    if (unit % page_size() || unit > sl->chunk_size / 4) {
        free_pool(p);
        return;
    }
    sl->page = unit;
    unsigned n = sl->nobj;
    void **objs = calloc(n, sizeof(void *));
    ck_assert_uint_eq(mp_slab_alloc(p, objs, n), n);
    uintptr_t mask = ~(uintptr_t)(sl->chunk_size - 1);
    uintptr_t c0 = (uintptr_t)objs[0] & mask;
    /* Keep objects 0, 700, 1400, ... of the first chunk (some units hold
     * one, many hold none); give back the others of that chunk. */
    void **kept = calloc(n, sizeof(void *)), **back = calloc(n, sizeof(void *));
    unsigned nkept = 0, nback = 0;
    for (unsigned i = 0; i < n; i++) {
        if (((uintptr_t)objs[i] & mask) != c0)
            continue;
        memset(objs[i], (int)(i % 251) + 1, 200);
        if (i % 700 == 0)
            kept[nkept++] = objs[i];
        else
            back[nback++] = objs[i];
    }
    mp_slab_free(p, back, nback);
    uint64_t released_before = sl->pages_released;
    size_t given = mp_slab_release_pages(p, true);
    ck_assert_msg(given > 0, "unit %zu: nothing given back", unit);
    ck_assert_uint_gt(sl->pages_released, released_before);
    /* The kept objects still hold their bytes: no unit with one was
     * dropped. */
    for (unsigned j = 0; j < nkept; j++) {
        unsigned i = (unsigned)(j * 700);
        for (unsigned k = 0; k < 200; k++)
            ck_assert_msg(((unsigned char *)kept[j])[k] == (i % 251) + 1,
                          "unit %zu: object %u in use lost byte %u", unit, i, k);
        ck_assert_uint_eq(*mp_hdr(kept[j]), p->hdr_alloc ^ MP_HDR_FLIP);
    }
    /* Everything given back is carved again from the same chunk, each
     * object once, none over a kept one. */
    uint64_t maps = sl->maps;
    ck_assert_uint_eq(mp_slab_alloc(p, back, nback), nback);
    ck_assert_uint_eq(sl->maps, maps);
    for (unsigned i = 0; i < nkept; i++)
        back[nback + i] = kept[i];
    qsort(back, nback + nkept, sizeof(void *), cmp_ptr);
    for (unsigned i = 0; i < nback + nkept; i++) {
        ck_assert_uint_eq((uintptr_t)back[i] & mask, c0);
        if (i)
            ck_assert_msg((char *)back[i] - (char *)back[i - 1] >=
                              (long)sl->stride,
                          "unit %zu: %p and %p overlap", unit, back[i - 1],
                          back[i]);
    }
    free(kept);
    free(back);
    free(objs);
    free_pool(p);
}

START_TEST(pages_of_16_and_64_KiB_go_back_only_where_no_object_is_in_use)
{
    release_with_unit(page_size());
    release_with_unit(16384);
    release_with_unit(65536);
}
END_TEST

/* Take objects from the slab, one at a time, until one comes from a
 * given-back run carved again; then put them all back.  Returns how many
 * were taken. */
static unsigned draw_until_recarve(struct magpool *p, void **buf, unsigned cap)
{
    struct mp_slab *sl = &p->slab;
    uint64_t recarves = sl->recarves;
    unsigned got = 0;
    while (sl->recarves == recarves) {
        ck_assert_uint_lt(got, cap);
        ck_assert_uint_eq(mp_slab_alloc(p, buf + got, 1), 1);
        got++;
    }
    mp_slab_free(p, buf, got);
    return got;
}

/* A pool that carved given-back pages again since the sweeper's last pass
 * (its refills fault them in) keeps its free pages: it gives them back at
 * the first pass after one without such a carve, after MP_REL_DEFER
 * passes in a row with them, or at once on a trim.  Refills served
 * without faulting in a given-back page (fresh space) do not delay the
 * release. */
START_TEST(a_pool_that_carves_given_back_pages_again_keeps_its_free_pages_until_it_stops)
{
    struct magpool *p = new_pool(200);
    struct mp_slab *sl = &p->slab;
    unsigned n = sl->nobj;
    void **objs = calloc(n, sizeof(void *));
    ck_assert_uint_eq(mp_slab_alloc(p, objs, n), n);
    uintptr_t mask = ~(uintptr_t)(sl->chunk_size - 1);
    uintptr_t c0 = (uintptr_t)objs[0] & mask;
    /* Every 300th object of the first chunk stays in use: the free pages
     * between them make more runs than MP_REL_DEFER + 3 draws need. */
    void **back = calloc(n, sizeof(void *)), **pins = calloc(n, sizeof(void *));
    unsigned nback = 0, npins = 0;
    for (unsigned i = 0; i < n; i++) {
        if (((uintptr_t)objs[i] & mask) != c0)
            continue;
        memset(objs[i], 4, 200);
        if (i % 300 == 0)
            pins[npins++] = objs[i];
        else
            back[nback++] = objs[i];
    }
    ck_assert_uint_ge(npins, MP_REL_DEFER + 4);
    mp_slab_free(p, back, nback);

    /* The refills so far carved fresh space: the first pass gives back. */
    uint64_t resident = mp_slab_resident(p);
    ck_assert_uint_gt(sl->refills, 0);
    ck_assert_uint_gt(mp_slab_release_pages(p, false), 0);
    ck_assert_uint_lt(mp_slab_resident(p), resident);
    ck_assert_uint_eq(sl->recarves, 0);

    /* A run carved again before every pass: MP_REL_DEFER passes keep the
     * pages, the next gives them back anyway. */
    uint64_t released = sl->pages_released;
    for (unsigned pass = 0; pass < MP_REL_DEFER; pass++) {
        draw_until_recarve(p, back, nback);
        resident = mp_slab_resident(p);
        ck_assert_msg(mp_slab_release_pages(p, false) == 0,
                      "pass %u of a refaulting pool gave pages back", pass);
        ck_assert_uint_eq(mp_slab_resident(p), resident);
    }
    ck_assert_uint_eq(sl->pages_released, released);
    draw_until_recarve(p, back, nback);
    resident = mp_slab_resident(p);
    ck_assert_uint_gt(mp_slab_release_pages(p, false), 0);
    ck_assert_uint_lt(mp_slab_resident(p), resident);

    /* One pass with a carve keeps them; the next, with none, gives. */
    draw_until_recarve(p, back, nback);
    resident = mp_slab_resident(p);
    ck_assert_uint_eq(mp_slab_release_pages(p, false), 0);
    ck_assert_uint_gt(mp_slab_release_pages(p, false), 0);
    ck_assert_uint_lt(mp_slab_resident(p), resident);

    /* A trim does not wait. */
    draw_until_recarve(p, back, nback);
    resident = mp_slab_resident(p);
    ck_assert_uint_gt(mp_slab_release_pages(p, true), 0);
    ck_assert_uint_lt(mp_slab_resident(p), resident);
    /* The objects in use kept their bytes through all of it. */
    for (unsigned j = 0; j < npins; j++)
        for (unsigned k = 0; k < 200; k++)
            ck_assert_uint_eq(((unsigned char *)pins[j])[k], 4);
    free(pins);
    free(back);
    free(objs);
    free_pool(p);
}
END_TEST

START_TEST(destroy_unmaps_every_chunk_with_objects_still_out)
{
    struct magpool *p = new_pool(512);
    struct mp_slab *sl = &p->slab;
    unsigned n = 2 * sl->nobj + 3;
    void **objs = calloc(n, sizeof(void *));
    unsigned got = 0;
    while (got < n)
        got += mp_slab_alloc(p, objs + got, n - got);
    for (unsigned i = 0; i < n; i++)
        memset(objs[i], 4, 512);
    /* An object past its chunk's first page (which keeps os.c's record
     * of a retired chunk). */
    void *probe = NULL;
    for (unsigned i = 0; i < n && !probe; i++)
        if (((uintptr_t)objs[i] & (sl->chunk_size - 1)) > 2 * page_size())
            probe = objs[i];
    ck_assert_ptr_nonnull(probe);
    mp_slab_destroy(p);
    ck_assert_uint_eq(sl->unmaps, sl->maps);
    ck_assert_uint_eq(sl->out, 0);
    /* Its memory went back to the kernel: not resident (os.c keeps the
     * chunk mapped for reuse), or unmapped. */
    unsigned char vec = 1;
    void *page = (void *)((uintptr_t)probe & ~(page_size() - 1));
    int rc = mincore(page, page_size(), &vec);
    ck_assert_msg((rc == 0 && !(vec & 1)) || (rc == -1 && errno == ENOMEM),
                  "page of %p still resident after destroy", probe);
    free(objs);
    free(p);
}
END_TEST

/* The first object of each of `n` pools of obj_size bytes made in turn:
 * the pools' first header offsets in a chunk into firsts, their objects
 * per chunk into nobjs. */
static void pools_in_turn(size_t obj_size, unsigned n, size_t *firsts,
                          unsigned *nobjs)
{
    for (unsigned i = 0; i < n; i++) {
        struct magpool *p = new_pool(obj_size);
        void *o;
        ck_assert_uint_eq(mp_slab_alloc(p, &o, 1), 1);
        ck_assert_uint_eq((uintptr_t)o & (p->slab.chunk_size - 1),
                          p->slab.first + MP_HDR_SIZE);
        firsts[i] = p->slab.first;
        nobjs[i] = p->slab.nobj;
        mp_slab_free(p, &o, 1);
        free_pool(p);
    }
}

START_TEST(pools_made_in_turn_start_their_objects_a_cache_line_apart)
{
    /* 512-byte objects take 528 bytes: what the last one leaves at a 1
     * MiB chunk's end (296 bytes after a 192-byte chunk header) gives the
     * colours, a cache line apart, and no object is lost to them. */
    size_t f[8];
    unsigned nobj[8];
    pools_in_turn(512, 8, f, nobj);
    size_t lo = f[0];
    for (int i = 1; i < 8; i++)
        lo = f[i] < lo ? f[i] : lo;
    unsigned most = (unsigned)(((1u << 20) - lo) / 528);
    unsigned k = (unsigned)(((1u << 20) - lo - most * 528) / 64 + 1);
    printf("512-byte objects: %u colours, %u objects a chunk\n", k, most);
    ck_assert_uint_ge(k, 2);
    ck_assert_uint_lt(k, 8);
    unsigned seen = 0;
    for (unsigned i = 0; i < k; i++) {
        ck_assert_uint_eq((f[i] - lo) % 64, 0);
        ck_assert_uint_lt(f[i] - lo, k * 64);
        ck_assert_msg(!(seen & (1u << ((f[i] - lo) / 64))),
                      "two of %u pools in turn have colour %zu", k, f[i] - lo);
        seen |= 1u << ((f[i] - lo) / 64);
        ck_assert_uint_eq(nobj[i], most);
    }
    ck_assert_uint_eq(f[k], f[0]); /* then the colours come round again */

    /* 64-byte objects take 80 bytes and leave less than a line: 2
     * colours, the second one object fewer per chunk. */
    pools_in_turn(64, 3, f, nobj);
    ck_assert_uint_eq(f[0] > f[1] ? f[0] - f[1] : f[1] - f[0], 64);
    ck_assert_uint_eq(f[2], f[0]);
    lo = f[0] < f[1] ? f[0] : f[1];
    most = (unsigned)(((1u << 20) - lo) / 80);
    ck_assert_uint_eq(nobj[0] + nobj[1], 2 * most - 1);
}
END_TEST

START_TEST(a_colour_past_the_header_page_still_lets_the_next_page_go_back)
{
    /* 4040-byte objects (4048 with the header) leave about 4 KiB at a 1
     * MiB chunk's end: the last colours put the first object past the
     * chunk header's page.  The page it starts in holds nothing else
     * than free objects' headers and bodies: it goes back like any. */
    size_t page = page_size();
    struct magpool *p = NULL;
    for (int i = 0; i < 64 && !p; i++) {
        p = new_pool(4040);
        if (p->slab.first <= page) {
            free_pool(p);
            p = NULL;
        }
    }
    ck_assert_msg(p, "no colour of 4040-byte objects starts past a page");
    struct mp_slab *sl = &p->slab;
    unsigned n = sl->nobj;
    void **objs = carve_filled(p, 4040, 2);
    uintptr_t c0 = (uintptr_t)objs[0] & ~(uintptr_t)(sl->chunk_size - 1);
    ck_assert_uint_eq((uintptr_t)objs[0] - c0, sl->first + MP_HDR_SIZE);
    /* Keep the last object of the chunk, give back all the others. */
    void **back = calloc(n, sizeof(void *));
    unsigned nback = 0;
    void *last = NULL;
    for (unsigned i = 0; i < n; i++)
        if (((uintptr_t)objs[i] & ~(uintptr_t)(sl->chunk_size - 1)) == c0 &&
            (!last || objs[i] > last))
            last = objs[i];
    for (unsigned i = 0; i < n; i++)
        if (objs[i] != last)
            back[nback++] = objs[i];
    mp_slab_free(p, back, nback); /* a chunk the page-head slots spilled
                                     into goes back whole */
    ck_assert_uint_gt(mp_slab_release_pages(p, true), 0);
    unsigned char v[2];
    ck_assert_int_eq(mincore((void *)c0, 2 * page, v), 0);
    ck_assert_msg(v[0] & 1, "the chunk header's page went back");
    ck_assert_msg(!(v[1] & 1), "the page after the chunk header's "
                  "(first object at offset %zu) stayed resident", sl->first);
    for (unsigned k = 0; k < 4040; k++)
        ck_assert_uint_eq(((unsigned char *)last)[k], 2);
    mp_slab_free(p, &last, 1);
    free(back);
    free(objs);
    free_pool(p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("slab");
    TCase *tc = tcase_create("alone");
    tcase_add_test(tc, carved_objects_are_aligned_distinct_never_page_aligned_and_marked_free);
    tcase_add_test(tc, a_chunk_whose_objects_all_come_back_is_unmapped);
    tcase_add_test(tc, free_pages_of_a_live_chunk_go_back_and_are_carved_again);
    tcase_add_test(tc, pages_of_16_and_64_KiB_go_back_only_where_no_object_is_in_use);
    tcase_add_test(tc, a_pool_that_carves_given_back_pages_again_keeps_its_free_pages_until_it_stops);
    tcase_add_test(tc, destroy_unmaps_every_chunk_with_objects_still_out);
    tcase_add_test(tc, pools_made_in_turn_start_their_objects_a_cache_line_apart);
    tcase_add_test(tc, a_colour_past_the_header_page_still_lets_the_next_page_go_back);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(suite()); }
