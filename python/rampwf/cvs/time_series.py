"""Block cross-validation for time series: validation after training."""
import numpy as np


class TimeSeries(object):
    """Folds whose validation rows all come after their training rows.

    The last ``cv_block_size`` share of the series is cut into ``n_cv``
    blocks, each a whole number of ``period`` steps long; fold i trains on
    everything before block i and validates on the rest of the series.
    ``get_cv`` prints the block lengths in ``unit`` (and ``unit_2``, one
    ``period`` of ``unit``), as rampwf does.
    """

    def __init__(self, n_cv=8, cv_block_size=0.5, period=12, unit='',
                 unit_2=None):
        self.n_cv = n_cv
        self.cv_block_size = cv_block_size
        self.period = period
        self.unit = unit
        self.unit_2 = unit_2

    def _describe(self, what, length):
        text = 'length of {}: {} {}s'.format(what, length, self.unit)
        if self.unit_2 is not None:
            text += ' = {} {}s'.format(length / self.period, self.unit_2)
        print(text)

    def get_cv(self, X, y):
        n = len(y)
        blocks = int(n * self.cv_block_size / self.n_cv / self.period)
        block = blocks * self.period
        common = n - block * self.n_cv
        self._describe('common block', common)
        self._describe('validation block', n - common)
        self._describe('each cv block', block)
        for i in range(self.n_cv):
            cut = common + i * block
            yield np.arange(0, cut), np.arange(cut, n)
