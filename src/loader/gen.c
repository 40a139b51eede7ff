/* gen.c — the generator interface's common part, and the in-memory
 * generator (used by tests, benchmarks and anyone with data in RAM). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/loaderInt.h"
#include "ramp/rng.h"

void ramp__gen_init(ramp_gen *g, const ramp_gen_vtable *vt, size_t n_samples, size_t batch_size,
                    int n_classes)
{
    g->vt = vt;
    g->n_samples = n_samples;
    g->batch_size = batch_size;
    g->n_classes = n_classes;
    g->onehot = 0;
    g->onehot_buf = NULL;
    g->errmsg[0] = '\0';
}

ramp_status ramp__gen_fail(ramp_gen *g, ramp_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->errmsg, sizeof g->errmsg, fmt, ap);
    va_end(ap);
    return st;
}

ramp_status ramp_gen_next(ramp_gen *g, ramp_batch *b)
{
    if (!g || !b) return RAMP_EINVAL;
    memset(b, 0, sizeof *b);
    ramp_status st = g->vt->next(g, b);
    if (st) return st;
    b->n_classes = g->n_classes;
    if (g->onehot && b->y && g->n_classes > 0) {
        if (!g->onehot_buf) {
            g->onehot_buf = calloc(g->batch_size * (size_t)g->n_classes, sizeof(float));
            if (!g->onehot_buf) return ramp__gen_fail(g, RAMP_ENOMEM, "one-hot buffer");
        }
        memset(g->onehot_buf, 0, b->n * (size_t)g->n_classes * sizeof(float));
        for (size_t i = 0; i < b->n; i++) {
            int32_t c = b->y[i];
            if (c >= 0 && c < g->n_classes) g->onehot_buf[i * (size_t)g->n_classes + (size_t)c] = 1.f;
        }
        b->y_onehot = g->onehot_buf;
    }
    return RAMP_OK;
}

size_t ramp_gen_n_samples(const ramp_gen *g)
{
    return g ? g->n_samples : 0;
}

size_t ramp_gen_batch_size(const ramp_gen *g)
{
    return g ? g->batch_size : 0;
}

size_t ramp_gen_steps_per_epoch(const ramp_gen *g)
{
    return g && g->batch_size ? (g->n_samples + g->batch_size - 1) / g->batch_size : 0;
}

void ramp_gen_set_onehot(ramp_gen *g, int on)
{
    if (g) g->onehot = on != 0;
}

const char *ramp_gen_errmsg(const ramp_gen *g)
{
    return g ? g->errmsg : "";
}

void ramp_gen_free(ramp_gen *g)
{
    if (!g) return;
    float *oh = g->onehot_buf;
    g->vt->destroy(g);
    free(oh);
}

/* ---- in-memory generator -------------------------------------------------- */

typedef struct mem_gen {
    ramp_gen base;
    const float *X;
    const int32_t *y;
    int ndim;
    int shape[4];
    size_t sample_size;
    int shuffle;
    uint64_t seed;
    uint32_t *order; /* visiting order of the current epoch */
    size_t pos;      /* next position in order */
    int epoch;
    float *xbuf; /* batch_size × sample_size */
    int32_t *ybuf;
} mem_gen;

static void mem_new_epoch(mem_gen *m)
{
    for (size_t i = 0; i < m->base.n_samples; i++) m->order[i] = (uint32_t)i;
    if (m->shuffle) {
        ramp_rng r;
        ramp_rng_seed(&r, m->seed, (uint64_t)m->epoch);
        ramp_rng_shuffle(&r, m->order, (uint32_t)m->base.n_samples);
    }
    m->pos = 0;
}

static ramp_status mem_next(ramp_gen *g, ramp_batch *b)
{
    mem_gen *m = (mem_gen *)g;
    size_t n = m->base.n_samples - m->pos;
    if (n > m->base.batch_size) n = m->base.batch_size;
    for (size_t i = 0; i < n; i++) {
        size_t s = m->order[m->pos + i];
        memcpy(m->xbuf + i * m->sample_size, m->X + s * m->sample_size,
               m->sample_size * sizeof(float));
        if (m->y) m->ybuf[i] = m->y[s];
    }
    b->X = m->xbuf;
    b->y = m->y ? m->ybuf : NULL;
    b->n = n;
    b->sample_size = m->sample_size;
    b->ndim = m->ndim;
    memcpy(b->shape, m->shape, sizeof b->shape);
    b->epoch = m->epoch;
    m->pos += n;
    b->end_of_epoch = m->pos >= m->base.n_samples;
    if (b->end_of_epoch) {
        m->epoch++;
        mem_new_epoch(m);
    }
    return RAMP_OK;
}

static void mem_destroy(ramp_gen *g)
{
    mem_gen *m = (mem_gen *)g;
    free(m->order);
    free(m->xbuf);
    free(m->ybuf);
    free(m);
}

static const ramp_gen_vtable mem_vtable = {mem_next, mem_destroy};

ramp_status ramp_gen_from_arrays(const float *X, const int32_t *y, size_t n, int ndim,
                                 const int *shape, int n_classes, size_t batch_size, int shuffle,
                                 uint64_t seed, ramp_gen **out)
{
    if (!out) return RAMP_EINVAL;
    *out = NULL;
    if (!X || !shape || n == 0 || n > UINT32_MAX || batch_size == 0 || ndim < 1 || ndim > 4)
        return RAMP_EINVAL;
    size_t ss = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] <= 0) return RAMP_EINVAL;
        ss *= (size_t)shape[d];
    }
    mem_gen *m = calloc(1, sizeof *m);
    if (!m) return RAMP_ENOMEM;
    ramp__gen_init(&m->base, &mem_vtable, n, batch_size, n_classes);
    m->X = X;
    m->y = y;
    m->ndim = ndim;
    memcpy(m->shape, shape, (size_t)ndim * sizeof(int));
    m->sample_size = ss;
    m->shuffle = shuffle;
    m->seed = seed;
    m->order = malloc(n * sizeof *m->order);
    m->xbuf = malloc(batch_size * ss * sizeof(float));
    m->ybuf = malloc(batch_size * sizeof(int32_t));
    if (!m->order || !m->xbuf || !m->ybuf) {
        mem_destroy(&m->base);
        return RAMP_ENOMEM;
    }
    mem_new_epoch(m);
    *out = &m->base;
    return RAMP_OK;
}
