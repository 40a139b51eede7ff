/* fold_wire.c — the fold specification as bytes, from the trusted parent to
 * the fold child (runInt.h: ramp__fold_wire).
 *
 * The child learns everything it needs from these bytes and nothing else:
 * the fold-train rows with their labels, the fold-valid and test rows as
 * image ids only, the paths of its own code as it sees them, loader and
 * classifier settings, and for detection and segmentation the fold-train
 * rows' objects or mask files. Layout: the magic "RAMPFOLD7\n", then
 * fixed-width little-endian fields, length-prefixed strings (u32 length,
 * bytes) and blobs (u64 length, bytes).
 * The reader checks every length against what is left, so a short or
 * corrupt buffer is an error, never a read past the end.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/coreInt.h"
#include "submission/runInt.h"

static const char magic[10] = {'R', 'A', 'M', 'P', 'F', 'O', 'L', 'D', '7', '\n'};

typedef struct wbuf {
    uint8_t *p;
    size_t len, cap;
    int oom;
} wbuf;

static void put(wbuf *b, const void *s, size_t n)
{
    if (b->oom) return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n) cap *= 2;
        uint8_t *q = realloc(b->p, cap);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void put_u64(wbuf *b, uint64_t v)
{
    uint8_t x[8];
    for (int i = 0; i < 8; i++) x[i] = (uint8_t)(v >> (8 * i));
    put(b, x, 8);
}

static void put_f32(wbuf *b, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    uint8_t x[4] = {(uint8_t)u, (uint8_t)(u >> 8), (uint8_t)(u >> 16), (uint8_t)(u >> 24)};
    put(b, x, 4);
}

static void put_str(wbuf *b, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    uint8_t x[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
    put(b, x, 4);
    put(b, s, n);
}

ramp_status ramp__fold_wire_encode(const ramp__fold_wire *w, uint8_t **out, size_t *len,
                                   ramp_err *err)
{
    wbuf b = {0};
    put(&b, magic, sizeof magic);
    put_u64(&b, (uint64_t)w->n_classes);
    put_u64(&b, w->loader.chunk_size);
    put_u64(&b, (uint64_t)w->loader.n_jobs);
    put_u64(&b, w->loader.seed);
    put_u64(&b, w->loader.max_pixels);
    put_u64(&b, w->test_batch_size);
    put_u64(&b, w->info.seed);
    put_u64(&b, (uint64_t)w->info.n_threads);
    put_u64(&b, (uint64_t)w->info.quick_test);
    put_u64(&b, (uint64_t)w->info.fold);
    put_u64(&b, (uint64_t)w->info.device);
    put_u64(&b, (uint64_t)w->info.math);
    put_str(&b, w->info.submission_dir);
    put_str(&b, w->imgs_dir);
    put_str(&b, w->paths.pp_so);
    put_str(&b, w->paths.clf_so);
    put_str(&b, w->paths.pp_py);
    put_str(&b, w->paths.clf_py);
    put_u64(&b, (uint64_t)w->paths.simplified);
    put_u64(&b, (uint64_t)w->paths.arrays);
    put_u64(&b, (uint64_t)w->paths.model);
    put_u64(&b, (uint64_t)w->workflow);
    put_str(&b, w->py_plugin ? w->py_plugin : "");
    put_str(&b, w->py_lib ? w->py_lib : "");
    put_str(&b, w->py_env ? w->py_env : "");
    put_u64(&b, (uint64_t)w->py_workers);
    put_u64(&b, w->n_train);
    for (size_t i = 0; i < w->n_train; i++) {
        put_str(&b, w->train_ids[i]);
        put_u64(&b, (uint64_t)(uint32_t)w->train_labels[i]);
    }
    put_u64(&b, w->n_valid);
    for (size_t i = 0; i < w->n_valid; i++) put_str(&b, w->valid_ids[i]);
    put_u64(&b, w->n_test);
    for (size_t i = 0; i < w->n_test; i++) put_str(&b, w->test_ids[i]);
    put_u64(&b, (uint64_t)w->geometry);
    put_u64(&b, (uint64_t)w->max_objects);
    if (w->workflow == RAMP_WORKFLOW_DETECTION)
        for (size_t i = 0; i < w->n_train; i++) {
            size_t o0 = w->train_obj_off[i], o1 = w->train_obj_off[i + 1];
            put_u64(&b, o1 - o0);
            for (size_t k = o0; k < o1; k++) {
                const ramp_obj *o = &w->train_objs[k];
                put_u64(&b, (uint64_t)(uint32_t)o->cls);
                for (int j = 0; j < 4; j++) put_f32(&b, o->g[j]);
            }
        }
    if (w->workflow == RAMP_WORKFLOW_SEGMENTATION) {
        for (size_t i = 0; i < w->n_train; i++) {
            put_u64(&b, w->train_mask_len[i]);
            put(&b, w->train_masks[i], w->train_mask_len[i]);
        }
        size_t rows = w->n_train + w->n_valid + w->n_test;
        for (size_t i = 0; i < 2 * rows; i++) put_u64(&b, w->pred_wh[i]);
    }
    if (b.oom) {
        free(b.p);
        return ramp__err_set(err, RAMP_ENOMEM, "fold specification: out of memory");
    }
    *out = b.p;
    *len = b.len;
    return RAMP_OK;
}

/* ---- reading ------------------------------------------------------------ */

typedef struct rbuf {
    const uint8_t *p;
    size_t left;
    int bad;
} rbuf;

static float get_f32(rbuf *r)
{
    if (r->bad || r->left < 4) {
        r->bad = 1;
        return 0;
    }
    uint32_t u = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
                 (uint32_t)r->p[3] << 24;
    float f;
    memcpy(&f, &u, 4);
    r->p += 4;
    r->left -= 4;
    return f;
}

static uint64_t get_u64(rbuf *r)
{
    if (r->bad || r->left < 8) {
        r->bad = 1;
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)r->p[i] << (8 * i);
    r->p += 8;
    r->left -= 8;
    return v;
}

/* A string copied into the wire's arena (NUL-terminated). */
static char *get_str(rbuf *r, char **arena)
{
    if (r->bad || r->left < 4) {
        r->bad = 1;
        return NULL;
    }
    size_t n = (size_t)r->p[0] | (size_t)r->p[1] << 8 | (size_t)r->p[2] << 16 |
               (size_t)r->p[3] << 24;
    r->p += 4;
    r->left -= 4;
    if (n > r->left || n > 4096 || memchr(r->p, '\0', n)) {
        r->bad = 1;
        return NULL;
    }
    char *s = *arena;
    memcpy(s, r->p, n);
    s[n] = '\0';
    *arena += n + 1;
    r->p += n;
    r->left -= n;
    return s;
}

void ramp__fold_wire_clear(ramp__fold_wire *w)
{
    free(w->arena);
    free(w->train_ids);
    free(w->train_labels);
    free(w->valid_ids);
    free(w->test_ids);
    free(w->train_objs);
    free(w->train_obj_off);
    free(w->train_masks);
    free(w->train_mask_len);
    free(w->pred_wh);
    memset(w, 0, sizeof *w);
}

ramp_status ramp__fold_wire_decode(const uint8_t *buf, size_t len, ramp__fold_wire *w,
                                   ramp_err *err)
{
    memset(w, 0, sizeof *w);
    if (len < sizeof magic || memcmp(buf, magic, sizeof magic) != 0)
        return ramp__err_set(err, RAMP_EFORMAT, "fold specification: bad magic");
    /* every string fits in an arena as large as the buffer (lengths become NULs) */
    w->arena = malloc(len + 1);
    if (!w->arena) return ramp__err_set(err, RAMP_ENOMEM, "fold specification: out of memory");
    char *a = w->arena;
    rbuf r = {buf + sizeof magic, len - sizeof magic, 0};
    w->n_classes = (int)get_u64(&r);
    w->loader.chunk_size = (size_t)get_u64(&r);
    w->loader.n_jobs = (int)get_u64(&r);
    w->loader.seed = get_u64(&r);
    w->loader.max_pixels = get_u64(&r);
    w->test_batch_size = (size_t)get_u64(&r);
    w->info.seed = get_u64(&r);
    w->info.n_threads = (int)get_u64(&r);
    w->info.quick_test = (int)get_u64(&r);
    w->info.fold = (int)get_u64(&r);
    uint64_t device = get_u64(&r);
    if (device > 1) r.bad = 1; /* CPU or CUDA, never AUTO */
    w->info.device = (int)device;
    uint64_t math = get_u64(&r);
    if (math > 2) r.bad = 1; /* fp32, tf32 or bf16 */
    w->info.math = (int)math;
    /* a CUDA fold's loader hands out page-locked batches (loader.h's
       pin_memory): the engine's and PyTorch's copies to the GPU are then
       asynchronous DMAs */
    w->loader.pin_memory = device == 1;
    w->info.submission_dir = get_str(&r, &a);
    w->imgs_dir = get_str(&r, &a);
    const char *s[4];
    for (int i = 0; i < 4; i++) s[i] = get_str(&r, &a);
    if (!r.bad) {
        snprintf(w->paths.pp_so, sizeof w->paths.pp_so, "%s", s[0]);
        snprintf(w->paths.clf_so, sizeof w->paths.clf_so, "%s", s[1]);
        snprintf(w->paths.pp_py, sizeof w->paths.pp_py, "%s", s[2]);
        snprintf(w->paths.clf_py, sizeof w->paths.clf_py, "%s", s[3]);
    }
    w->paths.simplified = get_u64(&r) != 0;
    w->paths.arrays = get_u64(&r) != 0;
    uint64_t model = get_u64(&r);
    if (model > RAMP__MODEL_SEGMENTER) r.bad = 1;
    w->paths.model = (int)model;
    uint64_t wf = get_u64(&r);
    if (wf > RAMP_WORKFLOW_SEGMENTATION) r.bad = 1;
    w->workflow = (ramp_workflow_kind)wf;
    w->py_plugin = get_str(&r, &a);
    w->py_lib = get_str(&r, &a);
    w->py_env = get_str(&r, &a);
    uint64_t workers = get_u64(&r);
    if (workers > 1024) r.bad = 1;
    w->py_workers = (int)workers;
    /* counts: each row takes at least 4 bytes, so a count past that is corrupt */
    w->n_train = (size_t)get_u64(&r);
    if (w->n_train > r.left / 4) r.bad = 1;
    if (!r.bad) {
        w->train_ids = malloc((w->n_train + 1) * sizeof *w->train_ids);
        w->train_labels = malloc((w->n_train + 1) * sizeof *w->train_labels);
        if (!w->train_ids || !w->train_labels) goto nomem;
    }
    for (size_t i = 0; i < w->n_train && !r.bad; i++) {
        w->train_ids[i] = get_str(&r, &a);
        uint64_t y = get_u64(&r);
        if (y >= (uint64_t)w->n_classes) r.bad = 1;
        w->train_labels[i] = (int32_t)y;
    }
    w->n_valid = (size_t)get_u64(&r);
    if (w->n_valid > r.left / 4) r.bad = 1;
    if (!r.bad && !(w->valid_ids = malloc((w->n_valid + 1) * sizeof *w->valid_ids))) goto nomem;
    for (size_t i = 0; i < w->n_valid && !r.bad; i++) w->valid_ids[i] = get_str(&r, &a);
    w->n_test = (size_t)get_u64(&r);
    if (w->n_test > r.left / 4) r.bad = 1;
    if (!r.bad && !(w->test_ids = malloc((w->n_test + 1) * sizeof *w->test_ids))) goto nomem;
    for (size_t i = 0; i < w->n_test && !r.bad; i++) w->test_ids[i] = get_str(&r, &a);
    uint64_t geom = get_u64(&r), maxo = get_u64(&r);
    if (geom > 1 || maxo > 100000) r.bad = 1;
    w->geometry = (int)geom;
    w->max_objects = (int)maxo;
    if (!r.bad && w->workflow == RAMP_WORKFLOW_DETECTION) {
        /* an object takes 24 bytes on the wire */
        size_t cap = r.left / 24 + 1;
        w->train_obj_off = malloc((w->n_train + 1) * sizeof *w->train_obj_off);
        w->train_objs = malloc(cap * sizeof *w->train_objs);
        if (!w->train_obj_off || !w->train_objs) goto nomem;
        size_t at = 0;
        w->train_obj_off[0] = 0;
        for (size_t i = 0; i < w->n_train && !r.bad; i++) {
            uint64_t c = get_u64(&r);
            if (c > r.left / 24 || at + c > cap) r.bad = 1;
            for (uint64_t k = 0; k < c && !r.bad; k++) {
                ramp_obj *o = &w->train_objs[at++];
                uint64_t cls = get_u64(&r);
                if (cls >= (uint64_t)w->n_classes) r.bad = 1;
                o->cls = (int32_t)cls;
                o->conf = 1;
                for (int j = 0; j < 4; j++) o->g[j] = get_f32(&r);
            }
            w->train_obj_off[i + 1] = at;
        }
    }
    if (!r.bad && w->workflow == RAMP_WORKFLOW_SEGMENTATION) {
        size_t rows = w->n_train + w->n_valid + w->n_test;
        w->train_masks = malloc((w->n_train + 1) * sizeof *w->train_masks);
        w->train_mask_len = malloc((w->n_train + 1) * sizeof *w->train_mask_len);
        w->pred_wh = malloc((2 * rows + 1) * sizeof *w->pred_wh);
        if (!w->train_masks || !w->train_mask_len || !w->pred_wh) goto nomem;
        for (size_t i = 0; i < w->n_train && !r.bad; i++) {
            uint64_t n = get_u64(&r);
            if (n > r.left) {
                r.bad = 1;
                break;
            }
            memcpy(a, r.p, (size_t)n); /* the arena is as large as the buffer */
            w->train_masks[i] = (const uint8_t *)a;
            w->train_mask_len[i] = (size_t)n;
            a += n;
            r.p += n;
            r.left -= (size_t)n;
        }
        for (size_t i = 0; i < 2 * rows && !r.bad; i++) {
            uint64_t v = get_u64(&r);
            if (v == 0 || v > 1u << 20) r.bad = 1;
            w->pred_wh[i] = (uint32_t)v;
        }
    }
    if (r.bad || r.left != 0 || w->n_classes > 100000 ||
        w->n_classes < (w->workflow == RAMP_WORKFLOW_DETECTION ? 1 : 2)) {
        ramp__fold_wire_clear(w);
        return ramp__err_set(err, RAMP_EFORMAT, "fold specification: corrupt or truncated");
    }
    return RAMP_OK;
nomem:
    ramp__fold_wire_clear(w);
    return ramp__err_set(err, RAMP_ENOMEM, "fold specification: out of memory");
}
