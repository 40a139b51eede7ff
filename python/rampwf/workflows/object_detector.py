"""rampwf's ObjectDetector workflow: one file, ``object_detector.py``, whose
``ObjectDetector`` has ``fit(X, y)`` and ``predict(X)`` over whole arrays.

X is an array of images (n × H × W, or n × H × W × C), y an object array
with, per image, a list of ``(row, col, radius)`` tuples; ``predict``
returns, per image, a list of ``(confidence, row, col, radius)``. That is
mars_craters' contract (rampwf's only published detection kit).

Outside ramp ``ObjectDetector`` works in pure Python (``train_submission``
and ``test_submission``, as rampwf's). Inside ramp's fold, ``FoldDetector``
puts that contract on ramp's own detector contract (``BatchDetector``'s
``fit(gen_builder)`` and ``predict(X)``, docs/submissions.md):

- fit reads every fold-train image once through the builder, in order and
  untransformed (the kit reader wrote the kit's arrays as 8-bit PNGs, so
  the float pixels are the kit's uint8 values), stacks them into the
  kit's layout (n × H × W for one channel, n × H × W × C otherwise) as
  uint8, turns each image's circles (x = column, y = row, r) back into
  ``(row, col, radius)`` tuples, and calls ``fit(X, y)`` once;
- predict gives the model batches of images (``[workflow]
  test_batch_size`` at a time) in the same layout, and turns its tuples
  into ramp's rows ``(class 0, confidence, x = col, y = row, r, 0)``,
  keeping the ``max_objects`` most confident of an image (the fold's log
  says when it drops any). Box kits get ``(x0, y0, x1, y1)`` tuples and
  return ``(confidence, x0, y0, x1, y1)``.
"""
import math
import os
import sys

import numpy as np

from ..utils.importing import import_module_from_source


class ObjectDetector(object):
    """The workflow a kit declares; ``element_names`` is the submission
    file's name (``object_detector``)."""

    def __init__(self, workflow_element_names=['object_detector']):
        self.element_names = workflow_element_names

    def train_submission(self, module_path, X, y, train_is=None):
        """Fit the submission in ``module_path`` on the rows ``train_is``
        (all by default); returns the fitted detector."""
        if train_is is None:
            train_is = slice(None)
        module = import_module_from_source(
            os.path.join(module_path, self.element_names[0] + '.py'),
            self.element_names[0], sanitize=True)
        model = module.ObjectDetector()
        model.fit(X[train_is], y[train_is])
        return model

    def test_submission(self, trained_model, X):
        """The fitted detector's predictions on every image of X."""
        return trained_model.predict(X)


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
        """ramp's (k, 5) rows (class, g0..g3) as rampwf's tuples."""
        rows = np.asarray(objs, dtype=np.float64).reshape(-1, 5)
        if self.circles:
            return [(float(y), float(x), float(r)) for _, x, y, r, _ in rows]
        return [tuple(float(v) for v in o[1:5]) for o in rows]

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
