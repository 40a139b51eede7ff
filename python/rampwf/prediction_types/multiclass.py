"""Multiclass predictions: an n x n_classes matrix of probabilities.

``make_multiclass(label_names)`` builds the class a kit calls
``Predictions``. The ground truth is built from labels (``y_true=``): one
row per sample with 1 in the column of its label (1/k in each of k labels
for a multilabel row). ``y_pred_label_index`` is the argmax of each row
(the first column on ties). ``combine`` is RAMP's rule, which ramp's C
``ramp_combine`` implements too: clip to [1e-15, 1 - 1e-15], divide each
row by its sum, average the matrices ignoring NaN.
"""
import warnings

import numpy as np

from .base import BasePrediction

EPS = 1e-15


def _init(self, y_pred=None, y_true=None, n_samples=None, fold_is=None):
    """Predictions from ``y_pred`` (probabilities), ``y_true`` (labels), or
    ``n_samples`` (all NaN, to be filled fold by fold); ``fold_is`` first
    selects rows of the given array."""
    if y_pred is not None:
        if fold_is is not None:
            y_pred = y_pred[fold_is]
        self.y_pred = np.array(y_pred)
    elif y_true is not None:
        if fold_is is not None:
            y_true = y_true[fold_is]
        self._init_from_pred_labels(y_true)
    elif n_samples is not None:
        self.y_pred = np.full((n_samples, self.n_columns), np.nan)
    else:
        raise ValueError('Missing init argument: y_pred, y_true, or n_samples')
    self.check_y_pred_dimensions()


def _label_index(self, label):
    """Column of ``label``, after converting it to the type of the first
    label name (so 3, np.int64(3) and '3' all find the int label 3)."""
    label = type(self.label_names[0])(label)
    try:
        return self._index_of[label]
    except (KeyError, TypeError):
        return list(self.label_names).index(label)


def _init_from_pred_labels(self, y_pred_labels):
    """One row per sample: weight 1/k on each of its k labels."""
    self.y_pred = np.zeros((len(y_pred_labels), len(self.label_names)),
                           dtype=np.float64)
    for row, labels in zip(self.y_pred, y_pred_labels):
        if not isinstance(labels, (np.ndarray, list)):
            labels = [labels]
        for label in labels:
            row[self._label_index(label)] = 1.0 / len(labels)


def _y_pred_label_index(self):
    """Index of the most probable class of each row (first on ties)."""
    return np.argmax(self.y_pred, axis=1)


def _y_pred_label(self):
    """Label name of the most probable class of each row."""
    names = np.empty(len(self.label_names), dtype=object)
    names[:] = list(self.label_names)
    return names[self.y_pred_label_index]


def _combine(cls, predictions_list, index_list=None):
    if index_list is None:
        index_list = range(len(predictions_list))
    stack = np.array([predictions_list[i].y_pred for i in index_list])
    stack = np.clip(stack, EPS, 1.0 - EPS)
    stack = stack / np.sum(stack, axis=2, keepdims=True)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', category=RuntimeWarning)
        mean = np.nanmean(stack, axis=0)
    return cls(y_pred=mean)


def make_multiclass(label_names=[]):
    """The Predictions class of a classification problem whose classes are
    ``label_names`` (any sequence; column j is label_names[j])."""
    index_of = {}
    try:
        for j, name in enumerate(label_names):
            index_of.setdefault(name, j)
    except TypeError:  # unhashable names: list.index finds them
        index_of = {}
    return type('Predictions', (BasePrediction,), {
        '__doc__': 'Multiclass predictions over {} labels.'.format(
            len(label_names)),
        '_ramp_prediction_type': 'multiclass',
        'label_names': label_names,
        'n_columns': len(label_names),
        'n_columns_true': 0,
        '_index_of': index_of,
        '__init__': _init,
        '_init_from_pred_labels': _init_from_pred_labels,
        '_label_index': _label_index,
        'y_pred_label_index': property(_y_pred_label_index),
        'y_pred_label': property(_y_pred_label),
        'combine': classmethod(_combine),
    })
