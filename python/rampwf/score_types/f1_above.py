"""Share of classes whose F1 score is above a threshold."""
import numpy as np

from . import _metrics
from .classifier_base import ClassifierBaseScoreType


class F1Above(ClassifierBaseScoreType):
    """Of the classes seen in the truth or the predictions, the share whose
    F1 is strictly above ``threshold`` (ramp's score kind ``f1_above``)."""
    is_lower_the_better = False
    minimum = 0.0
    maximum = 1.0

    def __init__(self, name='f1_above', precision=2, threshold=0.5):
        self.name = name
        self.precision = precision
        self.threshold = threshold

    def __call__(self, y_true, y_pred):
        f1 = _metrics.f1_per_class(y_true, y_pred)
        return float(np.count_nonzero(f1 > self.threshold)) / len(f1)
