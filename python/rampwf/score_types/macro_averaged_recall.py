"""Macro-averaged recall."""
from . import _metrics
from .classifier_base import ClassifierBaseScoreType


class MacroAveragedRecall(ClassifierBaseScoreType):
    """Mean recall over the classes seen in the truth or the predictions;
    a class only predicted counts 0 (ramp's score kind ``macro_recall``).
    The default name is 'accuracy', as in rampwf: pass ``name=``."""
    is_lower_the_better = False
    minimum = 0.0
    maximum = 1.0

    def __init__(self, name='accuracy', precision=2):
        self.name = name
        self.precision = precision

    def __call__(self, y_true_label_index, y_pred_label_index):
        return _metrics.macro_recall(y_true_label_index, y_pred_label_index)
