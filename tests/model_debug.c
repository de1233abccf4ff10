/*
 * model_debug.c - in --debug mode (MAGPOOL_DEBUG=1 for the whole run),
 * a forked child gets an object, puts it, writes 8 bytes into it, gets
 * and puts one more and destroys its pool: magpool must report the use
 * after put on stderr ("magpool[PID]: DEBUG: use after put ... pool
 * \"NAME\"") by the time the pool is destroyed or the child exits (or
 * abort, with MAGPOOL_DEBUG=abort).  The child reports through a pipe.
 * Not under the sanitizers (ASan itself owns use-after-put there;
 * ThreadSanitizer has no fork).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "model.h"

void op_debug_write_after_put(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return;
#endif
    promise = "MAGPOOL_DEBUG reports a write into an object after its put, "
              "at the latest when its pool is destroyed or the process exits";
    static const size_t sizes[] = { 8, 24, 64, 100, 512, 2000 };
    size_t size = sizes[below(6)];
    size_t at = below((unsigned)(size - 7)); /* 8 bytes inside the object */
    bool destroy = below(2);
    int fds[2];
    if (pipe(fds))
        fail("pipe: %s", strerror(errno));
    pid_t pid = model_fork(); /* the child exits through exit() */
    if (pid < 0)
        fail("fork: %s", strerror(errno));
    if (pid == 0) {
        signal(SIGABRT, SIG_DFL);
        alarm((unsigned)wd_seconds);
        close(fds[0]);
        dup2(fds[1], STDERR_FILENO);
        struct magpool *p = magpool_create("model-debug", size, NULL);
        char *o = p ? magpool_get(p) : NULL;
        if (!o)
            _exit(3);
        magpool_put(o);
        memset(o + at, 0xa5, 8);
        void *o2 = magpool_get(p);
        if (!o2)
            _exit(3);
        magpool_put(o2);
        if (destroy)
            magpool_destroy(p);
        exit(0);
    }
    close(fds[1]);
    char buf[8192];
    size_t len = 0;
    ssize_t n;
    while ((n = read(fds[0], buf + len, sizeof(buf) - 1 - len)) > 0)
        len += (size_t)n;
    buf[len] = 0;
    close(fds[0]);
    int status;
    if (waitpid(pid, &status, 0) != pid)
        fail("waitpid: %s", strerror(errno));
    bool aborted = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
        fail("child: magpool_create or get failed");
    bool reported = strstr(buf, "DEBUG: use after put") &&
                    strstr(buf, "pool \"model-debug\"");
    if (!reported && !aborted)
        fail("8 bytes written at offset %zu of a %zu-byte object after its "
             "put, the pool then %s: no report (child status %#x, stderr: "
             "\"%.200s\")", at, size, destroy ? "destroyed" : "left to exit",
             status, buf);
}
