#!/usr/bin/python3
"""Pillow side of bench/decode: the same work as bench_decode.c, from bytes
in memory, one thread. Prints one line per case: `<case> <images/s>`.
usage: bench_pil.py DIR [seconds]"""
import io
import os
import sys
import time

import numpy as np
from PIL import Image


def load(d):
    return [open(os.path.join(d, f), "rb").read() for f in sorted(os.listdir(d))]


def rate(fn, blobs, seconds):
    for b in blobs[:50]:
        fn(b)  # warm-up
    n, t0 = 0, time.perf_counter()
    while True:
        for b in blobs:
            fn(b)
        n += len(blobs)
        dt = time.perf_counter() - t0
        if dt >= seconds:
            return n / dt


def jpeg_full(b):
    Image.open(io.BytesIO(b)).load()


def jpeg_small(b):
    im = Image.open(io.BytesIO(b)).resize((32, 32), Image.BILINEAR)
    return np.asarray(im, np.float32)


def jpeg_small_draft(b):
    # Pillow at its best: let libjpeg scale in the DCT domain first, as ramp does
    im = Image.open(io.BytesIO(b))
    im.draft("RGB", (32, 32))
    return np.asarray(im.resize((32, 32), Image.BILINEAR), np.float32)


def png_small(b):
    return np.asarray(Image.open(io.BytesIO(b)), np.float32)


d = sys.argv[1]
secs = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
jpegs, pngs = load(os.path.join(d, "jpeg")), load(os.path.join(d, "png"))
print("pil_jpeg64_full %.0f" % rate(jpeg_full, jpegs, secs))
print("pil_jpeg64_to32_float %.0f" % rate(jpeg_small, jpegs, secs))
print("pil_jpeg64_to32_float_draft %.0f" % rate(jpeg_small_draft, jpegs, secs))
print("pil_png28_float %.0f" % rate(png_small, pngs, secs))
