// LD_PRELOAD shim that makes stock squashmerge's thread race deterministic
// (README: "Stock squashmerge's race"). Test tooling only.
//   FAKE_NCPU=N   sysconf(_SC_NPROCESSORS_ONLN) returns N: squashmerge runs N threads.
//   DELAY_US=U    sleep U microseconds right after one pthread_create returns,
//   DELAY_CALL=C  the C-th of the process (0-based, default 0). With N threads
//                 squashmerge creates N-1 per phase: C=0 delays the source
//                 expansion, C=N-1 the target recompression.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

long sysconf(int name) {
    static long (*real)(int);
    if (!real)
        real = (long (*)(int))dlsym(RTLD_NEXT, "sysconf");
    const char* n = getenv("FAKE_NCPU");
    if (n && name == _SC_NPROCESSORS_ONLN)
        return atol(n);
    return real(name);
}

int pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*),
                   void* arg) {
    static int (*real)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
    static int calls;
    if (!real)
        real = (int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*))dlsym(
            RTLD_NEXT, "pthread_create");
    const int result = real(thread, attr, start, arg);
    const char* delay = getenv("DELAY_US");
    const char* call = getenv("DELAY_CALL");
    const int when = call ? atoi(call) : 0;
    if (delay && __atomic_fetch_add(&calls, 1, __ATOMIC_SEQ_CST) == when)
        usleep((useconds_t)atoi(delay));
    return result;
}
