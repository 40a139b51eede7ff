/* refcnn.h — the reference CNN of the engine issue, built in one place for
 * the benchmarks and the training test (header-only):
 *   conv 3×3 32 + ReLU + max-pool 2 → conv 3×3 64 + ReLU + max-pool 2
 *   → dense 128 + ReLU → dense `classes`  (padding 1: "same")
 * Builder errors are sticky, so the last call's status covers the chain. */
#ifndef RAMP_BENCH_REFCNN_H
#define RAMP_BENCH_REFCNN_H

#include "ramp/nn.h"

static ramp_status refcnn_build(ramp_net *net, int classes)
{
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 32, .kernel = 3, .padding = 1 });
    ramp_net_relu(net);
    ramp_net_maxpool(net, 2, 2, 0);
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = 64, .kernel = 3, .padding = 1 });
    ramp_net_relu(net);
    ramp_net_maxpool(net, 2, 2, 0);
    ramp_net_flatten(net);
    ramp_net_dense(net, &(ramp_dense){ .units = 128 });
    ramp_net_relu(net);
    return ramp_net_dense(net, &(ramp_dense){ .units = classes });
}

#endif
