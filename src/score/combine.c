/* combine.c — RAMP's rule to combine prediction matrices (score.h).
 *
 * One pass per matrix: each row is clipped and divided by the sum of its
 * non-NaN entries, then added into a running sum with a per-cell count of
 * contributions. The double and float versions share one macro body so
 * their arithmetic is identical (sums always in double).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scoreInt.h"

static double clip_eps(double v)
{
    const double lo = RAMP_SCORE_EPS, hi = 1.0 - RAMP_SCORE_EPS;
    return v < lo ? lo : v > hi ? hi : v; /* NaN falls through unchanged */
}

void ramp__clip_renorm(double *dst, const double *src, int c)
{
    double rs = 0.0;
    for (int j = 0; j < c; j++) {
        double v = clip_eps(src[j]);
        if (!isnan(v)) rs += v;
    }
    for (int j = 0; j < c; j++)
        dst[j] = clip_eps(src[j]) / rs;
}

#define COMBINE_BODY(T)                                                                            \
    size_t nc = n * (size_t)c;                                                                     \
    double *sum = NULL;                                                                            \
    uint32_t *cnt = NULL;                                                                          \
    if (!out || !preds || k == 0 || c < 1)                                                         \
        return ramp__err_set(err, RAMP_EINVAL, "combine: bad arguments (k = %zu, c = %d)", k, c); \
    for (size_t m = 0; m < k; m++)                                                                 \
        if (!preds[m]) return ramp__err_set(err, RAMP_EINVAL, "combine: matrix %zu is NULL", m);   \
    if (n && nc / n != (size_t)c) return ramp__err_set(err, RAMP_ETOOBIG, "combine: n × c overflows"); \
    sum = calloc(nc ? nc : 1, sizeof *sum);                                                        \
    cnt = calloc(nc ? nc : 1, sizeof *cnt);                                                        \
    if (!sum || !cnt) {                                                                            \
        free(sum);                                                                                 \
        free(cnt);                                                                                 \
        return ramp__err_set(err, RAMP_ENOMEM, "combine: out of memory for %zu × %d", n, c);       \
    }                                                                                              \
    for (size_t m = 0; m < k; m++) {                                                               \
        for (size_t i = 0; i < n; i++) {                                                           \
            const T *row = preds[m] + i * (size_t)c;                                               \
            double rs = 0.0;                                                                       \
            for (int j = 0; j < c; j++) {                                                          \
                double v = clip_eps((double)row[j]);                                               \
                if (!isnan(v)) rs += v;                                                            \
            }                                                                                      \
            for (int j = 0; j < c; j++) {                                                          \
                double v = clip_eps((double)row[j]);                                               \
                if (isnan(v)) continue;                                                            \
                sum[i * (size_t)c + j] += v / rs;                                                  \
                cnt[i * (size_t)c + j]++;                                                          \
            }                                                                                      \
        }                                                                                          \
    }                                                                                              \
    for (size_t q = 0; q < nc; q++)                                                                \
        out[q] = cnt[q] ? (T)(sum[q] / (double)cnt[q]) : (T)NAN;                                   \
    free(sum);                                                                                     \
    free(cnt);                                                                                     \
    return RAMP_OK;

ramp_status ramp_combine(double *out, const double *const *preds, size_t k, size_t n, int c,
                         ramp_err *err)
{
    COMBINE_BODY(double)
}

ramp_status ramp_combine_f(float *out, const float *const *preds, size_t k, size_t n, int c,
                           ramp_err *err)
{
    COMBINE_BODY(float)
}
