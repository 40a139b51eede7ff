"""The U-Net's preprocessor: RGB halved to 64x64 (2x2 means), channels
first, scaled to [0, 1]. A plain resize: the loader assumes one for a Python
transform and warps each mask onto the tensor with it (docs/python.md)."""
import numpy as np


def transform(x):
    x = np.asarray(x, np.float32)
    if x.ndim == 2:
        x = np.repeat(x[:, :, None], 3, axis=2)
    x = x[:, :, :3] / 255.0
    h, w = x.shape[0] // 2 * 2, x.shape[1] // 2 * 2
    x = x[:h, :w].reshape(h // 2, 2, w // 2, 2, 3).mean(axis=(1, 3))
    return np.ascontiguousarray(x.transpose(2, 0, 1))
