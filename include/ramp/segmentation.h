/* ramp/segmentation.h — semantic-segmentation scores from a confusion matrix
 * accumulated over images streamed in batches (any dataset size).
 *
 *     ramp_seg_confusion *cm;
 *     if (ramp_seg_confusion_new(&cm, 21, 255, &err)) ... err.msg   // 21 classes, ignore 255
 *     for each batch:
 *         if (ramp_seg_confusion_add_u8(cm, truth, pred, n_pixels))
 *             ... ramp_seg_confusion_errmsg(cm)      // names the pixel
 *     ramp_seg_scores s = ramp_seg_confusion_scores(cm);
 *     ramp_seg_confusion_free(cm);
 *
 * n_ij = pixels of true class i predicted as j; t_i = Σ_j n_ij.
 *   pixel accuracy  = Σ_i n_ii / Σ_i t_i
 *   mean accuracy   = (1/|T|) Σ_{i∈T} n_ii / t_i,   T = classes with t_i > 0
 *   mean IU         = (1/|U|) Σ_{i∈U} n_ii / (t_i + Σ_j n_ji − n_ii),
 *                     U = classes present in truth or prediction
 *   frequency-weighted IU = (Σ_k t_k)⁻¹ Σ_{i∈U} t_i n_ii / (t_i + Σ_j n_ji − n_ii)
 * Classes absent from both truth and prediction are excluded from the means
 * (their IU is 0/0); a class only predicted counts in mean IU with IU = 0
 * but has no accuracy, so it is left out of mean accuracy.
 * Pixels whose truth equals the ignore label are skipped. Any other truth or
 * prediction outside [0, n_classes) is an error (RAMP_ERANGE, naming the
 * pixel, kept in the handle: ramp_seg_confusion_errmsg) and leaves the
 * matrix unchanged.
 *
 * A confusion handle is not thread-safe; use one per thread and
 * ramp_seg_confusion_merge() them.
 */
#ifndef RAMP_SEGMENTATION_H
#define RAMP_SEGMENTATION_H

#include <stddef.h>
#include <stdint.h>

#include "ramp/score.h"
#include "ramp/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ramp_seg_confusion ramp_seg_confusion;

typedef struct ramp_seg_scores {
    double pixel_accuracy, mean_accuracy, mean_iu, fw_iu;
    int n_truth_classes;   /* |T| */
    int n_present_classes; /* |U| */
    uint64_t n_pixels;     /* counted pixels (ignored ones excluded) */
} ramp_seg_scores;

/* n_classes in [1, 65535]; ignore_label: a value in [0, 65535] to skip, or
   -1 for none (RAMP's default is 255). The caller frees *out. */
ramp_status ramp_seg_confusion_new(ramp_seg_confusion **out, int n_classes, int ignore_label,
                                   ramp_err *err);
/* Frees the matrix; NULL is a no-op. A matrix is used by one thread at a
   time: give each thread its own and ramp_seg_confusion_merge() them. */
void ramp_seg_confusion_free(ramp_seg_confusion *cm);

/* The last error of an add or merge on the handle ("" after a success);
   borrowed, valid until the handle's next call. */
const char *ramp_seg_confusion_errmsg(const ramp_seg_confusion *cm);

/* Adds n_pixels (truth, prediction) pairs; buffers borrowed for the call.
   RAMP_ERANGE (message in the handle) for a label out of range; RAMP_EINVAL
   for a NULL handle or buffer. */
ramp_status ramp_seg_confusion_add_u8(ramp_seg_confusion *cm, const uint8_t *truth,
                                      const uint8_t *pred, size_t n_pixels);
ramp_status ramp_seg_confusion_add_u16(ramp_seg_confusion *cm, const uint16_t *truth,
                                       const uint16_t *pred, size_t n_pixels);

/* dst += src (same n_classes and ignore label; RAMP_EINVAL otherwise, the
   message in dst). */
ramp_status ramp_seg_confusion_merge(ramp_seg_confusion *dst, const ramp_seg_confusion *src);

/* Counts n_ij at [i * n_classes + j], borrowed from the handle. */
const uint64_t *ramp_seg_confusion_counts(const ramp_seg_confusion *cm);
int ramp_seg_confusion_n_classes(const ramp_seg_confusion *cm);

/* The four scores: a query that cannot fail (status.h, rule 1). When no
   pixel was counted, the four are NaN and n_pixels is 0. */
ramp_seg_scores ramp_seg_confusion_scores(const ramp_seg_confusion *cm);

/* One score of the table (score.h) whose task is RAMP_TASK_SEGMENTATION
   (pixel_accuracy, mean_accuracy, mean_iu, fw_iu) from the matrix, as
   defined above: NaN with RAMP_OK when no pixel was counted. RAMP_EINVAL
   for another kind or a NULL matrix (*out = NaN). */
ramp_status ramp_score_segmentation(double *out, ramp_score_kind kind, const ramp_seg_confusion *cm,
                                    ramp_err *err);

#ifdef __cplusplus
}
#endif
#endif
