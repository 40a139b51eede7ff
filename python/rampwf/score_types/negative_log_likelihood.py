"""Negative log-likelihood of the true class (log loss)."""
from . import _metrics
from .base import BaseScoreType


class NegativeLogLikelihood(BaseScoreType):
    """Mean of -log p(true class), probabilities clipped to [1e-15,
    1 - 1e-15] and renormalised per row (ramp's score kind ``nll``).

    ``__call__(y_true_proba, y_proba)`` takes the one-hot truth matrix
    that ``score_function`` passes, or a 1-D array of column indices."""
    is_lower_the_better = True
    minimum = 0.0
    maximum = float('inf')

    def __init__(self, name='negative log likelihood', precision=2):
        self.name = name
        self.precision = precision

    def __call__(self, y_true_proba, y_proba):
        return _metrics.negative_log_likelihood(y_true_proba, y_proba)
