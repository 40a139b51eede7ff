"""rampwf's workflows: the image classification and object detection
workflows ramp runs (working in pure Python too), and the others as names
ramp refuses."""
from ._unsupported import (
    AirPassengers, Classifier, Clusterer, DrugSpectra, ElNino, Estimator,
    EstimatorExternalData, FeatureExtractor, FeatureExtractorClassifier,
    FeatureExtractorRegressor, GridFeatureExtractor,
    GridFeatureExtractorClassifier, Regressor,
    SKLearnPipeline, TimeSeriesFeatureExtractor, UnsupportedWorkflow)
from .image_classifier import ImageClassifier
from .object_detector import ObjectDetector
from .simplified_image_classifier import SimplifiedImageClassifier

__all__ = [
    'AirPassengers', 'Classifier', 'Clusterer', 'DrugSpectra', 'ElNino',
    'Estimator', 'EstimatorExternalData', 'FeatureExtractor',
    'FeatureExtractorClassifier', 'FeatureExtractorRegressor',
    'GridFeatureExtractor', 'GridFeatureExtractorClassifier',
    'ImageClassifier', 'ObjectDetector', 'Regressor', 'SKLearnPipeline',
    'SimplifiedImageClassifier', 'TimeSeriesFeatureExtractor',
    'UnsupportedWorkflow',
]
