/* The detection starting kit: connected components in plain C, no network.
 *
 * Each pixel is described by its value and its difference from the mean of
 * the 7×7 window around it (local contrast). fit: from the training batches
 * (the objects arrive moved onto the tensor's pixels), a Gaussian naive
 * Bayes model of the pixels inside objects against the others, the most
 * frequent class, and the smallest plausible object (a quarter of the 5th
 * percentile of object areas).
 * predict: the 4-connected components of the pixels the model calls
 * foreground, larger than that smallest area, become objects — their
 * boxes, or for a circle kit the circle inscribed in the box — with a
 * confidence growing with the component's size, and the class whose boxes
 * in training had the most likely shape (a Gaussian naive Bayes over the
 * log aspect ratio and the log area: trousers are tall, bags wide). A baseline that shows the contract (ramp/detector.h):
 * a network does far better.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <ramp/detector.h>

#define MAX_F 8 /* up to 4 channels and their local contrasts */

typedef struct model {
    int k, ch, nf, h, w, geometry, max_objects;
    double sum[2][MAX_F], sq[2][MAX_F], n[2], *cls_n; /* [0] background, [1] objects */
    double mu[2][MAX_F], var[2][MAX_F], logprior[2];
    double *areas;
    size_t n_areas, cap_areas;
    double min_area, typical_area;
    double *shape_sum, *shape_sq; /* k × 2: log(w / h), log(w h) of each class's boxes */
    double *shape_mu, *shape_var;
    float *feat; /* nf × h × w scratch */
} model;

/* The features of one C × H × W sample into m->feat (nf × H × W). */
static void features(model *m, const float *x)
{
    int h = m->h, w = m->w;
    size_t hw = (size_t)h * (size_t)w;
    for (int c = 0; c < m->ch; c++) {
        const float *p = x + (size_t)c * hw;
        float *v = m->feat + (size_t)c * hw, *d = m->feat + (size_t)(m->ch + c) * hw;
        memcpy(v, p, hw * sizeof *v);
        for (int y = 0; y < h; y++)
            for (int xx = 0; xx < w; xx++) {
                double s = 0;
                int n = 0;
                for (int dy = -3; dy <= 3; dy++)
                    for (int dx = -3; dx <= 3; dx++) {
                        int yy = y + dy, xq = xx + dx;
                        if (yy < 0 || yy >= h || xq < 0 || xq >= w) continue;
                        s += p[(size_t)yy * w + xq];
                        n++;
                    }
                d[(size_t)y * w + xx] = (float)(p[(size_t)y * w + xx] - s / n);
            }
    }
}

void batch_detector_free(void *self)
{
    model *m = self;
    if (!m) return;
    free(m->cls_n);
    free(m->areas);
    free(m->feat);
    free(m->shape_sum);
    free(m->shape_sq);
    free(m->shape_mu);
    free(m->shape_var);
    free(m);
}

ramp_status batch_detector_new(void **self, const ramp_clf_info *info)
{
    if (info->ndim != 3 || info->shape[0] > MAX_F / 2) return RAMP_ESHAPE; /* C × H × W, C ≤ 4 */
    model *m = calloc(1, sizeof *m);
    if (!m) return RAMP_ENOMEM;
    m->k = info->n_classes;
    m->ch = info->shape[0];
    m->h = info->shape[1];
    m->w = info->shape[2];
    m->nf = 2 * m->ch;
    m->geometry = info->geometry;
    m->max_objects = info->max_objects;
    m->cls_n = calloc((size_t)m->k, sizeof *m->cls_n);
    m->feat = calloc((size_t)m->nf * (size_t)m->h * (size_t)m->w, sizeof *m->feat);
    m->shape_sum = calloc(2 * (size_t)m->k, sizeof *m->shape_sum);
    m->shape_sq = calloc(2 * (size_t)m->k, sizeof *m->shape_sq);
    m->shape_mu = calloc(2 * (size_t)m->k, sizeof *m->shape_mu);
    m->shape_var = calloc(2 * (size_t)m->k, sizeof *m->shape_var);
    if (!m->cls_n || !m->feat || !m->shape_sum || !m->shape_sq || !m->shape_mu || !m->shape_var) {
        batch_detector_free(m);
        return RAMP_ENOMEM;
    }
    *self = m;
    return RAMP_OK;
}

/* The box an object covers in the tensor (a circle's bounding box). */
static void box_of(const model *m, const ramp_obj *o, double b[4])
{
    if (m->geometry == 1) {
        b[0] = o->g[0] - o->g[2];
        b[1] = o->g[1] - o->g[2];
        b[2] = o->g[0] + o->g[2];
        b[3] = o->g[1] + o->g[2];
    } else {
        for (int j = 0; j < 4; j++) b[j] = o->g[j];
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

ramp_status batch_detector_fit(void *self, ramp_gen_builder *gb)
{
    model *m = self;
    ramp_gen *train, *valid;
    size_t nt, nv;
    ramp_status st = ramp_get_train_valid_generators(gb, 32, 0.0, &train, &valid, &nt, &nv);
    if (st) return st;
    size_t hw = (size_t)m->h * (size_t)m->w, steps = ramp_gen_steps_per_epoch(train);
    uint8_t *in_box = malloc(hw);
    if (!in_box) return RAMP_ENOMEM;
    for (size_t s = 0; s < steps && !st; s++) {
        ramp_batch b;
        if ((st = ramp_gen_next(train, &b))) break;
        for (size_t i = 0; i < b.n; i++) {
            memset(in_box, 0, hw);
            for (size_t q = b.obj_off[i]; q < b.obj_off[i + 1]; q++) {
                double bx[4];
                box_of(m, &b.obj[q], bx);
                int c = b.obj[q].cls;
                double bw = bx[2] - bx[0], bh = bx[3] - bx[1];
                if (c >= 0 && c < m->k && bw > 0 && bh > 0) {
                    double f[2] = {log(bw / bh), log(bw * bh)};
                    m->cls_n[c] += 1;
                    for (int j = 0; j < 2; j++) {
                        m->shape_sum[2 * c + j] += f[j];
                        m->shape_sq[2 * c + j] += f[j] * f[j];
                    }
                }
                if (m->n_areas == m->cap_areas) {
                    size_t cap = m->cap_areas ? 2 * m->cap_areas : 256;
                    double *a = realloc(m->areas, cap * sizeof *a);
                    if (!a) {
                        st = RAMP_ENOMEM;
                        break;
                    }
                    m->areas = a;
                    m->cap_areas = cap;
                }
                m->areas[m->n_areas++] = (bx[2] - bx[0]) * (bx[3] - bx[1]);
                int x0 = bx[0] < 0 ? 0 : (int)bx[0], y0 = bx[1] < 0 ? 0 : (int)bx[1];
                int x1 = bx[2] > m->w ? m->w : (int)ceil(bx[2]);
                int y1 = bx[3] > m->h ? m->h : (int)ceil(bx[3]);
                for (int y = y0; y < y1; y++)
                    for (int x = x0; x < x1; x++) in_box[(size_t)y * m->w + x] = 1;
            }
            features(m, b.X + i * b.sample_size);
            for (size_t p = 0; p < hw; p++) {
                int o = in_box[p];
                m->n[o] += 1;
                for (int f = 0; f < m->nf; f++) {
                    double v = m->feat[(size_t)f * hw + p];
                    m->sum[o][f] += v;
                    m->sq[o][f] += v * v;
                }
            }
        }
    }
    free(in_box);
    if (st) return st;
    for (int o = 0; o < 2; o++) {
        double n = m->n[o] > 0 ? m->n[o] : 1;
        m->logprior[o] = log((m->n[o] + 1) / (m->n[0] + m->n[1] + 2));
        for (int f = 0; f < m->nf; f++) {
            double mean = m->sum[o][f] / n, var = m->sq[o][f] / n - mean * mean;
            m->mu[o][f] = mean;
            m->var[o][f] = var > 1e-4 ? var : 1e-4;
        }
    }
    for (int c = 0; c < m->k; c++)
        for (int j = 0; j < 2 && m->cls_n[c] > 0; j++) {
            double mean = m->shape_sum[2 * c + j] / m->cls_n[c];
            double var = m->shape_sq[2 * c + j] / m->cls_n[c] - mean * mean;
            m->shape_mu[2 * c + j] = mean;
            m->shape_var[2 * c + j] = var > 1e-3 ? var : 1e-3;
        }
    if (m->n_areas) {
        qsort(m->areas, m->n_areas, sizeof *m->areas, cmp_double);
        m->min_area = 0.25 * m->areas[m->n_areas / 20];
        m->typical_area = m->areas[m->n_areas / 2];
    }
    if (m->min_area < 4) m->min_area = 4;
    if (m->typical_area < m->min_area) m->typical_area = m->min_area;
    return RAMP_OK;
}

ramp_status batch_detector_predict(void *self, const float *X, size_t n, ramp_obj *objs,
                                   size_t *n_objs)
{
    model *m = self;
    size_t hw = (size_t)m->h * (size_t)m->w;
    uint8_t *fg = malloc(hw);
    int32_t *stack = malloc(hw * sizeof *stack);
    if (!fg || !stack) {
        free(fg);
        free(stack);
        return RAMP_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        features(m, X + i * hw * (size_t)m->ch);
        for (size_t p = 0; p < hw; p++) {
            double lp[2];
            for (int o = 0; o < 2; o++) {
                lp[o] = m->logprior[o];
                for (int f = 0; f < m->nf; f++) {
                    double z = m->feat[(size_t)f * hw + p] - m->mu[o][f];
                    lp[o] -= 0.5 * (z * z / m->var[o][f] + log(m->var[o][f]));
                }
            }
            fg[p] = lp[1] > lp[0];
        }
        size_t got = 0;
        ramp_obj *out = objs + i * (size_t)m->max_objects;
        for (size_t p0 = 0; p0 < hw; p0++) {
            if (!fg[p0]) continue;
            /* flood fill from p0 */
            size_t top = 0, area = 0;
            int x0 = m->w, y0 = m->h, x1 = -1, y1 = -1;
            stack[top++] = (int32_t)p0;
            fg[p0] = 0;
            while (top) {
                int32_t p = stack[--top];
                int px = p % m->w, py = p / m->w;
                area++;
                if (px < x0) x0 = px;
                if (px > x1) x1 = px;
                if (py < y0) y0 = py;
                if (py > y1) y1 = py;
                const int dx[4] = {1, -1, 0, 0}, dy[4] = {0, 0, 1, -1};
                for (int d = 0; d < 4; d++) {
                    int qx = px + dx[d], qy = py + dy[d];
                    if (qx < 0 || qy < 0 || qx >= m->w || qy >= m->h) continue;
                    int32_t q = qy * m->w + qx;
                    if (fg[q]) {
                        fg[q] = 0;
                        stack[top++] = q;
                    }
                }
            }
            double box_area = (double)(x1 - x0 + 1) * (double)(y1 - y0 + 1);
            if (box_area < m->min_area || got == (size_t)m->max_objects) continue;
            ramp_obj *o = &out[got++];
            double f[2] = {log((double)(x1 - x0 + 1) / (y1 - y0 + 1)), log(box_area)}, best = -INFINITY;
            o->cls = 0;
            for (int c = 0; c < m->k; c++) {
                if (!m->cls_n[c]) continue;
                double lp = log(m->cls_n[c]);
                for (int j = 0; j < 2; j++) {
                    double z = f[j] - m->shape_mu[2 * c + j];
                    lp -= 0.5 * (z * z / m->shape_var[2 * c + j] + log(m->shape_var[2 * c + j]));
                }
                if (lp > best) {
                    best = lp;
                    o->cls = c;
                }
            }
            o->conf = (float)(box_area / (box_area + m->typical_area));
            if (m->geometry == 1) {
                o->g[0] = 0.5f * (float)(x0 + x1 + 1);
                o->g[1] = 0.5f * (float)(y0 + y1 + 1);
                o->g[2] = 0.25f * (float)(x1 - x0 + 1 + y1 - y0 + 1);
                o->g[3] = 0;
            } else {
                o->g[0] = (float)x0;
                o->g[1] = (float)y0;
                o->g[2] = (float)(x1 + 1);
                o->g[3] = (float)(y1 + 1);
            }
        }
        n_objs[i] = got;
    }
    free(fg);
    free(stack);
    return RAMP_OK;
}
