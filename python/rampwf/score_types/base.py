"""The base class of rampwf's score types."""


class BaseScoreType(object):
    """A score: ``name``, ``precision`` (decimals shown),
    ``is_lower_the_better``, ``minimum``, ``maximum``, and
    ``__call__(y_true, y_pred)`` on numpy arrays.

    ``score_function(ground_truths, predictions)`` scores two Predictions
    objects (rampwf's prediction types) through their ``y_pred`` arrays.
    """
    is_lower_the_better = False
    minimum = 0.0
    maximum = 1.0

    def check_y_pred_dimensions(self, y_true, y_pred):
        if len(y_true) != len(y_pred):
            raise ValueError(
                'Wrong y_pred dimensions: y_pred should have {} instances, '
                'instead it has {} instances'.format(len(y_true), len(y_pred)))

    @property
    def worst(self):
        """The worst value the score can take (maximum or minimum)."""
        return self.maximum if self.is_lower_the_better else self.minimum

    def score_function(self, ground_truths, predictions):
        y_true, y_pred = ground_truths.y_pred, predictions.y_pred
        self.check_y_pred_dimensions(y_true, y_pred)
        return self(y_true, y_pred)

    def __repr__(self):
        return '{}(name={!r}, precision={!r})'.format(
            type(self).__name__, getattr(self, 'name', None),
            getattr(self, 'precision', None))


class BinaryProbaScoreType(BaseScoreType):
    """A two-class score on the probability of class index 1:
    ``score_function`` passes the true class index and the second column of
    the predictions to ``__call__``."""

    def score_function(self, ground_truths, predictions):
        y_proba = predictions.y_pred[:, 1]
        y_true = ground_truths.y_pred_label_index
        self.check_y_pred_dimensions(y_true, y_proba)
        return self(y_true, y_proba)
