#!/usr/bin/python3
"""Generates tests/fixtures/image/: small test images and their references.

Run with Debian's python3 (Pillow 9.4, numpy) and djpeg (libjpeg-turbo):
    /usr/bin/python3 tests/gen_image_fixtures.py

References are independent of ramp:
- PNG: decoded by Pillow (and cross-checked against the numpy source, so
  16-bit reduction, palette expansion and low-bit scaling are what we say).
- JPEG: decoded by `djpeg -pnm` at scales 1, 1/2, 1/4, 1/8.
- resize: Pillow Image.resize(size, Image.BILINEAR); rotate: Pillow
  Image.rotate(angle, Image.BILINEAR, fillcolor=fill); gray: convert("L").
All references are PNM: P5 (gray), P6 (RGB), P7 (gray+alpha, RGBA).
PNGs are written by the small writer below, so odd kinds (16-bit, low bit
depth, tRNS, interlace, bad CRC, huge IHDR) are easy to make.
"""
import io
import os
import struct
import subprocess
import zlib

import numpy as np
from PIL import Image

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "image")
rng = np.random.default_rng(20261128)


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png_bytes(rows, w, h, depth, ctype, plte=None, trns=None, interlace=0):
    """rows: list of packed scanline bytes (without filter byte), or for
    interlace=1 the full image array handled by adam7()."""
    raw = b"".join(b"\x00" + r for r in rows)
    out = b"\x89PNG\r\n\x1a\n"
    out += chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, interlace))
    if plte is not None:
        out += chunk(b"PLTE", plte)
    if trns is not None:
        out += chunk(b"tRNS", trns)
    out += chunk(b"IDAT", zlib.compress(raw, 9))
    out += chunk(b"IEND", b"")
    return out


def pack_rows(a, depth):
    """a: h×w×c uint array → packed scanlines."""
    h = a.shape[0]
    rows = []
    for y in range(h):
        r = a[y].reshape(-1)
        if depth == 16:
            rows.append(r.astype(">u2").tobytes())
        elif depth == 8:
            rows.append(r.astype(np.uint8).tobytes())
        else:
            per = 8 // depth
            vals = list(r) + [0] * ((-len(r)) % per)
            b = bytearray()
            for i in range(0, len(vals), per):
                v = 0
                for j in range(per):
                    v = (v << depth) | int(vals[i + j])
                b.append(v)
            rows.append(bytes(b))
    return rows


def adam7_png(a, depth, ctype):
    """Interlaced PNG of a (h×w×c, 8-bit)."""
    h, w = a.shape[:2]
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    raw = b""
    for x0, y0, dx, dy in passes:
        sub = a[y0::dy, x0::dx]
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            continue
        raw += b"".join(b"\x00" + r for r in pack_rows(sub, depth))
    out = b"\x89PNG\r\n\x1a\n"
    out += chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, 1))
    out += chunk(b"IDAT", zlib.compress(raw, 9))
    out += chunk(b"IEND", b"")
    return out


def write_pnm(path, a):
    a = np.ascontiguousarray(a, dtype=np.uint8)
    if a.ndim == 2:
        a = a[:, :, None]
    h, w, c = a.shape
    if c == 1:
        head = b"P5\n%d %d\n255\n" % (w, h)
    elif c == 3:
        head = b"P6\n%d %d\n255\n" % (w, h)
    else:
        tupl = b"GRAYSCALE_ALPHA" if c == 2 else b"RGB_ALPHA"
        head = b"P7\nWIDTH %d\nHEIGHT %d\nDEPTH %d\nMAXVAL 255\nTUPLTYPE %s\nENDHDR\n" % (w, h, c, tupl)
    with open(path, "wb") as f:
        f.write(head + a.tobytes())


def put(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def pil_canonical(im):
    """Pillow image → ramp's layout (uint8, h×w×c)."""
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    if im.mode == "1":
        im = im.convert("L")
    if im.mode in ("I", "I;16", "I;16B"):
        return (np.asarray(im).astype(np.int64) >> 8).astype(np.uint8)[:, :, None]
    a = np.asarray(im)
    return a[:, :, None] if a.ndim == 2 else a


def scene(h, w, c, maxval=255):
    """Smooth gradients plus edges plus noise: exercises filters and codecs."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    out = np.empty((h, w, c))
    for k in range(c):
        base = (x * (3 + k) + y * (5 - k)) / (w + h) * 0.6 + 0.2 * np.sin((x + 2 * y + 7 * k) / 4.0)
        base += 0.25 * (((x // 6 + y // 5 + k) % 2) - 0.5)
        out[:, :, k] = base
    out += rng.normal(0, 0.04, out.shape)
    out = (out - out.min()) / (out.max() - out.min())
    return np.clip(np.round(out * maxval), 0, maxval).astype(np.uint16 if maxval > 255 else np.uint8)


def gen_png():
    w, h = 23, 17
    cases = {  # name: (channels, depth, ctype)
        "g8": (1, 8, 0), "ga8": (2, 8, 4), "rgb8": (3, 8, 2), "rgba8": (4, 8, 6),
        "g16": (1, 16, 0), "ga16": (2, 16, 4), "rgb16": (3, 16, 2), "rgba16": (4, 16, 6),
    }
    for name, (c, depth, ctype) in cases.items():
        a = scene(h, w, c, 65535 if depth == 16 else 255)
        data = png_bytes(pack_rows(a, depth), w, h, depth, ctype)
        put(name + ".png", data)
        ref = pil_canonical(Image.open(io.BytesIO(data)))
        if c == 2 and ref.shape[2] == 4:  # Pillow 9.4 opens 16-bit LA as RGBA (gray repeated)
            assert np.array_equal(ref[:, :, 0], ref[:, :, 1]) and np.array_equal(ref[:, :, 0], ref[:, :, 2])
            ref = ref[:, :, [0, 3]]
        expect = (a >> 8).astype(np.uint8) if depth == 16 else a
        assert np.array_equal(ref, expect), name  # Pillow agrees with v >> 8
        write_pnm(os.path.join(OUT, name + ".pnm"), ref)
    # low bit depth gray: Pillow scales to 0..255
    for depth in (1, 2, 4):
        a = rng.integers(0, 1 << depth, (h, w, 1))
        data = png_bytes(pack_rows(a, depth), w, h, depth, 0)
        put("g%d.png" % depth, data)
        ref = pil_canonical(Image.open(io.BytesIO(data)))
        assert np.array_equal(ref, (a * (255 // ((1 << depth) - 1))).astype(np.uint8))
        write_pnm(os.path.join(OUT, "g%d.pnm" % depth), ref)
    # palette, 8-bit and 4-bit, without and with tRNS
    pal = rng.integers(0, 256, (16, 3)).astype(np.uint8)
    idx = rng.integers(0, 16, (h, w, 1))
    for depth, trns, name in ((8, None, "pal8"), (4, None, "pal4"), (8, True, "pal8_trns")):
        t = bytes(rng.integers(0, 256, 10).astype(np.uint8)) if trns else None  # 10 < 16 entries
        data = png_bytes(pack_rows(idx, depth), w, h, depth, 3, plte=pal.tobytes(), trns=t)
        put(name + ".png", data)
        ref = pil_canonical(Image.open(io.BytesIO(data)))
        expect = pal[idx[:, :, 0]]
        if trns:
            alpha = np.full(16, 255, np.uint8)
            alpha[:10] = np.frombuffer(t, np.uint8)
            expect = np.concatenate([expect, alpha[idx[:, :, 0]][:, :, None]], axis=2)
        assert np.array_equal(ref, expect), name
        write_pnm(os.path.join(OUT, name + ".pnm"), ref)
    # interlaced RGB
    a = scene(h, w, 3)
    data = adam7_png(a, 8, 2)
    put("rgb8_adam7.png", data)
    ref = pil_canonical(Image.open(io.BytesIO(data)))
    assert np.array_equal(ref, a)
    write_pnm(os.path.join(OUT, "rgb8_adam7.pnm"), ref)
    # hostile: bad IDAT CRC, huge IHDR (valid CRC), truncated
    good = png_bytes(pack_rows(a, 8), w, h, 8, 2)
    bad = bytearray(good)
    bad[-13] ^= 0xFF  # last CRC byte of IDAT (IEND is the last 12 bytes)
    put("bad_crc.png", bytes(bad))
    huge = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0))
    huge += chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
    put("huge_ihdr.png", huge)
    # under the pixel limit, but far too little data for its size
    bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 6000, 6000, 8, 2, 0, 0, 0))
    bomb += chunk(b"IDAT", zlib.compress(b"\x00" * 4096)) + chunk(b"IEND", b"")
    put("bomb_ihdr.png", bomb)
    put("truncated.png", good[: len(good) // 2])


def djpeg(path, scale=None):
    cmd = ["djpeg", "-pnm"] + (["-scale", scale] if scale else []) + [path]
    return subprocess.run(cmd, check=True, capture_output=True).stdout


def gen_jpeg():
    specs = {  # name: (channels, subsampling)
        "gray": (1, None), "rgb420": (3, 2), "rgb444": (3, 0), "rgb422": (3, 1),
    }
    w, h = 61, 47
    for name, (c, ss) in specs.items():
        a = scene(h, w, c)
        im = Image.fromarray(a[:, :, 0] if c == 1 else a)
        buf = io.BytesIO()
        kw = {"quality": 90}
        if ss is not None:
            kw["subsampling"] = ss
        im.save(buf, "JPEG", **kw)
        path = os.path.join(OUT, name + ".jpg")
        put(name + ".jpg", buf.getvalue())
        put(name + ".pnm", djpeg(path))
        if name in ("gray", "rgb420"):
            for s in ("1/2", "1/4", "1/8"):
                put("%s_s%s.pnm" % (name, s[-1]), djpeg(path, s))
    # progressive colour
    a = scene(h, w, 3)
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, "JPEG", quality=85, progressive=True)
    put("rgb_prog.jpg", buf.getvalue())
    put("rgb_prog.pnm", djpeg(os.path.join(OUT, "rgb_prog.jpg")))
    # CMYK
    buf = io.BytesIO()
    Image.fromarray(scene(16, 16, 4), "CMYK").save(buf, "JPEG")
    put("cmyk.jpg", buf.getvalue())
    # hostile: truncated; SOF0 claiming 60000×60000
    data = open(os.path.join(OUT, "rgb420.jpg"), "rb").read()
    put("truncated.jpg", data[: len(data) * 2 // 3])
    b = bytearray(data)
    i = b.index(b"\xff\xc0")
    struct.pack_into(">HH", b, i + 5, 60000, 60000)  # FFC0 len(2) P(1) Y(2) X(2)
    put("huge_sof.jpg", bytes(b))
    struct.pack_into(">HH", b, i + 5, 7000, 8000)  # under the limit, far too little data
    put("bomb_sof.jpg", bytes(b))
    put("empty", b"")
    put("text.txt", b"id,class\n1,2\nthis is not an image\n")


def gen_ops():
    """Resize / rotate / gray references from PNG sources (decoded exactly)."""
    src = {"rgb": scene(36, 48, 3), "g": scene(36, 48, 1)}
    for name, a in src.items():
        put("op_%s.png" % name, png_bytes(pack_rows(a, 8), 48, 36, 8, 2 if name == "rgb" else 0))
        im = Image.fromarray(a[:, :, 0] if a.shape[2] == 1 else a)
        for (w, h) in ((24, 18), (17, 13), (7, 5), (5, 30), (48, 20), (61, 45), (96, 72), (100, 9)):
            write_pnm(os.path.join(OUT, "op_%s_resize_%dx%d.pnm" % (name, w, h)),
                      pil_canonical(im.resize((w, h), Image.BILINEAR)))
        for ang, fill in ((15, 0), (-30, 128), (45, 255), (90, 7), (200.5, 0), (3, 0)):
            write_pnm(os.path.join(OUT, "op_%s_rot_%s_%d.pnm" % (name, ("%g" % ang).replace("-", "m"), fill)),
                      pil_canonical(im.rotate(ang, Image.BILINEAR, fillcolor=fill if name == "g" else (fill,) * 3)))
    write_pnm(os.path.join(OUT, "op_rgb_gray.pnm"),
              pil_canonical(Image.fromarray(src["rgb"]).convert("L")))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    gen_png()
    gen_jpeg()
    gen_ops()
