/* ramp/detection.h — object-detection scores: IoU of boxes and circles,
 * per-class average precision (VOC 2010+ all-point and VOC 2007 11-point),
 * mAP, and precision / recall at a confidence threshold.
 *
 *     ramp_det_obj truth0[] = {{.cls = 0, .g = {10, 10, 50, 40}}};
 *     ramp_det_obj pred0[]  = {{.cls = 0, .conf = 0.9, .g = {12, 9, 49, 41}},
 *                              {.cls = 0, .conf = 0.8, .g = {11, 10, 50, 40}}}; // duplicate
 *     ramp_det_image img[] = {{truth0, 1, pred0, 2, 0, 0}};  // size: scp only
 *     ramp_det_params p = {.geom = RAMP_DET_BOX};         // IoU ≥ 0.5, VOC matching
 *     ramp_det_eval *ev;
 *     double map;
 *     if (ramp_det_eval_new(&ev, img, 1, 1, &p, &err) == RAMP_OK) {
 *         map = ramp_det_eval_map(ev, RAMP_DET_AP_ALL_POINT, NULL);   // 1.0
 *         ramp_det_counts pr = ramp_det_eval_counts(ev, -1, 0.5);  // tp 1, fp 1: precision 0.5
 *         ramp_det_eval_free(ev);
 *     }
 *
 * Geometry. Coordinates are continuous: a box (x1, y1, x2, y2) has area
 * (x2 − x1)(y2 − y1) (the VOC devkit's "+1 pixel" convention is NOT used);
 * a circle (x, y, r) has area π r². IoU = |A ∩ B| / |A ∪ B|, 0 when the union
 * is empty (two degenerate shapes). Circle intersections are exact (the lens
 * formula), with the disjoint (d ≥ r1 + r2 → 0) and containment
 * (d ≤ |r1 − r2| → π min(r)²) cases taken apart.
 *
 * Evaluation, for each class k independently (as the VOC devkit's
 * VOCevaldet.m):
 *   1. Rank: every prediction of class k, over all images, by confidence,
 *      descending. Ties keep input order (image 0's predictions in their
 *      order, then image 1's, ...): a stable sort, as MATLAB's sort.
 *   2. Match, in that order, against the ground truths of class k in the
 *      prediction's own image. An IoU counts when it is ≥ the threshold
 *      (the devkit's `ovmax >= minoverlap`; py-faster-rcnn's voc_eval.py
 *      uses >, which differs only at exact equality). Two rules:
 *        RAMP_DET_MATCH_VOC (default): take the ground truth of highest IoU
 *          among ALL of the image's class-k truths (first on ties); if that
 *          IoU passes and the truth is unmatched, a true positive that marks
 *          it; if it is already matched, a false positive (duplicate); else
 *          a false positive. This is the devkit's rule.
 *        RAMP_DET_MATCH_UNMATCHED: take the ground truth of highest IoU
 *          among the still UNMATCHED ones (first on ties); a true positive
 *          when that IoU passes, else a false positive (COCO-like). A
 *          prediction that overlaps a taken truth best may thus still match
 *          a second, free truth.
 *   3. tp_i, fp_i = cumulative counts over the first i ranked predictions;
 *      recall_i = tp_i / n_truth_k, precision_i = tp_i / (tp_i + fp_i).
 *   4. AP, all-point (VOC 2010+): with mrec = [0, recall..., 1] and
 *      mpre = [0, precision..., 0], replace mpre[i] by max(mpre[i..]) and sum
 *      (mrec[i+1] − mrec[i]) · mpre[i+1] over the i where recall changes.
 *      AP, 11-point (VOC 2007): (1/11) Σ_{j=0..10} max{precision_i :
 *      recall_i ≥ t_j} (0 when empty) with t_j = j/10 exactly rounded.
 *      (np.arange(0, 1.1, 0.1) yields 0.30000000000000004 and 0.7000000000000001,
 *      which would skip a recall of exactly 0.3 or 0.7.)
 *   5. A class with no ground truth in any image has no AP (NaN); its
 *      predictions are all false positives in the pooled counts. mAP is the
 *      mean AP over the classes that have ground truth; NaN (with
 *      *n_scored = 0) when no class has any.
 * Precision / recall at a confidence threshold τ keep the predictions with
 * confidence ≥ τ: a prefix of each ranking, so their matches are exactly
 * those of step 2 (greedy in rank order) had only they been given.
 * precision = tp / (tp + fp), 0 when no prediction is kept; recall =
 * tp / n_truth, NaN when there is no ground truth.
 *
 * Note: rampwf's circle precision / recall match by an optimal one-to-one
 * assignment (Hungarian) rather than greedily; the two agree whenever no
 * prediction passes the threshold with two truths.
 *
 * Input checks (RAMP_EINVAL or RAMP_ERANGE, naming image and object): class
 * in [0, n_classes), finite coordinates and confidences, x2 ≥ x1, y2 ≥ y1,
 * r ≥ 0, threshold in (0, 1].
 */
#ifndef RAMP_DETECTION_H
#define RAMP_DETECTION_H

#include <stddef.h>
#include <stdint.h>

#include "ramp/score.h"
#include "ramp/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ramp_det_geom {
    RAMP_DET_BOX = 0,    /* g = x1, y1, x2, y2 */
    RAMP_DET_CIRCLE = 1, /* g = x, y, r (g[3] unused); x a column, y a row */
} ramp_det_geom;

typedef enum ramp_det_match {
    RAMP_DET_MATCH_VOC = 0,       /* best IoU over all truths; taken → duplicate */
    RAMP_DET_MATCH_UNMATCHED = 1, /* best IoU over the free truths */
} ramp_det_match;

typedef enum ramp_det_ap_kind {
    RAMP_DET_AP_ALL_POINT = 0, /* VOC 2010+ */
    RAMP_DET_AP_11_POINT = 1,  /* VOC 2007 */
} ramp_det_ap_kind;

/* One object: a ground truth (conf ignored) or a prediction. */
typedef struct ramp_det_obj {
    int32_t cls;
    double conf;
    double g[4];
} ramp_det_obj;

/* One image: its ground truths and its predictions (either may be empty,
   and then its pointer may be NULL), and its size in pixels, which only
   the scp score reads (0 when unknown). */
typedef struct ramp_det_image {
    const ramp_det_obj *truth;
    size_t n_truth;
    const ramp_det_obj *pred;
    size_t n_pred;
    int32_t width, height;
} ramp_det_image;

typedef struct ramp_det_params {
    ramp_det_geom geom;
    double iou_threshold; /* in (0, 1]; 0 → 0.5 */
    ramp_det_match match;
} ramp_det_params;

/* Counts at a confidence threshold, with their ratios (see above). */
typedef struct ramp_det_counts {
    size_t tp, fp, n_truth;
    double precision, recall;
} ramp_det_counts;

/* IoU of two boxes (x1, y1, x2, y2) / two circles (x, y, r). Inputs are not
   checked (NaN in, NaN out). Pure, thread-safe. */
double ramp_det_iou_box(const double a[4], const double b[4]);
double ramp_det_iou_circle(const double a[3], const double b[3]);
/* Intersection area of two circles (the lens; exact cases above). */
double ramp_det_circle_intersection(const double a[3], const double b[3]);

/* An evaluation: every prediction ranked and matched, and every class's AP
   computed, once, by ramp_det_eval_new (the only call that can fail). The
   queries below are plain reads that cannot fail (status.h, rule 1): a
   query out of range gives NaN or zeros, as documented with each. Immutable
   once made: queries on one handle may run concurrently. */
typedef struct ramp_det_eval ramp_det_eval;

/* Ranks and matches the predictions of n_images images over classes
   [0, n_classes). `images` and the objects are borrowed for the call only
   (nothing is kept); params may be NULL (boxes, 0.5, VOC). The caller frees
   *out with ramp_det_eval_free(); on failure *out is NULL and err names
   the image and object at fault. */
ramp_status ramp_det_eval_new(ramp_det_eval **out, const ramp_det_image *images, size_t n_images,
                              int n_classes, const ramp_det_params *params, ramp_err *err);

/* Frees an evaluation; NULL is a no-op. */
void ramp_det_eval_free(ramp_det_eval *ev);

int ramp_det_eval_n_classes(const ramp_det_eval *ev);

/* AP of class `cls`; NaN when the class has no ground truth, is outside
   [0, n_classes), or `kind` is not a ramp_det_ap_kind. */
double ramp_det_eval_ap(const ramp_det_eval *ev, int cls, ramp_det_ap_kind kind);

/* mAP over the classes with ground truth; *n_scored (may be NULL) receives
   their number. NaN (and *n_scored 0) when there is none. */
double ramp_det_eval_map(const ramp_det_eval *ev, ramp_det_ap_kind kind, int *n_scored);

/* Counts of predictions with confidence ≥ conf_threshold, for class `cls`
   or, with cls = -1, pooled over all classes (micro). A class outside
   [-1, n_classes) or a NaN threshold gives zero counts with NaN ratios. */
ramp_det_counts ramp_det_eval_counts(const ramp_det_eval *ev, int cls, double conf_threshold);

/* The ranking of class `cls`: returns its length and points *conf and
   *is_tp (each may be NULL) at arrays borrowed from the handle, valid until
   ramp_det_eval_free(). 0 for a class outside the range. */
size_t ramp_det_eval_ranking(const ramp_det_eval *ev, int cls, const double **conf,
                             const uint8_t **is_tp);

/* Ground truths of class `cls` over all images (0 outside the range). */
size_t ramp_det_eval_n_truth(const ramp_det_eval *ev, int cls);

/* --- the problem's detection scores ----------------------------------------------
 *
 * ramp_score_detection() computes one score of the table (score.h) whose
 * task is RAMP_TASK_DETECTION: map, det_precision, det_recall, ospa, scp,
 * mad_center, mad_radius. docs/scores.md defines each; in short:
 *
 *   map            mAP over the classes with truth (AP all-point, VOC
 *                  matching, all predictions), param = IoU threshold.
 *   det_precision, det_recall
 *                  at the confidence threshold RAMP_DET_CONF_THRESHOLD:
 *                  ours keeps the predictions with confidence ≥ 0.5, matches
 *                  them greedily (VOC, as map) at IoU ≥ param and pools the
 *                  classes: tp / (tp + fp) (0 with no prediction kept) and
 *                  tp / n_truth. rampwf's (compat): confidence > 0.5, an
 *                  optimal one-to-one assignment per image maximising the
 *                  IoU sum, a pair counting when its IoU > param
 *                  (param 0 allowed there: any overlap counts);
 *                  precision NaN with no prediction kept.
 *   ospa           1 − Σ_images 2 Σ_pairs IoU / Σ_images (n_truth + n_pred)
 *                  over an optimal assignment per image (predictions kept
 *                  as for det_precision); ours 0 when there is no object at
 *                  all, rampwf's 1.
 *   scp            each object is a unit of mass spread evenly over the
 *                  pixels it covers; truth +, predictions −; Σ |map| /
 *                  (mass of truths + mass of predictions); needs the
 *                  images' width and height. Ours: a pixel is covered when
 *                  its centre is inside; rampwf's: pixel (row i, column j)
 *                  when ((i − y)/ρ)² + ((j − x)/ρ)² < 1.
 *                  With no mass at all: ours 0, rampwf's NaN.
 *   mad_center, mad_radius
 *                  circles only: over the assigned pairs with IoU ≥ param
 *                  (problem.ini's default 0.5), the mean of |centre distance| / r_true and
 *                  of |r_pred − r_true| / r_true. NaN without such a pair.
 *
 * Coordinates are image pixels, x a column and y a row: rampwf's circle
 * tuple (row, col, r) is ramp's (x = col, y = row, r).
 *
 * Objects of different classes never match (rampwf has one class: the
 * same there). compat_rampwf = 1 selects rampwf's semantics (its circle
 * IoU, strict thresholds, tied confidences ranked last-first). A score
 * that is undefined on the input (no truth for map or recall, ...) is NaN
 * with RAMP_OK; errors (RAMP_EINVAL, RAMP_ERANGE) name the image and
 * object and leave *out = NaN. Pure and thread-safe.
 */
#define RAMP_DET_CONF_THRESHOLD 0.5

ramp_status ramp_score_detection(double *out, ramp_score_kind kind, double param,
                                 const ramp_det_image *images, size_t n_images, int n_classes,
                                 ramp_det_geom geom, int compat_rampwf, ramp_err *err);

/* The same score on a minipatch of every image: minipatch = {row_min,
 * row_max, col_min, col_max} in image pixels (rampwf's order; finite, min <
 * max, else RAMP_EINVAL), NULL for the whole image (ramp_score_detection).
 * An object is inside when row_min ≤ row < row_max and col_min ≤ col <
 * col_max, (col, row) being a circle's (x, y) or a box's centre.
 *
 *   ours           the truths and the predictions inside are kept, the
 *                  others dropped, then the score is computed as above
 *                  (map too).
 *   scp (both)     objects are projected on the whole image as above, and
 *                  only the pixels inside count, in Σ |map| and in the
 *                  masses (each object's share inside): ours the pixels
 *                  whose centre (j + ½, i + ½) is inside, rampwf's the
 *                  pixels whose indices are (its map[row_min:row_max,
 *                  col_min:col_max]; a negative bound is a coordinate here,
 *                  not numpy's count from the end).
 *   rampwf's (compat), as its score types apply their minipatch:
 *     det_precision  the predictions inside only, matched against all
 *                    the truths;
 *     det_recall, mad_center, mad_radius
 *                    the truths inside only, matched against all the
 *                    (kept) predictions;
 *     ospa           matched on the whole image; Σ over the objects
 *                    inside of their pair's IoU / the number of truths
 *                    and kept predictions inside;
 *     map            refused (RAMP_EINVAL): rampwf's
 *                    DetectionAveragePrecision takes no minipatch.
 * minipatch is borrowed for the call. Pure and thread-safe. */
ramp_status ramp_score_detection_minipatch(double *out, ramp_score_kind kind, double param,
                                           const ramp_det_image *images, size_t n_images,
                                           int n_classes, ramp_det_geom geom, int compat_rampwf,
                                           const double minipatch[4], ramp_err *err);

#ifdef __cplusplus
}
#endif
#endif
