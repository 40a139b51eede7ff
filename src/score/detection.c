/* detection.c — IoU, ranking, greedy matching and VOC average precision
 * (include/ramp/detection.h).
 *
 * ramp_det_eval_new() validates everything first, then ranks each class's
 * predictions (qsort on (confidence desc, input position asc): a total
 * order, so the result is the stable sort whatever qsort does) and matches
 * them in rank order against a flat array of "taken" flags over all truths.
 * Classes never share a truth, so one flag array serves all of them. The
 * handle keeps, per class, the ranked confidences and a TP flag per
 * prediction; every score is a pass over those.
 *
 * ramp__det_eval_new_ex() is the same evaluation with rampwf's switches
 * (scoreInt.h): its circle IoU, a strict IoU test and tied confidences
 * ranked last-first; ramp_det_eval_new() is it with none of them.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ramp/detection.h"
#include "score/scoreInt.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

typedef struct det_class {
    size_t n_pred, n_truth;
    double *conf; /* [n_pred] ranked */
    uint8_t *tp;  /* [n_pred] 1: true positive */
    double ap[2]; /* by ramp_det_ap_kind, computed once; NaN without truth */
} det_class;

static double class_ap(const det_class *dc, ramp_det_ap_kind kind, double *prec, double *rec);

struct ramp_det_eval {
    int n_classes;
    det_class *cls; /* [n_classes] */
};

/* --- geometry ---------------------------------------------------------------- */

double ramp_det_iou_box(const double a[4], const double b[4])
{
    double iw = fmin(a[2], b[2]) - fmax(a[0], b[0]);
    double ih = fmin(a[3], b[3]) - fmax(a[1], b[1]);
    if (isnan(iw) || isnan(ih)) return NAN;
    if (iw < 0) iw = 0;
    if (ih < 0) ih = 0;
    double inter = iw * ih;
    double uni = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
    return uni > 0 ? inter / uni : 0.0;
}

static double clamp1(double v)
{
    return v < -1 ? -1 : v > 1 ? 1 : v;
}

double ramp_det_circle_intersection(const double a[3], const double b[3])
{
    double r1 = a[2], r2 = b[2];
    double d = hypot(a[0] - b[0], a[1] - b[1]);
    if (isnan(d) || isnan(r1) || isnan(r2)) return NAN;
    if (d >= r1 + r2) return 0.0;
    if (d <= fabs(r1 - r2)) {
        double r = fmin(r1, r2);
        return M_PI * r * r;
    }
    /* the lens: two circular sectors minus the kite between the centres */
    double c1 = clamp1((d * d + r1 * r1 - r2 * r2) / (2 * d * r1));
    double c2 = clamp1((d * d + r2 * r2 - r1 * r1) / (2 * d * r2));
    double k = (-d + r1 + r2) * (d + r1 - r2) * (d - r1 + r2) * (d + r1 + r2);
    double area = r1 * r1 * acos(c1) + r2 * r2 * acos(c2) - 0.5 * sqrt(k > 0 ? k : 0);
    return area > 0 ? area : 0.0;
}

double ramp_det_iou_circle(const double a[3], const double b[3])
{
    double inter = ramp_det_circle_intersection(a, b);
    if (isnan(inter)) return NAN;
    double uni = M_PI * a[2] * a[2] + M_PI * b[2] * b[2] - inter;
    return uni > 0 ? inter / uni : 0.0;
}

/* rampwf's cc_iou, as it computes it: its lens area ADDS the kite term
   where the true area subtracts it, its containment test comes before the
   disjoint one, and its union sums the two discs before multiplying by π. */
double ramp__det_iou_circle_rampwf(const double a[3], const double b[3])
{
    double r1 = a[2], r2 = b[2];
    double d = hypot(b[0] - a[0], b[1] - a[1]);
    if (isnan(d) || isnan(r1) || isnan(r2)) return NAN;
    double inter;
    if (d == 0 || d <= fabs(r2 - r1)) {
        double r = fmin(r1, r2);
        inter = r * r * M_PI;
    } else if (d >= r1 + r2 || r1 == 0 || r2 == 0) {
        inter = 0;
    } else {
        double s1 = r1 * r1 * acos(clamp1((d * d + r1 * r1 - r2 * r2) / (2 * d * r1)));
        double s2 = r2 * r2 * acos(clamp1((d * d + r2 * r2 - r1 * r1) / (2 * d * r2)));
        double k = (-d + r1 + r2) * (d + r1 - r2) * (d - r1 + r2) * (d + r1 + r2);
        inter = s1 + s2 + 0.5 * sqrt(k > 0 ? k : 0);
    }
    double uni = M_PI * (r1 * r1 + r2 * r2) - inter;
    return uni != 0 ? inter / uni : 0.0;
}

double ramp__det_iou(ramp_det_geom geom, const double *a, const double *b, unsigned flags)
{
    if (geom == RAMP_DET_BOX) return ramp_det_iou_box(a, b);
    return (flags & RAMP__DET_RAMPWF_CIRCLE) ? ramp__det_iou_circle_rampwf(a, b)
                                             : ramp_det_iou_circle(a, b);
}

/* --- evaluation -------------------------------------------------------------- */

static ramp_status check_obj(const ramp_det_obj *o, int is_pred, size_t img, size_t j,
                             int n_classes, ramp_det_geom geom, ramp_err *err)
{
    const char *what = is_pred ? "prediction" : "ground truth";
    if (o->cls < 0 || o->cls >= n_classes)
        return ramp__err_set(err, RAMP_ERANGE,
                             "detection: image %zu, %s %zu: class %d outside [0, %d)", img, what, j,
                             (int)o->cls, n_classes);
    if (is_pred && !isfinite(o->conf))
        return ramp__err_set(err, RAMP_EINVAL,
                             "detection: image %zu, prediction %zu: confidence is not finite", img,
                             j);
    int n_g = geom == RAMP_DET_BOX ? 4 : 3;
    for (int q = 0; q < n_g; q++)
        if (!isfinite(o->g[q]))
            return ramp__err_set(err, RAMP_EINVAL,
                                 "detection: image %zu, %s %zu: coordinate %d is not finite", img,
                                 what, j, q);
    if (geom == RAMP_DET_BOX && (o->g[2] < o->g[0] || o->g[3] < o->g[1]))
        return ramp__err_set(err, RAMP_EINVAL,
                             "detection: image %zu, %s %zu: box (%g, %g, %g, %g) has x2 < x1 or "
                             "y2 < y1",
                             img, what, j, o->g[0], o->g[1], o->g[2], o->g[3]);
    if (geom == RAMP_DET_CIRCLE && o->g[2] < 0)
        return ramp__err_set(err, RAMP_EINVAL, "detection: image %zu, %s %zu: negative radius %g",
                             img, what, j, o->g[2]);
    return RAMP_OK;
}

/* A prediction in a class's ranking: its place in the input and its score. */
typedef struct ranked {
    double conf;
    size_t img, j; /* image, index in the image's predictions */
    size_t pos;    /* position over the whole input (reversed for last-first ties) */
} ranked;

static int cmp_ranked(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    if (a->conf > b->conf) return -1;
    if (a->conf < b->conf) return 1;
    return (a->pos > b->pos) - (a->pos < b->pos);
}

void ramp_det_eval_free(ramp_det_eval *ev)
{
    if (!ev) return;
    for (int k = 0; ev->cls && k < ev->n_classes; k++) {
        free(ev->cls[k].conf);
        free(ev->cls[k].tp);
    }
    free(ev->cls);
    free(ev);
}

ramp_status ramp__det_check(const ramp_det_image *images, size_t n_images, int n_classes,
                            ramp_det_geom geom, ramp_err *err)
{
    if (n_classes < 1)
        return ramp__err_set(err, RAMP_EINVAL, "detection: %d classes (need at least 1)",
                             n_classes);
    if (n_images && !images) return ramp__err_set(err, RAMP_EINVAL, "detection: NULL images");
    if (geom != RAMP_DET_BOX && geom != RAMP_DET_CIRCLE)
        return ramp__err_set(err, RAMP_EINVAL, "detection: unknown geometry %d", (int)geom);
    for (size_t i = 0; i < n_images; i++) {
        const ramp_det_image *im = &images[i];
        if ((im->n_truth && !im->truth) || (im->n_pred && !im->pred))
            return ramp__err_set(err, RAMP_EINVAL, "detection: image %zu: NULL object array", i);
        for (size_t j = 0; j < im->n_truth; j++) {
            ramp_status st = check_obj(&im->truth[j], 0, i, j, n_classes, geom, err);
            if (st) return st;
        }
        for (size_t j = 0; j < im->n_pred; j++) {
            ramp_status st = check_obj(&im->pred[j], 1, i, j, n_classes, geom, err);
            if (st) return st;
        }
    }
    return RAMP_OK;
}

ramp_status ramp_det_eval_new(ramp_det_eval **out, const ramp_det_image *images, size_t n_images,
                              int n_classes, const ramp_det_params *params, ramp_err *err)
{
    return ramp__det_eval_new_ex(out, images, n_images, n_classes, params, 0, err);
}

ramp_status ramp__det_eval_new_ex(ramp_det_eval **out, const ramp_det_image *images,
                                  size_t n_images, int n_classes, const ramp_det_params *params,
                                  unsigned flags, ramp_err *err)
{
    if (!out) return ramp__err_set(err, RAMP_EINVAL, "detection: NULL output");
    *out = NULL;
    ramp_det_params p = params ? *params : (ramp_det_params){RAMP_DET_BOX, 0.5, RAMP_DET_MATCH_VOC};
    if (p.iou_threshold == 0) p.iou_threshold = 0.5;
    if (n_classes < 1)
        return ramp__err_set(err, RAMP_EINVAL, "detection: %d classes (need at least 1)",
                             n_classes);
    if (n_images && !images) return ramp__err_set(err, RAMP_EINVAL, "detection: NULL images");
    if (p.geom != RAMP_DET_BOX && p.geom != RAMP_DET_CIRCLE)
        return ramp__err_set(err, RAMP_EINVAL, "detection: unknown geometry %d", (int)p.geom);
    if (p.match != RAMP_DET_MATCH_VOC && p.match != RAMP_DET_MATCH_UNMATCHED)
        return ramp__err_set(err, RAMP_EINVAL, "detection: unknown matching rule %d", (int)p.match);
    if (!(p.iou_threshold > 0 && p.iou_threshold <= 1))
        return ramp__err_set(err, RAMP_EINVAL, "detection: IoU threshold %g outside (0, 1]",
                             p.iou_threshold);

    ramp_status cst = ramp__det_check(images, n_images, n_classes, p.geom, err);
    if (cst) return cst;
    size_t tot_truth = 0;
    for (size_t i = 0; i < n_images; i++)
        tot_truth += images[i].n_truth;

    ramp_status st = RAMP_ENOMEM;
    size_t *truth_off = NULL; /* [n_images] first flag of each image */
    uint8_t *taken = NULL;    /* [tot_truth] */
    ranked *rk = NULL;
    size_t *fill = NULL;
    ramp_det_eval *ev = calloc(1, sizeof *ev);
    if (!ev) goto fail;
    ev->n_classes = n_classes;
    ev->cls = calloc((size_t)n_classes, sizeof *ev->cls);
    truth_off = malloc((n_images ? n_images : 1) * sizeof *truth_off);
    taken = calloc(tot_truth ? tot_truth : 1, 1);
    fill = calloc((size_t)n_classes, sizeof *fill);
    if (!ev->cls || !truth_off || !taken || !fill) goto fail;

    size_t tot_pred = 0;
    for (size_t i = 0, off = 0; i < n_images; i++) {
        truth_off[i] = off;
        off += images[i].n_truth;
        for (size_t j = 0; j < images[i].n_truth; j++)
            ev->cls[images[i].truth[j].cls].n_truth++;
        for (size_t j = 0; j < images[i].n_pred; j++)
            ev->cls[images[i].pred[j].cls].n_pred++;
        tot_pred += images[i].n_pred;
    }
    /* rk holds every class's ranking back to back: class k at [start_k, ...) */
    rk = malloc((tot_pred ? tot_pred : 1) * sizeof *rk);
    if (!rk) goto fail;
    for (int k = 0; k < n_classes; k++) {
        det_class *dc = &ev->cls[k];
        size_t n = dc->n_pred ? dc->n_pred : 1;
        dc->conf = malloc(n * sizeof *dc->conf);
        dc->tp = calloc(n, 1);
        if (!dc->conf || !dc->tp) goto fail;
    }
    /* fill[k]: the next free slot of class k, starting at the class's start */
    size_t s = 0;
    for (int k = 0; k < n_classes; k++) {
        fill[k] = s;
        s += ev->cls[k].n_pred;
    }
    for (size_t i = 0, pos = 0; i < n_images; i++)
        for (size_t j = 0; j < images[i].n_pred; j++, pos++) {
            const ramp_det_obj *o = &images[i].pred[j];
            size_t key = (flags & RAMP__DET_TIES_LAST_FIRST) ? SIZE_MAX - pos : pos;
            rk[fill[o->cls]++] = (ranked){o->conf, i, j, key};
        }

    size_t base = 0;
    for (int k = 0; k < n_classes; k++) {
        det_class *dc = &ev->cls[k];
        ranked *r = rk + base;
        base += dc->n_pred;
        if (dc->n_pred > 1) qsort(r, dc->n_pred, sizeof *r, cmp_ranked);
        for (size_t q = 0; q < dc->n_pred; q++) {
            const ramp_det_image *im = &images[r[q].img];
            const ramp_det_obj *o = &im->pred[r[q].j];
            uint8_t *tk = taken + truth_off[r[q].img];
            double best = -1;
            size_t jbest = 0;
            int found = 0;
            for (size_t t = 0; t < im->n_truth; t++) {
                if (im->truth[t].cls != k) continue;
                if (p.match == RAMP_DET_MATCH_UNMATCHED && tk[t]) continue;
                double v = ramp__det_iou(p.geom, o->g, im->truth[t].g, flags);
                if (!found || v > best) {
                    best = v;
                    jbest = t;
                    found = 1;
                }
            }
            dc->conf[q] = r[q].conf;
            int pass =
                (flags & RAMP__DET_STRICT_IOU) ? best > p.iou_threshold : best >= p.iou_threshold;
            if (found && pass && !tk[jbest]) {
                tk[jbest] = 1;
                dc->tp[q] = 1;
            }
        }
    }
    free(truth_off);
    free(taken);
    free(rk);
    free(fill);
    truth_off = NULL;
    taken = NULL;
    rk = NULL;
    fill = NULL;
    /* the APs, once: the queries are then plain reads */
    size_t max_pred = 1;
    for (int k = 0; k < n_classes; k++)
        if (ev->cls[k].n_pred > max_pred) max_pred = ev->cls[k].n_pred;
    double *prec = malloc(max_pred * sizeof *prec), *rec = malloc(max_pred * sizeof *rec);
    if (!prec || !rec) {
        free(prec);
        free(rec);
        goto fail;
    }
    for (int k = 0; k < n_classes; k++) {
        det_class *dc = &ev->cls[k];
        for (int kind = 0; kind < 2; kind++)
            dc->ap[kind] = dc->n_truth ? class_ap(dc, (ramp_det_ap_kind)kind, prec, rec) : NAN;
    }
    free(prec);
    free(rec);
    *out = ev;
    return RAMP_OK;
fail:
    free(truth_off);
    free(taken);
    free(rk);
    free(fill);
    ramp_det_eval_free(ev);
    return ramp__err_set(err, st, "detection: out of memory (%zu images)", n_images);
}

int ramp_det_eval_n_classes(const ramp_det_eval *ev)
{
    return ev ? ev->n_classes : 0;
}

size_t ramp_det_eval_ranking(const ramp_det_eval *ev, int cls, const double **conf,
                             const uint8_t **is_tp)
{
    if (conf) *conf = NULL;
    if (is_tp) *is_tp = NULL;
    if (!ev || cls < 0 || cls >= ev->n_classes) return 0;
    if (conf) *conf = ev->cls[cls].conf;
    if (is_tp) *is_tp = ev->cls[cls].tp;
    return ev->cls[cls].n_pred;
}

size_t ramp_det_eval_n_truth(const ramp_det_eval *ev, int cls)
{
    if (!ev || cls < 0 || cls >= ev->n_classes) return 0;
    return ev->cls[cls].n_truth;
}

/* AP of one class from its ranking (n_truth > 0). */
static double class_ap(const det_class *dc, ramp_det_ap_kind kind, double *prec, double *rec)
{
    size_t n = dc->n_pred;
    double ntp = 0, nfp = 0, npos = (double)dc->n_truth;
    for (size_t q = 0; q < n; q++) {
        if (dc->tp[q])
            ntp += 1;
        else
            nfp += 1;
        rec[q] = ntp / npos;
        prec[q] = ntp / (ntp + nfp);
    }
    double ap = 0;
    if (kind == RAMP_DET_AP_11_POINT) {
        for (int j = 0; j <= 10; j++) {
            double t = j / 10.0, pmax = 0;
            for (size_t q = 0; q < n; q++)
                if (rec[q] >= t && prec[q] > pmax) pmax = prec[q];
            ap = ap + pmax / 11.0;
        }
        return ap;
    }
    /* all-point: envelope from the right, in place; mpre[n+1] = 0, mrec[n+1] = 1 */
    for (size_t q = n; q-- > 1;)
        if (prec[q] > prec[q - 1]) prec[q - 1] = prec[q];
    double prev_rec = 0;
    for (size_t q = 0; q < n; q++) {
        if (rec[q] != prev_rec) ap += (rec[q] - prev_rec) * prec[q];
        prev_rec = rec[q];
    }
    /* the closing step to recall 1 has precision 0 and adds nothing */
    return ap;
}

double ramp_det_eval_ap(const ramp_det_eval *ev, int cls, ramp_det_ap_kind kind)
{
    if (!ev || cls < 0 || cls >= ev->n_classes) return NAN;
    if (kind != RAMP_DET_AP_ALL_POINT && kind != RAMP_DET_AP_11_POINT) return NAN;
    return ev->cls[cls].ap[kind];
}

double ramp_det_eval_map(const ramp_det_eval *ev, ramp_det_ap_kind kind, int *n_scored)
{
    if (n_scored) *n_scored = 0;
    if (!ev || (kind != RAMP_DET_AP_ALL_POINT && kind != RAMP_DET_AP_11_POINT)) return NAN;
    double sum = 0;
    int m = 0;
    for (int k = 0; k < ev->n_classes; k++) {
        if (!ev->cls[k].n_truth) continue;
        sum += ev->cls[k].ap[kind];
        m++;
    }
    if (n_scored) *n_scored = m;
    return m ? sum / m : NAN;
}

ramp_det_counts ramp_det_eval_counts(const ramp_det_eval *ev, int cls, double conf_threshold)
{
    ramp_det_counts c = {0, 0, 0, NAN, NAN}, *out = &c;
    if (!ev || cls < -1 || cls >= ev->n_classes || isnan(conf_threshold)) return c;
    int k0 = cls < 0 ? 0 : cls, k1 = cls < 0 ? ev->n_classes : cls + 1;
    for (int k = k0; k < k1; k++) {
        const det_class *dc = &ev->cls[k];
        for (size_t q = 0; q < dc->n_pred && dc->conf[q] >= conf_threshold; q++) {
            if (dc->tp[q])
                out->tp++;
            else
                out->fp++;
        }
        out->n_truth += dc->n_truth;
    }
    out->precision = out->tp + out->fp ? (double)out->tp / (double)(out->tp + out->fp) : 0.0;
    out->recall = out->n_truth ? (double)out->tp / (double)out->n_truth : NAN;
    return c;
}
