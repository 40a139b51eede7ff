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
 * cuDNN 9 marks this legacy convolution API deprecated (in favour of its
 * graph API) but ships and supports it; its warnings are silenced in this
 * file only. */
#include <stdlib.h>

#include "nn/cudaInt.h"

#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif

typedef struct conv_priv {
    cudnnFilterDescriptor_t wd;
    cudnnConvolutionDescriptor_t cd;
    cudnnConvolutionFwdAlgo_t fwd;
    cudnnConvolutionBwdDataAlgo_t bwd_data;
    cudnnConvolutionBwdFilterAlgo_t bwd_filter;
    cudnnMathType_t fwd_math, bwd_data_math, bwd_filter_math; /* TF32: each pass's */
} conv_priv;

static void release(ramp__cuda_node *r)
{
    conv_priv *p = r->priv;
    if (!p) return;
    if (p->wd) cudnnDestroyFilterDescriptor(p->wd);
    if (p->cd) cudnnDestroyConvolutionDescriptor(p->cd);
    free(p);
    r->priv = NULL;
}

static ramp_status prepare(ramp_net *net, ramp__cuda *c, int id, int n)
{
    (void)n; /* the tensors' descriptors carry it */
    const ramp__node *nd = &net->nodes[id], *a = &net->nodes[nd->in[0]];
    ramp__cuda_node *r = &c->nodes[id];
    conv_priv *p = r->priv;
    if (!p) {
        p = calloc(1, sizeof *p);
        if (!p) return ramp__net_fail(net, RAMP_ENOMEM, "CUDA backend: out of memory");
        r->priv = p;
        RAMP__DNN(net, cudnnCreateFilterDescriptor(&p->wd));
        RAMP__DNN(net, cudnnCreateConvolutionDescriptor(&p->cd));
        int G = nd->groups > 0 ? nd->groups : 1, D = nd->dilation > 0 ? nd->dilation : 1;
        RAMP__DNN(net, cudnnSetFilter4dDescriptor(p->wd, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW,
                                                  nd->c, a->c / G, nd->k, nd->k));
        RAMP__DNN(net, cudnnSetConvolution2dDescriptor(p->cd, nd->pad, nd->pad, nd->stride,
                                                       nd->stride, D, D,
                                                       CUDNN_CROSS_CORRELATION,
                                                       CUDNN_DATA_FLOAT));
        RAMP__DNN(net, cudnnSetConvolutionGroupCount(p->cd, G));
        RAMP__DNN(net, cudnnSetConvolutionMathType(p->cd, ramp__cuda_conv_math(c)));
        ramp_status s = ramp__cuda_tensor(net, &r->bd, 1, nd->c, 1, 1);
        if (s) return s;
    }
    cudnnTensorDescriptor_t xd = c->nodes[nd->in[0]].yd, yd = r->yd;
    enum { M = 16 };
    int got = 0;
    size_t ws = 0;
    cudnnConvolutionFwdAlgoPerf_t fp[M];
    RAMP__DNN(net, cudnnGetConvolutionForwardAlgorithm_v7(c->dnn, xd, p->wd, p->cd, yd, M, &got,
                                                          fp));
    int k = 0;
    while (k < got &&
           !ramp__cuda_conv_algo_ok(c, fp[k].status, fp[k].determinism, fp[k].mathType))
        k++;
    if (k == got)
        return ramp__net_fail(net, RAMP_EUNSUPPORTED,
                              "layer %d (%s): cuDNN has no deterministic forward convolution for it",
                              id, nd->name);
    p->fwd = fp[k].algo;
    p->fwd_math = fp[k].mathType;
    if (fp[k].memory > ws) ws = fp[k].memory;
    cudnnConvolutionBwdDataAlgoPerf_t dp[M];
    RAMP__DNN(net, cudnnGetConvolutionBackwardDataAlgorithm_v7(c->dnn, p->wd, yd, p->cd, xd, M,
                                                               &got, dp));
    for (k = 0; k < got && !ramp__cuda_conv_algo_ok(c, dp[k].status, dp[k].determinism,
                                                 dp[k].mathType);)
        k++;
    if (k == got)
        return ramp__net_fail(net, RAMP_EUNSUPPORTED,
                              "layer %d (%s): cuDNN has no deterministic backward-data "
                              "convolution for it", id, nd->name);
    p->bwd_data = dp[k].algo;
    p->bwd_data_math = dp[k].mathType;
    if (dp[k].memory > ws) ws = dp[k].memory;
    cudnnConvolutionBwdFilterAlgoPerf_t wp[M];
    RAMP__DNN(net, cudnnGetConvolutionBackwardFilterAlgorithm_v7(c->dnn, xd, yd, p->cd, p->wd, M,
                                                                 &got, wp));
    for (k = 0; k < got && !ramp__cuda_conv_algo_ok(c, wp[k].status, wp[k].determinism,
                                                 wp[k].mathType);)
        k++;
    if (k == got)
        return ramp__net_fail(net, RAMP_EUNSUPPORTED,
                              "layer %d (%s): cuDNN has no deterministic backward-weights "
                              "convolution for it", id, nd->name);
    p->bwd_filter = wp[k].algo;
    p->bwd_filter_math = wp[k].mathType;
    if (wp[k].memory > ws) ws = wp[k].memory;
    return ramp__cuda_workspace(net, c, ws);
}

static ramp_status fwd(ramp_net *net, ramp__cuda *c, int id, int n, int training)
{
    (void)n, (void)training;
    const ramp__node *nd = &net->nodes[id];
    ramp__cuda_node *r = &c->nodes[id], *x = &c->nodes[nd->in[0]];
    conv_priv *p = r->priv;
    const float one = 1.f, zero = 0.f;
    RAMP__CONV_MATH(net, c, p->cd, p->fwd_math);
    RAMP__DNN(net, cudnnConvolutionForward(c->dnn, &one, x->yd, x->y, p->wd, r->pw[0], p->cd,
                                           p->fwd, c->ws, c->ws_size, &zero, r->yd, r->y));
    if (nd->p[1].used)
        RAMP__DNN(net, cudnnAddTensor(c->dnn, &one, r->bd, r->pw[1], &one, r->yd, r->y));
    return RAMP_OK;
}

static ramp_status bwd(ramp_net *net, ramp__cuda *c, int id, int n)
{
    (void)n;
    const ramp__node *nd = &net->nodes[id];
    ramp__cuda_node *r = &c->nodes[id], *x = &c->nodes[nd->in[0]];
    conv_priv *p = r->priv;
    const float one = 1.f, zero = 0.f;
    if (net->nodes[nd->in[0]].needs_grad) { /* beta 1: accumulates, as every backward does */
        RAMP__CONV_MATH(net, c, p->cd, p->bwd_data_math);
        RAMP__DNN(net, cudnnConvolutionBackwardData(c->dnn, &one, p->wd, r->pw[0], r->yd, r->dy,
                                                    p->cd, p->bwd_data, c->ws, c->ws_size, &one,
                                                    x->yd, x->dy));
    }
    RAMP__CONV_MATH(net, c, p->cd, p->bwd_filter_math);
    RAMP__DNN(net, cudnnConvolutionBackwardFilter(c->dnn, &one, x->yd, x->y, r->yd, r->dy, p->cd,
                                                  p->bwd_filter, c->ws, c->ws_size, &zero, p->wd,
                                                  r->pg[0]));
    if (nd->p[1].used)
        RAMP__DNN(net, cudnnConvolutionBackwardBias(c->dnn, &one, r->yd, r->dy, &zero, r->bd,
                                                    r->pg[1]));
    return RAMP_OK;
}

const ramp__cuda_op ramp__cuda_op_conv = {prepare, release, fwd, bwd};
