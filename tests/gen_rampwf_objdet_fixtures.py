#!/usr/bin/env python3
"""Expected scores for test_rampwf_objdet: rampwf's own ramp-test run on
the test kit (tests/fixtures/rampwf_objdet), fold by fold and bagged.

    python3 tests/gen_rampwf_objdet_fixtures.py RAMPWF_SRC > \\
        tests/fixtures/rampwf_objdet/expected.json

RAMPWF_SRC is a checkout of rampwf (paris-saclay-cds/ramp-workflow); its
ramp-test needs numpy, scipy, pandas and scikit-learn (cloudpickle, which
it imports but a run without pickling never uses, is stubbed when
missing). The kit's data is made in a temporary folder by make_data.py.
The scores are rampwf's raw values (not rounded): per fold the train,
valid and test rows of its score matrix; bagged, what get_score_cv_bags
gives for the whole bag on the valid and test rows (rampwf's Predictions.
combine across folds).
"""
import contextlib
import io
import json
import math
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import types

HERE = os.path.dirname(os.path.abspath(__file__))
KIT = os.path.join(HERE, 'fixtures', 'rampwf_objdet')
SUBMISSIONS = ['blobs', 'checks']


def main(rampwf_src):
    sys.path.insert(0, rampwf_src)
    try:
        import cloudpickle  # noqa: F401
    except ImportError:
        stub = types.ModuleType('cloudpickle')
        stub.dump, stub.load = pickle.dump, pickle.load
        stub.dumps, stub.loads = pickle.dumps, pickle.loads
        sys.modules['cloudpickle'] = stub
    from rampwf.utils.combine import get_score_cv_bags
    from rampwf.utils.submission import run_submission_on_cv_fold
    from rampwf.utils.testing import assert_read_problem

    work = tempfile.mkdtemp(prefix='objdet-fixtures-')
    try:
        shutil.copy(os.path.join(KIT, 'problem.py'), work)
        subprocess.run([sys.executable, os.path.join(KIT, 'make_data.py'),
                        work], check=True)
        out = {}
        for sub in SUBMISSIONS:
            shutil.copytree(os.path.join(KIT, 'submissions', sub),
                            os.path.join(work, 'submissions', sub))
            out[sub] = run_one(work, sub, assert_read_problem,
                               run_submission_on_cv_fold, get_score_cv_bags)
    finally:
        shutil.rmtree(work)
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write('\n')


def clean(v):
    v = float(v)
    return None if math.isnan(v) else v


def run_one(kit, sub, read_problem, run_fold, cv_bags):
    problem = read_problem(kit)
    X_train, y_train = problem.get_train_data(path=kit)
    X_test, y_test = problem.get_test_data(path=kit)
    cv = list(problem.get_cv(X_train, y_train))
    folds, valid_list, test_list = [], [], []
    with contextlib.redirect_stdout(io.StringIO()):
        for fold in cv:
            pv, pt, df = run_fold(problem, os.path.join(kit, 'submissions', sub),
                                  fold, X_train, y_train, X_test, y_test)
            folds.append({step: {name: clean(df.loc[step, name])
                                 for name in df.columns if name != 'time'}
                          for step in ('train', 'valid', 'test')})
            valid_list.append(pv)
            test_list.append(pt)
    bagged = {}
    for step, plist, y, idx in (
            ('valid', valid_list, y_train, [v for _, v in cv]),
            ('test', test_list, y_test, None)):
        gt = problem.Predictions(y_true=y)
        bagged[step] = {st.name: clean(cv_bags(st, plist, gt,
                                               test_is_list=idx)[1][-1])
                        for st in problem.score_types}
    return {'folds': folds, 'bagged': bagged}


if __name__ == '__main__':
    main(sys.argv[1])
