"""rampwf's score types.

The classification scores are computed with numpy, as rampwf defines them
(its score_types on scikit-learn); each maps to one kind of ramp's
problem.ini (ramp_problem.py writes them):

    Accuracy -> accuracy            ClassificationError -> error
    NegativeLogLikelihood -> nll    F1Above(threshold) -> f1_above
    BalancedAccuracy -> balanced_accuracy (adjusted=True only)
    MacroAveragedRecall -> macro_recall
    BrierScore -> brier             ROCAUC -> roc_auc

The mars_craters detection scores (detection.py: OSPA, SCP,
DetectionPrecision, DetectionRecall, DetectionAveragePrecision, MADCenter,
MADRadius) are computed with rampwf's semantics; each names its ramp kind
(``ramp_kind``), which a detection problem computes with
``[detection] compat = rampwf``.

SoftAccuracy is computed here but has no ramp kind. The regression and
clustering scores are names only (see _unsupported).
"""
from ._unsupported import (
    MARE, RMSE, BrierScoreReliability, BrierScoreResolution, BrierSkillScore,
    ClusteringEfficiency, Combined, MakeCombined, NormalizedGini,
    NormalizedRMSE, RelativeRMSE, UnsupportedScoreType)
from .accuracy import Accuracy
from .balanced_accuracy import BalancedAccuracy
from .base import BaseScoreType
from .brier_score import BrierScore
from .classification_error import ClassificationError
from .classifier_base import ClassifierBaseScoreType
from .detection import (
    OSPA, SCP, AverageDetectionPrecision, DetectionAveragePrecision,
    DetectionBaseScoreType, DetectionPrecision, DetectionRecall, MADCenter,
    MADRadius)
from .f1_above import F1Above
from .macro_averaged_recall import MacroAveragedRecall
from .negative_log_likelihood import NegativeLogLikelihood
from .roc_auc import ROCAUC
from .soft_accuracy import SoftAccuracy

__all__ = [
    'Accuracy', 'AverageDetectionPrecision', 'BalancedAccuracy',
    'BaseScoreType', 'BrierScore', 'BrierScoreReliability',
    'BrierScoreResolution', 'BrierSkillScore', 'ClassificationError',
    'ClassifierBaseScoreType', 'ClusteringEfficiency', 'Combined',
    'DetectionBaseScoreType',
    'DetectionAveragePrecision', 'DetectionPrecision', 'DetectionRecall',
    'F1Above', 'MADCenter', 'MADRadius', 'MARE', 'MacroAveragedRecall',
    'MakeCombined', 'NegativeLogLikelihood', 'NormalizedGini',
    'NormalizedRMSE', 'OSPA', 'ROCAUC', 'RMSE', 'RelativeRMSE', 'SCP',
    'SoftAccuracy', 'UnsupportedScoreType',
]
