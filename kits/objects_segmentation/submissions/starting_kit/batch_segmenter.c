/* The segmentation starting kit: a per-pixel Gaussian naive Bayes in plain C.
 *
 * Each pixel is described by its colour and its difference from the mean
 * colour of the 7×7 window around it (local contrast: items stand out from
 * smooth backgrounds). fit: each class's prior, mean and variance of every
 * feature over the training pixels (the masks arrive in the batches, moved
 * onto the tensor's pixels). predict: the class posteriors under
 * independent Gaussians. A baseline to beat, not a network: it shows the
 * contract (ramp/detector.h) with nothing else around it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <ramp/detector.h>

#define MAX_F 8 /* features: up to 4 channels and their local contrasts */

typedef struct model {
    int k, ch, nf, h, w;
    double *sum, *sumsq, *cnt; /* k × nf, k × nf, k */
    double *mu, *var, *logprior;
    float *feat;               /* nf × h × w scratch */
} model;

void batch_segmenter_free(void *self)
{
    model *m = self;
    if (!m) return;
    free(m->sum);
    free(m->sumsq);
    free(m->cnt);
    free(m->mu);
    free(m->var);
    free(m->logprior);
    free(m->feat);
    free(m);
}

ramp_status batch_segmenter_new(void **self, const ramp_clf_info *info)
{
    if (info->ndim != 3 || info->shape[0] > MAX_F / 2) return RAMP_ESHAPE; /* C × H × W */
    model *m = calloc(1, sizeof *m);
    if (!m) return RAMP_ENOMEM;
    m->k = info->n_classes;
    m->ch = info->shape[0];
    m->nf = 2 * m->ch;
    m->h = info->shape[1];
    m->w = info->shape[2];
    size_t kf = (size_t)m->k * (size_t)m->nf;
    m->sum = calloc(kf, sizeof *m->sum);
    m->sumsq = calloc(kf, sizeof *m->sumsq);
    m->cnt = calloc((size_t)m->k, sizeof *m->cnt);
    m->mu = calloc(kf, sizeof *m->mu);
    m->var = calloc(kf, sizeof *m->var);
    m->logprior = calloc((size_t)m->k, sizeof *m->logprior);
    m->feat = calloc((size_t)m->nf * (size_t)m->h * (size_t)m->w, sizeof *m->feat);
    if (!m->sum || !m->sumsq || !m->cnt || !m->mu || !m->var || !m->logprior || !m->feat) {
        batch_segmenter_free(m);
        return RAMP_ENOMEM;
    }
    *self = m;
    return RAMP_OK;
}

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
            features(m, b.X + i * b.sample_size);
            const int32_t *y = b.mask + i * hw;
            for (size_t p = 0; p < hw; p++) {
                int c = y[p];
                if (c < 0 || c >= m->k) continue; /* void */
                m->cnt[c] += 1;
                for (int f = 0; f < m->nf; f++) {
                    double v = m->feat[(size_t)f * hw + p];
                    m->sum[(size_t)c * m->nf + f] += v;
                    m->sumsq[(size_t)c * m->nf + f] += v * v;
                }
            }
        }
        ramp_progress pr = {0, 1, s + 1, steps, NAN, NAN, NAN, NAN, 0, 0, 0};
        ramp_gen_progress(train, &pr);
    }
    double total = 0;
    for (int c = 0; c < m->k; c++) total += m->cnt[c];
    for (int c = 0; c < m->k; c++) {
        m->logprior[c] = m->cnt[c] ? log(m->cnt[c] / total) : -INFINITY;
        for (int f = 0; c < m->k && m->cnt[c] && f < m->nf; f++) {
            size_t j = (size_t)c * m->nf + f;
            double mean = m->sum[j] / m->cnt[c], var = m->sumsq[j] / m->cnt[c] - mean * mean;
            m->mu[j] = mean;
            m->var[j] = var > 1e-4 ? var : 1e-4;
        }
    }
    return RAMP_OK;
}

ramp_status batch_segmenter_predict_proba(void *self, const float *X, size_t n, float *proba)
{
    model *m = self;
    size_t hw = (size_t)m->h * (size_t)m->w, ss = hw * (size_t)m->ch;
    double *lp = malloc((size_t)m->k * sizeof *lp);
    if (!lp) return RAMP_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        features(m, X + i * ss);
        float *out = proba + i * (size_t)m->k * hw;
        for (size_t p = 0; p < hw; p++) {
            double best = -INFINITY;
            for (int c = 0; c < m->k; c++) {
                lp[c] = m->logprior[c];
                for (int f = 0; !isinf(lp[c]) && f < m->nf; f++) {
                    size_t j = (size_t)c * m->nf + f;
                    double z = m->feat[(size_t)f * hw + p] - m->mu[j];
                    lp[c] -= 0.5 * (z * z / m->var[j] + log(m->var[j]));
                }
                if (lp[c] > best) best = lp[c];
            }
            for (int c = 0; c < m->k; c++)
                out[(size_t)c * hw + p] = isinf(lp[c]) ? 0.0f : (float)exp(lp[c] - best);
        }
    }
    free(lp);
    return RAMP_OK;
}
