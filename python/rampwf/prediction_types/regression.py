"""Regression predictions: one value per sample (or one per label name).

Real, and small: ramp itself runs classification kits only, so its reader
refuses a kit whose Predictions come from here.
"""
import numpy as np

from .base import BasePrediction


def _init(self, y_pred=None, y_true=None, n_samples=None, fold_is=None):
    given = y_pred if y_pred is not None else y_true
    if given is not None:
        if fold_is is not None:
            given = given[fold_is]
        self.y_pred = np.array(given)
    elif n_samples is not None:
        shape = (n_samples,) if self.n_columns == 0 else (
            n_samples, self.n_columns)
        self.y_pred = np.full(shape, np.nan)
    else:
        raise ValueError('Missing init argument: y_pred, y_true, or n_samples')
    self.check_y_pred_dimensions()


def make_regression(label_names=[]):
    """The Predictions class of a regression problem: 1-D without label
    names, else one column per name."""
    return type('Predictions', (BasePrediction,), {
        '_ramp_prediction_type': 'regression',
        'label_names': label_names,
        'n_columns': len(label_names),
        'n_columns_true': len(label_names),
        '__init__': _init,
    })
