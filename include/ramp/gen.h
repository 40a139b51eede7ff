/* ramp/gen.h — batch generators: the one interface between data and training.
 *
 * A generator yields batches forever, Keras-style: X is float32 N×C×H×W (or
 * whatever per-sample shape the preprocessor produced), y the class indices.
 * The last batch of each epoch has `end_of_epoch` set and may be short, so an
 * epoch over n samples is exactly ceil(n / batch_size) batches. A framework
 * (the built-in engine, a C++ or Python classifier) only ever sees this
 * interface; the streaming loader and the in-memory generator below both
 * implement it. Implementations live inside the library (src/core/genInt.h
 * holds their table and its init, together).
 *
 *     ramp_batch b;
 *     while (!(st = ramp_gen_next(gen, &b)) && !b.end_of_epoch)
 *         train_on(b.X, b.y, b.n);
 *
 * Thread-safety: one generator is used by one thread at a time.
 */
#ifndef RAMP_GEN_H
#define RAMP_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "ramp/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ramp_gen ramp_gen;

/* One object of a detection target or prediction. Boxes: g = x0, y0, x1, y1
   (x0 ≤ x1, y0 ≤ y1); circles: g = x, y, r (g[3] unused, 0). Coordinates
   are pixels of the image they belong to: in a batch, the sample's tensor
   (column = x, row = y, origin at the top-left corner of the top-left
   pixel); in predictions the workflow scores, the original image. `conf` is
   a prediction's confidence in [0, 1] (ignored in targets). */
typedef struct ramp_obj {
    int32_t cls;
    float conf;
    float g[4];
} ramp_obj;

/* One batch. Every pointer is borrowed from the generator and stays valid
   until the next ramp_gen_next() or ramp_gen_free() on it. */
typedef struct ramp_batch {
    const float *X;         /* n × sample_size values */
    const int32_t *y;       /* n class indices; NULL when the data is unlabelled */
    const float *y_onehot;  /* n × n_classes one-hot rows; NULL unless enabled */
    size_t n;               /* samples in this batch (≤ batch size) */
    size_t sample_size;     /* floats per sample = product of shape */
    int ndim;               /* dimensions of one sample (3 for C×H×W) */
    int shape[4];
    int n_classes;
    /* detection data: sample i's objects are obj[obj_off[i] .. obj_off[i+1]),
       moved by the preprocessor's geometry into tensor pixels; NULL otherwise */
    const ramp_obj *obj;
    const size_t *obj_off;  /* n + 1 offsets */
    /* segmentation data: n × mask_h × mask_w classes, the label mask moved by
       the preprocessor's geometry onto the tensor's last two dimensions
       (nearest neighbour); RAMP_IGNORE_LABEL where no class is known
       (outside the image, or the kit's void label); NULL otherwise */
    const int32_t *mask;
    int mask_h, mask_w;
    /* n × 8: sample i's map from its original image's pixels to the
       tensor's (ramp_img_affine's six numbers, see image.h), then the
       original width and height; NULL when the generator has no images */
    const double *geom;
    int epoch;              /* 0-based epoch this batch belongs to */
    int end_of_epoch;       /* 1 on the last batch of an epoch */
    /* 1 when X, y, mask, geom, obj and obj_off lie in page-locked host memory
       (a builder made with ramp_loader_opts.pin_memory, loader.h): a device
       copies them by DMA, asynchronously. y_onehot is never page-locked. */
    int pinned;
} ramp_batch;

/* A mask pixel with no class: scores and losses skip it. */
#define RAMP_IGNORE_LABEL 255

/* Next batch (blocks until ready). On failure the message names the sample
   at fault (ramp_gen_errmsg()). */
ramp_status ramp_gen_next(ramp_gen *g, ramp_batch *b);

/* A batch kept alive past the next ramp_gen_next (see below). */
typedef struct ramp_gen_pin ramp_gen_pin;

/* Like ramp_gen_next(), but the batch's memory (X, y, y_onehot) stays valid
   until ramp_gen_release(*pin), whatever happens to the generator meanwhile:
   later batches, ramp_gen_free(), the builder's free. For an embedding
   (Python arrays over ramp's buffers) whose consumer decides when a batch
   dies. A batch lent in place from a chunk buffer is not copied: when the
   loader needs a pinned buffer back, it detaches it (the last release frees
   it) and allocates a fresh one (from the same allocator: page-locked for
   a builder with pin_memory, loader.h), so pins never stall the loader —
   holding many only costs their memory. A generator that cannot lend in place (the
   in-memory one) copies the batch into the pin; y_onehot, when enabled, is
   always the pin's own copy. *pin is NULL on failure. */
ramp_status ramp_gen_next_pinned(ramp_gen *g, ramp_batch *b, ramp_gen_pin **pin);

/* Ends a pin: thread-safe, from any thread, even after the generator is
   freed; NULL is a no-op. */
void ramp_gen_release(ramp_gen_pin *pin);

/* Samples per epoch and the batch size. */
size_t ramp_gen_n_samples(const ramp_gen *g);
size_t ramp_gen_batch_size(const ramp_gen *g);

/* ceil(n_samples / batch_size). */
size_t ramp_gen_steps_per_epoch(const ramp_gen *g);

/* Turns on y_onehot in the batches. */
void ramp_gen_set_onehot(ramp_gen *g, int on);

/* Training progress, Keras-style: what a training loop reports after a step
   and at the end of each epoch (batch == n_batches), for the workflow's
   display. Unknown figures are NAN. */
typedef struct ramp_progress {
    int epoch;                    /* 0-based */
    int n_epochs;                 /* ≤ 0: unknown */
    size_t batch, n_batches;      /* batches done in this epoch, of n_batches */
    double loss, accuracy;        /* running means over the epoch's training batches */
    double val_loss, val_accuracy; /* the epoch's validation figures, at its end */
    /* filled in by the generator's builder (a caller's values are ignored): */
    double seconds;       /* since the builder started timing (the fit's start) */
    double epoch_seconds; /* since this epoch started: the previous epoch's end, so
                             epochs add up to the fit, data waits included */
    uint64_t images;      /* training samples the builder's generators served this epoch */
} ramp_progress;

/* Reports progress on this generator's training to whoever listens: a
   streaming generator passes it to its builder's progress callback (see
   loader.h); other generators ignore it. ramp_net_fit_generator calls it on
   its training generator by itself. Cheap: call it after every step. */
void ramp_gen_progress(ramp_gen *g, const ramp_progress *p);

/* Last error message ("" if none); borrowed. */
const char *ramp_gen_errmsg(const ramp_gen *g);

/* Frees the generator; NULL is a no-op. */
void ramp_gen_free(ramp_gen *g);

/* A generator over arrays already in memory. X (n × prod(shape) floats) and
   y (n labels, or NULL) are borrowed and must outlive the generator. With
   `shuffle`, each epoch visits the samples in a fresh order drawn from
   (seed, epoch). *out is NULL on failure, with the reason in err (may be
   NULL). */
ramp_status ramp_gen_from_arrays(ramp_gen **out, const float *X, const int32_t *y, size_t n,
                                 int ndim, const int *shape, int n_classes, size_t batch_size,
                                 int shuffle, uint64_t seed, ramp_err *err);

/* The same for segmentation: each batch carries masks (n × mask_h ×
   mask_w classes, RAMP_IGNORE_LABEL for none) taken from `masks` (n such
   masks, borrowed), and no labels. */
ramp_status ramp_gen_from_arrays_masks(ramp_gen **out, const float *X, const int32_t *masks,
                                       size_t n, int ndim, const int *shape, int mask_h,
                                       int mask_w, int n_classes, size_t batch_size, int shuffle,
                                       uint64_t seed, ramp_err *err);

/* The same for detection: sample i's objects are objs[obj_off[i] ..
   obj_off[i+1]) (obj_off: n + 1 non-decreasing offsets from 0; both
   borrowed), in the sample's tensor pixels; batches carry them (obj,
   obj_off) and no labels. */
ramp_status ramp_gen_from_arrays_objs(ramp_gen **out, const float *X, const ramp_obj *objs,
                                      const size_t *obj_off, size_t n, int ndim, const int *shape,
                                      int n_classes, size_t batch_size, int shuffle,
                                      uint64_t seed, ramp_err *err);

#ifdef __cplusplus
}
#endif
#endif
