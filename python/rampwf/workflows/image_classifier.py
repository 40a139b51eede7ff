"""rampwf's ImageClassifier workflow, in pure Python.

A submission has two files: ``image_preprocessor.py`` (``transform(x)``,
optionally ``transform_test(x)``) and ``batch_classifier.py`` (a
``BatchClassifier`` with ``fit(gen_builder)`` and ``predict_proba(X)``).
Images are read from disk a *chunk* at a time (``chunk_size`` ids, on
``n_jobs`` threads), transformed one by one and cut into mini-batches.

Inside ramp's fold, the ``gen_builder`` handed to ``fit`` is ramp's own,
backed by its C loader (docs/python.md); the ``BatchGeneratorBuilder`` here
has rampwf's contract and runs anywhere, for use outside ramp.
"""
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..utils.importing import import_module_from_source
from ._images import imread, n_workers


class ImageClassifier(object):
    """The workflow a kit declares: ``test_batch_size`` (rows per
    ``predict_proba`` call at test time), ``chunk_size`` (images read at a
    time), ``n_jobs`` (reading threads), ``n_classes``, and the names of the
    two submission files (``element_names``).
    """

    def __init__(self, test_batch_size, chunk_size, n_jobs, n_classes,
                 workflow_element_names=[
                     'image_preprocessor', 'batch_classifier']):
        self.element_names = workflow_element_names
        self.test_batch_size = test_batch_size
        self.chunk_size = chunk_size
        self.n_jobs = n_jobs
        self.n_classes = n_classes

    def train_submission(self, module_path, folder_X_array, y_array,
                         train_is=None):
        """Fit the submission in ``module_path`` on the rows ``train_is``
        (all by default) of ``folder_X_array = (folder, ids)`` and the
        class indices ``y_array``. Returns (transform, transform_test,
        fitted classifier)."""
        folder, X_array = folder_X_array
        if train_is is None:
            train_is = slice(None)
        preprocessor = import_module_from_source(
            os.path.join(module_path, self.element_names[0] + '.py'),
            self.element_names[0], sanitize=True)
        transform = preprocessor.transform
        transform_test = getattr(preprocessor, 'transform_test', transform)
        classifier = import_module_from_source(
            os.path.join(module_path, self.element_names[1] + '.py'),
            self.element_names[1], sanitize=True)
        clf = classifier.BatchClassifier()
        gen_builder = BatchGeneratorBuilder(
            np.asarray(X_array)[train_is], np.asarray(y_array)[train_is],
            transform, transform_test, folder=folder,
            chunk_size=self.chunk_size, n_classes=self.n_classes,
            n_jobs=self.n_jobs)
        clf.fit(gen_builder)
        return transform, transform_test, clf

    def test_submission(self, trained_model, folder_X_array):
        """Probabilities (n x n_classes) of the trained model on every id
        of ``folder_X_array``, in ``test_batch_size`` batches."""
        folder, X_array = folder_X_array
        _, transform_test, clf = trained_model
        y_proba = []
        for X in _chunk_iterator(X_array, folder=folder,
                                 chunk_size=self.chunk_size,
                                 n_jobs=self.n_jobs):
            for i in range(0, len(X), self.test_batch_size):
                batch = _stack([transform_test(x) for x in
                                X[i:i + self.test_batch_size]])
                y_proba.append(clf.predict_proba(batch))
        return np.concatenate(y_proba, axis=0)


def _stack(xs, dtype=None):
    """Transformed images into one batch array: an image of 3 or more
    dimensions gets a leading batch axis, a 2-D one (H x W) becomes
    1 x 1 x H x W, as in rampwf."""
    rows = []
    for x in xs:
        x = np.asarray(x)
        if x.ndim >= 3:
            rows.append(x[np.newaxis])
        elif x.ndim == 2:
            rows.append(x[np.newaxis, np.newaxis])
        else:
            raise IndexError('a transformed image should have 2 or more '
                             'dimensions, not shape {}'.format(x.shape))
    X = np.concatenate(rows, axis=0)
    return X if dtype is None else np.asarray(X, dtype=dtype)


class BatchGeneratorBuilder(object):
    """Builds the endless (X, y) mini-batch generators a BatchClassifier
    trains on.

    ``X_array`` are image ids (files ``folder/<id>``), ``y_array`` their
    class indices; images are read ``chunk_size`` at a time on ``n_jobs``
    threads and passed through ``transform_img``. X batches are float32
    (n, ...), y batches one-hot (n, n_classes).
    """

    def __init__(self, X_array, y_array, transform_img, transform_test_img,
                 folder, chunk_size, n_classes, n_jobs):
        self.X_array = X_array
        self.y_array = y_array
        self.transform_img = transform_img
        self.transform_test_img = transform_test_img
        self.folder = folder
        self.chunk_size = chunk_size
        self.n_classes = n_classes
        self.n_jobs = n_jobs
        self.nb_examples = len(X_array)

    def get_train_valid_generators(self, batch_size=256, valid_ratio=0.1):
        """(gen_train, gen_valid, nb_train, nb_valid): the last
        ``int(valid_ratio * nb_examples)`` rows, in order, are the
        validation ones; both generators loop over their rows forever, in
        the same order every epoch (rampwf does not shuffle). A generator
        over no rows stops at once rather than looping."""
        nb_valid = int(valid_ratio * self.nb_examples)
        nb_train = self.nb_examples - nb_valid
        indices = np.arange(self.nb_examples)
        gen_train = self._get_generator(indices[:nb_train], batch_size)
        gen_valid = self._get_generator(indices[nb_train:], batch_size)
        return gen_train, gen_valid, nb_train, nb_valid

    def _get_generator(self, indices=None, batch_size=256):
        if indices is None:
            indices = np.arange(self.nb_examples)
        if len(indices) == 0:
            return
        X_ids = np.asarray(self.X_array)[indices]
        y_all = np.asarray(self.y_array)[indices]
        while True:
            for X, y in _chunk_iterator(X_ids, folder=self.folder,
                                        y_array=y_all,
                                        chunk_size=self.chunk_size,
                                        n_jobs=self.n_jobs):
                X = _stack([self.transform_img(x) for x in X],
                           dtype=np.float32)
                y = _to_categorical(y, num_classes=self.n_classes)
                for i in range(0, len(X), batch_size):
                    yield X[i:i + batch_size], y[i:i + batch_size]


def _chunk_iterator(X_array, folder, y_array=None, chunk_size=1024, n_jobs=8):
    """Yield the images of ``X_array`` (files ``folder/<id>``) a chunk at a
    time: a list of up to ``chunk_size`` arrays (H x W x C, shapes may
    differ), with the matching slice of ``y_array`` when it is given, as
    ``(X, y)``. ``n_jobs`` threads read each chunk."""
    with ThreadPoolExecutor(max_workers=n_workers(n_jobs)) as pool:
        for i in range(0, len(X_array), chunk_size):
            names = [os.path.join(folder, '{}'.format(x))
                     for x in X_array[i:i + chunk_size]]
            X = list(pool.map(imread, names))
            if y_array is None:
                yield X
            else:
                yield X, y_array[i:i + chunk_size]


def _to_categorical(y, num_classes=None):
    """Class indices -> one-hot float64 matrix (n, num_classes); without
    num_classes, max(y) + 1 columns."""
    y = np.array(y, dtype='int').ravel()
    if not num_classes:
        num_classes = int(np.max(y)) + 1
    out = np.zeros((y.shape[0], num_classes))
    out[np.arange(y.shape[0]), y] = 1
    return out


def get_nb_minibatches(nb_samples, batch_size):
    """Number of mini-batches of ``batch_size`` that cover ``nb_samples``
    (the last one may be short)."""
    return nb_samples // batch_size + (1 if nb_samples % batch_size else 0)
