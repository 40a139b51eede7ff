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

#endif
