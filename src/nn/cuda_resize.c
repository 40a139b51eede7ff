/* cuda_resize.c — the CUDA backend's upsampling (kernels in
 * cuda_kernels.cu) and transposed convolution on cuDNN (cudaInt.h).
 *
 * The transposed convolution is the gradient of the convolution that maps
 * its output (O channels, OH×OW) back to its input (C channels, H×W) with
 * filters w[C][O][K][K] (PyTorch's ConvTranspose2d layout is exactly that
 * convolution's O×I×K×K filter):
 *   forward       y  = that conv's backward-data of x          (beta 0)
 *   dx            dx += that conv's forward of dy               (beta 1)
 *   dw            dw = that conv's backward-filter, input dy, gradient x
 *   db            cuDNN's bias gradient of dy
 * Output padding needs nothing: the output's size is given, and the
 * convolution's floor drops the extra rows. Deterministic algorithms, fp32
 * FMA math (TF32 when the net allows it), as cuda_conv.c (whose deprecation
 * note applies here too). */
#include <stdlib.h>

#include "nn/cudaInt.h"

#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif

/* --- upsampling ------------------------------------------------------------ */

static ramp_status up_fwd(ramp_net *net, ramp__cuda *c, int id, int n, int training)
{
    (void)training;
    const ramp__node *nd = &net->nodes[id], *a = &net->nodes[nd->in[0]];
    RAMP__CU(net, ramp__cuda_upsample_fwd(c->nodes[id].y, c->nodes[nd->in[0]].y, n, a->c, a->h,
                                          a->w, nd->k, nd->pad));
    return RAMP_OK;
}

static ramp_status up_bwd(ramp_net *net, ramp__cuda *c, int id, int n)
{
    const ramp__node *nd = &net->nodes[id], *a = &net->nodes[nd->in[0]];
    if (!a->needs_grad) return RAMP_OK;
    RAMP__CU(net, ramp__cuda_upsample_bwd(c->nodes[nd->in[0]].dy, c->nodes[id].dy, n, a->c, a->h,
                                          a->w, nd->k, nd->pad));
    return RAMP_OK;
}

const ramp__cuda_op ramp__cuda_op_upsample = {NULL, NULL, up_fwd, up_bwd};

/* --- transposed convolution ------------------------------------------------ */

typedef struct deconv_priv {
    cudnnFilterDescriptor_t wd;
    cudnnConvolutionDescriptor_t cd;
    cudnnConvolutionBwdDataAlgo_t fwd;   /* its forward: backward-data */
    cudnnConvolutionFwdAlgo_t bwd_data;  /* its dx: forward */
    cudnnConvolutionBwdFilterAlgo_t bwd_filter;
    cudnnMathType_t fwd_math, bwd_data_math, bwd_filter_math; /* TF32: each pass's */
} deconv_priv;

static void dc_release(ramp__cuda_node *r)
{
    deconv_priv *p = r->priv;
    if (!p) return;
    if (p->wd) cudnnDestroyFilterDescriptor(p->wd);
    if (p->cd) cudnnDestroyConvolutionDescriptor(p->cd);
    free(p);
    r->priv = NULL;
}

static ramp_status none_deterministic(ramp_net *net, int id, const char *pass)
{
    return ramp__net_fail(net, RAMP_EUNSUPPORTED,
                          "layer %d (%s): cuDNN has no deterministic %s for this transposed "
                          "convolution", id, net->nodes[id].name, pass);
}

static ramp_status dc_prepare(ramp_net *net, ramp__cuda *c, int id, int n)
{
    (void)n;
    const ramp__node *nd = &net->nodes[id], *a = &net->nodes[nd->in[0]];
    ramp__cuda_node *r = &c->nodes[id];
    deconv_priv *p = r->priv;
    if (!p) {
        p = calloc(1, sizeof *p);
        if (!p) return ramp__net_fail(net, RAMP_ENOMEM, "CUDA backend: out of memory");
        r->priv = p;
        RAMP__DNN(net, cudnnCreateFilterDescriptor(&p->wd));
        RAMP__DNN(net, cudnnCreateConvolutionDescriptor(&p->cd));
        /* the convolution y-space (O channels) → x-space (C channels) */
        RAMP__DNN(net, cudnnSetFilter4dDescriptor(p->wd, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, a->c,
                                                  nd->c, nd->k, nd->k));
        RAMP__DNN(net, cudnnSetConvolution2dDescriptor(p->cd, nd->pad, nd->pad, nd->stride,
                                                       nd->stride, 1, 1, CUDNN_CROSS_CORRELATION,
                                                       CUDNN_DATA_FLOAT));
        RAMP__DNN(net, cudnnSetConvolutionMathType(p->cd, ramp__cuda_conv_math(c)));
        ramp_status s = ramp__cuda_tensor(net, &r->bd, 1, nd->c, 1, 1);
        if (s) return s;
    }
    /* in the convolution's terms: its input is our output, its output ours */
    cudnnTensorDescriptor_t cin = r->yd, cout = c->nodes[nd->in[0]].yd;
    enum { M = 16 };
    int got = 0, k;
    size_t ws = 0;
    cudnnConvolutionBwdDataAlgoPerf_t dp[M];
    RAMP__DNN(net, cudnnGetConvolutionBackwardDataAlgorithm_v7(c->dnn, p->wd, cout, p->cd, cin, M,
                                                               &got, dp));
    for (k = 0; k < got && !ramp__cuda_conv_algo_ok(c, dp[k].status, dp[k].determinism,
                                                 dp[k].mathType);)
        k++;
    if (k == got) return none_deterministic(net, id, "forward");
    p->fwd = dp[k].algo;
    p->fwd_math = dp[k].mathType;
    if (dp[k].memory > ws) ws = dp[k].memory;
    cudnnConvolutionFwdAlgoPerf_t fp[M];
    RAMP__DNN(net, cudnnGetConvolutionForwardAlgorithm_v7(c->dnn, cin, p->wd, p->cd, cout, M, &got,
                                                          fp));
    for (k = 0; k < got && !ramp__cuda_conv_algo_ok(c, fp[k].status, fp[k].determinism,
                                                 fp[k].mathType);)
        k++;
    if (k == got) return none_deterministic(net, id, "backward-data");
    p->bwd_data = fp[k].algo;
    p->bwd_data_math = fp[k].mathType;
    if (fp[k].memory > ws) ws = fp[k].memory;
    cudnnConvolutionBwdFilterAlgoPerf_t wp[M];
    RAMP__DNN(net, cudnnGetConvolutionBackwardFilterAlgorithm_v7(c->dnn, cin, cout, p->cd, p->wd,
                                                                 M, &got, wp));
    for (k = 0; k < got && !ramp__cuda_conv_algo_ok(c, wp[k].status, wp[k].determinism,
                                                 wp[k].mathType);)
        k++;
    if (k == got) return none_deterministic(net, id, "backward-weights");
    p->bwd_filter = wp[k].algo;
    p->bwd_filter_math = wp[k].mathType;
    if (wp[k].memory > ws) ws = wp[k].memory;
    return ramp__cuda_workspace(net, c, ws);
}

static ramp_status dc_fwd(ramp_net *net, ramp__cuda *c, int id, int n, int training)
{
    (void)n, (void)training;
    const ramp__node *nd = &net->nodes[id];
    ramp__cuda_node *r = &c->nodes[id], *x = &c->nodes[nd->in[0]];
    deconv_priv *p = r->priv;
    const float one = 1.f, zero = 0.f;
    RAMP__CONV_MATH(net, c, p->cd, p->fwd_math);
    RAMP__DNN(net, cudnnConvolutionBackwardData(c->dnn, &one, p->wd, r->pw[0], x->yd, x->y, p->cd,
                                                p->fwd, c->ws, c->ws_size, &zero, r->yd, r->y));
    if (nd->p[1].used)
        RAMP__DNN(net, cudnnAddTensor(c->dnn, &one, r->bd, r->pw[1], &one, r->yd, r->y));
    return RAMP_OK;
}

static ramp_status dc_bwd(ramp_net *net, ramp__cuda *c, int id, int n)
{
    (void)n;
    const ramp__node *nd = &net->nodes[id];
    ramp__cuda_node *r = &c->nodes[id], *x = &c->nodes[nd->in[0]];
    deconv_priv *p = r->priv;
    const float one = 1.f, zero = 0.f;
    if (net->nodes[nd->in[0]].needs_grad) {
        RAMP__CONV_MATH(net, c, p->cd, p->bwd_data_math);
        RAMP__DNN(net, cudnnConvolutionForward(c->dnn, &one, r->yd, r->dy, p->wd, r->pw[0], p->cd,
                                               p->bwd_data, c->ws, c->ws_size, &one, x->yd, x->dy));
    }
    RAMP__CONV_MATH(net, c, p->cd, p->bwd_filter_math);
    RAMP__DNN(net, cudnnConvolutionBackwardFilter(c->dnn, &one, r->yd, r->dy, x->yd, x->y, p->cd,
                                                  p->bwd_filter, c->ws, c->ws_size, &zero, p->wd,
                                                  r->pg[0]));
    if (nd->p[1].used)
        RAMP__DNN(net, cudnnConvolutionBackwardBias(c->dnn, &one, r->yd, r->dy, &zero, r->bd,
                                                    r->pg[1]));
    return RAMP_OK;
}

const ramp__cuda_op ramp__cuda_op_deconv = {dc_prepare, dc_release, dc_fwd, dc_bwd};
