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

Where scikit-image is absent (a CUDA PyTorch machine without a package
registry), or with --synthetic, the 15 sources are drawn here instead with
numpy and Pillow alone: a sky-to-ground gradient, a few dozen shaded
ellipses, polygons and boxes, a light blur, then 1/f-like noise over several
octaves for texture and a fine grain. Same views, sizes and quality; the
JPEGs come out a little smaller than the photographs' (about 41 against 48
KB, 4:2:0 at quality 90) and Pillow decodes both at about the same rate, so
they load like photos, not like flat drawings nor like noise. Still, figures
on the two are not the same benchmark: make_photos.txt says which made the
kit, and bench/gpu/busy.sh prints it.

usage: make_photos.py OUT_DIR [--n N] [--seed S] [--synthetic] [--jobs J]
Writes OUT_DIR/data/imgs/photo_NNNNN.jpg, OUT_DIR/data/train.csv (id,class)
and OUT_DIR/data/make_photos.txt (the source used). Run with
/usr/bin/python3 (Pillow, numpy; python3-skimage's data when present).
"""
import argparse
import importlib.util
import os
import sys

import numpy as np
from PIL import Image

COLOUR = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png",
          "motorcycle_right.png", "hubble_deep_field.jpg", "ihc.png", "retina.jpg"]
GRAY = ["camera.png", "grass.png", "gravel.png", "brick.png", "moon.png", "coins.png"]
W, H = 500, 375


def skimage_data_dir():
    """scikit-image's data folder when every sample photograph is there, else None."""
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        return None
    d = os.path.join(list(spec.submodule_search_locations)[0], "data")
    return d if all(os.path.isfile(os.path.join(d, f)) for f in COLOUR + GRAY) else None


def octave_noise(rng, h, w, cells):
    """Smooth noise of unit spread: a (h/cells)-coarse Gaussian grid, bicubic up to h×w."""
    gh, gw = max(2, h // cells + 2), max(2, w // cells + 2)
    g = Image.fromarray(rng.standard_normal((gh, gw)).astype(np.float32), "F")
    return np.asarray(g.resize((w, h), Image.BICUBIC), np.float32)


def synthetic_source(rng):
    """One made-up 'photograph', h×w×3 float in 0..255 (see the module note)."""
    from PIL import ImageDraw, ImageFilter
    w = int(rng.integers(640, 1025))
    h = int(w * rng.uniform(0.66, 0.9))
    top, bottom = rng.uniform(40, 230, 3), rng.uniform(20, 200, 3)
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    horizon = rng.uniform(0.3, 0.7)
    t = np.clip((t - horizon) * 4 + 0.5, 0, 1)
    base = (1 - t) * top + t * bottom + np.zeros((1, w, 1), np.float32)
    im = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGB")
    dr = ImageDraw.Draw(im)
    for _ in range(int(rng.integers(20, 60))):
        c = tuple(int(v) for v in rng.uniform(0, 255, 3))
        x0, y0 = rng.uniform(-0.1, 1.0) * w, rng.uniform(-0.1, 1.0) * h
        sw, sh = rng.uniform(0.03, 0.4) * w, rng.uniform(0.03, 0.4) * h
        kind = rng.integers(0, 3)
        if kind == 0:
            dr.ellipse([x0, y0, x0 + sw, y0 + sh], fill=c)
        elif kind == 1:
            dr.rectangle([x0, y0, x0 + sw, y0 + sh], fill=c)
        else:
            k = int(rng.integers(3, 8))
            pts = [(x0 + sw * rng.random(), y0 + sh * rng.random()) for _ in range(k)]
            dr.polygon(pts, fill=c)
    im = im.filter(ImageFilter.GaussianBlur(rng.uniform(0.8, 2.0)))
    a = np.asarray(im, np.float32)
    shade = sum(octave_noise(rng, h, w, c) * (c ** 0.5) for c in (128, 64, 32))
    a = a * (1 + 0.012 * shade[:, :, None])
    tex = sum(octave_noise(rng, h, w, c) * (c ** 0.6) for c in (16, 8, 4, 2))
    a = a + 1.6 * tex[:, :, None] * rng.uniform(0.7, 1.3, 3).astype(np.float32)
    return a + rng.normal(0, 2.0, a.shape).astype(np.float32)


def load_sources(rng, synthetic=False):
    d = None if synthetic else skimage_data_dir()
    if d is None:
        if not synthetic:
            print("make_photos.py: no scikit-image sample photographs here: drawing "
                  "synthetic sources (numpy + Pillow)", file=sys.stderr)
        return [synthetic_source(rng) for _ in range(len(COLOUR) + len(GRAY))], "synthetic"
    out = []
    for f in COLOUR:
        out.append(np.asarray(Image.open(os.path.join(d, f)).convert("RGB"), np.float32))
    for f in GRAY:
        g = np.asarray(Image.open(os.path.join(d, f)).convert("L"), np.float32)
        tint = rng.uniform(0.6, 1.0, 3).astype(np.float32)
        out.append(g[:, :, None] * tint)
    return out, "scikit-image"


def draw_view(shape, rng):
    """The random numbers of one view of a source of `shape`, in the order the
    kit's seed has always drawn them (the same kit whatever --jobs)."""
    h, w = shape[:2]
    bw = min(w, h * 4 / 3)  # largest 4:3 box that fits
    s = np.sqrt(rng.uniform(0.35, 1.0))
    cw = max(8, int(bw * s))
    ch = max(6, int(cw * 3 / 4))
    x0 = rng.integers(0, w - cw + 1)
    y0 = rng.integers(0, h - ch + 1)
    flip = rng.random() < 0.5
    gain = rng.uniform(0.8, 1.2, 3).astype(np.float32)
    shift = np.float32(rng.uniform(-20, 20))
    return x0, y0, cw, ch, flip, gain, shift


def render(src, v):
    x0, y0, cw, ch, flip, gain, shift = v
    a = src[y0:y0 + ch, x0:x0 + cw]
    if flip:
        a = a[:, ::-1]
    a = a * gain + shift
    im = Image.fromarray(np.clip(a + 0.5, 0, 255).astype(np.uint8), "RGB")
    return im.resize((W, H), Image.BICUBIC)


SOURCES = []  # the worker processes' (forked) view of the sources


def write_photo(job):
    path, k, v = job
    render(SOURCES[k], v).save(path, quality=90, subsampling=2)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--synthetic", action="store_true",
                    help="draw the sources here even where scikit-image is present")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                    help="processes encoding the photos (default: every core)")
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    srcs, origin = load_sources(rng, a.synthetic)
    SOURCES[:] = srcs
    imgs = os.path.join(a.out, "data", "imgs")
    os.makedirs(imgs, exist_ok=True)
    rows, jobs = [], []
    for i in range(a.n):
        k = int(rng.integers(0, len(srcs)))
        name = "photo_%05d.jpg" % i
        jobs.append((os.path.join(imgs, name), k, draw_view(srcs[k].shape, rng)))
        rows.append("%s,%d\n" % (name, k))
    if a.jobs > 1:
        import multiprocessing
        with multiprocessing.get_context("fork").Pool(a.jobs) as pool:
            pool.map(write_photo, jobs, chunksize=16)
    else:
        for j in jobs:
            write_photo(j)
    with open(os.path.join(a.out, "data", "train.csv"), "w") as f:
        f.write("id,class\n")
        f.writelines(rows)
    with open(os.path.join(a.out, "data", "make_photos.txt"), "w") as f:
        f.write("%d photos from %s sources, seed %d\n" % (a.n, origin, a.seed))


if __name__ == "__main__":
    main()
