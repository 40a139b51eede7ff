"""The base of rampwf's prediction types: a numpy array ``y_pred`` with
cross-validation helpers and a rule to combine several of them."""
import warnings

import numpy as np


class BasePrediction(object):
    """Predictions (or the ground truth) as an array ``y_pred``.

    Rows not predicted yet are NaN (``valid_indexes`` says which are not);
    ``set_valid_in_train`` fills a fold's rows, ``set_slice`` keeps a subset,
    ``combine`` averages several (NaN ignored) into one.
    """
    n_columns = 0

    def __str__(self):
        return 'y_pred = {}'.format(self.y_pred)

    @property
    def valid_indexes(self):
        """Boolean mask of the rows that hold a prediction (not NaN)."""
        if self.y_pred.ndim == 1:
            return ~np.isnan(self.y_pred)
        if self.y_pred.ndim == 2:
            return ~np.isnan(self.y_pred[:, 0])
        raise ValueError('y_pred.shape > 2 is not implemented')

    def set_valid_in_train(self, predictions, test_is):
        """Write the rows of ``predictions`` at the positions ``test_is``."""
        self.y_pred[test_is] = predictions.y_pred

    def set_slice(self, valid_indexes):
        """Keep only the rows ``valid_indexes`` (a mask or indices)."""
        self.y_pred = self.y_pred[valid_indexes]

    def check_y_pred_dimensions(self):
        shape = self.y_pred.shape
        if self.n_columns == 0 and len(shape) != 1:
            raise ValueError('Wrong y_pred dimensions: y_pred should be 1D, '
                             'instead its shape is {}'.format(shape))
        if self.n_columns > 0 and (len(shape) != 2 or
                                   shape[1] != self.n_columns):
            raise ValueError(
                'Wrong y_pred dimensions: y_pred should be 2D with {} '
                'columns, instead its shape is {}'.format(
                    self.n_columns, shape))

    @classmethod
    def combine(cls, predictions_list, index_list=None):
        """The mean of the listed predictions' ``y_pred``, NaN ignored (a
        cell NaN in all of them stays NaN)."""
        if index_list is None:
            index_list = range(len(predictions_list))
        stack = np.array([predictions_list[i].y_pred for i in index_list])
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', category=RuntimeWarning)
            mean = np.nanmean(stack, axis=0)
        return cls(y_pred=mean)
