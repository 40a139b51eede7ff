/* The segmentation starting kit: a per-pixel colour classifier in plain C.
 *
 * fit: each class's mean colour over the training pixels (the masks arrive
 * in the batches, moved onto the tensor's pixels), and the pooled variance
 * of the pixels around their class mean.
 * predict: a pixel's score for class k is exp(−‖x − μ_k‖² / 2σ²), with
 * classes never seen in training at 0. A baseline to beat, not a network:
 * it shows the contract (ramp/detector.h) with nothing else around it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <ramp/detector.h>

typedef struct model {
    int k, ch, h, w;
    double *sum, *sumsq, *cnt; /* k × ch, k × ch, k */
    double var;
    float *mu; /* k × ch */
} model;

void batch_segmenter_free(void *self)
{
    model *m = self;
    if (!m) return;
    free(m->sum);
    free(m->sumsq);
    free(m->cnt);
    free(m->mu);
    free(m);
}

ramp_status batch_segmenter_new(void **self, const ramp_clf_info *info)
{
    if (info->ndim != 3) return RAMP_ESHAPE; /* C × H × W */
    model *m = calloc(1, sizeof *m);
    if (!m) return RAMP_ENOMEM;
    m->k = info->n_classes;
    m->ch = info->shape[0];
    m->h = info->shape[1];
    m->w = info->shape[2];
    size_t kc = (size_t)m->k * (size_t)m->ch;
    m->sum = calloc(kc, sizeof *m->sum);
    m->sumsq = calloc(kc, sizeof *m->sumsq);
    m->cnt = calloc((size_t)m->k, sizeof *m->cnt);
    m->mu = calloc(kc, sizeof *m->mu);
    if (!m->sum || !m->sumsq || !m->cnt || !m->mu) {
        batch_segmenter_free(m);
        return RAMP_ENOMEM;
    }
    *self = m;
    return RAMP_OK;
}

ramp_status batch_segmenter_fit(void *self, ramp_gen_builder *gb)
{
    model *m = self;
    ramp_gen *train, *valid;
    size_t nt, nv;
    ramp_status st = ramp_get_train_valid_generators(gb, 32, 0.0, &train, &valid, &nt, &nv);
    if (st) return st;
    size_t steps = ramp_gen_steps_per_epoch(train), hw = (size_t)m->h * (size_t)m->w;
    for (size_t s = 0; s < steps; s++) {
        ramp_batch b;
        if ((st = ramp_gen_next(train, &b))) return st;
        if (!b.mask || (size_t)b.mask_h * (size_t)b.mask_w != hw) return RAMP_ESHAPE;
        for (size_t i = 0; i < b.n; i++) {
            const float *x = b.X + i * b.sample_size;
            const int32_t *y = b.mask + i * hw;
            for (size_t p = 0; p < hw; p++) {
                int c = y[p];
                if (c < 0 || c >= m->k) continue; /* void */
                m->cnt[c] += 1;
                for (int ch = 0; ch < m->ch; ch++) {
                    double v = x[(size_t)ch * hw + p];
                    m->sum[(size_t)c * m->ch + ch] += v;
                    m->sumsq[(size_t)c * m->ch + ch] += v * v;
                }
            }
        }
        ramp_progress pr = {0, 1, s + 1, steps, NAN, NAN, NAN, NAN, 0, 0, 0};
        ramp_gen_progress(train, &pr);
    }
    double within = 0, n = 0;
    for (int c = 0; c < m->k; c++) {
        if (!m->cnt[c]) continue;
        for (int ch = 0; ch < m->ch; ch++) {
            size_t j = (size_t)c * m->ch + ch;
            double mean = m->sum[j] / m->cnt[c];
            m->mu[j] = (float)mean;
            within += m->sumsq[j] - m->cnt[c] * mean * mean;
        }
        n += m->cnt[c];
    }
    m->var = n > 0 && within > 0 ? within / n : 1e-3;
    return RAMP_OK;
}

ramp_status batch_segmenter_predict_proba(void *self, const float *X, size_t n, float *proba)
{
    model *m = self;
    size_t hw = (size_t)m->h * (size_t)m->w, ss = hw * (size_t)m->ch;
    double *d = malloc((size_t)m->k * sizeof *d);
    if (!d) return RAMP_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const float *x = X + i * ss;
        float *out = proba + i * (size_t)m->k * hw;
        for (size_t p = 0; p < hw; p++) {
            double best = INFINITY;
            for (int c = 0; c < m->k; c++) {
                d[c] = INFINITY;
                if (!m->cnt[c]) continue;
                double s = 0;
                for (int ch = 0; ch < m->ch; ch++) {
                    double v = x[(size_t)ch * hw + p] - m->mu[(size_t)c * m->ch + ch];
                    s += v * v;
                }
                d[c] = s;
                if (s < best) best = s;
            }
            for (int c = 0; c < m->k; c++)
                out[(size_t)c * hw + p] =
                    isinf(d[c]) ? 0.0f : (float)exp(-(d[c] - best) / (2 * m->var));
        }
    }
    free(d);
    return RAMP_OK;
}
