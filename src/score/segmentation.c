/* segmentation.c — the confusion matrix of label maps and its four scores
 * (include/ramp/segmentation.h).
 *
 * Adding a batch first validates every pixel, then counts, so a bad pixel
 * leaves the matrix untouched. Counts are uint64: no dataset overflows them.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ramp/segmentation.h"
#include "core/coreInt.h"

struct ramp_seg_confusion {
    int n;
    int ignore;     /* -1: none */
    uint64_t *cnt;  /* n × n, [truth][pred] */
    char msg[256];  /* the last error */
};

ramp_status ramp_seg_confusion_new(ramp_seg_confusion **out, int n_classes, int ignore_label,
                                   ramp_err *err)
{
    if (!out) return ramp__err_set(err, RAMP_EINVAL, "segmentation: NULL output");
    *out = NULL;
    if (n_classes < 1 || n_classes > 65535 || ignore_label < -1 || ignore_label > 65535)
        return ramp__err_set(err, RAMP_EINVAL,
                             "segmentation: %d classes / ignore label %d out of range", n_classes,
                             ignore_label);
    ramp_seg_confusion *cm = calloc(1, sizeof *cm);
    if (cm) cm->cnt = calloc((size_t)n_classes * (size_t)n_classes, sizeof *cm->cnt);
    if (!cm || !cm->cnt) {
        free(cm);
        return ramp__err_set(err, RAMP_ENOMEM, "segmentation: out of memory for %d classes",
                             n_classes);
    }
    cm->n = n_classes;
    cm->ignore = ignore_label;
    *out = cm;
    return RAMP_OK;
}

void ramp_seg_confusion_free(ramp_seg_confusion *cm)
{
    if (!cm) return;
    free(cm->cnt);
    free(cm);
}

static ramp_status fail(ramp_seg_confusion *cm, ramp_status st, const char *fmt, ...)
    RAMP__PRINTF(3, 4);
static ramp_status fail(ramp_seg_confusion *cm, ramp_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cm->msg, sizeof cm->msg, fmt, ap);
    va_end(ap);
    return st;
}

const char *ramp_seg_confusion_errmsg(const ramp_seg_confusion *cm)
{
    return cm ? cm->msg : "segmentation: NULL handle";
}

#define ADD_BODY                                                                                   \
    if (!cm) return RAMP_EINVAL; /* no handle to hold a message */                                 \
    if (n_pixels && (!truth || !pred))                                                             \
        return fail(cm, RAMP_EINVAL, "segmentation: NULL truth or prediction buffer");             \
    const int n = cm->n, ig = cm->ignore;                                                          \
    for (size_t p = 0; p < n_pixels; p++) {                                                        \
        int t = truth[p], q = pred[p];                                                             \
        if (t == ig) continue;                                                                     \
        if (t >= n)                                                                                \
            return fail(cm, RAMP_ERANGE,                                                           \
                        "segmentation: true label %d at pixel %zu outside [0, %d)", t, p, n);      \
        if (q >= n)                                                                                \
            return fail(cm, RAMP_ERANGE,                                                           \
                        "segmentation: predicted label %d at pixel %zu outside [0, %d)", q, p, n); \
    }                                                                                              \
    cm->msg[0] = 0;                                                                                \
    for (size_t p = 0; p < n_pixels; p++) {                                                        \
        int t = truth[p];                                                                          \
        if (t != ig) cm->cnt[(size_t)t * (size_t)n + pred[p]]++;                                   \
    }                                                                                              \
    return RAMP_OK;

ramp_status ramp_seg_confusion_add_u8(ramp_seg_confusion *cm, const uint8_t *truth,
                                      const uint8_t *pred, size_t n_pixels)
{
    ADD_BODY
}

ramp_status ramp_seg_confusion_add_u16(ramp_seg_confusion *cm, const uint16_t *truth,
                                       const uint16_t *pred, size_t n_pixels)
{
    ADD_BODY
}

ramp_status ramp_seg_confusion_merge(ramp_seg_confusion *dst, const ramp_seg_confusion *src)
{
    if (!dst) return RAMP_EINVAL;
    if (!src) return fail(dst, RAMP_EINVAL, "segmentation: merging a NULL matrix");
    if (dst->n != src->n || dst->ignore != src->ignore)
        return fail(dst, RAMP_EINVAL,
                    "segmentation: merging unlike matrices (%d classes, ignore %d, into %d "
                    "classes, ignore %d)",
                    src->n, src->ignore, dst->n, dst->ignore);
    dst->msg[0] = 0;
    for (size_t q = 0; q < (size_t)dst->n * (size_t)dst->n; q++)
        dst->cnt[q] += src->cnt[q];
    return RAMP_OK;
}

const uint64_t *ramp_seg_confusion_counts(const ramp_seg_confusion *cm)
{
    return cm ? cm->cnt : NULL;
}

int ramp_seg_confusion_n_classes(const ramp_seg_confusion *cm)
{
    return cm ? cm->n : 0;
}

ramp_seg_scores ramp_seg_confusion_scores(const ramp_seg_confusion *cm)
{
    ramp_seg_scores sc = {NAN, NAN, NAN, NAN, 0, 0, 0}, *out = &sc;
    if (!cm) return sc;
    const size_t n = (size_t)cm->n;
    uint64_t total = 0, diag = 0;
    for (size_t q = 0; q < n * n; q++)
        total += cm->cnt[q];
    if (!total) return sc;
    double macc = 0, miu = 0, fw = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t t = 0, col = 0, nii = cm->cnt[i * n + i];
        for (size_t j = 0; j < n; j++) {
            t += cm->cnt[i * n + j];
            col += cm->cnt[j * n + i];
        }
        diag += nii;
        if (t) {
            out->n_truth_classes++;
            macc += (double)nii / (double)t;
        }
        if (t || col) {
            out->n_present_classes++;
            double iu = (double)nii / (double)(t + col - nii);
            miu += iu;
            fw += (double)t * iu;
        }
    }
    out->n_pixels = total;
    out->pixel_accuracy = (double)diag / (double)total;
    out->mean_accuracy = macc / out->n_truth_classes;
    out->mean_iu = miu / out->n_present_classes;
    out->fw_iu = fw / (double)total;
    return sc;
}

ramp_status ramp_score_segmentation(double *out, ramp_score_kind kind, const ramp_seg_confusion *cm,
                                    ramp_err *err)
{
    if (!out) return ramp__err_set(err, RAMP_EINVAL, "segmentation: NULL output");
    *out = NAN;
    if (!cm) return ramp__err_set(err, RAMP_EINVAL, "segmentation: NULL confusion matrix");
    ramp_seg_scores s = ramp_seg_confusion_scores(cm);
    switch (kind) {
    case RAMP_SCORE_PIXEL_ACCURACY:
        *out = s.pixel_accuracy;
        return RAMP_OK;
    case RAMP_SCORE_MEAN_ACCURACY:
        *out = s.mean_accuracy;
        return RAMP_OK;
    case RAMP_SCORE_MEAN_IU:
        *out = s.mean_iu;
        return RAMP_OK;
    case RAMP_SCORE_FW_IU:
        *out = s.fw_iu;
        return RAMP_OK;
    default:
        return ramp__err_set(err, RAMP_EINVAL, "score '%s' is not a segmentation score",
                             ramp_score_kind_name(kind));
    }
}
