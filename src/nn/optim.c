/* optim.c — SGD (momentum, Nesterov, weight decay), Adam and AdamW, and the
 * learning-rate schedules.
 *
 * The update is elementwise, so it runs on the backend's storage whatever
 * its layout (padding included: zero weights with zero gradients stay zero).
 * Formulas follow torch.optim so runs can be compared with PyTorch: SGD adds
 * wd·w to the gradient, buf = μ·buf + g (the first step sets buf = g),
 * Nesterov steps along g + μ·buf; Adam adds wd·w to the gradient; AdamW
 * multiplies w by (1 − lr·wd) first. State (m1, m2) is allocated on first
 * use, owned by the net. A layer's lr is the step's times its lr_mult (as a
 * PyTorch param group's lr, decoupled decay included); a layer that does not
 * learn (frozen, or lr_mult 0) is skipped whole: no decay, no state moves.
 * State persists from one fit to the next, Adam's step count too (per
 * tensor, as torch.optim keeps it per parameter), so a second fit goes on
 * where the first stopped and a layer whose state was reset starts its
 * bias correction afresh.
 *
 * A backend with an optim_step entry (CUDA) runs the same formulas on its
 * own copies (cuda_kernels.cu); this file still decides which tensors step,
 * allocates their host state and counts Adam's steps, so both paths keep
 * one bookkeeping. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "nn/nnInt.h"

/* The updates, one loop per case so each vectorises (omp simd under
   -fopenmp-simd), run on every thread of the compute team: a branchy scalar
   loop on one thread over a dense layer's 400k weights took 0.5 to 3 ms per
   step, depending on where the buffers lay and on which core oneDNN had
   last written the gradients. */
static void sgd(float *restrict w, float *restrict m, const float *restrict g, size_t n,
                float lr, float wd, float mu, int nesterov, int first)
{
    if (mu == 0.f) {
#pragma omp simd
        for (size_t j = 0; j < n; j++) w[j] -= lr * (g[j] + wd * w[j]);
    } else if (first) { /* buf = d */
        float s = nesterov ? 1.f + mu : 1.f;
#pragma omp simd
        for (size_t j = 0; j < n; j++) {
            float d = g[j] + wd * w[j];
            m[j] = d;
            w[j] -= lr * s * d;
        }
    } else if (nesterov) {
#pragma omp simd
        for (size_t j = 0; j < n; j++) {
            float d = g[j] + wd * w[j], b = mu * m[j] + d;
            m[j] = b;
            w[j] -= lr * (d + mu * b);
        }
    } else {
#pragma omp simd
        for (size_t j = 0; j < n; j++) {
            float b = mu * m[j] + g[j] + wd * w[j];
            m[j] = b;
            w[j] -= lr * b;
        }
    }
}

static void adam(float *restrict w, float *restrict m1, float *restrict m2,
                 const float *restrict g, size_t n, const ramp__optim *o, float lr, double bc1,
                 double bc2)
{
    float wd = o->wd, b1 = o->beta1, b2 = o->beta2, eps = o->eps;
    float a = (float)(lr / bc1), sb2 = (float)sqrt(bc2);
    float keep = o->kind == RAMP_OPT_ADAMW ? 1.f - lr * wd : 1.f; /* decoupled decay */
    float wdg = o->kind == RAMP_OPT_ADAMW ? 0.f : wd;               /* L2 in the gradient */
#pragma omp simd
    for (size_t j = 0; j < n; j++) {
        float wj = w[j] * keep, d = g[j] + wdg * w[j];
        float u = b1 * m1[j] + (1.f - b1) * d, v = b2 * m2[j] + (1.f - b2) * d * d;
        m1[j] = u;
        m2[j] = v;
        w[j] = wj - a * u / (sqrtf(v) / sb2 + eps);
    }
}

typedef struct step_job {
    ramp_net *net;
    const ramp__optim *o;
    const uint8_t *first; /* per node × kind: the first step of that state */
} step_job;

/* Thread tid of n updates its share of every parameter tensor (64-byte
   aligned slices, so no two threads write one cache line). */
static void step_slice(void *v, int tid, int n)
{
    const step_job *j = v;
    const ramp__optim *o = j->o;
    int adam_like = o->kind != RAMP_OPT_SGD;
    for (int i = 0; i < j->net->n_nodes; i++)
        for (int k = 0; k < RAMP__P_MAX; k++) {
            const ramp__node *nd = &j->net->nodes[i];
            ramp__param *p = &j->net->nodes[i].p[k];
            if (!p->used || !p->trainable || !p->w || !ramp__node_learns(nd)) continue;
            float lr = o->lr * nd->lr_mult;
            size_t per = (p->n + (size_t)n - 1) / (size_t)n;
            per = (per + 15) & ~(size_t)15;
            size_t a = per * (size_t)tid, b = a + per < p->n ? a + per : p->n;
            if (a >= b) continue;
            if (adam_like)
                adam(p->w + a, p->m1 + a, p->m2 + a, p->g + a, b - a, o, lr,
                     1.0 - pow(o->beta1, (double)p->t), 1.0 - pow(o->beta2, (double)p->t));
            else
                sgd(p->w + a, p->m1 ? p->m1 + a : NULL, p->g + a, b - a, lr, o->wd,
                    o->momentum, o->nesterov, j->first[i * RAMP__P_MAX + k]);
        }
}

/* State saved in the plain layout across a rebuild of the backend
   (ramp__net_reopen) goes back into the new storage m, and is freed. */
static ramp_status take_back(ramp_net *net, int id, int kind, float *m, float **saved)
{
    ramp_status st = net->be->state_convert(net, net->be_st, id, kind, *saved, m, 1);
    free(*saved);
    *saved = NULL;
    return st;
}

ramp_status ramp__optim_step(ramp_net *net, ramp__optim *o)
{
    int adam_like = o->kind != RAMP_OPT_SGD;
    uint8_t *first = calloc((size_t)net->n_nodes * RAMP__P_MAX, 1);
    if (!first) return ramp__net_fail(net, RAMP_ENOMEM, "optimiser: out of memory");
    ramp_status st = RAMP_OK;
    for (int i = 0; i < net->n_nodes && !st; i++)
        for (int k = 0; k < RAMP__P_MAX && !st; k++) {
            ramp__param *p = &net->nodes[i].p[k];
            if (!p->used || !p->trainable || !p->w || !ramp__node_learns(&net->nodes[i]))
                continue;
            if ((adam_like || o->momentum != 0.f) && !p->m1) {
                p->m1 = calloc(p->n, sizeof(float));
                first[i * RAMP__P_MAX + k] = !p->s1;
                if (p->m1 && p->s1) st = take_back(net, i, k, p->m1, &p->s1);
            }
            if (adam_like && !p->m2) {
                p->m2 = calloc(p->n, sizeof(float));
                if (p->m2 && p->s2 && !st) st = take_back(net, i, k, p->m2, &p->s2);
            }
            if (((adam_like || o->momentum != 0.f) && !p->m1) || (adam_like && !p->m2))
                st = ramp__net_fail(net, RAMP_ENOMEM, "optimiser: out of memory");
            if (adam_like) p->t++;
        }
    if (st) {
        free(first);
        return st;
    }
    if (net->be->optim_step) { /* the backend's copies (a GPU's) step where they live */
        st = net->be->optim_step(net, net->be_st, o, first);
    } else {
        step_job j = { net, o, first };
        ramp__nn_parallel(step_slice, &j);
    }
    free(first);
    net->plain_valid = 0;
    return st;
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
