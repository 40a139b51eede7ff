/* loader.c — the streaming, double-buffered generator.
 *
 * A stream generator walks an endless sequence of chunks: chunk q belongs to
 * epoch q / chunks_per_epoch and holds up to chunk_size consecutive samples
 * of that epoch's visiting order (a fresh seeded shuffle per epoch for
 * training, the fixed order otherwise). Two slots hold chunks q and q+1.
 * Loader threads take work item by item under one mutex: the oldest chunk
 * being filled first, so chunk k is ready as early as possible while k+1
 * starts as soon as there are idle threads. Each thread owns a ramp_pp;
 * images are opened, decoded and transformed straight into the slot.
 *
 * The consumer (ramp_gen_next) builds a batch from the current slot; a batch
 * lying inside one slot is handed out in place (no copy), one that crosses
 * into the next chunk is gathered into a batch buffer. A slot is given back
 * to the threads when the consumer has moved past it — at the next call, so
 * that in-place batches stay valid until then. The time spent waiting for a
 * slot is the stall.
 *
 * Targets: every sample's geometry (the map from its original image to the
 * tensor, image.h) is kept beside it. For detection data the sample's
 * objects are moved through that map into the tensor's pixels (up to
 * obj_cap per sample in the slot, packed with offsets in a batch, which is
 * therefore always gathered); for segmentation its mask is decoded and
 * warped onto the tensor's pixels (nearest neighbour) into the slot.
 *
 * Pins: each slot's X, y and targets live in one reference-counted block,
 * and so do the gathered-batch buffers. ramp_gen_next_pinned takes a reference on the
 * block behind the batch; when the consumer gives back a slot (or starts a
 * gathered batch) whose block is still referenced, the block is detached —
 * the last pin frees it — and the slot gets a fresh one. The loader never
 * waits for a pin; the memory bound grows by what the caller keeps pinned.
 *
 * Host memory: every block (slots, gathered batches, and the fresh ones
 * that replace detached blocks) comes from the builder's allocator table
 * (core's ramp__hostmem): malloc, or page-locked memory with
 * opts.pin_memory, so that a batch handed out is one a device copies by
 * DMA, asynchronously. The table is chosen once, when the builder is made,
 * and a builder that asks for page-locked memory where none can be had
 * fails then (RAMP_EUNSUPPORTED), not at its first batch. Tests swap the
 * table for a counting or failing one (loaderInt.h).
 *
 * Recycling: each generator draws its blocks through a small pool over
 * the builder's table. A block detached for its pins goes back to the pool
 * when its last pin is released, and the next fresh block of that size
 * reuses it (one spare chunk buffer and one spare batch buffer at most). A
 * consumer that holds each batch a little past the next one (Python's
 * arrays, a device copy in flight) therefore
 * costs no allocation per chunk once the first epoch has run — page-locked
 * memory is slow to get and to give back (the driver locks each page). The
 * pool outlives its generator while blocks remain (each holds a reference).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/coreInt.h"
#include "core/genInt.h"
#include "loader/loaderInt.h"
#include "ramp/dataset.h"
#include "ramp/loader.h"

#define NSLOTS 2
#define MAX_OWNED 64

enum { SLOT_FREE, SLOT_FILLING, SLOT_READY };

/* What one block holds for n samples: X, the labels, each sample's geometry
   (8 doubles: the map, then the original width and height) and, when the
   data has them, the masks (mask_h × mask_w each) and the objects (ocnt[i]
   of them at obj + i × obj_cap in a slot; in a gathered batch ocnt holds
   n + 1 offsets into a packed obj). */
typedef struct bufs {
    float *X;
    int32_t *y;
    double *geom;
    int32_t *mask;
    size_t *ocnt;
    ramp_obj *obj;
} bufs;

typedef struct slot {
    int state;
    uint64_t seq;          /* chunk number */
    int epoch;
    size_t count;          /* samples in this chunk */
    const uint32_t *items; /* positions in the subset, borrowed from an order buffer */
    ramp__blk *blk;        /* holds b's arrays */
    bufs b;                /* chunk_size samples */
    size_t next_item;      /* next item to hand to a thread */
    size_t done_items;
    ramp_status st;
    char err[768];
} slot;

typedef struct blk_pool blk_pool;

typedef struct stream_gen {
    ramp_gen base;
    ramp_gen_builder *gb;
    blk_pool *pool; /* where its blocks come from */
    uint32_t *subset; /* sample numbers of the builder, n of them */
    size_t n;
    int shuffle;
    int one_pass; /* a prediction pass: nothing is read past its last sample */
    ramp_transform_fn tf;
    size_t chunk_size;
    size_t chunks_per_epoch;

    pthread_mutex_t mu;
    pthread_cond_t cv_work;  /* threads: a slot to fill or items to take */
    pthread_cond_t cv_ready; /* consumer: a slot became ready */
    pthread_t *threads;
    int n_threads;
    int started;
    int stop;

    slot slots[NSLOTS];
    uint64_t next_assign; /* next chunk number to put in a slot */
    uint32_t *order[2];   /* visiting orders of two consecutive epochs */
    int order_epoch[2];

    /* consumer state */
    uint64_t consume_seq; /* chunk being consumed */
    size_t pos_in_chunk;
    int release_pending; /* the slot of consume_seq-1 is still lent out in place */
    ramp__blk *xblk;     /* the gathered batch */
    size_t xcap;         /* its samples: the batch size, at most n (a batch never
                            crosses an epoch's end) */
    bufs xb;

    /* counters: load_seconds is the wall time during which at least one slot
       was being filled, so two slots filling at once are not counted twice */
    uint64_t images;
    int n_filling;
    double busy_since;
    double load_seconds;
    double stall_seconds;
} stream_gen;

struct ramp_gen_builder {
    ramp_samples s;
    ramp_transform_fn tf, tf_test;
    ramp_loader_opts o;
    const ramp__hostmem *hm; /* where the blocks come from (pageable or page-locked) */
    int ndim;
    int shape[4];
    size_t sample_size;
    /* targets: the tensor's width and height as the geometry sees them (the
       masks' size), and the most objects a sample has */
    int mask_w, mask_h;
    size_t obj_cap;
    ramp_gen *owned[MAX_OWNED];
    int n_owned;
    ramp_gen_stats freed; /* counters of generators already freed */
    uint64_t served; /* samples handed out by its shuffled (training) generators */
    /* progress: the listener, the clock's start, the current epoch's start
       (time and samples served), which the last epoch's end sets, and the
       last report's (epoch, batch) */
    ramp_progress_fn progress_fn;
    void *progress_user;
    double progress_t0, epoch_t0;
    uint64_t epoch_served0;
    int last_epoch, last_was_end;
    size_t last_batch;
    char errmsg[1024];
};

/* ---- a sample through the transform ---------------------------------------- */

/* Opens sample `i` of the builder and runs `tf` into dst (sample_size floats,
   or NULL to learn the shape into *shape_out). */
static ramp_status run_transform(ramp_gen_builder *gb, ramp_pp *pp, ramp_transform_fn tf,
                                 size_t i, uint64_t epoch, float *dst, ramp_tensor *shape_out,
                                 int src_wh[2], char *err, size_t errlen)
{
    ramp_pp_reset(pp);
    ramp_pp_seed(pp, gb->o.seed, epoch, i);
    const char *id = gb->s.ids ? gb->s.ids[i] : gb->s.paths[i];
    const ramp_image *x = ramp_img_open(pp, gb->s.paths[i]);
    if (!x) {
        snprintf(err, errlen, "sample '%s': %s", id, ramp_pp_errmsg(pp));
        return ramp_pp_status(pp);
    }
    if (src_wh) {
        src_wh[0] = ramp_img_width(x);
        src_wh[1] = ramp_img_height(x);
    }
    ramp_tensor t = {dst, dst ? gb->sample_size : 0, 0, {0, 0, 0, 0}};
    ramp_status st = tf(pp, x, &t);
    if (!st && ramp_pp_status(pp)) st = ramp_pp_status(pp);
    if (st) {
        const char *m = ramp_pp_errmsg(pp);
        snprintf(err, errlen, "sample '%s': transform failed: %s%s", id,
                 m[0] ? m : ramp_strerror(st), "");
        return st;
    }
    if (t.ndim < 1 || t.ndim > 4 || !t.data) {
        snprintf(err, errlen, "sample '%s': transform returned no tensor (ndim %d)", id, t.ndim);
        return RAMP_EBADOUTPUT;
    }
    if (shape_out) {
        *shape_out = t;
        return RAMP_OK;
    }
    int same = t.ndim == gb->ndim;
    for (int d = 0; same && d < t.ndim; d++) same = t.shape[d] == gb->shape[d];
    if (!same) {
        char a[64], b[64];
        int la = 0, lb = 0;
        for (int d = 0; d < t.ndim; d++)
            la += snprintf(a + la, sizeof a - (size_t)la, d ? "×%d" : "%d", t.shape[d]);
        for (int d = 0; d < gb->ndim; d++)
            lb += snprintf(b + lb, sizeof b - (size_t)lb, d ? "×%d" : "%d", gb->shape[d]);
        snprintf(err, errlen, "sample '%s': transform gave shape %s, expected %s (every sample "
                 "must give the same shape)", id, a, b);
        return RAMP_ESHAPE;
    }
    if (t.data != dst) memcpy(dst, t.data, gb->sample_size * sizeof(float));
    return RAMP_OK;
}

/* The map of the tensor just made from sample i's image (src_wh) and its
   size: the one ramp_img_to_tensor recorded, or, for a transform that made
   its tensor another way, a plain resize of the whole image onto the
   tensor's last two dimensions. */
static void tensor_geometry(const ramp_gen_builder *gb, const ramp_pp *pp, const int src_wh[2],
                            double a[6], int *tw, int *th)
{
    if (ramp_pp_geometry(pp, a, tw, th) == 0) return;
    *tw = gb->ndim >= 2 ? gb->shape[gb->ndim - 1] : 1;
    *th = gb->ndim >= 2 ? gb->shape[gb->ndim - 2] : 1;
    a[0] = (double)*tw / (src_wh[0] > 0 ? src_wh[0] : 1);
    a[4] = (double)*th / (src_wh[1] > 0 ? src_wh[1] : 1);
    a[1] = a[2] = a[3] = a[5] = 0;
}

/* Sample i's geometry and targets into item `item` of b, after its
   transform ran on pp (whose arena still holds that call's images). */
static ramp_status run_targets(ramp_gen_builder *gb, ramp_pp *pp, size_t i, const int src_wh[2],
                               bufs *b, size_t item, char *err, size_t errlen)
{
    const char *id = gb->s.ids ? gb->s.ids[i] : gb->s.paths[i];
    double a[6];
    int tw, th;
    tensor_geometry(gb, pp, src_wh, a, &tw, &th);
    double *geo = b->geom + item * 8;
    memcpy(geo, a, sizeof a);
    geo[6] = src_wh[0];
    geo[7] = src_wh[1];
    if (b->ocnt) {
        size_t o0 = gb->s.obj_off[i], o1 = gb->s.obj_off[i + 1];
        b->ocnt[item] = ramp_objs_transform(b->obj + item * gb->obj_cap, gb->s.objs + o0, o1 - o0,
                                            a, tw, th, gb->s.geometry,
                                            gb->o.keep_objects ? -1.0 : 0.25);
    }
    if (b->mask) {
        if (tw != gb->mask_w || th != gb->mask_h) {
            snprintf(err, errlen,
                     "sample '%s': the transform's image is %d×%d, the first sample's %d×%d "
                     "(every mask is warped to one size)", id, tw, th, gb->mask_w, gb->mask_h);
            return RAMP_ESHAPE;
        }
        const ramp_image *m =
            gb->s.mask_bytes && gb->s.mask_bytes[i]
                ? ramp_img_from_memory(pp, gb->s.mask_bytes[i], gb->s.mask_len[i], id)
                : gb->s.mask_paths && gb->s.mask_paths[i] ? ramp_img_open(pp, gb->s.mask_paths[i])
                                                          : NULL;
        size_t stride = 0;
        const uint8_t *px = m ? ramp_img_pixels(pp, m, &stride) : NULL;
        if (!px) {
            snprintf(err, errlen, "mask of sample '%s': %s", id,
                     m || ramp_pp_status(pp) ? ramp_pp_errmsg(pp) : "none given");
            return m || ramp_pp_status(pp) ? ramp_pp_status(pp) : RAMP_EINVAL;
        }
        int mw = ramp_img_width(m), mh = ramp_img_height(m);
        if (ramp_img_channels(m) != 1 || ramp_img_bits(m) != 8) {
            snprintf(err, errlen, "mask of sample '%s': %d channels of %d bits (a mask is 8-bit gray)",
                     id, ramp_img_channels(m), ramp_img_bits(m));
            return RAMP_EFORMAT;
        }
        if (mw != src_wh[0] || mh != src_wh[1]) {
            snprintf(err, errlen, "mask of sample '%s' is %d×%d, its image %d×%d", id, mw, mh,
                     src_wh[0], src_wh[1]);
            return RAMP_ESHAPE;
        }
        size_t mp = (size_t)tw * (size_t)th;
        int32_t *dst = b->mask + item * mp;
        ramp_status st = ramp_mask_warp(dst, tw, th, px, stride, mw, mh, a);
        if (st) {
            snprintf(err, errlen, "mask of sample '%s': the transform's map cannot be inverted",
                     id);
            return st;
        }
        for (size_t p = 0; p < mp; p++)
            if (dst[p] != RAMP_IGNORE_LABEL && dst[p] >= gb->s.n_classes) {
                snprintf(err, errlen,
                         "mask of sample '%s': value %d is not a class (0..%d) nor %d (void)", id,
                         (int)dst[p], gb->s.n_classes - 1, RAMP_IGNORE_LABEL);
                return RAMP_ERANGE;
            }
    }
    return RAMP_OK;
}

/* ---- the loader threads ---------------------------------------------------- */

/* Visiting order of `epoch` (under the lock). */
static const uint32_t *epoch_order(stream_gen *g, int epoch)
{
    int k = epoch & 1;
    if (g->order_epoch[k] != epoch) {
        for (size_t i = 0; i < g->n; i++) g->order[k][i] = (uint32_t)i;
        if (g->shuffle) {
            ramp_rng r;
            ramp_rng_seed(&r, g->gb->o.seed ^ 0x5348554646ULL, (uint64_t)epoch);
            ramp_rng_shuffle(&r, g->order[k], (uint32_t)g->n);
        }
        g->order_epoch[k] = epoch;
    }
    return g->order[k];
}

/* Puts the next chunks into free slots (under the lock). */
static void assign_chunks(stream_gen *g)
{
    for (;;) {
        slot *s = &g->slots[g->next_assign % NSLOTS];
        if (s->state != SLOT_FREE) return;
        if (g->one_pass && g->next_assign >= g->chunks_per_epoch) return;
        uint64_t q = g->next_assign++;
        int epoch = (int)(q / g->chunks_per_epoch);
        size_t c = (size_t)(q % g->chunks_per_epoch);
        size_t first = c * g->chunk_size;
        s->seq = q;
        s->epoch = epoch;
        s->count = g->n - first < g->chunk_size ? g->n - first : g->chunk_size;
        s->items = epoch_order(g, epoch) + first;
        s->next_item = 0;
        s->done_items = 0;
        s->st = RAMP_OK;
        s->err[0] = '\0';
        if (g->n_filling++ == 0) g->busy_since = ramp__now();
        s->state = SLOT_FILLING;
    }
}

static void *worker_main(void *arg)
{
    stream_gen *g = arg;
    ramp_gen_builder *gb = g->gb;
    ramp_pp *pp = NULL;
    ramp_err pe;
    ramp_status pst = ramp_pp_new(&pp, &pe);
    if (!pst) ramp_pp_set_max_pixels(pp, gb->o.max_pixels);
    char err[768];
    pthread_mutex_lock(&g->mu);
    for (;;) {
        if (g->stop) break;
        assign_chunks(g);
        /* the oldest filling slot with items left */
        slot *s = NULL;
        for (int k = 0; k < NSLOTS; k++) {
            slot *c = &g->slots[k];
            if (c->state == SLOT_FILLING && c->next_item < c->count && (!s || c->seq < s->seq))
                s = c;
        }
        if (!s) {
            pthread_cond_wait(&g->cv_work, &g->mu);
            continue;
        }
        size_t item = s->next_item++;
        uint32_t pos = s->items[item];
        int epoch = s->epoch;
        uint64_t seq = s->seq;
        int failed = s->st != RAMP_OK;
        pthread_mutex_unlock(&g->mu);

        size_t sample = g->subset[pos];
        ramp_status st = RAMP_OK;
        err[0] = '\0';
        if (failed) {
            /* the chunk already failed: skip the work, just count the item */
        } else if (pst) {
            st = pst;
            snprintf(err, sizeof err, "loader thread: %.700s", pe.msg);
        } else {
            int wh[2];
            st = run_transform(gb, pp, g->tf, sample, (uint64_t)epoch,
                               s->b.X + item * gb->sample_size, NULL, wh, err, sizeof err);
            if (!st) st = run_targets(gb, pp, sample, wh, &s->b, item, err, sizeof err);
        }
        if (!failed) s->b.y[item] = gb->s.labels ? gb->s.labels[sample] : -1;

        pthread_mutex_lock(&g->mu);
        if (s->seq == seq) {
            if (st && s->st == RAMP_OK) {
                s->st = st;
                snprintf(s->err, sizeof s->err, "%s", err);
            }
            if (++s->done_items == s->count) {
                s->state = SLOT_READY;
                g->images += s->count;
                if (--g->n_filling == 0) g->load_seconds += ramp__now() - g->busy_since;
                pthread_cond_broadcast(&g->cv_ready);
            }
        }
    }
    pthread_mutex_unlock(&g->mu);
    ramp_pp_free(pp);
    return NULL;
}

static ramp_status start_threads(stream_gen *g)
{
    g->threads = calloc((size_t)g->n_threads, sizeof *g->threads);
    if (!g->threads) return ramp__gen_fail(&g->base, RAMP_ENOMEM, "loader: out of memory");
    int wanted = g->n_threads;
    for (int i = 0; i < wanted; i++) {
        if (pthread_create(&g->threads[i], NULL, worker_main, g) != 0) {
            /* run with the threads that did start (stopped and joined by
               stream_destroy); none at all is an error */
            g->n_threads = i;
            if (i == 0) {
                free(g->threads);
                g->threads = NULL;
                g->n_threads = wanted;
                return ramp__gen_fail(&g->base, RAMP_EINTERNAL, "loader: cannot start threads");
            }
            break;
        }
    }
    g->started = 1;
    return RAMP_OK;
}

/* ---- the buffers ------------------------------------------------------------ */

#define POOL_SPARES 2

/* A table over the builder's (`base`) that keeps blocks given back for the
   next allocation of the same size: one of each size (a generator's blocks
   have two: a chunk's and a batch's), POOL_SPARES in all. */
typedef struct pool_spare {
    void *p;
    size_t bytes;
} pool_spare;

struct blk_pool {
    ramp__hostmem tbl; /* what the blocks point to; tbl.ctx is the pool */
    const ramp__hostmem *base;
    pthread_mutex_t mu;
    long refs;  /* the generator's, and one per block out (under mu) */
    int closed; /* the generator is gone: blocks given back are freed */
    int n_spare;
    pool_spare spare[POOL_SPARES];
};

static void *pool_alloc(const ramp__hostmem *hm, size_t bytes, char *why, size_t len)
{
    blk_pool *pl = hm->ctx;
    void *p = NULL;
    pthread_mutex_lock(&pl->mu);
    for (int i = 0; i < pl->n_spare && !p; i++)
        if (pl->spare[i].bytes == bytes) {
            p = pl->spare[i].p;
            pl->spare[i] = pl->spare[--pl->n_spare];
        }
    if (p) pl->refs++;
    pthread_mutex_unlock(&pl->mu);
    if (p) return p;
    p = pl->base->alloc(pl->base, bytes, why, len);
    if (p) {
        pthread_mutex_lock(&pl->mu);
        pl->refs++;
        pthread_mutex_unlock(&pl->mu);
    }
    return p;
}

/* Drops one reference (under the lock); the last one frees the pool. */
static void pool_unref_locked(blk_pool *pl)
{
    int dead = --pl->refs == 0;
    pthread_mutex_unlock(&pl->mu);
    if (dead) {
        pthread_mutex_destroy(&pl->mu);
        free(pl);
    }
}

/* From any thread: the last pin of a detached block, or the generator's
   own unref. */
static void pool_free(const ramp__hostmem *hm, void *p, size_t bytes)
{
    blk_pool *pl = hm->ctx;
    pthread_mutex_lock(&pl->mu);
    int have = 0; /* a spare of this size already: one per size (chunk, batch) */
    for (int i = 0; i < pl->n_spare; i++) have |= pl->spare[i].bytes == bytes;
    if (!pl->closed && !have && pl->n_spare < POOL_SPARES) {
        pl->spare[pl->n_spare++] = (pool_spare){p, bytes};
        p = NULL;
    }
    const ramp__hostmem *base = pl->base;
    pool_unref_locked(pl); /* unlocks */
    if (p) base->free(base, p, bytes);
}

static blk_pool *pool_new(const ramp__hostmem *base)
{
    blk_pool *pl = calloc(1, sizeof *pl);
    if (!pl) return NULL;
    pl->tbl = (ramp__hostmem){base->name, base->pinned, pool_alloc, pool_free, pl};
    pl->base = base;
    pl->refs = 1;
    pthread_mutex_init(&pl->mu, NULL);
    return pl;
}

/* The generator is done with it: its spares go back to base; blocks still
   pinned keep the pool until their last release. NULL is a no-op. */
static void pool_close(blk_pool *pl)
{
    if (!pl) return;
    pthread_mutex_lock(&pl->mu);
    pl->closed = 1;
    int n = pl->n_spare;
    pl->n_spare = 0;
    const ramp__hostmem *base = pl->base;
    pool_spare sp[POOL_SPARES];
    memcpy(sp, pl->spare, sizeof sp);
    pool_unref_locked(pl); /* unlocks */
    for (int i = 0; i < n; i++) base->free(base, sp[i].p, sp[i].bytes);
}

static size_t align16(size_t v)
{
    return (v + 15) & ~(size_t)15;
}

/* A block of `n` samples with their labels, geometry and targets, from
   the generator's pool; b's arrays point into it. NULL with the reason in
   why[len]. */
static ramp__blk *samples_blk(const stream_gen *g, size_t n, bufs *b, char *why, size_t len)
{
    const ramp_gen_builder *gb = g->gb;
    size_t mp = (size_t)gb->mask_w * (size_t)gb->mask_h;
    int has_mask = gb->s.mask_paths || gb->s.mask_bytes, has_obj = gb->s.objs != NULL;
    /* the largest per-sample size, times n, with room for the sums below:
       a batch_size of 2^62 wrapped these to a few bytes, and the first
       gathered batch was written past them */
    size_t per = gb->sample_size * sizeof(float) + sizeof(int32_t) + 8 * sizeof(double) +
                 (has_mask ? mp * sizeof(int32_t) : 0) +
                 (has_obj ? sizeof(size_t) + gb->obj_cap * sizeof(ramp_obj) : 0);
    if (n >= (SIZE_MAX / 2 - 256) / per) {
        snprintf(why, len, "a buffer of %zu samples of %zu bytes is larger than memory "
                           "(batch_size too large?)", n, per);
        return NULL;
    }
    size_t oy = align16(n * gb->sample_size * sizeof(float));
    size_t og = align16(oy + n * sizeof(int32_t));
    size_t om = align16(og + n * 8 * sizeof(double));
    size_t oc = align16(om + (has_mask ? n * mp * sizeof(int32_t) : 0));
    size_t oo = align16(oc + (has_obj ? (n + 1) * sizeof(size_t) : 0));
    size_t end = oo + (has_obj ? n * gb->obj_cap * sizeof(ramp_obj) : 0);
    ramp__blk *blk = ramp__blk_new(&g->pool->tbl, end, why, len);
    if (!blk) return NULL;
    char *base = ramp__blk_data(blk);
    b->X = (float *)base;
    b->y = (int32_t *)(base + oy);
    b->geom = (double *)(base + og);
    b->mask = has_mask ? (int32_t *)(base + om) : NULL;
    b->ocnt = has_obj ? (size_t *)(base + oc) : NULL;
    b->obj = has_obj ? (ramp_obj *)(base + oo) : NULL;
    return blk;
}

/* Makes sure *blk is not shared with a pin before it is written again:
   detaches a shared one (the pins keep it) for a fresh one, from the same
   allocator (page-locked for a pinned builder). */
static ramp_status unshare(const stream_gen *g, ramp__blk **blk, size_t n, bufs *b, char *why,
                           size_t len)
{
    if (!ramp__blk_shared(*blk)) return RAMP_OK;
    bufs nb;
    ramp__blk *fresh = samples_blk(g, n, &nb, why, len);
    if (!fresh) return RAMP_ENOMEM;
    ramp__blk_unref(*blk);
    *blk = fresh;
    *b = nb;
    return RAMP_OK;
}

/* ---- the consumer ---------------------------------------------------------- */

/* Gives the slot of chunk `seq` back to the threads (under the lock). */
static ramp_status release_slot(stream_gen *g, uint64_t seq)
{
    slot *s = &g->slots[seq % NSLOTS];
    char why[300];
    if (unshare(g, &s->blk, g->chunk_size, &s->b, why, sizeof why))
        return ramp__gen_fail(&g->base, RAMP_ENOMEM,
                              "loader: no %s memory for a chunk buffer of %zu samples (the old "
                              "one is still held by batches in use: hold fewer, or allow the "
                              "fold more memory): %s", g->gb->hm->name, g->chunk_size, why);
    s->state = SLOT_FREE;
    assign_chunks(g);
    pthread_cond_broadcast(&g->cv_work);
    return RAMP_OK;
}

/* Waits until chunk consume_seq is ready (under the lock). */
static ramp_status wait_ready(stream_gen *g, slot **out)
{
    slot *s = &g->slots[g->consume_seq % NSLOTS];
    if (!(s->state == SLOT_READY && s->seq == g->consume_seq)) {
        double t0 = ramp__now();
        while (!(s->state == SLOT_READY && s->seq == g->consume_seq))
            pthread_cond_wait(&g->cv_ready, &g->mu);
        g->stall_seconds += ramp__now() - t0;
    }
    if (s->st) {
        /* the builder keeps it too: a classifier's fit returns a bare status,
           and the fold names the sample from ramp_gen_builder_errmsg */
        ramp__gen_fail(&g->base, s->st, "%s", s->err);
        snprintf(g->gb->errmsg, sizeof g->gb->errmsg, "%s", s->err);
        return s->st;
    }
    *out = s;
    return RAMP_OK;
}

static ramp_status stream_next(ramp_gen *base, ramp_batch *b)
{
    stream_gen *g = (stream_gen *)base;
    ramp_gen_builder *gb = g->gb;
    if (!g->started) {
        ramp_status st = start_threads(g);
        if (st) return st;
    }
    size_t ss = gb->sample_size;
    pthread_mutex_lock(&g->mu);
    ramp_status st = RAMP_OK;
    if (g->release_pending) {
        st = release_slot(g, g->consume_seq - 1);
        if (st) {
            pthread_mutex_unlock(&g->mu);
            return st;
        }
        g->release_pending = 0;
    }
    if (g->one_pass && g->consume_seq >= g->chunks_per_epoch) {
        pthread_mutex_unlock(&g->mu);
        snprintf(gb->errmsg, sizeof gb->errmsg, "prediction generator: read past its one pass");
        return RAMP_ERANGE;
    }
    /* position within the epoch decides the batch length */
    size_t chunk_in_epoch = (size_t)(g->consume_seq % g->chunks_per_epoch);
    size_t pos_in_epoch = chunk_in_epoch * g->chunk_size + g->pos_in_chunk;
    size_t need = g->n - pos_in_epoch;
    if (need > base->batch_size) need = base->batch_size;
    size_t got = 0;
    int epoch = -1;
    ramp__blk *lent = NULL;
    size_t mp = (size_t)gb->mask_w * (size_t)gb->mask_h, cap = gb->obj_cap;
    int gather = gb->s.objs != NULL; /* packed objects: always a gathered batch */
    int gathered = 0;
    while (got < need) {
        slot *s = NULL;
        st = wait_ready(g, &s);
        if (st) break;
        epoch = s->epoch;
        size_t k = s->count - g->pos_in_chunk;
        if (k > need - got) k = need - got;
        size_t pos = g->pos_in_chunk;
        if (got == 0 && k == need && !gather) { /* the whole batch inside this chunk: lend it */
            b->X = s->b.X + pos * ss;
            b->y = s->b.y + pos;
            b->geom = s->b.geom + pos * 8;
            b->mask = s->b.mask ? s->b.mask + pos * mp : NULL;
            lent = s->blk;
        } else {
            char why[300];
            if (got == 0 &&
                (st = unshare(g, &g->xblk, g->xcap, &g->xb, why, sizeof why))) {
                ramp__gen_fail(base, st, "loader: no %s memory for a batch buffer of %zu "
                               "samples (the old one is still held by batches in use: hold "
                               "fewer, or allow the fold more memory): %s", gb->hm->name,
                               g->xcap, why);
                break;
            }
            bufs *x = &g->xb;
            gathered = 1;
            lent = g->xblk;
            memcpy(x->X + got * ss, s->b.X + pos * ss, k * ss * sizeof(float));
            memcpy(x->y + got, s->b.y + pos, k * sizeof(int32_t));
            memcpy(x->geom + got * 8, s->b.geom + pos * 8, k * 8 * sizeof(double));
            if (x->mask) memcpy(x->mask + got * mp, s->b.mask + pos * mp, k * mp * sizeof(int32_t));
            if (x->ocnt) {
                if (got == 0) x->ocnt[0] = 0;
                for (size_t j = 0; j < k; j++) {
                    size_t c = s->b.ocnt[pos + j], at = x->ocnt[got + j];
                    memcpy(x->obj + at, s->b.obj + (pos + j) * cap, c * sizeof(ramp_obj));
                    x->ocnt[got + j + 1] = at + c;
                }
            }
            b->X = x->X;
            b->y = x->y;
            b->geom = x->geom;
            b->mask = x->mask;
        }
        got += k;
        g->pos_in_chunk += k;
        if (g->pos_in_chunk == s->count) {
            g->pos_in_chunk = 0;
            g->consume_seq++;
            if (gathered) {
                st = release_slot(g, g->consume_seq - 1); /* copied out: free now */
                if (st) {
                    g->release_pending = 1; /* retried at the next call */
                    break;
                }
            } else {
                g->release_pending = 1;
            }
        }
    }
    if (!st && base->pinning) {
        ramp__blk_ref(lent);
        base->lent = lent;
    }
    pthread_mutex_unlock(&g->mu);
    if (st) return st;
    b->n = need;
    b->obj = gather ? g->xb.obj : NULL;
    b->obj_off = gather ? g->xb.ocnt : NULL;
    b->mask_h = b->mask ? gb->mask_h : 0;
    b->mask_w = b->mask ? gb->mask_w : 0;
    b->sample_size = ss;
    b->ndim = gb->ndim;
    memcpy(b->shape, gb->shape, sizeof b->shape);
    b->epoch = epoch;
    b->end_of_epoch = pos_in_epoch + need == g->n;
    b->pinned = gb->hm->pinned;
    if (!gb->s.labels) b->y = NULL;
    if (g->shuffle) gb->served += need;
    return RAMP_OK;
}

static void stream_destroy(ramp_gen *base)
{
    stream_gen *g = (stream_gen *)base;
    if (g->started) {
        pthread_mutex_lock(&g->mu);
        g->stop = 1;
        pthread_cond_broadcast(&g->cv_work);
        pthread_mutex_unlock(&g->mu);
        for (int i = 0; i < g->n_threads; i++) pthread_join(g->threads[i], NULL);
    }
    free(g->threads);
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->cv_work);
    pthread_cond_destroy(&g->cv_ready);
    for (int k = 0; k < NSLOTS; k++) ramp__blk_unref(g->slots[k].blk); /* pins keep theirs */
    free(g->order[0]);
    free(g->order[1]);
    ramp__blk_unref(g->xblk);
    pool_close(g->pool); /* after the generator's own blocks: their spares are freed */
    free(g->subset);
    /* unregister from the builder, keeping its counters */
    ramp_gen_builder *gb = g->gb;
    gb->freed.images += g->images;
    gb->freed.load_seconds += g->load_seconds + (g->n_filling > 0 ? ramp__now() - g->busy_since : 0);
    gb->freed.stall_seconds += g->stall_seconds;
    for (int i = 0; i < gb->n_owned; i++)
        if (gb->owned[i] == base) {
            gb->owned[i] = gb->owned[--gb->n_owned];
            break;
        }
    free(g);
}

static const ramp_gen_vtable stream_vtable = {stream_next, stream_destroy};
static void stream_progress(ramp_gen *base, const ramp_progress *p);

static ramp_status stream_new(ramp_gen_builder *gb, const uint32_t *subset, size_t n,
                              size_t batch_size, int shuffle, int train, ramp_gen **out)
{
    *out = NULL;
    if (n == 0 || n > UINT32_MAX || batch_size == 0) {
        snprintf(gb->errmsg, sizeof gb->errmsg, "generator: %s",
                 n == 0 ? "no samples" : batch_size == 0 ? "batch size 0" : "too many samples");
        return RAMP_EINVAL;
    }
    if (gb->n_owned == MAX_OWNED) {
        snprintf(gb->errmsg, sizeof gb->errmsg, "generator: more than %d generators alive",
                 MAX_OWNED);
        return RAMP_ERANGE;
    }
    stream_gen *g = calloc(1, sizeof *g);
    if (!g) {
        snprintf(gb->errmsg, sizeof gb->errmsg, "generator: out of memory");
        return RAMP_ENOMEM;
    }
    ramp__gen_init(&g->base, &stream_vtable, n, batch_size, gb->s.n_classes);
    g->base.progress = stream_progress;
    g->gb = gb;
    g->n = n;
    g->shuffle = shuffle;
    g->tf = train ? gb->tf : gb->tf_test;
    g->chunk_size = gb->o.chunk_size < n ? gb->o.chunk_size : n;
    g->chunks_per_epoch = (n + g->chunk_size - 1) / g->chunk_size;
    g->n_threads = gb->o.n_jobs;
    g->order_epoch[0] = g->order_epoch[1] = -1;
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv_work, NULL);
    pthread_cond_init(&g->cv_ready, NULL);
    size_t ss = gb->sample_size;
    g->subset = malloc(n * sizeof *g->subset);
    g->order[0] = malloc(n * sizeof(uint32_t));
    g->order[1] = malloc(n * sizeof(uint32_t));
    char why[300] = "out of memory";
    int ok = g->subset && g->order[0] && g->order[1];
    g->pool = pool_new(gb->hm);
    ok = ok && g->pool;
    g->xcap = batch_size < n ? batch_size : n; /* a batch_size past n: batches of n */
    if (ok) ok = (g->xblk = samples_blk(g, g->xcap, &g->xb, why, sizeof why)) != NULL;
    for (int k = 0; ok && k < NSLOTS; k++) {
        slot *sl = &g->slots[k];
        sl->blk = samples_blk(g, g->chunk_size, &sl->b, why, sizeof why);
        ok = sl->blk != NULL;
    }
    if (!ok) {
        snprintf(gb->errmsg, sizeof gb->errmsg,
                 "generator: no %s memory for its buffers (2 chunks of %zu samples and a batch "
                 "of %zu, %zu floats each): %s",
                 gb->hm->name, g->chunk_size, batch_size, ss, why);
        stream_destroy(&g->base);
        return RAMP_ENOMEM;
    }
    if (subset)
        memcpy(g->subset, subset, n * sizeof *subset);
    else
        for (size_t i = 0; i < n; i++) g->subset[i] = (uint32_t)i;
    gb->owned[gb->n_owned++] = &g->base;
    *out = &g->base;
    return RAMP_OK;
}

/* ---- the builder -------------------------------------------------------------- */

/* Checks the samples' targets (offsets ascending, within bounds; masks
   given for every row) and learns obj_cap. */
static ramp_status targets_check(ramp_gen_builder *gb, char *msg, size_t len)
{
    const ramp_samples *s = &gb->s;
    if (s->objs) {
        if (!s->obj_off || s->obj_off[0] != 0) {
            snprintf(msg, len, "samples: objects without offsets (obj_off[0] must be 0)");
            return RAMP_EINVAL;
        }
        if (s->geometry != 0 && s->geometry != 1) {
            snprintf(msg, len, "samples: geometry %d (0 boxes, 1 circles)", s->geometry);
            return RAMP_EINVAL;
        }
        for (size_t i = 0; i < s->n; i++) {
            if (s->obj_off[i + 1] < s->obj_off[i]) {
                snprintf(msg, len, "samples: object offsets go down at row %zu", i);
                return RAMP_EINVAL;
            }
            size_t c = s->obj_off[i + 1] - s->obj_off[i];
            if (c > gb->obj_cap) gb->obj_cap = c;
        }
    }
    if (s->mask_bytes && !s->mask_len) {
        snprintf(msg, len, "samples: mask bytes without their lengths");
        return RAMP_EINVAL;
    }
    return RAMP_OK;
}

static int shape_equal(const ramp_tensor *a, const ramp_tensor *b)
{
    if (a->ndim != b->ndim) return 0;
    for (int d = 0; d < a->ndim; d++)
        if (a->shape[d] != b->shape[d]) return 0;
    return 1;
}

ramp_status ramp_gen_builder_new(ramp_gen_builder **out, const ramp_samples *samples,
                                 ramp_transform_fn tf, ramp_transform_fn tf_test,
                                 const ramp_loader_opts *opts, ramp_err *err)
{
    ramp__err_clear(err);
    if (!out) return ramp__err_set(err, RAMP_EINVAL, "ramp_gen_builder_new: out is NULL");
    *out = NULL;
    if (!samples || !samples->paths || samples->n == 0 || !tf)
        return ramp__err_set(err, RAMP_EINVAL, "generator builder: no samples or no transform");
    ramp_gen_builder *gb = calloc(1, sizeof *gb);
    if (!gb) return ramp__err_set(err, RAMP_ENOMEM, "generator builder: out of memory");
    gb->s = *samples;
    gb->tf = tf;
    gb->tf_test = tf_test ? tf_test : tf;
    if (opts) gb->o = *opts;
    if (!gb->o.chunk_size) gb->o.chunk_size = 1024;
    if (gb->o.n_jobs <= 0) gb->o.n_jobs = 2;
    if (gb->o.n_jobs > 64) gb->o.n_jobs = 64;
    if (!gb->o.max_pixels) gb->o.max_pixels = RAMP_DEFAULT_MAX_PIXELS;
    gb->o.pin_memory = gb->o.pin_memory != 0;
    gb->hm = &ramp__hostmem_pageable;
    if (gb->o.pin_memory) {
        char why[400];
        gb->hm = ramp__hostmem_pinned(why, sizeof why);
        if (!gb->hm) {
            free(gb);
            return ramp__err_set(err, RAMP_EUNSUPPORTED,
                                 "generator builder: pin_memory asks for page-locked batch "
                                 "buffers, which cannot be had here: %s (pin_memory is for "
                                 "feeding a CUDA device; leave it 0 on the CPU)", why);
        }
    }

    /* learn the sample shape from sample 0, with both transforms */
    ramp_pp *pp = NULL;
    ramp_status st = ramp_pp_new(&pp, err);
    if (st) {
        free(gb);
        return st;
    }
    ramp_pp_set_max_pixels(pp, gb->o.max_pixels);
    char msg[768];
    ramp_tensor t1, t2;
    int wh[2];
    double a[6];
    st = targets_check(gb, msg, sizeof msg);
    if (!st) st = run_transform(gb, pp, gb->tf, 0, 0, NULL, &t1, wh, msg, sizeof msg);
    if (!st) {
        gb->ndim = t1.ndim; /* for tensor_geometry's fall-back */
        memcpy(gb->shape, t1.shape, sizeof gb->shape);
        tensor_geometry(gb, pp, wh, a, &gb->mask_w, &gb->mask_h);
    }
    if (!st && gb->tf_test != gb->tf) {
        t1.data = NULL; /* arena memory; only the shape is kept */
        st = run_transform(gb, pp, gb->tf_test, 0, 0, NULL, &t2, NULL, msg, sizeof msg);
        if (!st && !shape_equal(&t1, &t2)) {
            snprintf(msg, sizeof msg,
                     "transform and transform_test give different shapes (ndim %d vs %d)",
                     t1.ndim, t2.ndim);
            st = RAMP_ESHAPE;
        }
    }
    ramp_pp_free(pp);
    if (st) {
        free(gb);
        return ramp__err_set(err, st, "%s", msg);
    }
    gb->ndim = t1.ndim;
    gb->sample_size = 1;
    for (int d = 0; d < t1.ndim; d++) {
        gb->shape[d] = t1.shape[d];
        gb->sample_size *= (size_t)t1.shape[d];
    }
    *out = gb;
    return RAMP_OK;
}

void ramp_gen_builder_free(ramp_gen_builder *gb)
{
    if (!gb) return;
    while (gb->n_owned > 0) ramp_gen_free(gb->owned[gb->n_owned - 1]);
    free(gb);
}

size_t ramp_gen_builder_n_samples(const ramp_gen_builder *gb)
{
    return gb ? gb->s.n : 0;
}

int ramp_gen_builder_n_classes(const ramp_gen_builder *gb)
{
    return gb ? gb->s.n_classes : 0;
}

int ramp_gen_builder_shape(const ramp_gen_builder *gb, int shape[4])
{
    if (!gb) return 0;
    memcpy(shape, gb->shape, 4 * sizeof(int));
    return gb->ndim;
}

const char *ramp_gen_builder_errmsg(const ramp_gen_builder *gb)
{
    return gb ? gb->errmsg : "";
}

ramp_status ramp_gen_builder_subset(ramp_gen_builder *gb, const uint32_t *idx, size_t n,
                                    size_t batch_size, int shuffle, int train, ramp_gen **out)
{
    if (!gb) return RAMP_EINVAL; /* no handle to hold a message */
    if (!out) {
        snprintf(gb->errmsg, sizeof gb->errmsg, "generator: out is NULL");
        return RAMP_EINVAL;
    }
    for (size_t i = 0; idx && i < n; i++)
        if (idx[i] >= gb->s.n) {
            snprintf(gb->errmsg, sizeof gb->errmsg, "subset: sample %u out of range", idx[i]);
            return RAMP_ERANGE;
        }
    return stream_new(gb, idx, n, batch_size, shuffle, train, out);
}

ramp_status ramp_gen_builder_predict_gen(ramp_gen_builder *gb, size_t batch_size, ramp_gen **out)
{
    return ramp_gen_builder_predict_subset(gb, NULL, gb ? gb->s.n : 0, batch_size, out);
}

ramp_status ramp_gen_builder_predict_subset(ramp_gen_builder *gb, const uint32_t *idx, size_t n,
                                            size_t batch_size, ramp_gen **out)
{
    if (!gb) return RAMP_EINVAL; /* no handle to hold a message */
    if (!out) {
        snprintf(gb->errmsg, sizeof gb->errmsg, "generator: out is NULL");
        return RAMP_EINVAL;
    }
    for (size_t i = 0; idx && i < n; i++)
        if (idx[i] >= gb->s.n) {
            snprintf(gb->errmsg, sizeof gb->errmsg, "subset: sample %u out of range", idx[i]);
            return RAMP_ERANGE;
        }
    ramp_status st = stream_new(gb, idx, n, batch_size, 0, 0, out);
    if (!st) ((stream_gen *)*out)->one_pass = 1; /* set before the threads start */
    return st;
}

const ramp_samples *ramp_gen_builder_samples(const ramp_gen_builder *gb)
{
    return gb ? &gb->s : NULL;
}

ramp_loader_opts ramp_gen_builder_opts(const ramp_gen_builder *gb)
{
    ramp_loader_opts o = {0};
    return gb ? gb->o : o;
}

ramp_status ramp_get_train_valid_generators(ramp_gen_builder *gb, size_t batch_size,
                                            double valid_ratio, ramp_gen **train,
                                            ramp_gen **valid, size_t *nb_train, size_t *nb_valid)
{
    if (!gb) return RAMP_EINVAL; /* no handle to hold a message */
    if (!train || !valid) {
        snprintf(gb->errmsg, sizeof gb->errmsg,
                 "ramp_get_train_valid_generators: train or valid is NULL");
        return RAMP_EINVAL;
    }
    *train = *valid = NULL;
    if (!(valid_ratio >= 0 && valid_ratio < 1)) {
        snprintf(gb->errmsg, sizeof gb->errmsg, "valid_ratio %g is not in [0, 1)", valid_ratio);
        return RAMP_EINVAL;
    }
    size_t n = gb->s.n;
    size_t n_valid = (size_t)(valid_ratio * (double)n);
    size_t n_train = n - n_valid;
    if (n_train == 0) {
        snprintf(gb->errmsg, sizeof gb->errmsg, "valid_ratio %g leaves no training sample",
                 valid_ratio);
        return RAMP_EINVAL;
    }
    uint32_t *tr = malloc(n * sizeof *tr);
    uint32_t *va = malloc((n_valid ? n_valid : 1) * sizeof *va);
    ramp_status st = RAMP_OK;
    if (!tr || !va) {
        snprintf(gb->errmsg, sizeof gb->errmsg,
                 "train/valid split: out of memory for the row lists of %zu samples", n);
        st = RAMP_ENOMEM;
        goto done;
    }
    int stratified = 0;
    if (n_valid > 0 && gb->s.labels) {
        ramp_err e;
        stratified = ramp_split_stratified(tr, va, gb->s.labels, n, gb->s.n_classes,
                                           (double)n_valid, gb->o.seed, 0, &e) == RAMP_OK;
    }
    if (!stratified) { /* unlabelled, or too few samples per class: a plain seeded split */
        for (size_t i = 0; i < n; i++) tr[i] = (uint32_t)i;
        ramp_rng r;
        ramp_rng_seed(&r, gb->o.seed, 0x56414c4944ULL);
        ramp_rng_shuffle(&r, tr, (uint32_t)n);
        memcpy(va, tr + n_train, n_valid * sizeof *va);
    }
    st = stream_new(gb, tr, n_train, batch_size, 1, 1, train);
    if (!st && n_valid) st = stream_new(gb, va, n_valid, batch_size, 0, 0, valid);
    if (st) {
        ramp_gen_free(*train);
        *train = NULL;
        goto done;
    }
    if (nb_train) *nb_train = n_train;
    if (nb_valid) *nb_valid = n_valid;
done:
    free(tr);
    free(va);
    return st;
}

ramp_gen_stats ramp_gen_stats_of(const ramp_gen *base)
{
    ramp_gen_stats r = {0, 0, 0, 0};
    if (!base || base->vt != &stream_vtable) return r;
    stream_gen *g = (stream_gen *)base;
    pthread_mutex_lock(&g->mu);
    r.images = g->images;
    r.load_seconds = g->load_seconds;
    if (g->n_filling > 0) r.load_seconds += ramp__now() - g->busy_since; /* still loading */
    r.stall_seconds = g->stall_seconds;
    pthread_mutex_unlock(&g->mu);
    r.images_per_s = r.load_seconds > 0 ? (double)r.images / r.load_seconds : 0;
    return r;
}

void ramp_gen_builder_set_progress(ramp_gen_builder *gb, ramp_progress_fn fn, void *user)
{
    if (!gb) return;
    gb->progress_fn = fn;
    gb->progress_user = user;
    gb->progress_t0 = gb->epoch_t0 = ramp__now();
    gb->epoch_served0 = gb->served;
    gb->last_epoch = -1;
    gb->last_batch = 0;
    gb->last_was_end = 1;
}

/* Times a report and passes it on. An epoch starts where the last one ended
   (or the clock started), so epoch times add up to the fit's; a loop that
   never reports an epoch's end starts the next one at its first report. */
static void builder_report(ramp_gen_builder *gb, const ramp_progress *in)
{
    if (!gb->progress_fn || !in || in->epoch < 0 || in->batch > in->n_batches) return;
    if (in->epoch == gb->last_epoch && in->batch == gb->last_batch) return; /* a repeat */
    double now = ramp__now();
    if (in->epoch != gb->last_epoch && !gb->last_was_end) { /* no end was reported */
        gb->epoch_t0 = now;
        gb->epoch_served0 = gb->served;
    }
    ramp_progress p = *in;
    p.seconds = now - gb->progress_t0;
    p.epoch_seconds = now - gb->epoch_t0;
    p.images = gb->served - gb->epoch_served0;
    int end = p.batch == p.n_batches;
    gb->last_epoch = p.epoch;
    gb->last_batch = p.batch;
    gb->last_was_end = end;
    if (end) {
        gb->epoch_t0 = now;
        gb->epoch_served0 = gb->served;
    }
    gb->progress_fn(gb->progress_user, &p);
}

static void stream_progress(ramp_gen *base, const ramp_progress *p)
{
    builder_report(((stream_gen *)base)->gb, p);
}

void ramp_gen_builder_progress(ramp_gen_builder *gb, int epoch, int n_epochs, size_t batch,
                               size_t n_batches, double loss, double accuracy)
{
    if (!gb) return;
    ramp_progress p = {epoch, n_epochs, batch, n_batches, loss, accuracy, NAN, NAN, 0, 0, 0};
    builder_report(gb, &p);
}

ramp_gen_stats ramp_gen_builder_stats(const ramp_gen_builder *gb)
{
    ramp_gen_stats r = {0, 0, 0, 0};
    if (!gb) return r;
    r = gb->freed;
    for (int i = 0; i < gb->n_owned; i++) {
        ramp_gen_stats s = ramp_gen_stats_of(gb->owned[i]);
        r.images += s.images;
        r.load_seconds += s.load_seconds;
        r.stall_seconds += s.stall_seconds;
    }
    r.images_per_s = r.load_seconds > 0 ? (double)r.images / r.load_seconds : 0;
    return r;
}

/* ---- internal (loaderInt.h) ----------------------------------------------------- */

ramp_status ramp__gen_builder_set_hostmem(ramp_gen_builder *gb, const ramp__hostmem *hm)
{
    if (!gb || !hm) return RAMP_EINVAL;
    if (gb->n_owned > 0) {
        snprintf(gb->errmsg, sizeof gb->errmsg,
                 "set_hostmem: the builder already has generators (their blocks would mix "
                 "allocators)");
        return RAMP_EINVAL;
    }
    gb->hm = hm;
    gb->o.pin_memory = hm->pinned;
    return RAMP_OK;
}
