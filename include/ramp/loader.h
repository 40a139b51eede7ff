/* ramp/loader.h — streaming generators over a kit's images.
 *
 * A classifier's fit() receives a ramp_gen_builder and asks it for a train
 * and a valid generator (RAMP's get_train_valid_generators):
 *
 *     ramp_gen *train, *valid;
 *     size_t nb_train, nb_valid;
 *     st = ramp_get_train_valid_generators(gb, 64, 0.1, &train, &valid,
 *                                          &nb_train, &nb_valid);
 *
 * How it works: samples are read, decoded and transformed in chunks of
 * `chunk_size` by `n_jobs` threads, each with its own ramp_pp, straight into
 * one of two preallocated chunk buffers; while the trainer consumes chunk k,
 * chunk k+1 is being filled. Batches cross chunk boundaries, so an epoch is
 * exactly ceil(n / batch_size) batches (the last one short, with
 * end_of_epoch set). The train generator visits its samples in a fresh seeded
 * order every epoch and uses `transform`; the valid generator uses
 * `transform_test` in a fixed order.
 *
 * Memory: each generator holds
 *     2 × chunk_size × S × 4 bytes     (two chunk buffers, S = floats per sample)
 *   + min(batch_size, n) × S × 4 bytes (a batch that crosses chunks is gathered)
 *   + n_jobs × (one decoded image and its intermediates, in each thread's arena)
 *   + n × (id and label)               (the index; a few tens of bytes per sample)
 * — bounded by the chunk buffers, not by the size of the images on disk.
 * Batches pinned by ramp_gen_next_pinned add theirs while they are held:
 * a chunk or batch buffer still pinned when the loader needs it again is
 * left to its pins and replaced by a fresh one of the same size. Once its
 * last pin is released such a buffer is kept as a spare for the next
 * replacement (one chunk buffer and one batch buffer at most per
 * generator), so a consumer that holds each batch until the next one has
 * come allocates nothing after the first epoch.
 *
 * Page-locked buffers: with `pin_memory` the two chunk buffers and the
 * batch buffer of every generator (the memory a batch's X, y, mask, geom
 * and objects point into), and the fresh ones that replace pinned buffers,
 * are page-locked (cudaHostAlloc, portable to every CUDA context of the
 * process): a CUDA copy from a batch is then a DMA that runs asynchronously
 * beside the trainer, for ramp's engine as for PyTorch in a Python
 * submission (`torch.from_numpy(X).to('cuda', non_blocking=True)`,
 * docs/python.md). The bound above is unchanged: the same buffers, now
 * locked in RAM: a buffer of n samples takes n × (S × 4 + 4 + 64) bytes
 * (X, the label, the geometry's 8 doubles) plus the targets (masks,
 * objects) and under 160 bytes of header and alignment, so one generator
 * locks (2 × chunk_size + batch_size) of those, plus its two spares and
 * whatever its pins hold. y_onehot and the index stay pageable. Where
 * no page-locked memory can be had (ramp built without CUDA, no driver or
 * no GPU) ramp_gen_builder_new fails with RAMP_EUNSUPPORTED saying why:
 * never a silent pageable fall-back. A CUDA copy's source must stay alive
 * until the copy is done: hold the batch (ramp_gen_next_pinned, or a
 * plain batch until the next ramp_gen_next) until the stream has passed it.
 *
 * Counters: every generator measures the images/s its threads load and the
 * time the consumer waited for data (the stall); ramp_gen_stats() reads them.
 */
#ifndef RAMP_LOADER_H
#define RAMP_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "ramp/dataset.h" /* ramp_samples */
#include "ramp/gen.h"
#include "ramp/image.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ramp_gen_builder ramp_gen_builder;

/* A preprocessor's transform (see preprocess.h): writes one sample into out. */
typedef ramp_status (*ramp_transform_fn)(ramp_pp *pp, const ramp_image *x, ramp_tensor *out);

/* Loader settings. Zero fields take the defaults shown. */
typedef struct ramp_loader_opts {
    size_t chunk_size;  /* samples per chunk buffer (1024) */
    int n_jobs;         /* loader threads (2) */
    uint64_t seed;      /* shuffles, splits and augmentation streams (0) */
    uint64_t max_pixels; /* decoder limit (RAMP_DEFAULT_MAX_PIXELS) */
    /* 1: a detection batch's objects are moved by the transform's map but
       never clipped nor dropped (rampwf's ObjectDetector hands fit the
       kit's circles as they are, a centre outside the image included);
       0: clipped, and dropped when less than a quarter stays visible */
    int keep_objects;
    /* 1: the generators' chunk and batch buffers are page-locked host memory
       (see "Page-locked buffers" above; batches say so in ramp_batch.pinned),
       what a CUDA trainer wants; ramp_gen_builder_new fails with
       RAMP_EUNSUPPORTED where it cannot be had. 0: pageable (malloc). The
       workflow sets it for the folds of `--device cuda`. */
    int pin_memory;
} ramp_loader_opts;

/* Loader statistics of one generator. */
typedef struct ramp_gen_stats {
    uint64_t images;      /* samples loaded and transformed */
    double load_seconds;  /* wall time threads spent filling chunks */
    double images_per_s;  /* images / load_seconds */
    double stall_seconds; /* time ramp_gen_next() waited for a chunk */
} ramp_gen_stats;

/* A builder over `samples` (borrowed: must outlive the builder and its
   generators). `tf` is the training transform, `tf_test` the test transform
   (NULL: tf). The sample shape is learnt by transforming sample 0 once with
   each. *out is NULL on failure; `err` names the sample at fault. */
ramp_status ramp_gen_builder_new(ramp_gen_builder **out, const ramp_samples *samples,
                                 ramp_transform_fn tf, ramp_transform_fn tf_test,
                                 const ramp_loader_opts *opts, ramp_err *err);
/* Frees the builder and the generators it still owns (stopping their loader
   threads); NULL is a no-op. A builder and its generators are used by one
   thread at a time (the loader's own threads are internal). */
void ramp_gen_builder_free(ramp_gen_builder *gb);

/* The builder's data: sample count, classes, per-sample shape:
   ramp_gen_builder_shape fills shape[0..ndim) and returns ndim (≤ 4). */
size_t ramp_gen_builder_n_samples(const ramp_gen_builder *gb);
int ramp_gen_builder_n_classes(const ramp_gen_builder *gb);
int ramp_gen_builder_shape(const ramp_gen_builder *gb, int shape[4]);
/* The builder's last error: its own calls', or the last sample that failed
   in one of its generators ("sample 'ID': ..."), so a fit that returns the
   bare status still has its cause here. Borrowed. */
const char *ramp_gen_builder_errmsg(const ramp_gen_builder *gb);

/* RAMP's get_train_valid_generators: a seeded stratified split that puts
   floor(valid_ratio × n) samples in valid; train reshuffles every epoch
   (transform), valid keeps a fixed order (transform_test). valid_ratio may be
   0 (then *valid is NULL and *nb_valid 0). The generators are owned by the
   builder (freed with it) unless the caller frees them first with
   ramp_gen_free(). */
ramp_status ramp_get_train_valid_generators(ramp_gen_builder *gb, size_t batch_size,
                                            double valid_ratio, ramp_gen **train,
                                            ramp_gen **valid, size_t *nb_train, size_t *nb_valid);

/* A generator over all samples in file order with `transform_test`, no
   shuffling: what test-time prediction streams. One pass: the loader reads
   nothing past the last sample (each image is transformed once), and a
   ramp_gen_next after the pass fails with RAMP_ERANGE. Owned as above. */
ramp_status ramp_gen_builder_predict_gen(ramp_gen_builder *gb, size_t batch_size, ramp_gen **out);
/* The same over the subset idx[0..n) (copied; NULL: every sample), in that
   order. */
ramp_status ramp_gen_builder_predict_subset(ramp_gen_builder *gb, const uint32_t *idx, size_t n,
                                            size_t batch_size, ramp_gen **out);

/* The builder's samples (borrowed: valid while the builder lives) and its
   settings. */
const ramp_samples *ramp_gen_builder_samples(const ramp_gen_builder *gb);
ramp_loader_opts ramp_gen_builder_opts(const ramp_gen_builder *gb);

/* A generator over an explicit subset idx[0..n) of the builder's samples
   (copied), in that order, shuffled per epoch when `shuffle`, with the
   training transform when `train`. Owned as above. */
ramp_status ramp_gen_builder_subset(ramp_gen_builder *gb, const uint32_t *idx, size_t n,
                                    size_t batch_size, int shuffle, int train, ramp_gen **out);

/* Progress from a classifier's training loop, for the workflow's display
   (Keras's bar on a terminal, a line per epoch otherwise). Call it after
   each batch and at each epoch's end (batch == n_batches); it is cheap.
   loss/accuracy may be NAN when unknown. The same as ramp_gen_progress() on
   one of the builder's generators without validation figures; the engine's
   fit reports by itself. */
void ramp_gen_builder_progress(ramp_gen_builder *gb, int epoch, int n_epochs, size_t batch,
                               size_t n_batches, double loss, double accuracy);

/* Who hears the progress: fn(user, p) on the reporting thread, every report
   but a repeat of the last (epoch, batch), with the builder's timing filled
   in (ramp_progress). Setting it starts the builder's clock: the first
   epoch starts then. fn NULL: nobody (the default). */
typedef void (*ramp_progress_fn)(void *user, const ramp_progress *p);
void ramp_gen_builder_set_progress(ramp_gen_builder *gb, ramp_progress_fn fn, void *user);

/* Loader statistics of a generator made by a builder (zeros otherwise). */
ramp_gen_stats ramp_gen_stats_of(const ramp_gen *g);

/* The sum over every generator the builder made, freed ones included. */
ramp_gen_stats ramp_gen_builder_stats(const ramp_gen_builder *gb);

#ifdef __cplusplus
}
#endif
#endif
