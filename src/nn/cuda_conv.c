/* cuda_conv.c — the CUDA backend's convolution on cuDNN (cudaInt.h):
 * forward, backward-data, backward-weights and the bias, with stride,
 * padding, dilation and groups (weights O×(C/G)×K×K, the plain layout, as
 * cuDNN's NCHW filter reads them).
 *
 * Algorithms: for each pass and batch size, the fastest that cuDNN's
 * heuristics (the _v7 queries) rank among the DETERMINISTIC ones, so a run
 * is reproducible; fp32 with CUDNN_FMA_MATH (no TF32), unless the net allows
 * TF32 (cudaInt.h: each pass then runs in the math type its algorithm was
 * ranked with, fp16 conversion excluded). The workspace is the
 * backend's shared one, grown to the largest need.
 *
 * bf16 (RAMP_MATH_BF16): cuDNN's legacy API computes a bf16 convolution
 * only with x, w and y all bf16 (PSEUDO_BFLOAT16_CONFIG, fp32 compute
 * type), so each pass casts its fp32 operands into the backend's scratch
 * (cudaInt.h), runs on them with beta 0, and casts its bf16 result back:
 * the forward's y overwritten, backward-data's dx accumulated into the
 * fp32 dx (the accumulation every backward does), backward-weights' dw
 * overwriting the fp32 gradient. The scratch holds x16 | y16 or dy16 |
 * dx16 | dw16. The bias (cudnnAddTensor, the bias gradient) stays fp32 on
 * the fp32 tensors. Where cuDNN offers no deterministic bf16 algorithm
 * for one of the three passes (or refuses the bf16 query), the layer runs
 * all three in fp32 for that batch size instead: more precision than
 * asked, never less, and no error.
 *
 * cuDNN 9 marks this legacy convolution API deprecated (in favour of its
 * graph API) but ships and supports it; its warnings are silenced in this
 * file only. */
#include <stdlib.h>

#include "nn/cudaInt.h"

#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif

typedef struct conv_priv {
    cudnnFilterDescriptor_t wd, wd16; /* fp32, bf16 (bf16 nets only) */
    cudnnConvolutionDescriptor_t cd;
    ramp__cuda_conv_algos a;
    int lowp; /* this batch size runs in bf16 */
} conv_priv;

static void release(ramp__cuda_node *r)
{
    conv_priv *p = r->priv;
    if (!p) return;
    if (p->wd) cudnnDestroyFilterDescriptor(p->wd);
    if (p->wd16) cudnnDestroyFilterDescriptor(p->wd16);
    if (p->cd) cudnnDestroyConvolutionDescriptor(p->cd);
    free(p);
    r->priv = NULL;
}

static const char *const pass_name[3] = {"forward", "backward-data", "backward-weights"};

static ramp_status prepare(ramp_net *net, ramp__cuda *c, int id, int n)
{
    const ramp__node *nd = &net->nodes[id], *a = &net->nodes[nd->in[0]];
    ramp__cuda_node *r = &c->nodes[id];
    conv_priv *p = r->priv;
    int G = nd->groups > 0 ? nd->groups : 1;
    if (!p) {
        p = calloc(1, sizeof *p);
        if (!p) return ramp__net_fail(net, RAMP_ENOMEM, "CUDA backend: out of memory");
        r->priv = p;
        RAMP__DNN(net, cudnnCreateFilterDescriptor(&p->wd));
        RAMP__DNN(net, cudnnCreateConvolutionDescriptor(&p->cd));
        int D = nd->dilation > 0 ? nd->dilation : 1;
        RAMP__DNN(net, cudnnSetFilter4dDescriptor(p->wd, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW,
                                                  nd->c, a->c / G, nd->k, nd->k));
        if (c->bf16) {
            RAMP__DNN(net, cudnnCreateFilterDescriptor(&p->wd16));
            RAMP__DNN(net, cudnnSetFilter4dDescriptor(p->wd16, CUDNN_DATA_BFLOAT16,
                                                      CUDNN_TENSOR_NCHW, nd->c, a->c / G, nd->k,
                                                      nd->k));
        }
        /* fp32 compute: fp32 and bf16 data (PSEUDO_BFLOAT16_CONFIG) alike */
        RAMP__DNN(net, cudnnSetConvolution2dDescriptor(p->cd, nd->pad, nd->pad, nd->stride,
                                                       nd->stride, D, D,
                                                       CUDNN_CROSS_CORRELATION,
                                                       CUDNN_DATA_FLOAT));
        RAMP__DNN(net, cudnnSetConvolutionGroupCount(p->cd, G));
        ramp_status s = ramp__cuda_tensor(net, &r->bd, 1, nd->c, 1, 1);
        if (s) return s;
    }
    int none = -1;
    /* backward-data only for an input that needs a gradient */
    int skip = net->nodes[nd->in[0]].needs_grad ? -1 : 1;
    p->lowp = r->lowp = 0;
    if (c->bf16) {
        ramp_status s = ramp__cuda_conv_pick(net, c, p->cd, c->nodes[nd->in[0]].yd16, p->wd16,
                                             r->yd16, 1, skip, &p->a, &none);
        if (s) return s;
        if (none < 0) {
            size_t in = (size_t)n * ramp__node_size(a), out = (size_t)n * ramp__node_size(nd);
            s = ramp__cuda_scratch16(net, c, 2 * ramp__cuda_s16_len(in) +
                                                 ramp__cuda_s16_len(out) +
                                                 ramp__cuda_s16_len(nd->p[0].n));
            if (s) return s;
            p->lowp = r->lowp = 1;
            return ramp__cuda_workspace(net, c, p->a.ws);
        }
    }
    ramp_status s = ramp__cuda_conv_pick(net, c, p->cd, c->nodes[nd->in[0]].yd, p->wd, r->yd, 0,
                                         skip, &p->a, &none);
    if (s) return s;
    if (none >= 0)
        return ramp__net_fail(net, RAMP_EUNSUPPORTED,
                              "layer %d (%s): cuDNN has no deterministic %s convolution for it",
                              id, nd->name, pass_name[none]);
    return ramp__cuda_workspace(net, c, p->a.ws);
}

static ramp_status fwd(ramp_net *net, ramp__cuda *c, int id, int n, int training)
{
    (void)training;
    const ramp__node *nd = &net->nodes[id];
    ramp__cuda_node *r = &c->nodes[id], *x = &c->nodes[nd->in[0]];
    conv_priv *p = r->priv;
    const float one = 1.f, zero = 0.f;
    RAMP__CONV_MATH(net, p->cd, p->a.fwd_math);
    if (p->lowp) {
        size_t in = (size_t)n * ramp__node_size(&net->nodes[nd->in[0]]),
               out = (size_t)n * ramp__node_size(nd);
        uint16_t *x16 = c->s16, *y16 = c->s16 + ramp__cuda_s16_len(in);
        RAMP__CU(net, ramp__cuda_to_bf16(x16, x->y, in));
        RAMP__DNN(net, cudnnConvolutionForward(c->dnn, &one, x->yd16, x16, p->wd16, r->w16, p->cd,
                                               p->a.fwd, c->ws, c->ws_size, &zero, r->yd16, y16));
        RAMP__CU(net, ramp__cuda_from_bf16(r->y, y16, out, 0));
    } else {
        RAMP__DNN(net, cudnnConvolutionForward(c->dnn, &one, x->yd, x->y, p->wd, r->pw[0], p->cd,
                                               p->a.fwd, c->ws, c->ws_size, &zero, r->yd, r->y));
    }
    if (nd->p[1].used)
        RAMP__DNN(net, cudnnAddTensor(c->dnn, &one, r->bd, r->pw[1], &one, r->yd, r->y));
    return RAMP_OK;
}

/* bf16's backward (see the note atop): dx += bf16 backward-data, dw = bf16
   backward-weights, from the casts of dy and x. */
static ramp_status bwd16(ramp_net *net, ramp__cuda *c, int id, int n)
{
    const ramp__node *nd = &net->nodes[id];
    ramp__cuda_node *r = &c->nodes[id], *x = &c->nodes[nd->in[0]];
    conv_priv *p = r->priv;
    const float one = 1.f, zero = 0.f;
    size_t in = (size_t)n * ramp__node_size(&net->nodes[nd->in[0]]),
           out = (size_t)n * ramp__node_size(nd), li = ramp__cuda_s16_len(in);
    uint16_t *x16 = c->s16, *dy16 = x16 + li, *dx16 = dy16 + ramp__cuda_s16_len(out),
             *dw16 = dx16 + li;
    RAMP__CU(net, ramp__cuda_to_bf16(dy16, r->dy, out));
    if (net->nodes[nd->in[0]].needs_grad) {
        RAMP__CONV_MATH(net, p->cd, p->a.bwd_data_math);
        RAMP__DNN(net, cudnnConvolutionBackwardData(c->dnn, &one, p->wd16, r->w16, r->yd16, dy16,
                                                    p->cd, p->a.bwd_data, c->ws, c->ws_size,
                                                    &zero, x->yd16, dx16));
        RAMP__CU(net, ramp__cuda_from_bf16(x->dy, dx16, in, 1));
    }
    RAMP__CU(net, ramp__cuda_to_bf16(x16, x->y, in));
    RAMP__CONV_MATH(net, p->cd, p->a.bwd_filter_math);
    RAMP__DNN(net, cudnnConvolutionBackwardFilter(c->dnn, &one, x->yd16, x16, r->yd16, dy16,
                                                  p->cd, p->a.bwd_filter, c->ws, c->ws_size,
                                                  &zero, p->wd16, dw16));
    RAMP__CU(net, ramp__cuda_from_bf16(r->pg[0], dw16, nd->p[0].n, 0));
    return RAMP_OK;
}

static ramp_status bwd(ramp_net *net, ramp__cuda *c, int id, int n)
{
    const ramp__node *nd = &net->nodes[id];
    ramp__cuda_node *r = &c->nodes[id], *x = &c->nodes[nd->in[0]];
    conv_priv *p = r->priv;
    const float one = 1.f, zero = 0.f;
    if (p->lowp) {
        ramp_status s = bwd16(net, c, id, n);
        if (s) return s;
    } else {
        if (net->nodes[nd->in[0]].needs_grad) { /* beta 1: accumulates, as every backward does */
            RAMP__CONV_MATH(net, p->cd, p->a.bwd_data_math);
            RAMP__DNN(net, cudnnConvolutionBackwardData(c->dnn, &one, p->wd, r->pw[0], r->yd,
                                                        r->dy, p->cd, p->a.bwd_data, c->ws,
                                                        c->ws_size, &one, x->yd, x->dy));
        }
        RAMP__CONV_MATH(net, p->cd, p->a.bwd_filter_math);
        RAMP__DNN(net, cudnnConvolutionBackwardFilter(c->dnn, &one, x->yd, x->y, r->yd, r->dy,
                                                      p->cd, p->a.bwd_filter, c->ws, c->ws_size,
                                                      &zero, p->wd, r->pg[0]));
    }
    if (nd->p[1].used)
        RAMP__DNN(net, cudnnConvolutionBackwardBias(c->dnn, &one, r->yd, r->dy, &zero, r->bd,
                                                    r->pg[1]));
    return RAMP_OK;
}

const ramp__cuda_op ramp__cuda_op_conv = {prepare, release, fwd, bwd};
