"""Accuracy with partial credit between classes."""
import numpy as np

from . import _metrics
from .base import BaseScoreType


class SoftAccuracy(BaseScoreType):
    """Accuracy where predicting class j for true class i earns
    ``score_matrix[i, j]`` (ordinal problems: near misses earn something).

    Each row of probabilities is clipped to [0, 1] and normalised, then
    scored against the truth smoothed by the matrix; the mean over rows is
    the score. ramp's C scorer has no such kind: a kit that uses it runs
    under rampwf only.
    """
    is_lower_the_better = False
    minimum = 0.0

    def __init__(self, score_matrix, name='soft precision', precision=2):
        self.name = name
        self.precision = precision
        self.score_matrix = score_matrix
        self.maximum = np.max(score_matrix)

    def __call__(self, y_true_proba, y_proba):
        return _metrics.soft_accuracy(self.score_matrix, y_true_proba, y_proba)
