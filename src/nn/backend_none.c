/* backend_none.c — stands in for the oneDNN backend in a ramp configured
 * with -DRAMP_WITH_ENGINE=OFF (CMakeLists.txt compiles one of the two): a
 * net that asks for it fails with a message saying so, while
 * RAMP_NN_REF nets run as usual. */
#include "nn/nnInt.h"

static ramp_status none(ramp_net *net)
{
    return ramp__net_fail(net, RAMP_EUNSUPPORTED,
                          "ramp was built without the engine's oneDNN backend "
                          "(RAMP_WITH_ENGINE=OFF): rebuild with -DRAMP_WITH_ENGINE=ON "
                          "(libdnnl-dev), or ask for the reference backend (RAMP_NN_REF)");
}

static ramp_status none_create(ramp_net *net, void **st)
{
    *st = NULL;
    return none(net);
}

static void none_destroy(void *st)
{
    (void)st;
}

static ramp_status none_forward(ramp_net *net, void *st, const float *X, size_t n, int training,
                                float *logits)
{
    (void)st, (void)X, (void)n, (void)training, (void)logits;
    return none(net);
}

static ramp_status none_backward(ramp_net *net, void *st, const float *dlogits, size_t n)
{
    (void)st, (void)dlogits, (void)n;
    return none(net);
}

static ramp_status none_sync(ramp_net *net, void *st, int to_backend)
{
    (void)st, (void)to_backend;
    return none(net);
}

static ramp_status none_grad_read(ramp_net *net, void *st, int id, int kind, float *out)
{
    (void)st, (void)id, (void)kind, (void)out;
    return none(net);
}

static ramp_status none_output_read(ramp_net *net, void *st, int id, int grad, float *out,
                                    size_t count)
{
    (void)st, (void)id, (void)grad, (void)out, (void)count;
    return none(net);
}

const ramp__nn_backend ramp__nn_backend_dnnl = {
    .api_version = RAMP__NN_BACKEND_API,
    .name = "oneDNN (not built)",
    .create = none_create,
    .destroy = none_destroy,
    .forward = none_forward,
    .backward = none_backward,
    .param_sync = none_sync,
    .grad_read = none_grad_read,
    .output_read = none_output_read,
};
