/* backend_cuda.c — the engine on a CUDA GPU (built only with RAMP_CUDA,
 * chosen by ramp_net_params.device). Work in progress: this first cut has
 * the table and refuses every net, saying so, until the per-op files
 * (cuda_*.c, cuda_*.cu) land. */
#include "nn/nnInt.h"

static ramp_status cuda_none(ramp_net *net)
{
    return ramp__net_fail(net, RAMP_EUNSUPPORTED,
                          "the CUDA backend runs no layer yet: use device cpu");
}

static ramp_status c_create(ramp_net *net, void **st)
{
    *st = NULL;
    return cuda_none(net);
}

static void c_destroy(void *st)
{
    (void)st;
}

static ramp_status c_forward(ramp_net *net, void *st, const float *X, size_t n, int training,
                             float *logits)
{
    (void)st, (void)X, (void)n, (void)training, (void)logits;
    return cuda_none(net);
}

static ramp_status c_backward(ramp_net *net, void *st, const float *dlogits, size_t n)
{
    (void)st, (void)dlogits, (void)n;
    return cuda_none(net);
}

static ramp_status c_sync(ramp_net *net, void *st, int to_backend)
{
    (void)st, (void)to_backend;
    return cuda_none(net);
}

static ramp_status c_grad_read(ramp_net *net, void *st, int id, int kind, float *out)
{
    (void)st, (void)id, (void)kind, (void)out;
    return cuda_none(net);
}

static ramp_status c_output_read(ramp_net *net, void *st, int id, int grad, float *out,
                                 size_t count)
{
    (void)st, (void)id, (void)grad, (void)out, (void)count;
    return cuda_none(net);
}

const ramp__nn_backend ramp__nn_backend_cuda = {
    .api_version = RAMP__NN_BACKEND_API,
    .name = "CUDA",
    .create = c_create,
    .destroy = c_destroy,
    .forward = c_forward,
    .backward = c_backward,
    .param_sync = c_sync,
    .grad_read = c_grad_read,
    .output_read = c_output_read,
};
