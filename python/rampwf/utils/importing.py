"""Loading a Python source file as a module, under a name of our choosing."""
import importlib.util
import os

from .sanitize import _sanitize_input


def import_module_from_source(source, name, sanitize=False):
    """Execute the Python file ``source`` as a fresh module called ``name``.

    The module is not registered in ``sys.modules`` (RAMP's convention, so
    that two submissions' files of the same name never meet, and pickling
    by value keeps working). With ``sanitize=True`` the text is first
    checked for the words RAMP's server refuses in submissions (see
    ``rampwf.utils.sanitize``); a hit raises ``RuntimeError``.

    Returns the module. Errors from the file itself (``SyntaxError``, an
    exception at import) propagate unchanged.
    """
    if sanitize:
        with open(source, 'rt') as f:
            _sanitize_input(f.read())
    spec = importlib.util.spec_from_file_location(name, source)
    if spec is None or spec.loader is None:
        raise ImportError('cannot load {!r} as a Python module'.format(
            os.fspath(source)))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
