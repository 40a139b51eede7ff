"""bf16_error_model.py — where test_nn_cuda's bf16 tolerances come from.

Not a test and not a fixture: a numpy model of what RAMP_MATH_BF16 does to
a small net (every heavy op's input, weights and output rounded to bf16 by
round-to-nearest-even, sums in fp32), against the same net in fp32, on
shapes like test_nn_cuda's (288 positions = 4 samples x 9 x 8 pixels, 27
products per output as a 3x3 convolution over 3 channels). Prints the
normalised MSE (sum of squared differences over the sum of squares, the
tests' measure) of a three-layer chain with and without a batch-norm-like
normalisation, and of a weight gradient dw = dy^T x. Run with
/usr/bin/python3 tests/bf16_error_model.py. On the author's machine:
forward 3e-5 (max 4.4e-5 over 20 draws), without normalisation 2e-5, dw
8e-6 (max 1.1e-5): hence 3e-4 for outputs and probabilities (some 7x the
worst draw: nets 1 and 2 chain more ops) and 3e-3 for gradients (the
backward rounds dy, w and x again and compounds the forward's error).
"""
import numpy as np

rng = np.random.default_rng(0)


def bf(x):
    """fp32 -> bf16 (round to nearest, ties to even) -> fp32 (no NaN here)."""
    u = np.asarray(x, np.float32).view(np.uint32).astype(np.uint64)
    u = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    return (u.astype(np.uint32) << 16).view(np.float32)


def layer(x, w, low):
    return bf(bf(x) @ bf(w).T) if low else x @ w.T


def nmse(a, b):
    return float(((a - b) ** 2).sum() / (a ** 2).sum())


def chain(normalise):
    worst = []
    for _ in range(20):
        x = rng.uniform(-1, 1, (288, 27)).astype(np.float32)
        ws = [rng.normal(0, 1 / np.sqrt(n), (m, n)).astype(np.float32)
              for n, m in [(27, 54), (54, 54), (54, 5)]]
        a = b = x
        errs = []
        for i, w in enumerate(ws):
            a, b = layer(a, w, False), layer(b, w, True)
            if i < 2:
                if normalise:
                    a = (a - a.mean(0)) / (a.std(0) + 1e-5)
                    b = (b - b.mean(0)) / (b.std(0) + 1e-5)
                a, b = np.maximum(a, 0), np.maximum(b, 0)
            errs.append(nmse(a, b))
        worst.append(max(errs))
    return np.median(worst), max(worst)


print("forward, normalised: median %.2e max %.2e" % chain(True))
print("forward, plain:      median %.2e max %.2e" % chain(False))
worst = []
for _ in range(20):
    x = rng.uniform(-1, 1, (288, 27)).astype(np.float32)
    dy = rng.normal(0, 1, (288, 6)).astype(np.float32)
    worst.append(nmse(dy.T @ x, bf(bf(dy).T @ bf(x))))
print("weight gradient:     median %.2e max %.2e" % (np.median(worst), max(worst)))
