"""Accuracy: the share of rows whose predicted class is the true one."""
from . import _metrics
from .classifier_base import ClassifierBaseScoreType


class Accuracy(ClassifierBaseScoreType):
    """Share of correct predictions (ramp's score kind ``accuracy``)."""
    is_lower_the_better = False
    minimum = 0.0
    maximum = 1.0

    def __init__(self, name='accuracy', precision=2):
        self.name = name
        self.precision = precision

    def __call__(self, y_true_label_index, y_pred_label_index):
        return _metrics.accuracy(y_true_label_index, y_pred_label_index)
