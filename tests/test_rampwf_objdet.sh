#!/usr/bin/env bash
# test_rampwf_objdet.sh — RAMP kits of rampwf's ObjectDetector workflow
# (mars_craters' contract) run as published: problem.py with
# rw.workflows.ObjectDetector() and make_detection(), data as arrays,
# object_detector.py alone with fit(X, y) / predict(X).
#
#   1. ramp test on the test kit (tests/fixtures/rampwf_objdet: its data made
#      by make_data.py) gives, fold by fold and bagged, the scores rampwf's own
#      ramp-test gave (expected.json, from tests/gen_rampwf_objdet_fixtures.py):
#      'blobs' (a connected-components detector), 'checks' (asserts the
#      contract: uint8 images in order, each with its own (row, col, radius)
#      tuples; predicts each image's first circle);
#   2. `ramp kit import` writes problem.ini, images and CSVs that give the
#      same scores without problem.py;
#   3. a malformed prediction is named (image, tuple size, its batch); the
#      reader refuses float images, ragged X, y of another length, renamed
#      elements, a subclass of the workflow, map at IoU 0 and a
#      classification Predictions, naming problem.py and what is wrong;
#   4. what a reviewer found: a split without any object is scored (it
#      crashed the trusted side), confidences above 1 are rampwf's raw
#      scores, --save-output refuses a link planted in training_output/, and
#      the fold log's tail shows the submission's escape sequences as '?'.
# Skipped (77) without a python3 that has numpy and scipy.
# usage: bash test_rampwf_objdet.sh RAMP_BINARY SOURCE_DIR WORK_DIR
set -uo pipefail
ramp=$1 src=$2 work=$3
fail() { echo "FAIL: $*"; exit 1; }
unset VIRTUAL_ENV CONDA_PREFIX
export PYTHONDONTWRITEBYTECODE=1
PY=
for cand in ${RAMP_TEST_PYTHON:-} python3 /usr/bin/python3; do
    command -v "$cand" >/dev/null 2>&1 || continue
    if "$cand" -c 'import numpy, scipy' 2>/dev/null; then PY=$cand; break; fi
done
[ -n "$PY" ] || { echo "SKIP: no python3 with numpy and scipy"; exit 77; }
if [ ! -e "$(dirname "$ramp")/ramp_python.so" ]; then
    echo "SKIP: ramp_python.so was not built (python3-dev and python3-numpy are needed)"
    exit 77
fi
fix=$src/tests/fixtures/rampwf_objdet
rm -rf "$work" && mkdir -p "$work" || fail "cannot make $work"
kit=$work/kit
mkdir -p "$kit" && cp -r "$fix/problem.py" "$fix/submissions" "$kit/" || fail "copy"
"$PY" "$fix/make_data.py" "$kit" || fail "make_data.py"

# compare JSON's folds and bag with expected.json's
compare() { # JSON SUBMISSION
    "$PY" - "$1" "$fix/expected.json" "$2" <<'EOF'
import json, math, sys
got = json.load(open(sys.argv[1]))["submissions"][0]
want = json.load(open(sys.argv[2]))[sys.argv[3]]
assert got["status"] == "ok", got.get("error", got["status"])
n = 0
def same(a, b, where):
    global n
    a = float("nan") if a is None else float(a)
    b = float("nan") if b is None else float(b)
    ok = (math.isnan(a) and math.isnan(b)) or abs(a - b) <= 1e-6 * max(1.0, abs(b))
    assert ok, "%s: ramp %r, rampwf %r" % (where, a, b)
    n += 1
assert len(got["folds"]) == len(want["folds"]) == 3
for k, (g, w) in enumerate(zip(got["folds"], want["folds"])):
    for step in ("train", "valid", "test"):
        for name, v in w[step].items():
            same(g[step][name], v, "fold %d %s %s" % (k, step, name))
for step in ("valid", "test"):
    for name, v in want["bagged"][step].items():
        same(got["bagged"][step][name], v, "bagged %s %s" % (step, name))
print("ok: %s: %d scores equal rampwf's" % (sys.argv[3], n))
EOF
}

# 1. ramp test from problem.py
for sub in blobs checks; do
    "$ramp" test --kit "$kit" --submission "$sub" --json "$work/$sub.json" >"$work/$sub.out" 2>&1 \
        || { cat "$work/$sub.out"; fail "ramp test $sub"; }
    compare "$work/$sub.json" "$sub" || { cat "$work/$sub.out"; fail "$sub: scores differ from rampwf's"; }
done
# 51 circles: 3 of them centred above their image, given to fit as they are
grep -q "checks: fit got 32 images, 51 circles" "$kit/submissions/checks/.ramp-build/fold_0.log" \
    || fail "the checks submission's fit did not report (fold_0.log)"

# 2. ramp kit import: the same scores from problem.ini
imp=$work/imported
mkdir -p "$imp" && cp -r "$kit/problem.py" "$kit/data" "$imp/" && mkdir -p "$imp/submissions" \
    && cp -r "$fix/submissions/checks" "$imp/submissions/" || fail "copy for import"
"$ramp" kit import "$imp" >"$work/import.out" 2>&1 || { cat "$work/import.out"; fail "ramp kit import"; }
grep -q "^workflow = detection" "$imp/problem.ini" && grep -q "^compat = rampwf" "$imp/problem.ini" \
    && grep -q "^bagging = rampwf" "$imp/problem.ini" \
    && grep -q "^ospa = ospa minipatch=10:86:10:86 precision=3" "$imp/problem.ini" \
    || { cat "$imp/problem.ini"; fail "imported problem.ini"; }
[ "$(ls "$imp/data/ramp_imgs" | wc -l)" = 72 ] || fail "imported images: $(ls "$imp/data/ramp_imgs" | wc -l), want 72"
grep -q '^train_000002.png,,,$' "$imp/data/ramp_train.csv" || grep -q '^train_000000.png,25.0,14.0,4.0$' "$imp/data/ramp_train.csv" \
    || { head -5 "$imp/data/ramp_train.csv"; fail "imported CSV: x is the column, y the row"; }
mv "$imp/problem.py" "$imp/problem.py.off"
"$ramp" test --kit "$imp" --submission checks --json "$work/imported.json" >"$work/imported.out" 2>&1 \
    || { cat "$work/imported.out"; fail "ramp test on the imported kit"; }
compare "$work/imported.json" checks || fail "imported kit: scores differ"

# 3. errors
"$ramp" test --kit "$kit" --submission bad_output >"$work/bad.out" 2>&1 && fail "bad_output passed"
grep -q "image 2" "$work/bad.out" && grep -q "tuples of 3 values, expected 4" "$work/bad.out" \
    && grep -q "images of this batch: 'train_000000.png' (image 0)" "$work/bad.out" \
    || { cat "$work/bad.out"; fail "bad_output: the message does not name the image and the tuple"; }

refuse() { # NAME PYTHON-EDIT EXPECTED-TEXT
    local k=$work/bad_$1
    rm -rf "$k" && mkdir -p "$k" && cp -r "$kit/problem.py" "$kit/data" "$kit/submissions" "$k/" || fail copy
    "$PY" - "$k/problem.py" "$2" <<'EOF' || fail "edit $1"
import sys
p, edit = sys.argv[1], sys.argv[2]
s = open(p).read()
old, new = edit.split("=>")
assert old in s, old
open(p, "w").write(s.replace(old, new))
EOF
    "$ramp" test --kit "$k" --submission checks >"$work/bad_$1.out" 2>&1 && fail "$1: accepted"
    grep -qF "$3" "$work/bad_$1.out" || { cat "$work/bad_$1.out"; fail "$1: no '$3'"; }
}
refuse ragged "    return X, y=>    X = list(X)
    X[-1] = X[-1][:50]
    return X, y" "get_train_data: X's images differ in shape (image 0 is (96, 96), image 47 is (50, 96))"
refuse subclass "workflow = rw.workflows.ObjectDetector()=>class Mine(rw.workflows.ObjectDetector):
    pass


workflow = Mine()" "a kit's own subclass of rampwf.workflows.ObjectDetector"
refuse ap0 "DetectionAveragePrecision(name='ap')=>DetectionAveragePrecision(name='ap', iou_threshold=0)" \
    "score_types[0] (DetectionAveragePrecision 'ap'): iou_threshold = 0"
refuse float "    return X, y=>    return X.astype(np.float32), y" \
    "get_train_data: X is of type float32: ramp writes the images as 8-bit PNGs"
refuse short_y "    y[:] = per_image=>    y[:] = per_image
    y = y[1:]" "get_train_data: X holds 48 images but y 47 lists"
refuse elements "rw.workflows.ObjectDetector()=>rw.workflows.ObjectDetector(workflow_element_names=['detector'])" \
    "workflow_element_names = ['detector']"
refuse predictions "rw.prediction_types.make_detection()=>rw.prediction_types.make_multiclass(label_names=[0, 1])" \
    "workflow is rampwf.workflows.ObjectDetector but Predictions"
refuse bad_tuple "per_image[int(i)].append((float(row), float(col), float(r)))=>per_image[int(i)].append((float(row), float(col)))" \
    "get_train_data: y[0][0] is (14.0, 25.0): ramp needs (row, col, radius)"
# 4. a test split without any object: scored, nothing crashes
e=$work/empty_test
rm -rf "$e" && mkdir -p "$e" && cp -r "$kit/problem.py" "$kit/data" "$kit/submissions" "$e/" || fail copy
"$PY" - "$e/problem.py" <<'EOF' || fail "edit empty_test"
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace("    y[:] = per_image", "    y[:] = [[] for _ in per_image] if split == 'test' else per_image")
open(p, "w").write(s)
EOF
"$ramp" test --kit "$e" --submission checks --json "$work/empty.json" >"$work/empty.out" 2>&1 \
    || { cat "$work/empty.out"; fail "a test split without objects"; }
grep -q "^	test " "$work/empty.out" || { cat "$work/empty.out"; fail "empty test split: no test row"; }

# confidences above 1 (rampwf takes raw scores)
c=$kit/submissions/conf
mkdir -p "$c" && sed 's/(0.75,)/(1.5,)/' "$fix/submissions/checks/object_detector.py" > "$c/object_detector.py"
"$ramp" test --kit "$kit" --submission conf >"$work/conf.out" 2>&1 \
    || { cat "$work/conf.out"; fail "confidence 1.5 refused"; }

# a link planted in training_output/ is refused, its target untouched
l=$kit/submissions/linked
mkdir -p "$l/training_output" && cp "$fix/submissions/checks/object_detector.py" "$l/" \
    && echo precious > "$work/victim.txt" && ln -s "$work/victim.txt" "$l/training_output/bagged_scores.csv"
"$ramp" test --kit "$kit" --submission linked --save-output >"$work/linked.out" 2>&1 \
    && fail "--save-output wrote through a link"
grep -q "bagged_scores.csv is a symbolic link" "$work/linked.out" && [ "$(cat "$work/victim.txt")" = precious ] \
    || { cat "$work/linked.out"; fail "the planted link: no refusal, or its target changed"; }

# the fold log's tail: escape sequences shown as '?'
x=$kit/submissions/escapes
mkdir -p "$x" && cat > "$x/object_detector.py" <<'EOF'
import sys


class ObjectDetector:
    def fit(self, X, y):
        sys.stderr.write('\x1b]0;TITLE\x07\x1b[2JFAKE: all scores 1.000\n')
        raise RuntimeError('stop')

    def predict(self, X):
        return [[] for _ in X]
EOF
"$ramp" test --kit "$kit" --submission escapes >"$work/esc.out" 2>&1 && fail "escapes: fit raised but the run passed"
grep -q "?]0;TITLE??\[2JFAKE" "$work/esc.out" && ! grep -q "$(printf '\033')" "$work/esc.out" \
    || { od -c "$work/esc.out" | tail -20; fail "the log tail printed the escape sequences raw"; }
echo "ok: rampwf ObjectDetector kits"
