/* loss_dense.c — the losses of dense outputs, in plain C like loss.c:
 * per-pixel softmax cross-entropy (segmentation) and the CenterNet loss and
 * decoding (detection), as nn.h describes them.
 *
 * Both read the logits node's output in the plain N×C×H×W layout the
 * backends hand back, and write their gradient in the same layout; sums
 * run in double. The CenterNet targets (Gaussian heat peaks, sizes and
 * offsets at the centre cells) are rendered per batch from the objects,
 * into scratch memory allocated per call: a heat map per class is as large
 * as the output, which the backend holds several times over anyway.
 *
 * The Gaussian's radius is CenterNet's (from CornerNet): the largest r such
 * that a box whose corners move by r still overlaps the true one by
 * min_overlap, the smallest of the three cases' quadratic roots, rounded
 * down; σ = (2r + 1) / 6, over the (2r + 1)² window around the centre cell.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/coreInt.h"
#include "nn/nnInt.h"

double ramp__pixel_xent(float *probs, float *dlogits, size_t *num, size_t *den, const float *logits,
                        const int32_t *mask, size_t n, int k, int h, int w, const float *cw)
{
    size_t hw = (size_t)h * w, counted = 0, ok = 0;
    double wsum = 0; /* the counted pixels' weights (their count without cw) */
    if (mask)
        for (size_t i = 0; i < n * hw; i++)
            if (mask[i] != RAMP_IGNORE_LABEL) {
                counted++;
                wsum += cw ? (double)cw[mask[i]] : 1.0;
            }
    double total = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t p = 0; p < hw; p++) {
            const float *z = logits + i * (size_t)k * hw + p; /* stride hw between classes */
            int t = mask ? mask[i * hw + p] : -1;
            if (t == RAMP_IGNORE_LABEL) t = -1;
            int am = 0;
            for (int j = 1; j < k; j++)
                if (z[(size_t)j * hw] > z[(size_t)am * hw]) am = j;
            double m = z[(size_t)am * hw], s = 0;
            for (int j = 0; j < k; j++)
                s += exp((double)z[(size_t)j * hw] - m);
            double lse = m + log(s);
            double wt = t >= 0 ? (cw ? (double)cw[t] : 1.0) : 0.0;
            if (t >= 0) {
                total += wt * (lse - (double)z[(size_t)t * hw]);
                ok += t == am;
            }
            for (int j = 0; j < k; j++) {
                size_t at = i * (size_t)k * hw + (size_t)j * hw + p;
                double pj = exp((double)z[(size_t)j * hw] - lse);
                if (probs) probs[at] = (float)pj;
                if (dlogits)
                    dlogits[at] = t >= 0 && wsum > 0 ? (float)(wt * (pj - (j == t)) / wsum) : 0.f;
            }
        }
    if (num) *num = ok;
    if (den) *den = counted;
    return wsum > 0 ? total / wsum : 0.0;
}

int ramp__centernet_channels(const ramp_centernet *cfg)
{
    return cfg->n_classes + (cfg->geometry ? 1 : 2) + (cfg->offset ? 2 : 0);
}

/* CenterNet's gaussian_radius for a box of height bh and width bw (output
   cells). */
static double gaussian_radius(double bh, double bw, double mo)
{
    double b1 = bh + bw, c1 = bw * bh * (1 - mo) / (1 + mo);
    double r1 = (b1 + sqrt(fmax(0, b1 * b1 - 4 * c1))) / 2;
    double b2 = 2 * (bh + bw), c2 = (1 - mo) * bw * bh;
    double r2 = (b2 + sqrt(fmax(0, b2 * b2 - 16 * c2))) / 2;
    double a3 = 4 * mo, b3 = -2 * mo * (bh + bw), c3 = (mo - 1) * bw * bh;
    double r3 = (b3 + sqrt(fmax(0, b3 * b3 - 4 * a3 * c3))) / 2;
    return fmin(r1, fmin(r2, r3));
}

static double softplus(double z)
{
    return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));
}

/* One object's place on the output: centre (output cells), its cell, its
   size channels' targets; 0 when its centre lies outside. */
typedef struct cn_obj {
    double cx, cy;
    int ci, cj; /* row, column */
    float sz[2];
} cn_obj;

static int cn_place(const ramp_obj *o, int geometry, double sx, double sy, int h, int w,
                    cn_obj *out)
{
    double x, y, bw, bh;
    if (geometry) {
        x = o->g[0];
        y = o->g[1];
        bw = bh = 2.0 * o->g[2];
    } else {
        x = 0.5 * ((double)o->g[0] + o->g[2]);
        y = 0.5 * ((double)o->g[1] + o->g[3]);
        bw = (double)o->g[2] - o->g[0];
        bh = (double)o->g[3] - o->g[1];
    }
    out->cx = x / sx;
    out->cy = y / sy;
    if (!(out->cx >= 0 && out->cx < w && out->cy >= 0 && out->cy < h)) return 0;
    out->cj = (int)out->cx;
    out->ci = (int)out->cy;
    if (geometry) {
        out->sz[0] = (float)(o->g[2] / (0.5 * (sx + sy)));
        out->sz[1] = 0;
    } else {
        out->sz[0] = (float)(bw / sx);
        out->sz[1] = (float)(bh / sy);
    }
    return 1;
}

ramp_status ramp__centernet_loss(double *loss, float *probs, float *dlogits, size_t *num,
                                 size_t *den, const float *logits, const ramp_obj *obj,
                                 const size_t *obj_off, size_t n, int c, int h, int w,
                                 const ramp_centernet *cfg, int in_h, int in_w, ramp_err *err)
{
    int K = cfg->n_classes, nsz = cfg->geometry ? 1 : 2, so = K, oo = K + nsz;
    double sw = cfg->size_weight > 0 ? cfg->size_weight : 0.1,
           ow = cfg->offset_weight > 0 ? cfg->offset_weight : 1.0,
           mo = cfg->min_overlap > 0 ? cfg->min_overlap : 0.7;
    double sx = (double)in_w / w, sy = (double)in_h / h;
    size_t hw = (size_t)h * w, chw = (size_t)c * hw;
    if (probs)
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < chw; j++) {
                float z = logits[i * chw + j];
                probs[i * chw + j] =
                    j < (size_t)K * hw ? (float)(1.0 / (1.0 + exp(-(double)z))) : z;
            }
    if (loss) *loss = 0;
    if (num) *num = 0;
    if (den) *den = 0;
    if (!obj_off) {
        if (dlogits) memset(dlogits, 0, n * chw * sizeof(float));
        return RAMP_OK;
    }
    float *heat = malloc(n * (size_t)K * hw * sizeof(float));
    if (!heat) return ramp__err_set(err, RAMP_ENOMEM, "CenterNet loss: out of memory");
    memset(heat, 0, n * (size_t)K * hw * sizeof(float));
    /* the targets: heat peaks */
    size_t n_obj = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t q = obj_off[i]; q < obj_off[i + 1]; q++) {
            const ramp_obj *o = &obj[q];
            if (o->cls < 0 || o->cls >= K) {
                free(heat);
                return ramp__err_set(err, RAMP_ERANGE,
                                     "CenterNet loss: object %zu of sample %zu "
                                     "has class %d, not in [0, %d)",
                                     q - obj_off[i], i, (int)o->cls, K);
            }
            cn_obj p;
            if (!cn_place(o, cfg->geometry, sx, sy, h, w, &p)) continue;
            n_obj++;
            double bw = cfg->geometry ? p.sz[0] * 2.0 : p.sz[0], bh = cfg->geometry ? bw : p.sz[1];
            int r = (int)gaussian_radius(fmax(bh, 0), fmax(bw, 0), mo);
            if (r < 0) r = 0;
            double sigma = (2.0 * r + 1) / 6.0;
            float *hm = heat + (i * (size_t)K + (size_t)o->cls) * hw;
            for (int di = -r; di <= r; di++)
                for (int dj = -r; dj <= r; dj++) {
                    int y = p.ci + di, x = p.cj + dj;
                    if (y < 0 || y >= h || x < 0 || x >= w) continue;
                    float g = (float)exp(-(double)(di * di + dj * dj) / (2 * sigma * sigma));
                    if (g > hm[(size_t)y * w + x]) hm[(size_t)y * w + x] = g;
                }
        }
    size_t n_pos = 0;
    for (size_t j = 0; j < n * (size_t)K * hw; j++)
        n_pos += heat[j] == 1.f;
    double norm = n_pos ? (double)n_pos : 1.0, focal = 0;
    if (dlogits) memset(dlogits, 0, n * chw * sizeof(float));
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < (size_t)K * hw; j++) {
            double z = logits[i * chw + j], t = heat[i * (size_t)K * hw + j];
            double p = 1.0 / (1.0 + exp(-z)), lp = -softplus(-z), l1p = -softplus(z), g;
            if (t == 1.0) {
                focal -= (1 - p) * (1 - p) * lp;
                g = (1 - p) * (1 - p) * (2 * p * lp - (1 - p));
            } else {
                double wneg = pow(1 - t, 4);
                focal -= wneg * p * p * l1p;
                g = wneg * p * p * (p - 2 * (1 - p) * l1p);
            }
            if (dlogits) dlogits[i * chw + j] = (float)(g / norm);
        }
    /* sizes and offsets at the centre cells */
    double l_sz = 0, l_off = 0, dsz = n_obj ? sw / (double)(n_obj * nsz) : 0,
           doff = n_obj ? ow / (double)(n_obj * 2) : 0;
    size_t found = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t q = obj_off[i]; q < obj_off[i + 1]; q++) {
            cn_obj p;
            if (!cn_place(&obj[q], cfg->geometry, sx, sy, h, w, &p)) continue;
            size_t cell = (size_t)p.ci * w + (size_t)p.cj;
            const float *zi = logits + i * chw;
            if (zi[(size_t)obj[q].cls * hw + cell] > 0.f) found++;
            for (int s = 0; s < nsz; s++) {
                double d = (double)zi[(size_t)(so + s) * hw + cell] - p.sz[s];
                l_sz += fabs(d);
                if (dlogits)
                    dlogits[i * chw + (size_t)(so + s) * hw + cell] += (float)(d > 0   ? dsz
                                                                               : d < 0 ? -dsz
                                                                                       : 0);
            }
            if (!cfg->offset) continue;
            double t[2] = {p.cx - p.cj, p.cy - p.ci};
            for (int s = 0; s < 2; s++) {
                double d = (double)zi[(size_t)(oo + s) * hw + cell] - t[s];
                l_off += fabs(d);
                if (dlogits)
                    dlogits[i * chw + (size_t)(oo + s) * hw + cell] += (float)(d > 0   ? doff
                                                                               : d < 0 ? -doff
                                                                                       : 0);
            }
        }
    free(heat);
    if (loss)
        *loss = focal / norm + (n_obj ? sw * l_sz / (double)(n_obj * nsz) : 0) +
                (n_obj && cfg->offset ? ow * l_off / (double)(n_obj * 2) : 0);
    if (num) *num = found;
    if (den) *den = n_obj;
    return RAMP_OK;
}

/* --- decoding ------------------------------------------------------------- */

typedef struct cand {
    float v;
    int idx; /* class · h·w + cell */
} cand;

static int cand_cmp(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->v != y->v) return x->v < y->v ? 1 : -1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

ramp_status ramp_centernet_decode(const float *maps, int c, int h, int w, const ramp_centernet *cfg,
                                  float sx, float sy, int max_objects, float min_conf,
                                  ramp_obj *out, int *n_out)
{
    if (n_out) *n_out = 0;
    if (!maps || !cfg || !n_out || (max_objects > 0 && !out) || max_objects < 0 || h < 1 || w < 1 ||
        cfg->n_classes < 1 || c != ramp__centernet_channels(cfg) || !(sx > 0) || !(sy > 0))
        return RAMP_EINVAL;
    int K = cfg->n_classes, nsz = cfg->geometry ? 1 : 2;
    size_t hw = (size_t)h * w, nc = 0, cap = 0;
    cand *cs = NULL;
    for (int k = 0; k < K; k++)
        for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++) {
                const float *m = maps + (size_t)k * hw;
                float v = m[(size_t)i * w + j];
                if (!(v >= min_conf)) continue;
                int peak = 1;
                for (int di = -1; di <= 1 && peak; di++)
                    for (int dj = -1; dj <= 1; dj++) {
                        int y = i + di, x = j + dj;
                        if (y < 0 || y >= h || x < 0 || x >= w) continue;
                        if (m[(size_t)y * w + x] > v) {
                            peak = 0;
                            break;
                        }
                    }
                if (!peak) continue;
                if (nc == cap) {
                    size_t nw = cap ? 2 * cap : 64;
                    cand *t = realloc(cs, nw * sizeof *t);
                    if (!t) {
                        free(cs);
                        return RAMP_ENOMEM;
                    }
                    cs = t;
                    cap = nw;
                }
                cs[nc].v = v;
                cs[nc].idx = (int)((size_t)k * hw + (size_t)i * w + (size_t)j);
                nc++;
            }
    if (nc) qsort(cs, nc, sizeof *cs, cand_cmp);
    int m = (int)(nc < (size_t)max_objects ? nc : (size_t)max_objects);
    for (int q = 0; q < m; q++) {
        size_t cell = (size_t)cs[q].idx % hw;
        int k = (int)((size_t)cs[q].idx / hw), i = (int)(cell / (size_t)w),
            j = (int)(cell % (size_t)w);
        double ox = 0.5, oy = 0.5;
        if (cfg->offset) {
            ox = maps[(size_t)(K + nsz) * hw + cell];
            oy = maps[(size_t)(K + nsz + 1) * hw + cell];
        }
        double cx = (j + ox) * sx, cy = (i + oy) * sy;
        ramp_obj *o = &out[q];
        o->cls = k;
        o->conf = cs[q].v;
        if (cfg->geometry) {
            double r = fmax(0, maps[(size_t)K * hw + cell]) * 0.5 * (sx + sy);
            o->g[0] = (float)cx;
            o->g[1] = (float)cy;
            o->g[2] = (float)r;
            o->g[3] = 0;
        } else {
            double bw = fmax(0, maps[(size_t)K * hw + cell]) * sx,
                   bh = fmax(0, maps[(size_t)(K + 1) * hw + cell]) * sy;
            o->g[0] = (float)(cx - bw / 2);
            o->g[1] = (float)(cy - bh / 2);
            o->g[2] = (float)(cx + bw / 2);
            o->g[3] = (float)(cy + bh / 2);
        }
    }
    free(cs);
    *n_out = m;
    return RAMP_OK;
}
