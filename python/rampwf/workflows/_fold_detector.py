"""ramp's fold side of rampwf's ObjectDetector (see object_detector.py):
``FoldDetector`` puts a submission's ``ObjectDetector`` (``fit(X, y)``,
``predict(X)`` over arrays) on ramp's own detector contract
(``BatchDetector``'s ``fit(gen_builder)`` and ``predict(X)``,
docs/submissions.md). The plugin wraps the class in it; its own module, so
that a traceback through it is not mistaken for the submission's file.

- fit reads every fold-train image once through the builder, in order and
  untransformed (the kit reader wrote the kit's arrays as 8-bit PNGs, so
  the float pixels are the kit's uint8 values), stacks them into the kit's
  layout (n x H x W for one channel, n x H x W x C otherwise) as uint8,
  turns each image's circles (x = column, y = row, r) back into
  ``(row, col, radius)`` tuples (each value the shortest decimal of its
  float32, so 5.7 arrives as 5.7), and calls ``fit(X, y)`` once;
- predict gives the model batches of images (``[workflow]
  test_batch_size`` at a time) in the same layout, and turns its tuples
  into ramp's rows ``(class 0, confidence, x = col, y = row, r, 0)``,
  keeping the ``max_objects`` most confident of an image (the fold's log
  says when it drops any). Box kits get ``(x0, y0, x1, y1)`` tuples and
  return ``(confidence, x0, y0, x1, y1)``.
"""
import math
import sys

import numpy as np


def _object_array(items):
    out = np.empty(len(items), dtype=object)
    for i, v in enumerate(items):
        out[i] = v
    return out


def _images(X):
    """ramp's float batch (n, C, H, W) as the kit's uint8 arrays."""
    X = np.asarray(X)
    if X.ndim != 4:
        raise ValueError('FoldDetector: images of shape {} (n × C × H × W '
                         'expected)'.format(X.shape))
    out = np.rint(X).clip(0, 255).astype(np.uint8)
    return out[:, 0] if out.shape[1] == 1 else out.transpose(0, 2, 3, 1)


class FoldDetector(object):
    """ramp's detector contract over a rampwf ObjectDetector class."""

    def __init__(self, cls):
        import ramp
        self.info = ramp.info
        self.circles = self.info.get('geometry') == 'circle'
        self.max_objects = int(self.info.get('max_objects') or 0)
        self.model = cls()

    def _truth(self, objs):
        """ramp's (k, 5) float32 rows (class, g0..g3) as rampwf's tuples."""
        rows = np.asarray(objs, dtype=np.float32).reshape(-1, 5)
        # the shortest decimal that gives back the float32: the kit's 5.7,
        # not 5.699999809265137
        dec = [[float(repr(v)) for v in row] for row in rows]
        if self.circles:
            return [(y, x, r) for _, x, y, r, _ in dec]
        return [tuple(o[1:5]) for o in dec]

    def fit(self, gen_builder):
        n = int(gen_builder.nb_examples)
        batch = 64
        gen = gen_builder._core.subset(list(range(n)), batch, False, False,
                                       False)
        xs, ys = [], []
        for _ in range(int(math.ceil(n / batch))):
            X, y = next(gen)
            xs.append(_images(X))
            ys.extend(self._truth(o) for o in y)
        X = np.concatenate(xs) if xs else np.zeros((0, 0, 0), np.uint8)
        self.model.fit(X, _object_array(ys))
        return self

    def _rows(self, i, objs):
        """Image i's predicted tuples as ramp's (k, 6) float rows."""
        width = 4 if self.circles else 5
        try:
            items = list(objs) if objs is not None else []
            a = (np.asarray(items, dtype=np.float64).reshape(len(items), -1)
                 if items else np.zeros((0, width)))
        except (TypeError, ValueError) as e:
            raise ValueError(
                'object_detector.py: predict: image {}: {!r} is not a list '
                'of ({}) tuples ({})'.format(
                    i, objs, 'confidence, row, col, radius' if self.circles
                    else 'confidence, x0, y0, x1, y1', e))
        if len(a) and a.shape[1] != width:
            raise ValueError(
                'object_detector.py: predict: image {}: tuples of {} values, '
                'expected {} ({})'.format(
                    i, a.shape[1], width, 'confidence, row, col, radius'
                    if self.circles else 'confidence, x0, y0, x1, y1'))
        out = np.zeros((len(a), 6), dtype=np.float32)
        if len(a):
            out[:, 1] = a[:, 0]
            if self.circles:
                out[:, 2], out[:, 3], out[:, 4] = a[:, 2], a[:, 1], a[:, 3]
            else:
                out[:, 2:6] = a[:, 1:5]
        if self.max_objects and len(out) > self.max_objects:
            keep = np.argsort(-out[:, 1], kind='stable')[:self.max_objects]
            sys.stderr.write(
                'object_detector.py: predict: image {}: {} objects, the {} '
                'most confident kept (the kit\'s max_objects)\n'.format(
                    i, len(out), self.max_objects))
            out = out[np.sort(keep)]
        return out

    def predict(self, X):
        images = _images(X)
        res = self.model.predict(images)
        try:
            items = list(res)
        except TypeError:
            raise ValueError(
                'object_detector.py: predict returned {}, not one list of '
                'objects per image'.format(type(res).__name__))
        if len(items) != len(images):
            raise ValueError(
                'object_detector.py: predict returned {} items for {} '
                'images'.format(len(items), len(images)))
        return [self._rows(i, o) for i, o in enumerate(items)]
