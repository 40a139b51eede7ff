"""The numbers behind rampwf's classification scores, in numpy.

Each function takes what the score's ``__call__`` takes and returns a
Python float, with scikit-learn's semantics as rampwf calls it (labels are
the sorted union of y_true and y_pred, as ``sklearn.utils.multiclass.
unique_labels``; undefined ratios count 0). ramp's C scores
(``src/score/score.c``) implement the same definitions on class indices.
"""
import numpy as np

# clip bound for probabilities: ramp's (RAMP_SCORE_EPS) and sklearn < 1.2's
EPS = 1e-15


def _labels(y, what):
    a = np.asarray(y)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1:
        raise ValueError('{} should be a 1-D array of labels, not an array '
                         'of shape {}'.format(what, a.shape))
    return a


def _pair(y_true, y_pred):
    t, p = _labels(y_true, 'y_true'), _labels(y_pred, 'y_pred')
    if len(t) != len(p):
        raise ValueError('y_true has {} rows but y_pred has {}'.format(
            len(t), len(p)))
    if len(t) == 0:
        raise ValueError('no rows to score')
    return t, p


def class_counts(y_true, y_pred):
    """Per-class (tp, fp, fn) as int arrays over the sorted union of the
    labels of y_true and y_pred."""
    t, p = _pair(y_true, y_pred)
    _, inv = np.unique(np.concatenate([t, p]), return_inverse=True)
    inv = inv.ravel()
    ti, pi = inv[:len(t)], inv[len(t):]
    k = int(inv.max()) + 1
    tp = np.bincount(ti[ti == pi], minlength=k)
    return (tp, np.bincount(pi, minlength=k) - tp,
            np.bincount(ti, minlength=k) - tp)


def accuracy(y_true, y_pred):
    t, p = _pair(y_true, y_pred)
    return float(np.mean(t == p))


def f1_per_class(y_true, y_pred):
    """F1 of each class of the union, 2tp / (2tp + fp + fn), 0 if 0/0."""
    tp, fp, fn = class_counts(y_true, y_pred)
    den = 2 * tp + fp + fn
    return np.where(den > 0, 2.0 * tp / np.maximum(den, 1), 0.0)


def recall_per_class(y_true, y_pred):
    """(recall of each class of the union, its support in y_true)."""
    tp, _, fn = class_counts(y_true, y_pred)
    support = tp + fn
    return np.where(support > 0, tp / np.maximum(support, 1), 0.0), support


def balanced_accuracy(y_true, y_pred, adjusted):
    """Mean recall over the classes present in y_true; adjusted, rescaled
    so that chance is 0: (R - 1/m) / (1 - 1/m), m classes (NaN or -inf
    when m = 1, as numpy divides)."""
    recall, support = recall_per_class(y_true, y_pred)
    present = recall[support > 0]
    score = np.float64(np.mean(present))
    if adjusted:
        chance = 1.0 / len(present)
        with np.errstate(divide='ignore', invalid='ignore'):
            score = (score - chance) / np.float64(1.0 - chance)
    return float(score)


def macro_recall(y_true, y_pred):
    """Mean recall over the union of the labels (a class only predicted
    counts 0)."""
    return float(np.mean(recall_per_class(y_true, y_pred)[0]))


def negative_log_likelihood(y_true, y_proba):
    """Mean of -log q[i, true class] with q = y_proba clipped to
    [1e-15, 1 - 1e-15] and each row divided by its sum.

    y_true is either a matrix of the shape of y_proba (one-hot, what
    rampwf's score_function passes) or a 1-D array of column indices.
    A 1-D y_proba is the probability of column 1 of two.
    """
    q = np.asarray(y_proba, dtype=np.float64)
    if q.ndim == 1:
        q = np.stack([1.0 - q, q], axis=1)
    if q.ndim != 2:
        raise ValueError('y_proba should be 2-D, not of shape {}'.format(
            q.shape))
    q = np.clip(q, EPS, 1.0 - EPS)
    q = q / q.sum(axis=1, keepdims=True)
    t = np.asarray(y_true)
    if t.ndim == 2:
        if t.shape != q.shape:
            raise ValueError('y_true has shape {} but y_proba {}'.format(
                t.shape, q.shape))
        weights = t.astype(np.float64)
    else:
        t = _labels(t, 'y_true')
        if len(t) != len(q):
            raise ValueError('y_true has {} rows but y_proba has {}'.format(
                len(t), len(q)))
        if not np.issubdtype(t.dtype, np.integer) or (
                len(t) and (t.min() < 0 or t.max() >= q.shape[1])):
            raise ValueError('a 1-D y_true should hold column indices in '
                             '[0, {})'.format(q.shape[1]))
        weights = np.zeros_like(q)
        weights[np.arange(len(t)), t] = 1.0
    if len(q) == 0:
        raise ValueError('no rows to score')
    return float(np.mean(-(weights * np.log(q)).sum(axis=1)))


def _binary(y_true, y_score, what):
    t = _labels(y_true, 'y_true')
    s = np.asarray(y_score, dtype=np.float64)
    if s.ndim != 1 or len(s) != len(t):
        raise ValueError('{}: y_true has {} rows, the scores have shape '
                         '{}'.format(what, len(t), s.shape))
    if len(t) == 0:
        raise ValueError('no rows to score')
    if not np.all(np.isfinite(s)):
        raise ValueError('{}: the scores hold NaN or infinity'.format(what))
    classes = np.unique(t)
    if len(classes) > 2:
        raise ValueError('{} is a binary score, but y_true holds {} classes '
                         '({})'.format(what, len(classes),
                                       ', '.join(map(str, classes[:5]))))
    return t, s, classes


def brier_score(y_true, y_proba):
    """Mean squared gap between y_proba and [y_true == positive]; the
    positive class is 1 when the labels lie in {0, 1} (or {-1, 1}), else
    the larger label (scikit-learn's rule)."""
    t, p, classes = _binary(y_true, y_proba, 'BrierScore')
    if p.max() > 1:
        raise ValueError('y_prob contains values greater than 1.')
    if p.min() < 0:
        raise ValueError('y_prob contains values less than 0.')
    if classes.dtype.kind in 'OUS':
        raise ValueError('BrierScore needs numeric labels, not {}'.format(
            ', '.join(map(repr, classes))))
    seen = set(classes.tolist())
    pos = 1 if seen <= {0, 1} or seen <= {-1, 1} else classes[-1]
    return float(np.mean(((t == pos).astype(np.float64) - p) ** 2))


def roc_auc(y_true, y_score):
    """Area under the ROC curve of the larger label against the other:
    the share of (positive, negative) pairs the scores order correctly,
    ties counting one half (Mann-Whitney, from mid-ranks)."""
    t, s, classes = _binary(y_true, y_score, 'ROCAUC')
    if len(classes) < 2:
        raise ValueError('Only one class present in y_true. ROC AUC score '
                         'is not defined in that case.')
    pos = t == classes[1]
    _, inv, counts = np.unique(s, return_inverse=True, return_counts=True)
    mid_rank = np.cumsum(counts) - (counts - 1) / 2.0  # 1-based
    n_pos = int(pos.sum())
    n_neg = len(t) - n_pos
    rank_sum = float(mid_rank[inv.ravel()][pos].sum())
    return (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


def soft_accuracy(score_matrix, y_true_proba, y_proba):
    """Mean over rows of <normalised clip(y_proba, 0, 1), y_true_proba @
    score_matrix>, a row of zeros scoring 0 (NaN becomes 0)."""
    p = np.clip(np.asarray(y_proba, dtype=np.float64), 0.0, 1.0)
    with np.errstate(divide='ignore', invalid='ignore'):
        p = p / p.sum(axis=1, keepdims=True)
    smooth = np.asarray(y_true_proba, dtype=np.float64).dot(score_matrix)
    per_row = np.nan_to_num((p * smooth).sum(axis=1))
    return float(np.nan_to_num(np.mean(per_row)))
