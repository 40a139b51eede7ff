/* optim.c — SGD (momentum, Nesterov, weight decay), Adam and AdamW, and the
 * learning-rate schedules.
 *
 * The update is elementwise, so it runs on the backend's storage whatever
 * its layout (padding included: zero weights with zero gradients stay zero).
 * Formulas follow torch.optim so runs can be compared with PyTorch: SGD adds
 * wd·w to the gradient, buf = μ·buf + g (the first step sets buf = g),
 * Nesterov steps along g + μ·buf; Adam adds wd·w to the gradient; AdamW
 * multiplies w by (1 − lr·wd) first. State (m1, m2) is allocated on first
 * use, owned by the net. */
#include <math.h>
#include <stdlib.h>

#include "nn/nnInt.h"

ramp_status ramp__optim_step(ramp_net *net, ramp__optim *o)
{
    o->t++;
    int adam = o->kind != RAMP_OPT_SGD;
    double bc1 = 1.0 - pow(o->beta1, (double)o->t), bc2 = 1.0 - pow(o->beta2, (double)o->t);
    for (int i = 0; i < net->n_nodes; i++)
        for (int k = 0; k < RAMP__P_MAX; k++) {
            ramp__param *p = &net->nodes[i].p[k];
            if (!p->used || !p->trainable || !p->w) continue;
            int first = 0;
            if ((adam || o->momentum != 0.f) && !p->m1) {
                p->m1 = calloc(p->n, sizeof(float));
                if (!p->m1) return ramp__net_fail(net, RAMP_ENOMEM, "optimiser: out of memory");
                first = 1;
            }
            if (adam && !p->m2) {
                p->m2 = calloc(p->n, sizeof(float));
                if (!p->m2) return ramp__net_fail(net, RAMP_ENOMEM, "optimiser: out of memory");
            }
            float *w = p->w, *m1 = p->m1, *m2 = p->m2;
            const float *g = p->g;
            float lr = o->lr, wd = o->wd, mu = o->momentum;
            size_t n = p->n;
            if (!adam) {
                for (size_t j = 0; j < n; j++) {
                    float d = g[j] + wd * w[j];
                    if (mu != 0.f) {
                        m1[j] = first ? d : mu * m1[j] + d;
                        d = o->nesterov ? d + mu * m1[j] : m1[j];
                    }
                    w[j] -= lr * d;
                }
            } else {
                float b1 = o->beta1, b2 = o->beta2, eps = o->eps;
                float a = (float)(lr / bc1), sb2 = (float)sqrt(bc2);
                int decoupled = o->kind == RAMP_OPT_ADAMW;
                for (size_t j = 0; j < n; j++) {
                    float d = g[j];
                    if (decoupled)
                        w[j] *= 1.f - lr * wd;
                    else
                        d += wd * w[j];
                    m1[j] = b1 * m1[j] + (1.f - b1) * d;
                    m2[j] = b2 * m2[j] + (1.f - b2) * d * d;
                    w[j] -= a * m1[j] / (sqrtf(m2[j]) / sb2 + eps);
                }
            }
        }
    net->plain_valid = 0;
    return RAMP_OK;
}

double ramp__lr_at(const ramp_fit_opts *o, double base, uint64_t t, uint64_t total, int epoch)
{
    double lr = base;
    uint64_t wu = o->warmup_steps > 0 ? (uint64_t)o->warmup_steps : 0;
    if (t < wu) return base * (double)(t + 1) / (double)wu;
    switch (o->schedule) {
    case RAMP_SCHED_STEP: {
        int se = o->step_epochs > 0 ? o->step_epochs : 1;
        double g = o->gamma > 0 ? o->gamma : 0.1;
        lr = base * pow(g, (double)(epoch / se));
        break;
    }
    case RAMP_SCHED_COSINE: {
        double T = total > wu ? (double)(total - wu) : 1.0;
        double x = (double)(t - wu) / T;
        if (x > 1) x = 1;
        lr = o->lr_min + (base - o->lr_min) * 0.5 * (1.0 + cos(3.14159265358979323846 * x));
        break;
    }
    default: break;
    }
    return lr;
}
