#!/usr/bin/python3
"""bench_torch_gpu.py — PyTorch's training throughput for bench_gpu.c's
models (reference CNN 1x28x28, ResNet-8 3x32x32, ResNet-18 3x224x224 with
1000 classes, built here as bench_gpu.c builds them), batch B, SGD with
momentum, random data already on the device; fp32 (TF32 off, as the
engine's cuDNN math) and bf16 autocast; NCHW and channels_last; after a
warm-up epoch, `steps` timed steps, synchronised, median of 3.

    python3 bench_torch_gpu.py [steps=20] [batch=64] [models] [device=cuda]

Prints TORCH model=<m> device=<d> dtype=<fp32|bf16> layout=<nchw|cl>
batch=<B> img_per_s=<x>, or SKIP when the device is missing."""
import statistics
import sys
import time

import torch
import torch.nn as nn

from torch_nets import Block, conv_bn, resnet224

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 20
batch = int(sys.argv[2]) if len(sys.argv) > 2 else 64
which = sys.argv[3] if len(sys.argv) > 3 else 'refcnn,resnet8,resnet18'
device = sys.argv[4] if len(sys.argv) > 4 else 'cuda'
if device == 'cuda' and not torch.cuda.is_available():
    print('SKIP torch why="no CUDA device for PyTorch"')
    sys.exit(0)
if device == 'cuda':
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True


def refcnn():
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


def resnet8():
    return nn.Sequential(conv_bn(3, 16, 3, 1, True), Block(16, 16, 1), Block(16, 32, 2),
                         Block(32, 64, 2), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(64, 10))


def resnet18():
    return resnet224((64, 128, 256, 512), 2, 64, 1000)


MODELS = {'refcnn': (refcnn, (1, 28, 28), 10), 'resnet8': (resnet8, (3, 32, 32), 10),
          'resnet18': (resnet18, (3, 224, 224), 1000)}


def sync():
    if device == 'cuda':
        torch.cuda.synchronize()


def run(make, shape, classes, bf16, cl):
    torch.manual_seed(0)
    fmt = torch.channels_last if cl else torch.contiguous_format
    m = make().to(device).to(memory_format=fmt)
    opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
    x = torch.rand(4 * batch, *shape, device=device).to(memory_format=fmt)
    y = torch.arange(4 * batch, device=device) % classes
    loss_fn = nn.CrossEntropyLoss()

    def step(i):
        j = (i % 4) * batch
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=bf16):
            loss = loss_fn(m(x[j:j + batch]), y[j:j + batch])
        loss.backward()
        opt.step()
    for i in range(4):
        step(i)
    sync()
    t0 = time.perf_counter()
    for i in range(steps):
        step(i)
    sync()
    return steps * batch / (time.perf_counter() - t0)


for name in which.split(','):
    make, shape, classes = MODELS[name]
    for bf16 in (False, True):
        if bf16 and device != 'cuda':
            continue
        for cl in (False, True):
            r = statistics.median(run(make, shape, classes, bf16, cl) for _ in range(3))
            print('TORCH model=%s device=%s dtype=%s layout=%s batch=%d img_per_s=%.1f' %
                  (name, device, 'bf16' if bf16 else 'fp32', 'cl' if cl else 'nchw', batch, r),
                  flush=True)
