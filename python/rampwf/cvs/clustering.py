"""Cross-validation that keeps each event whole (rampwf's clustering CV)."""
import numpy as np


class Clustering(object):
    """Shuffle-split over events rather than rows.

    ``y[:, 0]`` holds each row's event id; scikit-learn's ``ShuffleSplit``
    (``n_cv`` splits, ``cv_test_size``, ``random_state``) draws whole events
    for validation, and a fold lists every row of its events.
    """

    def __init__(self, n_cv=1, cv_test_size=0.5, random_state=57):
        self.n_cv = n_cv
        self.cv_test_size = cv_test_size
        self.random_state = random_state

    def get_cv(self, X, y):
        from sklearn.model_selection import ShuffleSplit
        events = np.asarray(y)[:, 0]
        unique = np.unique(events)
        split = ShuffleSplit(n_splits=self.n_cv, test_size=self.cv_test_size,
                             random_state=self.random_state)
        for train_ev, valid_ev in split.split(unique):
            yield (np.flatnonzero(np.isin(events, unique[train_ev])),
                   np.flatnonzero(np.isin(events, unique[valid_ev])))
