"""rampwf's ObjectDetector workflow: one file, ``object_detector.py``, whose
``ObjectDetector`` has ``fit(X, y)`` and ``predict(X)`` over whole arrays.

X is an array of images (n × H × W, or n × H × W × C), y an object array
with, per image, a list of ``(row, col, radius)`` tuples; ``predict``
returns, per image, a list of ``(confidence, row, col, radius)``. That is
mars_craters' contract (rampwf's only published detection kit).

Outside ramp ``ObjectDetector`` works in pure Python (``train_submission``
and ``test_submission``, as rampwf's). Inside ramp's fold,
``_fold_detector.FoldDetector`` puts that contract on ramp's own detector
contract.
"""
import os

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
