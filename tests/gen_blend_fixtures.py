#!/usr/bin/python3
"""Writes tests/fixtures/blend/: a small blending problem and the results of
a plain numpy/sklearn reference of RAMP's greedy blend, for tests/test_blend.c.

    /usr/bin/python3 tests/gen_blend_fixtures.py

The reference is written from the algorithm's definition, with none of the
C code's shortcuts: every candidate ensemble is materialised as the mean of
the selected matrices and scored with scikit-learn.

Files: y_train.npy, y_test.npy (int64), valid_index_f{F}.npy (int64),
valid_f{F}.npy (n_sub*n_valid × c, '<f4', submission-major), test_f{F}.npy
(n_sub*n_test × c, '<f4'), expected.txt:
    blend KIND PARAM MAX_N MIN_IMPROVEMENT
    selected F i0 i1 ...
    contributivity x0 x1 ...
    fold_valid v0 v1 ... / fold_best b0 ... / fold_best_valid ...
    combined_valid V / combined_test T / foldwise_best_valid / foldwise_best_test
"""
import os
import warnings

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, log_loss, top_k_accuracy_score

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "blend")
EPS = 1e-15
N_SUB, N_FOLDS, C, N_TRAIN, N_VALID, N_TEST = 8, 3, 5, 90, 30, 40
LOWER = {"nll", "error"}


def score(kind, param, p, y):
    keep = ~np.all(np.isnan(p), axis=1)
    p, y = p[keep], y[keep]
    pred = np.argmax(p, axis=1)
    if kind == "accuracy":
        return accuracy_score(y, pred)
    if kind == "error":
        return 1 - accuracy_score(y, pred)
    if kind == "nll":
        return log_loss(y, p, eps=EPS, labels=list(range(C)))
    if kind == "macro_f1":
        return f1_score(y, pred, average="macro", labels=np.union1d(y, pred), zero_division=0)
    if kind == "f1_above":
        f = f1_score(y, pred, average=None, labels=np.union1d(y, pred), zero_division=0)
        return np.count_nonzero(f > param) / len(f)
    if kind == "top_k":
        return top_k_accuracy_score(y, p, k=int(param), labels=list(range(C)))
    raise ValueError(kind)


def better(kind, a, b):
    return a < b if kind in LOWER else a > b


def clip_renorm(p):
    q = np.clip(p.astype(np.float64), EPS, 1 - EPS)
    return q / np.nansum(q, axis=1, keepdims=True)


def combine(mats):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(np.stack([clip_renorm(m) for m in mats]), axis=0)


def blend(kind, param, max_n, min_imp, valid, test, idx, y_train, y_test):
    contrib = np.zeros(N_SUB)
    res = {"selected": [], "fold_valid": [], "fold_best": [], "fold_best_valid": []}
    bag_v, bag_b, bag_t, bag_tb = [], [], [], []
    for f in range(N_FOLDS):
        y = y_train[idx[f]]
        # prepared copies: clip + renormalise in double, kept as float32
        preds = [clip_renorm(v).astype(np.float32).astype(np.float64) for v in valid[f]]
        singles = [score(kind, param, p, y) for p in preds]
        best = 0
        for s in range(1, N_SUB):
            if better(kind, singles[s], singles[best]):
                best = s
        sel, cur = [best], singles[best]
        while len(sel) < max_n:
            bj, bs = -1, cur
            for j in range(N_SUB):
                comb = np.mean(np.stack([preds[i] for i in sel + [j]]), axis=0)
                s = score(kind, param, comb, y)
                if better(kind, s, bs):
                    bj, bs = j, s
            if bj < 0 or not abs(bs - cur) > min_imp:
                break
            sel.append(bj)
            cur = bs
        res["selected"].append(sel)
        for s in sel:
            contrib[s] += 1 / len(sel) / N_FOLDS
        comb = np.mean(np.stack([preds[i] for i in sel]), axis=0)
        res["fold_valid"].append(score(kind, param, comb, y))
        res["fold_best"].append(best)
        res["fold_best_valid"].append(singles[best])
        full = np.full((N_TRAIN, C), np.nan)
        full[idx[f]] = comb
        bag_v.append(full)
        full = np.full((N_TRAIN, C), np.nan)
        full[idx[f]] = preds[best]
        bag_b.append(full)
        bag_t.append(np.mean(np.stack([clip_renorm(test[f][i]) for i in sel]), axis=0))
        bag_tb.append(clip_renorm(test[f][best]))
    res["contributivity"] = list(contrib)
    res["combined_valid"] = score(kind, param, combine(bag_v), y_train)
    res["foldwise_best_valid"] = score(kind, param, combine(bag_b), y_train)
    res["combined_test"] = score(kind, param, combine(bag_t), y_test)
    res["foldwise_best_test"] = score(kind, param, combine(bag_tb), y_test)
    return res


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(7)
    y_train = rng.integers(0, C, N_TRAIN)
    y_test = rng.integers(0, C, N_TEST)
    # ShuffleSplit-like folds: validation sets may overlap; a few samples in none
    idx = [np.sort(rng.choice(N_TRAIN, N_VALID, replace=False)) for _ in range(N_FOLDS)]
    skill = rng.uniform(0.2, 2.0, N_SUB)

    def make(y, s):
        p = rng.dirichlet(np.ones(C), len(y))
        hit = rng.random(len(y)) < 0.5
        p[np.arange(len(y))[hit], y[hit]] += skill[s] * rng.random(hit.sum())
        p *= rng.uniform(0.5, 2.0, (len(y), 1))  # rows not summing to 1
        p[rng.random(p.shape) < 0.05] = 0.0
        return p.astype(np.float32)

    valid, test = [], []
    for f in range(N_FOLDS):
        valid.append([make(y_train[idx[f]], s) for s in range(N_SUB)])
        test.append([make(y_test, s) for s in range(N_SUB)])
        valid[f][7] = valid[f][2].copy()  # a duplicate: ties go to the first index
        test[f][7] = test[f][2].copy()
    np.save(os.path.join(OUT, "y_train.npy"), y_train.astype(np.int64))
    np.save(os.path.join(OUT, "y_test.npy"), y_test.astype(np.int64))
    for f in range(N_FOLDS):
        np.save(os.path.join(OUT, f"valid_index_f{f}.npy"), idx[f].astype(np.int64))
        np.save(os.path.join(OUT, f"valid_f{f}.npy"), np.concatenate(valid[f]))
        np.save(os.path.join(OUT, f"test_f{f}.npy"), np.concatenate(test[f]))

    lines = [f"# generated by tests/gen_blend_fixtures.py: n_sub {N_SUB} folds {N_FOLDS} "
             f"classes {C} n_train {N_TRAIN} n_valid {N_VALID} n_test {N_TEST}"]
    runs = [("accuracy", 0, 80, 0.0), ("nll", 0, 80, 0.0), ("error", 0, 3, 0.0),
            ("macro_f1", 0, 80, 0.0), ("f1_above", 0.3, 80, 0.0), ("top_k", 2, 80, 0.0),
            ("nll", 0, 80, 0.01)]
    for kind, param, max_n, min_imp in runs:
        r = blend(kind, param, max_n, min_imp, valid, test, idx, y_train, y_test)
        lines.append(f"blend {kind} {param!r} {max_n} {min_imp!r}")
        for f, sel in enumerate(r["selected"]):
            lines.append(f"selected {f} " + " ".join(map(str, sel)))
        for key in ("contributivity", "fold_valid", "fold_best", "fold_best_valid"):
            lines.append(key + " " + " ".join(repr(float(v)) for v in r[key]))
        for key in ("combined_valid", "combined_test", "foldwise_best_valid",
                    "foldwise_best_test"):
            lines.append(f"{key} {float(r[key])!r}")
        print(kind, param, [len(s) for s in r["selected"]], r["combined_test"])
    with open(os.path.join(OUT, "expected.txt"), "w") as fh:
        fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
