"""rampwf's workflows other than the two image ones.

Each exists so that a kit naming it imports and ramp's reader can name it
in its refusal: construction keeps the arguments; training raises
NotImplementedError (ramp runs ImageClassifier,
SimplifiedImageClassifier and ObjectDetector).
"""


class UnsupportedWorkflow(object):
    """A rampwf workflow ramp does not run."""

    def __init__(self, *args, **kwargs):
        self.args = args
        self.kwargs = kwargs
        if 'workflow_element_names' in kwargs:
            self.element_names = kwargs['workflow_element_names']

    def _refuse(self, *args, **kwargs):
        raise NotImplementedError(
            'rampwf.workflows.{}: ramp runs ImageClassifier, '
            'SimplifiedImageClassifier and ObjectDetector only'.format(
                type(self).__name__))

    train_submission = _refuse
    test_submission = _refuse


_NAMES = ('AirPassengers', 'Classifier', 'Clusterer', 'DrugSpectra', 'ElNino',
          'Estimator', 'EstimatorExternalData', 'FeatureExtractor',
          'FeatureExtractorClassifier', 'FeatureExtractorRegressor',
          'GridFeatureExtractor', 'GridFeatureExtractorClassifier',
          'Regressor', 'SKLearnPipeline',
          'TimeSeriesFeatureExtractor')

for _name in _NAMES:
    globals()[_name] = type(_name, (UnsupportedWorkflow,), {
        '__module__': __name__,
        '__doc__': "rampwf's {} workflow: a name only; ramp does not run "
                   'it.'.format(_name)})

__all__ = ['UnsupportedWorkflow'] + list(_NAMES)
