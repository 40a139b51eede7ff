"""Detection predictions: per sample, a list of objects.

``make_detection()`` builds the class a detection kit calls
``Predictions``. ``y_pred`` is an object array with one entry per image: a
list of tuples, ``(confidence, row, col, radius)`` for predictions and
``(row, col, radius)`` for the ground truth (rampwf's mars_craters
convention). An entry of ``None`` is an image no fold predicted.

ramp scores and bags detections in C (``[detection]`` of problem.ini:
weighted box fusion of the folds' objects, rampwf's semantics with
``compat = rampwf``); ``combine`` here is not that bag and refuses.
"""
import numpy as np

from .base import BasePrediction


def _object_array(items):
    """An object array of len(items), item i the i-th entry (a list stays a
    list: numpy would otherwise make a 2-D array of equal-length lists)."""
    out = np.empty(len(items), dtype=object)
    for i, v in enumerate(items):
        out[i] = v
    return out


class _DetectionPredictions(BasePrediction):
    _ramp_prediction_type = 'detection'
    label_names = ()
    n_columns = 0

    def __init__(self, y_pred=None, y_true=None, n_samples=None,
                 fold_is=None):
        if y_pred is not None:
            y = y_pred
        elif y_true is not None:
            y = y_true
        elif n_samples is not None:
            y = [None] * n_samples
        else:
            raise ValueError(
                'Missing init argument: y_pred, y_true, or n_samples')
        y = _object_array(list(y))
        if fold_is is not None:
            y = y[fold_is]
        self.y_pred = y

    def check_y_pred_dimensions(self):
        if self.y_pred.ndim != 1:
            raise ValueError('detection predictions are a vector of lists '
                             '(one per image), got shape {}'.format(
                                 self.y_pred.shape))

    def set_valid_in_train(self, predictions, test_is):
        self.y_pred[test_is] = predictions.y_pred

    @property
    def valid_indexes(self):
        return np.array([v is not None for v in self.y_pred], dtype=bool)

    @classmethod
    def combine(cls, predictions_list, index_list=None):
        raise NotImplementedError(
            'rampwf.prediction_types.make_detection: ramp bags detections in '
            "C (problem.ini's [detection] bagging: wbf or nms), not in "
            'Python')


def make_detection():
    """The ``Predictions`` class of a detection kit (rampwf's
    ``make_detection``)."""
    return type('Predictions', (_DetectionPredictions,), {})
