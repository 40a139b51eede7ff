#!/usr/bin/env bash
# ramp's Python side of RAMP kits: the rampwf package (python/rampwf) and the
# kit reader (python/ramp_problem.py), both run from the build folder's copy.
#   1. rampwf's unit checks (tests/fixtures/rampwf_kit_checks/check_rampwf.py):
#      score types against scikit-learn, Predictions, the pure-Python
#      BatchGeneratorBuilder / ImageLoader / workflows on PNG files;
#   2. the reader on a kit in RAMP's layout (tests/fixtures/rampwf_kit): every
#      output file, folds.csv against scikit-learn's StratifiedShuffleSplit,
#      string labels, --quick-test, ids that are paths, and problem.ini read
#      back by ramp's own parser (libramp through ctypes);
#   3. --import: [cv] method lines or a folds file, [data] or none, --force;
#   4. each error a kit can cause: one line naming the kit file, exit 2.
# Skipped (77) without a python3 that has numpy, pandas, scikit-learn, Pillow;
# and, after every other check ran and passed, where libramp cannot be loaded
# into python (a sanitized build, or no libramp.so): the read-back by ramp's
# parser in 2 and 3 did not run.
set -uo pipefail
ramp=$1 src=$2 work=$3
rm -rf "$work"; mkdir -p "$work"
work=$(cd "$work" && pwd)
fail() { echo "FAIL: $*"; exit 1; }
build=$(cd "$(dirname "$ramp")" && pwd)
src=$(cd "$src" && pwd)
pydir=$build/python
reader=$pydir/ramp_problem.py
checks=$src/tests/fixtures/rampwf_kit_checks
[ -f "$reader" ] || fail "$reader is missing (the ramp target copies python/ into the build folder)"
export PYTHONDONTWRITEBYTECODE=1

PY=
for cand in ${RAMP_TEST_PYTHON:-} python3 /usr/bin/python3; do
    command -v "$cand" >/dev/null 2>&1 || continue
    if "$cand" -c 'import numpy, pandas, sklearn, PIL' 2>/dev/null; then PY=$cand; break; fi
done
if [ -z "$PY" ]; then
    echo "SKIP: no python3 with numpy, pandas, scikit-learn and Pillow" \
         "(Debian: python3-pandas python3-sklearn python3-pil)"
    exit 77
fi
echo "python: $(command -v "$PY") ($("$PY" -c 'import sys, sklearn; print(sys.version.split()[0], "sklearn", sklearn.__version__)'))"

# --- 1. the package ------------------------------------------------------------
mkdir -p "$work/units"
"$PY" "$checks/check_rampwf.py" "$pydir" "$work/units" || fail "rampwf unit checks"

# --- helpers ---------------------------------------------------------------------
subst() { # subst FILE OLD NEW: replace the text OLD, which must be in FILE
    "$PY" - "$@" <<'PY' || fail "subst: '$2' not in $1"
import sys
path, old, new = sys.argv[1:4]
s = open(path).read()
if old not in s:
    sys.exit(1)
open(path, 'w').write(s.replace(old, new))
PY
}
make_kit() { # make_kit DIR int|str: the fixture's problem.py, 60 train and 15 test rows
    mkdir -p "$1/data/imgs"
    cp "$src/tests/fixtures/rampwf_kit/problem.py" "$1/"
    "$PY" - "$1" "$2" <<'PY'
import sys
import numpy as np
kit, kind = sys.argv[1], sys.argv[2]
names = ['square', 'circle', 'triangle']
rng = np.random.default_rng(5)
for split, n in (('train', 60), ('test', 15)):
    y = np.tile([0, 1, 2], n // 3)
    rng.shuffle(y)
    with open('{}/data/{}.csv'.format(kit, split), 'w') as f:
        f.write('id,class\n')
        for i, k in enumerate(y):
            f.write('{}_{:03d}.png,{}\n'.format(split, i, names[k] if kind == 'str' else k))
PY
    [ "$2" = str ] && subst "$1/problem.py" "[0, 1, 2]  # LABELS" "['square', 'circle', 'triangle']  # LABELS"
    return 0
}
run_ok() { # run_ok NAME ARGS...: the reader exits 0, prints nothing on stdout
    local name=$1; shift
    "$PY" "$reader" "$@" > "$work/$name.stdout" 2> "$work/$name.stderr" \
        || { cat "$work/$name.stderr"; fail "$name: exit $?"; }
    [ -s "$work/$name.stdout" ] && { cat "$work/$name.stdout"; fail "$name: printed on stdout"; }
    return 0
}
parse() { # parse DIR: what ramp's parser reads from DIR/problem.ini
    "$PY" "$checks/parse_ini.py" "$build/libramp.so" "$1"
}
have_parser=1
if grep -q '^RAMP_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null || [ ! -f "$build/libramp.so" ]; then
    have_parser=0 # an ASan libramp cannot be loaded into python
    echo "SKIP: problem.ini is not read back by libramp in this build" \
         "(sanitized, or no $build/libramp.so); the other checks run"
fi
parsed_has() { # parsed_has DIR LINE...: ramp's parser reads each LINE from DIR
    [ $have_parser = 1 ] || return 0
    local dir=$1; shift
    parse "$dir" > "$work/parsed" || { cat "$work/parsed"; fail "ramp cannot read $dir/problem.ini"; }
    for line in "$@"; do
        grep -qxF -- "$line" "$work/parsed" || { cat "$work/parsed"; fail "$dir: ramp does not read '$line'"; }
    done
}
sss_folds() { # sss_folds KIT N_SPLITS TEST_SIZE SEED: sklearn's folds of data/train.csv
    "$PY" - "$@" <<'PY'
import csv, sys
import numpy as np
from sklearn.model_selection import StratifiedShuffleSplit
kit, n_splits, test_size, seed = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
y = [r['class'] for r in csv.DictReader(open(kit + '/data/train.csv'))]
print('fold,set,row')
cv = StratifiedShuffleSplit(n_splits=n_splits, test_size=test_size, random_state=seed)
for k, (tr, va) in enumerate(cv.split(np.zeros(len(y)), y)):
    for side, rows in (('train', tr), ('valid', va)):
        for r in rows:
            print('{},{},{}'.format(k, side, r))
PY
}

# --- 2. the reader ---------------------------------------------------------------
kit=$work/kit_int
make_kit "$kit" int
run_ok int --kit "$kit" --out "$work/out_int"
out=$work/out_int
cat > "$work/want.ini" <<EOF
# read from a RAMP kit's problem.py by ramp_problem.py
[problem]
title = Shapes classification (test kit)
n_classes = 3
workflow = image_classifier

[scores]
acc = accuracy precision=3
nll = nll precision=4
f1_70 = f1_above precision=3 threshold=0.7
bal_acc = balanced_accuracy precision=3
recall = macro_recall precision=3
err = error precision=2

[cv]
folds = folds.csv

[workflow]
chunk_size = 64
n_jobs = 2
test_batch_size = 16

[data]
images = $kit/data/imgs
train = train.csv
test = test.csv
class_codes = class_codes.csv
EOF
diff "$work/want.ini" "$out/problem.ini" || fail "int: problem.ini"
cmp "$kit/data/train.csv" "$out/train.csv" || fail "int: train.csv differs from the kit's"
cmp "$kit/data/test.csv" "$out/test.csv" || fail "int: test.csv differs from the kit's"
printf 'class,name\n0,0\n1,1\n2,2\n' | cmp - "$out/class_codes.csv" || fail "int: class_codes.csv"
sss_folds "$kit" 3 0.25 42 > "$work/want_folds.csv"
cmp "$work/want_folds.csv" "$out/folds.csv" || fail "int: folds.csv is not sklearn's StratifiedShuffleSplit(3, 0.25, 42)"
[ "$(grep -c ',valid,' "$out/folds.csv")" = 45 ] || fail "int: 3 x 15 valid rows expected"
parsed_has "$out" "title Shapes classification (test kit)" "n_classes 3" "class 2 2" \
    "score acc accuracy 3 0.0" "score nll nll 4 0.0" "score f1_70 f1_above 3 0.7" \
    "score bal_acc balanced_accuracy 3 0.0" "score recall macro_recall 3 0.0" \
    "score err error 2 0.0" "cv folds" "folds $out/folds.csv" "workflow image_classifier" \
    "data images $kit/data/imgs" "data train $out/train.csv" "data test $out/test.csv" \
    "data class_codes $out/class_codes.csv" "chunk_size 64" "n_jobs 2" "test_batch_size 16"
echo "ok: reader, int labels (problem.ini, CSVs, folds = sklearn's, read back by ramp)"

# string labels, in label_names order (not sorted), and the other scores
kit=$work/kit_str
make_kit "$kit" str
subst "$kit/problem.py" "rw.score_types.ClassificationError(name='err', precision=2),  # SCORES" \
    "rw.score_types.BrierScore(name='brier'), rw.score_types.ROCAUC(name='auc', precision=5),"
run_ok str --kit "$kit" --out "$work/out_str"
out=$work/out_str
"$PY" - "$kit" "$out" <<'PY' || fail "str: train.csv / test.csv classes are not label_names indices"
import sys
kit, out = sys.argv[1:3]
names = ['square', 'circle', 'triangle']
for split in ('train', 'test'):
    src = open('{}/data/{}.csv'.format(kit, split)).read().splitlines()
    got = open('{}/{}.csv'.format(out, split)).read().splitlines()
    assert got[0] == 'id,class' and len(got) == len(src)
    for a, b in zip(src[1:], got[1:]):
        i, label = a.split(',')
        assert b == '{},{}'.format(i, names.index(label)), (a, b)
PY
printf 'class,name\n0,square\n1,circle\n2,triangle\n' | cmp - "$out/class_codes.csv" || fail "str: class_codes.csv"
sss_folds "$kit" 3 0.25 42 | cmp - "$out/folds.csv" || fail "str: folds.csv"
grep -qxF "brier = brier precision=3" "$out/problem.ini" || fail "str: brier line"
grep -qxF "auc = roc_auc precision=5" "$out/problem.ini" || fail "str: roc_auc line"
parsed_has "$out" "class 0 square" "class 2 triangle" "score brier brier 3 0.0" "score auc roc_auc 5 0.0"
echo "ok: reader, string labels (label_names order), brier and roc_auc"

# --quick-test: RAMP_TEST_MODE=1 (the kit keeps 24 rows)
run_ok quick --kit "$work/kit_int" --out "$work/out_quick" --quick-test
[ "$(wc -l < "$work/out_quick/train.csv")" = 25 ] || fail "quick: 24 train rows expected"
[ "$(wc -l < "$work/out_quick/test.csv")" = 16 ] || fail "quick: the 15 test rows expected"
echo "ok: --quick-test"

# the simplified workflow, ids that are paths (rampwf's digits kit lists
# absolute file names), --data apart from the kit, a relative --kit
kit=$work/kit_simple
make_kit "$kit" int
subst "$kit/problem.py" "rw.workflows.ImageClassifier(  # WORKFLOW
    test_batch_size=16,
    chunk_size=64,
    n_jobs=2," "rw.workflows.SimplifiedImageClassifier(  # WORKFLOW"
subst "$kit/problem.py" "X = df['id'].values" "X = [os.path.join(os.path.abspath(path), 'data', 'imgs', i) for i in df['id']]"
mkdir -p "$work/elsewhere" && mv "$kit/data" "$work/elsewhere/"
(cd "$work" && "$PY" "$reader" --kit kit_simple --data elsewhere --out out_simple) \
    > "$work/simple.stdout" 2> "$work/simple.stderr" || { cat "$work/simple.stderr"; fail "simple: exit"; }
out=$work/out_simple
grep -qxF "workflow = simplified_image_classifier" "$out/problem.ini" || fail "simple: workflow"
grep -q '^\[workflow\]' "$out/problem.ini" && fail "simple: a [workflow] section"
grep -qxF "images = $work/elsewhere/data/imgs" "$out/problem.ini" || fail "simple: images folder"
cmp "$work/elsewhere/data/train.csv" "$out/train.csv" || fail "simple: ids should be the file names"
parsed_has "$out" "workflow simplified_image_classifier" "data images $work/elsewhere/data/imgs"
echo "ok: SimplifiedImageClassifier, ids as paths, --data"

# --- 3. --import ------------------------------------------------------------------
kit=$work/imp_int
make_kit "$kit" int
run_ok imp_int --kit "$kit" --data "$kit" --import
cat > "$work/want.ini" <<'EOF'
# written by ramp kit import from problem.py (rerun it, with --force, after changing problem.py)
[problem]
title = Shapes classification (test kit)
n_classes = 3
workflow = image_classifier

[scores]
acc = accuracy precision=3
nll = nll precision=4
f1_70 = f1_above precision=3 threshold=0.7
bal_acc = balanced_accuracy precision=3
recall = macro_recall precision=3
err = error precision=2

[cv]
method = stratified_shuffle_split
n_splits = 3
test_size = 0.25
random_state = 42

[workflow]
chunk_size = 64
n_jobs = 2
test_batch_size = 16
EOF
diff "$work/want.ini" "$kit/problem.ini" || fail "import: problem.ini"
[ "$(ls "$kit/data")" = "$(printf 'imgs\ntest.csv\ntrain.csv')" ] || fail "import: wrote into data/: $(ls "$kit/data")"
parsed_has "$kit" "cv stratified_shuffle_split" "n_splits 3" "test_size 0.25" "random_state 42" \
    "data images None" "data train None" "class 1 1"
cp "$kit/problem.ini" "$work/before.ini"
"$PY" "$reader" --kit "$kit" --import > /dev/null 2> "$work/imp.err"; rc=$?
[ $rc = 1 ] || fail "import over problem.ini: exit $rc, expected 1"
grep -qxF "ramp_problem.py: $kit/problem.ini: exists (--force replaces it)" "$work/imp.err" \
    || { cat "$work/imp.err"; fail "import over problem.ini: message"; }
cmp "$work/before.ini" "$kit/problem.ini" || fail "import without --force changed problem.ini"
# a class_codes.csv in rampwf's shape (class,taxa_name) is kept; a wrong one is not
printf 'class,taxa_name\n0,"Square, blue"\n1,Circle\n2,Triangle\n' > "$kit/data/class_codes.csv"
run_ok imp_codes --kit "$kit" --import --force
grep -q '^\[data\]' "$kit/problem.ini" && fail "import: [data] beside a fitting class_codes.csv"
parsed_has "$kit" "class 0 Square, blue"
printf 'class,name\n0,a\n1,b\n' > "$kit/data/class_codes.csv"
run_ok imp_codes2 --kit "$kit" --import --force
printf '[data]\nimages = data/imgs\ntrain = data/train.csv\ntest = data/test.csv\nclass_codes = data/ramp_class_codes.csv\n' > "$work/want_data"
sed -n '/^\[data\]/,$p' "$kit/problem.ini" | diff "$work/want_data" - || fail "import: [data] for a wrong class_codes.csv"
printf 'class,name\n0,0\n1,1\n2,2\n' | cmp - "$kit/data/ramp_class_codes.csv" || fail "import: ramp_class_codes.csv"
parsed_has "$kit" "data class_codes $kit/data/ramp_class_codes.csv" "class 1 1"
echo "ok: --import, default layout: [cv] method lines, no [data]; --force; class codes"

# ShuffleSplit with a count; StratifiedShuffleSplit without a seed; a list of folds
kit=$work/imp_ss
make_kit "$kit" int
subst "$kit/problem.py" "StratifiedShuffleSplit(n_splits=3, test_size=0.25, random_state=42)" \
    "ShuffleSplit(n_splits=2, test_size=10, random_state=3)"
subst "$kit/problem.py" "import StratifiedShuffleSplit" "import ShuffleSplit"
run_ok imp_ss --kit "$kit" --import
sed -n '/^\[cv\]/,/^$/p' "$kit/problem.ini" | diff <(printf '[cv]\nmethod = shuffle_split\nn_splits = 2\ntest_size = 10\nrandom_state = 3\n\n') - \
    || fail "import: ShuffleSplit"
parsed_has "$kit" "cv shuffle_split" "test_size 10.0" "random_state 3"
for variant in none list; do
    kit=$work/imp_$variant
    make_kit "$kit" int
    if [ $variant = none ]; then
        subst "$kit/problem.py" "random_state=42)" "random_state=None)"
    else
        subst "$kit/problem.py" "return cv.split(X, y)" "return list(cv.split(X, y))"
    fi
    run_ok imp_$variant --kit "$kit" --import
    sed -n '/^\[cv\]/,/^$/p' "$kit/problem.ini" | diff <(printf '[cv]\nfolds = data/folds.csv\n\n') - \
        || fail "import ($variant): folds file expected"
    [ "$(grep -c ',valid,' "$kit/data/folds.csv")" = 45 ] || fail "import ($variant): data/folds.csv"
    parsed_has "$kit" "cv folds" "folds $kit/data/folds.csv"
done
sss_folds "$kit" 3 0.25 42 | cmp - "$kit/data/folds.csv" || fail "import (list): folds"
echo "ok: --import: ShuffleSplit; no seed or no generator: data/folds.csv"

# string labels: [data] with ramp_*.csv; stratified folds as a file unless the
# labels' sorted order is their index order
kit=$work/imp_str
make_kit "$kit" str
run_ok imp_str --kit "$kit" --import
printf '[data]\nimages = data/imgs\ntrain = data/ramp_train.csv\ntest = data/ramp_test.csv\nclass_codes = data/ramp_class_codes.csv\n' > "$work/want_data"
sed -n '/^\[data\]/,$p' "$kit/problem.ini" | diff "$work/want_data" - || fail "import (str): [data]"
cmp "$work/out_str/train.csv" "$kit/data/ramp_train.csv" || fail "import (str): ramp_train.csv"
cmp "$work/out_str/test.csv" "$kit/data/ramp_test.csv" || fail "import (str): ramp_test.csv"
grep -qxF "folds = data/folds.csv" "$kit/problem.ini" || fail "import (str): unsorted labels need a folds file"
parsed_has "$kit" "class 1 circle" "data train $kit/data/ramp_train.csv"
kit=$work/imp_sorted
make_kit "$kit" str
subst "$kit/problem.py" "['square', 'circle', 'triangle']  # LABELS" "['circle', 'square', 'triangle']  # LABELS"
run_ok imp_sorted --kit "$kit" --import
grep -qxF "method = stratified_shuffle_split" "$kit/problem.ini" || fail "import (sorted str): method expected"
echo "ok: --import: string labels ([data], ramp_*.csv; folds file unless sorted)"

# --- 4. what a kit can get wrong --------------------------------------------------------
bad() { # bad NAME 'first line of stderr' [ENV=VALUE...]: exit 2, that line, nothing on stdout
    badp "$@" && [ "$(head -1 "$work/$1.stderr")" = "$2" ] || fail "$1: the line is longer"
}
badp() { # badp NAME 'start of the first line of stderr' [ENV=VALUE...]: as bad, a prefix
    local name=$1 want=$2; shift 2
    env "$@" "$PY" "$reader" --kit "$work/$name" --out "$work/out_$name" \
        > "$work/$name.stdout" 2> "$work/$name.stderr"; local rc=$?
    [ $rc = 2 ] || { cat "$work/$name.stderr"; fail "$name: exit $rc, expected 2"; }
    [ -s "$work/$name.stdout" ] && fail "$name: printed on stdout"
    local got; got=$(head -1 "$work/$name.stderr")
    [ "${got:0:${#want}}" = "$want" ] || fail "$name: got
  $got
expected
  $want"
    echo "ok: $name"
    return 0
}
bad_kit() { # bad_kit NAME [int|str]: a fresh kit to break
    make_kit "$work/$1" "${2:-int}"
}
K() { echo "$work/$1/problem.py"; }

mkdir -p "$work/no_problem"
bad no_problem "$(K no_problem): no such file (a RAMP kit's problem.py)"

bad_kit syntax; printf '\ndef broken(:\n    pass\n' >> "$(K syntax)"
n=$(grep -n 'def broken' "$(K syntax)" | cut -d: -f1)
badp syntax "$(K syntax):$n: syntax error: "

bad_kit raises; subst "$(K raises)" "problem_title = " "raise ValueError('no data here')
problem_title = "
bad raises "$(K raises): importing it raised ValueError: no data here"
sed -n 2p "$work/raises.stderr" | grep -qx "Traceback (most recent call last):" || fail "raises: no traceback"
grep -q "problem.py\", line 10" "$work/raises.stderr" || fail "raises: the traceback does not show problem.py"

bad_kit no_cv; subst "$(K no_cv)" "def get_cv(" "def get_folds("
bad no_cv "$(K no_cv): defines no 'get_cv' (a RAMP problem.py defines problem_title, Predictions, workflow, score_types, get_train_data, get_test_data and get_cv)"

bad_kit wf; subst "$(K wf)" "rw.workflows.ImageClassifier(  # WORKFLOW" "rw.workflows.Classifier(  # WORKFLOW"
bad wf "$(K wf): workflow is rampwf.workflows.Classifier: ramp runs rampwf.workflows.ImageClassifier and SimplifiedImageClassifier only"

bad_kit wf_names; subst "$(K wf_names)" "    n_classes=len(_prediction_label_names),
)" "    n_classes=len(_prediction_label_names),
    workflow_element_names=['prep', 'clf'],
)"
bad wf_names "$(K wf_names): workflow_element_names = ['prep', 'clf']: ramp's fold reads the submission files image_preprocessor.py and batch_classifier.py (rename the files, not the elements)"

bad_kit n_classes; subst "$(K n_classes)" "    n_classes=len(_prediction_label_names)," "    n_classes=4,"
bad n_classes "$(K n_classes): workflow.n_classes = 4 but Predictions has 3 label_names"

supported="Accuracy, ClassificationError, NegativeLogLikelihood, F1Above, BalancedAccuracy, MacroAveragedRecall, BrierScore, ROCAUC"
bad_kit rmse; subst "$(K rmse)" "rw.score_types.ClassificationError(name='err', precision=2)," "rw.score_types.RMSE(name='rmse', precision=2),"
bad rmse "$(K rmse): score_types[5] is rampwf.score_types.RMSE (a regression score): ramp's C scorer computes rampwf's $supported"

bad_kit soft; subst "$(K soft)" "rw.score_types.ClassificationError(name='err', precision=2)," "rw.score_types.SoftAccuracy(score_matrix=__import__('numpy').eye(3), name='soft'),"
bad soft "$(K soft): score_types[5] is SoftAccuracy, whose score matrix ramp's problem.ini cannot hold: ramp's C scorer computes rampwf's $supported"

bad_kit score_name; subst "$(K score_name)" "ClassificationError(name='err', precision=2)" "ClassificationError(precision=2)"
bad score_name "$(K score_name): score_types[5] (ClassificationError) is named 'classification error': ramp's problem.ini names a score with letters, digits, '_', '-', '.', '(' and ')' only (at most 63): pass name='classification_error'"

bad_kit score_dup; subst "$(K score_dup)" "ClassificationError(name='err', precision=2)" "ClassificationError(name='acc')"
bad score_dup "$(K score_dup): score_types[5] (ClassificationError) is named 'acc' like score_types[0]: score names must differ"

bad_kit unadjusted; subst "$(K unadjusted)" "BalancedAccuracy(name='bal_acc', precision=3)" "BalancedAccuracy(name='bal_acc', adjusted=False)"
bad unadjusted "$(K unadjusted): score_types[3] (BalancedAccuracy 'bal_acc'): adjusted=False: ramp's balanced_accuracy is the adjusted one (rampwf's default); the plain mean recall has no ramp kind"

bad_kit regression; subst "$(K regression)" "rw.prediction_types.make_multiclass(" "rw.prediction_types.make_regression("
bad regression "$(K regression): Predictions comes from rampwf.prediction_types.make_regression: ramp runs classification kits (make_multiclass(label_names=...))"

bad_kit label; sed -i '7s/,[0-9]$/,7/' "$work/label/data/train.csv"
bad label "$(K label): get_train_data: sample 5 (id 'train_005.png'): label 7 is not one of Predictions.label_names [0, 1, 2]"

bad_kit label_str str; sed -i '4s/,[a-z]*$/,hexagon/' "$work/label_str/data/test.csv"
bad label_str "$(K label_str): get_test_data: sample 2 (id 'test_002.png'): label 'hexagon' is not one of Predictions.label_names ['square', 'circle', 'triangle']"

bad_kit cv_index; subst "$(K cv_index)" "return cv.split(X, y)" "return [(list(range(50)), [3, 60])]"
bad cv_index "$(K cv_index): get_cv: fold 0: valid index 60 is outside [0, 60) (the training samples)"

bad_kit cv_float; subst "$(K cv_float)" "return cv.split(X, y)" "return [(__import__('numpy').arange(50.0), [3])]"
bad cv_float "$(K cv_float): get_cv: fold 0: train indices are float64, not integers"

bad_kit cv_raises; subst "$(K cv_raises)" "test_size=0.25," "test_size=1.5,"
badp cv_raises "$(K cv_raises): iterating get_cv's folds raised ValueError: test_size=1.5 "

bad_kit folders; subst "$(K folders)" "folder = os.path.join(path, 'data', 'imgs')" "folder = os.path.join(path, 'data', 'imgs' if f_name == 'train.csv' else 'imgs_test')"
bad folders "$(K folders): get_train_data's images are in $work/folders/data/imgs but get_test_data's in $work/folders/data/imgs_test: ramp reads both from one folder"

bad_kit no_data; rm "$work/no_data/data/train.csv"
badp no_data "$(K no_data): get_train_data(path='$work/no_data') raised FileNotFoundError: "

bad_kit rampwf_name; subst "$(K rampwf_name)" "import rampwf as rw" "import rampwf as rw
from rampwf.utils import assert_submission"
badp rampwf_name "$(K rampwf_name): importing it: cannot import name 'assert_submission' from 'rampwf.utils'"
grep -qF "ramp's rampwf is rampwf's image classification part only" "$work/rampwf_name.stderr" || fail "rampwf_name: message"

# a Python without pandas, then without scikit-learn (shadowed by a module that fails to import)
mkdir -p "$work/fake/pandas" "$work/fake2/sklearn"
echo "raise ModuleNotFoundError(\"No module named 'pandas'\", name='pandas')" > "$work/fake/pandas/__init__.py"
echo "raise ModuleNotFoundError(\"No module named 'sklearn'\", name='sklearn')" > "$work/fake2/sklearn/__init__.py"
py_exe=$("$PY" -c 'import sys; print(sys.executable)')
py_ver=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
bad_kit no_pandas
bad no_pandas "$(K no_pandas): importing it needs the Python module 'pandas', which $py_exe (Python $py_ver) cannot import: install it (pip install pandas; Debian: apt install python3-pandas)" PYTHONPATH="$work/fake"
bad_kit no_sklearn
bad no_sklearn "$(K no_sklearn): importing it needs the Python module 'sklearn', which $py_exe (Python $py_ver) cannot import: install it (pip install scikit-learn; Debian: apt install python3-sklearn)" PYTHONPATH="$work/fake2"

# the command line
"$PY" "$reader" --kit "$work/kit_int" > /dev/null 2> "$work/usage.err"; rc=$?
[ $rc = 2 ] && grep -q -- "--out is required" "$work/usage.err" || fail "usage: exit $rc"
if [ $have_parser = 0 ]; then
    echo "SKIPPED: ramp's parser did not read back the problem.ini files (see above);" \
         "every check that ran passed"
    exit 77
fi
echo "rampwf and ramp_problem.py tests passed"
