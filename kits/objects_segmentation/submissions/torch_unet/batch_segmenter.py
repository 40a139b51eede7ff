"""A small U-Net for the objects segmentation kit (background + 10
Fashion-MNIST classes on 64x64 tensors).

A strided 3x3 stem to half resolution, then three levels (16, 32, 64
channels; two 3x3 conv + batch norm + ReLU each) with max-pool down,
transposed convolutions up with the encoder's features concatenated, a 1x1
head, and the scores bilinearly upsampled to the tensor's size. Cross-entropy over the classes, void pixels (255,
the items' soft rims) ignored, the background down-weighted (it covers most
pixels). Adam with a cosine-decayed rate; horizontal flips of images and
masks together as augmentation (the transform itself must stay a resize).
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
    INFO = {"n_classes": 11, "seed": 0, "n_threads": 2, "quick_test": False}

EPOCHS = 8
BATCH = 32


def conv(cin, cout, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class UNet(nn.Module):
    def __init__(self, n_classes, w=16):
        super().__init__()
        self.e1 = nn.Sequential(conv(3, w, 2), conv(w, w))              # 1/2
        self.e2 = nn.Sequential(conv(w, 2 * w), conv(2 * w, 2 * w))     # 1/4
        self.e3 = nn.Sequential(conv(2 * w, 4 * w), conv(4 * w, 4 * w))  # 1/8
        self.u2 = nn.ConvTranspose2d(4 * w, 2 * w, 2, stride=2)
        self.d2 = conv(4 * w, 2 * w)
        self.u1 = nn.ConvTranspose2d(2 * w, w, 2, stride=2)
        self.d1 = conv(2 * w, w)
        self.head = nn.Conv2d(w, n_classes, 1)

    def forward(self, x):
        f1 = self.e1(x)
        f2 = self.e2(F.max_pool2d(f1, 2))
        f3 = self.e3(F.max_pool2d(f2, 2))
        g2 = self.d2(torch.cat([self.u2(f3), f2], 1))
        g1 = self.d1(torch.cat([self.u1(g2), f1], 1))
        # the scores at half the tensor's resolution, brought back to it
        return F.interpolate(self.head(g1), size=x.shape[2:], mode="bilinear",
                             align_corners=False)


class BatchSegmenter:
    def __init__(self):
        torch.manual_seed(int(INFO.get("seed", 0)))
        torch.set_num_threads(max(1, int(INFO.get("n_threads", 1))))
        self.n_classes = int(INFO["n_classes"])
        self.net = UNet(self.n_classes)
        self.weight = torch.ones(self.n_classes)
        self.weight[0] = 0.3

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
                X, y = torch.from_numpy(X), torch.from_numpy(y)
                if torch.rand(()) < 0.5:  # flip the batch's images and masks together
                    X, y = X.flip(-1), y.flip(-1)
                for g in opt.param_groups:
                    g["lr"] = 3e-3 * 0.5 * (1 + math.cos(math.pi * step / total))
                loss = F.cross_entropy(self.net(X), y, weight=self.weight, ignore_index=255)
                opt.zero_grad()
                loss.backward()
                opt.step()
                run += loss.item()
                step += 1
            msg = "epoch %d/%d loss %.4f (%.0f s)" % (epoch + 1, epochs, run / steps,
                                                     time.time() - t0)
            if nb_valid:
                msg += " valid pixel accuracy %.4f" % self._valid_accuracy(gen_valid)
            print(msg)

    def _valid_accuracy(self, gen):
        self.net.eval()
        hit = seen = 0
        with torch.no_grad():
            for _ in range(gen.steps_per_epoch):
                X, y = next(gen)
                pred = self.net(torch.from_numpy(X)).argmax(1).numpy()
                keep = y != 255
                hit += int((pred[keep] == y[keep]).sum())
                seen += int(keep.sum())
        return hit / max(seen, 1)

    def predict_proba(self, X):
        self.net.eval()
        with torch.no_grad():
            return F.softmax(self.net(torch.from_numpy(X)), dim=1).numpy()
