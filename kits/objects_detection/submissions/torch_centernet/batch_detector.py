"""A small CenterNet-style detector for the objects detection kit (10
Fashion-MNIST classes, boxes, on 64x64 tensors).

The net maps the image to a grid at stride 2 (32x32 cells): an encoder of
strided 3x3 convolutions down to 8x8, transposed convolutions back up with
the encoder's features added, then one shared 3x3 layer and a 1x1 head with
n_classes + 4 channels: a heat map per class (sigmoid: an object of that
class is centred in the cell), the box's width and height (in cells) and
the centre's offset inside its cell.

Training targets: each box puts a Gaussian bump (sigma a sixth of its
size, at least half a cell) on its class's map, 1 at its centre's cell;
the heat maps learn with the penalty-reduced focal loss (positives at the
peaks, negatives weighted by (1 - target)^4), size and offset with L1 at the
centres. Adam, cosine-decayed rate, horizontal flips of images and boxes.

Decoding: the cells that are the maximum of their 3x3 neighbourhood
(max-pool) are the peaks; the max_objects best of them over all classes
become boxes, confidence = the peak's value.
Sized for a 2-core CPU: a few minutes per fold on ~2,000 images.
"""
import math
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

try:
    import ramp
    INFO = ramp.info
except ImportError:  # outside ramp
    INFO = {"n_classes": 10, "seed": 0, "n_threads": 2, "quick_test": False, "max_objects": 16}

EPOCHS = 6
BATCH = 32
STRIDE = 2
MIN_SCORE = 0.02


def conv(cin, cout, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class Net(nn.Module):
    def __init__(self, n_classes, w=16):
        super().__init__()
        self.s1 = nn.Sequential(conv(3, w, 2), conv(w, w))              # 1/2
        self.s2 = nn.Sequential(conv(w, 2 * w, 2), conv(2 * w, 2 * w))  # 1/4
        self.s3 = nn.Sequential(conv(2 * w, 4 * w, 2), conv(4 * w, 4 * w))  # 1/8
        self.u2 = nn.ConvTranspose2d(4 * w, 2 * w, 2, stride=2)
        self.m2 = conv(2 * w, 2 * w)
        self.u1 = nn.ConvTranspose2d(2 * w, w, 2, stride=2)
        self.m1 = conv(w, 2 * w)
        self.head = nn.Conv2d(2 * w, n_classes + 4, 1)
        with torch.no_grad():  # the heat maps start near 0.1 (CenterNet's habit)
            self.head.bias[:n_classes].fill_(-2.2)

    def forward(self, x):
        f1 = self.s1(x)
        f2 = self.s2(f1)
        f3 = self.s3(f2)
        g2 = self.m2(self.u2(f3) + f2)
        g1 = self.m1(self.u1(g2) + f1)
        return self.head(g1)


def targets(boxes, n_classes, gh, gw):
    """Heat maps (n, K, gh, gw), and per object its cell index, size and offset."""
    heat = np.zeros((len(boxes), n_classes, gh, gw), np.float32)
    ys, xs = np.mgrid[0:gh, 0:gw].astype(np.float32)
    where, size, off = [], [], []
    for i, objs in enumerate(boxes):
        for c, x0, y0, x1, y1 in objs:
            w, h = (x1 - x0) / STRIDE, (y1 - y0) / STRIDE
            if w <= 0 or h <= 0:
                continue
            cx, cy = (x0 + x1) / (2 * STRIDE), (y0 + y1) / (2 * STRIDE)
            px, py = min(int(cx), gw - 1), min(int(cy), gh - 1)
            sigma = max(math.sqrt(w * h) / 6, 0.5)
            g = np.exp(-((xs - px) ** 2 + (ys - py) ** 2) / (2 * sigma * sigma))
            np.maximum(heat[i, int(c)], g, out=heat[i, int(c)])
            where.append((i, py, px))
            size.append((w, h))
            off.append((cx - px, cy - py))
    return (heat, np.array(where, np.int64).reshape(-1, 3),
            np.array(size, np.float32).reshape(-1, 2), np.array(off, np.float32).reshape(-1, 2))


def focal(logits, gt):
    p = torch.sigmoid(logits).clamp(1e-4, 1 - 1e-4)
    pos = gt.eq(1).float()
    pos_loss = -(torch.log(p) * (1 - p) ** 2 * pos).sum()
    neg_loss = -(torch.log(1 - p) * p ** 2 * (1 - gt) ** 4 * (1 - pos)).sum()
    return (pos_loss + neg_loss) / pos.sum().clamp(min=1)


class BatchDetector:
    def __init__(self):
        torch.manual_seed(int(INFO.get("seed", 0)))
        torch.set_num_threads(max(1, int(INFO.get("n_threads", 1))))
        self.n_classes = int(INFO["n_classes"])
        self.max_objects = int(INFO.get("max_objects", 16))
        self.net = Net(self.n_classes)

    def loss(self, X, boxes):
        out = self.net(torch.from_numpy(X))
        k = self.n_classes
        heat, where, size, off = targets(boxes, k, out.shape[2], out.shape[3])
        loss = focal(out[:, :k], torch.from_numpy(heat))
        if len(where):
            i, y, x = (torch.from_numpy(where[:, j]) for j in range(3))
            reg = out[i, k:, y, x]
            loss = loss + 0.1 * F.l1_loss(reg[:, :2], torch.from_numpy(size)) \
                + F.l1_loss(reg[:, 2:], torch.from_numpy(off))
        return loss

    def fit(self, gen_builder):
        gen_train, gen_valid, nb_train, nb_valid = gen_builder.get_train_valid_generators(
            batch_size=BATCH, valid_ratio=0.1)
        epochs = 1 if INFO.get("quick_test") else EPOCHS
        steps = gen_train.steps_per_epoch
        if INFO.get("quick_test"):
            steps = min(steps, 10)
        opt = torch.optim.Adam(self.net.parameters(), lr=3e-3)
        total, step = epochs * steps, 0
        for epoch in range(epochs):
            self.net.train()
            t0, run = time.time(), 0.0
            for _ in range(steps):
                X, y = next(gen_train)
                if np.random.rand() < 0.5:  # flip the images and their boxes together
                    w = X.shape[3]
                    X = np.ascontiguousarray(X[:, :, :, ::-1])
                    y = [np.stack([b[:, 0], w - b[:, 3], b[:, 2], w - b[:, 1], b[:, 4]], 1)
                         for b in y]
                for g in opt.param_groups:
                    g["lr"] = 3e-3 * 0.5 * (1 + math.cos(math.pi * step / total))
                loss = self.loss(X, y)
                opt.zero_grad()
                loss.backward()
                opt.step()
                run += loss.item()
                step += 1
            msg = "epoch %d/%d loss %.4f (%.0f s)" % (epoch + 1, epochs, run / steps,
                                                     time.time() - t0)
            if nb_valid:
                self.net.eval()
                with torch.no_grad():
                    v = [self.loss(*next(gen_valid)).item()
                         for _ in range(gen_valid.steps_per_epoch)]
                msg += " valid loss %.4f" % np.mean(v)
            print(msg)

    def predict(self, X):
        self.net.eval()
        k, h, w = self.n_classes, X.shape[2], X.shape[3]
        with torch.no_grad():
            out = self.net(torch.from_numpy(X))
            heat = torch.sigmoid(out[:, :k])
            peaks = heat * (F.max_pool2d(heat, 3, stride=1, padding=1) == heat).float()
            score, idx = peaks.flatten(1).topk(min(self.max_objects, peaks[0].numel()), dim=1)
        res = []
        gh, gw = out.shape[2], out.shape[3]
        for i in range(len(X)):
            keep = score[i] >= MIN_SCORE
            s, j = score[i][keep].numpy(), idx[i][keep].numpy()
            c, cell = j // (gh * gw), j % (gh * gw)
            cy, cx = cell // gw, cell % gw
            reg = out[i, k:, cy, cx].numpy().reshape(4, -1)
            bw, bh = np.maximum(reg[0], 0) * STRIDE, np.maximum(reg[1], 0) * STRIDE
            mx, my = (cx + reg[2]) * STRIDE, (cy + reg[3]) * STRIDE
            boxes = np.stack([c, s, np.clip(mx - bw / 2, 0, w), np.clip(my - bh / 2, 0, h),
                              np.clip(mx + bw / 2, 0, w), np.clip(my + bh / 2, 0, h)], 1)
            res.append(boxes.astype(np.float32))
        return res
