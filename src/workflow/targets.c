/* targets.c — the workflow's detection and segmentation side (workflowInt.h).
 *
 * What differs from classification once a fold has run: its predictions are
 * objects or class maps of each row's original image, not probabilities.
 * Here they are scored against the kit's truth, fused across folds (the
 * bag) and saved.
 *
 * - Detection rows (runInt.h): a count, then up to max_objects objects of 6
 *   floats (class, confidence, 4 coordinates). Scores take the problem's
 *   kinds through ramp_score_detection_minipatch (each score's minipatch
 *   when its line sets one), with rampwf's semantics when the problem says
 *   compat = rampwf.
 * - Bagging detections: for each image, the union of the folds' objects is
 *   fused per class. Objects are visited by confidence, descending (ties in
 *   fold order); each joins the cluster whose fused geometry overlaps it
 *   most at IoU ≥ the problem's iou_threshold, else starts one. Weighted box
 *   fusion (the default) gives a cluster the confidence-weighted mean of its
 *   members' coordinates and the sum of their confidences over the number of
 *   folds that predicted the image (a cluster found by one fold of three
 *   keeps a third of its confidence); NMS keeps each cluster's first member
 *   as it is. An image only one fold predicted (a CV row in one fold's
 *   validation, or every row of a one-fold run) keeps that fold's objects.
 * - bagging = rampwf is rampwf's own combination of detections (old
 *   leaderboards): every pair of folds is matched one-to-one by largest IoU
 *   sum (rampwf's circle IoU), pairs with IoU > iou_threshold linked, and
 *   each connected group of linked objects becomes one: the
 *   confidence-weighted mean geometry and the confidences' sum over the
 *   folds that predicted the image (all-zero confidences: plain means).
 *   Objects no other fold matched are dropped. Groups come out in the
 *   order of their first member (fold, then position in the fold's list).
 * - Segmentation rows: a class per pixel of the original image. Scores come
 *   from a confusion matrix (segmentation.h) over the rows, the truth masks
 *   decoded here one at a time. The bag is a per-pixel vote of the folds
 *   (ties go to the lowest class).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/coreInt.h"
#include "ramp/detection.h"
#include "ramp/image.h"
#include "ramp/score.h"
#include "ramp/segmentation.h"
#include "score/scoreInt.h"
#include "workflow/workflowInt.h"

/* ---- sizes -------------------------------------------------------------------------- */

ramp_status ramp__wf_sizes(const ramp_samples *s, int masks, uint32_t **wh, ramp_err *err)
{
    *wh = malloc((2 * s->n + 1) * sizeof **wh);
    if (!*wh) return ramp__err_set(err, RAMP_ENOMEM, "out of memory");
    ramp_pp *pp = NULL;
    ramp_status st = ramp_pp_new(&pp, err);
    for (size_t i = 0; !st && i < s->n; i++) {
        ramp_pp_reset(pp);
        const char *const *paths = masks ? s->mask_paths : s->paths;
        const char *path = paths ? paths[i] : NULL;
        const ramp_image *m = path ? ramp_img_open(pp, path) : NULL;
        if (!m) {
            st = ramp__err_set(err, path ? ramp_pp_status(pp) : RAMP_EINVAL, "%s'%s': %s",
                               masks ? "mask of " : "image ", s->ids[i],
                               path ? ramp_pp_errmsg(pp) : "none");
            break;
        }
        (*wh)[2 * i] = (uint32_t)ramp_img_width(m);
        (*wh)[2 * i + 1] = (uint32_t)ramp_img_height(m);
    }
    ramp_pp_free(pp);
    if (st) {
        free(*wh);
        *wh = NULL;
    }
    return st;
}

/* ---- detection ---------------------------------------------------------------------- */

size_t ramp__wf_det_row(ramp_det_obj *dst, const float *pred, size_t stride, size_t row)
{
    const float *q = pred + row * stride;
    size_t n = (size_t)q[0];
    for (size_t k = 0; k < n; k++) {
        const float *o = q + 1 + 6 * k;
        dst[k].cls = (int32_t)o[0];
        dst[k].conf = o[1];
        for (int j = 0; j < 4; j++)
            dst[k].g[j] = o[2 + j];
    }
    return n;
}

/* The truth objects of row `row` of s as ramp_det_obj, into a fresh array. */
static ramp_det_obj *truth_row(const ramp_samples *s, size_t row, size_t *n)
{
    size_t o0 = s->obj_off[row], o1 = s->obj_off[row + 1];
    *n = o1 - o0;
    ramp_det_obj *t = malloc((*n + 1) * sizeof *t);
    if (!t) return NULL;
    for (size_t k = 0; k < *n; k++) {
        const ramp_obj *o = &s->objs[o0 + k];
        t[k].cls = o->cls;
        t[k].conf = 1;
        for (int j = 0; j < 4; j++)
            t[k].g[j] = o->g[j];
    }
    return t;
}

void ramp__wf_score_det(const ramp_problem *pb, const ramp_samples *truth, const uint32_t *wh,
                        const uint32_t *idx, size_t n, const ramp__wf_dets *d, double *out)
{
    int ns = ramp_problem_n_scores(pb);
    if (ns > RAMP__WF_MAX_SCORES) ns = RAMP__WF_MAX_SCORES;
    for (int s = 0; s < ns; s++)
        out[s] = NAN;
    ramp_det_image *im = calloc(n + 1, sizeof *im);
    if (!im) return;
    int ok = 1;
    for (size_t i = 0; ok && i < n; i++) {
        size_t nt, row = idx ? idx[i] : i;
        im[i].truth = truth_row(truth, row, &nt);
        im[i].width = (int32_t)wh[2 * row];
        im[i].height = (int32_t)wh[2 * row + 1];
        im[i].n_truth = nt;
        im[i].pred = d->obj + d->off[i];
        im[i].n_pred = d->off[i + 1] - d->off[i];
        ok = im[i].truth != NULL;
    }
    ramp_det_geom geom = ramp_problem_geometry(pb) ? RAMP_DET_CIRCLE : RAMP_DET_BOX;
    for (int s = 0; ok && s < ns; s++) {
        ramp_err e;
        double mp[4];
        int has_mp = ramp_problem_score_minipatch(pb, s, mp);
        if (ramp_score_detection_minipatch(&out[s], ramp_problem_score_kind(pb, s),
                                           ramp_problem_score_param(pb, s), im, n,
                                           ramp_problem_n_classes(pb), geom,
                                           ramp_problem_compat_rampwf(pb), has_mp ? mp : NULL, &e))
            out[s] = NAN;
    }
    for (size_t i = 0; i < n; i++)
        free((void *)im[i].truth);
    free(im);
}

void ramp__wf_dets_free(ramp__wf_dets *d)
{
    free(d->obj);
    free(d->off);
    memset(d, 0, sizeof *d);
}

ramp_status ramp__wf_dets_from_rows(ramp__wf_dets *d, const float *pred, size_t stride, size_t row0,
                                    size_t n)
{
    memset(d, 0, sizeof *d);
    size_t tot = 0;
    for (size_t i = 0; i < n; i++)
        tot += (size_t)pred[(row0 + i) * stride];
    d->off = malloc((n + 1) * sizeof *d->off);
    d->obj = malloc((tot + 1) * sizeof *d->obj);
    if (!d->off || !d->obj) {
        ramp__wf_dets_free(d);
        return RAMP_ENOMEM;
    }
    d->n = n;
    d->off[0] = 0;
    for (size_t i = 0; i < n; i++)
        d->off[i + 1] = d->off[i] + ramp__wf_det_row(d->obj + d->off[i], pred, stride, row0 + i);
    return RAMP_OK;
}

static double iou(const ramp_det_obj *a, const ramp_det_obj *b, int circles)
{
    return circles ? ramp_det_iou_circle(a->g, b->g) : ramp_det_iou_box(a->g, b->g);
}

typedef struct cand {
    ramp_det_obj o;
    int src; /* input order, for ties */
} cand;

static int cand_cmp(const void *pa, const void *pb)
{
    const cand *a = pa, *b = pb;
    if (a->o.conf != b->o.conf) return a->o.conf > b->o.conf ? -1 : 1;
    return (a->src > b->src) - (a->src < b->src);
}

static size_t uf_find(size_t *parent, size_t i)
{
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
}

/* rampwf's combination (the note above). SIZE_MAX when out of memory. */
static size_t fuse_rampwf(ramp_det_obj *out, const ramp_det_obj *in, const size_t *model_off,
                          int n_models, int circles, double thr)
{
    size_t n = model_off[n_models];
    if (n_models == 1) {
        memcpy(out, in, n * sizeof *out);
        return n;
    }
    /* the cost matrix of one pair of folds: the largest fold's count squared
       (not the image's total squared: 3 folds of 10,000 objects would ask
       for 7 GB) */
    size_t most = 0;
    for (int m = 0; m < n_models; m++)
        if (model_off[m + 1] - model_off[m] > most) most = model_off[m + 1] - model_off[m];
    size_t *parent = malloc((n + 1) * sizeof *parent), *root_out = malloc((n + 1) * sizeof *root_out);
    unsigned char *linked = calloc(n + 1, 1);
    double *cost = malloc((most * most + 1) * sizeof *cost), *wsum = calloc(n + 1, sizeof *wsum);
    double *csum = calloc(n + 1, sizeof *csum), *gsum = calloc(4 * n + 1, sizeof *gsum);
    size_t *cnt = calloc(n + 1, sizeof *cnt);
    ptrdiff_t *r2c = malloc((n + 1) * sizeof *r2c);
    size_t k = SIZE_MAX;
    if (!parent || !root_out || !linked || !cost || !wsum || !csum || !gsum || !cnt || !r2c)
        goto done;
    for (size_t i = 0; i < n; i++) parent[i] = i;
    ramp_det_geom geom = circles ? RAMP_DET_CIRCLE : RAMP_DET_BOX;
    unsigned flags = circles ? RAMP__DET_RAMPWF_CIRCLE : 0;
    for (int a = 0; a < n_models; a++)
        for (int b = a + 1; b < n_models; b++) {
            size_t a0 = model_off[a], na = model_off[a + 1] - a0;
            size_t b0 = model_off[b], nb = model_off[b + 1] - b0;
            if (!na || !nb) continue;
            for (size_t i = 0; i < na; i++)
                for (size_t j = 0; j < nb; j++) {
                    double ga[4], gb[4];
                    for (int q = 0; q < 4; q++) {
                        ga[q] = in[a0 + i].g[q];
                        gb[q] = in[b0 + j].g[q];
                    }
                    cost[i * nb + j] = 1.0 - ramp__det_iou(geom, ga, gb, flags);
                }
            ramp_err e;
            if (ramp__assign(cost, na, nb, r2c, &e)) goto done;
            for (size_t i = 0; i < na; i++) {
                if (r2c[i] < 0 || 1.0 - cost[i * nb + (size_t)r2c[i]] <= thr) continue;
                size_t u = uf_find(parent, a0 + i), v = uf_find(parent, b0 + (size_t)r2c[i]);
                if (u != v) parent[u > v ? u : v] = u < v ? u : v;
                linked[a0 + i] = linked[b0 + (size_t)r2c[i]] = 1;
            }
        }
    /* groups in the order of their first member: a root is its group's
       smallest index (unions keep the smaller one) */
    k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!linked[i]) continue;
        size_t r = uf_find(parent, i);
        if (r == i) root_out[i] = k++;
        size_t j = root_out[r];
        wsum[j] += in[i].conf;
        csum[j] += in[i].conf;
        cnt[j]++;
        for (int q = 0; q < 4; q++) gsum[4 * j + (size_t)q] += (double)in[i].conf * in[i].g[q];
        out[j].cls = in[i].cls;
        if (cnt[j] == 1) out[j].conf = 0;
        out[j].conf += in[i].conf; /* plain sum, for the all-zero case */
        for (int q = 0; q < 4; q++)
            out[j].g[q] = cnt[j] == 1 ? in[i].g[q] : out[j].g[q] + in[i].g[q];
    }
    for (size_t j = 0; j < k; j++) {
        if (wsum[j] > 0) {
            for (int q = 0; q < 4; q++) out[j].g[q] = gsum[4 * j + (size_t)q] / wsum[j];
            out[j].conf = csum[j] / n_models;
        } else { /* all confidences zero: the plain mean of everything */
            out[j].conf = out[j].conf / (double)cnt[j];
            for (int q = 0; q < 4; q++) out[j].g[q] /= (double)cnt[j];
        }
    }
done:
    free(parent);
    free(root_out);
    free(linked);
    free(cost);
    free(wsum);
    free(csum);
    free(gsum);
    free(cnt);
    free(r2c);
    return k;
}

size_t ramp__wf_fuse(ramp_det_obj *out, const ramp_det_obj *in, const size_t *model_off,
                     int n_models, int circles, double iou_threshold, int mode)
{
    size_t n = model_off[n_models];
    if (n == 0) return 0;
    if (mode == 2) return fuse_rampwf(out, in, model_off, n_models, circles, iou_threshold);
    int nms = mode == 1;
    cand *c = malloc(n * sizeof *c);
    double *wsum = calloc(n, sizeof *wsum), *csum = calloc(n, sizeof *csum);
    double *gsum = calloc(4 * n, sizeof *gsum);
    if (!c || !wsum || !csum || !gsum) {
        free(c);
        free(wsum);
        free(csum);
        free(gsum);
        return SIZE_MAX;
    }
    for (size_t i = 0; i < n; i++)
        c[i] = (cand){in[i], (int)i};
    qsort(c, n, sizeof *c, cand_cmp);
    if (n_models <= 1) { /* one fold's objects: the bag is that fold's */
        for (size_t i = 0; i < n; i++)
            out[i] = c[i].o;
        free(c);
        free(wsum);
        free(csum);
        free(gsum);
        return n;
    }
    size_t k = 0; /* clusters: out[0..k) hold the fused (or kept) objects */
    for (size_t i = 0; i < n; i++) {
        const ramp_det_obj *o = &c[i].o;
        size_t best = SIZE_MAX;
        double best_iou = -1;
        for (size_t j = 0; j < k; j++) {
            if (out[j].cls != o->cls) continue;
            double v = iou(&out[j], o, circles);
            if (v >= iou_threshold && v > best_iou) {
                best = j;
                best_iou = v;
            }
        }
        if (best == SIZE_MAX) {
            best = k++;
            out[best] = *o;
        }
        double w = o->conf;
        wsum[best] += w;
        csum[best] += o->conf;
        for (int g = 0; g < 4; g++)
            gsum[4 * best + (size_t)g] += w * o->g[g];
        if (!nms && wsum[best] > 0)
            for (int g = 0; g < 4; g++)
                out[best].g[g] = gsum[4 * best + (size_t)g] / wsum[best];
    }
    if (!nms)
        for (size_t j = 0; j < k; j++) {
            double cf = csum[j] / (n_models > 0 ? n_models : 1);
            out[j].conf = cf > 1 ? 1 : cf;
        }
    free(c);
    free(wsum);
    free(csum);
    free(gsum);
    return k;
}

/* ---- segmentation ------------------------------------------------------------------- */

/* The truth mask of row `row` (8-bit gray, w × h) decoded into pp. */
static const uint8_t *truth_mask(ramp_pp *pp, const ramp_samples *s, size_t row, uint32_t w,
                                 uint32_t h, uint8_t *dst, ramp_err *err)
{
    ramp_pp_reset(pp);
    const ramp_image *m = ramp_img_open(pp, s->mask_paths[row]);
    size_t stride = 0;
    const uint8_t *px = m ? ramp_img_pixels(pp, m, &stride) : NULL;
    if (!px) {
        ramp__err_set(err, ramp_pp_status(pp), "mask of '%s': %s", s->ids[row], ramp_pp_errmsg(pp));
        return NULL;
    }
    if (ramp_img_channels(m) != 1 || (uint32_t)ramp_img_width(m) != w ||
        (uint32_t)ramp_img_height(m) != h) {
        ramp__err_set(err, RAMP_ESHAPE, "mask of '%s': %d×%d×%d, expected %u×%u gray", s->ids[row],
                      ramp_img_width(m), ramp_img_height(m), ramp_img_channels(m), w, h);
        return NULL;
    }
    for (uint32_t y = 0; y < h; y++)
        memcpy(dst + (size_t)y * w, px + y * stride, w);
    return dst;
}

ramp_status ramp__wf_score_seg(const ramp_problem *pb, const ramp_samples *truth,
                               const uint32_t *idx, size_t n, const uint8_t *const *pred,
                               const uint32_t *wh, double *out, ramp_err *err)
{
    int ns = ramp_problem_n_scores(pb);
    if (ns > RAMP__WF_MAX_SCORES) ns = RAMP__WF_MAX_SCORES;
    for (int s = 0; s < ns; s++)
        out[s] = NAN;
    ramp_seg_confusion *cm = NULL;
    ramp_pp *pp = NULL;
    uint8_t *buf = NULL;
    size_t cap = 0;
    ramp_status st =
        ramp_seg_confusion_new(&cm, ramp_problem_n_classes(pb), RAMP_IGNORE_LABEL, err);
    if (!st) st = ramp_pp_new(&pp, err);
    for (size_t i = 0; !st && i < n; i++) {
        size_t row = idx ? idx[i] : i;
        uint32_t w = wh[2 * row], h = wh[2 * row + 1];
        size_t np = (size_t)w * h;
        if (np > cap) {
            free(buf);
            cap = np;
            if (!(buf = malloc(cap))) {
                st = ramp__err_set(err, RAMP_ENOMEM, "out of memory");
                break;
            }
        }
        if (!truth_mask(pp, truth, row, w, h, buf, err)) {
            st = err->code ? err->code : RAMP_EIO;
            break;
        }
        if ((st = ramp_seg_confusion_add_u8(cm, buf, pred[i], np)))
            ramp__err_set(err, st, "mask of '%s': %s", truth->ids[row],
                          ramp_seg_confusion_errmsg(cm));
    }
    if (!st) {
        ramp_seg_scores sc = ramp_seg_confusion_scores(cm);
        for (int s = 0; s < ns; s++)
            switch (ramp_problem_score_kind(pb, s)) {
            case RAMP_SCORE_PIXEL_ACCURACY:
                out[s] = sc.pixel_accuracy;
                break;
            case RAMP_SCORE_MEAN_ACCURACY:
                out[s] = sc.mean_accuracy;
                break;
            case RAMP_SCORE_MEAN_IU:
                out[s] = sc.mean_iu;
                break;
            case RAMP_SCORE_FW_IU:
                out[s] = sc.fw_iu;
                break;
            default:
                break;
            }
    }
    free(buf);
    ramp_pp_free(pp);
    ramp_seg_confusion_free(cm);
    return st;
}

void ramp__wf_vote(uint8_t *out, const uint8_t *const *maps, int k, size_t n_pixels, int n_classes)
{
    uint16_t counts[256];
    for (size_t p = 0; p < n_pixels; p++) {
        memset(counts, 0, (size_t)n_classes * sizeof *counts);
        for (int m = 0; m < k; m++)
            counts[maps[m][p]]++;
        int best = 0;
        for (int c = 1; c < n_classes; c++)
            if (counts[c] > counts[best]) best = c;
        out[p] = (uint8_t)best;
    }
}

/* ---- saved outputs ------------------------------------------------------------------ */

ramp_status ramp__wf_save_dets(const char *path, const ramp_samples *s, const uint32_t *idx,
                               const ramp__wf_dets *d, int circles, ramp_err *err)
{
    char tmp[4400];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return ramp__err_set(err, RAMP_EIO, "%s: %s", tmp, strerror(errno));
    fprintf(f, circles ? "id,class,confidence,x,y,r\n" : "id,class,confidence,x0,y0,x1,y1\n");
    for (size_t i = 0; i < d->n; i++) {
        const char *id = s->ids[idx ? idx[i] : i];
        int quote = strpbrk(id, ",\"\r\n") != NULL;
        for (size_t k = d->off[i]; k < d->off[i + 1]; k++) {
            const ramp_det_obj *o = &d->obj[k];
            if (quote) {
                fputc('"', f);
                for (const char *c = id; *c; c++) {
                    if (*c == '"') fputc('"', f);
                    fputc(*c, f);
                }
                fputc('"', f);
            } else {
                fputs(id, f);
            }
            fprintf(f, ",%d,%.9g,%.9g,%.9g,%.9g", (int)o->cls, o->conf, o->g[0], o->g[1], o->g[2]);
            if (!circles) fprintf(f, ",%.9g", o->g[3]);
            fputc('\n', f);
        }
    }
    int bad = fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        remove(tmp);
        return ramp__err_set(err, RAMP_EIO, "%s: cannot write", path);
    }
    return RAMP_OK;
}

ramp_status ramp__wf_save_masks(const char *dir, const ramp_samples *s, const uint32_t *idx,
                                size_t n, const uint8_t *const *pred, const uint32_t *wh,
                                ramp_err *err)
{
    ramp_status st = RAMP_OK;
    for (size_t i = 0; !st && i < n; i++) {
        size_t row = idx ? idx[i] : i;
        char path[4600], tmp[4700];
        snprintf(path, sizeof path, "%s/%s", dir, s->ids[row]);
        /* ids may hold folders (train/0001.png) */
        char *slash = strrchr(path, '/');
        if (slash && slash > path + strlen(dir)) {
            *slash = '\0';
            if (ramp__mkdirs(path) != 0)
                st = ramp__err_set(err, RAMP_EIO, "%s: %s", path, strerror(errno));
            *slash = '/';
        }
        uint8_t *png = NULL;
        size_t len = 0;
        if (!st)
            st = ramp_img_encode(&png, &len, RAMP_FMT_PNG, pred[i], (int)wh[2 * row],
                                 (int)wh[2 * row + 1], 1, wh[2 * row], 0, err);
        if (!st) {
            snprintf(tmp, sizeof tmp, "%s.tmp", path);
            FILE *f = fopen(tmp, "wb");
            int bad = !f || fwrite(png, 1, len, f) != len;
            if (f) bad |= fclose(f) != 0;
            if (bad || rename(tmp, path) != 0) {
                remove(tmp);
                st = ramp__err_set(err, RAMP_EIO, "%s: cannot write", path);
            }
        }
        free(png);
    }
    return st;
}
