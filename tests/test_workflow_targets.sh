#!/usr/bin/env bash
# Detection and segmentation kits through `ramp test`, end to end, on small
# kits made by `ramp data objects` and `ramp data circles`: each kit's
# starting kit trains on every fold and is scored; the bag's scores equal
# `ramp score` on the saved bagged predictions; the saved files are in the
# kit's formats (the circles kit with two scores on a minipatch too, which
# both paths apply: they differ from the whole image's). Hostile submissions: predictions that are NaN, negative,
# too many or of a class out of range are that fold's error, named; a
# submission that looks for the masks or the test boxes finds nothing.
# Skipped (77) without Debian's Fashion-MNIST.
set -uo pipefail
ramp=$1 src=$2 work=$3
rm -rf "$work"; mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }
[ -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] \
    || { echo "SKIP: no dataset-fashion-mnist"; exit 77; }
"$ramp" data objects --out "$work/det" --n-train 90 --n-test 30 --seed 5 >/dev/null \
    || fail "ramp data objects"
"$ramp" data objects --out "$work/seg" --n-train 90 --n-test 30 --seed 5 --segmentation >/dev/null \
    || fail "ramp data objects --segmentation"
"$ramp" data circles --out "$work/circ" --n-train 90 --n-test 30 --seed 5 >/dev/null \
    || fail "ramp data circles"
declare -A kit_of=([det]=objects_detection [seg]=objects_segmentation [circ]=circles)

# run KIT SUB: ramp test with --save-output and --json, output in $work/KIT.SUB.out
run() {
    "$ramp" test --kit "$work/$1" --submission "$2" --save-output --json "$work/$1.$2.json" \
        > "$work/$1.$2.out" 2>&1
}

for k in det seg circ; do
    sed 's/^n_splits *=.*/n_splits = 2/' "$src/kits/${kit_of[$k]}/problem.ini" > "$work/$k/problem.ini"
    [ $k = circ ] && sed -i 's/^scp = .*/&\nospa_mp = ospa minipatch=16:112:16:112\nscp_mp = scp minipatch=20.5:100:10:90/' \
        "$work/$k/problem.ini"
    mkdir -p "$work/$k/submissions"
    cp -r "$src/kits/${kit_of[$k]}/submissions/starting_kit" "$work/$k/submissions/"
    rm -rf "$work/$k/submissions/starting_kit/.ramp-build" "$work/$k/submissions/starting_kit/training_output"
    "$ramp" data check "$work/$k" > "$work/$k.check" 2>&1 || { cat "$work/$k.check"; fail "$k: data check"; }
    run $k starting_kit || { cat "$work/$k.starting_kit.out"; fail "$k: ramp test"; }
    grep -q "^Bagged scores" "$work/$k.starting_kit.out" || fail "$k: no bagged scores"
    out=$work/$k/submissions/starting_kit/training_output
    if [ $k = seg ]; then
        pred=$out/y_pred_test_bagged
        [ "$(ls "$pred" | wc -l)" = 30 ] || fail "$k: not 30 bagged masks"
        [ -s "$out/fold_1/y_pred_test/test_00000.png" ] || fail "$k: no fold mask"
    else
        pred=$out/y_pred_test_bagged.csv
        head -1 "$pred" | grep -q '^id,class,confidence,' || fail "$k: bagged CSV header"
        [ -s "$out/fold_0/y_pred_valid.csv" ] || fail "$k: no fold valid CSV"
    fi
    # the workflow's bagged test scores are ramp score's on the saved file
    "$ramp" score --kit "$work/$k" --split test --pred "$pred" --json > "$work/$k.score.json" \
        || fail "$k: ramp score"
    python3 - "$work/$k.starting_kit.json" "$work/$k.score.json" <<'PY' || fail "$k: ramp score differs"
import json, math, sys
run = json.load(open(sys.argv[1]))["submissions"][0]["bagged"]["test"]
got = json.load(open(sys.argv[2]))
assert run.keys() == got.keys(), (run.keys(), got.keys())
for name, v in run.items():
    w = got[name]
    if v is None or w is None:
        assert v is None and w is None, (name, v, w)
    else:
        assert abs(v - w) <= 1e-6 * max(1, abs(v)), (name, v, w)
if "ospa_mp" in run:
    assert run["ospa_mp"] != run["ospa"] and run["scp_mp"] != run["scp"], run
print("ok:", ", ".join(f"{n} {v:.4g}" if v is not None else f"{n} nan" for n, v in run.items()))
PY
    echo "ok: $k starting_kit trained, scored and bagged; ramp score agrees"
done

# ---- hostile detectors and segmenters ---------------------------------------
hostile() { # KIT NAME MODEL_FILE: a submission with the kit's starting preprocessor
    local d=$work/$1/submissions/$2
    mkdir -p "$d"
    cp "$src/kits/${kit_of[$1]}/submissions/starting_kit/image_preprocessor.c" "$d/"
    cat > "$d/$3"
}
det_prologue='#include <math.h>
#include <stdio.h>
#include <ramp/detector.h>
static int maxo;
ramp_status batch_detector_new(void **self, const ramp_clf_info *info) { maxo = info->max_objects; *self = &maxo; return RAMP_OK; }
ramp_status batch_detector_fit(void *self, ramp_gen_builder *gb) { (void)self; (void)gb; return RAMP_OK; }
void batch_detector_free(void *self) { (void)self; }'
hostile det nan_box batch_detector.c <<EOF
$det_prologue
ramp_status batch_detector_predict(void *self, const float *X, size_t n, ramp_obj *o, size_t *k)
{ (void)self; (void)X; for (size_t i = 0; i < n; i++) { k[i] = 1; o[i * maxo] = (ramp_obj){0, 0.5f, {1, 2, NAN, 4}}; } return RAMP_OK; }
EOF
hostile det too_many batch_detector.c <<EOF
$det_prologue
ramp_status batch_detector_predict(void *self, const float *X, size_t n, ramp_obj *o, size_t *k)
{ (void)self; (void)X; (void)o; for (size_t i = 0; i < n; i++) k[i] = (size_t)maxo + 1; return RAMP_OK; }
EOF
hostile det bad_class batch_detector.c <<EOF
$det_prologue
ramp_status batch_detector_predict(void *self, const float *X, size_t n, ramp_obj *o, size_t *k)
{ (void)self; (void)X; for (size_t i = 0; i < n; i++) { k[i] = 1; o[i * maxo] = (ramp_obj){10, 0.5f, {1, 2, 3, 4}}; } return RAMP_OK; }
EOF
hostile det bad_conf batch_detector.c <<EOF
$det_prologue
ramp_status batch_detector_predict(void *self, const float *X, size_t n, ramp_obj *o, size_t *k)
{ (void)self; (void)X; for (size_t i = 0; i < n; i++) { k[i] = 1; o[i * maxo] = (ramp_obj){1, 1.5f, {1, 2, 3, 4}}; } return RAMP_OK; }
EOF
# every fold finds max_objects objects, disjoint from the other fold's: the
# bag must still keep at most max_objects an image (it overflowed its buffer)
hostile det many_disjoint batch_detector.c <<EOF
#include <ramp/detector.h>
static int maxo, fold;
ramp_status batch_detector_new(void **self, const ramp_clf_info *info) { maxo = info->max_objects; fold = info->fold; *self = &maxo; return RAMP_OK; }
ramp_status batch_detector_fit(void *self, ramp_gen_builder *gb) { (void)self; (void)gb; return RAMP_OK; }
void batch_detector_free(void *self) { (void)self; }
ramp_status batch_detector_predict(void *self, const float *X, size_t n, ramp_obj *o, size_t *k)
{
    (void)self; (void)X;
    for (size_t i = 0; i < n; i++) {
        k[i] = (size_t)maxo;
        for (int j = 0; j < maxo; j++)
            o[i * (size_t)maxo + (size_t)j] = (ramp_obj){j % 10, 0.9f, {(float)(2 * j + fold), 0, (float)(2 * j + fold + 1), 1}};
    }
    return RAMP_OK;
}
EOF
run det many_disjoint || { cat "$work/det.many_disjoint.out"; fail "many_disjoint: ramp test failed"; }
most=$(tail -n +2 "$work/det/submissions/many_disjoint/training_output/y_pred_test_bagged.csv" | cut -d, -f1 | sort | uniq -c | sort -rn | head -1 | awk '{print $1}')
[ "$most" = 16 ] || fail "many_disjoint: the bag keeps $most objects on an image (max_objects 16)"
echo "ok: the bag of folds with disjoint objects keeps max_objects an image"

seg_prologue='#include <math.h>
#include <stdio.h>
#include <ramp/detector.h>
static int k;
ramp_status batch_segmenter_new(void **self, const ramp_clf_info *info) { k = info->n_classes; *self = &k; return RAMP_OK; }
ramp_status batch_segmenter_fit(void *self, ramp_gen_builder *gb) { (void)self; (void)gb; return RAMP_OK; }
void batch_segmenter_free(void *self) { (void)self; }'
hostile seg negative batch_segmenter.c <<EOF
$seg_prologue
ramp_status batch_segmenter_predict_proba(void *self, const float *X, size_t n, float *p)
{ (void)self; (void)X; (void)n; p[0] = -1; return RAMP_OK; }
EOF
declare -A want=(
    [nan_box]="batch_detector_predict: sample 'train_000[0-9][0-9].png', object 0: a coordinate is not finite"
    [too_many]="batch_detector_predict: sample 'train_000[0-9][0-9].png': 17 objects, more than max_objects (16)"
    [bad_class]="object 0: class outside \[0, n_classes)"
    [bad_conf]="object 0: confidence outside \[0, 1\]"
    [negative]="batch_segmenter_predict_proba: sample 'train_000[0-9][0-9].png': value 0 of 11 × 64 × 64 is -1"
)
for sub in nan_box too_many bad_class bad_conf negative; do
    k=det; [ $sub = negative ] && k=seg
    run $k $sub && fail "$sub: ramp test succeeded"
    grep -q "training_error: .*${want[$sub]}" "$work/$k.$sub.out" \
        || { cat "$work/$k.$sub.out"; fail "$sub: not the expected error"; }
    echo "ok: $sub is the fold's training_error, named"
done

# ---- a segmenter that looks for the labels -------------------------------------
# Any label file it can open ends the fold at load (exit 9), so the run only
# succeeds when none is readable from the sandbox.
masks_host=$(cd "$work/seg/data/masks" && pwd)
hostile seg snoop batch_segmenter.c <<EOF
$seg_prologue
ramp_status batch_segmenter_predict_proba(void *self, const float *X, size_t n, float *p)
{ (void)self; (void)X; size_t hw = 64 * 64; for (size_t i = 0; i < n * (size_t)k * hw; i++) p[i] = i % (size_t)k == 0; return RAMP_OK; }
__attribute__((constructor)) static void snoop(void)
{
    const char *paths[] = {"/data/masks/train_00000.png", "/data/imgs/../masks/train_00000.png",
                           "/data/seg_test.csv", "/data/test.csv", "/data/train.csv",
                           "$masks_host/test_00000.png", "$masks_host/../seg_test.csv"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        FILE *f = fopen(paths[i], "rb");
        if (f) { printf("FOUND %s\n", paths[i]); fflush(stdout); _Exit(9); }
    }
}
EOF
if "$ramp" sandbox-check >/dev/null 2>&1; then
    run seg snoop || { cat "$work/seg.snoop.out"; fail "snoop: a label file was readable from the fold"; }
    grep -q "^Bagged scores" "$work/seg.snoop.out" || fail "snoop: no scores"
    echo "ok: the fold sees no mask, no CSV, no kit path"
else
    echo "SKIP: no sandbox here: the snooping segmenter is not run"
    exit 77
fi
