#!/usr/bin/python3
"""bench_torch.py — PyTorch 1.13 training throughput for the same models as
bench_train.c (reference CNN 1x28x28, ResNet-8 3x32x32), batch 64, SGD with
momentum, data in memory, NCHW and channels_last, denormals flushed to zero
as in the engine; median of 3 runs.
Run with /usr/bin/python3 and OPENBLAS_NUM_THREADS=1 (run.sh does).
Prints: TORCH model=<m> layout=<nchw|cl> img_per_s=<x>"""
import statistics
import sys
import time

import torch
import torch.nn as nn

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 40
torch.set_num_threads(threads)
# The engine computes with denormals flushed to zero (FTZ/DAZ); so does
# PyTorch here, or a run whose gradients drift into the denormal range is
# several times slower for reasons that have nothing to do with either.
torch.set_flush_denormal(True)


def refcnn():
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.sc = None
        if stride != 1 or cin != cout:
            self.sc = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        o = self.b2(self.c2(torch.relu(self.b1(self.c1(x)))))
        return torch.relu(o + (self.sc(x) if self.sc is not None else x))


def resnet8():
    return nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                         Block(16, 16, 1), Block(16, 32, 2), Block(32, 64, 2),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))


def bench(name, make, shape, cl):
    torch.manual_seed(0)
    x = torch.rand(64 * steps, *shape)
    y = torch.arange(64 * steps) % 10
    runs = []
    for _ in range(3):
        m = make()
        fmt = torch.channels_last if cl else torch.contiguous_format
        m = m.to(memory_format=fmt)
        opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
        lossf = nn.CrossEntropyLoss()

        def step(i):
            xb = x[i * 64:(i + 1) * 64].contiguous(memory_format=fmt)
            opt.zero_grad()
            loss = lossf(m(xb), y[i * 64:(i + 1) * 64])
            loss.backward()
            opt.step()
        for i in range(3):
            step(i)
        t0 = time.perf_counter()
        for i in range(steps):
            step(i)
        runs.append(64 * steps / (time.perf_counter() - t0))
    print("TORCH model=%s layout=%s img_per_s=%.0f (runs %s)" % (
        name, "cl" if cl else "nchw", statistics.median(runs), " ".join("%.0f" % r for r in sorted(runs))),
        flush=True)


for cl in (False, True):
    bench("refcnn", refcnn, (1, 28, 28), cl)
for cl in (False, True):
    bench("resnet", resnet8, (3, 32, 32), cl)
