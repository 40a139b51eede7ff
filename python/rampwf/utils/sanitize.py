"""RAMP's screening of submission text for words that suggest tampering.

It is an early warning, not a defence: ramp's real protection is the
sandbox its folds run in. The words are those RAMP refuses (process and
file-tree operations); a bare ``open`` is allowed, ``os.open`` and `` open``
after a space are not, as in RAMP (so ``Image.open`` passes).
"""
import re
import sys

# word shown in the message -> pattern searched for
_FORBIDDEN = (
    ('subprocess', r'subprocess'),
    ('Popen', r'Popen'),
    ('shutil', r'shutil'),
    ('rmtree', r'rmtree'),
    ('copytree', r'copytree'),
    ('fdopen', r'fdopen'),
    ('fchmod', r'fchmod'),
    ('fchown', r'fchown'),
    ('ftruncate', r'ftruncate'),
    ('listdir', r'listdir'),
    ('scandir', r'scandir'),
    ('removedirs', r'removedirs'),
    ('open', r'(?:os\.| )open'),
)


def _sanitize_input(code):
    """Return ``code`` unchanged, or raise ``RuntimeError`` naming the first
    forbidden word found in it."""
    for word, pattern in _FORBIDDEN:
        if re.search(pattern, code):
            msg = 'forbidden key word {} detected in submission.'.format(word)
            if 'ramp_database' in sys.modules:
                msg += (' Tampering with the RAMP server is forbidden and '
                        'has been reported.')
            raise RuntimeError(msg)
    return code
