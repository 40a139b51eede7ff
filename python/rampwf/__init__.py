"""rampwf as ramp ships it: the names RAMP kits and submissions import.

ramp is a C implementation of RAMP's image-classification workflows. Real
kits' ``problem.py`` and real submissions ``import rampwf``; ramp puts this
package first on ``sys.path`` when it reads a kit's ``problem.py``
(``ramp_problem.py``) and inside the sandboxed fold that runs a Python
submission, so they import this one, never another installed copy.

It offers rampwf's public names with rampwf's signatures and behaviour where
a kit or a submission can see them:

- ``workflows``: ``ImageClassifier`` and ``SimplifiedImageClassifier`` (and
  their helpers: ``BatchGeneratorBuilder``, ``ImageLoader``,
  ``get_nb_minibatches``, ...), working in pure Python outside ramp; the
  other rampwf workflows exist as names ramp refuses.
- ``score_types``: the classification scores, computed with numpy.
- ``prediction_types``: ``make_multiclass``.
- ``utils``: ``import_module_from_source``; ``cvs``: rampwf's two CV classes.

Only numpy is needed to import it; Pillow (or scikit-image) reads images
and scikit-learn is imported by ``cvs.Clustering`` only, when used.
"""
from . import cvs, prediction_types, score_types, utils, workflows

__version__ = '0.0.0+ramp'

__all__ = ['cvs', 'prediction_types', 'score_types', 'utils', 'workflows', '__version__']
