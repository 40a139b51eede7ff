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
 * note applies here too), and bf16 as cuda_conv.c does it: each pass on
 * bf16 casts of its operands in the scratch (x16 | y16 or dy16 | dx16 |
 * dw16), the result cast back (y overwritten, dx accumulated, dw
 * overwritten), the bias fp32; fp32 for a batch size where cuDNN has no
 * deterministic bf16 algorithm for one pass. */
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
    cudnnFilterDescriptor_t wd, wd16; /* fp32, bf16 (bf16 nets only) */
    cudnnConvolutionDescriptor_t cd;
    /* the convolution's passes: its backward-data is our forward, its
       forward our dx */
    ramp__cuda_conv_algos a;
    int lowp; /* this batch size runs in bf16 */
} deconv_priv;

static void dc_release(ramp__cuda_node *r)
{
    deconv_priv *p = r->priv;
    if (!p) return;
    if (p->wd) cudnnDestroyFilterDescriptor(p->wd);
    if (p->wd16) cudnnDestroyFilterDescriptor(p->wd16);
    if (p->cd) cudnnDestroyConvolutionDescriptor(p->cd);
    free(p);
    r->priv = NULL;
}

static ramp_status dc_prepare(ramp_net *net, ramp__cuda *c, int id, int n)
{
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
        if (c->bf16) {
            RAMP__DNN(net, cudnnCreateFilterDescriptor(&p->wd16));
            RAMP__DNN(net, cudnnSetFilter4dDescriptor(p->wd16, CUDNN_DATA_BFLOAT16,
                                                      CUDNN_TENSOR_NCHW, a->c, nd->c, nd->k,
                                                      nd->k));
        }
        RAMP__DNN(net, cudnnSetConvolution2dDescriptor(p->cd, nd->pad, nd->pad, nd->stride,
                                                       nd->stride, 1, 1, CUDNN_CROSS_CORRELATION,
                                                       CUDNN_DATA_FLOAT));
        ramp_status s = ramp__cuda_tensor(net, &r->bd, 1, nd->c, 1, 1);
        if (s) return s;
    }
    /* in the convolution's terms: its input is our output, its output our input */
    int none = -1;
    /* the input's gradient (cuDNN's forward) only where it needs one */
    int skip = net->nodes[nd->in[0]].needs_grad ? -1 : 0;
    p->lowp = r->lowp = 0;
    if (c->bf16) {
        ramp_status s = ramp__cuda_conv_pick(net, c, p->cd, r->yd16, p->wd16,
                                             c->nodes[nd->in[0]].yd16, 1, skip, &p->a, &none);
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
    ramp_status s = ramp__cuda_conv_pick(net, c, p->cd, r->yd, p->wd, c->nodes[nd->in[0]].yd, 0,
                                         skip, &p->a, &none);
    if (s) return s;
    if (none >= 0) {
        /* the convolution's pass → ours */
        static const char *const ours[3] = {"backward-data", "forward", "backward-weights"};
        return ramp__net_fail(net, RAMP_EUNSUPPORTED,
                              "layer %d (%s): cuDNN has no deterministic %s for this transposed "
                              "convolution", id, nd->name, ours[none]);
    }
    return ramp__cuda_workspace(net, c, p->a.ws);
}

static ramp_status dc_fwd(ramp_net *net, ramp__cuda *c, int id, int n, int training)
{
    (void)training;
    const ramp__node *nd = &net->nodes[id];
    ramp__cuda_node *r = &c->nodes[id], *x = &c->nodes[nd->in[0]];
    deconv_priv *p = r->priv;
    const float one = 1.f, zero = 0.f;
    RAMP__CONV_MATH(net, p->cd, p->a.bwd_data_math);
    if (p->lowp) {
        size_t in = (size_t)n * ramp__node_size(&net->nodes[nd->in[0]]),
               out = (size_t)n * ramp__node_size(nd);
        uint16_t *x16 = c->s16, *y16 = c->s16 + ramp__cuda_s16_len(in);
        RAMP__CU(net, ramp__cuda_to_bf16(x16, x->y, in));
        RAMP__DNN(net, cudnnConvolutionBackwardData(c->dnn, &one, p->wd16, r->w16, x->yd16, x16,
                                                    p->cd, p->a.bwd_data, c->ws, c->ws_size,
                                                    &zero, r->yd16, y16));
        RAMP__CU(net, ramp__cuda_from_bf16(r->y, y16, out, 0));
    } else {
        RAMP__DNN(net, cudnnConvolutionBackwardData(c->dnn, &one, p->wd, r->pw[0], x->yd, x->y,
                                                    p->cd, p->a.bwd_data, c->ws, c->ws_size,
                                                    &zero, r->yd, r->y));
    }
    if (nd->p[1].used)
        RAMP__DNN(net, cudnnAddTensor(c->dnn, &one, r->bd, r->pw[1], &one, r->yd, r->y));
    return RAMP_OK;
}

static ramp_status dc_bwd16(ramp_net *net, ramp__cuda *c, int id, int n)
{
    const ramp__node *nd = &net->nodes[id];
    ramp__cuda_node *r = &c->nodes[id], *x = &c->nodes[nd->in[0]];
    deconv_priv *p = r->priv;
    const float one = 1.f, zero = 0.f;
    size_t in = (size_t)n * ramp__node_size(&net->nodes[nd->in[0]]),
           out = (size_t)n * ramp__node_size(nd), li = ramp__cuda_s16_len(in);
    uint16_t *x16 = c->s16, *dy16 = x16 + li, *dx16 = dy16 + ramp__cuda_s16_len(out),
             *dw16 = dx16 + li;
    RAMP__CU(net, ramp__cuda_to_bf16(dy16, r->dy, out));
    if (net->nodes[nd->in[0]].needs_grad) {
        RAMP__CONV_MATH(net, p->cd, p->a.fwd_math);
        RAMP__DNN(net, cudnnConvolutionForward(c->dnn, &one, r->yd16, dy16, p->wd16, r->w16,
                                               p->cd, p->a.fwd, c->ws, c->ws_size, &zero,
                                               x->yd16, dx16));
        RAMP__CU(net, ramp__cuda_from_bf16(x->dy, dx16, in, 1));
    }
    RAMP__CU(net, ramp__cuda_to_bf16(x16, x->y, in));
    RAMP__CONV_MATH(net, p->cd, p->a.bwd_filter_math);
    RAMP__DNN(net, cudnnConvolutionBackwardFilter(c->dnn, &one, r->yd16, dy16, x->yd16, x16,
                                                  p->cd, p->a.bwd_filter, c->ws, c->ws_size,
                                                  &zero, p->wd16, dw16));
    RAMP__CU(net, ramp__cuda_from_bf16(r->pg[0], dw16, nd->p[0].n, 0));
    return RAMP_OK;
}

static ramp_status dc_bwd(ramp_net *net, ramp__cuda *c, int id, int n)
{
    const ramp__node *nd = &net->nodes[id];
    ramp__cuda_node *r = &c->nodes[id], *x = &c->nodes[nd->in[0]];
    deconv_priv *p = r->priv;
    const float one = 1.f, zero = 0.f;
    if (p->lowp) {
        ramp_status s = dc_bwd16(net, c, id, n);
        if (s) return s;
    } else {
        if (net->nodes[nd->in[0]].needs_grad) {
            RAMP__CONV_MATH(net, p->cd, p->a.fwd_math);
            RAMP__DNN(net, cudnnConvolutionForward(c->dnn, &one, r->yd, r->dy, p->wd, r->pw[0],
                                                   p->cd, p->a.fwd, c->ws, c->ws_size, &one,
                                                   x->yd, x->dy));
        }
        RAMP__CONV_MATH(net, p->cd, p->a.bwd_filter_math);
        RAMP__DNN(net, cudnnConvolutionBackwardFilter(c->dnn, &one, r->yd, r->dy, x->yd, x->y,
                                                      p->cd, p->a.bwd_filter, c->ws, c->ws_size,
                                                      &zero, p->wd, r->pg[0]));
    }
    if (nd->p[1].used)
        RAMP__DNN(net, cudnnConvolutionBackwardBias(c->dnn, &one, r->yd, r->dy, &zero, r->bd,
                                                    r->pg[1]));
    return RAMP_OK;
}

const ramp__cuda_op ramp__cuda_op_deconv = {dc_prepare, dc_release, dc_fwd, dc_bwd};
