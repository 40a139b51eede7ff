"""rampwf's clustering and combined prediction types: the factories exist (a kit naming them imports, ramp's reader names them in its
refusal); building predictions from their classes raises."""
from .base import BasePrediction


def _refuse(kind):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError(
            'rampwf.prediction_types.make_{}: ramp runs classification '
            'kits only (make_multiclass)'.format(kind))
    return __init__


def _factory(kind):
    def make(*args, **kwargs):
        return type('Predictions', (BasePrediction,), {
            '_ramp_prediction_type': kind,
            'factory_args': args, 'factory_kwargs': kwargs,
            '__init__': _refuse(kind)})
    make.__name__ = 'make_' + kind
    make.__doc__ = ('rampwf\'s make_{}: a Predictions class that ramp '
                    'refuses.'.format(kind))
    return make


make_clustering = _factory('clustering')
make_combined = _factory('combined')
