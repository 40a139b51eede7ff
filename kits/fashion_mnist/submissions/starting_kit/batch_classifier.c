/* The starting kit's classifier: a one-hidden-layer perceptron in plain C
 * (no framework), trained with minibatch SGD + momentum from ramp's
 * streaming generators. It shows the contract is framework-neutral:
 * anything that can consume float batches can be a classifier.
 *
 *   x (D) → h = relu(W1 x + b1) (H) → z = W2 h + b2 (C) → softmax
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ramp/classifier.h>

#define HIDDEN 256
#define EPOCHS 4
#define BATCH 64

typedef struct model {
    int d, h, c;
    uint64_t seed;
    int quick;
    float *w1, *b1, *w2, *b2;     /* h×d, h, c×h, c */
    float *g1, *gb1, *g2, *gb2;   /* gradients */
    float *m1, *mb1, *m2, *mb2;   /* momentum */
    float *hid, *z;               /* batch activations: BATCH×h, BATCH×c */
} model;

static float *alloc_floats(size_t n)
{
    return calloc(n ? n : 1, sizeof(float));
}

ramp_status batch_classifier_new(void **self, const ramp_clf_info *info)
{
    model *m = calloc(1, sizeof *m);
    if (!m) return RAMP_ENOMEM;
    m->d = 1;
    for (int i = 0; i < info->ndim; i++) m->d *= info->shape[i];
    m->h = HIDDEN;
    m->c = info->n_classes;
    m->seed = info->seed;
    m->quick = info->quick_test;
    size_t d = (size_t)m->d, h = (size_t)m->h, c = (size_t)m->c;
    float **bufs[] = {&m->w1, &m->b1, &m->w2, &m->b2, &m->g1, &m->gb1, &m->g2, &m->gb2,
                      &m->m1, &m->mb1, &m->m2, &m->mb2, &m->hid, &m->z};
    size_t sizes[] = {h * d, h, c * h, c, h * d, h, c * h, c, h * d, h, c * h, c, BATCH * h,
                      BATCH * c};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        if (!(*bufs[i] = alloc_floats(sizes[i]))) {
            batch_classifier_free(m);
            return RAMP_ENOMEM;
        }
    /* He initialisation from the run's seeded stream */
    ramp_rng r;
    ramp_rng_seed(&r, info->seed, 1);
    for (size_t i = 0; i < h * d; i++)
        m->w1[i] = (float)((ramp_rng_uniform(&r) * 2 - 1) * sqrt(6.0 / (double)d));
    for (size_t i = 0; i < c * h; i++)
        m->w2[i] = (float)((ramp_rng_uniform(&r) * 2 - 1) * sqrt(6.0 / (double)h));
    *self = m;
    return RAMP_OK;
}

/* Forward pass of n samples: fills m->hid and m->z (logits → probabilities). */
static void forward(model *m, const float *X, size_t n)
{
    int d = m->d, h = m->h, c = m->c;
    for (size_t s = 0; s < n; s++) {
        const float *x = X + s * (size_t)d;
        float *hs = m->hid + s * (size_t)h;
        for (int j = 0; j < h; j++) {
            const float *w = m->w1 + (size_t)j * (size_t)d;
            float acc = m->b1[j];
            for (int i = 0; i < d; i++) acc += w[i] * x[i];
            hs[j] = acc > 0 ? acc : 0;
        }
        float *zs = m->z + s * (size_t)c;
        float mx = -INFINITY;
        for (int k = 0; k < c; k++) {
            const float *w = m->w2 + (size_t)k * (size_t)h;
            float acc = m->b2[k];
            for (int j = 0; j < h; j++) acc += w[j] * hs[j];
            zs[k] = acc;
            if (acc > mx) mx = acc;
        }
        float sum = 0;
        for (int k = 0; k < c; k++) sum += zs[k] = expf(zs[k] - mx);
        for (int k = 0; k < c; k++) zs[k] /= sum;
    }
}

/* One SGD step on a batch; returns the summed loss and adds correct counts. */
static double train_batch(model *m, const ramp_batch *b, float lr, size_t *correct)
{
    int d = m->d, h = m->h, c = m->c;
    size_t n = b->n;
    forward(m, b->X, n);
    memset(m->g1, 0, (size_t)h * (size_t)d * sizeof(float));
    memset(m->gb1, 0, (size_t)h * sizeof(float));
    memset(m->g2, 0, (size_t)c * (size_t)h * sizeof(float));
    memset(m->gb2, 0, (size_t)c * sizeof(float));
    double loss = 0;
    float dz[1024], dh[HIDDEN];
    for (size_t s = 0; s < n; s++) {
        const float *x = b->X + s * (size_t)d;
        const float *hs = m->hid + s * (size_t)h;
        const float *p = m->z + s * (size_t)c;
        int y = b->y[s];
        int arg = 0;
        for (int k = 1; k < c; k++)
            if (p[k] > p[arg]) arg = k;
        *correct += arg == y;
        loss += -log(p[y] > 1e-12f ? p[y] : 1e-12f);
        for (int k = 0; k < c; k++) dz[k] = (p[k] - (k == y)) / (float)n;
        for (int j = 0; j < h; j++) dh[j] = 0;
        for (int k = 0; k < c; k++) {
            float *g = m->g2 + (size_t)k * (size_t)h;
            const float *w = m->w2 + (size_t)k * (size_t)h;
            for (int j = 0; j < h; j++) {
                g[j] += dz[k] * hs[j];
                dh[j] += dz[k] * w[j];
            }
            m->gb2[k] += dz[k];
        }
        for (int j = 0; j < h; j++) {
            if (hs[j] <= 0) continue;
            float *g = m->g1 + (size_t)j * (size_t)d;
            for (int i = 0; i < d; i++) g[i] += dh[j] * x[i];
            m->gb1[j] += dh[j];
        }
    }
    /* SGD with momentum 0.9 */
    float *p[] = {m->w1, m->b1, m->w2, m->b2}, *g[] = {m->g1, m->gb1, m->g2, m->gb2},
          *v[] = {m->m1, m->mb1, m->m2, m->mb2};
    size_t sz[] = {(size_t)h * (size_t)d, (size_t)h, (size_t)c * (size_t)h, (size_t)c};
    for (int t = 0; t < 4; t++)
        for (size_t i = 0; i < sz[t]; i++) {
            v[t][i] = 0.9f * v[t][i] - lr * g[t][i];
            p[t][i] += v[t][i];
        }
    return loss;
}

ramp_status batch_classifier_fit(void *self, ramp_gen_builder *gb)
{
    model *m = self;
    if (m->c > 1024) return RAMP_EUNSUPPORTED;
    ramp_gen *train, *valid;
    size_t nb_train, nb_valid;
    ramp_status st = ramp_get_train_valid_generators(gb, BATCH, 0.1, &train, &valid, &nb_train,
                                                     &nb_valid);
    if (st) return st;
    int epochs = m->quick ? 1 : EPOCHS;
    size_t steps = ramp_gen_steps_per_epoch(train);
    for (int e = 0; e < epochs; e++) {
        float lr = 0.05f * (e + 1 == epochs && epochs > 1 ? 0.3f : 1.0f);
        double loss = 0;
        size_t correct = 0, seen = 0;
        for (size_t s = 0; s < steps; s++) {
            ramp_batch b;
            if ((st = ramp_gen_next(train, &b))) return st;
            loss += train_batch(m, &b, lr, &correct);
            seen += b.n;
            ramp_gen_builder_progress(gb, e, epochs, s + 1, steps, loss / (double)seen,
                                      (double)correct / (double)seen);
        }
        size_t vc = 0;
        for (size_t s = 0; valid && s < ramp_gen_steps_per_epoch(valid); s++) {
            ramp_batch b;
            if ((st = ramp_gen_next(valid, &b))) return st;
            forward(m, b.X, b.n);
            for (size_t i = 0; i < b.n; i++) {
                const float *p = m->z + i * (size_t)m->c;
                int arg = 0;
                for (int k = 1; k < m->c; k++)
                    if (p[k] > p[arg]) arg = k;
                vc += arg == b.y[i];
            }
        }
        printf("epoch %d: loss %.4f  train acc %.4f  valid acc %.4f\n", e + 1,
               loss / (double)seen, (double)correct / (double)seen,
               nb_valid ? (double)vc / (double)nb_valid : 0.0);
    }
    return RAMP_OK;
}

ramp_status batch_classifier_predict_proba(void *self, const float *X, size_t n, float *proba)
{
    model *m = self;
    for (size_t done = 0; done < n; done += BATCH) {
        size_t k = n - done < BATCH ? n - done : BATCH;
        forward(m, X + done * (size_t)m->d, k);
        memcpy(proba + done * (size_t)m->c, m->z, k * (size_t)m->c * sizeof(float));
    }
    return RAMP_OK;
}

void batch_classifier_free(void *self)
{
    model *m = self;
    if (!m) return;
    float *bufs[] = {m->w1, m->b1, m->w2, m->b2, m->g1, m->gb1, m->g2, m->gb2,
                     m->m1, m->mb1, m->m2, m->mb2, m->hid, m->z};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) free(bufs[i]);
    free(m);
}
