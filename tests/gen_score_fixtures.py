#!/usr/bin/python3
"""Writes tests/fixtures/score/: inputs (.npy) and expected scores computed
with scikit-learn, for tests/test_score.c and tests/test_npy.c.

rampwf's scores are computed as rampwf calls sklearn: BalancedAccuracy is
balanced_accuracy_score(adjusted=True), MacroAveragedRecall recall_score(
average='macro'), BrierScore and ROCAUC brier_score_loss / roc_auc_score of
the class indices against column 1 (only where sklearn defines them).

Run with Debian's python3 (numpy, python3-sklearn):
    /usr/bin/python3 tests/gen_score_fixtures.py
Output is deterministic (fixed seeds); rerunning rewrites identical files.

expected.txt lines:
    case NAME N C PROBA_FILE Y_FILE
    score KIND PARAM VALUE          (VALUE printed with repr: round-trips)
    combine OUT_FILE K IN_FILE...   (RAMP's combine rule, numpy reference)
"""
import os
import sys
from fractions import Fraction

import warnings

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, log_loss, top_k_accuracy_score
from sklearn.metrics import balanced_accuracy_score, brier_score_loss, recall_score
from sklearn.metrics import confusion_matrix, roc_auc_score

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "score")
EPS = 1e-15


def f1_counts(y, pred, labels):
    """Exactly rounded per-class F1 2tp/(2tp+fp+fn) from the confusion matrix."""
    cm = confusion_matrix(y, pred, labels=labels)
    tp = np.diag(cm).astype(np.int64)
    fp = cm.sum(axis=0) - tp
    fn = cm.sum(axis=1) - tp
    den = 2 * tp + fp + fn
    return np.array([float(Fraction(2 * int(a), int(d))) if d else 0.0 for a, d in zip(tp, den)])


def scores(proba, y, c):
    """Reference values: list of (kind, param, value)."""
    p = proba.astype(np.float64)
    pred = np.argmax(p, axis=1)  # first maximum on ties
    union = np.union1d(y, pred)
    out = []
    acc = accuracy_score(y, pred)
    out.append(("accuracy", 0, acc))
    out.append(("error", 0, 1.0 - acc))
    out.append(("nll", 0, log_loss(y, p, eps=EPS, labels=list(range(c)))))
    f1_sk = f1_score(y, pred, average=None, labels=union, zero_division=0)
    f1_ex = f1_counts(y, pred, union)
    # sklearn 1.2 computes F1 as 2pr/(p+r), which can miss the exactly
    # rounded value by an ulp (0.5000000000000001 for tp=4, fp=1, fn=7); ramp
    # uses the exactly rounded 2tp/(2tp+fp+fn). They must agree to 1e-15.
    assert np.all(np.abs(f1_sk - f1_ex) <= 1e-15), (f1_sk, f1_ex)
    for theta in (0.0, 0.5, 0.7):
        n_sk = int(np.count_nonzero(f1_sk > theta))
        n_ex = int(np.count_nonzero(f1_ex > theta))
        if n_sk != n_ex:
            print(f"  note: theta={theta}: sklearn-1.2 rounding counts {n_sk}, exact {n_ex}")
        out.append(("f1_above", theta, n_ex / len(union)))
    macro = f1_score(y, pred, average="macro", labels=union, zero_division=0)
    assert abs(macro - f1_ex.mean()) <= 1e-15
    out.append(("macro_f1", 0, macro))
    if c >= 3:
        for k in (1, 2, 3, 5):
            if k <= c:
                out.append(("top_k", k, top_k_accuracy_score(y, p, k=k, labels=list(range(c)))))
    with warnings.catch_warnings():
        # "y_pred contains classes not in y_true": rampwf sees the same warning
        warnings.simplefilter("ignore", UserWarning)
        out.append(("balanced_accuracy", 0, balanced_accuracy_score(y, pred, adjusted=True)))
    out.append(("macro_recall", 0, recall_score(y, pred, average="macro", zero_division=0)))
    # rampwf's binary scores: column 1 against the class indices, where
    # sklearn accepts them (at most two labels; both present for ROC AUC)
    if len(np.unique(y)) <= 2:
        out.append(("brier", 0, brier_score_loss(y, p[:, 1])))
    if len(np.unique(y)) == 2:
        out.append(("roc_auc", 0, roc_auc_score(y, p[:, 1])))
    return out


def save(name, arr):
    np.save(os.path.join(OUT, name), arr)
    return name


def main():
    os.makedirs(OUT, exist_ok=True)
    lines = []
    rng = np.random.default_rng(20240611)

    def case(name, proba, y, c):
        pf = save(f"{name}_proba.npy", proba)
        yf = save(f"{name}_y.npy", y)
        lines.append(f"case {name} {len(y)} {c} {pf} {yf}")
        for kind, param, v in scores(proba, y, c):
            lines.append(f"score {kind} {param!r} {float(v)!r}")

    # 1. ties, a class absent from truth (4), a class never predicted (3)
    c = 6
    n = 60
    p = rng.random((n, c))
    p[:, 3] *= 0.01
    y = rng.integers(0, c, n)
    y[y == 4] = 0
    for i in range(0, n, 5):  # exact ties between two top entries
        j, k = rng.choice([0, 1, 2, 5], 2, replace=False)
        p[i, j] = p[i, k] = 2.0
    for i in range(1, n, 7):  # a row of equal values
        p[i, :] = 0.25
    case("ties", p, y.astype(np.int64), c)

    # 2. zeros, rows not summing to 1, an all-zero row, values above 1
    c, n = 10, 300
    p = rng.random((n, c)) * rng.uniform(0.1, 3.0, (n, 1))
    p[rng.random((n, c)) < 0.3] = 0.0
    p[7, :] = 0.0
    p[8, 2] = 1.0
    p[9, 4] = 5.0
    y = rng.integers(0, c, n)
    case("zeros", p, y.astype(np.int32), c)

    # 3. 403 classes, n = 1000, peaked predictions, many classes unused.
    #    np.exp may differ in the last bit from one CPU's SIMD code to
    #    another's: a rerun elsewhere can rewrite c403_proba.npy by 1 ulp
    #    (the committed file is the reference; expected.txt is unchanged).
    c, n = 403, 1000
    y = rng.integers(0, 300, n)
    logits = rng.normal(0, 1, (n, c))
    logits[np.arange(n), y] += rng.uniform(0, 5, n)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    case("c403", p, y.astype(np.int64), c)

    # 4. float32 predictions (the engine's output): the reference scores the
    #    float64 conversion, as ramp_score_compute_f does
    c, n = 7, 500
    y = rng.integers(0, c, n)
    p = rng.dirichlet(np.ones(c), n)
    p[np.arange(n), y] += rng.uniform(0, 0.5, n)
    p32 = (p / p.sum(axis=1, keepdims=True)).astype(np.float32)
    pf = save("f32_proba.npy", p32)
    yf = save("f32_y.npy", y.astype(np.int32))
    lines.append(f"case f32 {n} {c} {pf} {yf}")
    for kind, param, v in scores(p32.astype(np.float64), y, c):
        lines.append(f"score {kind} {param!r} {float(v)!r}")

    # 5. F1 exactly at the threshold: class 0 with tp=4, fp=1, fn=7 has
    #    F1 = 0.5 (sklearn 1.2: 0.5000000000000001), class 1 with tp=1, fp=1,
    #    fn=1 also 0.5; neither is > 0.5.
    yt, yp = [], []
    yt += [0] * 4; yp += [0] * 4
    yt += [1]; yp += [0]
    yt += [0] * 7; yp += [2] * 7
    yt += [1, 1, 2, 2, 2]; yp += [1, 2, 1, 2, 2]
    yt += [3, 3]; yp += [3, 3]
    yt, yp = np.array(yt), np.array(yp)
    c = 5
    p = np.full((len(yt), c), 0.05)
    p[np.arange(len(yt)), yp] = 0.8
    case("f1edge", p, yt.astype(np.int64), c)

    # combine rule: three matrices, NaN rows (outside a fold), one NaN cell,
    # out-of-range values
    c, n = 4, 12
    ins = []
    for m in range(3):
        a = rng.random((n, c)) * 1.5
        a[rng.random((n, c)) < 0.1] = 0.0
        ins.append(a)
    ins[0][0:4, :] = np.nan
    ins[1][3:7, :] = np.nan
    ins[2][3, :] = np.nan  # row 3: NaN everywhere -> stays NaN
    ins[2][8, 1] = np.nan  # one NaN cell
    ins[1][9, 2] = -0.5
    ins[0][10, 0] = 2.0
    names = [save(f"comb_in{m}.npy", a) for m, a in enumerate(ins)]
    prep = []
    for a in ins:
        q = np.clip(a, EPS, 1 - EPS)
        q = q / np.nansum(q, axis=1, keepdims=True)
        prep.append(q)
    with np.errstate(invalid="ignore"):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            comb = np.nanmean(np.stack(prep), axis=0)
    save("comb_out.npy", comb)
    lines.append(f"combine comb_out.npy 3 {' '.join(names)}")

    # 6. rampwf's binary scores (drawn after the cases above, which keep
    #    their files): two classes with tied and extreme probabilities ...
    c, n = 2, 240
    y = rng.integers(0, 2, n)
    p1 = np.clip(np.round(0.35 * y + rng.random(n) * 0.65, 2), 0.0, 1.0)
    p1[:5] = 0.0
    p1[5:10] = 1.0
    p = np.stack([1.0 - p1, p1], axis=1)
    case("bin", p, y.astype(np.int64), c)
    # ... three columns, labels 0 and 1 only (column 1 still scored) ...
    c, n = 3, 150
    y = rng.integers(0, 2, n)
    p = rng.dirichlet(np.ones(c), n)
    p[np.arange(n), y] += 0.3
    p /= p.sum(axis=1, keepdims=True)
    case("bin3", p, y.astype(np.int32), c)
    # ... labels 0 and 2: sklearn's positive class is then the larger, 2 ...
    y = np.where(rng.random(n) < 0.4, 2, 0)
    p = rng.dirichlet(np.ones(c), n)
    case("bin02", p, y.astype(np.int64), c)
    # ... and a single label (Brier only; ROC AUC is undefined)
    c, n = 2, 40
    p1 = rng.random(n)
    case("bin_all1", np.stack([1.0 - p1, p1], axis=1), np.ones(n, dtype=np.int64), c)

    with open(os.path.join(OUT, "expected.txt"), "w") as f:
        f.write("# generated by tests/gen_score_fixtures.py (sklearn %s, numpy %s)\n"
                % (__import__("sklearn").__version__, np.__version__))
        f.write("\n".join(lines) + "\n")

    # --- npy reader/writer fixtures -------------------------------------------
    a = np.arange(12, dtype=np.float64).reshape(3, 4) * 10 + 0.25  # a[i,j] = 40i + 10j + .25
    np.save(os.path.join(OUT, "npy_f8.npy"), a)
    np.save(os.path.join(OUT, "npy_f4.npy"), a.astype(np.float32))
    np.save(os.path.join(OUT, "npy_i8.npy"), np.array([0, 5, -3, 402, 7], dtype=np.int64))
    np.save(os.path.join(OUT, "npy_i4.npy"), np.array([0, 5, -3, 402, 7], dtype=np.int32))
    np.save(os.path.join(OUT, "npy_fortran.npy"), np.asfortranarray(a))
    np.save(os.path.join(OUT, "npy_big_endian.npy"), a.astype(">f8"))
    np.save(os.path.join(OUT, "npy_3d.npy"), np.zeros((2, 2, 2)))
    np.save(os.path.join(OUT, "npy_i8_big.npy"), np.array([1, 2**40], dtype=np.int64))
    with open(os.path.join(OUT, "npy_v2.npy"), "wb") as f:
        np.lib.format.write_array(f, a, version=(2, 0))
    with open(os.path.join(OUT, "npy_f8.npy"), "rb") as f:
        raw = f.read()
    with open(os.path.join(OUT, "npy_truncated.npy"), "wb") as f:
        f.write(raw[:-5])
    with open(os.path.join(OUT, "npy_badmagic.npy"), "wb") as f:
        f.write(b"\x93NUMPX" + raw[6:])
    # what ramp's writer must reproduce byte for byte (so numpy loads it)
    np.save(os.path.join(OUT, "npy_ref_f4.npy"), a.astype(np.float32))
    np.save(os.path.join(OUT, "npy_ref_i4.npy"), np.array([0, 5, -3, 402, 7], dtype=np.int32))
    np.save(os.path.join(OUT, "npy_ref_empty.npy"), np.zeros((0, 3)))
    print("wrote", OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
