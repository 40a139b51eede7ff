"""Classification error: 1 - accuracy."""
from . import _metrics
from .classifier_base import ClassifierBaseScoreType


class ClassificationError(ClassifierBaseScoreType):
    """Share of wrong predictions (ramp's score kind ``error``). Note the
    default name has a space, which ramp's problem file does not accept:
    kits read by ramp pass ``name=``."""
    is_lower_the_better = True
    minimum = 0.0
    maximum = 1.0

    def __init__(self, name='classification error', precision=2):
        self.name = name
        self.precision = precision

    def __call__(self, y_true_label_index, y_pred_label_index):
        return 1.0 - _metrics.accuracy(y_true_label_index, y_pred_label_index)
