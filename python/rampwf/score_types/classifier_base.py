"""Scores of hard predictions: they compare class indices."""
from .base import BaseScoreType


class ClassifierBaseScoreType(BaseScoreType):
    """A score on predicted labels: ``score_function`` hands ``__call__``
    the index of the true class and the index of the most probable one
    (the first on ties), rather than the probability matrices."""

    def score_function(self, ground_truths, predictions):
        self.label_names = ground_truths.label_names
        y_true = ground_truths.y_pred_label_index
        y_pred = predictions.y_pred_label_index
        self.check_y_pred_dimensions(y_true, y_pred)
        return self(y_true, y_pred)
