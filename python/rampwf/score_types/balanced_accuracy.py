"""Balanced accuracy: mean per-class recall, adjusted for chance."""
from . import _metrics
from .classifier_base import ClassifierBaseScoreType


class BalancedAccuracy(ClassifierBaseScoreType):
    """Mean recall R over the m classes present in the truth.

    With ``adjusted=True`` (the default, and ramp's score kind
    ``balanced_accuracy``) the score is (R - 1/m) / (1 - 1/m): 0 for
    chance, 1 for perfect, down to 1 / (1 - m). ``adjusted=False`` gives R
    itself, which ramp's C scorer does not offer.
    """
    is_lower_the_better = False
    minimum = 0.0
    maximum = 1.0

    def __init__(self, name='balanced_accuracy', precision=2, adjusted=True):
        self.name = name
        self.precision = precision
        self.adjusted = adjusted

    def __call__(self, y_true_label_index, y_pred_label_index):
        return _metrics.balanced_accuracy(
            y_true_label_index, y_pred_label_index, self.adjusted)
