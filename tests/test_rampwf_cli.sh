#!/usr/bin/env bash
# test_rampwf_cli.sh — `ramp test` on a RAMP kit (problem.py, no problem.ini)
# with rampwf's flags, against rampwf's contract:
#   1. the printed text is ramp-test's: every line not starting "[ramp] " is
#      what rampwf's printing (testing.py, scoring.py, pretty_print.py: pandas
#      reprs of the score tables) makes of the same numbers, rebuilt here
#      with pandas from the saved files; and the lines' skeleton is golden;
#   2. --save-output writes rampwf's training_output/ (npz, times, CSVs,
#      states) that numpy / pandas read as rampwf's loaders do, with the
#      folds of sklearn's StratifiedShuffleSplit in its row order, scores and
#      bagging curve recomputed in numpy;
#   3. --retrain, --ramp-data-dir, --ramp-submission-dir, --quick-test (the
#      kit's RAMP_TEST_MODE cut; a kit with 1-row classes);
#   4. `ramp kit import`: the problem.ini it writes gives the same folds and
#      scores as problem.py;
#   5. the errors: no problem file, a failing problem.py, --data on a
#      problem.py kit, rampwf's flags ramp does not support.
# The submission is C (a nearest-centroid classifier on the mean pixel), so
# nothing here depends on the Python plugin. Exit 77 without python3 with
# numpy, pandas, scikit-learn and Pillow.
# usage: bash test_rampwf_cli.sh RAMP_BINARY SOURCE_DIR WORK_DIR
set -uo pipefail
ramp=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }

PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3) || { echo "SKIPPED: no python3"; exit 77; }
"$PY" -c "import numpy, pandas, sklearn, PIL" 2>/dev/null \
    || { echo "SKIPPED: $PY lacks numpy, pandas, scikit-learn or Pillow"; exit 77; }
# without a virtualenv ramp runs the Python it was built for (else python3 from PATH): this one
mkdir -p "$work/bin" && ln -s "$PY" "$work/bin/python3"
export PATH="$work/bin:$PATH"
unset VIRTUAL_ENV CONDA_PREFIX

# ---- the kit: 48 train and 12 test images, 3 classes by brightness (overlapping),
# PNG and JPEG, gray and RGB
kit=$work/kit
mkdir -p "$kit/data/imgs" "$kit/submissions/centroid"
"$PY" - "$kit/data" <<'PY' || fail "cannot make the images"
import csv, sys
import numpy as np
from PIL import Image
data = sys.argv[1]
rng = np.random.RandomState(7)
for split, n in (('train', 48), ('test', 12)):
    with open(f'{data}/{split}.csv', 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['id', 'class'])
        for i in range(n):
            c = i % 3
            img = np.clip(50 + 70 * c + rng.randint(-50, 51) + rng.randint(-25, 26, size=(10, 12)), 0, 255)
            ext = 'png' if i % 2 else 'jpg'
            name = f'{split}_{i:03d}.{ext}'
            im = Image.fromarray(img.astype(np.uint8))
            (im.convert('RGB') if i % 4 == 1 else im).save(f'{data}/imgs/{name}')
            w.writerow([name, c])
PY
cat > "$kit/problem.py" <<'EOF'
import os
import pandas as pd
import rampwf as rw
from sklearn.model_selection import StratifiedShuffleSplit

problem_title = 'Tiny brightness classification'
_target_column_name = 'class'
_prediction_label_names = [0, 1, 2]
# A type (class) which will be used to create wrapper objects for y_pred
Predictions = rw.prediction_types.make_multiclass(
    label_names=_prediction_label_names)
# An object implementing the workflow
workflow = rw.workflows.ImageClassifier(
    test_batch_size=8,
    chunk_size=16,
    n_jobs=2,
    n_classes=len(_prediction_label_names),
)

score_types = [
    rw.score_types.Accuracy(name='acc', precision=3),
    rw.score_types.NegativeLogLikelihood(name='nll', precision=4),
    rw.score_types.F1Above(name='f1_70', threshold=0.7, precision=2),
]


def get_cv(folder_X, y):
    _, X = folder_X
    cv = StratifiedShuffleSplit(n_splits=3, test_size=0.25, random_state=42)
    return cv.split(X, y)


def _read_data(path, f_name):
    df = pd.read_csv(os.path.join(path, 'data', f_name))
    if os.getenv('RAMP_TEST_MODE', 0):
        df = df[:30]
    X = df['id'].values
    y = df['class'].values
    folder = os.path.join(path, 'data', 'imgs')
    return (folder, X), y


def get_test_data(path='.'):
    f_name = 'test.csv'
    return _read_data(path, f_name)


def get_train_data(path='.'):
    f_name = 'train.csv'
    return _read_data(path, f_name)
EOF
sub=$kit/submissions/centroid
cat > "$sub/image_preprocessor.c" <<'EOF'
#include <ramp/preprocess.h>

ramp_status transform(ramp_pp *pp, const ramp_image *x, ramp_tensor *out)
{
    const ramp_image *y = ramp_img_resize(pp, ramp_img_gray(pp, x), 8, 8);
    return ramp_img_to_tensor(pp, y, out, RAMP_CHW | RAMP_SCALE01, NULL, NULL);
}
EOF
cat > "$sub/batch_classifier.c" <<'EOF'
/* softmax of −|mean pixel − class mean| / 0.05 */
#include <math.h>
#include <stdlib.h>
#include <ramp/classifier.h>

typedef struct model { int c; size_t d; double mu[16]; } model;

ramp_status batch_classifier_new(void **self, const ramp_clf_info *info)
{
    model *m = calloc(1, sizeof *m);
    if (!m) return RAMP_ENOMEM;
    m->c = info->n_classes;
    m->d = 1;
    for (int i = 0; i < info->ndim; i++) m->d *= (size_t)info->shape[i];
    *self = m;
    return RAMP_OK;
}

static double mean_of(const float *x, size_t d)
{
    double s = 0;
    for (size_t i = 0; i < d; i++) s += x[i];
    return s / (double)d;
}

ramp_status batch_classifier_fit(void *self, ramp_gen_builder *gb)
{
    model *m = self;
    ramp_gen *train, *valid;
    size_t nt, nv;
    double cnt[16] = {0};
    ramp_status st = ramp_get_train_valid_generators(gb, 8, 0.0, &train, &valid, &nt, &nv);
    if (st) return st;
    for (size_t s = 0; s < ramp_gen_steps_per_epoch(train); s++) {
        ramp_batch b;
        if ((st = ramp_gen_next(train, &b))) return st;
        for (size_t i = 0; i < b.n; i++) {
            m->mu[b.y[i]] += mean_of(b.X + i * m->d, m->d);
            cnt[b.y[i]] += 1;
        }
    }
    for (int k = 0; k < m->c; k++) m->mu[k] = cnt[k] ? m->mu[k] / cnt[k] : 2.0;
    return RAMP_OK;
}

ramp_status batch_classifier_predict_proba(void *self, const float *X, size_t n, float *proba)
{
    model *m = self;
    for (size_t i = 0; i < n; i++) {
        double x = mean_of(X + i * m->d, m->d), z = 0, e[16];
        for (int k = 0; k < m->c; k++) z += e[k] = exp(-fabs(x - m->mu[k]) / 0.05);
        for (int k = 0; k < m->c; k++) proba[i * (size_t)m->c + (size_t)k] = (float)(e[k] / z);
    }
    return RAMP_OK;
}

void batch_classifier_free(void *self) { free(self); }
EOF
[ -e "$kit/problem.ini" ] && fail "the kit must have no problem.ini"

# ---- 1. ramp test with rampwf's flags
run=$work/run.out
"$ramp" test --ramp-kit-dir "$kit" --ramp-data-dir "$kit" --ramp-submission-dir "$kit/submissions" \
    --submission centroid --save-output --retrain --ignore-warning --json "$work/run.json" \
    > "$run" 2> "$work/run.err" || { cat "$run" "$work/run.err"; fail "ramp test on the RAMP kit"; }
grep -q "^\[ramp\] Problem: $kit/problem.py, read by [^ ]*python[0-9.]* " "$run" || fail "no [ramp] Problem line"
grep -q "^\[ramp\] Sandbox: " "$run" || fail "no [ramp] Sandbox line"
grep -q "^\[ramp\] fold 2: loader .* log $sub/.ramp-build/fold_2.log$" "$run" || fail "no fold line"
grep -q "^\[ramp\] retrain: .* log $sub/.ramp-build/retrain.log$" "$run" || fail "no retrain line"
ok "ramp test reads problem.py, runs 3 folds and the retrain"

# rampwf's lines only, paths replaced
grep -v '^\[ramp\] ' "$run" > "$work/rampwf.out"

# 1a. the skeleton: titles in order, each table row's label and field count
awk -v k="$kit" '{ gsub(k, "KIT") } /^\t/ { print "\t" $1 " " NF; next } { print }' \
    "$work/rampwf.out" > "$work/skeleton.out"
cat > "$work/skeleton.golden" <<'EOF'
Testing Tiny brightness classification
Reading train and test files from KIT/data/ ...
Reading cv ...
Training KIT/submissions/centroid ...
Training output path: KIT/submissions/centroid/training_output
CV fold 0
	score 5
	train 5
	valid 5
	test 5
CV fold 1
	score 5
	train 5
	valid 5
	test 5
CV fold 2
	score 5
	train 5
	valid 5
	test 5
----------------------------
Mean CV scores
----------------------------
	score 5
	train 13
	valid 13
	test 13
----------------------------
Retrain scores
----------------------------
	score 4
	train 4
	test 4
----------------------------
Bagged scores
----------------------------
	score 4
	valid 4
	test 4
EOF
diff "$work/skeleton.golden" "$work/skeleton.out" || fail "the printed skeleton differs from rampwf's"

# 1b. the exact text, rebuilt the way rampwf prints (pandas reprs) from the
# saved full-precision figures
"$PY" - "$kit" "$sub" "$work/run.json" > "$work/rampwf.golden" <<'PY' || fail "cannot rebuild rampwf's text"
import json, sys
import numpy as np
import pandas as pd
kit, sub, js = sys.argv[1:4]
precisions = [3, 4, 2]  # problem.py's score types
out = sub + '/training_output'

def show(df):  # print_df_scores, no colours: the repr without its 'step' line, after a tab
    with pd.option_context('display.width', None):
        text = repr(df)
    for line in text.splitlines():
        if line.strip() != 'step':
            print('\t' + line)

def rounded(df):  # round_df_scores: Python's round() of each score, time untouched
    df = df.copy()
    for col, p in zip(df, precisions):
        df[col] = [round(v, p) for v in df[col]]
    return df

def banner(title):
    print('----------------------------')
    print(title)
    print('----------------------------')

print('Testing Tiny brightness classification')
print('Reading train and test files from {}/data/ ...'.format(kit))
print('Reading cv ...')
print('Training {} ...'.format(sub))
print('Training output path: {}'.format(out))
folds = []
for k in range(3):
    df = pd.read_csv('{}/fold_{}/scores.csv'.format(out, k), index_col=0, float_precision='round_trip')
    df.columns.name = 'score'
    folds.append(df)
    print('CV fold {}'.format(k))
    show(rounded(df))
banner('Mean CV scores')
scores = np.array([df.values for df in folds])
means, stds = scores.mean(axis=0), scores.std(axis=0)
strs = np.array([['{} +- {}'.format(round(m, p), round(s, p + 1))
                  for m, s, p in zip(mr, sr, precisions + [1])]
                 for mr, sr in zip(means, stds)])
show(pd.DataFrame(strs, columns=folds[0].columns, index=folds[0].index))
banner('Retrain scores')
rt = json.load(open(js))['submissions'][0]['retrain']
names = list(folds[0].columns[:-1])
df = pd.DataFrame([[float(rt[s][n]) for n in names] for s in ('train', 'test')],
                  index=pd.Index(['train', 'test'], name='step'),
                  columns=pd.Index(names, name='score'))
show(rounded(df))
banner('Bagged scores')
bag = pd.read_csv(out + '/bagged_scores.csv', index_col=[0, 1], float_precision='round_trip')
last = bag.index.get_level_values('n_bag').max()
bag = bag.loc[(slice(None), last), :]
bag.index = bag.index.droplevel('n_bag')
bag.columns.name = 'score'
show(rounded(bag))
PY
diff "$work/rampwf.golden" "$work/rampwf.out" || fail "ramp test's text differs from rampwf's printing of the same figures"
ok "the printed text is rampwf's (skeleton golden; tables as pandas prints them)"

# ---- 2. training_output as rampwf writes it, read as rampwf reads it
"$PY" - "$kit" "$sub/training_output" <<'PY' || fail "training_output"
import os, sys
import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedShuffleSplit
kit, out = sys.argv[1:3]
train = pd.read_csv(kit + '/data/train.csv')
test = pd.read_csv(kit + '/data/test.csv')
y, yt = train['class'].values, test['class'].values
cv = list(StratifiedShuffleSplit(n_splits=3, test_size=0.25, random_state=42)
          .split(train['id'].values, y))

def check(cond, what):
    if not cond:
        sys.exit('training_output: ' + what)

def load(path):  # rampwf's io.load_y_pred
    return np.load(path)['y_pred']

def nll(p, yy):
    p = p.astype(np.float64)
    p = np.clip(p / p.sum(axis=1, keepdims=True), 1e-15, 1 - 1e-15)
    return float(-np.mean(np.log(p[np.arange(len(yy)), yy])))

def acc(p, yy):
    return float(np.mean(np.argmax(p, axis=1) == yy))

def combine(mats):  # rampwf's multiclass combine: clip, renormalise, nanmean
    a = np.clip(np.array(mats, dtype=float), 1e-15, 1 - 1e-15)
    a = a / a.sum(axis=2, keepdims=True)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        return np.nanmean(a, axis=0)

valid_preds, test_preds = [], []
for k, (train_is, valid_is) in enumerate(cv):
    d = '{}/fold_{}'.format(out, k)
    names = sorted(os.listdir(d))
    for f in ('y_pred_train.npz', 'y_pred_test.npz', 'train_time', 'valid_time', 'test_time',
              'scores.csv', 'state.txt'):
        check(f in names, '{} has no {}'.format(d, f))
    check(open(d + '/state.txt').read() == 'scored', 'state.txt')
    with np.load(d + '/y_pred_train.npz') as z:
        check(list(z.keys()) == ['y_pred'], 'npz keys {}'.format(list(z.keys())))
    ptr, pte = load(d + '/y_pred_train.npz'), load(d + '/y_pred_test.npz')
    check(ptr.shape == (48, 3) and ptr.dtype == np.float32, 'y_pred_train {} {}'.format(ptr.shape, ptr.dtype))
    check(pte.shape == (12, 3) and pte.dtype == np.float32, 'y_pred_test {}'.format(pte.shape))
    check(np.all(np.isfinite(ptr)) and np.allclose(ptr.sum(axis=1), 1, atol=1e-5),
          'every training row predicted, rows summing to 1')
    # the folds are sklearn's, in its order
    vidx = np.load(d + '/valid_idx.npy')
    check(np.array_equal(vidx, valid_is), 'fold {} valid rows {} != sklearn {}'.format(k, vidx, valid_is))
    check(np.array_equal(np.load(d + '/y_pred_valid.npy'), ptr[valid_is]), 'y_pred_valid.npy')
    # scores.csv: rampwf's layout, the scores of these predictions
    text = open(d + '/scores.csv').read().splitlines()
    check(text[0] == 'step,acc,nll,f1_70,time', 'scores.csv header ' + text[0])
    check([l.split(',')[0] for l in text[1:]] == ['train', 'valid', 'test'], 'scores.csv rows')
    s = pd.read_csv(d + '/scores.csv', index_col=0, float_precision='round_trip')
    for step, rows, yy, p in (('train', train_is, y[train_is], ptr[train_is]),
                              ('valid', valid_is, y[valid_is], ptr[valid_is]),
                              ('test', None, yt, pte)):
        check(abs(s.loc[step, 'acc'] - acc(p, yy)) < 1e-12, '{} acc'.format(step))
        check(abs(s.loc[step, 'nll'] - nll(p, yy)) < 1e-9, '{} nll {} {}'.format(step, s.loc[step, 'nll'], nll(p, yy)))
    for step in ('train', 'valid', 'test'):
        t = float(open('{}/{}_time'.format(d, step)).read())
        check(t == s.loc[step, 'time'] and t >= 0, step + '_time')
    valid_preds.append(ptr)
    test_preds.append(pte)
acc0 = s.loc['test', 'acc']
check(acc0 > 0.5, 'the classifier learns (test acc {})'.format(acc0))

# bagged_scores.csv: the bagging curve, rampwf's get_score_cv_bags
text = open(out + '/bagged_scores.csv').read().splitlines()
check(text[0] == 'step,n_bag,acc,nll,f1_70', 'bagged header ' + text[0])
check([tuple(l.split(',')[:2]) for l in text[1:]] ==
      [(s, str(i)) for s in ('valid', 'test') for i in range(3)], 'bagged rows')
bag = pd.read_csv(out + '/bagged_scores.csv', index_col=[0, 1], float_precision='round_trip')
for i in range(3):
    mats = []
    for k in range(i + 1):
        m = np.full((48, 3), np.nan)
        m[cv[k][1]] = valid_preds[k][cv[k][1]]
        mats.append(m)
    comb = combine(mats)
    rows = ~np.isnan(comb[:, 0])
    check(abs(bag.loc[('valid', i), 'acc'] - acc(comb[rows], y[rows])) < 1e-12, 'bag valid acc {}'.format(i))
    check(abs(bag.loc[('valid', i), 'nll'] - nll(comb[rows], y[rows])) < 1e-9, 'bag valid nll {}'.format(i))
    comb = combine(test_preds[:i + 1])
    check(abs(bag.loc[('test', i), 'acc'] - acc(comb, yt)) < 1e-12, 'bag test acc {}'.format(i))
    check(abs(bag.loc[('test', i), 'nll'] - nll(comb, yt)) < 1e-9, 'bag test nll {}'.format(i))

# the retrain: rampwf's state, predictions on every row
check(open(out + '/state.txt').read() == 'tested', 'retrain state.txt')
rtr, rte = load(out + '/y_pred_retrain_train.npz'), load(out + '/y_pred_retrain_test.npz')
check(rtr.shape == (48, 3) and rte.shape == (12, 3) and np.all(np.isfinite(rtr)), 'retrain npz')
print('training_output: rampwf layout, sklearn folds, scores and bagging curve agree')
PY
ok "training_output: rampwf's files, sklearn's folds, numpy's scores"

# ---- 3. the data elsewhere (--ramp-data-dir), the submissions elsewhere, --quick-test
mkdir -p "$work/elsewhere" "$work/subs"
cp -r "$kit/data" "$work/elsewhere/"
cp -r "$sub" "$work/subs/"
rm -rf "$work/subs/centroid/training_output" "$work/subs/centroid/.ramp-build"
"$ramp" test --ramp-kit-dir "$kit" --ramp-data-dir "$work/elsewhere" --ramp-submission-dir "$work/subs" \
    --submission centroid --quick-test --json "$work/quick.json" > "$work/quick.out" 2>&1 \
    || { cat "$work/quick.out"; fail "--ramp-data-dir elsewhere, --quick-test"; }
grep -qx "Reading train and test files from $work/elsewhere/data/ ..." "$work/quick.out" || fail "data dir line"
grep -qx "Training $work/subs/centroid ..." "$work/quick.out" || fail "submission dir line"
grep -q '"n_train": 30, "n_test": 12' "$work/quick.json" || fail "--quick-test: the kit's RAMP_TEST_MODE cut (30 rows)"
[ -d "$work/subs/centroid/training_output" ] && fail "training_output without --save-output"
ok "--ramp-data-dir, --ramp-submission-dir, --quick-test (RAMP_TEST_MODE)"

# ---- 4. ramp kit import: the same folds and scores from problem.ini
k2=$work/imported
mkdir -p "$k2/submissions"
cp -r "$kit/data" "$kit/problem.py" "$k2/"
cp -r "$work/subs/centroid" "$k2/submissions/"
"$ramp" kit import "$k2" > "$work/import.out" 2>&1 || { cat "$work/import.out"; fail "ramp kit import"; }
grep -qx "wrote $k2/problem.ini" "$work/import.out" || { cat "$work/import.out"; fail "import: what it wrote"; }
grep -q "^checked: 'Tiny brightness classification', 3 classes" "$work/import.out" || fail "import: the check"
grep -q "3 folds (stratified shuffle split)" "$work/import.out" || fail "import: the folds"
grep -qx "method = stratified_shuffle_split" "$k2/problem.ini" || fail "import: not sklearn's splitter"
"$ramp" kit import "$k2" > "$work/import2.out" 2>&1; rc=$?
[ $rc -eq 1 ] || fail "import over an existing problem.ini: exit $rc"
grep -q "exists (--force replaces it)" "$work/import2.out" || { cat "$work/import2.out"; fail "import: refusal message"; }
"$ramp" kit import "$k2" --force > /dev/null 2>&1 || fail "import --force"
"$ramp" test --kit "$k2" --submission centroid --save-output > "$work/ini.out" 2>&1 \
    || { cat "$work/ini.out"; fail "ramp test on the imported kit"; }
grep -q "^\[ramp\] Problem:" "$work/ini.out" && fail "the imported kit ran problem.py"
"$PY" - "$sub/training_output" "$k2/submissions/centroid/training_output" <<'PY' || fail "import: not the same folds or scores"
import sys
import numpy as np
import pandas as pd
a, b = sys.argv[1:3]
for k in range(3):
    fa, fb = '{}/fold_{}/'.format(a, k), '{}/fold_{}/'.format(b, k)
    if not np.array_equal(np.load(fa + 'valid_idx.npy'), np.load(fb + 'valid_idx.npy')):
        sys.exit('fold {}: the valid rows differ'.format(k))
    sa = pd.read_csv(fa + 'scores.csv', index_col=0, float_precision='round_trip').drop(columns='time')
    sb = pd.read_csv(fb + 'scores.csv', index_col=0, float_precision='round_trip').drop(columns='time')
    if not sa.equals(sb):
        sys.exit('fold {}: scores differ\n{}\n{}'.format(k, sa, sb))
PY
ok "ramp kit import: problem.ini with sklearn's splitter, the same folds and scores"

# an ini kit with 1-row classes: --quick-test keeps the classes that split
k3=$work/tiny_classes
mkdir -p "$k3/submissions"
cp -r "$kit/data" "$k3/"
cp -r "$work/subs/centroid" "$k3/submissions/"
printf '[problem]\ntitle = one-row classes\nn_classes = 6\n\n[scores]\nacc = accuracy\n\n[cv]\nn_splits = 2\ntest_size = 0.25\nrandom_state = 3\n' \
    > "$k3/problem.ini"
printf 'train_000.jpg,3\ntrain_001.png,4\ntrain_002.jpg,5\n' > "$work/extra.csv"
sed -i '2,4d' "$k3/data/train.csv" && cat "$work/extra.csv" >> "$k3/data/train.csv"
"$ramp" test --kit "$k3" --submission centroid --quick-test > "$work/tiny.out" 2>&1 \
    || { cat "$work/tiny.out"; fail "--quick-test on a kit with 1-row classes"; }
grep -q "^Bagged scores" "$work/tiny.out" || fail "1-row classes: no bag"
"$ramp" test --kit "$k3" --submission centroid > "$work/tiny_full.out" 2>&1 && fail "1-row classes split without --quick-test"
grep -q "^ramp: cross-validation: " "$work/tiny_full.out" || { cat "$work/tiny_full.out"; fail "1-row classes: message"; }
ok "--quick-test on 1-row classes; the full split refused with a message"

# ---- 5. errors
mkdir -p "$work/empty"
"$ramp" test --kit "$work/empty" > "$work/e1.out" 2>&1; rc=$?
[ $rc -eq 1 ] && grep -q "ramp: $work/empty is not a kit: it has neither problem.ini nor problem.py" "$work/e1.out" \
    || { cat "$work/e1.out"; fail "no problem file: exit $rc"; }
k4=$work/broken
mkdir -p "$k4"
cp -r "$kit/data" "$kit/submissions" "$k4/"
sed 's/^def get_train_data(path=.\..):/&\n    raise ValueError("no data here")/' "$kit/problem.py" > "$k4/problem.py"
grep -q 'no data here' "$k4/problem.py" || fail "could not break problem.py"
"$ramp" test --kit "$k4" --submission centroid > "$work/e2.out" 2> "$work/e2.err"; rc=$?
[ $rc -eq 1 ] || fail "failing problem.py: exit $rc"
head -1 "$work/e2.err" | grep -q "^ramp: $k4/problem.py: ramp's reader failed ([^ ]*python[0-9.]* .*ramp_problem.py exited with status 2)$" \
    || { cat "$work/e2.err"; fail "failing problem.py: the error line"; }
grep -q "raised ValueError: no data here" "$work/e2.err" || fail "failing problem.py: the reader's stderr"
grep -q "^Testing" "$work/e2.out" && fail "failing problem.py: tables printed"
for d in "${TMPDIR:-/tmp}"/ramp-kit-*; do
    [ -f "$d/reader.log" ] && grep -q "no data here" "$d/reader.log" \
        && fail "the reader's temporary folder $d was left behind"
done
"$ramp" test --kit "$kit" --data "$kit/data" > "$work/e3.out" 2>&1; rc=$?
[ $rc -eq 1 ] && grep -q "has problem.py: its data is read from --ramp-data-dir" "$work/e3.out" \
    || { cat "$work/e3.out"; fail "--data on a problem.py kit: exit $rc"; }
"$ramp" test --kit "$kit" --pickle > "$work/e4.out" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "test: --pickle is not supported by ramp: " "$work/e4.out" || fail "--pickle: exit $rc"
ok "errors: no problem file, a failing problem.py (its stderr shown), --data, --pickle"
echo "rampwf cli tests passed"
