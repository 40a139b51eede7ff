/* pytransform.c — RAMP's Python transform(x) inside ramp's loader.
 *
 * The loader thread opens and decodes the image in C (no GIL), then x is
 * handed to Python as a fresh numpy uint8 array H×W×C (as skimage.io.imread
 * gives for colour images; gray images are H×W×1, not imread's H×W, so that
 * code indexing x.shape[2] works on every kit). The result is converted with
 * numpy.ascontiguousarray(result, dtype=float32) and copied into the chunk
 * slot; its shape is checked by the loader like a C transform's.
 *
 * Two ways to run it (docs/python.md has the measurements that chose the
 * default):
 * - threads: each loader thread takes the GIL for the Python part. Simple,
 *   but the Python parts of all threads (and the classifier's Python code)
 *   take turns.
 * - workers: N worker processes, forked right after the preprocessor is
 *   imported (before any classifier import, torch included, and before any
 *   loader thread exists). A loader thread borrows an idle worker, copies the
 *   decoded pixels into that worker's shared memory, and waits on a pipe
 *   (no GIL) while the worker runs transform and writes the float32 result
 *   back into the same memory. Python runs truly in parallel; the costs are
 *   two small copies and a pipe round trip per image.
 * A Python exception becomes the sample's error with the exception line;
 * the full traceback goes to the fold's log.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "python/pythonInt.h"
#include "ramp/arena.h"

#define MAX_WORKERS 64
#define REGION_BYTES ((size_t)256 << 20) /* address space per worker, touched as used */

/* ---- the Python part (GIL held) -------------------------------------------------------- */

PyObject *ramp__py_image_array(const uint8_t *px, size_t stride, int w, int h, int c, int bits)
{
    /* gray images are H×W, as skimage.io.imread gives them (rampwf) */
    PyObject *shape = c == 1 ? Py_BuildValue("(ii)", h, w) : Py_BuildValue("(iii)", h, w, c);
    PyObject *arr = shape ? PyObject_CallFunctionObjArgs(ramp__py.np_empty, shape,
                                                         bits == 16 ? ramp__py.np_uint16
                                                                    : ramp__py.np_uint8,
                                                         NULL)
                          : NULL;
    Py_XDECREF(shape);
    if (!arr) return NULL;
    Py_buffer v;
    if (PyObject_GetBuffer(arr, &v, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE) < 0) {
        Py_DECREF(arr);
        return NULL;
    }
    size_t row = (size_t)w * (size_t)c * (bits == 16 ? 2 : 1);
    for (int y = 0; y < h; y++)
        memcpy((uint8_t *)v.buf + (size_t)y * row, px + (size_t)y * stride, row);
    PyBuffer_Release(&v);
    return arr;
}

int ramp__py_seed_all(uint32_t seed)
{
    if (!ramp__py.np_seed || !ramp__py.py_seed) return 0;
    PyObject *s = PyLong_FromUnsignedLong(seed);
    if (!s) return -1;
    PyObject *a = PyObject_CallOneArg(ramp__py.np_seed, s);
    PyObject *b = a ? PyObject_CallOneArg(ramp__py.py_seed, s) : NULL;
    Py_DECREF(s);
    Py_XDECREF(a);
    Py_XDECREF(b);
    return b ? 0 : -1;
}

/* Runs fn on the h×w×c pixels (bits 8 or 16 per sample) after seeding
   numpy's and Python's global random streams with `seed` (the sample's own,
   drawn from (seed, epoch, index): the same draws whichever process or
   thread runs it); on success *res is a C-contiguous float32 array (new
   reference). On failure writes msg. */
static ramp_status call_transform(PyObject *fn, const char *name, const uint8_t *px, size_t stride,
                                  int w, int h, int c, int bits, uint32_t seed, PyObject **res,
                                  char *msg, size_t len)
{
    *res = NULL;
    PyObject *arr = ramp__py_image_array(px, stride, w, h, c, bits);
    if (!arr) return ramp__py_fail(msg, len, "image_preprocessor.py: making x");
    if (ramp__py_seed_all(seed) < 0) {
        Py_DECREF(arr);
        return ramp__py_fail(msg, len, "image_preprocessor.py: seeding numpy.random");
    }
    PyObject *r = PyObject_CallOneArg(fn, arr);
    Py_DECREF(arr);
    if (!r) return ramp__py_fail(msg, len, name);
    PyObject *f = PyObject_CallFunctionObjArgs(ramp__py.np_contig, r, ramp__py.np_float32, NULL);
    Py_DECREF(r);
    if (!f) return ramp__py_fail(msg, len, "image_preprocessor.py: the result to float32");
    *res = f;
    return RAMP_OK;
}

/* Shape and values of a float32 array into out (the slot, or the arena when
   the slot is too small: the loader then reports the shape mismatch). */
static ramp_status array_to_tensor(ramp_pp *pp, int ndim, const Py_ssize_t *shape,
                                   const float *data, size_t n, ramp_tensor *out)
{
    if (ndim < 1 || ndim > 4)
        return ramp_pp_fail(pp, RAMP_ESHAPE,
                            "image_preprocessor.py: transform returned a %d-dimensional array "
                            "(1 to 4 expected)",
                            ndim);
    if (ndim == 2) { /* rampwf: a 2-D result x becomes x[np.newaxis] (one channel first) */
        out->ndim = 3;
        out->shape[0] = 1;
        out->shape[1] = (int)shape[0];
        out->shape[2] = (int)shape[1];
        out->shape[3] = 0;
    } else {
        out->ndim = ndim;
        for (int d = 0; d < 4; d++)
            out->shape[d] = d < ndim ? (int)shape[d] : 0;
    }
    if (!out->data || out->capacity < n) {
        out->data = ramp_arena_alloc(ramp_pp_arena(pp), (n ? n : 1) * sizeof(float));
        if (!out->data) return ramp_pp_fail(pp, RAMP_ENOMEM, "out of memory");
        out->capacity = n;
    }
    memcpy(out->data, data, n * sizeof(float));
    return RAMP_OK;
}

/* ---- workers ------------------------------------------------------------------------- */

typedef struct worker {
    pid_t pid;
    int to_w, from_w; /* request / reply pipes, parent's ends */
    uint8_t *mem;     /* shared region: pixels in, then floats (or a message) out */
    int busy;
} worker;

/* request: which transform, h, w, c (pixels at mem, rows packed).
   reply: status, ndim, shape[4], message length; floats at mem (or the
   message text). */
typedef struct req {
    int test, h, w, c, bits;
    uint32_t seed;
} req;
typedef struct rep {
    int st, ndim;
    long shape[4];
    size_t msg_len;
} rep;

static worker g_w[MAX_WORKERS];
static int g_nw;
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t g_serial = PTHREAD_MUTEX_INITIALIZER; /* threads mode */

static int read_full(int fd, void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n) {
        ssize_t k = read(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static int write_full(int fd, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* The worker process: serves requests until its pipe closes. GIL held. */
static void worker_loop(int in, int out, uint8_t *mem)
{
    req q;
    char msg[4096];
    while (read_full(in, &q, sizeof q) == 0) {
        rep r = {0, 0, {0, 0, 0, 0}, 0};
        PyObject *fn = q.test && ramp__py.tf_test ? ramp__py.tf_test : ramp__py.tf;
        PyObject *res = NULL;
        r.st = call_transform(fn,
                              q.test ? "image_preprocessor.py: transform_test"
                                     : "image_preprocessor.py: transform",
                              mem, (size_t)q.w * (size_t)q.c * (q.bits == 16 ? 2 : 1), q.w, q.h,
                              q.c, q.bits, q.seed, &res, msg, sizeof msg);
        if (!r.st) {
            Py_buffer v;
            if (PyObject_GetBuffer(res, &v, PyBUF_C_CONTIGUOUS | PyBUF_ND) < 0) {
                r.st = ramp__py_fail(msg, sizeof msg, "image_preprocessor.py");
            } else if ((size_t)v.len > REGION_BYTES) {
                r.st = RAMP_ETOOBIG;
                snprintf(msg, sizeof msg, "image_preprocessor.py: transform returned %zd bytes",
                         v.len);
            } else {
                r.ndim = v.ndim;
                for (int d = 0; d < v.ndim && d < 4; d++)
                    r.shape[d] = (long)v.shape[d];
                memcpy(mem, v.buf, (size_t)v.len);
            }
            if (!r.st) PyBuffer_Release(&v);
            Py_DECREF(res);
        }
        if (r.st) {
            r.msg_len = strlen(msg);
            memcpy(mem, msg, r.msg_len);
        }
        if (write_full(out, &r, sizeof r) != 0) break;
    }
}

/* A process forked from the fold (the submission's own multiprocessing)
   must not talk to the fold's workers: their pipes are shared with the fold,
   and the lock may have been held by a thread the fork left behind. Its
   transforms run on its own threads under the GIL. */
static void forget_workers(void)
{
    /* and lets go of their pipes: a child that outlived fit (a process the
       submission forked and left sleeping) kept the workers from ever
       reading EOF, so the fold waited for them until its --timeout */
    for (int i = 0; i < g_nw; i++) {
        close(g_w[i].to_w);
        close(g_w[i].from_w);
        g_w[i].to_w = g_w[i].from_w = -1;
    }
    g_nw = 0;
    pthread_mutex_init(&g_mu, NULL);
    pthread_mutex_init(&g_serial, NULL);
    pthread_cond_init(&g_cv, NULL);
}

ramp_status ramp__py_workers_start(int n, char *msg, size_t len)
{
    static int atfork_ok;
    if (n > MAX_WORKERS) n = MAX_WORKERS;
    if (!atfork_ok) atfork_ok = pthread_atfork(NULL, NULL, forget_workers) == 0;
    PyGILState_STATE gs = PyGILState_Ensure();
    ramp_status st = RAMP_OK;
    for (int i = 0; i < n; i++) {
        worker *w = &g_w[i];
        int a[2] = {-1, -1}, b[2] = {-1, -1};
        w->mem = mmap(NULL, REGION_BYTES, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (w->mem == MAP_FAILED || pipe(a) != 0 || pipe(b) != 0) {
            snprintf(msg, len, "Python transform workers: %s", strerror(errno));
            if (w->mem != MAP_FAILED) munmap(w->mem, REGION_BYTES);
            st = RAMP_EIO;
            break;
        }
        fflush(NULL);
        PyOS_BeforeFork();
        pid_t pid = fork();
        if (pid == 0) {
            PyOS_AfterFork_Child();
            close(a[1]);
            close(b[0]);
            /* the other workers' pipes: closed by forget_workers (atfork) */
            worker_loop(a[0], b[1], w->mem);
            _exit(0);
        }
        PyOS_AfterFork_Parent();
        close(a[0]);
        close(b[1]);
        if (pid < 0) {
            close(a[1]);
            close(b[0]);
            munmap(w->mem, REGION_BYTES);
            snprintf(msg, len, "Python transform workers: fork: %s", strerror(errno));
            st = RAMP_EIO;
            break;
        }
        w->pid = pid;
        w->to_w = a[1];
        w->from_w = b[0];
        w->busy = 0;
        g_nw = i + 1;
    }
    PyGILState_Release(gs);
    return st;
}

void ramp__py_workers_stop(void)
{
    for (int i = 0; i < g_nw; i++) {
        close(g_w[i].to_w);
        close(g_w[i].from_w);
    }
    for (int i = 0; i < g_nw; i++) {
        int status;
        while (waitpid(g_w[i].pid, &status, 0) < 0 && errno == EINTR) {
        }
        munmap(g_w[i].mem, REGION_BYTES);
    }
    g_nw = 0;
}

static ramp_status run_in_worker(ramp_pp *pp, int test, const uint8_t *px, size_t stride, int w,
                                 int h, int c, int bits, uint32_t seed, ramp_tensor *out)
{
    size_t row = (size_t)w * (size_t)c * (bits == 16 ? 2 : 1);
    if (row * (size_t)h > REGION_BYTES)
        return ramp_pp_fail(pp, RAMP_ETOOBIG, "image too large for a transform worker");
    pthread_mutex_lock(&g_mu);
    worker *wk = NULL;
    for (;;) {
        for (int i = 0; i < g_nw && !wk; i++)
            if (!g_w[i].busy) wk = &g_w[i];
        if (wk) break;
        pthread_cond_wait(&g_cv, &g_mu);
    }
    wk->busy = 1;
    pthread_mutex_unlock(&g_mu);

    for (int y = 0; y < h; y++)
        memcpy(wk->mem + (size_t)y * row, px + (size_t)y * stride, row);
    req q = {test, h, w, c, bits, seed};
    rep r;
    ramp_status st = RAMP_OK;
    if (write_full(wk->to_w, &q, sizeof q) != 0 || read_full(wk->from_w, &r, sizeof r) != 0) {
        int status = 0;
        pid_t p = waitpid(wk->pid, &status, WNOHANG);
        st = ramp_pp_fail(pp, RAMP_ECRASH, "the Python transform worker %s",
                          p == wk->pid && WIFSIGNALED(status) ? strsignal(WTERMSIG(status))
                                                              : "died");
    } else if (r.st) {
        st = ramp_pp_fail(pp, (ramp_status)r.st, "%.*s", (int)(r.msg_len < 4000 ? r.msg_len : 4000),
                          (const char *)wk->mem);
    } else {
        Py_ssize_t shape[4];
        size_t n = r.ndim > 0 ? 1 : 0;
        for (int d = 0; d < r.ndim && d < 4; d++) {
            shape[d] = (Py_ssize_t)r.shape[d];
            n *= (size_t)r.shape[d];
        }
        st = array_to_tensor(pp, r.ndim, shape, (const float *)wk->mem, n, out);
    }
    pthread_mutex_lock(&g_mu);
    wk->busy = 0;
    pthread_cond_signal(&g_cv);
    pthread_mutex_unlock(&g_mu);
    return st;
}

/* ---- the ramp_transform_fn pair ---------------------------------------------------- */

static ramp_status run(ramp_pp *pp, const ramp_image *x, ramp_tensor *out, int test)
{
    size_t stride;
    int bits = 8;
    const uint8_t *px = ramp__py_image_pixels(pp, x, &stride, &bits); /* decoded in C, no GIL */
    if (!px) return ramp_pp_status(pp);
    int w = ramp_img_width(x), h = ramp_img_height(x), c = ramp_img_channels(x);
    /* the sample's own seed: pp's stream is seeded from (seed, epoch, the
       sample's place), mixed with the image's name so that two images never
       share their draws, whichever pass or generator reads them */
    uint64_t hn = 1469598103934665603ULL; /* FNV-1a */
    for (const char *q = ramp_img_name(x); *q; q++) hn = (hn ^ (uint8_t)*q) * 1099511628211ULL;
    uint32_t seed = (uint32_t)(ramp_rng_key(ramp_rng_u64(ramp_pp_rng(pp)), hn) >> 32);
    if (g_nw > 0) return run_in_worker(pp, test, px, stride, w, h, c, bits, seed, out);

    char msg[4096];
    /* one transform at a time on the loader threads: numpy releases the GIL
       inside a call, and another thread's seeding must not land between
       this call's seeding and its draws (taken before the GIL, so a thread
       waiting here never holds it) */
    pthread_mutex_lock(&g_serial);
    PyGILState_STATE gs = PyGILState_Ensure();
    PyObject *fn = test && ramp__py.tf_test ? ramp__py.tf_test : ramp__py.tf;
    PyObject *res = NULL;
    ramp_status st = call_transform(
        fn, test ? "image_preprocessor.py: transform_test" : "image_preprocessor.py: transform", px,
        stride, w, h, c, bits, seed, &res, msg, sizeof msg);
    if (!st) {
        Py_buffer v;
        if (PyObject_GetBuffer(res, &v, PyBUF_C_CONTIGUOUS | PyBUF_ND) < 0) {
            st = ramp__py_fail(msg, sizeof msg, "image_preprocessor.py");
        } else {
            st = array_to_tensor(pp, v.ndim, v.shape, v.buf, (size_t)v.len / sizeof(float), out);
            PyBuffer_Release(&v);
        }
        Py_DECREF(res);
    }
    PyGILState_Release(gs);
    pthread_mutex_unlock(&g_serial);
    if (st && !ramp_pp_status(pp)) ramp_pp_fail(pp, st, "%s", msg);
    return st;
}

const uint8_t *ramp__py_image_pixels(ramp_pp *pp, const ramp_image *x, size_t *stride, int *bits)
{
    *bits = 8;
    if (ramp_img_bits(x) == 16) { /* 16-bit gray PNGs: imread gives uint16 */
        const uint16_t *s16 = ramp_img_samples16(pp, x, stride);
        if (s16) {
            *bits = 16;
            return (const uint8_t *)s16;
        }
        if (ramp_pp_status(pp)) return NULL;
    }
    return ramp_img_pixels(pp, x, stride);
}

ramp_status ramp__py_transform(ramp_pp *pp, const ramp_image *x, ramp_tensor *out)
{
    return run(pp, x, out, 0);
}

ramp_status ramp__py_transform_test(ramp_pp *pp, const ramp_image *x, ramp_tensor *out)
{
    return run(pp, x, out, 1);
}
