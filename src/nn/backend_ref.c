/* backend_ref.c — the reference backend: every layer through the plain C
 * kernels of ref_*.c, tensors N×C×H×W, parameters in their plain layout.
 *
 * Slow and single-threaded on purpose: it is what the oneDNN backend is
 * tested against, and it defines the semantics (dropout masks excepted,
 * which depend on each backend's layout). Per node it keeps the output y and
 * its gradient dy for up to `cap` samples; max pooling keeps its arg-max,
 * batch norm its batch statistics (none with frozen statistics: it then
 * normalises with the running ones in training too), dropout its mask. */
#include <stdlib.h>
#include <string.h>

#include "nn/nnInt.h"

typedef struct ref_node {
    float *y, *dy, *mask, *mean, *var;
    int32_t *arg;
} ref_node;

typedef struct ref_state {
    ref_node *nodes;
    int n_nodes;
    size_t cap, n;
    int training;
} ref_state;

static void ref_destroy(void *vst)
{
    ref_state *st = vst;
    if (!st) return;
    for (int i = 0; i < st->n_nodes; i++) {
        ref_node *r = &st->nodes[i];
        free(r->y);
        free(r->dy);
        free(r->mask);
        free(r->mean);
        free(r->var);
        free(r->arg);
    }
    free(st->nodes);
    free(st);
}

static ramp_status ref_create(ramp_net *net, void **out)
{
    ref_state *st = calloc(1, sizeof *st);
    if (!st) return RAMP_ENOMEM;
    st->nodes = calloc((size_t)net->n_nodes, sizeof *st->nodes);
    if (!st->nodes) {
        free(st);
        return RAMP_ENOMEM;
    }
    st->n_nodes = net->n_nodes;
    for (int i = 0; i < net->n_nodes; i++) {
        const ramp__node *nd = &net->nodes[i];
        if (nd->op == RAMP__OP_BN) {
            st->nodes[i].mean = calloc((size_t)nd->c, sizeof(float));
            st->nodes[i].var = calloc((size_t)nd->c, sizeof(float));
            if (!st->nodes[i].mean || !st->nodes[i].var) {
                ref_destroy(st);
                return RAMP_ENOMEM;
            }
        }
    }
    *out = st;
    return RAMP_OK;
}

static ramp_status reserve(ramp_net *net, ref_state *st, size_t n)
{
    if (n <= st->cap) return RAMP_OK;
    for (int i = 0; i < net->n_nodes; i++) {
        const ramp__node *nd = &net->nodes[i];
        ref_node *r = &st->nodes[i];
        size_t sz = n * ramp__node_size(nd);
        free(r->y);
        free(r->dy);
        free(r->mask);
        free(r->arg);
        r->mask = NULL;
        r->arg = NULL;
        r->y = malloc(sz * sizeof(float));
        r->dy = malloc(sz * sizeof(float));
        if (nd->op == RAMP__OP_DROPOUT) r->mask = malloc(sz * sizeof(float));
        if (nd->op == RAMP__OP_MAXPOOL) r->arg = malloc(sz * sizeof(int32_t));
        if (!r->y || !r->dy || (nd->op == RAMP__OP_DROPOUT && !r->mask) ||
            (nd->op == RAMP__OP_MAXPOOL && !r->arg)) {
            st->cap = 0;
            return ramp__net_fail(net, RAMP_ENOMEM, "reference backend: out of memory");
        }
    }
    st->cap = n;
    return RAMP_OK;
}

static ramp_status ref_forward(ramp_net *net, void *vst, const float *X, size_t n, int training,
                               float *logits)
{
    ref_state *st = vst;
    ramp_status s = reserve(net, st, n);
    if (s) return s;
    int N = (int)n;
    memcpy(st->nodes[0].y, X, n * ramp__node_size(&net->nodes[0]) * sizeof(float));
    for (int i = 1; i < net->n_nodes; i++) {
        const ramp__node *nd = &net->nodes[i], *a = &net->nodes[nd->in[0]];
        ref_node *r = &st->nodes[i];
        const float *x = st->nodes[nd->in[0]].y;
        size_t cnt = n * ramp__node_size(nd);
        const float *w = nd->p[0].w, *b = nd->p[1].used ? nd->p[1].w : NULL;
        switch (nd->op) {
        case RAMP__OP_CONV:
            ramp__ref_conv_fwd(r->y, x, w, b, N, a->c, a->h, a->w, nd->c, nd->k, nd->stride,
                               nd->pad, nd->groups, nd->dilation);
            break;
        case RAMP__OP_DENSE:
            ramp__ref_dense_fwd(r->y, x, w, b, N, (int)ramp__node_size(a), nd->c);
            break;
        case RAMP__OP_MAXPOOL:
            ramp__ref_maxpool_fwd(r->y, r->arg, x, N, a->c, a->h, a->w, nd->k, nd->stride, nd->pad);
            break;
        case RAMP__OP_AVGPOOL:
            ramp__ref_avgpool_fwd(r->y, x, N, a->c, a->h, a->w, nd->k, nd->stride, nd->pad);
            break;
        case RAMP__OP_GAP:
            ramp__ref_gap_fwd(r->y, x, N, a->c, a->h * a->w);
            break;
        case RAMP__OP_RELU:
        case RAMP__OP_LRELU:
        case RAMP__OP_SIGMOID:
        case RAMP__OP_TANH:
            ramp__ref_act_fwd(r->y, x, cnt, nd->op, nd->alpha);
            break;
        case RAMP__OP_BN: {
            int HW = nd->h * nd->w;
            if (training && nd->bn_frozen) { /* the running statistics, kept as they are */
                ramp__ref_bn_fwd_infer(r->y, x, w, b, nd->p[2].w, nd->p[3].w, N, nd->c, HW,
                                       nd->eps);
            } else if (training) {
                ramp__ref_bn_fwd_train(r->y, r->mean, r->var, x, w, b, N, nd->c, HW, nd->eps);
                float m = nd->alpha, *rm = nd->p[2].w, *rv = nd->p[3].w;
                double c = (double)N * HW, unb = c > 1 ? c / (c - 1) : 1.0;
                for (int j = 0; j < nd->c; j++) {
                    rm[j] = (1.f - m) * rm[j] + m * r->mean[j];
                    rv[j] = (1.f - m) * rv[j] + m * (float)(r->var[j] * unb);
                }
                net->plain_valid = 0;
            } else {
                ramp__ref_bn_fwd_infer(r->y, x, w, b, nd->p[2].w, nd->p[3].w, N, nd->c, HW,
                                       nd->eps);
            }
            break;
        }
        case RAMP__OP_DROPOUT:
            if (training && nd->alpha > 0.f) {
                ramp_rng rng;
                ramp_rng_seed(&rng, net->prm.seed ^ 0x5eedd509u, ramp_rng_key(net->step, (uint64_t)i));
                ramp__dropout_mask(r->mask, cnt, nd->alpha, &rng);
                for (size_t j = 0; j < cnt; j++) r->y[j] = x[j] * r->mask[j];
            } else {
                memcpy(r->y, x, cnt * sizeof(float));
            }
            break;
        case RAMP__OP_ADD: {
            const float *x2 = st->nodes[nd->in[1]].y;
            for (size_t j = 0; j < cnt; j++) r->y[j] = x[j] + x2[j];
            break;
        }
        case RAMP__OP_CLIP:
            ramp__ref_clip_fwd(r->y, x, cnt, nd->alpha, nd->beta);
            break;
        case RAMP__OP_MUL: {
            const ramp__node *bn = &net->nodes[nd->in[1]];
            ramp__ref_mul_fwd(r->y, x, st->nodes[nd->in[1]].y, N, nd->c, nd->h * nd->w,
                              bn->h * bn->w);
            break;
        }
        case RAMP__OP_CONCAT:
            ramp__ref_concat_fwd(r->y, x, st->nodes[nd->in[1]].y, N, a->c,
                                 net->nodes[nd->in[1]].c, nd->h * nd->w);
            break;
        case RAMP__OP_UPSAMPLE:
            ramp__ref_upsample_fwd(r->y, x, N, a->c, a->h, a->w, nd->k, nd->pad);
            break;
        case RAMP__OP_DECONV:
            ramp__ref_deconv_fwd(r->y, x, w, b, N, a->c, a->h, a->w, nd->c, nd->h, nd->w, nd->k,
                                 nd->stride, nd->pad);
            break;
        case RAMP__OP_FLATTEN:
        case RAMP__OP_SOFTMAX:
        case RAMP__OP_INPUT:
            memcpy(r->y, x, cnt * sizeof(float));
            break;
        }
    }
    st->n = n;
    st->training = training;
    memcpy(logits, st->nodes[net->logits_node].y, n * net->out_size * sizeof(float));
    return RAMP_OK;
}

static ramp_status ref_backward(ramp_net *net, void *vst, const float *dlogits, size_t n)
{
    ref_state *st = vst;
    if (n != st->n || !st->training)
        return ramp__net_fail(net, RAMP_EINVAL, "backward without a training forward of %zu", n);
    int N = (int)n;
    for (int i = 0; i < net->n_nodes; i++) {
        const ramp__node *nd = &net->nodes[i];
        if (nd->needs_grad) memset(st->nodes[i].dy, 0, n * ramp__node_size(nd) * sizeof(float));
        for (int k = 0; k < RAMP__P_MAX; k++)
            if (nd->p[k].used && nd->p[k].trainable) memset(nd->p[k].g, 0, nd->p[k].n * sizeof(float));
    }
    memcpy(st->nodes[net->logits_node].dy, dlogits, n * net->out_size * sizeof(float));
    for (int i = net->logits_node; i >= 1; i--) {
        const ramp__node *nd = &net->nodes[i], *a = &net->nodes[nd->in[0]];
        if (!nd->needs_grad) continue;
        ref_node *r = &st->nodes[i];
        const float *x = st->nodes[nd->in[0]].y, *dy = r->dy;
        float *dx = a->needs_grad ? st->nodes[nd->in[0]].dy : NULL;
        size_t cnt = n * ramp__node_size(nd);
        const float *w = nd->p[0].w;
        float *gw = nd->p[0].g, *gb = nd->p[1].used ? nd->p[1].g : NULL;
        switch (nd->op) {
        case RAMP__OP_CONV:
            ramp__ref_conv_bwd(dx, gw, gb, dy, x, w, N, a->c, a->h, a->w, nd->c, nd->k,
                               nd->stride, nd->pad, nd->groups, nd->dilation);
            break;
        case RAMP__OP_DENSE:
            ramp__ref_dense_bwd(dx, gw, gb, dy, x, w, N, (int)ramp__node_size(a), nd->c);
            break;
        case RAMP__OP_MAXPOOL:
            if (dx)
                ramp__ref_maxpool_bwd(dx, dy, r->arg, N, a->c, a->h, a->w, nd->k, nd->stride,
                                      nd->pad);
            break;
        case RAMP__OP_AVGPOOL:
            if (dx)
                ramp__ref_avgpool_bwd(dx, dy, N, a->c, a->h, a->w, nd->k, nd->stride, nd->pad);
            break;
        case RAMP__OP_GAP:
            if (dx) ramp__ref_gap_bwd(dx, dy, N, a->c, a->h * a->w);
            break;
        case RAMP__OP_RELU:
        case RAMP__OP_LRELU:
        case RAMP__OP_SIGMOID:
        case RAMP__OP_TANH:
            if (dx) ramp__ref_act_bwd(dx, dy, x, r->y, cnt, nd->op, nd->alpha);
            break;
        case RAMP__OP_BN:
            if (nd->bn_frozen)
                ramp__ref_bn_bwd_global(dx, gw, gb, dy, x, w, nd->p[2].w, nd->p[3].w, N, nd->c,
                                        nd->h * nd->w, nd->eps);
            else
                ramp__ref_bn_bwd(dx, gw, gb, dy, x, w, r->mean, r->var, N, nd->c,
                                 nd->h * nd->w, nd->eps);
            break;
        case RAMP__OP_DROPOUT:
            if (dx) {
                int on = nd->alpha > 0.f;
                for (size_t j = 0; j < cnt; j++) dx[j] += on ? dy[j] * r->mask[j] : dy[j];
            }
            break;
        case RAMP__OP_ADD: {
            float *dx2 = net->nodes[nd->in[1]].needs_grad ? st->nodes[nd->in[1]].dy : NULL;
            for (size_t j = 0; j < cnt; j++) {
                if (dx) dx[j] += dy[j];
                if (dx2) dx2[j] += dy[j];
            }
            break;
        }
        case RAMP__OP_CLIP:
            if (dx) ramp__ref_clip_bwd(dx, dy, r->y, cnt, nd->alpha, nd->beta);
            break;
        case RAMP__OP_MUL:
        case RAMP__OP_CONCAT: {
            const ramp__node *bn = &net->nodes[nd->in[1]];
            float *dx2 = bn->needs_grad ? st->nodes[nd->in[1]].dy : NULL;
            const float *x2 = st->nodes[nd->in[1]].y;
            if (nd->op == RAMP__OP_MUL)
                ramp__ref_mul_bwd(dx, dx2, dy, x, x2, N, nd->c, nd->h * nd->w, bn->h * bn->w);
            else
                ramp__ref_concat_bwd(dx, dx2, dy, N, a->c, bn->c, nd->h * nd->w);
            break;
        }
        case RAMP__OP_UPSAMPLE:
            if (dx) ramp__ref_upsample_bwd(dx, dy, N, a->c, a->h, a->w, nd->k, nd->pad);
            break;
        case RAMP__OP_DECONV:
            ramp__ref_deconv_bwd(dx, gw, gb, dy, x, w, N, a->c, a->h, a->w, nd->c, nd->h, nd->w,
                                 nd->k, nd->stride, nd->pad);
            break;
        case RAMP__OP_FLATTEN:
            if (dx)
                for (size_t j = 0; j < cnt; j++) dx[j] += dy[j];
            break;
        case RAMP__OP_SOFTMAX:
        case RAMP__OP_INPUT:
            break;
        }
    }
    return RAMP_OK;
}

/* Parameter storage in the plain layout, shared with the CUDA backend
   (whose host copies are plain too): `who` names the backend in an
   out-of-memory message. */
ramp_status ramp__plain_param_sync(ramp_net *net, int to_backend, const char *who)
{
    for (int i = 0; i < net->n_nodes; i++)
        for (int k = 0; k < RAMP__P_MAX; k++) {
            ramp__param *p = &net->nodes[i].p[k];
            if (!p->used) continue;
            if (!p->w) {
                p->n = p->n_plain;
                p->w = malloc(p->n * sizeof(float));
                p->g = calloc(p->n, sizeof(float));
                if (!p->w || !p->g) {
                    free(p->w);
                    free(p->g);
                    p->w = p->g = NULL;
                    return ramp__net_fail(net, RAMP_ENOMEM, "%s backend: out of memory", who);
                }
            }
            if (to_backend)
                memcpy(p->w, p->plain, p->n * sizeof(float));
            else
                memcpy(p->plain, p->w, p->n * sizeof(float));
        }
    return RAMP_OK;
}

ramp_status ramp__plain_grad_read(ramp_net *net, void *vst, int id, int kind, float *out)
{
    (void)vst;
    const ramp__param *p = &net->nodes[id].p[kind];
    memcpy(out, p->g, p->n * sizeof(float));
    return RAMP_OK;
}

ramp_status ramp__plain_state_convert(ramp_net *net, void *vst, int id, int kind,
                                      const float *src, float *dst, int to_backend)
{
    (void)vst;
    (void)to_backend; /* the storage is the plain layout */
    memcpy(dst, src, net->nodes[id].p[kind].n_plain * sizeof(float));
    return RAMP_OK;
}

static ramp_status ref_sync(ramp_net *net, void *vst, int to_backend)
{
    (void)vst;
    return ramp__plain_param_sync(net, to_backend, "reference");
}

static ramp_status ref_output_read(ramp_net *net, void *vst, int id, int grad, float *out,
                                   size_t count)
{
    ref_state *st = vst;
    if (!st->n) return ramp__net_fail(net, RAMP_EINVAL, "no forward pass yet");
    ramp_status s = ramp__net_check_count(net, id, st->n, count);
    if (s) return s;
    const float *src = grad ? st->nodes[id].dy : st->nodes[id].y;
    memcpy(out, src, st->n * ramp__node_size(&net->nodes[id]) * sizeof(float));
    return RAMP_OK;
}

const ramp__nn_backend ramp__nn_backend_ref = {
    RAMP__NN_BACKEND_API, "reference", ref_create,    ref_destroy,     ref_forward,
    ref_backward,         ref_sync,    ramp__plain_grad_read, ref_output_read,
    ramp__plain_state_convert, NULL, NULL, NULL, /* host storage: optim.c steps it, no staging */
};
