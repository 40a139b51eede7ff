#!/usr/bin/python3
"""Writes tests/fixtures/segmentation/: label maps and numpy reference values
of the four segmentation scores, for tests/test_segmentation.c.

    /usr/bin/python3 tests/gen_segmentation_fixtures.py

expected.txt lines:
    case NAME N_CLASSES IGNORE DTYPE_BITS TRUTH_FILE PRED_FILE SIZE0 SIZE1 ...
    scores PIXEL_ACC MEAN_ACC MEAN_IU FW_IU N_TRUTH_CLASSES N_PRESENT_CLASSES
Label maps of all images are concatenated, flattened, as '<i4'.
"""
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "segmentation")


def reference(truth, pred, n, ignore):
    keep = truth != ignore
    t, p = truth[keep].astype(np.int64), pred[keep].astype(np.int64)
    hist = np.bincount(n * t + p, minlength=n * n).reshape(n, n)
    diag = np.diag(hist).astype(np.float64)
    ti = hist.sum(axis=1).astype(np.float64)
    col = hist.sum(axis=0).astype(np.float64)
    present = (ti + col) > 0
    in_truth = ti > 0
    iu = np.zeros(n)
    iu[present] = diag[present] / (ti + col - diag)[present]
    acc = diag.sum() / hist.sum()
    macc = np.mean(diag[in_truth] / ti[in_truth])
    miu = np.mean(iu[present])
    fw = (ti[present] * iu[present]).sum() / ti.sum()
    return acc, macc, miu, fw, int(in_truth.sum()), int(present.sum())


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(99)
    lines = []
    cases = [("u8", 21, 255, 8, [(40, 30), (17, 64), (1, 1), (50, 50)]),
             ("u16", 300, 1000, 16, [(64, 64), (33, 20), (80, 40)])]
    for name, n, ignore, bits, sizes in cases:
        truths, preds = [], []
        for h, w in sizes:
            t = rng.integers(0, n - 3, (h, w))  # classes n-3.. never true
            p = np.where(rng.random((h, w)) < 0.6, t, rng.integers(0, n - 1, (h, w)))  # n-1 never
            t[rng.random((h, w)) < 0.1] = ignore
            p[(t == ignore) & (rng.random((h, w)) < 0.5)] = ignore  # ignored truth: pred anything
            truths.append(t.ravel())
            preds.append(p.ravel())
        truth = np.concatenate(truths).astype(np.int32)
        pred = np.concatenate(preds).astype(np.int32)
        np.save(os.path.join(OUT, f"{name}_truth.npy"), truth)
        np.save(os.path.join(OUT, f"{name}_pred.npy"), pred)
        lines.append(f"case {name} {n} {ignore} {bits} {name}_truth.npy {name}_pred.npy "
                     + " ".join(str(h * w) for h, w in sizes))
        acc, macc, miu, fw, nt, npres = reference(truth, pred, n, ignore)
        lines.append(f"scores {acc!r} {macc!r} {miu!r} {fw!r} {nt} {npres}")
    with open(os.path.join(OUT, "expected.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
