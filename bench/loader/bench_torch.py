#!/usr/bin/python3
"""PyTorch side of bench/loader: the same work as bench_loader.c with
torchvision and Pillow, the way a PyTorch user writes it: a Dataset whose
__getitem__ opens the file with PIL, converts ('L' or 'RGB'), resizes to
32×32 (BILINEAR), ToTensor + Normalize, fed through
DataLoader(batch_size=64, num_workers=2, shuffle=True).

  png: 28×28 gray PNG → 1×32×32 float, /255, normalised (same mean/std as ramp)
  jpg: 64×64 RGB JPEG → 3×32×32 float CHW, mean-subtracted (Normalize with
       mean/255 and std 1/255 is p − mean)
  photo: 500×375 RGB JPEG → shorter side resized to 256 (BILINEAR) → random
       224×224 crop → random left↔right flip → 3×224×224 float CHW, /255,
       ImageNet mean/std. Written with PIL + numpy only (what torchvision's
       Resize(256) + RandomCrop(224) + RandomHorizontalFlip + ToTensor +
       Normalize do, without torchvision, which it does not need); --lean
       changes nothing there. --draft is Image.draft('RGB', (rw, rh)):
       libjpeg's DCT scaling as ramp's resize does (on 500×375 → 341×256
       no scale applies, so it equals the plain run).

First a warm-up over the first WARMUP images (0: a full epoch), then EPOCHS
timed epochs, each timed from iter(loader) (worker start-up included, as
thread start is on the ramp side) to the last batch. Prints one line per
epoch and ends with
  torch_loader_<mode> <images/s>     (the median of the timed epochs)

--lean swaps the torchvision transforms for the cheapest equivalent a
PyTorch user could write (PIL resize, numpy normalise, torch.from_numpy):
same values, less per-sample overhead — PyTorch at its best. --draft calls
Image.draft('RGB', (32, 32)) on JPEGs first: libjpeg's DCT-domain scaling,
which ramp's resize uses on JPEGs (like-for-like decode work; not what a
typical torchvision pipeline does). The figure's name takes _lean / _draft.

usage: bench_torch.py DATA_DIR png|jpg|photo [--epochs E] [--warmup W] [--workers N]
                      [--lean] [--draft]
Run with /usr/bin/python3 (Debian's python3-torch and python3-torchvision;
photo mode and --lean need no torchvision).
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import csv
import statistics
import sys
import time

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset, Subset

torch.set_num_threads(1)  # the loading is what is measured, not the main process


class KitImages(Dataset):
    def __init__(self, data_dir, mode, lean=False, draft=False):
        with open(os.path.join(data_dir, "train.csv"), newline="") as f:
            rows = list(csv.DictReader(f))
        imgs = os.path.join(data_dir, "imgs")
        self.paths = [os.path.join(imgs, r["id"]) for r in rows]
        self.labels = [int(r["class"]) for r in rows]
        self.mode = "L" if mode == "png" else "RGB"
        self.draft = draft and mode != "png"
        self.lean = lean
        self.photo = mode == "photo"
        if self.photo:
            self.mean = np.array([0.485, 0.456, 0.406], np.float32) * 255
            self.scale = 1 / (np.array([0.229, 0.224, 0.225], np.float32) * 255)
            return
        if not lean:
            from torchvision import transforms
        if mode == "png":
            norm = None if lean else transforms.Normalize([0.2860], [0.3530])
            self.mean = np.float32(0.2860 * 255)
            self.scale = np.float32(1 / (0.3530 * 255))
        else:
            norm = None if lean else transforms.Normalize(
                [123.68 / 255, 116.779 / 255, 103.939 / 255], [1 / 255] * 3)
            self.mean = np.array([123.68, 116.779, 103.939], np.float32)
            self.scale = None
        self.tf = None if lean else transforms.Compose([
            transforms.Resize((32, 32), interpolation=transforms.InterpolationMode.BILINEAR),
            transforms.ToTensor(),
            norm,
        ])

    def __len__(self):
        return len(self.paths)

    def photo_item(self, i):
        im = Image.open(self.paths[i])
        w, h = im.size
        rw, rh = (256, round(h * 256 / w)) if w <= h else (round(w * 256 / h), 256)
        if self.draft:
            im.draft("RGB", (rw, rh))
        im = im.convert("RGB").resize((rw, rh), Image.BILINEAR)
        x0, y0 = np.random.randint(0, rw - 224 + 1), np.random.randint(0, rh - 224 + 1)
        a = np.asarray(im.crop((x0, y0, x0 + 224, y0 + 224)), np.float32)
        if np.random.random() < 0.5:
            a = a[:, ::-1]
        a = (a - self.mean) * self.scale
        return torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1))), self.labels[i]

    def __getitem__(self, i):
        if self.photo:
            return self.photo_item(i)
        im = Image.open(self.paths[i])
        if self.draft:
            im.draft("RGB", (32, 32))
        im = im.convert(self.mode)
        if not self.lean:
            return self.tf(im), self.labels[i]
        a = np.asarray(im.resize((32, 32), Image.BILINEAR), np.float32) - self.mean
        if self.scale is not None:
            a *= self.scale
        a = a[None] if a.ndim == 2 else np.ascontiguousarray(a.transpose(2, 0, 1))
        return torch.from_numpy(a), self.labels[i]


def epoch(ds, workers):
    loader = DataLoader(ds, batch_size=64, num_workers=workers, shuffle=True)
    n, check = 0, 0.0
    t0 = time.perf_counter()
    for x, y in loader:
        check += float(x[:, 0, 0, 0].sum()) + float(y.sum())  # the consumer reads every batch
        n += len(y)
    dt = time.perf_counter() - t0
    assert n == len(ds), (n, len(ds))
    return dt, check


def run(data_dir, mode, epochs, warmup, workers, lean, draft):
    ds = KitImages(data_dir, mode, lean, draft)
    n = len(ds)
    epoch(ds if warmup == 0 or warmup >= n else Subset(ds, range(warmup)), workers)
    rates = []
    name = mode + ("_lean" if lean else "") + ("_draft" if ds.draft else "")
    for e in range(epochs):
        dt, check = epoch(ds, workers)
        rates.append(n / dt)
        print("# torch %s epoch %d: %d images in %.3f s = %.0f img/s (check %.6g)"
              % (name, e, n, dt, n / dt, check), flush=True)
    print("torch_loader_%s %.0f" % (name, statistics.median(rates)), flush=True)


def main():
    ap = argparse.ArgumentParser(description="PyTorch side of bench/loader")
    ap.add_argument("data_dir")
    ap.add_argument("mode", choices=["png", "jpg", "photo"])
    ap.add_argument("--epochs", type=int, default=1, help="timed epochs (median printed)")
    ap.add_argument("--warmup", type=int, default=4096, help="warm-up images (0: an epoch)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--lean", action="store_true", help="numpy instead of torchvision ops")
    ap.add_argument("--draft", action="store_true", help="Image.draft on JPEGs")
    a = ap.parse_args()
    run(a.data_dir, a.mode, a.epochs, a.warmup, a.workers, a.lean, a.draft)


if __name__ == "__main__":
    main()
