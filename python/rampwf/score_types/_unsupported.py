"""rampwf's regression, clustering and combined scores.

They exist so that a kit naming them imports, and so that ramp's reader
can say exactly which score it cannot run. Construction keeps the
arguments; calling one raises NotImplementedError (ramp runs image
classification only).
"""
from .base import BaseScoreType


class UnsupportedScoreType(BaseScoreType):
    """A rampwf score type ramp does not implement."""
    family = 'other'

    def __init__(self, *args, **kwargs):
        self.args = args
        self.kwargs = kwargs
        self.name = kwargs.get('name', type(self).__name__.lower())
        self.precision = kwargs.get('precision', 2)

    def __call__(self, *args, **kwargs):
        raise NotImplementedError(
            'rampwf.score_types.{} is a {} score: ramp implements the '
            'image classification scores only'.format(
                type(self).__name__, self.family))


def _make(name, family, lower_is_better):
    return type(name, (UnsupportedScoreType,), {
        '__module__': __name__, 'family': family,
        'is_lower_the_better': lower_is_better,
        '__doc__': 'rampwf\'s {} ({} score): a name only; ramp does not '
                   'run it.'.format(name, family)})


_TABLE = (
    ('RMSE', 'regression', True), ('NormalizedRMSE', 'regression', True),
    ('RelativeRMSE', 'regression', True), ('MARE', 'regression', True),
    ('NormalizedGini', 'regression', False),
    ('BrierSkillScore', 'binary calibration', False),
    ('BrierScoreReliability', 'binary calibration', True),
    ('BrierScoreResolution', 'binary calibration', False),
    ('ClusteringEfficiency', 'clustering', False),
    ('Combined', 'combined', False), ('MakeCombined', 'combined', False),
)

for _name, _family, _lower in _TABLE:
    globals()[_name] = _make(_name, _family, _lower)

__all__ = ['UnsupportedScoreType'] + [row[0] for row in _TABLE]
