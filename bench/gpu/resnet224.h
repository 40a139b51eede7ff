/* resnet224.h — the 224×224 nets of bench/gpu (header-only), as
 * bench_torch_gpu.py and bench_torch_busy.py build them for PyTorch:
 *
 *   resnet18: ResNet-18 (He et al. 2016) as torchvision's: conv 7×7/2 64,
 *             max-pool 3/2, four stages of two basic blocks (64, 128/2,
 *             256/2, 512/2) with 1×1 projection shortcuts where the shape
 *             changes, GAP, dense `classes`.
 *   resnet8s: the same stem at 16 filters, then ResNet-8's three basic
 *             blocks (16, 32/2, 64/2), GAP, dense `classes`: about 1/25 of
 *             ResNet-18's work, for a smoke run on a few CPU cores.
 *
 * Every conv is bias-free and followed by a batch norm (resnet8.h). */
#ifndef RAMP_BENCH_RESNET224_H
#define RAMP_BENCH_RESNET224_H

#include "ramp/nn.h"
#include "../train/resnet8.h"

static inline void resnet18_build(ramp_net *net, int classes)
{
    resnet8_conv_bn(net, 64, 7, 2, 1);
    ramp_net_maxpool(net, 3, 2, 1);
    int f[4] = {64, 128, 256, 512};
    for (int st = 0; st < 4; st++)
        for (int b = 0; b < 2; b++)
            resnet_basic_block(net, f[st], st && !b ? 2 : 1, st && !b);
    ramp_net_global_avgpool(net);
    ramp_net_flatten(net);
    ramp_net_dense(net, &(ramp_dense){.units = classes});
}

static inline void resnet8s_build(ramp_net *net, int classes)
{
    resnet8_conv_bn(net, 16, 7, 2, 1);
    ramp_net_maxpool(net, 3, 2, 1);
    int f[3] = {16, 32, 64};
    for (int b = 0; b < 3; b++)
        resnet_basic_block(net, f[b], b ? 2 : 1, b != 0);
    ramp_net_global_avgpool(net);
    ramp_net_flatten(net);
    ramp_net_dense(net, &(ramp_dense){.units = classes});
}

#endif
