#!/usr/bin/python3
"""Writes the benchmark's images: N Fashion-MNIST images as 28×28 gray PNGs
and as 64×64 RGB JPEGs (upscaled, tinted, quality 90, 4:2:0), one file per
image without extension, as a kit would hold them. Falls back to synthetic
images when the Debian dataset package is missing.
usage: make_images.py OUTDIR N"""
import gzip
import os
import sys

import numpy as np
from PIL import Image

out, n = sys.argv[1], int(sys.argv[2])
src = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
if os.path.exists(src):
    with gzip.open(src, "rb") as f:
        raw = f.read()
    imgs = np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 28, 28)[:n]
else:
    rng = np.random.default_rng(1)
    imgs = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
for d in ("png", "jpeg"):
    os.makedirs(os.path.join(out, d), exist_ok=True)
tints = np.array([[1.0, 0.8, 0.6], [0.6, 0.9, 1.0], [0.9, 1.0, 0.7]])
for i, a in enumerate(imgs):
    Image.fromarray(a).save(os.path.join(out, "png", "%05d" % i), "PNG")
    big = np.asarray(Image.fromarray(a).resize((64, 64), Image.BILINEAR), np.float64)
    rgb = np.clip(big[:, :, None] * tints[i % 3][None, None, :], 0, 255).astype(np.uint8)
    Image.fromarray(rgb).save(os.path.join(out, "jpeg", "%05d" % i), "JPEG", quality=90)
