"""Brier score of a binary problem."""
from . import _metrics
from .base import BinaryProbaScoreType


class BrierScore(BinaryProbaScoreType):
    """Mean squared error of the probability of class index 1 (ramp's
    score kind ``brier``).

    ``score_function`` compares the second column of the predictions with
    the true class index; ``__call__(y_true, y_proba)`` takes those two
    1-D arrays. The positive class is 1 when the labels lie in {0, 1},
    else the larger label; more than two labels is an error.
    """
    is_lower_the_better = True
    minimum = 0.0
    maximum = 1.0

    def __init__(self, name='brier_score', precision=3):
        self.name = name
        self.precision = precision

    def __call__(self, y_true_proba, y_proba):
        return _metrics.brier_score(y_true_proba, y_proba)
