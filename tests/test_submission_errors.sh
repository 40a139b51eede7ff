#!/usr/bin/env bash
# Submissions that fail in every way the workflow must survive: each gives a
# clear error for its fold and step, exit code 1, and a good submission run
# alongside is still scored.
set -uo pipefail
ramp=$1 src=$2 work=$3
rm -rf "$work"; mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }

"$ramp" data fashion-mnist --out "$work/data" --limit-train 300 --limit-test 100 >/dev/null \
    || fail "cannot build the data"
kit=$work/kit
mkdir -p "$kit/submissions"
# two folds keep the test short
sed 's/^n_splits *=.*/n_splits = 2/' "$src/kits/fashion_mnist/problem.ini" > "$kit/problem.ini"
variant() { # variant NAME FLAGS
    local d=$kit/submissions/$1
    mkdir -p "$d"
    cp "$src/tests/fixtures/submissions/image_preprocessor.c" "$src/tests/fixtures/submissions/batch_classifier.c" "$d/"
    echo "$2" > "$d/build.flags"
}
variant good ""
variant compile_error -DBUG_COMPILE
variant segfault -DBUG_SEGFAULT
variant hang -DBUG_HANG
variant early_exit -DBUG_EXIT
variant close_and_hang -DBUG_CLOSE_AND_HANG
variant bad_status -DBUG_STATUS
variant nan -DBUG_NAN
variant wrong_shape -DBUG_SHAPE
variant bad_sum -DBUG_SUM
variant scaled -DSCALED
variant missing_symbol -DBUG_NOFREE
variant uses_m_pi -DUSE_M_PI
# a preprocessor whose transform gives another shape for the samples whose id
# ends in 7 (sample 0 sets the shape): the fold's error names the sample
mkdir -p "$kit/submissions/bad_sample_shape"
cp "$src/tests/fixtures/submissions/batch_classifier.c" "$kit/submissions/bad_sample_shape/"
cat > "$kit/submissions/bad_sample_shape/image_preprocessor.c" <<'C'
#include <string.h>
#include <ramp/preprocess.h>

ramp_status transform(ramp_pp *pp, const ramp_image *x, ramp_tensor *out)
{
    const char *name = ramp_img_name(x);
    const ramp_image *g = ramp_img_gray(pp, x);
    if (name[0] && name[strlen(name) - 1] == '7') g = ramp_img_crop(pp, g, 0, 0, 28, 27);
    return ramp_img_to_tensor(pp, g, out, RAMP_CHW | RAMP_SCALE01, NULL, NULL);
}
C

expect() { # expect NAME PATTERN...: ramp test exits 1 and the output has each pattern
    local name=$1; shift
    "$ramp" test --kit "$kit" --data "$work/data/data" --submission "$name" --timeout 5 \
        > "$work/$name.out" 2>&1
    local rc=$?
    [ $rc -eq 1 ] || { cat "$work/$name.out"; fail "$name: exit code $rc, expected 1"; }
    for pat in "$@"; do
        grep -q -- "$pat" "$work/$name.out" || { cat "$work/$name.out"; fail "$name: no '$pat' in the output"; }
    done
    echo "ok: $name"
}
expect compile_error "training_error" "does not compile" "error:"
expect segfault "training_error" "crashed with signal 11"
expect hang "training_error" "timed out after 5 s"
expect early_exit "training_error" "exited unexpectedly with status 3"
expect close_and_hang "training_error" "timed out after 5 s"
expect bad_status "training_error" "batch_classifier_fit returned EINVAL"
expect nan "training_error" "is NaN"
expect wrong_shape "wrote past the end" 
expect bad_sum "training_error" "row 0 sums to 0 (a row needs a positive sum)"
# rows that do not sum to 1 are renormalised: the same scores as the plain submission
"$ramp" test --kit "$kit" --data "$work/data/data" --submission scaled --timeout 60 \
    --json "$work/scaled.json" > "$work/scaled.out" 2>&1 || { cat "$work/scaled.out"; fail "scaled: non-zero exit"; }
echo "ok: scaled"
expect missing_symbol "function 'batch_classifier_free' not found"
expect bad_sample_shape "training_error" "batch_classifier_fit returned ESHAPE" \
    "sample 'train_[0-9]*7': transform gave shape 1×27×28, expected 1×28×28"
# M_PI (POSIX, not ISO C11) compiles: C submissions build as gnu11
"$ramp" test --kit "$kit" --data "$work/data/data" --submission uses_m_pi --quick-test \
    > "$work/uses_m_pi.out" 2>&1 || { cat "$work/uses_m_pi.out"; fail "uses_m_pi: non-zero exit"; }
echo "ok: uses_m_pi"

# a good submission beside a crashing one: scored, and the run still exits 1
"$ramp" test --kit "$kit" --data "$work/data/data" --submission ALL --timeout 5 \
    --json "$work/all.json" > "$work/all.out" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "ALL: exit code $rc, expected 1"
grep -q "Bagged scores" "$work/all.out" || fail "ALL: the good submission was not scored"
grep -q '"submission": "good", "status": "ok"' "$work/all.json" || fail "ALL: json lacks the good submission"
grep -q '"submission": "segfault", "status": "error"' "$work/all.json" || fail "ALL: json lacks the failed one"
# every submission has its entry, one that failed to compile too, and the file is valid JSON
/usr/bin/python3 - "$work/all.json" <<'PY' || fail "ALL: the json is not valid or incomplete"
import json, sys
d = json.load(open(sys.argv[1]))
subs = {s["submission"]: s for s in d["submissions"]}
assert len(subs) == 14, sorted(subs)
assert "does not compile" in subs["compile_error"]["error"], subs["compile_error"]
assert subs["good"]["status"] == "ok" and "bagged" in subs["good"]
PY

# a C++ classifier (compiled with c++ against the same headers)
mkdir -p "$kit/submissions/good_cpp"
cp "$src/tests/fixtures/submissions/image_preprocessor.c" "$src/tests/fixtures/submissions/batch_classifier.cpp" \
    "$kit/submissions/good_cpp/"
"$ramp" test --kit "$kit" --data "$work/data/data" --submission good_cpp > "$work/cpp.out" 2>&1 \
    || { cat "$work/cpp.out"; fail "good_cpp: non-zero exit"; }
grep -q "Bagged scores" "$work/cpp.out" || fail "good_cpp: not scored"
echo "ok: good_cpp"

# progress: an engine classifier that wires no callback; without a terminal,
# a line per epoch with the fold number and the validation figures, and
# --json's per-epoch history
mkdir -p "$kit/submissions/engine"
cp "$src/tests/fixtures/submissions/image_preprocessor.c" "$kit/submissions/engine/"
cp "$src/tests/fixtures/submissions/engine_classifier.c" "$kit/submissions/engine/batch_classifier.c"
"$ramp" test --kit "$kit" --data "$work/data/data" --submission engine --json "$work/engine.json" \
    > "$work/engine.out" 2> "$work/engine.err" || { cat "$work/engine.out" "$work/engine.err"; fail "engine: non-zero exit"; }
for f in 1 2; do
    for e in 1 2; do
        grep -Eq "^  fold $f/2 epoch $e/2 12/12 \[#{20}\] [0-9.:]+s? [0-9.]+(s|ms|us)/step [0-9]+ img/s loss [0-9.]+ acc [0-9.]+ val_loss [0-9.]+ val_acc [0-9.]+ \| fold ETA [0-9.:]+s? run ETA" \
            "$work/engine.err" || { cat "$work/engine.err"; fail "engine: no line for fold $f epoch $e"; }
    done
done
grep -q "img/s" "$work/engine.err" && ! grep -q " 0 img/s" "$work/engine.err" || fail "engine: 0 img/s"
/usr/bin/python3 - "$work/engine.json" <<'PY' || fail "engine: --json lacks the per-epoch history"
import json, sys
folds = json.load(open(sys.argv[1]))["submissions"][0]["folds"]
assert len(folds) == 2, folds
for f in folds:
    h = f["history"]
    assert [e["epoch"] for e in h] == [1, 2], h
    for e in h:
        assert 0 < e["val_loss"] and 0 <= e["val_acc"] <= 1 and 0 <= e["acc"] <= 1, e
        assert e["images"] == 192, e  # 240 fold-train rows, 20 % held out for validation
    # the epochs are the fit's time: within the training step's
    assert 0 < sum(e["seconds"] for e in h) <= f["time"]["train"], (h, f["time"])
PY
echo "ok: engine progress"

# the good one alone: exit 0, and --save-output files that ramp score reads back
"$ramp" test --kit "$kit" --data "$work/data/data" --submission good --save-output > "$work/good.out" 2>&1 \
    || { cat "$work/good.out"; fail "good: non-zero exit"; }
out=$kit/submissions/good/training_output
for f in fold_0/y_pred_train.npy fold_0/y_pred_valid.npy fold_0/valid_idx.npy fold_0/y_pred_test.npy \
         fold_0/scores.csv fold_1/y_pred_test.npy bagged_scores.csv y_pred_test_bagged.npy; do
    [ -s "$out/$f" ] || fail "--save-output did not write $f"
done
"$ramp" score --kit "$kit" --data "$work/data/data" --split test --pred "$out/fold_0/y_pred_test.npy" --json \
    > "$work/score.json" || fail "ramp score failed"
want=$(awk -F, '$1=="test"{print $2}' "$out/fold_0/scores.csv")
got=$(sed 's/.*"acc": \([0-9.e-]*\).*/\1/' "$work/score.json")
awk -v a="$want" -v b="$got" 'BEGIN{d=a-b; if (d<0) d=-d; exit !(d<1e-12)}' \
    || fail "ramp score gives acc $got, ramp test saved $want"
# the build cache: unchanged files → no rebuild; a new or changed local file → rebuild
stamp=$kit/submissions/good/.ramp-build/batch_classifier.so.stamp
before=$(cat "$stamp")
"$ramp" test --kit "$kit" --data "$work/data/data" --submission good --quick-test > /dev/null 2>&1 || fail "good: rerun"
[ "$(cat "$stamp")" = "$before" ] || fail "rebuilt although nothing changed"
echo "#define UNUSED_HELPER 1" > "$kit/submissions/good/helpers.h"
"$ramp" test --kit "$kit" --data "$work/data/data" --submission good --quick-test > /dev/null 2>&1 || fail "good: rerun"
[ "$(cat "$stamp")" != "$before" ] || fail "a local header changed and nothing was rebuilt"
# ramp's own headers count too (RAMP_INCLUDE_DIR points at a copy of them)
rm -rf "$work/include" && cp -r "$src/include" "$work/include"
RAMP_INCLUDE_DIR=$work/include "$ramp" test --kit "$kit" --data "$work/data/data" --submission good \
    --quick-test > /dev/null 2>&1 || fail "good: rerun with a copy of the headers"
before=$(cat "$stamp")
echo "/* a new field somewhere */" >> "$work/include/ramp/nn.h"
RAMP_INCLUDE_DIR=$work/include "$ramp" test --kit "$kit" --data "$work/data/data" --submission good \
    --quick-test > /dev/null 2>&1 || fail "good: rerun after a header change"
[ "$(cat "$stamp")" != "$before" ] || fail "ramp's headers changed and nothing was rebuilt"
echo "submission error tests passed"
