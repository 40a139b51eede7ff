"""rampwf's SimplifiedImageClassifier workflow, in pure Python.

A submission is one file, ``image_classifier.py``, whose
``ImageClassifier`` has ``fit(img_loader)`` and ``predict_proba(img_loader)``:
it reads images itself through an ``ImageLoader``, one (``load``) or many
(``parallel_load``) at a time.
"""
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..utils.importing import import_module_from_source
from ._images import imread, rotate


class SimplifiedImageClassifier(object):
    """The workflow a kit declares: ``n_classes`` and the submission file's
    name (``element_names``)."""

    def __init__(self, n_classes, workflow_element_names=['image_classifier']):
        self.n_classes = n_classes
        self.element_names = workflow_element_names

    def train_submission(self, module_path, folder_X_array, y_array,
                         train_is=None):
        """Fit the submission in ``module_path`` on the rows ``train_is``
        (all by default); returns the fitted classifier."""
        folder, X_array = folder_X_array
        if train_is is None:
            train_is = slice(None)
        module = import_module_from_source(
            os.path.join(module_path, self.element_names[0] + '.py'),
            self.element_names[0], sanitize=True)
        clf = module.ImageClassifier()
        clf.fit(ImageLoader(np.asarray(X_array)[train_is],
                            np.asarray(y_array)[train_is],
                            folder=folder, n_classes=self.n_classes))
        return clf

    def test_submission(self, trained_model, folder_X_array):
        """Probabilities of the fitted classifier on every id."""
        folder, X_array = folder_X_array
        return trained_model.predict_proba(ImageLoader(
            X_array, None, folder=folder, n_classes=self.n_classes))


def _image_transform(x, transforms):
    """Apply ``transforms``, a list of dicts: ``{'name': 'rotate',
    'l_angle': a, 'u_angle': b}`` rotates by a uniform angle in [a, b)
    degrees (numpy's global random state). rampwf computes this rotation
    and drops it by mistake; here it is applied. Other names raise."""
    for t in transforms:
        if t.get('name') != 'rotate':
            raise ValueError('unknown image transform {!r} (ramp knows '
                             "'rotate')".format(t.get('name')))
        angle = np.random.random() * (t['u_angle'] - t['l_angle']) + \
            t['l_angle']
        x = rotate(x, angle)
    return x


class ImageLoader(object):
    """Reads the images ``folder/<id>`` of ``X_array`` on demand, with
    their labels ``y_array`` (None at test time)."""

    def __init__(self, X_array, y_array, folder, n_classes):
        self.X_array = X_array
        self.y_array = y_array
        self.folder = folder
        self.n_classes = n_classes
        self.nb_examples = len(X_array)

    def _path(self, index):
        return os.path.join(self.folder, '{}'.format(self.X_array[index]))

    def load(self, index):
        """Image ``index`` (0 <= index < nb_examples) as an array
        (H x W x C; H x W for gray), with its label as ``(x, y)`` when the
        loader has labels."""
        if index < 0 or index >= self.nb_examples:
            raise IndexError('list index out of range')
        x = imread(self._path(index))
        if self.y_array is None:
            return x
        return x, self.y_array[index]

    def parallel_load(self, indexes, transforms=None):
        """The images ``indexes`` read on one thread per core (and passed
        through ``transforms``, see _image_transform): a list, or
        ``(list of images, list of labels)`` when the loader has labels."""
        indexes = list(indexes)
        for index in indexes:
            if not 0 <= index < self.nb_examples:
                raise IndexError('index {} out of range [0, {})'.format(
                    index, self.nb_examples))
        paths = [self._path(i) for i in indexes]
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            xs = list(pool.map(imread, paths))
            if transforms is not None:
                xs = list(pool.map(
                    lambda x: _image_transform(x, transforms), xs))
        if self.y_array is None:
            return xs
        return xs, [self.y_array[i] for i in indexes]

    def __iter__(self):
        for i in range(self.nb_examples):
            yield self.load(i)

    def __len__(self):
        return self.nb_examples
