#!/usr/bin/python3
"""Writes tests/fixtures/detection/expected.txt: random detection problems
(boxes and circles, several images and classes, jittered copies of the
truths so there are true positives, duplicates, misses and stray
predictions) with reference values computed here in numpy, for
tests/test_detection.c.

    /usr/bin/python3 tests/gen_detection_fixtures.py

This is an independent implementation of the rules in include/ramp/detection.h
(the VOC devkit's VOCevaldet.m / VOCap.m, and py-faster-rcnn's voc_ap):
circle intersections use the circular-segment form of the lens area (the C
code uses the sector-minus-kite form), IoUs are computed as whole matrices,
and AP follows voc_ap line by line.

expected.txt, one block per case:
    case NAME GEOM(box|circle) N_CLASSES IOU_THRESHOLD MATCH(voc|unmatched) N_IMAGES
    image N_TRUTH N_PRED
    t CLS G0 G1 G2 G3             (N_TRUTH lines)
    p CLS CONF G0 G1 G2 G3        (N_PRED lines)
    ...
    ap CLS N_TRUTH N_PRED AP_ALL AP_11      (one per class; nan without truth)
    rank CLS TP_FLAGS                       (0/1 per ranked prediction, '-' if none)
    map MAP_ALL MAP_11 N_SCORED
    pr CLS CONF_THRESHOLD TP FP N_TRUTH PRECISION RECALL   (CLS -1: pooled)
    end
Floats are written with repr(), so strtod reads back the same doubles.
"""
import math
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "detection")


# --- geometry -----------------------------------------------------------------

def iou_boxes(b, gts):
    """IoU of one box b (4,) with boxes gts (m, 4)."""
    ixmin = np.maximum(gts[:, 0], b[0])
    iymin = np.maximum(gts[:, 1], b[1])
    ixmax = np.minimum(gts[:, 2], b[2])
    iymax = np.minimum(gts[:, 3], b[3])
    iw = np.maximum(ixmax - ixmin, 0.0)
    ih = np.maximum(iymax - iymin, 0.0)
    inter = iw * ih
    uni = (b[2] - b[0]) * (b[3] - b[1]) + (gts[:, 2] - gts[:, 0]) * (gts[:, 3] - gts[:, 1]) - inter
    return np.where(uni > 0, inter / np.where(uni > 0, uni, 1.0), 0.0)


def lens_area(c1, c2):
    """Intersection of two circles as two circular segments cut by the chord."""
    x1, y1, r1 = c1
    x2, y2, r2 = c2
    d = math.hypot(x1 - x2, y1 - y2)
    if d >= r1 + r2:
        return 0.0
    if d <= abs(r1 - r2):
        return math.pi * min(r1, r2) ** 2
    a = (d * d + r1 * r1 - r2 * r2) / (2 * d)  # centre 1 to the chord (signed)
    b = d - a                                   # centre 2 to the chord (signed)

    def segment(r, h):  # area of the cap beyond distance h from the centre
        h = max(-r, min(r, h))
        return r * r * math.acos(h / r) - h * math.sqrt(max(r * r - h * h, 0.0))

    return segment(r1, a) + segment(r2, b)


def iou_circles(c, gts):
    out = np.zeros(len(gts))
    for i, g in enumerate(gts):
        inter = lens_area(c, g)
        uni = math.pi * c[2] ** 2 + math.pi * g[2] ** 2 - inter
        out[i] = inter / uni if uni > 0 else 0.0
    return out


# --- VOC evaluation --------------------------------------------------------------

def voc_ap(rec, prec, use_07):
    if use_07:
        ap = 0.0
        for j in range(11):
            t = j / 10  # not np.arange(0., 1.1, 0.1): see detection.h
            p = 0.0 if np.sum(rec >= t) == 0 else np.max(prec[rec >= t])
            ap = ap + p / 11.0
        return ap
    mrec = np.concatenate(([0.0], rec, [1.0]))
    mpre = np.concatenate(([0.0], prec, [0.0]))
    for i in range(mpre.size - 1, 0, -1):
        mpre[i - 1] = np.maximum(mpre[i - 1], mpre[i])
    i = np.where(mrec[1:] != mrec[:-1])[0]
    return np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1])


def evaluate_class(images, k, geom, thr, match):
    """Returns (n_truth, conf sorted, tp flags) for class k."""
    gts = {}
    npos = 0
    for i, (truth, _) in enumerate(images):
        g = np.array([t[1:] for t in truth if t[0] == k], dtype=np.float64).reshape(-1, 4)
        gts[i] = {"g": g, "det": np.zeros(len(g), dtype=bool)}
        npos += len(g)
    img_ids, confs, geoms = [], [], []
    for i, (_, pred) in enumerate(images):
        for p in pred:
            if p[0] == k:
                img_ids.append(i)
                confs.append(p[1])
                geoms.append(p[2:])
    confs = np.array(confs, dtype=np.float64)
    order = np.argsort(-confs, kind="stable")
    tp = np.zeros(len(order))
    fp = np.zeros(len(order))
    for d, idx in enumerate(order):
        R = gts[img_ids[idx]]
        g = np.array(geoms[idx], dtype=np.float64)
        if len(R["g"]) == 0:
            fp[d] = 1
            continue
        ov = iou_boxes(g, R["g"]) if geom == "box" else iou_circles(g[:3], R["g"][:, :3])
        if match == "unmatched":
            ov = np.where(R["det"], -np.inf, ov)
        jmax = int(np.argmax(ov))  # first maximum
        ovmax = ov[jmax]
        if ovmax >= thr and not R["det"][jmax]:
            tp[d] = 1
            R["det"][jmax] = True
        else:
            fp[d] = 1
    return npos, confs[order], tp, fp


def reference(images, n_classes, geom, thr, match, pr_thresholds):
    lines = []
    aps = []
    per_class = []
    for k in range(n_classes):
        npos, conf, tp, fp = evaluate_class(images, k, geom, thr, match)
        per_class.append((npos, conf, tp, fp))
        if npos == 0:
            ap_all = ap_11 = float("nan")
        else:
            ctp, cfp = np.cumsum(tp), np.cumsum(fp)
            rec = ctp / float(npos)
            prec = ctp / np.maximum(ctp + cfp, np.finfo(np.float64).eps)
            ap_all = float(voc_ap(rec, prec, False))
            ap_11 = float(voc_ap(rec, prec, True))
            aps.append((ap_all, ap_11))
        lines.append(f"ap {k} {npos} {len(conf)} {ap_all!r} {ap_11!r}")
        flags = "".join(str(int(v)) for v in tp) or "-"
        lines.append(f"rank {k} {flags}")
    m_all = float(np.mean([a for a, _ in aps]))
    m_11 = float(np.mean([b for _, b in aps]))
    lines.append(f"map {m_all!r} {m_11!r} {len(aps)}")
    for tau in pr_thresholds:
        tot = [0, 0, 0]
        for k in range(n_classes):
            npos, conf, tp, fp = per_class[k]
            keep = conf >= tau
            c = [int(tp[keep].sum()), int(fp[keep].sum()), npos]
            tot = [a + b for a, b in zip(tot, c)]
            lines.append(pr_line(k, tau, *c))
        lines.append(pr_line(-1, tau, *tot))
    return lines


def pr_line(k, tau, tp, fp, npos):
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / npos if npos else float("nan")
    return f"pr {k} {tau!r} {tp} {fp} {npos} {prec!r} {rec!r}"


# --- problems ---------------------------------------------------------------------

def random_problem(rng, geom, n_images, n_classes, no_truth_class):
    """Truths at random; predictions are jittered copies (some twice: the
    duplicates), a few truths are missed, and strays are added. Class
    `no_truth_class` (or None) only ever appears in predictions."""
    images = []
    for _ in range(n_images):
        truth, pred = [], []
        for _ in range(rng.integers(0, 8)):
            k = int(rng.integers(0, n_classes))
            if k == no_truth_class:
                k = 0
            if geom == "box":  # a crowded 60×60 field: truths overlap
                x, y = rng.uniform(0, 60, 2)
                w, h = rng.uniform(5, 30, 2)
                g = [x, y, x + w, y + h]
            else:
                g = [*rng.uniform(0, 60, 2), rng.uniform(3, 15), 0.0]
            truth.append([k, *g])
            if rng.random() < 0.35:  # a same-class neighbour, shifted by ~1/4 of the size
                if geom == "box":
                    dx, dy = rng.uniform(0.15, 0.3, 2) * [w, h] * rng.choice([-1, 1], 2)
                    truth.append([k, g[0] + dx, g[1] + dy, g[2] + dx, g[3] + dy])
                else:
                    dx, dy = rng.uniform(0.2, 0.5, 2) * g[2] * rng.choice([-1, 1], 2)
                    truth.append([k, g[0] + dx, g[1] + dy, g[2], 0.0])
        for t in truth:
            r = rng.random()
            if r < 0.15:
                continue  # a miss
            copies = 2 if r > 0.8 else 1  # duplicates
            for _ in range(copies):
                g = list(t[1:])
                if geom == "box":
                    s = 0.07 * max(g[2] - g[0], g[3] - g[1])
                    j = rng.normal(0, s, 4)
                    x1, x2 = sorted([g[0] + j[0], g[2] + j[2]])
                    y1, y2 = sorted([g[1] + j[1], g[3] + j[3]])
                    g = [x1, y1, x2, y2]
                else:
                    s = 0.3 * g[2]
                    g = [g[0] + rng.normal(0, s), g[1] + rng.normal(0, s),
                         abs(g[2] + rng.normal(0, 0.3 * s)), 0.0]
                k = t[0] if rng.random() > 0.1 else int(rng.integers(0, n_classes))
                # confidences on a grid of 0.05 so that ties happen
                pred.append([k, round(float(rng.uniform(0.05, 1.0)) * 20) / 20, *g])
        for _ in range(rng.integers(0, 3)):  # strays
            k = int(rng.integers(0, n_classes))
            if geom == "box":
                x, y = rng.uniform(0, 100, 2)
                w, h = rng.uniform(5, 30, 2)
                g = [x, y, x + w, y + h]
            else:
                g = [*rng.uniform(0, 100, 2), rng.uniform(3, 15), 0.0]
            pred.append([k, round(float(rng.uniform(0.0, 0.6)) * 20) / 20, *g])
        order = rng.permutation(len(pred))
        images.append((truth, [pred[i] for i in order]))
    return images


def edge_problem():
    """Hand-made: IoU exactly 0.5 (pins ≥), equal confidences whose order
    matters (pins the stable tie rule), a duplicate that the VOC rule counts
    as a false positive but the unmatched rule matches to a second truth,
    an image with truths only, one with predictions only, and a class with
    10 truths and 3 hits (recall exactly 0.3: pins t_j = j/10)."""
    im0_truth = [[0, 0.0, 0.0, 2.0, 1.0],        # IoU with [0,0,1,1] is exactly 1/2
                 [0, 10.0, 0.0, 14.0, 4.0],
                 [0, 11.0, 0.0, 15.0, 4.0]]      # overlaps the previous one
    im0_pred = [[0, 0.7, 0.0, 0.0, 1.0, 1.0],    # TP at exactly 0.5
                [0, 0.7, 30.0, 30.0, 31.0, 31.0],  # FP, tie with the TP: order matters
                [0, 0.9, 10.5, 0.0, 14.5, 4.0],  # best: both truths tie → the first
                [0, 0.6, 10.4, 0.0, 14.4, 4.0]]  # VOC: duplicate; unmatched: 2nd truth
    im1_truth = [[1, 5.0, 5.0, 6.0, 6.0]]        # truths only: misses
    im2_pred = [[1, 0.3, 50.0, 50.0, 60.0, 60.0]]  # predictions only
    im3_truth = [[2, 10.0 * i, 0.0, 10.0 * i + 5, 5.0] for i in range(10)]
    im3_pred = [[2, 0.8, 0.0, 0.0, 5.0, 5.0], [2, 0.8, 10.0, 0.0, 15.0, 5.0],
                [2, 0.5, 20.0, 0.0, 25.0, 5.0], [2, 0.5, 200.0, 0.0, 205.0, 5.0]]
    return [(im0_truth, im0_pred), (im1_truth, []), ([], im2_pred), (im3_truth, im3_pred)]


def check_margin(images, geom, thr, allow_exact):
    """No IoU lies within 1e-9 of the threshold (a rounding difference
    between implementations could then flip a match), except exact hits
    the edge case wants."""
    for truth, pred in images:
        for p in pred:
            g = np.array(p[2:])
            gts = np.array([t[1:] for t in truth if t[0] == p[0]]).reshape(-1, 4)
            if not len(gts):
                continue
            ov = iou_boxes(g, gts) if geom == "box" else iou_circles(g[:3], gts[:, :3])
            for v in ov:
                if abs(v - thr) < 1e-9 and not (allow_exact and v == thr):
                    raise SystemExit(f"IoU {v!r} too close to the threshold {thr}")


def write_case(lines, name, geom, n_classes, thr, match, images, pr_thresholds):
    lines.append(f"case {name} {geom} {n_classes} {thr!r} {match} {len(images)}")
    for truth, pred in images:
        lines.append(f"image {len(truth)} {len(pred)}")
        for t in truth:
            lines.append("t " + " ".join([str(t[0])] + [repr(float(v)) for v in t[1:]]))
        for p in pred:
            lines.append("p " + " ".join([str(p[0])] + [repr(float(v)) for v in p[1:]]))
    lines.extend(reference(images, n_classes, geom, thr, match, pr_thresholds))
    lines.append("end")


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(2024)
    lines = []
    taus = [0.0, 0.35, 0.5, 0.8, 1.0]
    boxes = random_problem(rng, "box", 12, 4, no_truth_class=3)
    circles = random_problem(rng, "circle", 10, 3, no_truth_class=None)
    for name, geom, nc, thr, images in [("boxes", "box", 4, 0.5, boxes),
                                        ("boxes_hi", "box", 4, 0.7, boxes),
                                        ("boxes_lo", "box", 4, 0.3, boxes),
                                        ("circles", "circle", 3, 0.5, circles),
                                        ("circles_lo", "circle", 3, 0.3, circles)]:
        check_margin(images, geom, thr, False)
        for match in ("voc", "unmatched"):
            write_case(lines, f"{name}_{match}", geom, nc, thr, match, images, taus)
    edge = edge_problem()
    check_margin(edge, "box", 0.5, True)
    for match in ("voc", "unmatched"):
        write_case(lines, f"edge_{match}", "box", 3, 0.5, match, edge, [0.0, 0.7, 0.75])
    with open(os.path.join(OUT, "expected.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
