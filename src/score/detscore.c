/* detscore.c — the problem's detection scores (ramp_score_detection,
 * ramp_score_detection_minipatch, include/ramp/detection.h; definitions in
 * docs/scores.md).
 *
 * map and our det_precision / det_recall are reads of one ramp_det_eval
 * (detection.c). The scores rampwf defines on a one-to-one assignment
 * (its precision and recall, ospa, mad_center, mad_radius) share one pass:
 * per image, the kept predictions (confidence rule), the IoU matrix of
 * truths × kept predictions (0 across classes), and a minimum-cost
 * assignment of 1 − IoU (ramp__assign, the Hungarian method with
 * potentials, O(n² m)). scp projects every object on a per-image map of
 * doubles (reused across images, sized by the largest image).
 *
 * compat_rampwf switches to rampwf's circle IoU, strict thresholds (IoU >
 * param, confidence > 0.5), last-first ties in map's ranking, rampwf's
 * pixel rule in scp and its values on empty input (ospa 1, scp and
 * precision NaN). Circles are (x, y, r) with x a column and y a row in
 * both modes: rampwf's tuple (row, col, r) is ramp's (col, row, r).
 *
 * A minipatch (a region [row_min, row_max) × [col_min, col_max) of each
 * image; an object is in it by its centre) is applied before scoring by
 * copying each image's objects that count into a scratch image set
 * (filter_images), except where rampwf does otherwise: its ospa matches on
 * the whole image and counts the objects inside (assign_pass takes the
 * region for that), and scp in both modes projects on the whole image and
 * sums the pixels inside only (project / scp take a pixel window).
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ramp/detection.h"
#include "score/scoreInt.h"

/* Largest image scp projects on (the image decoder's default limit). */
#define SCP_MAX_PIXELS ((uint64_t)64 * 1000 * 1000)

/* --- assignment ------------------------------------------------------------------ */

ramp_status ramp__assign(const double *cost, size_t n, size_t m, ptrdiff_t *row_to_col,
                         ramp_err *err)
{
    for (size_t i = 0; i < n; i++)
        row_to_col[i] = -1;
    if (!n || !m) return RAMP_OK;
    /* the method wants rows ≤ columns: transpose when n > m */
    int tr = n > m;
    size_t R = tr ? m : n, C = tr ? n : m;
    double *u = calloc(R + 1, sizeof *u), *v = calloc(C + 1, sizeof *v);
    double *minv = malloc((C + 1) * sizeof *minv);
    size_t *p = calloc(C + 1, sizeof *p), *way = calloc(C + 1, sizeof *way);
    unsigned char *used = malloc(C + 1);
    ramp_status st = RAMP_OK;
    if (!u || !v || !minv || !p || !way || !used) {
        st = ramp__err_set(err, RAMP_ENOMEM, "detection: out of memory (assignment %zu × %zu)", n,
                           m);
        goto done;
    }
    /* p[j]: the row (1-based) holding column j (1-based), 0 when free */
    for (size_t i = 1; i <= R; i++) {
        size_t j0 = 0;
        p[0] = i;
        for (size_t j = 0; j <= C; j++) {
            minv[j] = DBL_MAX;
            used[j] = 0;
        }
        do {
            used[j0] = 1;
            size_t i0 = p[j0], j1 = 0;
            double delta = DBL_MAX;
            for (size_t j = 1; j <= C; j++) {
                if (used[j]) continue;
                double c = tr ? cost[(j - 1) * m + (i0 - 1)] : cost[(i0 - 1) * m + (j - 1)];
                double cur = c - u[i0] - v[j];
                if (cur < minv[j]) {
                    minv[j] = cur;
                    way[j] = j0;
                }
                if (minv[j] < delta) {
                    delta = minv[j];
                    j1 = j;
                }
            }
            for (size_t j = 0; j <= C; j++) {
                if (used[j]) {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else
                    minv[j] -= delta;
            }
            j0 = j1;
        } while (p[j0] != 0);
        do {
            size_t j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
        } while (j0);
    }
    for (size_t j = 1; j <= C; j++) {
        if (!p[j]) continue;
        if (tr)
            row_to_col[j - 1] = (ptrdiff_t)(p[j] - 1);
        else
            row_to_col[p[j] - 1] = (ptrdiff_t)(j - 1);
    }
done:
    free(u);
    free(v);
    free(minv);
    free(p);
    free(way);
    free(used);
    return st;
}

/* --- the minipatch ------------------------------------------------------------------ */

/* rampwf's minipatch: [row_min, row_max, col_min, col_max], half-open. */
typedef struct region {
    double r0, r1, c0, c1;
} region;

/* Whether o's centre is inside rg (always, when rg is NULL). A circle's
   centre is (x, y) = (col, row); a box's the middle of its corners. */
static int inside(const region *rg, const ramp_det_obj *o, ramp_det_geom geom)
{
    if (!rg) return 1;
    const double *g = o->g;
    double col = geom == RAMP_DET_BOX ? (g[0] + g[2]) / 2 : g[0];
    double row = geom == RAMP_DET_BOX ? (g[1] + g[3]) / 2 : g[1];
    return row >= rg->r0 && row < rg->r1 && col >= rg->c0 && col < rg->c1;
}

/* A copy of the image set keeping, of each image, the truths (when
   f_truth) and the predictions (when f_pred) inside rg, the others all.
   *out_im and *out_obj are the caller's to free (on failure both NULL). */
static ramp_status filter_images(ramp_det_image **out_im, ramp_det_obj **out_obj,
                                 const ramp_det_image *images, size_t n_images, const region *rg,
                                 ramp_det_geom geom, int f_truth, int f_pred, ramp_err *err)
{
    size_t n_obj = 0;
    for (size_t i = 0; i < n_images; i++)
        n_obj += images[i].n_truth + images[i].n_pred;
    ramp_det_image *im = malloc((n_images ? n_images : 1) * sizeof *im);
    ramp_det_obj *obj = malloc((n_obj ? n_obj : 1) * sizeof *obj);
    *out_im = NULL;
    *out_obj = NULL;
    if (!im || !obj) {
        free(im);
        free(obj);
        return ramp__err_set(err, RAMP_ENOMEM, "detection: out of memory (minipatch, %zu objects)",
                             n_obj);
    }
    size_t k = 0;
    for (size_t i = 0; i < n_images; i++) {
        const ramp_det_image *src = &images[i];
        im[i] = *src;
        im[i].truth = obj + k;
        im[i].n_truth = 0;
        for (size_t j = 0; j < src->n_truth; j++)
            if (!f_truth || inside(rg, &src->truth[j], geom)) {
                obj[k++] = src->truth[j];
                im[i].n_truth++;
            }
        im[i].pred = obj + k;
        im[i].n_pred = 0;
        for (size_t j = 0; j < src->n_pred; j++)
            if (!f_pred || inside(rg, &src->pred[j], geom)) {
                obj[k++] = src->pred[j];
                im[i].n_pred++;
            }
    }
    *out_im = im;
    *out_obj = obj;
    return RAMP_OK;
}

/* --- the assignment scores --------------------------------------------------------- */

static int kept(const ramp_det_obj *o, int compat)
{
    return compat ? o->conf > RAMP_DET_CONF_THRESHOLD : o->conf >= RAMP_DET_CONF_THRESHOLD;
}

/* Sums over images of what the assignment scores need. */
typedef struct assign_sums {
    double n_truth, n_pred;     /* objects (predictions: kept ones) */
    double n_pass;              /* assigned pairs with IoU > param (compat) / ≥ (ours) */
    double iou2;                /* Σ IoU of assigned pairs, once per member inside the region */
    double n_total;             /* truths + kept predictions inside the region */
    double mad_n, mad_c, mad_r; /* pairs with IoU ≥ param; Σ d / r_true; Σ |Δr| / r_true */
} assign_sums;

/* The assignment is made on every object given; iou2 and n_total (ospa's
   sums) count only the objects inside `rg` (all when NULL), as rampwf's
   OSPA does with a minipatch: 2 × IoU for a pair with both inside. */
static ramp_status assign_pass(assign_sums *s, const ramp_det_image *images, size_t n_images,
                               ramp_det_geom geom, double thr, int compat, const region *rg,
                               ramp_err *err)
{
    unsigned flags = compat ? RAMP__DET_RAMPWF_CIRCLE : 0;
    size_t max_t = 0, max_p = 0;
    for (size_t i = 0; i < n_images; i++) {
        if (images[i].n_truth > max_t) max_t = images[i].n_truth;
        if (images[i].n_pred > max_p) max_p = images[i].n_pred;
    }
    memset(s, 0, sizeof *s);
    ramp_status st = RAMP_OK;
    if (max_t && max_p && max_t > SIZE_MAX / sizeof(double) / max_p)
        return ramp__err_set(err, RAMP_ERANGE, "detection: %zu × %zu objects in one image", max_t,
                             max_p);
    size_t *keep = malloc((max_p ? max_p : 1) * sizeof *keep);
    size_t n_mat = max_t && max_p ? max_t * max_p : 1;
    double *iou = malloc(n_mat * sizeof *iou), *cost = malloc(n_mat * sizeof *cost);
    ptrdiff_t *r2c = malloc((max_t ? max_t : 1) * sizeof *r2c);
    if (!keep || !iou || !cost || !r2c) {
        st = ramp__err_set(err, RAMP_ENOMEM, "detection: out of memory (%zu × %zu objects)", max_t,
                           max_p);
        goto done;
    }
    for (size_t i = 0; i < n_images; i++) {
        const ramp_det_image *im = &images[i];
        size_t nt = im->n_truth, nk = 0;
        for (size_t j = 0; j < im->n_pred; j++)
            if (kept(&im->pred[j], compat)) keep[nk++] = j;
        s->n_truth += (double)nt;
        s->n_pred += (double)nk;
        for (size_t t = 0; t < nt; t++)
            s->n_total += inside(rg, &im->truth[t], geom);
        for (size_t q = 0; q < nk; q++)
            s->n_total += inside(rg, &im->pred[keep[q]], geom);
        if (!nt || !nk) continue;
        for (size_t t = 0; t < nt; t++)
            for (size_t q = 0; q < nk; q++) {
                const ramp_det_obj *a = &im->truth[t], *b = &im->pred[keep[q]];
                double v = a->cls == b->cls ? ramp__det_iou(geom, a->g, b->g, flags) : 0.0;
                iou[t * nk + q] = v;
                cost[t * nk + q] = 1.0 - v;
            }
        st = ramp__assign(cost, nt, nk, r2c, err);
        if (st) goto done;
        for (size_t t = 0; t < nt; t++) {
            if (r2c[t] < 0) continue;
            double v = iou[t * nk + (size_t)r2c[t]];
            s->iou2 +=
                v * (inside(rg, &im->truth[t], geom) + inside(rg, &im->pred[keep[r2c[t]]], geom));
            if (compat ? v > thr : v >= thr) s->n_pass += 1;
            if (v >= thr && geom == RAMP_DET_CIRCLE) { /* rampwf's MAD uses ≥ too */
                const double *gt = im->truth[t].g, *gp = im->pred[keep[r2c[t]]].g;
                s->mad_n += 1;
                s->mad_c += fabs(hypot(gp[0] - gt[0], gp[1] - gt[1]) / gt[2]);
                s->mad_r += fabs((gp[2] - gt[2]) / gt[2]);
            }
        }
    }
done:
    free(keep);
    free(iou);
    free(cost);
    free(r2c);
    return st;
}

/* --- scp --------------------------------------------------------------------------- */

static long clampl(double v, long lo, long hi)
{
    if (!(v > (double)lo)) return lo; /* NaN too */
    if (v > (double)hi) return hi;
    return (long)v;
}

/* The pixels scp sums over: rows [r0, r1) × columns [c0, c1). */
typedef struct window {
    long r0, r1, c0, c1;
} window;

/* Adds `sign / (pixels covered)` to each pixel of the window w that o
   covers on the W × H map (the count is over the whole map); returns the
   share of o's unit mass inside w (0 when it covers no pixel). Two passes:
   count, then add. */
static double project(double *map, long W, long H, const window *w, const ramp_det_obj *o,
                      ramp_det_geom geom, int compat, double sign)
{
    const double *g = o->g;
    long r0, r1, c0, c1;
    double cr = 0, cc = 0;
    if (geom == RAMP_DET_BOX) { /* pixel centres in [x0, x1) × [y0, y1) */
        c0 = clampl(floor(g[0]) - 1, 0, W - 1);
        c1 = clampl(ceil(g[2]) + 1, 0, W - 1);
        r0 = clampl(floor(g[1]) - 1, 0, H - 1);
        r1 = clampl(ceil(g[3]) + 1, 0, H - 1);
    } else if (!compat) { /* pixel centres strictly inside */
        if (!(g[2] > 0)) return 0;
        c0 = clampl(floor(g[0] - g[2]) - 1, 0, W - 1);
        c1 = clampl(ceil(g[0] + g[2]) + 1, 0, W - 1);
        r0 = clampl(floor(g[1] - g[2]) - 1, 0, H - 1);
        r1 = clampl(ceil(g[1] + g[2]) + 1, 0, H - 1);
    } else { /* rampwf: pixels at integer positions (row = y = g[1], col =
                x = g[0]), offsets taken from the clipped bounding box's
                corner as it does */
        if (!(g[2] > 0)) return 0;
        double ur = ceil(g[1] - g[2]), uc = ceil(g[0] - g[2]);
        double lr = floor(g[1] + g[2]), lc = floor(g[0] + g[2]);
        if (ur < 0) ur = 0;
        if (uc < 0) uc = 0;
        if (lr > (double)(H - 1)) lr = (double)(H - 1);
        if (lc > (double)(W - 1)) lc = (double)(W - 1);
        if (lr < ur || lc < uc) return 0;
        r0 = (long)ur;
        r1 = (long)lr;
        c0 = (long)uc;
        c1 = (long)lc;
        cr = g[1] - ur;
        cc = g[0] - uc;
    }
    if (r1 < r0 || c1 < c0) return 0;
    double value = 0;
    size_t n = 0, n_in = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (long r = r0; r <= r1; r++)
            for (long c = c0; c <= c1; c++) {
                int in;
                if (geom == RAMP_DET_BOX) {
                    double px = (double)c + 0.5, py = (double)r + 0.5;
                    in = px >= g[0] && px < g[2] && py >= g[1] && py < g[3];
                } else if (!compat) {
                    double dx = (double)c + 0.5 - g[0], dy = (double)r + 0.5 - g[1];
                    in = dx * dx + dy * dy < g[2] * g[2];
                } else {
                    double a = ((double)(r - r0) - cr) / g[2], b = ((double)(c - c0) - cc) / g[2];
                    in = a * a + b * b < 1;
                }
                if (!in) continue;
                int in_w = r >= w->r0 && r < w->r1 && c >= w->c0 && c < w->c1;
                if (pass) {
                    if (in_w) map[(size_t)r * (size_t)W + (size_t)c] += value;
                } else {
                    n++;
                    n_in += (size_t)in_w;
                }
            }
        if (!pass) {
            if (!n_in) return 0;
            value = sign * (1.0 / (double)n);
        }
    }
    return (double)n_in / (double)n;
}

/* The window of a W × H image inside rg: ours keeps the pixels whose
   centre (i + ½) is in it, rampwf's crops map[r0:r1, c0:c1] (indices i in
   it). The predicate is monotone in i: one interval, found by a scan. */
static void patch_window(window *w, long W, long H, const region *rg, int compat)
{
    w->r0 = w->c0 = 0;
    w->r1 = H;
    w->c1 = W;
    if (!rg) return;
    double off = compat ? 0.0 : 0.5;
    long i = 0;
    while (i < H && (double)i + off < rg->r0)
        i++;
    w->r0 = i;
    while (i < H && (double)i + off < rg->r1)
        i++;
    w->r1 = i;
    i = 0;
    while (i < W && (double)i + off < rg->c0)
        i++;
    w->c0 = i;
    while (i < W && (double)i + off < rg->c1)
        i++;
    w->c1 = i;
}

static ramp_status scp(double *out, const ramp_det_image *images, size_t n_images,
                       ramp_det_geom geom, int compat, const region *rg, ramp_err *err)
{
    uint64_t max_px = 0;
    for (size_t i = 0; i < n_images; i++) {
        const ramp_det_image *im = &images[i];
        if (im->width <= 0 || im->height <= 0)
            return ramp__err_set(err, RAMP_EINVAL,
                                 "scp: image %zu: its size is unknown (width %d, height %d)", i,
                                 (int)im->width, (int)im->height);
        uint64_t px = (uint64_t)im->width * (uint64_t)im->height;
        if (px > SCP_MAX_PIXELS)
            return ramp__err_set(
                err, RAMP_ERANGE, "scp: image %zu: %d × %d pixels, over the limit of %llu", i,
                (int)im->width, (int)im->height, (unsigned long long)SCP_MAX_PIXELS);
        if (px > max_px) max_px = px;
    }
    double *map = malloc((max_px ? (size_t)max_px : 1) * sizeof *map);
    if (!map)
        return ramp__err_set(err, RAMP_ENOMEM, "scp: out of memory (%llu pixels)",
                             (unsigned long long)max_px);
    double resid = 0, mass = 0;
    for (size_t i = 0; i < n_images; i++) {
        const ramp_det_image *im = &images[i];
        long W = im->width, H = im->height;
        window w;
        patch_window(&w, W, H, rg, compat);
        memset(map, 0, (size_t)W * (size_t)H * sizeof *map);
        for (size_t j = 0; j < im->n_truth; j++)
            mass += project(map, W, H, &w, &im->truth[j], geom, compat, 1.0);
        for (size_t j = 0; j < im->n_pred; j++)
            if (kept(&im->pred[j], compat))
                mass += project(map, W, H, &w, &im->pred[j], geom, compat, -1.0);
        for (long r = w.r0; r < w.r1; r++)
            for (long c = w.c0; c < w.c1; c++)
                resid += fabs(map[(size_t)r * (size_t)W + (size_t)c]);
    }
    free(map);
    *out = mass > 0 ? resid / mass : compat ? NAN : 0.0;
    return RAMP_OK;
}

/* --- the entry point ----------------------------------------------------------------- */

/* The score on images already filtered as the minipatch asks (or whole);
   rg is passed on to ospa's counts and scp's window only. */
static ramp_status score_images(double *out, const ramp_score_type *t, double thr,
                                const ramp_det_image *images, size_t n_images, int n_classes,
                                ramp_det_geom geom, int compat, const region *rg, ramp_err *err)
{
    ramp_score_kind kind = t->kind;
    if (kind == RAMP_SCORE_SCP) return scp(out, images, n_images, geom, compat, rg, err);
    ramp_status st;
    if (kind == RAMP_SCORE_MAP ||
        (!compat && (kind == RAMP_SCORE_DET_PRECISION || kind == RAMP_SCORE_DET_RECALL))) {
        ramp_det_params p = {geom, thr, RAMP_DET_MATCH_VOC};
        unsigned flags =
            compat ? RAMP__DET_STRICT_IOU | RAMP__DET_TIES_LAST_FIRST | RAMP__DET_RAMPWF_CIRCLE : 0;
        ramp_det_eval *ev = NULL;
        st = ramp__det_eval_new_ex(&ev, images, n_images, n_classes, &p, flags, err);
        if (st) return st;
        if (kind == RAMP_SCORE_MAP)
            *out = ramp_det_eval_map(ev, RAMP_DET_AP_ALL_POINT, NULL);
        else {
            ramp_det_counts c = ramp_det_eval_counts(ev, -1, RAMP_DET_CONF_THRESHOLD);
            *out = kind == RAMP_SCORE_DET_PRECISION ? c.precision : c.recall;
        }
        ramp_det_eval_free(ev);
        return RAMP_OK;
    }

    assign_sums s;
    st = assign_pass(&s, images, n_images, geom, thr, compat, rg, err);
    if (st) return st;
    switch (kind) {
    case RAMP_SCORE_DET_PRECISION: /* compat only here */
        *out = s.n_pred > 0 ? s.n_pass / s.n_pred : NAN;
        break;
    case RAMP_SCORE_DET_RECALL:
        *out = s.n_truth > 0 ? s.n_pass / s.n_truth : NAN;
        break;
    case RAMP_SCORE_OSPA:
        *out = s.n_total > 0 ? 1.0 - s.iou2 / s.n_total : compat ? 1.0 : 0.0;
        break;
    case RAMP_SCORE_MAD_CENTER:
        *out = s.mad_n > 0 ? s.mad_c / s.mad_n : NAN;
        break;
    case RAMP_SCORE_MAD_RADIUS:
        *out = s.mad_n > 0 ? s.mad_r / s.mad_n : NAN;
        break;
    default:
        break;
    }
    return RAMP_OK;
}

ramp_status ramp_score_detection_minipatch(double *out, ramp_score_kind kind, double param,
                                           const ramp_det_image *images, size_t n_images,
                                           int n_classes, ramp_det_geom geom, int compat_rampwf,
                                           const double minipatch[4], ramp_err *err)
{
    if (!out) return ramp__err_set(err, RAMP_EINVAL, "detection: NULL output");
    *out = NAN;
    const ramp_score_type *t = ramp_score_type_of(kind);
    if (!t || t->task != RAMP_TASK_DETECTION)
        return ramp__err_set(err, RAMP_EINVAL, "score '%s' is not a detection score",
                             ramp_score_kind_name(kind));
    ramp_status st = ramp__det_check(images, n_images, n_classes, geom, err);
    if (st) return st;
    int compat = compat_rampwf != 0;
    if ((kind == RAMP_SCORE_MAD_CENTER || kind == RAMP_SCORE_MAD_RADIUS) && geom != RAMP_DET_CIRCLE)
        return ramp__err_set(err, RAMP_EINVAL,
                             "%s is defined for circles only (rampwf's mars_craters score): "
                             "this problem's geometry is box",
                             t->name);
    double thr = param;
    int uses_iou = kind != RAMP_SCORE_OSPA && kind != RAMP_SCORE_SCP;
    /* 0 is rampwf's "IoU > 0" (any overlap): compat only, not map */
    int zero_ok = compat && kind != RAMP_SCORE_MAP;
    if (uses_iou && !((zero_ok ? thr >= 0 : thr > 0) && thr <= 1))
        return ramp__err_set(err, RAMP_EINVAL, "%s: IoU threshold %g outside %s", t->name,
                             param, zero_ok ? "[0, 1]" : "(0, 1]");
    if (!minipatch)
        return score_images(out, t, thr, images, n_images, n_classes, geom, compat, NULL, err);

    region rg = {minipatch[0], minipatch[1], minipatch[2], minipatch[3]};
    if (!(isfinite(rg.r0) && isfinite(rg.r1) && isfinite(rg.c0) && isfinite(rg.c1)) ||
        !(rg.r0 < rg.r1 && rg.c0 < rg.c1))
        return ramp__err_set(err, RAMP_EINVAL,
                             "%s: minipatch [%g, %g, %g, %g] is not [row_min, row_max, col_min, "
                             "col_max] with finite bounds, min < max",
                             t->name, rg.r0, rg.r1, rg.c0, rg.c1);
    if (compat && kind == RAMP_SCORE_MAP)
        return ramp__err_set(err, RAMP_EINVAL,
                             "map: rampwf's DetectionAveragePrecision has no minipatch "
                             "(compat = rampwf)");
    /* what each score filters before scoring: ours both sides; rampwf's
       precision the predictions, its recall and MADs the truths, its ospa
       nothing (it counts the objects inside after matching on the whole
       image); scp in both modes nothing (it crops the map) */
    int f_truth = 0, f_pred = 0;
    if (kind == RAMP_SCORE_SCP || (compat && kind == RAMP_SCORE_OSPA))
        return score_images(out, t, thr, images, n_images, n_classes, geom, compat, &rg, err);
    if (!compat)
        f_truth = f_pred = 1;
    else if (kind == RAMP_SCORE_DET_PRECISION)
        f_pred = 1;
    else
        f_truth = 1;
    ramp_det_image *fim;
    ramp_det_obj *fobj;
    st = filter_images(&fim, &fobj, images, n_images, &rg, geom, f_truth, f_pred, err);
    if (st) return st;
    st = score_images(out, t, thr, fim, n_images, n_classes, geom, compat, NULL, err);
    if (st) *out = NAN;
    free(fim);
    free(fobj);
    return st;
}

ramp_status ramp_score_detection(double *out, ramp_score_kind kind, double param,
                                 const ramp_det_image *images, size_t n_images, int n_classes,
                                 ramp_det_geom geom, int compat_rampwf, ramp_err *err)
{
    return ramp_score_detection_minipatch(out, kind, param, images, n_images, n_classes, geom,
                                          compat_rampwf, NULL, err);
}
