"""rampwf's object-detection score types (the mars_craters kit's), with
rampwf's semantics: what ramp's C scorer computes for a detection problem
with ``[detection] compat = rampwf`` (docs/scores.md has the definitions
and how they differ from ramp's own).

Each maps to one kind of ramp's problem.ini (``ramp_kind``):

    DetectionAveragePrecision(iou_threshold) -> map
    DetectionPrecision(iou_threshold) -> det_precision
    DetectionRecall(iou_threshold) -> det_recall
    OSPA -> ospa        SCP(shape) -> scp
    MADCenter -> mad_center            MADRadius -> mad_radius

y_true is a list (one entry per image) of lists of circles (row, col, r),
rampwf's order (ramp's problem files store the same circle as x = col,
y = row); y_pred the same with a confidence first: (conf, row, col, r).
The scores other than average precision keep the predictions whose
confidence is above ``conf_threshold`` (0.5), and match truths to them
one-to-one per image so that the sum of IoUs is largest (scipy's
linear_sum_assignment is needed for those).

``minipatch = [row_min, row_max, col_min, col_max]`` scores an inner part
of each image, as rampwf's score types do (ramp's problem.ini:
``minipatch=ROW_MIN:ROW_MAX:COL_MIN:COL_MAX``); a circle is inside when
row_min <= row < row_max and col_min <= col < col_max. Each score applies
it its own way: DetectionPrecision keeps the predictions inside (matched
against all the truths), DetectionRecall, MADCenter and MADRadius the
truths inside (matched against all the predictions); OSPA matches on the
whole image and then counts only the objects inside; SCP draws the whole
image and sums ``map[row_min:row_max, col_min:col_max]`` (integer bounds,
numpy's slice). DetectionAveragePrecision has none.
"""
import math

import numpy as np

from .base import BaseScoreType


def circle_iou(c1, c2):
    """rampwf's circle IoU. Its lens area adds the triangle term where the
    exact area subtracts it (docs/scores.md: 0.495 instead of 0.194 for
    (0, 0, 1) and (1, 1, 2)); kept so that scores match rampwf's."""
    x1, y1, r1 = c1[:3]
    x2, y2, r2 = c2[:3]
    d = math.hypot(x2 - x1, y2 - y1)
    if d == 0 or d <= abs(r2 - r1):
        inter = min(r1, r2) ** 2 * math.pi
    elif d >= r1 + r2 or r1 == 0 or r2 == 0:
        inter = 0.0
    else:
        a1 = (d * d + r1 * r1 - r2 * r2) / (2 * d * r1)
        a2 = (d * d + r2 * r2 - r1 * r1) / (2 * d * r2)
        k = (-d + r1 + r2) * (d + r1 - r2) * (d - r1 + r2) * (d + r1 + r2)
        inter = (r1 * r1 * math.acos(max(-1.0, min(1.0, a1))) +
                 r2 * r2 * math.acos(max(-1.0, min(1.0, a2))) +
                 0.5 * math.sqrt(max(k, 0.0)))
    union = math.pi * (r1 * r1 + r2 * r2) - inter
    return inter / union if union != 0 else 0.0


def _keep(y_pred, conf_threshold):
    return [[tuple(o[1:4]) for o in image if o[0] > conf_threshold]
            for image in y_pred]


def _in_patch(objs, minipatch):
    """Whether each circle (row, col, r) lies in the minipatch (all when
    it is None)."""
    if minipatch is None:
        return [True] * len(objs)
    r0, r1, c0, c1 = minipatch
    return [r0 <= o[0] < r1 and c0 <= o[1] < c1 for o in objs]


def _patch_only(images, minipatch):
    """Each image's circles that lie in the minipatch."""
    return [[o for o, inside in zip(image, _in_patch(image, minipatch)) if inside]
            for image in images]


def _pairs(truth, pred):
    """The one-to-one assignment of largest IoU sum: [(i_true, i_pred, iou)]."""
    if not len(truth) or not len(pred):
        return []
    from scipy.optimize import linear_sum_assignment
    m = np.array([[circle_iou(t, p) for p in pred] for t in truth])
    rows, cols = linear_sum_assignment(1 - m)
    return [(r, c, m[r, c]) for r, c in zip(rows, cols)]


class DetectionBaseScoreType(BaseScoreType):
    """A detection score on circles: keeps the predictions whose confidence
    is above ``conf_threshold`` and calls ``detection_score``."""
    family = 'detection'
    conf_threshold = 0.5
    minipatch = None

    def __call__(self, y_true, y_pred, conf_threshold=None):
        if conf_threshold is None:
            conf_threshold = self.conf_threshold
        return self.detection_score(y_true, _keep(y_pred, conf_threshold))


class _IOUScore(DetectionBaseScoreType):
    def __init__(self, name=None, precision=3, conf_threshold=0.5,
                 minipatch=None, iou_threshold=0.5):
        self.name = name if name is not None else '{}(IOU={})'.format(
            self._name, iou_threshold)
        self.precision = precision
        self.conf_threshold = conf_threshold
        self.minipatch = minipatch
        self.iou_threshold = iou_threshold

    def _counts(self, y_true, y_pred):
        n_true = sum(len(t) for t in y_true)
        n_pred = sum(len(p) for p in y_pred)
        hits = sum(1 for t, p in zip(y_true, y_pred)
                   for _, _, v in _pairs(t, p) if v > self.iou_threshold)
        return n_true, n_pred, hits

    def _matched(self, y_true, y_pred):
        """The pairs the MADs average (truths inside the minipatch only)."""
        if self.minipatch is not None:
            y_true = _patch_only(y_true, self.minipatch)
        return [(t[i], p[j]) for t, p in zip(y_true, y_pred)
                for i, j, v in _pairs(t, p) if v >= self.iou_threshold]


class DetectionPrecision(_IOUScore):
    """Assigned pairs with IoU above the threshold / kept predictions
    (ramp's ``det_precision``; NaN when nothing is kept). With a minipatch,
    the kept predictions inside it only."""
    ramp_kind = 'det_precision'
    _name = 'precision'
    is_lower_the_better = False
    minimum, maximum = 0.0, 1.0

    def detection_score(self, y_true, y_pred):
        if self.minipatch is not None:
            y_pred = _patch_only(y_pred, self.minipatch)
        _, n_pred, hits = self._counts(y_true, y_pred)
        return hits / n_pred if n_pred else float('nan')


class DetectionRecall(_IOUScore):
    """Assigned pairs with IoU above the threshold / truths (ramp's
    ``det_recall``; NaN without truth). With a minipatch, the truths inside
    it only."""
    ramp_kind = 'det_recall'
    _name = 'recall'
    is_lower_the_better = False
    minimum, maximum = 0.0, 1.0

    def detection_score(self, y_true, y_pred):
        if self.minipatch is not None:
            y_true = _patch_only(y_true, self.minipatch)
        n_true, _, hits = self._counts(y_true, y_pred)
        return hits / n_true if n_true else float('nan')


class MADCenter(_IOUScore):
    """Mean centre distance / true radius over the assigned pairs with IoU
    at least the threshold (ramp's ``mad_center``; NaN without one)."""
    ramp_kind = 'mad_center'
    _name = 'mad_center'
    is_lower_the_better = True
    minimum, maximum = 0.0, np.inf

    def detection_score(self, y_true, y_pred):
        m = self._matched(y_true, y_pred)
        if not m:
            return float('nan')
        return float(np.mean([math.hypot(p[0] - t[0], p[1] - t[1]) / t[2]
                              for t, p in m]))


class MADRadius(_IOUScore):
    """Mean |r_pred − r_true| / r_true over the assigned pairs with IoU at
    least the threshold (ramp's ``mad_radius``; NaN without one)."""
    ramp_kind = 'mad_radius'
    _name = 'mad_radius'
    is_lower_the_better = True
    minimum, maximum = 0.0, np.inf

    def detection_score(self, y_true, y_pred):
        m = self._matched(y_true, y_pred)
        if not m:
            return float('nan')
        return float(np.mean([abs(p[2] - t[2]) / t[2] for t, p in m]))


class OSPA(DetectionBaseScoreType):
    """1 − Σ 2·IoU of the assigned pairs / Σ (truths + kept predictions)
    over the images (ramp's ``ospa``; 1 when there is no object at all).
    With a minipatch, the pairs are still made on the whole image; each
    object inside it counts its pair's IoU (0 when unassigned) over the
    number of objects inside."""
    ramp_kind = 'ospa'
    is_lower_the_better = True
    minimum, maximum = 0.0, 1.0

    def __init__(self, name='ospa', precision=3, conf_threshold=0.5,
                 minipatch=None):
        self.name = name
        self.precision = precision
        self.conf_threshold = conf_threshold
        self.minipatch = minipatch

    def detection_score(self, y_true, y_pred):
        s = total = 0.0
        for t, p in zip(y_true, y_pred):
            in_t, in_p = _in_patch(t, self.minipatch), _in_patch(p, self.minipatch)
            total += sum(in_t) + sum(in_p)
            s += sum(v * (in_t[i] + in_p[j]) for i, j, v in _pairs(t, p))
        if not total:
            return 1.0
        return 1 - s / total


def _disc_pixels(circle, shape):
    """rampwf's pixels of a circle (row, col, ρ): integer positions (i, j)
    of a shape[0] × shape[1] map with ((i − row)/ρ)² + ((j − col)/ρ)² < 1,
    offsets taken from the clipped bounding box's corner."""
    row, col, rad = circle[:3]
    if not rad > 0:
        return np.zeros(0, int), np.zeros(0, int)
    r0, c0 = max(math.ceil(row - rad), 0), max(math.ceil(col - rad), 0)
    r1 = min(math.floor(row + rad), shape[0] - 1)
    c1 = min(math.floor(col + rad), shape[1] - 1)
    if r1 < r0 or c1 < c0:
        return np.zeros(0, int), np.zeros(0, int)
    rr, cc = np.mgrid[0:r1 - r0 + 1, 0:c1 - c0 + 1]
    inside = ((rr - (row - r0)) / rad) ** 2 + ((cc - (col - c0)) / rad) ** 2 < 1
    return rr[inside] + r0, cc[inside] + c0


class SCP(DetectionBaseScoreType):
    """Each circle a unit mass over its pixels, truths + and predictions −
    on a ``shape`` (rows, columns) map per image; Σ |map| / Σ masses
    (ramp's ``scp``, which takes each image's own size; NaN when there is
    no mass). With a minipatch, both sums over
    ``map[row_min:row_max, col_min:col_max]`` only."""
    ramp_kind = 'scp'
    is_lower_the_better = True
    minimum, maximum = 0.0, 1.0

    def __init__(self, shape, name='scp', precision=3, conf_threshold=0.5,
                 minipatch=None):
        self.shape = shape
        self.name = name
        self.precision = precision
        self.conf_threshold = conf_threshold
        self.minipatch = minipatch

    def detection_score(self, y_true, y_pred):
        resid = mass = 0.0
        mp = self.minipatch
        for truth, pred in zip(y_true, y_pred):
            maps = []
            for objs in (truth, pred):
                m = np.zeros(self.shape)
                for c in objs:
                    rr, cc = _disc_pixels(c, self.shape)
                    if rr.size:
                        m[rr, cc] += 1.0 / rr.size
                if mp is not None:
                    m = m[mp[0]:mp[1], mp[2]:mp[3]]
                maps.append(m)
            resid += np.abs(maps[0] - maps[1]).sum()
            mass += maps[0].sum() + maps[1].sum()
        return resid / mass if mass else float('nan')


class DetectionAveragePrecision(BaseScoreType):
    """Average precision (all-point) of every prediction ranked by
    confidence, ties last input first, each matched to its image's truth of
    largest IoU when that IoU is above the threshold and the truth is free
    (ramp's ``map`` of a one-class problem)."""
    ramp_kind = 'map'
    family = 'detection'
    _name = 'average_precision'
    is_lower_the_better = False
    minimum, maximum = 0.0, 1.0

    def __init__(self, name=_name, precision=3, iou_threshold=0.5):
        self.name = name if name is not None else '{}(IOU={})'.format(
            self._name, iou_threshold)
        self.precision = precision
        self.iou_threshold = iou_threshold

    def __call__(self, y_true, y_pred):
        preds = [(o[0], i, tuple(o[1:4])) for i, image in enumerate(y_pred)
                 for o in image]
        if not preds:
            return 0.0
        order = sorted(range(len(preds)), key=lambda q: (-preds[q][0], -q))
        n_true = sum(len(t) for t in y_true)
        taken, hits = set(), []
        for q in order:
            _, i, c = preds[q]
            ious = [circle_iou(t, c) for t in y_true[i]]
            hit = False
            if ious:
                j = int(np.argmax(ious))
                if ious[j] > self.iou_threshold and (i, j) not in taken:
                    taken.add((i, j))
                    hit = True
            hits.append(hit)
        if not n_true:
            return float('nan')
        tp = np.cumsum(hits)
        rec = tp / n_true
        prec = tp / np.arange(1, len(hits) + 1)
        ap, prev = 0.0, 0.0
        for q in range(len(hits)):
            if rec[q] != prev:
                ap += (rec[q] - prev) * prec[q:].max()
                prev = rec[q]
        return float(ap)


AverageDetectionPrecision = DetectionAveragePrecision

__all__ = ['AverageDetectionPrecision', 'DetectionAveragePrecision',
           'DetectionBaseScoreType', 'DetectionPrecision', 'DetectionRecall',
           'MADCenter', 'MADRadius', 'OSPA', 'SCP', 'circle_iou']
