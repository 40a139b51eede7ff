/* The detection starting kit: connected components in plain C, no network.
 *
 * fit: from the training batches (boxes arrive moved onto the tensor's
 * pixels), the mean colour of the background (pixels in no box) and its
 * spread, the most frequent class, and the smallest plausible object (a
 * quarter of the 5th percentile of box areas).
 * predict: a pixel is foreground when its colour is more than THRESH
 * standard deviations from the background's; 4-connected components of the
 * foreground larger than that smallest area become objects — boxes, or for
 * a circle kit the circle through the box's corners' mean radius — with
 * the training's most frequent class and a confidence growing with the
 * component's size. A baseline that shows the contract (ramp/detector.h):
 * a network does far better.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <ramp/detector.h>

#define THRESH 3.0

typedef struct model {
    int k, ch, h, w, geometry, max_objects;
    double bg_sum[4], bg_sq[4], bg_n, *cls_n;
    double *areas;
    size_t n_areas, cap_areas;
    float mu[4], sd[4];
    double min_area, typical_area;
    int top_class;
} model;

void batch_detector_free(void *self)
{
    model *m = self;
    if (!m) return;
    free(m->cls_n);
    free(m->areas);
    free(m);
}

ramp_status batch_detector_new(void **self, const ramp_clf_info *info)
{
    if (info->ndim != 3 || info->shape[0] > 4) return RAMP_ESHAPE; /* C × H × W, C ≤ 4 */
    model *m = calloc(1, sizeof *m);
    if (!m) return RAMP_ENOMEM;
    m->k = info->n_classes;
    m->ch = info->shape[0];
    m->h = info->shape[1];
    m->w = info->shape[2];
    m->geometry = info->geometry;
    m->max_objects = info->max_objects;
    if (!(m->cls_n = calloc((size_t)m->k, sizeof *m->cls_n))) {
        free(m);
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
                if (b.obj[q].cls >= 0 && b.obj[q].cls < m->k) m->cls_n[b.obj[q].cls] += 1;
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
            const float *X = b.X + i * b.sample_size;
            for (size_t p = 0; p < hw; p++) {
                if (in_box[p]) continue;
                m->bg_n += 1;
                for (int c = 0; c < m->ch; c++) {
                    double v = X[(size_t)c * hw + p];
                    m->bg_sum[c] += v;
                    m->bg_sq[c] += v * v;
                }
            }
        }
    }
    free(in_box);
    if (st) return st;
    for (int c = 0; c < m->ch; c++) {
        double mean = m->bg_n ? m->bg_sum[c] / m->bg_n : 0;
        double var = m->bg_n ? m->bg_sq[c] / m->bg_n - mean * mean : 1;
        m->mu[c] = (float)mean;
        m->sd[c] = (float)sqrt(var > 1e-6 ? var : 1e-6);
    }
    for (int c = 1; c < m->k; c++)
        if (m->cls_n[c] > m->cls_n[m->top_class]) m->top_class = c;
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
        const float *x = X + i * hw * (size_t)m->ch;
        for (size_t p = 0; p < hw; p++) {
            double d = 0;
            for (int c = 0; c < m->ch; c++) {
                double z = (x[(size_t)c * hw + p] - m->mu[c]) / m->sd[c];
                d += z * z;
            }
            fg[p] = d > THRESH * THRESH * m->ch;
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
            o->cls = m->top_class;
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
