"""Area under the ROC curve of a binary problem."""
from . import _metrics
from .base import BinaryProbaScoreType


class ROCAUC(BinaryProbaScoreType):
    """ROC AUC of the probability of class index 1 (ramp's score kind
    ``roc_auc``): ``score_function`` compares the second column of the
    predictions with the true class index. The larger of the two labels is
    the positive class; one label, or three, is an error.
    """
    is_lower_the_better = False
    minimum = 0.0
    maximum = 1.0

    def __init__(self, name='roc_auc', precision=2):
        self.name = name
        self.precision = precision

    def __call__(self, y_true_proba, y_proba):
        return _metrics.roc_auc(y_true_proba, y_proba)
