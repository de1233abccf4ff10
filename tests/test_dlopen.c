/*
 * test_dlopen.c - libmagpool.so loaded with dlopen() by a program that
 * was not linked with it, with no GLIBC_TUNABLES: it loads (its
 * initial-exec TLS fits glibc's reserve for late-loaded libraries), and
 * get/put work there, from several threads; dlclose() leaves it in
 * place, so a thread that used it can still exit.  Not a Check program:
 * it must not link libmagpool.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct magpool;
static struct magpool *(*create)(const char *, size_t, const void *);
static void *(*get)(struct magpool *);
static void (*put)(void *);
static void (*destroy)(struct magpool *);
static int (*stats)(const struct magpool *, void *);
static struct magpool *pool;
static pthread_barrier_t late_exit;

/* Uses magpool, then waits until after dlclose() to exit, when its
 * thread-exit hooks (pointing into libmagpool) run. */
static void *exits_after_dlclose(void *arg)
{
    (void)arg;
    put(get(pool));
    pthread_barrier_wait(&late_exit);
    pthread_barrier_wait(&late_exit);
    return NULL;
}

#define FAIL(...)                                                              \
    do {                                                                       \
        fprintf(stderr, "test_dlopen: " __VA_ARGS__);                          \
        fputc('\n', stderr);                                                   \
        exit(1);                                                               \
    } while (0)

static void *worker(void *arg)
{
    void **held = arg;
    for (int r = 0; r < 200; r++) {
        for (int i = 0; i < 500; i++) {
            if (!(held[i] = get(pool)))
                FAIL("get returned NULL");
            memset(held[i], r & 0xff, 72);
        }
        for (int i = 0; i < 500; i++)
            put(held[i]);
    }
    /* Leave 500 objects for the main thread to put (cross-thread). */
    for (int i = 0; i < 500; i++)
        held[i] = get(pool);
    return NULL;
}

int main(void)
{
    const char *dir = getenv("MP_BUILDDIR");
    char path[4096];
    if (getenv("GLIBC_TUNABLES"))
        FAIL("GLIBC_TUNABLES is set: this test must run without it");
    snprintf(path, sizeof(path), "%s/.libs/libmagpool.so", dir ? dir : ".");
    if (access(path, R_OK)) {
        printf("no %s (a --disable-shared build): skipped\n", path);
        return 77;
    }
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        FAIL("dlopen(%s): %s", path, dlerror());
    *(void **)&create = dlsym(h, "magpool_create");
    *(void **)&get = dlsym(h, "magpool_get");
    *(void **)&put = dlsym(h, "magpool_put");
    *(void **)&destroy = dlsym(h, "magpool_destroy");
    *(void **)&stats = dlsym(h, "magpool_stats");
    if (!create || !get || !put || !destroy || !stats)
        FAIL("dlsym: %s", dlerror());
    pool = create("dlopened", 72, NULL);
    if (!pool)
        FAIL("magpool_create failed");
    pthread_t late;
    pthread_barrier_init(&late_exit, NULL, 2);
    pthread_create(&late, NULL, exits_after_dlclose, NULL);
    pthread_barrier_wait(&late_exit); /* it has used the pool */
    static void *held[4][500];
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, worker, held[i]);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 500; j++)
            put(held[i][j]);
    /* struct magpool_stats: name[64], obj_size, block_size, mag_capacity
     * (padded to 8), then active. */
    uint64_t st[64];
    if (stats(pool, st))
        FAIL("magpool_stats failed");
    uint64_t active = st[64 / 8 + 3];
    if (active != 0)
        FAIL("%llu objects still active", (unsigned long long)active);
    /* The pool is not destroyed: the late thread still caches objects. */
    if (dlclose(h))
        FAIL("dlclose: %s", dlerror());
    pthread_barrier_wait(&late_exit); /* let it exit now */
    pthread_join(late, NULL);
    printf("test_dlopen: %s loaded by dlopen, 4 threads x 100,000 get/put: ok\n",
           path);
    return 0;
}
