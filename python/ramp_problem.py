#!/usr/bin/env python3
"""ramp_problem.py: reads a RAMP kit's problem.py and writes ramp's problem.ini.

    PYTHON ramp_problem.py --kit KIT [--data DATA] --out OUT [--quick-test]
    PYTHON ramp_problem.py --kit KIT [--data DATA] --import [--force] [--quick-test]

ramp's command-line tool runs it with the user's python3 (a virtualenv's
when one is active): a kit's problem.py is Python and may import anything,
so only Python can read it. The folder of this file comes first on sys.path,
so ``import rampwf`` finds ramp's own rampwf (python/rampwf), never another.

It does what rampwf's ramp-test does: imports KIT/problem.py with KIT as the
working directory (RAMP_TEST_MODE=1 in the environment with --quick-test),
calls get_train_data(path=DATA) and get_test_data(path=DATA) (DATA, by
default KIT, is rampwf's ramp_data_dir: the folder that holds data/), then
get_cv(X_train, y_train), and writes what ramp's C tools need:

  OUT/problem.ini      [problem] title, n_classes, workflow; [scores]; [cv]
                       folds = folds.csv; [workflow] (image_classifier only);
                       [data] images (absolute), train, test, class_codes
  OUT/train.csv        id,class: one row per sample in get_train_data's
  OUT/test.csv         order; class is the label's index in
                       Predictions.label_names; id is '{}'.format(x)
  OUT/class_codes.csv  class,name: name is str(label)
  OUT/folds.csv        fold,set,row: set is train or valid, row a position in
                       train.csv, in the order get_cv yields them

With --import it writes KIT/problem.ini instead, for ramp's C-only use
(`ramp kit import`): the CV as [cv] method/n_splits/test_size/random_state
when get_cv returns scikit-learn's StratifiedShuffleSplit or ShuffleSplit
split generator with an integer random_state (and, for the stratified one,
labels whose sorted order is their index order), else folds =
data/folds.csv (written); no [data] section when KIT/data/train.csv,
test.csv, imgs/ and class_codes.csv are what ramp reads by default, else
[data] names the kit's own files where they fit and data/ramp_*.csv files
written for the others. Existing files are replaced only with --force.

Image ids that hold '/' (some kits list paths) are accepted when every
image lands in one folder: [data] images is that folder and the ids their
file names.

Exit status: 0 done. 2 the kit (or the command line) is at fault: one line
on stderr, 'KIT/problem.py: reason', then Python's traceback when the kit's
code raised. 1 the output could not be written, or exists without --force.
The kit's own prints go to stderr; nothing is printed on stdout.
"""
import argparse
import contextlib
import csv
import inspect
import numbers
import os
import re
import sys
import tempfile
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
if not sys.path or os.path.abspath(sys.path[0] or '.') != HERE:
    sys.path.insert(0, HERE)

# the limits of ramp's problem.ini parser (src/data/problem.c)
MAX_CLASSES = 1 << 20
MAX_SCORES = 32
MAX_SPLITS = 10000
SCORE_NAME = re.compile(r'[A-Za-z0-9_.()-]{1,63}')
DEFAULT_ELEMENTS = {
    'image_classifier': ['image_preprocessor', 'batch_classifier'],
    'simplified_image_classifier': ['image_classifier'],
}
# module -> (pip name, Debian package), for the message when one is missing
PACKAGES = {
    'numpy': ('numpy', 'python3-numpy'),
    'pandas': ('pandas', 'python3-pandas'),
    'sklearn': ('scikit-learn', 'python3-sklearn'),
    'scipy': ('scipy', 'python3-scipy'),
    'skimage': ('scikit-image', 'python3-skimage'),
    'PIL': ('Pillow', 'python3-pil'),
    'joblib': ('joblib', 'python3-joblib'),
    'torch': ('torch', 'python3-torch'),
}


class KitError(Exception):
    """A problem of the kit: ``line`` for stderr, then ``tb`` if any."""

    def __init__(self, line, tb=''):
        super().__init__(line)
        self.line = line
        self.tb = tb


class OutputError(Exception):
    """The output cannot be written (or would replace a file)."""


def one_line(text):
    return ' '.join(str(text).split())


def describe(obj):
    """'module.Class instance' or 'module.Class' for messages."""
    cls = obj if isinstance(obj, type) else type(obj)
    name = '{}.{}'.format(cls.__module__, cls.__qualname__)
    return name if isinstance(obj, type) else 'a ' + name + ' object'


def _traceback(exc):
    """The traceback of ``exc`` without this file's frames or importlib's."""
    te = traceback.TracebackException(type(exc), exc, exc.__traceback__)
    te.stack = traceback.StackSummary.from_list(
        [f for f in te.stack if f.filename != __file__
         and not f.filename.startswith('<frozen')])
    return ''.join(te.format())


def _missing_module(kit_file, what, exc):
    name = exc.name or ''
    root = name.split('.')[0]
    if root == 'rampwf':
        return ("{}: {}: {}: ramp's rampwf is rampwf's image classification "
                'part only (workflows, score_types, prediction_types, cvs, '
                'utils.import_module_from_source)'.format(
                    kit_file, what, one_line(exc)))
    if not root:
        return '{}: {}: {}'.format(kit_file, what, one_line(exc))
    pip, deb = PACKAGES.get(root, (root, None))
    how = 'pip install {}'.format(pip)
    if deb:
        how += '; Debian: apt install {}'.format(deb)
    return ("{}: {} needs the Python module '{}', which {} (Python {}) cannot "
            'import: install it ({})'.format(
                kit_file, what, root, sys.executable,
                '.'.join(map(str, sys.version_info[:2])), how))


def run_kit(kit_file, what, fn, *args, **kwargs):
    """Call the kit's ``fn``; whatever it raises becomes a KitError naming
    the kit file and ``what`` was being done. Its prints go to stderr."""
    try:
        with contextlib.redirect_stdout(sys.stderr):
            return fn(*args, **kwargs)
    except KitError:
        raise
    except SyntaxError as e:
        where = e.filename or '?'
        # the kit's folder is the working directory while its code runs
        if os.path.abspath(where) == os.path.join(os.getcwd(), 'problem.py'):
            line = '{}:{}: syntax error: {}'.format(kit_file, e.lineno, e.msg)
        else:
            line = '{}: {}: syntax error in {}:{}: {}'.format(
                kit_file, what, where, e.lineno, e.msg)
        raise KitError(line, ''.join(traceback.format_exception_only(
            type(e), e)))
    except ImportError as e:
        if isinstance(e, ModuleNotFoundError) or (
                (e.name or '').split('.')[0] == 'rampwf'):
            raise KitError(_missing_module(kit_file, what, e), _traceback(e))
        raise KitError('{}: {} raised ImportError: {}'.format(
            kit_file, what, one_line(e)), _traceback(e))
    except SystemExit as e:
        raise KitError('{}: {} called sys.exit({!r})'.format(
            kit_file, what, e.code))
    except Exception as e:
        raise KitError('{}: {} raised {}: {}'.format(
            kit_file, what, type(e).__name__, one_line(e)), _traceback(e))


def import_problem(kit_file):
    import importlib.util
    spec = importlib.util.spec_from_file_location('problem', kit_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- reading the kit --------------------------------------------------------

def as_int(value, what, lo, hi, kit_file):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) \
            or not lo <= value <= hi:
        raise KitError('{}: {} = {!r}: ramp needs an integer in [{}, {}]'
                       .format(kit_file, what, value, lo, hi))
    return int(value)


def read_labels(P, kit_file):
    """Predictions' label names, checked; (names, {name: index})."""
    kind = getattr(P, '_ramp_prediction_type', None)
    if kind != 'multiclass':
        if kind:
            raise KitError(
                '{}: Predictions comes from rampwf.prediction_types.make_{}: '
                'ramp runs classification kits (make_multiclass(label_names='
                '...))'.format(kit_file, kind))
        raise KitError(
            '{}: Predictions is {}, not a class made by rampwf.prediction_'
            'types.make_multiclass(label_names=...), which ramp needs'
            .format(kit_file, describe(P)))
    try:
        names = list(P.label_names)
    except TypeError:
        raise KitError('{}: Predictions.label_names is {}, not a sequence'
                       .format(kit_file, describe(P.label_names)))
    if not 2 <= len(names) <= MAX_CLASSES:
        raise KitError('{}: Predictions.label_names has {} labels: ramp '
                       'needs 2 to {}'.format(kit_file, len(names),
                                              MAX_CLASSES))
    index = {}
    for j, name in enumerate(names):
        try:
            first = index.setdefault(name, j)
        except TypeError:
            raise KitError('{}: Predictions.label_names[{}] = {!r} is not a '
                           'number or a string'.format(kit_file, j, name))
        if first != j:
            raise KitError('{}: Predictions.label_names lists {!r} twice (at '
                           '{} and {})'.format(kit_file, name, first, j))
        text = str(name)
        if not text or '\0' in text:
            raise KitError('{}: Predictions.label_names[{}] = {!r}: ramp '
                           'names a class by str(label), which must be '
                           'non-empty text'.format(kit_file, j, name))
    return names, index


def read_workflow(wf, n_classes, kit_file):
    from rampwf.workflows import (ImageClassifier, SimplifiedImageClassifier,
                                  UnsupportedWorkflow)
    known = {ImageClassifier: 'image_classifier',
             SimplifiedImageClassifier: 'simplified_image_classifier'}
    kind = known.get(type(wf))
    if kind is None:
        if isinstance(wf, UnsupportedWorkflow):
            why = "is rampwf.workflows.{}".format(type(wf).__name__)
        elif isinstance(wf, tuple(known)):
            why = ("is {}, a kit's own subclass of a rampwf workflow"
                   .format(describe(wf)))
        else:
            why = 'is {}'.format(describe(wf))
        raise KitError('{}: workflow {}: ramp runs rampwf.workflows.'
                       'ImageClassifier and SimplifiedImageClassifier only'
                       .format(kit_file, why))
    out = {'kind': kind}
    n = getattr(wf, 'n_classes', None)
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) \
            or n != n_classes:
        raise KitError('{}: workflow.n_classes = {!r} but Predictions has {} '
                       'label_names'.format(kit_file, n, n_classes))
    elements = getattr(wf, 'element_names', None)
    try:
        elements = list(elements)
    except TypeError:
        pass
    if elements != DEFAULT_ELEMENTS[kind]:
        raise KitError(
            "{}: workflow_element_names = {!r}: ramp's fold reads the "
            'submission files {} (rename the files, not the elements)'.format(
                kit_file, elements,
                ' and '.join(e + '.py' for e in DEFAULT_ELEMENTS[kind])))
    if kind == 'image_classifier':
        out['chunk_size'] = as_int(wf.chunk_size, 'workflow.chunk_size', 1,
                                   1 << 24, kit_file)
        n_jobs = wf.n_jobs
        if isinstance(n_jobs, numbers.Integral) and not isinstance(
                n_jobs, bool) and n_jobs < 0:
            # joblib's convention: -1 all cores, -2 all but one, ...
            n_jobs = max(1, (os.cpu_count() or 1) + 1 + int(n_jobs))
        out['n_jobs'] = as_int(n_jobs, 'workflow.n_jobs', 1, 1024, kit_file)
        out['test_batch_size'] = as_int(wf.test_batch_size,
                                        'workflow.test_batch_size', 1,
                                        1 << 24, kit_file)
    return out


def read_scores(score_types, kit_file):
    """[(name, kind, precision, threshold or None)] for [scores]."""
    import rampwf.score_types as st
    kinds = {st.Accuracy: 'accuracy', st.ClassificationError: 'error',
             st.NegativeLogLikelihood: 'nll', st.F1Above: 'f1_above',
             st.BalancedAccuracy: 'balanced_accuracy',
             st.MacroAveragedRecall: 'macro_recall', st.BrierScore: 'brier',
             st.ROCAUC: 'roc_auc'}
    supported = ('Accuracy, ClassificationError, NegativeLogLikelihood, '
                 'F1Above, BalancedAccuracy, MacroAveragedRecall, BrierScore, '
                 'ROCAUC')
    try:
        items = list(score_types)
    except TypeError:
        raise KitError('{}: score_types is {}, not a list'.format(
            kit_file, describe(score_types)))
    if not 1 <= len(items) <= MAX_SCORES:
        raise KitError('{}: score_types lists {} scores: ramp needs 1 to {}'
                       .format(kit_file, len(items), MAX_SCORES))
    out, seen = [], {}
    for i, s in enumerate(items):
        where = '{}: score_types[{}]'.format(kit_file, i)
        kind = kinds.get(type(s))
        if kind is None:
            if isinstance(s, (st.UnsupportedScoreType,
                              st.DetectionBaseScoreType,
                              st.DetectionAveragePrecision)):
                why = 'is rampwf.score_types.{} (a {} score)'.format(
                    type(s).__name__, s.family)
            elif type(s) is st.SoftAccuracy:
                why = ("is SoftAccuracy, whose score matrix ramp's "
                       'problem.ini cannot hold')
            elif isinstance(s, tuple(kinds)):
                why = "is {}, a kit's own subclass of a rampwf score".format(
                    describe(s))
            else:
                why = 'is {}'.format(describe(s))
            raise KitError("{} {}: ramp's C scorer computes rampwf's {}"
                           .format(where, why, supported))
        cls = type(s).__name__
        name = getattr(s, 'name', None)
        if not isinstance(name, str) or not SCORE_NAME.fullmatch(name):
            fix = re.sub(r'[^A-Za-z0-9_.()-]', '_', str(name))[:63] or \
                cls.lower()
            raise KitError(
                "{} ({}) is named {!r}: ramp's problem.ini names a score with "
                "letters, digits, '_', '-', '.', '(' and ')' only (at most 63): pass "
                "name='{}'".format(where, cls, name, fix))
        if name in seen:
            raise KitError('{} ({}) is named {!r} like score_types[{}]: '
                           'score names must differ'.format(
                               where, cls, name, seen[name]))
        seen[name] = i
        precision = getattr(s, 'precision', None)
        if isinstance(precision, bool) or not isinstance(
                precision, numbers.Integral) or not 0 <= precision <= 15:
            raise KitError('{} ({} {!r}): precision = {!r}: ramp needs an '
                           'integer in [0, 15]'.format(where, cls, name,
                                                       precision))
        threshold = None
        if kind == 'f1_above':
            threshold = s.threshold
            if isinstance(threshold, bool) or not isinstance(
                    threshold, numbers.Real) or not 0 <= threshold <= 1:
                raise KitError('{} (F1Above {!r}): threshold = {!r}: ramp '
                               'needs a number in [0, 1]'.format(
                                   where, name, threshold))
            threshold = float(threshold)
        if kind == 'balanced_accuracy' and not s.adjusted:
            raise KitError("{} (BalancedAccuracy {!r}): adjusted=False: ramp's "
                           'balanced_accuracy is the adjusted one (rampwf\'s '
                           'default); the plain mean recall has no ramp kind'
                           .format(where, name))
        out.append((name, kind, int(precision), threshold))
    return out


def unpack_data(value, fn, kit_file):
    """((folder, ids), labels) from get_*_data's value, as lists."""
    try:
        (folder, ids), labels = value
    except (TypeError, ValueError):
        raise KitError('{}: {} returned {}: an image kit returns ((folder, '
                       'ids), labels)'.format(kit_file, fn, describe(value)))
    try:
        folder = os.path.abspath(os.fspath(folder))
    except TypeError:
        raise KitError('{}: {} returned {} as the image folder, not a path'
                       .format(kit_file, fn, describe(folder)))
    try:
        ids, labels = list(ids), list(labels)
    except TypeError:
        raise KitError('{}: {} returned ids or labels that are not sequences'
                       .format(kit_file, fn))
    if len(ids) != len(labels):
        raise KitError('{}: {} returned {} ids but {} labels'.format(
            kit_file, fn, len(ids), len(labels)))
    if not ids:
        raise KitError('{}: {} returned no sample'.format(kit_file, fn))
    return folder, ids, labels


def _safe_relative(t):
    """A relative path whose components are all names (what ramp's CSV
    reader accepts as an id)."""
    if not t or t.startswith('/') or '\0' in t or '\\' in t:
        return False
    return all(c not in ('', '.', '..') for c in t.split('/'))


def resolve_ids(folder, ids, fn, kit_file):
    """(image folder, ids as ramp reads them): '{}'.format(x), which rampwf
    joins onto the folder. Ids that are relative paths in sub-folders are
    kept as they are; ids that are absolute or climb out ('..') are
    rewritten relative to the folder that holds every image."""
    text = ['{}'.format(x) for x in ids]
    if not all(_safe_relative(t) for t in text):
        paths = [os.path.normpath(os.path.join(folder, t)) for t in text]
        try:
            common = os.path.commonpath([os.path.dirname(p) for p in paths])
        except ValueError:
            common = ''
        rel = [os.path.relpath(p, common) if common else p for p in paths]
        if not common or not all(_safe_relative(t) for t in rel):
            bad = next(t for t in text if not _safe_relative(t))
            raise KitError('{}: {}: id {!r} does not name an image file under a '
                           'common folder'.format(kit_file, fn, bad))
        folder, text = common, rel
    first = {}
    for i, t in enumerate(text):
        j = first.setdefault(t, i)
        if j != i:
            raise KitError('{}: {}: samples {} and {} have the same id {!r}'
                           .format(kit_file, fn, j, i, t))
    return folder, text


def class_indices(labels, names, index, ids, fn, kit_file):
    """The index in label_names of each label, converted first to the type
    of label_names[0] as rampwf's Predictions does."""
    import numpy as np
    convert = type(names[0])
    out = []
    for i, y in enumerate(labels):
        if isinstance(y, (list, tuple, np.ndarray)):
            raise KitError('{}: {}: sample {} (id {!r}) has several labels '
                           '{!r}: ramp runs single-label classification'
                           .format(kit_file, fn, i, ids[i], y))
        try:
            k = index.get(convert(y))
        except (TypeError, ValueError, OverflowError):
            k = None
        if k is None:
            shown = names if len(names) <= 10 else names[:10] + ['...']
            raise KitError('{}: {}: sample {} (id {!r}): label {!r} is not '
                           'one of Predictions.label_names {}'.format(
                               kit_file, fn, i, ids[i], y, shown))
        out.append(k)
    return out


def fold_rows(value, n, k, side, kit_file):
    import numpy as np
    a = np.asarray(value)
    where = '{}: get_cv: fold {}: {}'.format(kit_file, k, side)
    if a.dtype == bool:
        if a.shape != (n,):
            raise KitError('{} mask has shape {}, not ({},)'.format(
                where, a.shape, n))
        a = np.flatnonzero(a)
    if a.ndim != 1:
        raise KitError('{} indices have shape {}, not 1-D'.format(
            where, a.shape))
    if a.size == 0:
        raise KitError('{} set is empty'.format(where))
    if not np.issubdtype(a.dtype, np.integer):
        raise KitError('{} indices are {}, not integers'.format(
            where, a.dtype))
    bad = (a < 0) | (a >= n)
    if bad.any():
        raise KitError('{} index {} is outside [0, {}) (the training '
                       'samples)'.format(where, int(a[bad][0]), n))
    if np.unique(a).size != a.size:
        seen = set()
        for v in a.tolist():
            if v in seen:
                raise KitError('{} set lists row {} twice'.format(where, v))
            seen.add(v)
    return [int(v) for v in a.tolist()]


def cv_method(cv, n, y_index):
    """[cv] lines for ramp's own splitters when ``cv`` is the split
    generator of sklearn's StratifiedShuffleSplit or ShuffleSplit with
    parameters ramp reproduces; else None."""
    import numpy as np
    if not inspect.isgenerator(cv) or cv.gi_frame is None:
        return None
    local = cv.gi_frame.f_locals
    obj = local.get('self')
    cls = type(obj)
    if cls.__module__.split('.')[0] != 'sklearn' or cls.__name__ not in (
            'StratifiedShuffleSplit', 'ShuffleSplit'):
        return None
    rs, n_splits = obj.random_state, obj.n_splits
    ts = obj.test_size if obj.test_size is not None else 0.1
    for v in (rs, n_splits):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            return None
    if not 0 <= rs <= 0xffffffff or not 1 <= n_splits <= MAX_SPLITS:
        return None
    if getattr(obj, 'train_size', None) is not None:
        return None  # ramp's test_size alone sets both sides
    if isinstance(ts, numbers.Integral) and not isinstance(ts, bool):
        if not 1 <= ts < n:
            return None
        test_size = str(int(ts))
    elif isinstance(ts, numbers.Real) and 0 < ts < 1:
        test_size = repr(float(ts))
    else:
        return None
    try:
        if len(local.get('X')) != n:
            return None
    except TypeError:
        return None
    method = 'shuffle_split'
    if cls.__name__ == 'StratifiedShuffleSplit':
        # sklearn stratifies on the sorted distinct labels it is given,
        # ramp on class indices: the two agree when sorting the labels
        # sorts their indices
        y = np.asarray(local.get('y'))
        if y.shape != (n,):
            return None
        try:
            _, inv = np.unique(y, return_inverse=True)
        except TypeError:
            return None
        inv = inv.ravel()
        idx = np.asarray(y_index)
        first = np.full(inv.max() + 1, -1)
        first[inv[::-1]] = idx[::-1]
        if not np.array_equal(first[inv], idx) or np.any(np.diff(first) <= 0):
            return None
        method = 'stratified_shuffle_split'
    return ['method = ' + method, 'n_splits = {}'.format(int(n_splits)),
            'test_size = ' + test_size, 'random_state = {}'.format(int(rs))]


def read_kit(kit, data, quick_test, want_method):
    """Everything problem.ini and the CSVs need, from KIT/problem.py."""
    kit_file = os.path.join(kit, 'problem.py')
    if not os.path.isdir(kit):
        raise KitError('{}: no such kit folder'.format(kit))
    if not os.path.isfile(kit_file):
        raise KitError("{}: no such file (a RAMP kit's problem.py)".format(
            kit_file))
    kit_abs = os.path.abspath(kit)
    path_file = os.path.abspath(kit_file)
    data = os.path.abspath(data) if data is not None else kit_abs
    os.chdir(kit_abs)
    if quick_test:
        os.environ['RAMP_TEST_MODE'] = '1'
    extra = os.path.join(kit_abs, 'external_imports')
    if os.path.isdir(extra) and extra not in sys.path:
        sys.path.append(extra)
    # rampwf first (a kit's problem.py imports it; it needs numpy)
    run_kit(kit_file, 'reading it (import rampwf)', __import__, 'rampwf')
    module = run_kit(kit_file, 'importing it', import_problem, path_file)
    for name in ('problem_title', 'Predictions', 'workflow', 'score_types',
                 'get_train_data', 'get_test_data', 'get_cv'):
        if not hasattr(module, name):
            raise KitError(
                "{}: defines no '{}' (a RAMP problem.py defines problem_title, "
                'Predictions, workflow, score_types, get_train_data, '
                'get_test_data and get_cv)'.format(kit_file, name))
    for name in ('get_train_data', 'get_test_data', 'get_cv'):
        if not callable(getattr(module, name)):
            raise KitError('{}: {} is {}, not a function'.format(
                kit_file, name, describe(getattr(module, name))))
    title = one_line(module.problem_title)
    if not title:
        raise KitError('{}: problem_title is empty'.format(kit_file))
    from rampwf.workflows import ObjectDetector
    if type(module.workflow) is ObjectDetector:
        return read_detection_kit(module, kit_file, title, data)
    if isinstance(module.workflow, ObjectDetector):
        raise KitError(
            "{}: workflow is {}, a kit's own subclass of rampwf.workflows."
            "ObjectDetector: ramp runs rampwf's ObjectDetector itself (its "
            'fit(X, y) / predict(X) contract), not a subclass'.format(
                kit_file, describe(module.workflow)))
    names, index = read_labels(module.Predictions, kit_file)
    spec = {'kit_file': kit_file, 'title': title, 'names': names,
            'workflow': read_workflow(module.workflow, len(names), kit_file),
            'scores': read_scores(module.score_types, kit_file)}

    sets = {}
    for split in ('train', 'test'):
        fn = 'get_{}_data'.format(split)
        call = '{}(path={!r})'.format(fn, data)
        value = run_kit(kit_file, call, getattr(module, fn), path=data)
        folder, ids, labels = unpack_data(value, fn, kit_file)
        folder, ids = resolve_ids(folder, ids, fn, kit_file)
        idx = class_indices(labels, names, index, ids, fn, kit_file)
        sets[split] = {'value': value, 'folder': folder, 'ids': ids,
                       'y': idx}
    tr, te = sets['train'], sets['test']
    if os.path.realpath(tr['folder']) != os.path.realpath(te['folder']):
        raise KitError("{}: get_train_data's images are in {} but "
                       "get_test_data's in {}: ramp reads both from one "
                       'folder'.format(kit_file, tr['folder'], te['folder']))
    spec['images'], spec['train'], spec['test'] = tr['folder'], tr, te

    n = len(tr['ids'])
    X, y = tr['value'][0], tr['value'][1]
    cv = run_kit(kit_file, 'get_cv(X_train, y_train)', module.get_cv, X, y)
    spec['cv_method'] = cv_method(cv, n, tr['y']) if want_method else None
    spec['folds'] = read_folds(cv, n, kit_file)
    return spec


def read_folds(cv, n, kit_file):
    """get_cv's value as a list of (train rows, valid rows), checked."""
    try:
        it = iter(cv)
    except TypeError:
        raise KitError('{}: get_cv returned {}, not an iterable of (train, '
                       'valid) index pairs'.format(kit_file, describe(cv)))
    pairs = run_kit(kit_file, "iterating get_cv's folds", list, it)
    if not pairs:
        raise KitError('{}: get_cv yields no fold'.format(kit_file))
    folds = []
    for k, pair in enumerate(pairs):
        try:
            train_is, valid_is = pair
        except (TypeError, ValueError):
            raise KitError('{}: get_cv: fold {} is {}, not a (train, valid) '
                           'pair of index arrays'.format(
                               kit_file, k, describe(pair)))
        folds.append((fold_rows(train_is, n, k, 'train', kit_file),
                      fold_rows(valid_is, n, k, 'valid', kit_file)))
    return folds


def read_detection_kit(module, kit_file, title, data):
    """rampwf's ObjectDetector kit (ramp_kit_detection.py): its arrays
    and circles, scores and folds."""
    import ramp_kit_detection as kd
    kind = getattr(module.Predictions, '_ramp_prediction_type', None)
    if kind != 'detection':
        raise KitError(
            '{}: workflow is rampwf.workflows.ObjectDetector but Predictions '
            'is {}: an ObjectDetector kit makes it with rampwf.prediction_'
            'types.make_detection()'.format(kit_file, describe(
                module.Predictions)))
    try:
        spec = {'kit_file': kit_file, 'title': title, 'names': ['object'],
                'detection': True,
                'workflow': kd.read_workflow(module.workflow, kit_file)}
        spec['scores'], spec['scp_shapes'] = kd.read_scores(
            module.score_types, kit_file, MAX_SCORES, SCORE_NAME)
        for split in ('train', 'test'):
            fn = 'get_{}_data'.format(split)
            call = '{}(path={!r})'.format(fn, data)
            value = run_kit(kit_file, call, getattr(module, fn), path=data)
            X, circles = kd.read_arrays(value, fn, kit_file)
            spec[split] = {'value': value, 'X': X, 'circles': circles,
                           'ids': kd.image_ids(split, len(X))}
        kd.check_images(spec, kit_file)
        spec['max_objects'] = kd.max_objects(spec)
    except kd.DetectionKitError as e:
        raise KitError(str(e))
    tr = spec['train']
    cv = run_kit(kit_file, 'get_cv(X_train, y_train)', module.get_cv,
                 tr['value'][0], tr['value'][1])
    spec['cv_method'] = None
    spec['folds'] = read_folds(cv, len(tr['ids']), kit_file)
    return spec


# --- writing ----------------------------------------------------------------

def _atomic_write(path, fill, binary=False):
    """Write ``path`` through a temporary file in its folder: ``fill(f)``
    writes the text (bytes with ``binary``); the file appears whole or not
    at all."""
    folder = os.path.dirname(path) or '.'
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix='.ramp-', dir=folder)
    except OSError as e:
        raise OutputError('{}: cannot write: {}'.format(path, e.strerror))
    try:
        with (open(fd, 'wb') if binary else
              open(fd, 'w', encoding='utf-8', newline='')) as f:
            fill(f)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise OutputError('{}: cannot write: {}'.format(path, e.strerror))


def write_bytes(path, data):
    _atomic_write(path, lambda f: f.write(data), binary=True)


def write_csv(path, header, rows):
    def fill(f):
        w = csv.writer(f, lineterminator='\n')
        w.writerow(header)
        w.writerows(rows)
    _atomic_write(path, fill)


def write_text(path, text):
    _atomic_write(path, lambda f: f.write(text))


def ini_text(spec, comment, cv_lines, data_lines):
    wf = spec['workflow']
    lines = ['# ' + comment, '[problem]', 'title = ' + spec['title'],
             'n_classes = {}'.format(len(spec['names'])),
             'workflow = ' + wf['kind'], '', '[scores]']
    for name, kind, precision, threshold in spec['scores']:
        line = '{} = {} precision={}'.format(name, kind, precision)
        if threshold is not None:
            line += ' threshold={!r}'.format(threshold)
        lines.append(line)
    lines += ['', '[cv]'] + cv_lines
    if wf['kind'] == 'image_classifier':
        lines += ['', '[workflow]'] + ['{} = {}'.format(k, wf[k]) for k in (
            'chunk_size', 'n_jobs', 'test_batch_size')]
    if data_lines:
        lines += ['', '[data]'] + data_lines
    return '\n'.join(lines) + '\n'


def check_path(path, kit_file):
    if path != path.strip() or any(ord(c) < 0x20 or ord(c) == 0x7f
                                   for c in path):
        raise KitError("{}: the image folder {!r} has control characters or "
                       "surrounding spaces, which ramp's problem.ini cannot "
                       'hold'.format(kit_file, path))
    return path


def fold_lines(folds):
    for k, (train, valid) in enumerate(folds):
        for r in train:
            yield (k, 'train', r)
        for r in valid:
            yield (k, 'valid', r)


def write_detection(spec, base, images, names, force):
    """An ObjectDetector kit's images and CSVs: images into the folder
    `images`, the CSVs at base/names[...] (train, test, class_codes,
    folds)."""
    import ramp_kit_detection as kd
    paths = [os.path.join(base, names[k]) for k in
             ('train', 'test', 'class_codes', 'folds')]
    if not force:
        for path in paths + [images]:
            if os.path.lexists(path):
                raise OutputError('{}: exists (--force replaces it)'.format(
                    path))
    try:
        kd.write_images(images, spec, write_bytes)
    except OSError as e:
        raise OutputError('{}: cannot write: {}'.format(images, e.strerror))
    for split, path in zip(('train', 'test'), paths):
        s = spec[split]
        write_csv(path, ('id', 'x', 'y', 'r'),
                  kd.object_rows(s['ids'], s['circles']))
    write_csv(paths[2], ('class', 'name'), [(0, 'object')])
    write_csv(paths[3], ('fold', 'set', 'row'), fold_lines(spec['folds']))


def write_out(spec, out):
    """The reader's normal output: everything in OUT."""
    if spec.get('detection'):
        import ramp_kit_detection as kd
        images = check_path(os.path.join(out, 'images'), spec['kit_file'])
        names = {'train': 'train.csv', 'test': 'test.csv',
                 'class_codes': 'class_codes.csv', 'folds': 'folds.csv'}
        write_detection(spec, out, images, names, True)
        write_text(os.path.join(out, 'problem.ini'), kd.ini_text(
            spec, "read from a RAMP kit's problem.py by ramp_problem.py",
            ['folds = folds.csv'],
            ['images = ' + images, 'train = train.csv', 'test = test.csv',
             'class_codes = class_codes.csv']))
        return
    images = check_path(spec['images'], spec['kit_file'])
    write_csv(os.path.join(out, 'train.csv'), ('id', 'class'),
              zip(spec['train']['ids'], spec['train']['y']))
    write_csv(os.path.join(out, 'test.csv'), ('id', 'class'),
              zip(spec['test']['ids'], spec['test']['y']))
    write_csv(os.path.join(out, 'class_codes.csv'), ('class', 'name'),
              ((i, str(name)) for i, name in enumerate(spec['names'])))
    write_csv(os.path.join(out, 'folds.csv'), ('fold', 'set', 'row'),
              fold_lines(spec['folds']))
    write_text(os.path.join(out, 'problem.ini'), ini_text(
        spec, "read from a RAMP kit's problem.py by ramp_problem.py",
        ['folds = folds.csv'],
        ['images = ' + images, 'train = train.csv', 'test = test.csv',
         'class_codes = class_codes.csv']))


def _read_csv(path):
    """Rows of a CSV as lists of strings (blank lines skipped), or None."""
    try:
        with open(path, newline='', encoding='utf-8-sig') as f:
            return [row for row in csv.reader(f) if row]
    except (OSError, UnicodeDecodeError, csv.Error):
        return None


def same_split(path, ids, y):
    """Does the kit's own CSV list exactly these ids and class indices?"""
    rows = _read_csv(path)
    if not rows or 'id' not in rows[0] or 'class' not in rows[0]:
        return False
    ci, cc = rows[0].index('id'), rows[0].index('class')
    body = rows[1:]
    if len(body) != len(ids):
        return False
    try:
        return all(len(r) == len(rows[0]) and r[ci] == i and
                   int(r[cc].strip()) == k for r, i, k in zip(body, ids, y))
    except ValueError:
        return False


def codes_fit(path, n):
    """Does the kit's class_codes.csv name exactly classes 0..n-1?"""
    rows = _read_csv(path)
    if not rows or 'class' not in rows[0] or len(rows[0]) < 2:
        return False
    ci = rows[0].index('class')
    ni = rows[0].index('name') if 'name' in rows[0] else (1 if ci == 0 else 0)
    seen = set()
    for r in rows[1:]:
        try:
            k = int(r[ci].strip())
        except (ValueError, IndexError):
            return False
        if len(r) != len(rows[0]) or not r[ni] or not 0 <= k < n or k in seen:
            return False
        seen.add(k)
    return len(seen) == n


def write_import(spec, kit, force):
    """`ramp kit import`: KIT/problem.ini (and data/ files it names)."""
    kit_abs = os.path.abspath(kit)
    if spec.get('detection'):
        import ramp_kit_detection as kd
        ini = os.path.join(kit_abs, 'problem.ini')
        if not force and os.path.lexists(ini):
            raise OutputError('{}: exists (--force replaces it)'.format(
                os.path.join(kit, 'problem.ini')))
        names = {'train': 'ramp_train.csv', 'test': 'ramp_test.csv',
                 'class_codes': 'ramp_class_codes.csv',
                 'folds': 'ramp_folds.csv'}
        data_dir = os.path.join(kit_abs, 'data')
        os.makedirs(data_dir, exist_ok=True)
        write_detection(spec, data_dir, os.path.join(data_dir, 'ramp_imgs'),
                        names, force)
        write_text(ini, kd.ini_text(
            spec, 'written by ramp kit import from problem.py (rerun it, '
            'with --force, after changing problem.py)',
            ['folds = data/ramp_folds.csv'],
            ['images = data/ramp_imgs', 'train = data/ramp_train.csv',
             'test = data/ramp_test.csv',
             'class_codes = data/ramp_class_codes.csv']))
        return
    data_dir = os.path.join(kit_abs, 'data')
    names = spec['names']
    writes = []  # (relative path, writer)
    cv_lines = spec['cv_method']
    if cv_lines is None:
        cv_lines = ['folds = data/folds.csv']
        writes.append(('data/folds.csv', lambda p: write_csv(
            p, ('fold', 'set', 'row'), fold_lines(spec['folds']))))
    data_lines = []
    images = os.path.abspath(spec['images'])
    rel = os.path.relpath(images, kit_abs)
    # all_default: ramp's defaults (KIT/data/...) are the kit's data as is
    all_default = os.path.realpath(images) == os.path.realpath(
        os.path.join(data_dir, 'imgs'))
    data_lines.append('images = ' + check_path(
        rel if not rel.startswith('..') else images, spec['kit_file']))
    for split in ('train', 'test'):
        s = spec[split]
        if same_split(os.path.join(data_dir, split + '.csv'), s['ids'],
                      s['y']):
            data_lines.append('{0} = data/{0}.csv'.format(split))
            continue
        all_default = False
        target = 'data/ramp_{}.csv'.format(split)
        data_lines.append('{} = {}'.format(split, target))
        writes.append((target, lambda p, s=s: write_csv(
            p, ('id', 'class'), zip(s['ids'], s['y']))))
    codes = os.path.join(data_dir, 'class_codes.csv')
    identity = all(str(name) == str(i) for i, name in enumerate(names))
    if identity and (not os.path.exists(codes) or codes_fit(codes,
                                                            len(names))):
        if os.path.exists(codes):
            data_lines.append('class_codes = data/class_codes.csv')
    else:
        all_default = False
        data_lines.append('class_codes = data/ramp_class_codes.csv')
        writes.append(('data/ramp_class_codes.csv', lambda p: write_csv(
            p, ('class', 'name'), ((i, str(nm)) for i, nm in
                                   enumerate(names)))))
    if all_default:
        data_lines = []  # everything is where ramp looks by default
    targets = [rel_path for rel_path, _ in writes] + ['problem.ini']
    if not force:
        for rel_path in targets:
            if os.path.lexists(os.path.join(kit_abs, rel_path)):
                raise OutputError('{}: exists (--force replaces it)'.format(
                    os.path.join(kit, rel_path)))
    for rel_path, writer in writes:
        writer(os.path.join(kit_abs, rel_path))
    write_text(os.path.join(kit_abs, 'problem.ini'), ini_text(
        spec, 'written by ramp kit import from problem.py (rerun it, with '
        '--force, after changing problem.py)', cv_lines, data_lines))


# --- command line -------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(
        prog='ramp_problem.py',
        description="Reads a RAMP kit's problem.py into ramp's problem.ini "
                    '(and the CSV files it names).')
    p.add_argument('--kit', required=True, help='the kit folder (problem.py)')
    p.add_argument('--data', help="get_*_data's path (default: KIT)")
    p.add_argument('--out', help='output folder (ignored with --import, '
                   'which writes into KIT)')
    p.add_argument('--quick-test', action='store_true',
                   help='set RAMP_TEST_MODE=1 as ramp-test --quick-test does')
    p.add_argument('--import', dest='import_', action='store_true',
                   help='write KIT/problem.ini for the C tools instead')
    p.add_argument('--force', action='store_true',
                   help='with --import: replace existing files')
    args = p.parse_args(argv)
    if not args.import_ and not args.out:
        p.error('--out is required (or --import)')
    return args


def main(argv=None):
    args = parse_args(argv)
    out = os.path.abspath(args.out) if args.out else None
    kit_for_import = os.path.abspath(args.kit)
    try:
        spec = read_kit(args.kit, args.data, args.quick_test, args.import_)
        if args.import_:
            write_import(spec, kit_for_import, args.force)
        else:
            write_out(spec, out)
    except KitError as e:
        sys.stderr.write(e.line + '\n' + e.tb)
        return 2
    except OutputError as e:
        sys.stderr.write('ramp_problem.py: {}\n'.format(e))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
