/* gen.c — the generator interface's common part (one-hot rows, pins,
 * reference-counted blocks), and the in-memory generator (used by tests,
 * benchmarks and anyone with data in RAM).
 *
 * A pin is one malloc: the header, then whatever the pin owns (the one-hot
 * rows; X, y, masks and objects too when the implementation could not lend
 * a block). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/coreInt.h"
#include "core/genInt.h"
#include "ramp/rng.h"

#define BLK_HEADER 64

ramp__blk *ramp__blk_new(const ramp__hostmem *hm, size_t bytes, char *why, size_t len)
{
    _Static_assert(sizeof(ramp__blk) <= BLK_HEADER, "block header");
    if (bytes > SIZE_MAX - BLK_HEADER) {
        if (why && len) snprintf(why, len, "%zu bytes: too many", bytes);
        return NULL;
    }
    ramp__blk *b = hm->alloc(hm, BLK_HEADER + bytes, why, len);
    if (!b) return NULL;
    atomic_init(&b->refs, 1);
    b->bytes = bytes;
    b->hm = hm;
    return b;
}

int ramp__blk_pinned(const ramp__blk *b)
{
    return b && b->hm->pinned;
}

void *ramp__blk_data(ramp__blk *b)
{
    return (char *)b + BLK_HEADER;
}

void ramp__blk_ref(ramp__blk *b)
{
    atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
}

void ramp__blk_unref(ramp__blk *b)
{
    if (b && atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1)
        b->hm->free(b->hm, b, BLK_HEADER + b->bytes);
}

int ramp__blk_shared(ramp__blk *b)
{
    return atomic_load_explicit(&b->refs, memory_order_acquire) > 1;
}

struct ramp_gen_pin {
    ramp__blk *blk; /* the lent block, or NULL when the pin owns copies */
};

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
    g->pinning = 0;
    g->lent = NULL;
    g->progress = NULL;
}

void ramp_gen_progress(ramp_gen *g, const ramp_progress *p)
{
    if (g && p && g->progress) g->progress(g, p);
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
            if (c >= 0 && c < g->n_classes)
                g->onehot_buf[i * (size_t)g->n_classes + (size_t)c] = 1.f;
        }
        b->y_onehot = g->onehot_buf;
    }
    return RAMP_OK;
}

ramp_status ramp_gen_next_pinned(ramp_gen *g, ramp_batch *b, ramp_gen_pin **pin)
{
    if (!pin) return RAMP_EINVAL;
    *pin = NULL;
    if (!g || !b) return RAMP_EINVAL;
    memset(b, 0, sizeof *b);
    g->pinning = 1;
    g->lent = NULL;
    ramp_status st = g->vt->next(g, b);
    ramp__blk *blk = g->lent;
    g->pinning = 0;
    g->lent = NULL;
    if (st) {
        ramp__blk_unref(blk);
        return st;
    }
    b->n_classes = g->n_classes;
    size_t nc = (size_t)(g->n_classes > 0 ? g->n_classes : 0);
    size_t n_oh = g->onehot && b->y && nc ? b->n * nc : 0;
    size_t n_x = blk ? 0 : b->n * b->sample_size;
    size_t n_y = blk || !b->y ? 0 : b->n;
    /* segmentation masks and detection objects, copied like X and y */
    size_t n_m = blk || !b->mask ? 0 : b->n * (size_t)b->mask_h * (size_t)b->mask_w;
    size_t n_off = blk || !b->obj_off ? 0 : b->n + 1;
    size_t n_obj = n_off ? b->obj_off[b->n] - b->obj_off[0] : 0;
    /* header, then floats (one-hot, X), labels and masks: all 4-byte items;
       then, 8-byte aligned, the object offsets and the objects */
    size_t head = (sizeof(ramp_gen_pin) + 15) & ~(size_t)15;
    size_t at_off = (head + (n_oh + n_x + n_y + n_m) * 4 + 7) & ~(size_t)7;
    size_t at_obj = at_off + n_off * sizeof(size_t);
    ramp_gen_pin *p = malloc(at_obj + n_obj * sizeof(ramp_obj));
    if (!p) {
        ramp__blk_unref(blk);
        return ramp__gen_fail(g, RAMP_ENOMEM, "pinned batch: out of memory");
    }
    p->blk = blk;
    float *f = (float *)((char *)p + head);
    if (n_oh) {
        memset(f, 0, n_oh * sizeof(float));
        for (size_t i = 0; i < b->n; i++) {
            int32_t c = b->y[i];
            if (c >= 0 && (size_t)c < nc) f[i * nc + (size_t)c] = 1.f;
        }
        b->y_onehot = f;
    }
    if (n_x) {
        memcpy(f + n_oh, b->X, n_x * sizeof(float));
        b->X = f + n_oh;
    }
    if (n_y) {
        int32_t *y = (int32_t *)(f + n_oh + n_x);
        memcpy(y, b->y, n_y * sizeof(int32_t));
        b->y = y;
    }
    if (n_m) {
        int32_t *m = (int32_t *)(f + n_oh + n_x) + n_y;
        memcpy(m, b->mask, n_m * sizeof(int32_t));
        b->mask = m;
    }
    if (n_off) {
        size_t *off = (size_t *)((char *)p + at_off);
        ramp_obj *o = (ramp_obj *)((char *)p + at_obj);
        for (size_t i = 0; i <= b->n; i++) off[i] = b->obj_off[i] - b->obj_off[0];
        if (n_obj) memcpy(o, b->obj + b->obj_off[0], n_obj * sizeof(ramp_obj));
        b->obj_off = off;
        b->obj = n_obj ? o : b->obj ? o : NULL;
    }
    *pin = p;
    return RAMP_OK;
}

void ramp_gen_release(ramp_gen_pin *pin)
{
    if (!pin) return;
    ramp__blk_unref(pin->blk);
    free(pin);
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
    if (!g || !g->batch_size) return 0;
    /* without n + batch_size - 1, which wraps for a batch_size near SIZE_MAX */
    return g->n_samples / g->batch_size + (g->n_samples % g->batch_size != 0);
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
    /* segmentation (ramp_gen_from_arrays_masks): n masks of mask_h × mask_w */
    const int32_t *masks;
    int mask_h, mask_w;
    int32_t *mbuf; /* batch_size masks */
    /* detection (ramp_gen_from_arrays_objs): sample i's objects from obj_off[i] */
    const ramp_obj *objs;
    const size_t *obj_off;
    size_t *offbuf; /* batch_size + 1 */
    ramp_obj *objbuf; /* room for every object (the arrays' total) */
} mem_gen;

static void mem_new_epoch(mem_gen *m)
{
    for (size_t i = 0; i < m->base.n_samples; i++)
        m->order[i] = (uint32_t)i;
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
    if (m->masks) {
        size_t hw = (size_t)m->mask_h * m->mask_w;
        for (size_t i = 0; i < n; i++)
            memcpy(m->mbuf + i * hw, m->masks + m->order[m->pos + i] * hw, hw * sizeof(int32_t));
        b->mask = m->mbuf;
        b->mask_h = m->mask_h;
        b->mask_w = m->mask_w;
    }
    if (m->obj_off) {
        m->offbuf[0] = 0;
        for (size_t i = 0; i < n; i++) {
            size_t s = m->order[m->pos + i], k = m->obj_off[s + 1] - m->obj_off[s];
            if (k) memcpy(m->objbuf + m->offbuf[i], m->objs + m->obj_off[s], k * sizeof(ramp_obj));
            m->offbuf[i + 1] = m->offbuf[i] + k;
        }
        b->obj = m->objbuf;
        b->obj_off = m->offbuf;
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
    free(m->mbuf);
    free(m->offbuf);
    free(m->objbuf);
    free(m);
}

static const ramp_gen_vtable mem_vtable = {mem_next, mem_destroy};

static ramp_status mem_new(mem_gen **out, const float *X, const int32_t *y, size_t n, int ndim,
                           const int *shape, int n_classes, size_t batch_size, int shuffle,
                           uint64_t seed, ramp_err *err);

ramp_status ramp_gen_from_arrays(ramp_gen **out, const float *X, const int32_t *y, size_t n,
                                 int ndim, const int *shape, int n_classes, size_t batch_size,
                                 int shuffle, uint64_t seed, ramp_err *err)
{
    if (!out) return ramp__err_set(err, RAMP_EINVAL, "ramp_gen_from_arrays: out is NULL");
    mem_gen *m;
    ramp_status st = mem_new(&m, X, y, n, ndim, shape, n_classes, batch_size, shuffle, seed, err);
    *out = st ? NULL : &m->base;
    return st;
}

ramp_status ramp_gen_from_arrays_masks(ramp_gen **out, const float *X, const int32_t *masks,
                                       size_t n, int ndim, const int *shape, int mask_h,
                                       int mask_w, int n_classes, size_t batch_size, int shuffle,
                                       uint64_t seed, ramp_err *err)
{
    if (!out) return ramp__err_set(err, RAMP_EINVAL, "ramp_gen_from_arrays_masks: out is NULL");
    *out = NULL;
    if (!masks || mask_h < 1 || mask_w < 1 || mask_h > (1 << 16) || mask_w > (1 << 16))
        return ramp__err_set(err, RAMP_EINVAL, "ramp_gen_from_arrays_masks: masks are NULL or "
                             "%dx%d (1 to 65536 each)", mask_h, mask_w);
    mem_gen *m;
    ramp_status st = mem_new(&m, X, NULL, n, ndim, shape, n_classes, batch_size, shuffle, seed,
                             err);
    if (st) return st;
    m->masks = masks;
    m->mask_h = mask_h;
    m->mask_w = mask_w;
    if (!(m->mbuf = malloc(batch_size * (size_t)mask_h * (size_t)mask_w * sizeof(int32_t)))) {
        mem_destroy(&m->base);
        return ramp__err_set(err, RAMP_ENOMEM, "ramp_gen_from_arrays_masks: out of memory");
    }
    *out = &m->base;
    return RAMP_OK;
}

ramp_status ramp_gen_from_arrays_objs(ramp_gen **out, const float *X, const ramp_obj *objs,
                                      const size_t *obj_off, size_t n, int ndim, const int *shape,
                                      int n_classes, size_t batch_size, int shuffle,
                                      uint64_t seed, ramp_err *err)
{
    if (!out) return ramp__err_set(err, RAMP_EINVAL, "ramp_gen_from_arrays_objs: out is NULL");
    *out = NULL;
    if (!obj_off)
        return ramp__err_set(err, RAMP_EINVAL, "ramp_gen_from_arrays_objs: obj_off is NULL");
    if (n > 0 && obj_off[0] != 0)
        return ramp__err_set(err, RAMP_EINVAL, "ramp_gen_from_arrays_objs: obj_off[0] is %zu, "
                             "not 0", obj_off[0]);
    for (size_t i = 0; i < n; i++)
        if (obj_off[i + 1] < obj_off[i])
            return ramp__err_set(err, RAMP_EINVAL, "ramp_gen_from_arrays_objs: obj_off "
                                 "decreases at sample %zu (%zu, then %zu)", i, obj_off[i],
                                 obj_off[i + 1]);
    if (n > 0 && obj_off[n] > 0 && !objs)
        return ramp__err_set(err, RAMP_EINVAL, "ramp_gen_from_arrays_objs: objs is NULL");
    mem_gen *m;
    ramp_status st = mem_new(&m, X, NULL, n, ndim, shape, n_classes, batch_size, shuffle, seed,
                             err);
    if (st) return st;
    m->objs = objs;
    m->obj_off = obj_off;
    m->offbuf = malloc((batch_size + 1) * sizeof(size_t));
    m->objbuf = malloc((obj_off[n] ? obj_off[n] : 1) * sizeof(ramp_obj));
    if (!m->offbuf || !m->objbuf) {
        mem_destroy(&m->base);
        return ramp__err_set(err, RAMP_ENOMEM, "ramp_gen_from_arrays_objs: out of memory");
    }
    *out = &m->base;
    return RAMP_OK;
}

/* The in-memory generator over X and y (the three constructors' common
   part; their messages say ramp_gen_from_arrays). */
static ramp_status mem_new(mem_gen **out, const float *X, const int32_t *y, size_t n, int ndim,
                           const int *shape, int n_classes, size_t batch_size, int shuffle,
                           uint64_t seed, ramp_err *err)
{
    *out = NULL;
    if (!X || !shape)
        return ramp__err_set(err, RAMP_EINVAL, "ramp_gen_from_arrays: X or shape is NULL");
    if (n == 0 || n > UINT32_MAX)
        return ramp__err_set(err, RAMP_EINVAL,
                             "ramp_gen_from_arrays: %zu samples (1 to 2^32 - 1 allowed)", n);
    if (batch_size == 0)
        return ramp__err_set(err, RAMP_EINVAL, "ramp_gen_from_arrays: batch size 0");
    if (ndim < 1 || ndim > 4)
        return ramp__err_set(err, RAMP_EINVAL, "ramp_gen_from_arrays: ndim %d (1 to 4 allowed)",
                             ndim);
    size_t ss = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] <= 0)
            return ramp__err_set(err, RAMP_EINVAL, "ramp_gen_from_arrays: shape[%d] is %d", d,
                                 shape[d]);
        ss *= (size_t)shape[d];
    }
    mem_gen *m = calloc(1, sizeof *m);
    if (!m) return ramp__err_set(err, RAMP_ENOMEM, "ramp_gen_from_arrays: out of memory");
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
        return ramp__err_set(err, RAMP_ENOMEM,
                             "ramp_gen_from_arrays: out of memory for %zu batches of %zu floats", n,
                             batch_size * ss);
    }
    mem_new_epoch(m);
    *out = m;
    return RAMP_OK;
}
