#!/usr/bin/python3
"""bench_torch_busy.py — PyTorch's side of bench/gpu/busy.sh: the net of
bench_busy.c (ResNet-18, or the small resnet8s, built here as resnet224.h
builds them; classes from the kit) trained on DEVICE, fed by
torch.utils.data.DataLoader from the same photo kit's JPEGs, the way a
PyTorch user who cares for speed writes it:

  - the Dataset is bench/loader's (bench_torch.py's KitImages, photo mode):
    PIL opens and decodes, the shorter side to 256 (BILINEAR), a random
    224x224 crop, a random flip, /255 and ImageNet mean/std in numpy,
    3x224x224 float CHW — the same work as ramp's transform;
  - DataLoader(batch_size=B, shuffle=True, num_workers=J,
    pin_memory=(device is cuda), persistent_workers=True), J = ramp's loader
    threads; batches go to the device with non_blocking copies;
  - SGD (lr 0.01, momentum 0.9), cross-entropy; fp32 with TF32 off (as the
    engine computes) and cudnn.benchmark on; loss.item() every step (what
    the PyTorch ImageNet example does for its running loss, and what the
    engine does: its loss is read on the host each step), so the time the
    loop spends in next() is time the device had nothing queued.

WARMUP steps, then STEPS timed steps (0: ceil(n / B), one epoch's worth) on
the same stream (a new epoch's iterator where one ends, as bench_busy.c's
generator goes on). Measured over the timed steps: wall time (synchronised
at both ends), the time spent in next(iterator) (wait), busy = 1 - wait /
wall, images/s, and on cuda the GPU's utilisation from NVML (GPU 0, every
50 ms in a thread, the mean over the timed steps; pynvml when importable,
else libnvidia-ml.so.1 through ctypes; a SKIP nvml line when neither works).

    python3 bench_torch_busy.py DATA_DIR [--device cuda] [--steps 0] [--batch 64]
        [--workers J] [--model resnet18] [--warmup 10] [--channels-last]

Prints BUSY side=torch device=<d> model=<m> batch=<B> jobs=<J> steps=<S>
images=<n> wall_s=<s> wait_s=<s> busy=<0..1> nvml_util=<0..1|na>
img_per_s=<x>, or SKIP side=torch why="..." when the device is missing.
"""
import argparse
import ctypes
import os
import sys
import threading
import time

import torch
import torch.nn as nn
from torch.utils.data import DataLoader

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "loader"))
_threads = torch.get_num_threads()
from bench_torch import KitImages  # noqa: E402 (bench/loader's Dataset)

torch.set_num_threads(_threads)  # bench_torch sets 1 for its loader-only bench
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_nets import resnet224  # noqa: E402


MODELS = {"resnet18": lambda k: resnet224((64, 128, 256, 512), 2, 64, k),
          "resnet8s": lambda k: resnet224((16, 32, 64), 1, 16, k)}


class NvmlSampler:
    """Mean GPU utilisation (0..1) of GPU 0 over the time `window` is set."""

    def __init__(self):
        self.window, self.sum, self.count = False, 0.0, 0
        self.stop = threading.Event()
        try:
            import pynvml
            pynvml.nvmlInit()
            h = pynvml.nvmlDeviceGetHandleByIndex(0)
            self.read = lambda: pynvml.nvmlDeviceGetUtilizationRates(h).gpu
        except Exception:  # no pynvml, or it failed: the driver's library itself
            lib = ctypes.CDLL("libnvidia-ml.so.1")

            class Util(ctypes.Structure):
                _fields_ = [("gpu", ctypes.c_uint), ("memory", ctypes.c_uint)]
            h, u = ctypes.c_void_p(), Util()
            for rc, what in ((lambda: lib.nvmlInit_v2(), "nvmlInit_v2"),
                             (lambda: lib.nvmlDeviceGetHandleByIndex_v2(0, ctypes.byref(h)),
                              "nvmlDeviceGetHandleByIndex_v2(0)")):
                r = rc()
                if r:
                    raise OSError("%s returned %d" % (what, r))

            def read():
                if lib.nvmlDeviceGetUtilizationRates(h, ctypes.byref(u)):
                    raise OSError("nvmlDeviceGetUtilizationRates failed")
                return u.gpu
            self.read = read
        self.read()
        self.th = threading.Thread(target=self.loop, daemon=True)
        self.th.start()

    def loop(self):
        while not self.stop.is_set():
            try:
                v = self.read()
            except OSError:
                v = None
            if v is not None and self.window:
                self.sum += v
                self.count += 1
            self.stop.wait(0.05)

    def finish(self):
        self.stop.set()
        self.th.join()
        return self.sum / self.count / 100 if self.count else None


def main():
    ap = argparse.ArgumentParser(description="PyTorch side of bench/gpu/busy.sh")
    ap.add_argument("data_dir")
    ap.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    ap.add_argument("--steps", type=int, default=0, help="timed steps (0: one epoch's worth)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    ap.add_argument("--model", default="resnet18", choices=sorted(MODELS))
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--channels-last", action="store_true")
    a = ap.parse_args()
    dev = a.device
    if dev == "cuda" and not torch.cuda.is_available():
        print('SKIP side=torch device=cuda why="no CUDA device for PyTorch"', flush=True)
        return
    if dev == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = True
    else:
        torch.set_num_threads(os.cpu_count())  # as the engine's n_threads 0: every core

    ds = KitImages(a.data_dir, "photo")
    n, classes = len(ds), max(ds.labels) + 1
    steps = a.steps or (n + a.batch - 1) // a.batch
    torch.manual_seed(0)
    fmt = torch.channels_last if a.channels_last else torch.contiguous_format
    model = MODELS[a.model](classes).to(dev).to(memory_format=fmt)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(ds, batch_size=a.batch, shuffle=True, num_workers=a.workers,
                        pin_memory=dev == "cuda", persistent_workers=a.workers > 0)
    nvml = None
    if dev == "cuda":
        try:
            nvml = NvmlSampler()
        except (OSError, AttributeError) as e:
            print('SKIP nvml side=torch why="%s"' % str(e).replace('"', "'"), flush=True)
    n_params = sum(p.numel() for p in model.parameters())
    print("# torch %s: %s, %s (%d classes, %d parameters), %d photos, batch %d, %d workers, "
          "%d threads, %d warm-up + %d timed steps%s"
          % (torch.__version__, dev, a.model, classes, n_params, n, a.batch, a.workers,
             torch.get_num_threads(), a.warmup, steps,
             ", channels_last" if a.channels_last else ""), flush=True)

    it = iter(loader)

    def fetch():
        nonlocal it
        try:
            return next(it)
        except StopIteration:  # the epoch ended: the next one (workers persist)
            it = iter(loader)
            return next(it)

    def step(x, y):
        x = x.to(dev, non_blocking=True).to(memory_format=fmt)
        y = y.to(dev, non_blocking=True)
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    def sync():
        if dev == "cuda":
            torch.cuda.synchronize()

    model.train()
    for _ in range(a.warmup):
        step(*fetch())
    sync()
    if nvml:
        nvml.window = True
    wait, images, last = 0.0, 0, float("nan")
    t0 = time.perf_counter()
    for _ in range(steps):
        tw = time.perf_counter()
        x, y = fetch()
        wait += time.perf_counter() - tw
        images += len(y)
        last = step(x, y)
    sync()
    wall = time.perf_counter() - t0
    util = None
    if nvml:
        nvml.window = False
        util = nvml.finish()
    print("# torch: last loss %.4f" % last)
    print("BUSY side=torch device=%s model=%s batch=%d jobs=%d steps=%d images=%d wall_s=%.3f "
          "wait_s=%.3f busy=%.3f nvml_util=%s img_per_s=%.1f"
          % (dev, a.model, a.batch, a.workers, steps, images, wall, wait, 1 - wait / wall,
             "na" if util is None else "%.3f" % util, images / wall), flush=True)


if __name__ == "__main__":
    main()
