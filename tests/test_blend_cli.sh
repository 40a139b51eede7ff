#!/usr/bin/env bash
# test_blend_cli.sh — `ramp blend` end to end: three submissions (the
# class-frequency fixture, a pixel-mean centroid classifier written here, and
# the starting kit's CNN) run with `ramp test --save-output` on a small
# Fashion-MNIST kit with two folds, then blended. Checks the JSON against an
# independent numpy recomputation of the greedy blend from the same .npy files
# (tests/gen_blend_fixtures.py's reference), the contributivities, the
# "greedy never worsens" property, the text output, both folder layouts, and
# the errors: a missing fold file, unequal folds, mismatched validation rows.
# usage: bash test_blend_cli.sh RAMP_BINARY SOURCE_DIR WORK_DIR
set -uo pipefail
ramp=$1 src=$2 work=$3
PY=/usr/bin/python3
rm -rf "$work"; mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }

"$ramp" data fashion-mnist --out "$work/data" --limit-train 300 --limit-test 100 >/dev/null \
    || fail "cannot build the data"
data=$work/data/data
kit=$work/kit
mkdir -p "$kit/submissions"
sed 's/^n_splits *=.*/n_splits = 2/' "$src/kits/fashion_mnist/problem.ini" > "$kit/problem.ini"
grep -q "^acc = accuracy" "$kit/problem.ini" || fail "the official score is no longer accuracy"

fx=$src/tests/fixtures/submissions
mkdir -p "$kit/submissions/freq" "$kit/submissions/centroid" "$kit/submissions/starting_kit"
cp "$fx/image_preprocessor.c" "$fx/batch_classifier.c" "$kit/submissions/freq/"
: > "$kit/submissions/freq/build.flags"
cp "$src/kits/fashion_mnist/submissions/starting_kit/image_preprocessor.c" \
   "$src/kits/fashion_mnist/submissions/starting_kit/batch_classifier.c" "$kit/submissions/starting_kit/"
cp "$fx/image_preprocessor.c" "$kit/submissions/centroid/"
# a weak classifier whose rows differ: softmax of −|mean pixel − class mean| / 0.02
cat > "$kit/submissions/centroid/batch_classifier.c" <<'EOF'
#include <math.h>
#include <stdlib.h>
#include <ramp/classifier.h>

typedef struct model { int c; size_t d; double mu[64]; } model;

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
    double cnt[64] = {0};
    ramp_status st = ramp_get_train_valid_generators(gb, 32, 0.2, &train, &valid, &nt, &nv);
    if (st) return st;
    for (size_t s = 0; s < ramp_gen_steps_per_epoch(train); s++) {
        ramp_batch b;
        if ((st = ramp_gen_next(train, &b))) return st;
        for (size_t i = 0; i < b.n; i++) {
            m->mu[b.y[i]] += mean_of(b.X + i * m->d, m->d);
            cnt[b.y[i]] += 1;
        }
    }
    for (int k = 0; k < m->c; k++) m->mu[k] = cnt[k] ? m->mu[k] / cnt[k] : 0.5;
    return RAMP_OK;
}

ramp_status batch_classifier_predict_proba(void *self, const float *X, size_t n, float *proba)
{
    model *m = self;
    for (size_t i = 0; i < n; i++) {
        double x = mean_of(X + i * m->d, m->d), z = 0, e[64];
        for (int k = 0; k < m->c; k++) z += e[k] = exp(-fabs(x - m->mu[k]) / 0.02);
        for (int k = 0; k < m->c; k++) proba[i * (size_t)m->c + (size_t)k] = (float)(e[k] / z);
    }
    return RAMP_OK;
}

void batch_classifier_free(void *self) { free(self); }
EOF

"$ramp" test --kit "$kit" --data "$data" --submission ALL --save-output --quick-test \
    > "$work/test.out" 2>&1 || { cat "$work/test.out"; fail "ramp test --save-output"; }
for s in freq centroid starting_kit; do
    for f in 0 1; do
        [ -f "$kit/submissions/$s/training_output/fold_$f/y_pred_valid.npy" ] \
            || fail "$s fold $f: no saved predictions"
    done
done

"$ramp" blend --pred-dir "$kit/submissions" --kit "$kit" --data "$data" --json \
    > "$work/blend.json" 2> "$work/blend.err" || { cat "$work/blend.err"; fail "ramp blend --json"; }
cat "$work/blend.json"

# the numpy reference reads the same files and the kit's CSVs
$PY - "$src" "$kit/submissions" "$data" "$work/blend.json" <<'PY' || fail "blend differs from the numpy reference"
import csv, json, math, sys
import numpy as np
src, subdir, data, out = sys.argv[1:5]
sys.path.insert(0, src + "/tests")
import gen_blend_fixtures as ref

res = json.load(open(out))
names = sorted(["centroid", "freq", "starting_kit"])  # ramp blend's order
def labels(path):
    return np.array([int(r["class"]) for r in csv.DictReader(open(path))], dtype=np.int64)
y_train, y_test = labels(data + "/train.csv"), labels(data + "/test.csv")
def load(name, f, what):
    return np.load(f"{subdir}/{name}/training_output/fold_{f}/{what}.npy")
n_folds = 2
idx = [load(names[0], f, "valid_idx") for f in range(n_folds)]
valid = [[load(n, f, "y_pred_valid") for n in names] for f in range(n_folds)]
test = [[load(n, f, "y_pred_test") for n in names] for f in range(n_folds)]
ref.N_SUB, ref.N_FOLDS, ref.C, ref.N_TRAIN = len(names), n_folds, 10, len(y_train)
r = ref.blend("accuracy", 0, 80, 0.0, valid, test, idx, y_train, y_test)

def close(a, b, what):
    if not abs(a - b) <= 1e-12:
        sys.exit(f"{what}: ramp {a!r}, numpy {b!r}")
close(res["combined"]["valid"], r["combined_valid"], "combined valid")
close(res["combined"]["test"], r["combined_test"], "combined test")
close(res["foldwise_best"]["valid"], r["foldwise_best_valid"], "foldwise best valid")
close(res["foldwise_best"]["test"], r["foldwise_best_test"], "foldwise best test")
for f, fold in enumerate(res["folds"]):
    close(fold["valid"], r["fold_valid"][f], f"fold {f} valid")
    close(fold["best_valid"], r["fold_best_valid"][f], f"fold {f} best valid")
    assert fold["best"] == names[r["fold_best"][f]], (fold["best"], r["fold_best"][f])
    assert fold["selected"] == [names[i] for i in r["selected"][f]], (fold["selected"], r["selected"][f])
    # greedy forward selection never ends below its starting point
    assert fold["valid"] >= fold["best_valid"], fold
got = {c["submission"]: c for c in res["contributivity"]}
assert sorted(got) == names, got
for i, n in enumerate(names):
    close(got[n]["contributivity"], r["contributivity"][i], f"contributivity of {n}")
    assert got[n]["percent"] == int(math.floor(100 * r["contributivity"][i] + 0.5)), got[n]
pct = [c["percent"] for c in res["contributivity"]]
assert pct == sorted(pct, reverse=True), "contributivity not sorted descending"
assert abs(sum(pct) - 100) <= len(pct), f"contributivities sum to {sum(pct)}"
assert abs(sum(c["contributivity"] for c in res["contributivity"]) - 1) < 1e-12
# the three submissions really differ: not every fold picked the same single one
assert len({tuple(v[0][:3].ravel()) for v in valid[0]}) == 3
print("numpy reference agrees:", res["combined"], [c["percent"] for c in res["contributivity"]])
PY

# text output: the same numbers, rounded
"$ramp" blend --pred-dir "$kit/submissions" --kit "$kit" --data "$data" > "$work/blend.txt" 2>&1 \
    || { cat "$work/blend.txt"; fail "ramp blend (text)"; }
cat "$work/blend.txt"
for pat in "Blended 3 submissions over 2 folds on acc" "^combined " "^foldwise best " \
           "^submission  *contributivity" "^starting_kit " "^freq " "^centroid "; do
    grep -q -- "$pat" "$work/blend.txt" || fail "no '$pat' in the text output"
done
cv=$($PY -c "import json,sys; print('%.4f' % json.load(open(sys.argv[1]))['combined']['valid'])" "$work/blend.json")
grep -q "^combined  *$cv " "$work/blend.txt" || fail "text combined valid is not $cv"

# --max-n-ensemble 1: each fold's ensemble is its best single submission
"$ramp" blend --pred-dir "$kit/submissions" --kit "$kit" --data "$data" --json --max-n-ensemble 1 \
    > "$work/one.json" || fail "--max-n-ensemble 1"
$PY - "$work/one.json" <<'PY' || fail "--max-n-ensemble 1 is not the fold-wise best"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["combined"] == r["foldwise_best"], r
assert all(len(f["selected"]) == 1 and f["selected"][0] == f["best"] for f in r["folds"]), r
assert sum(c["percent"] for c in r["contributivity"]) == 100, r
PY

# the other layout: DIR/NAME/fold_K
mkdir -p "$work/flat"
for s in freq centroid starting_kit; do cp -r "$kit/submissions/$s/training_output" "$work/flat/$s"; done
"$ramp" blend --pred-dir "$work/flat" --kit "$kit" --data "$data" --json > "$work/flat.json" \
    || fail "DIR/NAME/fold_K layout"
cmp -s "$work/flat.json" "$work/blend.json" || fail "the two layouts give different results"

# errors: a missing fold file names the file; exit 1
rm "$work/flat/centroid/fold_1/y_pred_test.npy"
"$ramp" blend --pred-dir "$work/flat" --kit "$kit" --data "$data" > /dev/null 2> "$work/err1.txt"
rc=$?
[ $rc -eq 1 ] || fail "missing file: exit $rc, expected 1"
grep -q "flat/centroid/fold_1/y_pred_test.npy: missing" "$work/err1.txt" || { cat "$work/err1.txt"; fail "missing file not named"; }
cp "$kit/submissions/centroid/training_output/fold_1/y_pred_test.npy" "$work/flat/centroid/fold_1/"

# a submission with an extra fold
cp -r "$work/flat/freq/fold_1" "$work/flat/freq/fold_2"
"$ramp" blend --pred-dir "$work/flat" --kit "$kit" --data "$data" > /dev/null 2> "$work/err2.txt"
[ $? -eq 1 ] || fail "extra fold accepted"
grep -q "flat/freq/fold_2: freq has more folds than centroid" "$work/err2.txt" || { cat "$work/err2.txt"; fail "extra fold message"; }
rm -r "$work/flat/freq/fold_2"

# validation rows that differ between submissions
cp "$work/flat/freq/fold_1/valid_idx.npy" "$work/flat/freq/fold_0/valid_idx.npy"
"$ramp" blend --pred-dir "$work/flat" --kit "$kit" --data "$data" > /dev/null 2> "$work/err3.txt"
[ $? -eq 1 ] || fail "different validation rows accepted"
grep -q "flat/freq/fold_0/valid_idx.npy differs from centroid's" "$work/err3.txt" || { cat "$work/err3.txt"; fail "valid_idx message"; }
cp "$work/flat/centroid/fold_0/valid_idx.npy" "$work/flat/freq/fold_0/valid_idx.npy"

# a prediction file of the wrong shape
cp "$work/flat/freq/fold_0/y_pred_test.npy" "$work/flat/freq/fold_0/y_pred_valid.npy"
"$ramp" blend --pred-dir "$work/flat" --kit "$kit" --data "$data" > /dev/null 2> "$work/err4.txt"
[ $? -eq 1 ] || fail "wrong shape accepted"
grep -q "flat/freq/fold_0/y_pred_valid.npy: shape 100 × 10, expected" "$work/err4.txt" || { cat "$work/err4.txt"; fail "shape message"; }

# a --quick-test run on a test set larger than its subset: the saved test
# predictions hold NaN rows outside the subset, and the blend uses the rest
"$ramp" data fashion-mnist --out "$work/big" --limit-train 300 --limit-test 400 > /dev/null \
    || fail "cannot build the 400-row test set"
qk=$work/quick
mkdir -p "$qk/submissions"
cp "$kit/problem.ini" "$qk/"
cp -r "$kit/submissions/freq" "$kit/submissions/starting_kit" "$qk/submissions/"
rm -rf "$qk"/submissions/*/training_output
"$ramp" test --kit "$qk" --data "$work/big/data" --submission ALL --quick-test --save-output \
    > "$work/quick.out" 2>&1 || { cat "$work/quick.out"; fail "quick-test run"; }
"$ramp" blend --pred-dir "$qk/submissions" --kit "$qk" --data "$work/big/data" --json \
    > "$work/quick.json" 2> "$work/quick.err" || { cat "$work/quick.err"; fail "blend of a quick-test run"; }
grep -q '"combined"' "$work/quick.json" || fail "quick-test blend: no combined score"

# usage errors exit 2; --help exits 0
"$ramp" blend --kit "$kit" > /dev/null 2>&1; [ $? -eq 2 ] || fail "no --pred-dir: expected exit 2"
"$ramp" blend --pred-dir "$work/flat" --max-n-ensemble 0 > /dev/null 2>&1; [ $? -eq 2 ] || fail "--max-n-ensemble 0 accepted"
"$ramp" blend --pred-dir "$work/flat" --min-improvement -1 > /dev/null 2>&1; [ $? -eq 2 ] || fail "negative --min-improvement accepted"
grep -q "usage: ramp blend" <<< "$("$ramp" blend --help)" || fail "--help"
grep -q "^  blend " <<< "$("$ramp" --help)" || fail "blend missing from 'ramp --help'"
echo "OK"
