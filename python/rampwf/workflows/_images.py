"""Image decoding and rotation for the pure-Python workflows.

Images are read as rampwf reads them (``skimage.io.imread``): gray is
H x W, RGB H x W x 3, RGBA H x W x 4, palette images expanded to RGB(A).
Pillow does the decoding when present, else scikit-image. (Inside ramp's
fold the images come from ramp's C loader instead, where gray is
H x W x 1; see docs/python.md.)
"""
import os

import numpy as np


def n_workers(n_jobs):
    """Threads for joblib's ``n_jobs``: n > 0 as is, -1 all cores, -2 all
    but one, ..., at least 1."""
    if n_jobs is None or n_jobs == 0:
        return 1
    if n_jobs < 0:
        return max(1, (os.cpu_count() or 1) + 1 + n_jobs)
    return int(n_jobs)


def imread(path):
    """The image file ``path`` as a numpy array (a fresh, writable one)."""
    try:
        from PIL import Image
    except ImportError:
        try:
            from skimage.io import imread as sk_imread
        except ImportError:
            raise ImportError(
                'reading images needs Pillow (pip install Pillow; Debian: '
                'python3-pil) or scikit-image') from None
        return sk_imread(path)
    with Image.open(path) as im:
        im.load()
        if im.mode == 'P':
            im = im.convert('RGBA' if 'transparency' in im.info else 'RGB')
        elif im.mode == '1':
            im = im.convert('L')
        elif im.mode in ('CMYK', 'YCbCr', 'LAB', 'HSV'):
            im = im.convert('RGB')
        return np.array(im)


def rotate(x, angle):
    """``x`` (H x W or H x W x C) rotated by ``angle`` degrees
    counter-clockwise about its centre, same size, bilinear, zeros outside;
    float64, values kept in their range (skimage's preserve_range)."""
    a = np.asarray(x)
    planes = a[:, :, None] if a.ndim == 2 else a
    try:
        from PIL import Image
    except ImportError:
        from skimage.transform import rotate as sk_rotate
        return sk_rotate(a, angle, preserve_range=True)
    bilinear = getattr(Image, 'Resampling', Image).BILINEAR
    out = np.empty(planes.shape, dtype=np.float64)
    for c in range(planes.shape[2]):
        plane = np.ascontiguousarray(planes[:, :, c], dtype=np.float32)
        im = Image.fromarray(plane)
        out[:, :, c] = np.asarray(im.rotate(angle, resample=bilinear,
                                            fillcolor=0.0))
    return out[:, :, 0] if a.ndim == 2 else out
