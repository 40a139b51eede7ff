/* scoreInt.h — internals shared by the score module (not public).
 *
 * Scores read probabilities through ramp__rows, which hands out one row at a
 * time as doubles: a double matrix is read in place, a float one converted
 * into a caller-provided scratch row. One implementation thus serves both the
 * double and the float API with identical arithmetic.
 */
#ifndef RAMP_SCORE_INT_H
#define RAMP_SCORE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "ramp/detection.h"
#include "ramp/npy.h"
#include "ramp/score.h"
#include "core/coreInt.h"

typedef struct ramp__rows {
    const double *d; /* exactly one of d, f is non-NULL */
    const float *f;
    size_t n;
    int c;
} ramp__rows;

/* Row i as doubles; `scratch` (c doubles) is used for float input. */
static inline const double *ramp__rows_get(const ramp__rows *m, size_t i, double *scratch)
{
    if (m->d) return m->d + i * (size_t)m->c;
    const float *r = m->f + i * (size_t)m->c;
    for (int k = 0; k < m->c; k++)
        scratch[k] = (double)r[k];
    return scratch;
}

/* An array as the bytes of a .npy file (what ramp_npy_write writes), into
   a malloc'd *out. */
ramp_status ramp__npy_encode(ramp_npy_dtype dtype, int ndim, size_t rows, size_t cols,
                             const void *data, uint8_t **out, size_t *len, ramp_err *err);

/* The score of `kind` on the rows of m. */
ramp_status ramp__score_rows(double *out, ramp_score_kind kind, double param, const ramp__rows *m,
                             const int32_t *y, ramp_err *err);

/* First argmax of row[0..c) (NaN entries never win unless all are NaN). */
int ramp__argmax(const double *row, int c);

/* sklearn's top-k hit test for one row (see score.h). */
int ramp__topk_hit(const double *row, int c, int y, int k);

/* f1_above(θ) or macro F1 from per-class counts cnt[3c] = tp, fp, fn. */
double ramp__f1_score(const uint64_t *cnt, int c, ramp_score_kind kind, double theta);

/* Clips src (c values) to [1e-15, 1 − 1e-15] and divides by the sum of the
   non-NaN results, into dst (NaN stays NaN). */
void ramp__clip_renorm(double *dst, const double *src, int c);

/* F1 of one class from its counts, exactly rounded; 0 when undefined. */
double ramp__f1(uint64_t tp, uint64_t fp, uint64_t fn);

/* --- detection (detection.c, detscore.c) ----------------------------------------- */

/* rampwf's switches of a detection evaluation (docs/scores.md). */
enum {
    RAMP__DET_STRICT_IOU = 1u << 0,      /* an IoU passes when > the threshold (ours: ≥) */
    RAMP__DET_TIES_LAST_FIRST = 1u << 1, /* tied confidences ranked last input first */
    RAMP__DET_RAMPWF_CIRCLE = 1u << 2,   /* rampwf's circle IoU (ramp__det_iou_circle_rampwf) */
};

/* ramp_det_eval_new with the switches above. */
ramp_status ramp__det_eval_new_ex(ramp_det_eval **out, const ramp_det_image *images,
                                  size_t n_images, int n_classes, const ramp_det_params *params,
                                  unsigned flags, ramp_err *err);

/* The input checks of ramp_det_eval_new (classes, finite values, box
   corners ordered, radius ≥ 0), naming image and object. */
ramp_status ramp__det_check(const ramp_det_image *images, size_t n_images, int n_classes,
                            ramp_det_geom geom, ramp_err *err);

/* rampwf's circle IoU (its lens area adds the kite instead of subtracting). */
double ramp__det_iou_circle_rampwf(const double a[3], const double b[3]);

/* IoU of two objects' geometry; RAMP__DET_RAMPWF_CIRCLE picks rampwf's
   circle formula. */
double ramp__det_iou(ramp_det_geom geom, const double *a, const double *b, unsigned flags);

/* A minimum-cost assignment of an n × m cost matrix (row-major, finite):
   row_to_col[i] = the column of row i, or -1 when n > m leaves it free.
   Every row is assigned when n ≤ m, every column when n ≥ m. */
ramp_status ramp__assign(const double *cost, size_t n, size_t m, ptrdiff_t *row_to_col,
                         ramp_err *err);

#endif
