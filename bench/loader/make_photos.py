#!/usr/bin/python3
"""Makes the photo kit of bench/loader: N realistic 500×375 RGB JPEGs
(quality 90, 4:2:0, as a camera or a web crawl gives them) and train.csv,
without network.

Each image is a random view of one of the sample photographs that
scikit-image ships (Debian's python3-skimage: astronaut, chelsea, coffee,
rocket, the motorcycle pair, hubble, ihc, retina, and the gray ones —
camera, grass, gravel, brick, moon, coins — tinted to colour): a random
4:3 box covering 35–100 % of the largest one that fits, resized to 500×375
(BICUBIC), flipped left↔right half the time, with a random per-channel gain
(0.8–1.2) and brightness shift (±20). Real photo content compresses and
decodes like photos (noise would not: it makes huge files and slow Huffman
decoding). The class of an image is its source photograph.

usage: make_photos.py OUT_DIR [--n N] [--seed S]
Writes OUT_DIR/data/imgs/photo_NNNNN.jpg and OUT_DIR/data/train.csv
(id,class). Run with /usr/bin/python3 (Pillow, numpy, python3-skimage's data).
"""
import argparse
import importlib.util
import os

import numpy as np
from PIL import Image

COLOUR = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png",
          "motorcycle_right.png", "hubble_deep_field.jpg", "ihc.png", "retina.jpg"]
GRAY = ["camera.png", "grass.png", "gravel.png", "brick.png", "moon.png", "coins.png"]
W, H = 500, 375


def skimage_data_dir():
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("make_photos.py: scikit-image's sample data not found "
                         "(Debian's python3-skimage)")
    return os.path.join(list(spec.submodule_search_locations)[0], "data")


def load_sources(rng):
    d = skimage_data_dir()
    out = []
    for f in COLOUR:
        out.append(np.asarray(Image.open(os.path.join(d, f)).convert("RGB"), np.float32))
    for f in GRAY:
        g = np.asarray(Image.open(os.path.join(d, f)).convert("L"), np.float32)
        tint = rng.uniform(0.6, 1.0, 3).astype(np.float32)
        out.append(g[:, :, None] * tint)
    return out


def view(src, rng):
    h, w = src.shape[:2]
    bw = min(w, h * 4 / 3)  # largest 4:3 box that fits
    s = np.sqrt(rng.uniform(0.35, 1.0))
    cw = max(8, int(bw * s))
    ch = max(6, int(cw * 3 / 4))
    x0 = rng.integers(0, w - cw + 1)
    y0 = rng.integers(0, h - ch + 1)
    a = src[y0:y0 + ch, x0:x0 + cw]
    if rng.random() < 0.5:
        a = a[:, ::-1]
    a = a * rng.uniform(0.8, 1.2, 3).astype(np.float32) + np.float32(rng.uniform(-20, 20))
    im = Image.fromarray(np.clip(a + 0.5, 0, 255).astype(np.uint8), "RGB")
    return im.resize((W, H), Image.BICUBIC)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    srcs = load_sources(rng)
    imgs = os.path.join(a.out, "data", "imgs")
    os.makedirs(imgs, exist_ok=True)
    rows = []
    for i in range(a.n):
        k = int(rng.integers(0, len(srcs)))
        name = "photo_%05d.jpg" % i
        view(srcs[k], rng).save(os.path.join(imgs, name), quality=90, subsampling=2)
        rows.append("%s,%d\n" % (name, k))
    with open(os.path.join(a.out, "data", "train.csv"), "w") as f:
        f.write("id,class\n")
        f.writelines(rows)


if __name__ == "__main__":
    main()
