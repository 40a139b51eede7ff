"""rampwf's prediction types: ``make_multiclass`` and ``make_detection``
are what ramp runs; ``make_regression`` works but ramp refuses it; the
others are names."""
from ._unsupported import make_clustering, make_combined
from .detection import make_detection
from .base import BasePrediction
from .multiclass import make_multiclass
from .regression import make_regression

__all__ = ['BasePrediction', 'make_clustering', 'make_combined',
           'make_detection', 'make_multiclass', 'make_regression']
