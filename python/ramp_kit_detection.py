"""ramp_kit_detection.py: the kit reader's part for rampwf's ObjectDetector.

ramp_problem.py calls it when a kit's problem.py declares
``workflow = rw.workflows.ObjectDetector()`` (mars_craters is the published
one). Such a kit keeps its data as arrays: ``get_train_data`` returns
``(X, y)`` with X n images (n × H × W, or n × H × W × C) and y an object
array of per-image lists of ``(row, col, radius)`` circles. ramp's C side
reads images from files and objects from a CSV, so this writes them:

  IMAGES/train_000000.png ...  the arrays as 8-bit PNGs (uint8 only: a kit
  IMAGES/test_000000.png  ...  with other pixel types is refused, naming it)
  train.csv, test.csv          id,x,y,r with x = col and y = row (ramp's
                               circles are in image pixels, x a column); an
                               image without objects is a row "id,,,"
  class_codes.csv              0,object (rampwf's detection has one class)

and problem.ini's detection part: ``workflow = detection``, ``geometry =
circle``, ``[detection] compat = rampwf`` (rampwf's score semantics: its
circle overlap, ties, strict thresholds, Hungarian matching), the score
types mapped to ramp's kinds with their IoU thresholds and minipatches.

The fold puts the arrays back together for the submission
(rampwf.workflows.object_detector.FoldDetector): fit gets the kit's uint8
images in the kit's layout and its (row, col, radius) tuples.
"""
import math
import numbers
import os
import struct
import zlib

import numpy as np

# the most objects an image may hold in the fold's predictions (the kit's
# [detection] max_objects): at least this many, or 4 × the most truths an
# image has
MIN_MAX_OBJECTS = 200
MAX_MAX_OBJECTS = 10000
TEST_BATCH_SIZE = 64


class DetectionKitError(Exception):
    """The kit is at fault: str(e) is the line to print."""


def png_bytes(a):
    """An 8-bit PNG of a (H × W gray, or H × W × 3 RGB, × 4 RGBA) uint8
    array: rows with filter 0, zlib level 1 (speed over size)."""
    h, w = a.shape[:2]
    c = 1 if a.ndim == 2 else a.shape[2]
    colour = {1: 0, 3: 2, 4: 6}[c]
    rows = np.empty((h, 1 + w * c), dtype=np.uint8)
    rows[:, 0] = 0
    rows[:, 1:] = np.ascontiguousarray(a).reshape(h, w * c)

    def chunk(kind, data):
        return (struct.pack('>I', len(data)) + kind + data +
                struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff))
    return (b'\x89PNG\r\n\x1a\n' +
            chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, colour, 0, 0, 0)) +
            chunk(b'IDAT', zlib.compress(rows.tobytes(), 1)) +
            chunk(b'IEND', b''))


def _describe(v):
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + '...'


def read_arrays(value, fn, kit_file):
    """(X, circles) from get_*_data's value: X an n × H × W (× C) uint8
    array, circles a list of n lists of (row, col, r) float tuples."""
    try:
        X, y = value
    except (TypeError, ValueError):
        raise DetectionKitError(
            '{}: {} returned {}: an ObjectDetector kit returns (X, y), X '
            'the images (n × H × W) and y their lists of (row, col, radius)'
            .format(kit_file, fn, _describe(value)))
    try:
        X = np.asarray(X)
    except ValueError:  # images of different sizes
        X = None
    if X is None or X.dtype == object:
        shapes = []
        try:
            shapes = [np.shape(x) for x in value[0]]
        except TypeError:
            pass
        odd = next((i for i, s in enumerate(shapes) if s != shapes[0]), None)
        raise DetectionKitError(
            '{}: {}: X\'s images differ in shape ({}): ramp needs one array '
            'n × H × W (× C)'.format(
                kit_file, fn, 'image 0 is {}, image {} is {}'.format(
                    shapes[0], odd, shapes[odd]) if odd is not None
                else 'an array of objects'))
    if X.ndim == 4 and X.shape[3] == 1:
        X = X[..., 0]
    if not (X.ndim == 3 or (X.ndim == 4 and X.shape[3] in (3, 4))):
        raise DetectionKitError(
            '{}: {}: X has shape {}: ramp needs n × H × W (gray) or n × H × '
            'W × 3 or 4 (colour) images'.format(kit_file, fn, X.shape))
    if X.dtype != np.uint8:
        raise DetectionKitError(
            "{}: {}: X is of type {}: ramp writes the images as 8-bit PNGs "
            'for its loader and needs uint8 pixels (convert them in {})'
            .format(kit_file, fn, X.dtype, fn))
    if X.shape[0] < 1 or X.shape[1] < 1 or X.shape[2] < 1:
        raise DetectionKitError('{}: {}: X has shape {} (no image)'.format(
            kit_file, fn, X.shape))
    try:
        n_y = len(y)
    except TypeError:
        raise DetectionKitError('{}: {}: y is {}, not one list of objects '
                                'per image'.format(kit_file, fn, _describe(y)))
    if n_y != X.shape[0]:
        raise DetectionKitError('{}: {}: X holds {} images but y {} lists'
                                .format(kit_file, fn, X.shape[0], n_y))
    circles = []
    for i in range(n_y):
        objs = y[i]
        try:
            objs = list(objs) if objs is not None else []
        except TypeError:
            raise DetectionKitError(
                '{}: {}: y[{}] is {}, not a list of (row, col, radius)'
                .format(kit_file, fn, i, _describe(objs)))
        out = []
        for j, o in enumerate(objs):
            try:
                t = tuple(o)
                ok = len(t) == 3 and all(
                    isinstance(v, numbers.Real) and not isinstance(v, bool) and
                    math.isfinite(v) for v in t) and t[2] >= 0
            except TypeError:
                ok = False
            if not ok:
                raise DetectionKitError(
                    '{}: {}: y[{}][{}] is {}: ramp needs (row, col, radius), '
                    'three finite numbers with radius >= 0'.format(
                        kit_file, fn, i, j, _describe(o)))
            out.append(tuple(float(v) for v in t))
        circles.append(out)
    return X, circles


def read_workflow(wf, kit_file):
    elements = getattr(wf, 'element_names', None)
    try:
        elements = list(elements)
    except TypeError:
        pass
    if elements != ['object_detector']:
        raise DetectionKitError(
            "{}: workflow_element_names = {!r}: ramp's fold reads the "
            'submission file object_detector.py (rename the file, not the '
            'element)'.format(kit_file, elements))
    return {'kind': 'detection'}


def read_scores(score_types, kit_file, max_scores, name_re):
    """[(name, kind, precision, params)] for [scores]: params a list of
    'key=value' texts (iou=, minipatch=). Also the SCP shapes, to check
    against the images: [(where, shape)]."""
    import rampwf.score_types as st
    allowed = (st.DetectionPrecision, st.DetectionRecall, st.MADCenter,
               st.MADRadius, st.OSPA, st.SCP, st.DetectionAveragePrecision)
    try:
        items = list(score_types)
    except TypeError:
        raise DetectionKitError('{}: score_types is {}, not a list'.format(
            kit_file, _describe(score_types)))
    if not 1 <= len(items) <= max_scores:
        raise DetectionKitError(
            '{}: score_types lists {} scores: ramp needs 1 to {}'.format(
                kit_file, len(items), max_scores))
    out, shapes, seen = [], [], {}
    for i, s in enumerate(items):
        where = '{}: score_types[{}]'.format(kit_file, i)
        cls = type(s).__name__
        if type(s) not in allowed and not isinstance(
                s, st.AverageDetectionPrecision):
            raise DetectionKitError(
                "{} is {}: an ObjectDetector kit's scores are rampwf's "
                'detection ones (DetectionAveragePrecision, '
                'DetectionPrecision, DetectionRecall, OSPA, SCP, MADCenter, '
                'MADRadius)'.format(where, _describe(s)))
        name = getattr(s, 'name', None)
        if not isinstance(name, str) or not name_re.fullmatch(name):
            raise DetectionKitError(
                "{} ({}) is named {!r}: ramp's problem.ini names a score "
                "with letters, digits, '_', '-', '.', '(' and ')' only (at most 63): "
                "pass name=...".format(where, cls, name))
        if name in seen:
            raise DetectionKitError(
                '{} ({}) is named {!r} like score_types[{}]: score names '
                'must differ'.format(where, cls, name, seen[name]))
        seen[name] = i
        precision = getattr(s, 'precision', None)
        if isinstance(precision, bool) or not isinstance(
                precision, numbers.Integral) or not 0 <= precision <= 15:
            raise DetectionKitError(
                '{} ({} {!r}): precision = {!r}: ramp needs an integer in '
                '[0, 15]'.format(where, cls, name, precision))
        params = []
        iou = getattr(s, 'iou_threshold', None)
        if iou is not None:
            if isinstance(iou, bool) or not isinstance(iou, numbers.Real) \
                    or not 0 <= iou <= 1:
                raise DetectionKitError(
                    '{} ({} {!r}): iou_threshold = {!r}: ramp needs a number '
                    'in [0, 1]'.format(where, cls, name, iou))
            if iou == 0 and s.ramp_kind == 'map':
                raise DetectionKitError(
                    "{} ({} {!r}): iou_threshold = 0: ramp's average "
                    'precision needs a threshold above 0 (precision, recall '
                    'and the MADs take 0)'.format(where, cls, name))
            params.append('iou={!r}'.format(float(iou)))
        conf = getattr(s, 'conf_threshold', 0.5)
        if conf != 0.5:
            raise DetectionKitError(
                "{} ({} {!r}): conf_threshold = {!r}: ramp's detection "
                'scores keep the predictions of confidence above 0.5 '
                "(rampwf's default) only".format(where, cls, name, conf))
        mp = getattr(s, 'minipatch', None)
        if mp is not None:
            try:
                vals = [float(v) for v in mp]
            except (TypeError, ValueError):
                vals = []
            if len(vals) != 4 or not all(map(math.isfinite, vals)) or \
                    not (vals[0] < vals[1] and vals[2] < vals[3]):
                raise DetectionKitError(
                    '{} ({} {!r}): minipatch = {!r}: ramp needs [row_min, '
                    'row_max, col_min, col_max], min < max'.format(
                        where, cls, name, mp))
            params.append('minipatch=' + ':'.join('{:g}'.format(v)
                                                  for v in vals))
        if isinstance(s, st.SCP):
            shapes.append(('{} (SCP {!r})'.format(where, name),
                           tuple(int(v) for v in s.shape)))
        out.append((name, s.ramp_kind, int(precision), params))
    return out, shapes


def check_images(spec, kit_file):
    """The images' size against every SCP's shape (rampwf's SCP draws on a
    map of that shape; ramp's on the image)."""
    sizes = {tuple(spec[split]['X'].shape[1:3]) for split in ('train', 'test')}
    for where, shape in spec['scp_shapes']:
        if sizes != {shape}:
            raise DetectionKitError(
                '{}: shape = {} but the images are {}: ramp draws the SCP '
                'map on each image'.format(where, shape, ' and '.join(
                    '{} × {}'.format(*s) for s in sorted(sizes))))


def max_objects(spec):
    most = max(len(c) for split in ('train', 'test')
               for c in spec[split]['circles'])
    return int(min(MAX_MAX_OBJECTS, max(MIN_MAX_OBJECTS, 4 * most)))


def image_ids(split, n):
    return ['{}_{:06d}.png'.format(split, i) for i in range(n)]


def write_images(folder, spec, write_bytes):
    """Every image of both splits as PNG into folder (made 0755)."""
    os.makedirs(folder, exist_ok=True)
    os.chmod(folder, 0o755)
    for split in ('train', 'test'):
        X = spec[split]['X']
        for i, name in enumerate(spec[split]['ids']):
            write_bytes(os.path.join(folder, name), png_bytes(np.asarray(X[i])))


def object_rows(ids, circles):
    """id,x,y,r rows: x = col, y = row; an image without objects, 'id,,,'."""
    for name, objs in zip(ids, circles):
        if not objs:
            yield (name, '', '', '')
        for row, col, r in objs:
            yield (name, repr(col), repr(row), repr(r))


def ini_text(spec, comment, cv_lines, data_lines):
    lines = ['# ' + comment, '[problem]', 'title = ' + spec['title'],
             'n_classes = 1', 'workflow = detection', 'geometry = circle',
             '', '[scores]']
    for name, kind, precision, params in spec['scores']:
        lines.append(' '.join(['{} = {}'.format(name, kind)] + params +
                              ['precision={}'.format(precision)]))
    lines += ['', '[cv]'] + cv_lines
    lines += ['', '[detection]',
              'max_objects = {}'.format(spec['max_objects']),
              'iou_threshold = 0.5', 'compat = rampwf', 'bagging = rampwf',
              '', '[workflow]', 'test_batch_size = {}'.format(TEST_BATCH_SIZE)]
    if data_lines:
        lines += ['', '[data]'] + data_lines
    return '\n'.join(lines) + '\n'
