/*
 * test_gluster_versions.c - the GlusterFS front decides from the GlusterFS
 * it is loaded into, not from the headers it was built with: it serves a
 * release whose glusterfs_ctx_t layout it knows (pools linked into
 * ctx->mempool_list at that release's offsets), and leaves any other
 * release, or a build without the pool, to GlusterFS's own functions,
 * with one message.
 *
 * The program is linked with the shim only; each test (its own process,
 * Check's fork mode) loads one form of tests/fake_libglusterfs.c as
 * libglusterfs.so.0 with RTLD_GLOBAL, as the dynamic linker would have
 * loaded the real one after the preloaded shim, or with RTLD_LOCAL, as
 * a program that dlopens a library using GlusterFS does (Python's ctypes
 * with gfapi); or as a library of another name, which is not GlusterFS
 * and keeps its functions.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "testutil.h"

/* The front's functions, as GlusterFS's callers see them (pointers to
 * its structs are opaque here). */
void *mem_pool_new_fn(void *ctx, unsigned long sizeof_type,
                      unsigned long count, char *name);
void *mem_get_malloc(void *pool);
void *mem_get_calloc(void *pool);
void mem_put_pool(void *obj);
void mem_pool_destroy(void *pool);
void mem_pools_init(void);
void mem_pools_fini(void);
void gf_proc_dump_mempool_info(void *ctx);
void gf_proc_dump_mempool_info_to_dict(void *ctx, void *dict);

enum { F_NEW, F_GET, F_GET0, F_PUT, F_DESTROY, F_INIT, F_FINI, F_DUMP,
       F_DUMP_DICT };
static unsigned long *calls; /* the fake's counters */

static int cap_fd = -1;

static void load_fake_as(const char *form, const char *file, int scope)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s/%s", FAKEGF_DIR, form, file);
    void *h = dlopen(path, RTLD_NOW | scope);
    ck_assert_msg(h, "dlopen %s: %s", path, dlerror());
    calls = dlsym(h, "fake_calls");
    ck_assert_ptr_nonnull(calls);
    cap_fd = capture_stderr_fd(); /* for the front's message */
}

static void load_fake(const char *form)
{
    load_fake_as(form, "libglusterfs.so.0", RTLD_GLOBAL);
}

static const char *captured(void) { return captured_from(cap_fd); }

/* Every call of the pool API made by a GlusterFS caller; in a forwarding
 * front each must reach the fake. */
static void use_every_function(void)
{
    mem_pools_init();
    void *pool = mem_pool_new_fn(NULL, 100, 64, "fake_t");
    ck_assert_ptr_nonnull(pool);
    void *a = mem_get_malloc(pool);
    void *b = mem_get_calloc(pool);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(((unsigned char *)b)[i], 0);
    memset(a, 0x5a, 100);
    mem_put_pool(a);
    mem_put_pool(b);
    gf_proc_dump_mempool_info(NULL);
    gf_proc_dump_mempool_info_to_dict(NULL, NULL);
    mem_pool_destroy(pool);
    mem_pools_fini();
}

/* Every call of use_every_function() reached the fake. */
static void assert_all_forwarded(void)
{
    ck_assert_uint_eq(calls[F_INIT], 1);
    ck_assert_uint_eq(calls[F_NEW], 1);
    ck_assert_uint_eq(calls[F_GET], 1);
    ck_assert_uint_eq(calls[F_GET0], 1);
    ck_assert_uint_eq(calls[F_PUT], 2);
    ck_assert_uint_eq(calls[F_DUMP], 1);
    ck_assert_uint_eq(calls[F_DUMP_DICT], 1);
    ck_assert_uint_eq(calls[F_DESTROY], 1);
    ck_assert_uint_eq(calls[F_FINI], 1);
}

START_TEST(an_unknown_release_is_left_to_glusterfss_own_pool_with_one_message)
{
    load_fake("v12");
    use_every_function();
    assert_all_forwarded();
    /* Threads other than the first are forwarded too. */
    const char *e = captured();
    ck_assert_msg(strstr(e, "GlusterFS 12.0") &&
                      strstr(e, "layout is not known") &&
                      strstr(e, "GlusterFS's own memory pools serve"),
                  "message: %s", e);
    const char *second = strstr(e, "GlusterFS 12.0");
    ck_assert_ptr_null(strstr(second + 1, "GlusterFS 12.0")); /* once */
    ck_assert_int_eq(threads_named("magpool-sweep", NULL), 0);
}
END_TEST

static void *put_elsewhere(void *obj)
{
    mem_put_pool(obj);
    return NULL;
}

START_TEST(a_development_build_is_left_to_glusterfss_own_pool)
{
    load_fake("v11dev"); /* "11dev": not 11.x's layout for sure */
    use_every_function();
    ck_assert_uint_eq(calls[F_NEW], 1);
    ck_assert_uint_eq(calls[F_PUT], 2);
    ck_assert_msg(strstr(captured(), "GlusterFS 11dev: its glusterfs_ctx_t "
                                     "layout is not known"),
                  "message: %s", captured());
}
END_TEST

START_TEST(puts_from_any_thread_reach_glusterfss_own_pool_when_it_serves)
{
    load_fake("v12");
    void *pool = mem_pool_new_fn(NULL, 64, 64, "fake_t");
    for (int i = 0; i < 100; i++) {
        void *o = mem_get_malloc(pool);
        pthread_t t;
        ck_assert_int_eq(pthread_create(&t, NULL, put_elsewhere, o), 0);
        pthread_join(t, NULL);
    }
    ck_assert_uint_eq(calls[F_PUT], 100);
    mem_pool_destroy(pool);
}
END_TEST

START_TEST(a_build_without_the_pool_is_left_alone_with_one_message)
{
    load_fake("nopool");
    mem_pools_init();
    /* GF_DISABLE_MEMPOOL: callers pass this "pool" to GF_MALLOC as a
     * size; it must be GlusterFS's own answer. */
    void *pool = mem_pool_new_fn(NULL, 176, 64, "call_frame_t");
    ck_assert_ptr_eq(pool, (void *)176);
    /* Its callers never call these; a caller that did gets no crash. */
    errno = 0;
    ck_assert_ptr_null(mem_get_malloc(pool));
    ck_assert_int_eq(errno, ENOSYS);
    ck_assert_ptr_null(mem_get_calloc(pool));
    static char junk[64];
    mem_put_pool(junk + 16);
    gf_proc_dump_mempool_info(NULL);
    mem_pool_destroy(pool);
    mem_pools_fini();
    ck_assert_uint_eq(calls[F_NEW], 1);
    ck_assert_uint_eq(calls[F_INIT], 1);
    ck_assert_uint_eq(calls[F_DUMP], 1);
    ck_assert_uint_eq(calls[F_DESTROY], 1);
    ck_assert_uint_eq(calls[F_FINI], 1);
    const char *e = captured();
    ck_assert_msg(strstr(e, "GlusterFS 10.3") &&
                      strstr(e, "built without its memory pool"),
                  "message: %s", e);
    ck_assert_int_eq(threads_named("magpool-sweep", NULL), 0);
}
END_TEST

START_TEST(a_release_loaded_with_RTLD_LOCAL_is_decided_as_if_it_were_global)
{
    /* RTLD_NEXT does not see it; its functions are found in it. */
    load_fake_as("v12", "libglusterfs.so.0", RTLD_LOCAL);
    use_every_function();
    assert_all_forwarded();
    ck_assert_msg(strstr(captured(), "GlusterFS 12.0") &&
                      strstr(captured(), "layout is not known"),
                  "message: %s", captured());
}
END_TEST

START_TEST(a_build_without_the_pool_loaded_with_RTLD_LOCAL_is_left_alone)
{
    load_fake_as("nopool", "libglusterfs.so.0", RTLD_LOCAL);
    void *pool = mem_pool_new_fn(NULL, 176, 64, "call_frame_t");
    ck_assert_ptr_eq(pool, (void *)176); /* GF_MALLOC's size, not a pool */
    ck_assert_uint_eq(calls[F_NEW], 1);
    ck_assert_msg(strstr(captured(), "built without its memory pool"),
                  "message: %s", captured());
}
END_TEST

START_TEST(another_library_defining_the_pool_functions_keeps_them_with_one_message)
{
    /* Not libglusterfs: its own pools, whatever their layout. */
    load_fake_as("foreign", "libpoolish.so.0", RTLD_GLOBAL);
    use_every_function();
    assert_all_forwarded();
    const char *e = captured();
    ck_assert_msg(strstr(e, "libpoolish.so.0's, not GlusterFS's"),
                  "message: %s", e);
    ck_assert_ptr_null(strstr(strstr(e, "not GlusterFS's") + 1,
                              "not GlusterFS's")); /* once */
    ck_assert_int_eq(threads_named("magpool-sweep", NULL), 0);
}
END_TEST

/* A pool made for ctx serves a get and a put, statedump and destroy
 * return. */
static void pool_on_ctx_works(char *ctx)
{
    void *pool = mem_pool_new_fn(ctx, 100, 64, "fake_t");
    ck_assert_ptr_nonnull(pool);
    void *o = mem_get_calloc(pool);
    ck_assert_ptr_nonnull(o);
    mem_put_pool(o);
    gf_proc_dump_mempool_info(ctx);
    gf_proc_dump_mempool_info_to_dict(ctx, NULL);
    mem_pool_destroy(pool);
}

START_TEST(a_ctx_whose_pool_list_is_not_where_the_table_says_has_its_lock_left_alone)
{
    /* A known release whose glusterfs_ctx_t is laid out otherwise (a
     * patched build): at 11.x's lock offset lies a mutex this thread
     * holds, which a lock taken there would wait on forever; at its list
     * offset, no list. */
    load_fake("v11");
    static char ctx[1024] __attribute__((aligned(64)));
    memset(ctx, 0xee, sizeof(ctx));
    pthread_mutex_t *held = (pthread_mutex_t *)(ctx + 544);
    pthread_mutex_init(held, NULL);
    pthread_mutex_lock(held);
    char before[sizeof(ctx)];
    memcpy(before, ctx, sizeof(ctx));
    mem_pools_init();
    pool_on_ctx_works(ctx);
    pool_on_ctx_works(ctx);
    mem_pools_fini();
    ck_assert_msg(!memcmp(before, ctx, sizeof(ctx)), "ctx was written");
    const char *e = captured();
    ck_assert_msg(strstr(e, "ctx->mempool_list is not where"), "message: %s",
                  e);
    ck_assert_ptr_null(strstr(strstr(e, "is not where") + 1, "is not where"));
    pthread_mutex_unlock(held);
}
END_TEST

/* This process from now on dies by SIGSYS at a call of
 * process_vm_readv, a debugging-class system call that sandboxes refuse
 * (systemd's SystemCallFilter=@system-service leaves it out).  Not
 * ptrace too: LeakSanitizer uses it at exit in the ASan build. */
static void sandbox_without_debugging_calls(void)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_process_vm_readv, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    };
    struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };
    ck_assert_int_eq(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
    ck_assert_int_eq(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog),
                     0);
}

START_TEST(a_ctx_whose_list_offset_lies_in_an_unreadable_page_is_looked_at_without_faulting_in_a_sandbox)
{
    /* A served release, a ctx whose 11.x list offset (680) lies in a
     * PROT_NONE page and whose lock offset (544) in a readable one, in a
     * process that may not make debugging calls. */
    MP_SKIP_IF_EMULATED("a seccomp filter would filter the emulator's own "
                        "system calls");
    load_fake("v11");
    long page = sysconf(_SC_PAGESIZE);
    char *map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(map, MAP_FAILED);
    ck_assert_int_eq(mprotect(map + page, page, PROT_NONE), 0);
    char *ctx = map + page - 600; /* 544 readable, 680 not */
    pthread_mutex_init((pthread_mutex_t *)(ctx + 544), NULL);
    sandbox_without_debugging_calls();
    pool_on_ctx_works(ctx);
    ck_assert_msg(strstr(captured(), "ctx->mempool_list is not where"),
                  "message: %s", captured());
}
END_TEST

static void *first_call_elsewhere(void *arg)
{
    (void)arg;
    usleep(100000); /* inside dlopen's constructor by now */
    mem_pools_init();
    mem_pools_fini();
    return NULL;
}

START_TEST(a_first_call_from_a_library_constructor_meets_another_threads_first_call)
{
    /* The other thread's first call asks the loader, whose lock the
     * dlopen below holds around the library's constructor, which makes
     * its own first call: neither may wait for the other. */
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, first_call_elsewhere, NULL), 0);
    char path[512];
    snprintf(path, sizeof(path), "%s/ctor/libctorpool.so.0", FAKEGF_DIR);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    ck_assert_msg(h, "dlopen %s: %s", path, dlerror());
    int *done = dlsym(h, "ctor_pool_done");
    ck_assert_ptr_nonnull(done);
    ck_assert_int_eq(*done, 1);
    pthread_join(t, NULL);
}
END_TEST

START_TEST(MAGPOOL_GLUSTERFS_off_leaves_a_known_release_to_its_own_pool)
{
    setenv("MAGPOOL_GLUSTERFS", "off", 1);
    load_fake("v11");
    use_every_function();
    ck_assert_uint_eq(calls[F_NEW], 1);
    ck_assert_uint_eq(calls[F_GET] + calls[F_GET0], 2);
    ck_assert_uint_eq(calls[F_PUT], 2);
    ck_assert_uint_eq(calls[F_INIT] + calls[F_FINI], 2);
    const char *e = captured();
    ck_assert_msg(strstr(e, "GlusterFS 11.1: MAGPOOL_GLUSTERFS=off"),
                  "message: %s", e);
}
END_TEST

START_TEST(a_bad_MAGPOOL_GLUSTERFS_is_reported_and_taken_as_auto)
{
    setenv("MAGPOOL_GLUSTERFS", "of", 1);
    load_fake("v11");
    void *pool = mem_pool_new_fn(NULL, 64, 64, "fake_t");
    ck_assert_uint_eq(calls[F_NEW], 0); /* served by magpool */
    mem_pool_destroy(pool);
    ck_assert_msg(strstr(captured(), "MAGPOOL_GLUSTERFS=\"of\" is not auto or off"),
                  "message: %s", captured());
}
END_TEST

/* glusterfs_ctx_t as far as the front touches it, at 11.x's offsets. */
struct list_node {
    struct list_node *next, *prev;
};

START_TEST(a_known_release_is_served_with_its_own_ctx_layout)
{
    load_fake("v11");
    static char ctx[1024] __attribute__((aligned(64)));
    memset(ctx, 0xee, sizeof(ctx));
    pthread_mutex_t *lock = (pthread_mutex_t *)(ctx + 544);
    struct list_node *list = (struct list_node *)(ctx + 680);
    pthread_mutex_init(lock, NULL);
    list->next = list->prev = list;
    mem_pools_init();
    void *pool = mem_pool_new_fn(ctx, 100, 64, "fake_t");
    ck_assert_ptr_nonnull(pool);
    /* magpool's pool, linked into the list at 11.x's offset (owner is at
     * offset 40 of struct mem_pool). */
    struct list_node *owner = (struct list_node *)((char *)pool + 40);
    ck_assert_ptr_eq(list->next, owner);
    ck_assert_ptr_eq(owner->next, list);
    ck_assert_uint_eq(((unsigned char *)ctx)[728], 0xee); /* 10.x's: untouched */
    void *o = mem_get_calloc(pool);
    ck_assert_ptr_nonnull(o);
    struct magpool_stats st;
    ck_assert_int_eq(magpool_stats(pool, &st), 0);
    ck_assert_uint_eq(st.active, 1);
    mem_put_pool(o);
    mem_pool_destroy(pool);
    ck_assert_ptr_eq(list->next, list);
    mem_pools_fini();
    /* magpool served: GlusterFS's functions were not called. */
    ck_assert_uint_eq(calls[F_NEW] + calls[F_GET] + calls[F_GET0] + calls[F_PUT], 0);
    ck_assert_ptr_null(strstr(captured(), "own memory pools serve"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gluster-versions");
    TCase *tc = tcase_create("versions");
    tcase_add_test(tc, an_unknown_release_is_left_to_glusterfss_own_pool_with_one_message);
    tcase_add_test(tc, puts_from_any_thread_reach_glusterfss_own_pool_when_it_serves);
    tcase_add_test(tc, a_development_build_is_left_to_glusterfss_own_pool);
    tcase_add_test(tc, a_build_without_the_pool_is_left_alone_with_one_message);
    tcase_add_test(tc, a_known_release_is_served_with_its_own_ctx_layout);
    tcase_add_test(tc, MAGPOOL_GLUSTERFS_off_leaves_a_known_release_to_its_own_pool);
    tcase_add_test(tc, a_bad_MAGPOOL_GLUSTERFS_is_reported_and_taken_as_auto);
    tcase_add_test(tc, a_ctx_whose_pool_list_is_not_where_the_table_says_has_its_lock_left_alone);
    tcase_add_test(tc, a_first_call_from_a_library_constructor_meets_another_threads_first_call);
    tcase_add_test(tc, a_ctx_whose_list_offset_lies_in_an_unreadable_page_is_looked_at_without_faulting_in_a_sandbox);
    tcase_add_test(tc, a_release_loaded_with_RTLD_LOCAL_is_decided_as_if_it_were_global);
    tcase_add_test(tc, a_build_without_the_pool_loaded_with_RTLD_LOCAL_is_left_alone);
    tcase_add_test(tc, another_library_defining_the_pool_functions_keeps_them_with_one_message);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
