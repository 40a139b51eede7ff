#!/usr/bin/python3
"""Writes tests/fixtures/detscore/expected.txt: detection problems with the
value of every detection score of the table (map, det_precision,
det_recall, ospa, scp, mad_center, mad_radius) under both semantics, for
tests/test_detscore.c.

    /usr/bin/python3 tests/gen_detscore_fixtures.py RAMPWF_SRC

RAMPWF_SRC is a checkout of paris-saclay-cds/ramp-workflow (the folder that
holds rampwf/). The "rampwf" values are what rampwf's own score types
(rampwf/score_types/detection: DetectionAveragePrecision,
DetectionPrecision, DetectionRecall, OSPA, SCP, MADCenter, MADRadius)
return on the same input; they are computed by importing that package here
(only its score_types/detection part is loaded; rampwf has circles and a
single class, so only such cases get them). The "ours" values come from an
independent numpy / scipy implementation of the definitions in
docs/scores.md, written here (it shares no code with the C library).

Coordinates: a ramp circle is g = (x, y, r) with x a column and y a row;
rampwf's tuple is (row, col, r). rampwf is given (g[1], g[0], g[2]) for
ramp's g, and SCP(shape=(height, width)).

A case may carry a minipatch [row_min, row_max, col_min, col_max]: rampwf's
score types get it as their `minipatch` (all but DetectionAveragePrecision,
which has none: no "rampwf map" line then, ramp refuses it), ours applies
docs/scores.md's definition (both sides filtered by centre; scp crops the
map to the pixels whose centre is inside).

expected.txt, one block per case:
    case NAME GEOM(box|circle) N_CLASSES IOU_THRESHOLD N_IMAGES [R0 R1 C0 C1]
    image WIDTH HEIGHT N_TRUTH N_PRED
    t CLS G0 G1 G2 G3                (N_TRUTH lines)
    p CLS CONF G0 G1 G2 G3           (N_PRED lines)
    ...
    score MODE(ours|rampwf) NAME VALUE   (nan when undefined)
    end
Floats are written with repr(), so strtod reads back the same doubles.
"""
import math
import os
import sys
import types
import warnings

import numpy as np
from scipy.optimize import linear_sum_assignment

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "detscore")
CONF = 0.5

SCORES = ["map", "det_precision", "det_recall", "ospa", "scp", "mad_center", "mad_radius"]


# --- rampwf, as it is ----------------------------------------------------------

def load_rampwf(root):
    """rampwf.score_types.detection without rampwf/__init__ (which needs the
    whole of rampwf's dependencies)."""
    for name, sub in (("rampwf", ""), ("rampwf.score_types", "score_types")):
        mod = types.ModuleType(name)
        mod.__path__ = [os.path.join(root, "rampwf", sub)]
        sys.modules[name] = mod
    import rampwf.score_types.detection as det  # noqa: E402
    return det


def to_rampwf(g):
    """ramp's circle (x = col, y = row, r) as rampwf's tuple (row, col, r)."""
    return (g[1], g[0], g[2])


def rampwf_scores(det, case):
    (w, h) = case["images"][0][0:2]
    assert all(im[0] == w and im[1] == h for im in case["images"])
    y_true = [[to_rampwf(o[1]) for o in im[2]] for im in case["images"]]
    y_pred = [[(o[1],) + to_rampwf(o[2]) for o in im[3]] for im in case["images"]]
    thr = case["iou"]
    mp = case.get("minipatch")
    types_ = {
        "map": det.DetectionAveragePrecision(iou_threshold=thr),
        "det_precision": det.DetectionPrecision(iou_threshold=thr, minipatch=mp),
        "det_recall": det.DetectionRecall(iou_threshold=thr, minipatch=mp),
        "ospa": det.OSPA(minipatch=mp),
        "scp": det.SCP(shape=(h, w), minipatch=mp),
        "mad_center": det.MADCenter(iou_threshold=thr, minipatch=mp),
        "mad_radius": det.MADRadius(iou_threshold=thr, minipatch=mp),
    }
    out = {}
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in SCORES:
            if mp is not None and name == "map":
                continue  # no minipatch in rampwf's AP
            try:
                out[name] = float(types_[name](y_true, y_pred))
            except ZeroDivisionError:
                out[name] = float("nan")
    return out


def check_rampwf_tie_order(case):
    """rampwf ranks by np.argsort(conf)[::-1]; the C code assumes ties come
    out last-first (a stable ascending sort reversed). Check numpy did that
    on this input, so the fixture pins what the C code claims."""
    confs = np.array([o[1] for im in case["images"] for o in im[3]])
    if confs.size == 0:
        return
    got = np.argsort(confs)[::-1]
    want = sorted(range(confs.size), key=lambda i: (-confs[i], -i))
    assert list(got) == want, "numpy's argsort is not stable on " + case["name"]


# --- ours: an independent reference ---------------------------------------------

def box_iou(a, b):
    w = min(a[2], b[2]) - max(a[0], b[0])
    hh = min(a[3], b[3]) - max(a[1], b[1])
    inter = max(w, 0.0) * max(hh, 0.0)
    uni = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / uni if uni > 0 else 0.0


def segment(r, h):
    """Area of the circular segment of height h of a circle of radius r."""
    return r * r * math.acos((r - h) / r) - (r - h) * math.sqrt(max(2 * r * h - h * h, 0.0))


def circle_iou(a, b):
    (x1, y1, r1), (x2, y2, r2) = a[:3], b[:3]
    d = math.hypot(x1 - x2, y1 - y2)
    if d >= r1 + r2:
        inter = 0.0
    elif d <= abs(r1 - r2):
        inter = math.pi * min(r1, r2) ** 2
    else:
        # chord at distance a1 from centre 1 along the line of centres
        a1 = (d * d + r1 * r1 - r2 * r2) / (2 * d)
        inter = segment(r1, r1 - a1) + segment(r2, r2 - (d - a1))
    uni = math.pi * (r1 * r1 + r2 * r2) - inter
    return inter / uni if uni > 0 else 0.0


def iou(geom, a, b):
    return box_iou(a, b) if geom == "box" else circle_iou(a, b)


def ours_map(case):
    geom, thr = case["geom"], case["iou"]
    aps = []
    for k in range(case["n_classes"]):
        preds = []  # (conf, order, image, object)
        order = 0
        for i, im in enumerate(case["images"]):
            for o in im[3]:
                if o[0] == k:
                    preds.append((o[1], order, i, o[2]))
                order += 1
        n_truth = sum(1 for im in case["images"] for o in im[2] if o[0] == k)
        if n_truth == 0:
            continue
        preds.sort(key=lambda p: (-p[0], p[1]))
        used = set()
        tp = []
        for conf, _, i, g in preds:
            truths = [(j, o) for j, o in enumerate(case["images"][i][2]) if o[0] == k]
            best, jb = -1.0, None
            for j, o in truths:
                v = iou(geom, g, o[1])
                if v > best:
                    best, jb = v, j
            hit = jb is not None and best >= thr and (i, jb) not in used
            if hit:
                used.add((i, jb))
            tp.append(1.0 if hit else 0.0)
        tp = np.array(tp)
        ctp = np.cumsum(tp)
        rec = ctp / n_truth
        prec = ctp / np.arange(1, len(tp) + 1)
        # area under the precision envelope, step by step in recall
        ap, prev = 0.0, 0.0
        for q in range(len(tp)):
            if rec[q] != prev:
                ap += (rec[q] - prev) * prec[q:].max()
                prev = rec[q]
        aps.append(ap)
    return float(np.mean(aps)) if aps else float("nan")


def ours_precision_recall(case):
    """Greedy matching in rank order of the kept predictions, pooled."""
    geom, thr = case["geom"], case["iou"]
    tp = n_kept = 0
    n_truth = sum(len(im[2]) for im in case["images"])
    for k in range(case["n_classes"]):
        preds = []
        order = 0
        for i, im in enumerate(case["images"]):
            for o in im[3]:
                if o[0] == k and o[1] >= CONF:
                    preds.append((-o[1], order, i, o[2]))
                order += 1
        preds.sort()
        used = set()
        for _, _, i, g in preds:
            n_kept += 1
            cand = [(iou(geom, g, o[1]), j) for j, o in enumerate(case["images"][i][2]) if o[0] == k]
            if not cand:
                continue
            best = max(c[0] for c in cand)
            jb = [c[1] for c in cand if c[0] == best][0]
            if best >= thr and (i, jb) not in used:
                used.add((i, jb))
                tp += 1
    prec = tp / n_kept if n_kept else 0.0
    rec = tp / n_truth if n_truth else float("nan")
    return prec, rec


def ours_assignment_scores(case):
    geom, thr = case["geom"], case["iou"]
    s_iou = n_total = 0.0
    mc, mr = [], []
    for im in case["images"]:
        truth = im[2]
        pred = [o for o in im[3] if o[1] >= CONF]
        if not truth and not pred:
            continue
        n_total += len(truth) + len(pred)
        if not truth or not pred:
            continue
        m = np.array([[iou(geom, p[2], t[1]) if p[0] == t[0] else 0.0 for p in pred]
                      for t in truth])
        rows, cols = linear_sum_assignment(-m)
        s_iou += 2 * m[rows, cols].sum()
        if geom == "circle":
            for r, c in zip(rows, cols):
                if m[r, c] >= thr:
                    gt, gp = truth[r][1], pred[c][2]
                    mc.append(math.sqrt((gp[0] - gt[0]) ** 2 + (gp[1] - gt[1]) ** 2) / gt[2])
                    mr.append(abs(gp[2] - gt[2]) / gt[2])
    ospa = 1 - s_iou / n_total if n_total else 0.0
    mad_c = float(np.mean(mc)) if mc else float("nan")
    mad_r = float(np.mean(mr)) if mr else float("nan")
    return ospa, mad_c, mad_r


def ours_scp(case):
    """With a minipatch, the map is cropped to the pixels whose centre is in
    it: Σ |map| there over Σ each object's share of its pixels there."""
    mp = case.get("minipatch")
    resid = mass = 0.0
    for w, h, truth, preds in case["images"]:
        yy, xx = np.mgrid[0:h, 0:w]
        cx, cy = xx + 0.5, yy + 0.5  # pixel centres
        if mp is None:
            win = np.ones((h, w), dtype=bool)
        else:
            win = (cy >= mp[0]) & (cy < mp[1]) & (cx >= mp[2]) & (cx < mp[3])
        total = np.zeros((h, w))
        objs = [(1.0, o[1]) for o in truth] + [(-1.0, o[2]) for o in preds if o[1] >= CONF]
        for sign, g in objs:
            if case["geom"] == "box":
                inside = (cx >= g[0]) & (cx < g[2]) & (cy >= g[1]) & (cy < g[3])
            else:
                inside = (cx - g[0]) ** 2 + (cy - g[1]) ** 2 < g[2] ** 2
            n = inside.sum()
            if n:
                total[inside] += sign / n
                mass += (inside & win).sum() / n
        resid += np.abs(total[win]).sum()
    return resid / mass if mass else 0.0


def centre_in(geom, g, mp):
    """(col, row) = a circle's (x, y) or a box's middle, in the half-open
    [row_min, row_max) × [col_min, col_max)."""
    if geom == "box":
        col, row = (g[0] + g[2]) / 2, (g[1] + g[3]) / 2
    else:
        col, row = g[0], g[1]
    return mp[0] <= row < mp[1] and mp[2] <= col < mp[3]


def patch_filtered(case):
    """The case with only the truths and predictions inside its minipatch."""
    mp, geom = case["minipatch"], case["geom"]
    images = [(w, h, [o for o in truth if centre_in(geom, o[1], mp)],
               [o for o in preds if centre_in(geom, o[2], mp)])
              for w, h, truth, preds in case["images"]]
    return dict(case, images=images)


def ours_scores(case):
    scp = ours_scp(case)
    if case.get("minipatch") is not None:
        case = patch_filtered(case)
    prec, rec = ours_precision_recall(case)
    ospa, mad_c, mad_r = ours_assignment_scores(case)
    out = {"map": ours_map(case), "det_precision": prec, "det_recall": rec, "ospa": ospa,
           "scp": scp}
    if case["geom"] == "circle":
        out["mad_center"], out["mad_radius"] = mad_c, mad_r
    return out


# --- cases ----------------------------------------------------------------------

def random_case(rng, name, geom, n_classes, thr, n_images, w, h, conf_levels=None,
                minipatch=None):
    images = []
    for _ in range(n_images):
        truth, preds = [], []
        for _ in range(int(rng.integers(0, 5))):
            k = int(rng.integers(0, n_classes))
            if geom == "box":
                x0, y0 = rng.uniform(0, w - 8), rng.uniform(0, h - 8)
                g = [x0, y0, x0 + rng.uniform(3, 12), y0 + rng.uniform(3, 12)]
            else:
                g = [rng.uniform(0, w), rng.uniform(0, h), rng.uniform(1.5, 7), 0.0]
            truth.append((k, g))
            # jittered copies: hits, near misses and duplicates
            for _ in range(int(rng.integers(0, 3))):
                j = [v + rng.normal(0, 1.2) for v in g]
                if geom == "box":
                    j[2], j[3] = max(j[2], j[0] + 0.5), max(j[3], j[1] + 0.5)
                else:
                    j[2], j[3] = abs(j[2]) + 0.3, 0.0
                preds.append([k, j])
        for _ in range(int(rng.integers(0, 3))):  # strays
            k = int(rng.integers(0, n_classes))
            if geom == "box":
                x0, y0 = rng.uniform(0, w - 8), rng.uniform(0, h - 8)
                g = [x0, y0, x0 + rng.uniform(3, 12), y0 + rng.uniform(3, 12)]
            else:
                g = [rng.uniform(0, w), rng.uniform(0, h), rng.uniform(1.5, 7), 0.0]
            preds.append([k, g])
        rng.shuffle(preds)
        out = []
        for k, g in preds:
            if conf_levels is None:
                c = float(rng.uniform(0.05, 1.0))
            else:
                c = float(rng.choice(conf_levels))
            out.append((k, c, [float(v) for v in g]))
        images.append((w, h, [(k, [float(v) for v in g]) for k, g in truth], out))
    case = {"name": name, "geom": geom, "n_classes": n_classes, "iou": thr, "images": images}
    if minipatch is not None:
        case["minipatch"] = minipatch
    return case


def fixed_cases():
    # the worked example of docs/scores.md: one truth (0, 0, 1), one
    # prediction (1, 1, 2); rampwf's IoU 0.495, the true one 0.194
    ex = {"name": "worked_circles", "geom": "circle", "n_classes": 1, "iou": 0.3,
          "images": [(8, 8, [(0, [0.0, 0.0, 1.0, 0.0])], [(0, 0.9, [1.0, 1.0, 2.0, 0.0])])]}
    # an IoU exactly at the threshold (boxes of IoU 1/2): ≥ passes, > fails
    eq = {"name": "iou_at_threshold", "geom": "circle", "n_classes": 1, "iou": 0.25,
          "images": [(20, 20, [(0, [10.0, 10.0, 4.0, 0.0])], [(0, 0.8, [10.0, 10.0, 2.0, 0.0])])]}
    # tied confidences: a hit in image 0 and a stray in image 1, both at
    # 0.7; first-first ranks the hit first (AP 1), last-first the stray (AP 0.5)
    tie = {"name": "tied_confidences", "geom": "circle", "n_classes": 1, "iou": 0.5,
           "images": [(30, 20, [(0, [5.0, 5.0, 3.0, 0.0])], [(0, 0.7, [5.2, 5.0, 3.0, 0.0])]),
                      (30, 20, [], [(0, 0.7, [15.0, 5.0, 3.0, 0.0])])]}
    # no object at all
    empty = {"name": "empty", "geom": "circle", "n_classes": 1, "iou": 0.5,
             "images": [(10, 10, [], []), (10, 10, [], [(0, 0.2, [3.0, 3.0, 2.0, 0.0])])]}
    # orientation: a tall image (12 wide, 40 high), circles low in it
    # (rows 25-35) and one near the right edge: rampwf's circle tuple is
    # (row, col, r), ramp's (col, row, r); read the other way round these
    # circles would fall off the 12 columns
    tall = {"name": "scp_tall_image", "geom": "circle", "n_classes": 1, "iou": 0.5,
            "images": [(12, 40, [(0, [4.0, 30.0, 3.0, 0.0]), (0, [9.5, 26.0, 2.5, 0.0])],
                        [(0, 0.9, [4.6, 29.2, 3.4, 0.0]), (0, 0.8, [9.0, 34.0, 2.0, 0.0])])]}
    # a minipatch edge: rows [10, 20), columns [4, 30) of a 40 × 30 image;
    # centres on its lines (row 10 and column 4 in, row 20 and column 30
    # out), a truth inside whose best prediction is outside and the other
    # way round, and an object straddling the crop
    edge = {"name": "minipatch_edges", "geom": "circle", "n_classes": 1, "iou": 0.3,
            "minipatch": [10, 20, 4, 30],
            "images": [(40, 30,
                        [(0, [4.0, 10.0, 2.0, 0.0]), (0, [30.0, 15.0, 2.0, 0.0]),
                         (0, [12.0, 20.0, 3.0, 0.0]), (0, [20.0, 18.5, 2.5, 0.0]),
                         (0, [35.0, 5.0, 2.0, 0.0])],
                        [(0, 0.9, [4.5, 10.2, 2.2, 0.0]), (0, 0.8, [29.6, 15.1, 2.1, 0.0]),
                         (0, 0.7, [12.2, 19.6, 3.1, 0.0]), (0, 0.95, [20.3, 20.4, 2.6, 0.0]),
                         (0, 0.6, [25.0, 12.0, 1.8, 0.0]), (0, 0.3, [15.0, 15.0, 2.0, 0.0])]),
                       (40, 30, [(0, [33.0, 25.0, 2.0, 0.0])],
                        [(0, 0.9, [16.0, 14.0, 3.0, 0.0])]),
                       (40, 30, [], [])]}
    return [ex, eq, tie, empty, tall, edge]


def check_margins(case, det):
    """No IoU of a same-class pair within 1e-9 of the threshold (under
    either formula) and no confidence within 1e-9 of 0.5, so that rounding
    differences between implementations cannot flip a match."""
    thr = case["iou"]
    for im in case["images"]:
        for k, conf, g in im[3]:
            assert abs(conf - CONF) > 1e-9, case["name"]
            for kt, gt in im[2]:
                if kt != k:
                    continue
                vals = [iou(case["geom"], g, gt)]
                if case["geom"] == "circle":
                    vals.append(det.iou.cc_iou(tuple(gt[:3]), tuple(g[:3])))
                for v in vals:
                    assert abs(v - thr) > 1e-9 and abs(v - 0.5) > 1e-9, (case["name"], v)


def fmt(v):
    return "nan" if v != v else repr(float(v))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gen_detscore_fixtures.py RAMPWF_SRC")
    det = load_rampwf(sys.argv[1])
    rng = np.random.default_rng(20261205)
    cases = fixed_cases()
    cases += [random_case(rng, "circles_%d" % i, "circle", 1, thr, 6, 40, 30)
              for i, thr in enumerate((0.5, 0.3, 0.7))]
    cases += [random_case(rng, "circles_ties", "circle", 1, 0.5, 3, 24, 36,
                          conf_levels=[0.3, 0.6, 0.9])]
    cases += [random_case(rng, "circles_3cls", "circle", 3, 0.5, 6, 40, 30)]
    cases += [random_case(rng, "boxes_%d" % i, "box", k, thr, 6, 48, 32)
              for i, (k, thr) in enumerate(((1, 0.5), (3, 0.5), (2, 0.4)))]
    # minipatches (rampwf's SCP slices its map: integer bounds for the
    # rampwf cases); rows and columns cut differently on a non-square image
    cases += [random_case(rng, "minipatch_circles_%d" % i, "circle", 1, thr, 8, 40, 30,
                          minipatch=mp)
              for i, (thr, mp) in enumerate(((0.5, [5, 25, 8, 36]), (0.3, [0, 18, 12, 40]),
                                             (0.5, [6, 30, 0, 20])))]
    cases += [random_case(rng, "minipatch_fractional", "circle", 1, 0.5, 6, 40, 30,
                          minipatch=[4.7, 22.2, 6.5, 31.0])]
    cases += [random_case(rng, "minipatch_circles_3cls", "circle", 3, 0.5, 6, 40, 30,
                          minipatch=[5, 25, 8, 36])]
    cases += [random_case(rng, "minipatch_boxes", "box", 2, 0.5, 6, 48, 32,
                          minipatch=[6.5, 26, 10, 40.25])]
    # mars_craters' own: 224 × 224 images, minipatch=[28, 196, 28, 196]
    cases += [random_case(rng, "minipatch_mars_craters", "circle", 1, 0.5, 10, 224, 224,
                          minipatch=[28, 196, 28, 196])]
    for c in cases:
        if c["name"] not in ("iou_at_threshold",):  # exactly at it, on purpose
            check_margins(c, det)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "expected.txt"), "w") as f:
        for c in cases:
            mp = c.get("minipatch")
            f.write("case %s %s %d %r %d%s\n" % (
                c["name"], c["geom"], c["n_classes"], c["iou"], len(c["images"]),
                "" if mp is None else " " + " ".join(repr(float(v)) for v in mp)))
            for w, h, truth, preds in c["images"]:
                f.write("image %d %d %d %d\n" % (w, h, len(truth), len(preds)))
                for k, g in truth:
                    f.write("t %d %s\n" % (k, " ".join(fmt(v) for v in g)))
                for k, conf, g in preds:
                    f.write("p %d %s %s\n" % (k, fmt(conf), " ".join(fmt(v) for v in g)))
            for name, v in sorted(ours_scores(c).items()):
                f.write("score ours %s %s\n" % (name, fmt(v)))
            integral = mp is None or all(float(v).is_integer() for v in mp)
            if c["geom"] == "circle" and c["n_classes"] == 1 and integral:
                if mp is not None:
                    mp[:] = [int(v) for v in mp]  # rampwf's SCP slices with them
                check_rampwf_tie_order(c)
                for name, v in sorted(rampwf_scores(det, c).items()):
                    f.write("score rampwf %s %s\n" % (name, fmt(v)))
            f.write("end\n")


if __name__ == "__main__":
    main()
