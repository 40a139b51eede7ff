/* resnet8.h — ResNet-8 for the benchmarks (header-only), as bench_torch.py
 * builds it for PyTorch: stem conv 16, three basic blocks (16, 32/2, 64/2)
 * with 1×1 projection shortcuts where the shape changes, GAP, dense 10.
 * Every conv is bias-free and followed by a batchnorm. */
#ifndef RAMP_BENCH_RESNET8_H
#define RAMP_BENCH_RESNET8_H

#include "ramp/nn.h"

static inline void resnet8_conv_bn(ramp_net *net, int f, int k, int s, int relu)
{
    ramp_net_conv2d(net, &(ramp_conv2d){ .filters = f, .kernel = k, .stride = s,
                                         .padding = k / 2, .no_bias = 1 });
    ramp_net_batchnorm(net, 0, 0);
    if (relu) ramp_net_relu(net);
}

/* A basic block of f filters at stride s: two 3×3 conv+BN, the shortcut a
   1×1 conv+BN of stride s when `project` (the shape changes), then add and
   ReLU. Returns the id of its last layer. */
static inline int resnet_basic_block(ramp_net *net, int f, int s, int project)
{
    int in = ramp_net_last(net);
    resnet8_conv_bn(net, f, 3, s, 1);
    resnet8_conv_bn(net, f, 3, 1, 0);
    int main_out = ramp_net_last(net), sc = in;
    if (project) {
        ramp_net_from(net, in);
        resnet8_conv_bn(net, f, 1, s, 0);
        sc = ramp_net_last(net);
        ramp_net_from(net, main_out);
    }
    ramp_net_add(net, sc);
    ramp_net_relu(net);
    return ramp_net_last(net);
}

/* block_end (may be NULL) gets the id of each block's last layer. */
static inline void resnet8_build(ramp_net *net, int block_end[3])
{
    resnet8_conv_bn(net, 16, 3, 1, 1);
    int f[3] = { 16, 32, 64 };
    for (int b = 0; b < 3; b++) {
        int last = resnet_basic_block(net, f[b], b ? 2 : 1, b != 0);
        if (block_end) block_end[b] = last;
    }
    ramp_net_global_avgpool(net);
    ramp_net_flatten(net);
    ramp_net_dense(net, &(ramp_dense){ .units = 10 });
}

#endif
