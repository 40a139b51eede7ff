/* cuda_pool.c — the CUDA backend's max and average pooling on cuDNN
 * (cudaInt.h). Max pooling in cuDNN's deterministic mode (padding never
 * wins a window, as the reference's arg-max); average pooling counts the
 * padded zeros (CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING: PyTorch's
 * count_include_pad=True, the reference's rule). Backward accumulates into
 * the input's gradient (beta 1). Global average pooling is cuda_misc.c's. */
#include "nn/cudaInt.h"

static ramp_status prepare(ramp_net *net, ramp__cuda *c, int id, int n, cudnnPoolingMode_t mode)
{
    (void)n;
    const ramp__node *nd = &net->nodes[id];
    ramp__cuda_node *r = &c->nodes[id];
    if (!r->pd) RAMP__DNN(net, cudnnCreatePoolingDescriptor(&r->pd));
    RAMP__DNN(net, cudnnSetPooling2dDescriptor(r->pd, mode, CUDNN_NOT_PROPAGATE_NAN, nd->k, nd->k,
                                               nd->pad, nd->pad, nd->stride, nd->stride));
    return RAMP_OK;
}

static ramp_status prepare_max(ramp_net *net, ramp__cuda *c, int id, int n)
{
    return prepare(net, c, id, n, CUDNN_POOLING_MAX_DETERMINISTIC);
}

static ramp_status prepare_avg(ramp_net *net, ramp__cuda *c, int id, int n)
{
    return prepare(net, c, id, n, CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING);
}

static ramp_status fwd(ramp_net *net, ramp__cuda *c, int id, int n, int training)
{
    (void)n, (void)training;
    ramp__cuda_node *r = &c->nodes[id], *x = &c->nodes[net->nodes[id].in[0]];
    const float one = 1.f, zero = 0.f;
    RAMP__DNN(net, cudnnPoolingForward(c->dnn, r->pd, &one, x->yd, x->y, &zero, r->yd, r->y));
    return RAMP_OK;
}

static ramp_status bwd(ramp_net *net, ramp__cuda *c, int id, int n)
{
    (void)n;
    int in = net->nodes[id].in[0];
    if (!net->nodes[in].needs_grad) return RAMP_OK;
    ramp__cuda_node *r = &c->nodes[id], *x = &c->nodes[in];
    const float one = 1.f;
    RAMP__DNN(net, cudnnPoolingBackward(c->dnn, r->pd, &one, r->yd, r->y, r->yd, r->dy, x->yd,
                                        x->y, &one, x->yd, x->dy));
    return RAMP_OK;
}

const ramp__cuda_op ramp__cuda_op_maxpool = {prepare_max, NULL, fwd, bwd};
const ramp__cuda_op ramp__cuda_op_avgpool = {prepare_avg, NULL, fwd, bwd};
