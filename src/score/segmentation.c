/* segmentation.c — the confusion matrix of label maps and its four scores
 * (include/ramp/segmentation.h).
 *
 * Adding a batch first validates every pixel, then counts, so a bad pixel
 * leaves the matrix untouched. Counts are uint64: no dataset overflows them.
 */
#include <stdlib.h>
#include <string.h>

#include "ramp/segmentation.h"
#include "core/coreInt.h"

struct ramp_seg_confusion {
    int n;
    int ignore;     /* -1: none */
    uint64_t *cnt;  /* n × n, [truth][pred] */
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

#define ADD_BODY                                                                                   \
    if (!cm || (n_pixels && (!truth || !pred)))                                                    \
        return ramp__err_set(err, RAMP_EINVAL, "segmentation: NULL argument");                     \
    const int n = cm->n, ig = cm->ignore;                                                          \
    for (size_t p = 0; p < n_pixels; p++) {                                                        \
        int t = truth[p], q = pred[p];                                                             \
        if (t == ig) continue;                                                                     \
        if (t >= n)                                                                                \
            return ramp__err_set(err, RAMP_ERANGE,                                                 \
                                 "segmentation: true label %d at pixel %zu outside [0, %d)", t, p, \
                                 n);                                                               \
        if (q >= n)                                                                                \
            return ramp__err_set(err, RAMP_ERANGE,                                                 \
                                 "segmentation: predicted label %d at pixel %zu outside [0, %d)",  \
                                 q, p, n);                                                         \
    }                                                                                              \
    for (size_t p = 0; p < n_pixels; p++) {                                                        \
        int t = truth[p];                                                                          \
        if (t != ig) cm->cnt[(size_t)t * (size_t)n + pred[p]]++;                                   \
    }                                                                                              \
    return RAMP_OK;

ramp_status ramp_seg_confusion_add_u8(ramp_seg_confusion *cm, const uint8_t *truth,
                                      const uint8_t *pred, size_t n_pixels, ramp_err *err)
{
    ADD_BODY
}

ramp_status ramp_seg_confusion_add_u16(ramp_seg_confusion *cm, const uint16_t *truth,
                                       const uint16_t *pred, size_t n_pixels, ramp_err *err)
{
    ADD_BODY
}

ramp_status ramp_seg_confusion_merge(ramp_seg_confusion *dst, const ramp_seg_confusion *src,
                                     ramp_err *err)
{
    if (!dst || !src || dst->n != src->n || dst->ignore != src->ignore)
        return ramp__err_set(err, RAMP_EINVAL, "segmentation: merging unlike matrices");
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

ramp_status ramp_seg_confusion_scores(const ramp_seg_confusion *cm, ramp_seg_scores *out,
                                      ramp_err *err)
{
    if (!cm || !out) return ramp__err_set(err, RAMP_EINVAL, "segmentation: NULL argument");
    memset(out, 0, sizeof *out);
    const size_t n = (size_t)cm->n;
    uint64_t total = 0, diag = 0;
    for (size_t q = 0; q < n * n; q++)
        total += cm->cnt[q];
    if (!total) return ramp__err_set(err, RAMP_EINVAL, "segmentation: no pixel counted");
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
    return RAMP_OK;
}
