#!/usr/bin/python3
"""Generates tests/fixtures/image/: small test images and their references.

Run with Debian's python3 (skimage 0.19, imageio 2.4, Pillow 9.4, numpy)
and djpeg (libjpeg-turbo):
    /usr/bin/python3 tests/gen_image_fixtures.py

References are independent of ramp:
- PNG: decoded by skimage.io.imread, what rampwf hands a kit (and
  cross-checked against the numpy source, so 16-bit reduction, palette
  expansion, gray+alpha → RGBA and low-bit scaling are what we say).
- JPEG: decoded by `djpeg -pnm` at scales 1, 1/2, 1/4, 1/8; CMYK and YCCK
  by skimage.io.imread (Pillow's CMYK → RGB), scaled ones by Pillow's
  draft() (libjpeg's DCT scaling) then convert("RGB").
- resize: Pillow Image.resize(size, Image.BILINEAR); rotate: Pillow
  Image.rotate(angle, Image.BILINEAR, fillcolor=fill); gray: convert("L").
All references are PNM: P5 (gray), P6 (RGB), P7 (gray+alpha, RGBA); maxval
65535 (big-endian samples) for 16-bit ones (*_16.pnm).
PNGs are written by the small writer below, so odd kinds (16-bit, low bit
depth, tRNS, interlace, bad CRC, huge IHDR) are easy to make. YCCK JPEGs
come from libturbojpeg (through ctypes): Pillow cannot write them.

With --imread DIR it instead writes the images of the imread parity test
(tests/test_imread_parity.c) into DIR, with imread's decode of each as
NAME.imread.npy and a list in DIR/manifest.txt; --compare DIR compares
those with ramp's NAME.ramp.npy and prints the table (exit 1 on any
difference).
"""
import ctypes
import io
import os
import shutil
import struct
import subprocess
import sys
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


def adam7_png(a, depth, ctype, plte=None):
    """Interlaced PNG of a (h×w×c)."""
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
    if plte is not None:
        out += chunk(b"PLTE", plte)
    out += chunk(b"IDAT", zlib.compress(raw, 9))
    out += chunk(b"IEND", b"")
    return out


def write_pnm(path, a):
    """uint8 (maxval 255) or uint16 (maxval 65535, big-endian) h×w[×c]."""
    wide = a.dtype == np.uint16
    a = np.ascontiguousarray(a, dtype=">u2" if wide else np.uint8)
    if a.ndim == 2:
        a = a[:, :, None]
    h, w, c = a.shape
    mv = 65535 if wide else 255
    if c == 1:
        head = b"P5\n%d %d\n%d\n" % (w, h, mv)
    elif c == 3:
        head = b"P6\n%d %d\n%d\n" % (w, h, mv)
    else:
        tupl = b"GRAYSCALE_ALPHA" if c == 2 else b"RGB_ALPHA"
        head = b"P7\nWIDTH %d\nHEIGHT %d\nDEPTH %d\nMAXVAL %d\nTUPLTYPE %s\nENDHDR\n" % (w, h, c, mv, tupl)
    with open(path, "wb") as f:
        f.write(head + a.tobytes())


def put(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def imread(data, suffix):
    """skimage.io.imread of encoded bytes (through a file, as rampwf reads)."""
    import tempfile

    import skimage.io

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "x" + suffix)
        with open(path, "wb") as f:
            f.write(data)
        return np.asarray(skimage.io.imread(path))


def hwc(a):
    return a[:, :, None] if a.ndim == 2 else a


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
        ref = hwc(imread(data, ".png"))
        if name == "g16":  # imread keeps 16-bit gray: uint16
            assert ref.dtype == np.uint16 and np.array_equal(ref, a), name
            write_pnm(os.path.join(OUT, "g16_16.pnm"), ref)
            ref = (ref >> 8).astype(np.uint8)  # ramp's 8-bit view
        expect = (a >> 8).astype(np.uint8) if depth == 16 else a
        if c == 2:  # imageio converts every mode with alpha to RGBA
            expect = expect[:, :, [0, 0, 0, 1]]
        assert ref.dtype == np.uint8 and np.array_equal(ref, expect), name
        write_pnm(os.path.join(OUT, name + ".pnm"), ref)
    # low bit depth gray: scaled to 0..255 (imread of a 1-bit PNG: uint8 0/255)
    for depth in (1, 2, 4):
        a = rng.integers(0, 1 << depth, (h, w, 1))
        data = png_bytes(pack_rows(a, depth), w, h, depth, 0)
        put("g%d.png" % depth, data)
        ref = hwc(imread(data, ".png"))
        assert ref.dtype == np.uint8
        assert np.array_equal(ref, (a * (255 // ((1 << depth) - 1))).astype(np.uint8))
        write_pnm(os.path.join(OUT, "g%d.pnm" % depth), ref)
    # palette, 8-bit and 4-bit, without and with tRNS: a colour palette → RGBA
    pal = rng.integers(0, 256, (16, 3)).astype(np.uint8)
    idx = rng.integers(0, 16, (h, w, 1))
    for depth, trns, name in ((8, None, "pal8"), (4, None, "pal4"), (8, True, "pal8_trns")):
        t = bytes(rng.integers(0, 256, 10).astype(np.uint8)) if trns else None  # 10 < 16 entries
        data = png_bytes(pack_rows(idx, depth), w, h, depth, 3, plte=pal.tobytes(), trns=t)
        put(name + ".png", data)
        ref = hwc(imread(data, ".png"))
        alpha = np.full(16, 255, np.uint8)
        if trns:
            alpha[:10] = np.frombuffer(t, np.uint8)
        expect = np.concatenate([pal[idx[:, :, 0]], alpha[idx[:, :, 0]][:, :, None]], axis=2)
        assert np.array_equal(ref, expect), name
        write_pnm(os.path.join(OUT, name + ".pnm"), ref)
    # interlaced RGB
    a = scene(h, w, 3)
    data = adam7_png(a, 8, 2)
    put("rgb8_adam7.png", data)
    ref = hwc(imread(data, ".png"))
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


# ---- four-component JPEGs ---------------------------------------------------

TJPF_CMYK = 11  # turbojpeg.h
TJSAMP = {"444": 0, "422": 1, "420": 2}


def tj_compress_cmyk(a, subsamp, quality=90):
    """CMYK samples (h×w×4 uint8) → a YCCK JPEG, by libturbojpeg (which
    writes four-component images as YCCK with an Adobe marker)."""
    tj = ctypes.CDLL("libturbojpeg.so.0")
    tj.tjInitCompress.restype = ctypes.c_void_p
    handle = ctypes.c_void_p(tj.tjInitCompress())
    src = np.ascontiguousarray(a, np.uint8)
    h, w = src.shape[:2]
    buf = ctypes.POINTER(ctypes.c_ubyte)()
    size = ctypes.c_ulong(0)
    r = tj.tjCompress2(handle, src.ctypes.data_as(ctypes.POINTER(ctypes.c_ubyte)), w, 0, h,
                       TJPF_CMYK, ctypes.byref(buf), ctypes.byref(size), TJSAMP[subsamp], quality, 0)
    assert r == 0, "tjCompress2 failed"
    data = ctypes.string_at(buf, size.value)
    tj.tjFree(buf)
    tj.tjDestroy(handle)
    i = app14(data)
    assert data[i + 4 + 11] == 2, "not YCCK"  # Adobe transform byte
    return data


def pil_cmyk_jpeg(a, **kw):
    buf = io.BytesIO()
    Image.fromarray(a, "CMYK").save(buf, "JPEG", **kw)
    return buf.getvalue()


def app14(data):
    """Offset of the Adobe APP14 marker (FF EE, length, "Adobe")."""
    i = data.index(b"Adobe") - 4
    assert data[i:i + 2] == b"\xff\xee"
    return i


def strip_app14(data):
    i = app14(data)
    n = struct.unpack(">H", data[i + 2:i + 4])[0]
    return data[:i] + data[i + 2 + n:]


def draft_rgb(data, scale):
    """Pillow's decode at DCT scale 1/scale (draft), then convert("RGB")."""
    im = Image.open(io.BytesIO(data))
    w, h = im.size
    im.draft(im.mode, (w // scale, h // scale))
    out = np.asarray(im.convert("RGB"))
    assert out.shape[:2] == ((h + scale - 1) // scale, (w + scale - 1) // scale)
    return out


# ---- the cases added with imread parity (drawn after all the others, so
#      the older fixtures keep their bytes) -----------------------------------

def gen_imread_cases():
    w, h = 23, 17
    # gray palette → 1 channel (tRNS or not); gray used range of a mixed
    # palette → 1; a colour entry inside the used range (used or not) → RGBA
    gray_pal = np.repeat(np.arange(0, 256, 17, dtype=np.uint8)[:, None], 3, axis=1)  # 16 entries
    mixed = gray_pal.copy()
    mixed[8:] = rng.integers(0, 256, (8, 3)).astype(np.uint8)
    mixed[8:, 0] = mixed[8:, 1] ^ 1  # surely not gray
    idx_lo = rng.integers(0, 8, (h, w, 1))
    idx_gap = idx_lo.copy()
    idx_gap[0, 0, 0], idx_gap[0, 1, 0] = 0, 9  # range 0..9 covers colour entries 8, 9
    t = bytes(rng.integers(0, 256, 6).astype(np.uint8))
    cases = [  # name, indices, palette, depth, tRNS, channels
        ("pal_gray", idx_lo, gray_pal, 4, None, 1),
        ("pal_gray_trns", idx_lo, gray_pal, 8, t, 1),
        ("pal_gray_used", idx_lo, mixed, 8, None, 1),
        ("pal_mixed", idx_gap, mixed, 8, t, 4),
        ("pal1", rng.integers(0, 2, (h, w, 1)), mixed[7:9], 1, None, 4),
        ("pal2", rng.integers(0, 4, (h, w, 1)), mixed[6:10], 2, None, 4),
    ]
    oob = idx_gap.copy()
    oob[2, 3, 0] = 200  # past the 16 entries: Pillow's default entry (200, 200, 200)
    cases.append(("pal_oob", oob, mixed, 8, t, 4))
    oob_gray = idx_lo.copy()
    oob_gray[1, 1, 0] = 100
    cases.append(("pal_gray_oob", oob_gray, gray_pal, 8, None, 1))
    for name, idx, pal, depth, trns, c in cases:
        data = png_bytes(pack_rows(idx, depth), w, h, depth, 3, plte=pal.tobytes(), trns=trns)
        put(name + ".png", data)
        ref = hwc(imread(data, ".png"))
        full = np.zeros((256, 4), np.uint8)  # Pillow's palette: (i, i, i) past the PLTE
        full[:, :3] = np.arange(256, dtype=np.uint8)[:, None]
        full[:, 3] = 255
        full[:len(pal), :3] = pal
        if trns is not None:
            full[:len(trns), 3] = np.frombuffer(trns, np.uint8)
        expect = full[idx[:, :, 0]]
        expect = expect[:, :, :1] if c == 1 else expect
        assert ref.dtype == np.uint8 and np.array_equal(ref, expect), name
        write_pnm(os.path.join(OUT, name + ".pnm"), ref)
    # tRNS on gray and RGB is ignored, at 8 and 16 bits
    for name, c, depth, ctype in (("g8_trns", 1, 8, 0), ("rgb8_trns", 3, 8, 2),
                                  ("g16_trns", 1, 16, 0), ("rgb16_trns", 3, 16, 2)):
        a = scene(h, w, c, 65535 if depth == 16 else 255)
        key = struct.pack(">" + "H" * c, *[int(v) for v in a[0, 0]])  # the first pixel's colour
        data = png_bytes(pack_rows(a, depth), w, h, depth, ctype, trns=key)
        put(name + ".png", data)
        ref = hwc(imread(data, ".png"))
        if name == "g16_trns":
            assert ref.dtype == np.uint16 and np.array_equal(ref, a), name
            write_pnm(os.path.join(OUT, name + "_16.pnm"), ref)
            ref = (ref >> 8).astype(np.uint8)
        expect = (a >> 8).astype(np.uint8) if depth == 16 else a
        assert ref.dtype == np.uint8 and np.array_equal(ref, expect), name
        write_pnm(os.path.join(OUT, name + ".pnm"), ref)
    # CMYK → RGB as imread gives it (the older 16×16 file, then 61×47 ones)
    write_pnm(os.path.join(OUT, "cmyk.pnm"), imread(open(os.path.join(OUT, "cmyk.jpg"), "rb").read(), ".jpg"))
    cmyk = scene(47, 61, 4)
    jpegs = {
        "cmyk61": pil_cmyk_jpeg(cmyk, quality=90),
        "ycck": tj_compress_cmyk(cmyk, "420"),
    }
    jpegs["cmyk61_noadobe"] = strip_app14(jpegs["cmyk61"])
    for name, data in jpegs.items():
        put(name + ".jpg", data)
        ref = imread(data, ".jpg")
        assert ref.shape == (47, 61, 3) and ref.dtype == np.uint8, name
        assert np.array_equal(ref, np.asarray(Image.open(io.BytesIO(data)).convert("RGB")))
        write_pnm(os.path.join(OUT, name + ".pnm"), ref)
        if name != "cmyk61_noadobe":
            for sc in (2, 4, 8):
                write_pnm(os.path.join(OUT, "%s_s%d.pnm" % (name, sc)), draft_rgb(data, sc))
    # interlaced below 8 bits: palette and gray
    for name, a, ctype, plte in (("pal2_adam7", rng.integers(0, 4, (h, w, 1)), 3, mixed[6:10]),
                                 ("g2_adam7", rng.integers(0, 4, (h, w, 1)), 0, None)):
        data = adam7_png(a, 2, ctype, None if plte is None else plte.tobytes())
        put(name + ".png", data)
        ref = hwc(imread(data, ".png"))
        expect = (a * 85).astype(np.uint8) if plte is None else np.concatenate(
            [plte[a[:, :, 0]], np.full((h, w, 1), 255, np.uint8)], axis=2)
        assert np.array_equal(ref, expect), name
        write_pnm(os.path.join(OUT, name + ".pnm"), ref)
    # Pillow assumes Adobe's inverted CMYK whether or not the marker is there
    assert open(os.path.join(OUT, "cmyk61.pnm"), "rb").read() == open(os.path.join(OUT, "cmyk61_noadobe.pnm"), "rb").read()


# ---- the imread parity test's images (--imread DIR / --compare DIR) ----------

def parity_images(d):
    """name → (file name, bytes): Pillow-written where Pillow can write the
    kind; the PNG writer above for 16-bit colour, low bit depths and odd
    palettes; libturbojpeg for YCCK."""
    r = np.random.default_rng(20261215)
    h, w = 45, 67
    out = {}

    def pil(name, im, fmt, **kw):
        buf = io.BytesIO()
        im.save(buf, fmt, **kw)
        out[name] = (name + (".png" if fmt == "PNG" else ".jpg"), buf.getvalue())

    rgb, gray, rgba = scene(h, w, 3), scene(h, w, 1)[:, :, 0], scene(h, w, 4)
    pil("png_rgb", Image.fromarray(rgb), "PNG")
    pil("png_gray", Image.fromarray(gray), "PNG")
    pil("png_la", Image.fromarray(rgba[:, :, [0, 3]], "LA"), "PNG")
    pil("png_rgba", Image.fromarray(rgba, "RGBA"), "PNG")
    pil("png_1bit", Image.fromarray(gray).convert("1"), "PNG")
    p = Image.fromarray(rgb).quantize(40)
    pil("png_p", p, "PNG")
    pil("png_p_trns", p, "PNG", transparency=bytes(r.integers(0, 256, 40).astype(np.uint8)))
    pil("png_p_trns1", p, "PNG", transparency=5)
    pil("png_p_gray", Image.fromarray(gray).convert("P"), "PNG")  # web palette: gray entries only?
    g = Image.fromarray(gray).quantize(16)
    pil("png_p_grayq", g, "PNG")
    pil("png_gray_trns", Image.fromarray(gray), "PNG", transparency=int(gray[0, 0]))
    pil("png_rgb_trns", Image.fromarray(rgb), "PNG", transparency=tuple(int(v) for v in rgb[0, 0]))
    g16 = scene(h, w, 1, 65535)[:, :, 0]
    pil("png_gray16", Image.fromarray(g16.astype("<u2"), "I;16"), "PNG")
    for name, c, depth, ctype in (("png_rgb16", 3, 16, 2), ("png_rgba16", 4, 16, 6), ("png_la16", 2, 16, 4),
                                  ("png_gray2", 1, 2, 0), ("png_gray4", 1, 4, 0)):
        a = scene(h, w, c, 65535 if depth == 16 else (1 << depth) - 1)
        out[name] = (name + ".png", png_bytes(pack_rows(a, depth), w, h, depth, ctype))
    a16 = scene(h, w, 1, 65535)
    out["png_gray16_trns"] = ("png_gray16_trns.png", png_bytes(pack_rows(a16, 16), w, h, 16, 0,
                                                               trns=struct.pack(">H", int(a16[0, 0, 0]))))
    pal = r.integers(0, 256, (16, 3)).astype(np.uint8)
    idx = r.integers(0, 16, (h, w, 1))
    idx[3, 4, 0] = 77
    out["png_p_oob"] = ("png_p_oob.png", png_bytes(pack_rows(idx, 8), w, h, 8, 3, plte=pal.tobytes()))
    out["png_adam7"] = ("png_adam7.png", adam7_png(rgb, 8, 2))
    out["png_p2_adam7"] = ("png_p2_adam7.png", adam7_png(r.integers(0, 4, (h, w, 1)), 2, 3, pal[:4].tobytes()))
    out["png_gray16_adam7"] = ("png_gray16_adam7.png", adam7_png(a16, 16, 0))
    pil("jpg_rgb420", Image.fromarray(rgb), "JPEG", quality=90)
    pil("jpg_rgb444", Image.fromarray(rgb), "JPEG", quality=90, subsampling=0)
    pil("jpg_rgb422", Image.fromarray(rgb), "JPEG", quality=75, subsampling=1)
    pil("jpg_gray", Image.fromarray(gray), "JPEG", quality=90)
    pil("jpg_prog", Image.fromarray(rgb), "JPEG", quality=85, progressive=True)
    pil("jpg_gray_prog", Image.fromarray(gray), "JPEG", quality=85, progressive=True)
    pil("jpg_cmyk", Image.fromarray(rgba, "CMYK"), "JPEG", quality=90)
    out["jpg_cmyk_noadobe"] = ("jpg_cmyk_noadobe.jpg", strip_app14(out["jpg_cmyk"][1]))
    out["jpg_ycck420"] = ("jpg_ycck420.jpg", tj_compress_cmyk(rgba, "420"))
    out["jpg_ycck444"] = ("jpg_ycck444.jpg", tj_compress_cmyk(rgba, "444", 80))
    return out


def parity_generate(d):
    import warnings

    import skimage
    import skimage.io

    warnings.simplefilter("ignore")  # Pillow's advice on palette transparency

    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    from PIL import features
    with open(os.path.join(d, "manifest.txt"), "w") as m:
        for name, (fname, data) in parity_images(d).items():
            path = os.path.join(d, fname)
            with open(path, "wb") as f:
                f.write(data)
            np.save(os.path.join(d, name + ".imread.npy"), np.asarray(skimage.io.imread(path)))
            m.write("%s %s\n" % (name, fname))
    with open(os.path.join(d, "versions.txt"), "w") as f:
        import imageio
        f.write("skimage %s, imageio %s, Pillow %s (libjpeg-turbo %s)\n" % (
            skimage.__version__, imageio.__version__, Image.__version__, features.version("libjpeg_turbo")))


def parity_compare(d):
    bad = 0
    print(open(os.path.join(d, "versions.txt")).read().strip())
    print("| image | imread | ramp | max abs diff |")
    print("| --- | --- | --- | --- |")
    for line in open(os.path.join(d, "manifest.txt")):
        name, fname = line.split()
        ref = np.load(os.path.join(d, name + ".imread.npy"))
        rp = os.path.join(d, name + ".ramp.npy")
        if not os.path.exists(rp):
            print("| %s | %s %s | (no decode) | |" % (name, ref.shape, ref.dtype))
            bad += 1
            continue
        got = np.load(rp)
        same = ref.shape == got.shape and ref.dtype == got.dtype
        diff = int(np.abs(ref.astype(np.int64) - got.astype(np.int64)).max()) if ref.shape == got.shape else None
        print("| %s | %s %s | %s %s | %s |" % (name, ref.shape, ref.dtype, got.shape, got.dtype,
                                               "-" if diff is None else diff))
        if not same or diff != 0:
            bad += 1
    print("%d of %d differ" % (bad, len(open(os.path.join(d, "manifest.txt")).readlines())))
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--imread":
        parity_generate(sys.argv[2])
        sys.exit(0)
    if len(sys.argv) == 3 and sys.argv[1] == "--compare":
        sys.exit(parity_compare(sys.argv[2]))
    os.makedirs(OUT, exist_ok=True)
    gen_png()
    gen_jpeg()
    gen_ops()
    gen_imread_cases()
