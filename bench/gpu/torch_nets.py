"""torch_nets.py — the PyTorch side's nets for bench/gpu (bench_torch_gpu.py,
bench_torch_busy.py), built as the engine's benches build theirs
(bench_gpu.c, resnet224.h): conv + batch norm blocks, basic residual blocks
with 1x1 projections where the shape changes, and the ResNet family at
224x224 (a 7x7/2 stem, a 3/2 max-pool, stages of basic blocks, GAP, dense)."""
import torch
import torch.nn as nn


def conv_bn(cin, cout, k, s, relu):
    layers = [nn.Conv2d(cin, cout, k, s, k // 2, bias=False), nn.BatchNorm2d(cout)]
    return nn.Sequential(*(layers + [nn.ReLU()] if relu else layers))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.main = nn.Sequential(conv_bn(cin, cout, 3, stride, True),
                                  conv_bn(cout, cout, 3, 1, False))
        self.sc = conv_bn(cin, cout, 1, stride, False) if stride != 1 or cin != cout else None

    def forward(self, x):
        return torch.relu(self.main(x) + (self.sc(x) if self.sc is not None else x))


def resnet224(widths, blocks, stem, classes):
    """A ResNet at 224x224: `blocks` basic blocks per stage of `widths`."""
    layers = [conv_bn(3, stem, 7, 2, True), nn.MaxPool2d(3, 2, 1)]
    cin = stem
    for i, c in enumerate(widths):
        for b in range(blocks):
            layers.append(Block(cin, c, 2 if i and not b else 1))
            cin = c
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, classes))
