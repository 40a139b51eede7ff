/* affine.c — the geometry an image carries, and moving targets through it.
 *
 * A map is 6 doubles (a0 a1 a2 / a3 a4 a5), the top two rows of a 3×3
 * matrix acting on column vectors (x, y, 1): continuous pixel coordinates,
 * origin at the top-left corner of the top-left pixel. Each geometric
 * operation composes its own step after its input's map (ramp__img_geom), so
 * an image's map always goes from its source's full-size pixels to its own.
 *
 * The three movers below (objects, label masks, class probabilities) are
 * pure: they read only their arguments and write only dst, so any thread
 * may call them. Masks are warped by nearest neighbour from dst back to the
 * source (a class is not interpolated); probabilities are interpolated
 * bilinearly, then reduced by argmax, since averaging scores is meaningful
 * where averaging class indices is not.
 */
#include <math.h>
#include <string.h>

#include "image/imageInt.h"

void ramp__aff_identity(double a[6])
{
    a[0] = 1.0;
    a[1] = 0.0;
    a[2] = 0.0;
    a[3] = 0.0;
    a[4] = 1.0;
    a[5] = 0.0;
}

void ramp__aff_compose(double out[6], const double s[6], const double p[6])
{
    double r[6];
    r[0] = s[0] * p[0] + s[1] * p[3];
    r[1] = s[0] * p[1] + s[1] * p[4];
    r[2] = s[0] * p[2] + s[1] * p[5] + s[2];
    r[3] = s[3] * p[0] + s[4] * p[3];
    r[4] = s[3] * p[1] + s[4] * p[4];
    r[5] = s[3] * p[2] + s[4] * p[5] + s[5];
    memcpy(out, r, sizeof r);
}

void ramp__img_geom(ramp_image *im, const ramp_image *from, const double step[6])
{
    ramp__aff_compose(im->aff, step, from->aff);
}

void ramp_img_affine(const ramp_image *x, double a[6])
{
    if (!a) return;
    if (x)
        memcpy(a, x->aff, sizeof x->aff);
    else
        ramp__aff_identity(a);
}

int ramp_pp_geometry(const ramp_pp *pp, double a[6], int *width, int *height)
{
    if (!pp || !pp->geo_ok) return -1;
    if (a) memcpy(a, pp->geo, sizeof pp->geo);
    if (width) *width = pp->geo_w;
    if (height) *height = pp->geo_h;
    return 0;
}

void ramp_affine_apply(const double a[6], double x, double y, double *ox, double *oy)
{
    double u = a[0] * x + a[1] * y + a[2];
    double v = a[3] * x + a[4] * y + a[5];
    if (ox) *ox = u;
    if (oy) *oy = v;
}

int ramp_affine_invert(double inv[6], const double a[6])
{
    double det = a[0] * a[4] - a[1] * a[3];
    if (det == 0.0 || !isfinite(det)) return -1;
    double r[6];
    r[0] = a[4] / det;
    r[1] = -a[1] / det;
    r[3] = -a[3] / det;
    r[4] = a[0] / det;
    r[2] = -(r[0] * a[2] + r[1] * a[5]);
    r[5] = -(r[3] * a[2] + r[4] * a[5]);
    for (int i = 0; i < 6; i++)
        if (!isfinite(r[i])) return -1;
    memcpy(inv, r, sizeof r);
    return 0;
}

static int finite6(const double a[6])
{
    for (int i = 0; i < 6; i++)
        if (!isfinite(a[i])) return 0;
    return 1;
}

size_t ramp_objs_transform(ramp_obj *dst, const ramp_obj *src, size_t n, const double a[6],
                           int width, int height, int geometry, double min_visible)
{
    if (!dst || !src || !a || (geometry != 0 && geometry != 1)) return 0;
    double W = width > 0 ? width : 0, H = height > 0 ? height : 0;
    double scale = sqrt(fabs(a[0] * a[4] - a[1] * a[3]));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        ramp_obj o = src[i]; /* a copy: dst may be src */
        ramp_obj r = {o.cls, o.conf, {0.0f, 0.0f, 0.0f, 0.0f}};
        if (geometry == 0) {
            double cx[4] = {o.g[0], o.g[2], o.g[0], o.g[2]};
            double cy[4] = {o.g[1], o.g[1], o.g[3], o.g[3]};
            double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
            for (int c = 0; c < 4; c++) {
                double u, v;
                ramp_affine_apply(a, cx[c], cy[c], &u, &v);
                x0 = fmin(x0, u);
                x1 = fmax(x1, u);
                y0 = fmin(y0, v);
                y1 = fmax(y1, v);
            }
            if (!isfinite(x0) || !isfinite(x1) || !isfinite(y0) || !isfinite(y1)) continue;
            if (min_visible < 0) { /* as moved, unclipped */
                r.g[0] = (float)x0;
                r.g[1] = (float)y0;
                r.g[2] = (float)x1;
                r.g[3] = (float)y1;
                dst[k++] = r;
                continue;
            }
            double area = (x1 - x0) * (y1 - y0);
            double cx0 = fmax(x0, 0.0), cy0 = fmax(y0, 0.0);
            double cx1 = fmin(x1, W), cy1 = fmin(y1, H);
            if (cx1 <= cx0 || cy1 <= cy0) continue;
            double carea = (cx1 - cx0) * (cy1 - cy0);
            if (!(carea > 0.0) || carea < min_visible * area) continue;
            r.g[0] = (float)cx0;
            r.g[1] = (float)cy0;
            r.g[2] = (float)cx1;
            r.g[3] = (float)cy1;
        } else {
            double u, v;
            ramp_affine_apply(a, o.g[0], o.g[1], &u, &v);
            double rr = (double)o.g[2] * scale;
            if (!isfinite(u) || !isfinite(v) || !isfinite(rr)) continue;
            if (min_visible >= 0 && (u < 0.0 || u >= W || v < 0.0 || v >= H)) continue;
            r.g[0] = (float)u;
            r.g[1] = (float)v;
            r.g[2] = (float)rr;
        }
        dst[k++] = r;
    }
    return k;
}

/* floor that takes a point a hair below an integer as on it: a map's
   inverse computed in floating point must not move an exact pixel
   boundary (2.0 computed as 1.9999999999999998) to the pixel before. */
static double floor_tol(double v)
{
    return floor(v + 1e-9);
}

ramp_status ramp_mask_warp(int32_t *dst, int w, int h, const uint8_t *src, size_t stride, int sw,
                           int sh, const double a[6])
{
    if (!dst || !src || !a || w <= 0 || h <= 0 || sw <= 0 || sh <= 0 || stride < (size_t)sw)
        return RAMP_EINVAL;
    double inv[6];
    if (!finite6(a) || ramp_affine_invert(inv, a) != 0) return RAMP_EINVAL;
    for (int j = 0; j < h; j++) {
        int32_t *d = dst + (size_t)j * (size_t)w;
        double yc = j + 0.5;
        for (int i = 0; i < w; i++) {
            double xs, ys;
            ramp_affine_apply(inv, i + 0.5, yc, &xs, &ys);
            double fx = floor_tol(xs), fy = floor_tol(ys);
            /* the comparisons are false for NaN: outside */
            if (!(fx >= 0.0 && fx < sw && fy >= 0.0 && fy < sh)) {
                d[i] = RAMP_IGNORE_LABEL;
                continue;
            }
            d[i] = src[(size_t)fy * stride + (size_t)fx];
        }
    }
    return RAMP_OK;
}

ramp_status ramp_proba_unwarp(uint8_t *dst, int sw, int sh, const float *proba, int k, int h, int w,
                              const double a[6])
{
    if (!dst || !proba || !a || sw <= 0 || sh <= 0 || k <= 0 || k > 255 || h <= 0 || w <= 0)
        return RAMP_EINVAL;
    if (!finite6(a)) return RAMP_EINVAL;
    size_t plane = (size_t)w * (size_t)h;
    for (int j = 0; j < sh; j++) {
        uint8_t *d = dst + (size_t)j * (size_t)sw;
        for (int i = 0; i < sw; i++) {
            double xt, yt;
            ramp_affine_apply(a, i + 0.5, j + 0.5, &xt, &yt);
            /* sample position in pixel-centre units, clamped to the edges */
            double u = fmin(fmax(xt - 0.5, 0.0), (double)(w - 1));
            double v = fmin(fmax(yt - 0.5, 0.0), (double)(h - 1));
            int x0 = (int)u, y0 = (int)v; /* u, v ≥ 0: truncation is floor */
            int x1 = x0 + 1 < w ? x0 + 1 : x0, y1 = y0 + 1 < h ? y0 + 1 : y0;
            double fx = u - x0, fy = v - y0;
            double w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy);
            double w10 = (1 - fx) * fy, w11 = fx * fy;
            size_t o00 = (size_t)y0 * (size_t)w + (size_t)x0;
            size_t o01 = (size_t)y0 * (size_t)w + (size_t)x1;
            size_t o10 = (size_t)y1 * (size_t)w + (size_t)x0;
            size_t o11 = (size_t)y1 * (size_t)w + (size_t)x1;
            int best = 0;
            double bv = -INFINITY;
            for (int c = 0; c < k; c++) {
                const float *p = proba + (size_t)c * plane;
                double s = w00 * p[o00] + w01 * p[o01] + w10 * p[o10] + w11 * p[o11];
                if (s > bv) { /* strict: ties keep the lowest class; NaN never wins */
                    bv = s;
                    best = c;
                }
            }
            d[i] = (uint8_t)best;
        }
    }
    return RAMP_OK;
}
