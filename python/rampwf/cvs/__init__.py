"""rampwf's own cross-validation classes (most kits use scikit-learn's).

Both are real: ``get_cv(X, y)`` yields ``(train_is, valid_is)`` index pairs
as rampwf's do, and ramp's reader turns any such generator into a folds
file. Neither is for image kits in particular; they are here so that a kit
importing them reads.
"""
from .clustering import Clustering
from .time_series import TimeSeries

__all__ = ['Clustering', 'TimeSeries']
