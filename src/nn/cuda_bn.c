/* cuda_bn.c — the CUDA backend's batch normalisation on cuDNN (cudaInt.h),
 * spatial mode (statistics per channel over N, H, W; a flat input is
 * N×C×1×1, the same thing). Training normalises with the batch's biased
 * variance and updates the running statistics in place on the GPU with
 * factor `momentum` and the unbiased variance (PyTorch's rule and the
 * reference's), where they stay (the host's copies are refreshed when read,
 * cudaInt.h). Evaluation uses the running ones. Backward:
 * dx accumulates (beta 1), dγ and dβ are overwritten. Frozen statistics
 * (bn_frozen): the running ones in training too, left as they are, and the
 * backward of constant statistics (cuda_kernels.cu, as ref_bn.c's).
 *
 * cuDNN 9 marks this legacy API deprecated but ships it; its warnings are
 * silenced in this file only. */
#include "nn/cudaInt.h"

#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif

/* eps as cuDNN takes it: a float 1e-5 is a hair under the double 1e-5 that
   cuDNN 8 requires at least (cuDNN 9 allows any eps > 0); backend_cuda.c
   refused anything further below at create. */
static double bn_eps(float eps)
{
    return (double)eps < CUDNN_BN_MIN_EPSILON ? CUDNN_BN_MIN_EPSILON : (double)eps;
}

static ramp_status prepare(ramp_net *net, ramp__cuda *c, int id, int n)
{
    (void)n;
    const ramp__node *nd = &net->nodes[id];
    ramp__cuda_node *r = &c->nodes[id];
    if (!r->mean) {
        RAMP__CU(net, cudaMalloc((void **)&r->mean, (size_t)nd->c * sizeof(float)));
        RAMP__CU(net, cudaMalloc((void **)&r->ivar, (size_t)nd->c * sizeof(float)));
    }
    return ramp__cuda_tensor(net, &r->bd, 1, nd->c, 1, 1);
}

static ramp_status fwd(ramp_net *net, ramp__cuda *c, int id, int n, int training)
{
    const ramp__node *nd = &net->nodes[id];
    ramp__cuda_node *r = &c->nodes[id], *x = &c->nodes[nd->in[0]];
    const float one = 1.f, zero = 0.f;
    if (!training || nd->bn_frozen) { /* frozen: the running statistics, kept as they are */
        RAMP__DNN(net, cudnnBatchNormalizationForwardInference(
                           c->dnn, CUDNN_BATCHNORM_SPATIAL, &one, &zero, x->yd, x->y, r->yd, r->y,
                           r->bd, r->pw[0], r->pw[1], r->pw[2], r->pw[3], bn_eps(nd->eps)));
        return RAMP_OK;
    }
    /* One value per channel (N·H·W = 1: a short last batch of 1 after a
       dense layer): cuDNN's unbiased variance divides by 0 and would turn
       the running variance into NaN for good; the reference then takes the
       biased one (0). So cuDNN leaves the running statistics alone (NULL)
       and a kernel updates them by ref's rule: the mean is the value. */
    int one_value = (size_t)n * (size_t)nd->h * (size_t)nd->w == 1;
    RAMP__DNN(net, cudnnBatchNormalizationForwardTraining(
                       c->dnn, CUDNN_BATCHNORM_SPATIAL, &one, &zero, x->yd, x->y, r->yd, r->y,
                       r->bd, r->pw[0], r->pw[1], (double)nd->alpha,
                       one_value ? NULL : r->pw[2], one_value ? NULL : r->pw[3],
                       bn_eps(nd->eps), r->mean, r->ivar));
    if (one_value)
        RAMP__CU(net, ramp__cuda_bn_one_value(r->pw[2], r->pw[3], r->mean, nd->c, nd->alpha));
    /* the running statistics changed on the GPU, their truth: the host's
       copies are stale until something reads them (cudaInt.h) */
    c->host_w_ok = 0;
    net->plain_valid = 0;
    return RAMP_OK;
}

static ramp_status bwd(ramp_net *net, ramp__cuda *c, int id, int n)
{
    const ramp__node *nd = &net->nodes[id];
    ramp__cuda_node *r = &c->nodes[id], *x = &c->nodes[nd->in[0]];
    const float one = 1.f, zero = 0.f;
    if (nd->bn_frozen) {
        const ramp__node *a = &net->nodes[nd->in[0]];
        RAMP__CU(net, ramp__cuda_bn_bwd_global(a->needs_grad ? x->dy : NULL, r->pg[0], r->pg[1],
                                               r->dy, x->y, r->pw[0], r->pw[2], r->pw[3], n, nd->c,
                                               nd->h * nd->w, nd->eps));
        return RAMP_OK;
    }
    /* cuDNN always writes dx: where the input needs no gradient its buffer
       is unused scratch */
    RAMP__DNN(net, cudnnBatchNormalizationBackward(
                       c->dnn, CUDNN_BATCHNORM_SPATIAL, &one, &one, &one, &zero, x->yd, x->y,
                       r->yd, r->dy, x->yd, x->dy, r->bd, r->pw[0], r->pg[0], r->pg[1],
                       bn_eps(nd->eps), r->mean, r->ivar));
    return RAMP_OK;
}

const ramp__cuda_op ramp__cuda_op_bn = {prepare, NULL, fwd, bwd};
