/* omp.c — the OpenMP runtime the engine shares with libdnnl, reached
 * without linking it: the thread count, a parallel region over the team
 * (ramp__nn_parallel), and flush-to-zero / denormals-are-zero on every
 * thread of the team around a call into the engine (ramp__ftz_enter/leave).
 * libgomp is loaded with libdnnl; its entry points are looked up with dlsym,
 * so the library needs no -fopenmp. */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <pthread.h>

#include "nn/nnInt.h"

void ramp__nn_set_omp_threads(int n)
{
    /* libgomp is loaded with libdnnl; look it up rather than link it, so the
       library needs no -fopenmp. */
    void (*set)(int);
    *(void **)(&set) = dlsym(RTLD_DEFAULT, "omp_set_num_threads");
    if (set && n > 0) set(n);
}

int ramp__nn_omp_threads(void)
{
    int (*get)(void);
    *(void **)(&get) = dlsym(RTLD_DEFAULT, "omp_get_max_threads");
    return get ? get() : 0;
}

/* libgomp's entry for a parallel region (what the compiler emits for
   "#pragma omp parallel"), looked up like omp_set_num_threads. */
typedef void (*gomp_parallel_fn)(void (*fn)(void *), void *data, unsigned n, unsigned flags);

typedef struct par_job {
    void (*fn)(void *user, int tid, int n);
    void *user;
    int (*tid)(void);
    int (*nth)(void);
} par_job;

static void par_body(void *v)
{
    par_job *j = v;
    j->fn(j->user, j->tid(), j->nth());
}

/* libgomp's entry points, looked up once for the process: pthread_once
   orders the lookup before every use, on whichever thread comes first
   (several nets may train on several threads at once). */
static struct {
    gomp_parallel_fn par;
    int (*tid)(void), (*nth)(void);
} omp;
static pthread_once_t omp_once = PTHREAD_ONCE_INIT;

static void omp_lookup(void)
{
    *(void **)(&omp.par) = dlsym(RTLD_DEFAULT, "GOMP_parallel");
    *(void **)(&omp.tid) = dlsym(RTLD_DEFAULT, "omp_get_thread_num");
    *(void **)(&omp.nth) = dlsym(RTLD_DEFAULT, "omp_get_num_threads");
}

void ramp__nn_parallel(void (*fn)(void *user, int tid, int n), void *user)
{
    pthread_once(&omp_once, omp_lookup);
    if (!omp.par || !omp.tid || !omp.nth) {
        fn(user, 0, 1);
        return;
    }
    par_job j = { fn, user, omp.tid, omp.nth };
    omp.par(par_body, &j, 0, 0);
}

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
static void ftz_set(void *v, int tid, int n)
{
    (void)n;
    ramp__ftz *f = v;
    unsigned csr = _mm_getcsr();
    if (tid < RAMP__FTZ_MAX_THREADS) f->old[tid] = csr;
    _mm_setcsr(csr | 0x8040u); /* FTZ (bit 15) | DAZ (bit 6) */
}

static void ftz_reset(void *v, int tid, int n)
{
    (void)n;
    ramp__ftz *f = v;
    if (tid < RAMP__FTZ_MAX_THREADS) _mm_setcsr(f->old[tid]);
}

void ramp__ftz_enter(ramp__ftz *f)
{
    /* a thread the team gains later gets back the caller's mode */
    unsigned csr = _mm_getcsr();
    for (int i = 0; i < RAMP__FTZ_MAX_THREADS; i++) f->old[i] = csr;
    ramp__nn_parallel(ftz_set, f);
}

void ramp__ftz_leave(ramp__ftz *f)
{
    ramp__nn_parallel(ftz_reset, f);
}
#else
void ramp__ftz_enter(ramp__ftz *f)
{
    (void)f;
}

void ramp__ftz_leave(ramp__ftz *f)
{
    (void)f;
}
#endif
