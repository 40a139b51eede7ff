#!/usr/bin/env bash
# test_score_cli.sh — `ramp score` on detection and segmentation kits built
# here: a circle kit and a two-class box kit scored with every detection
# score against the independent numpy/scipy reference of
# tests/gen_detscore_fixtures.py (ours), the worked example of
# docs/scores.md under both semantics (compat = ramp | rampwf), the same
# kits with a minipatch on every score (ours against the reference; the
# worked example cut so that only the prediction is inside, both
# semantics; map refused with a minipatch under compat = rampwf), a
# segmentation kit against a numpy confusion matrix, and the errors (an
# unknown id, a missing column, a bad number, a missing or wrongly sized
# predicted mask) naming file:line or the id.
# usage: bash test_score_cli.sh RAMP_BINARY SOURCE_DIR WORK_DIR
set -uo pipefail
ramp=$1 src=$2 work=$3
PY=/usr/bin/python3
fail() { echo "FAIL: $*"; exit 1; }
$PY -c "import numpy, scipy, PIL" 2>/dev/null || { echo "SKIP: no numpy/scipy/PIL"; exit 77; }
rm -rf "$work"; mkdir -p "$work"

# the kits, their predictions and the expected scores (expected_*.json)
$PY - "$src" "$work" <<'EOF' || fail "cannot build the kits"
import json, os, sys
import numpy as np
from PIL import Image
src, work = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(src, "tests"))
import gen_detscore_fixtures as ref  # noqa: E402

rng = np.random.default_rng(7)

def q(v):  # truth coordinates exactly representable in float32
    return float(np.round(v * 16) / 16)

def det_kit(name, geom, k, n_images, compat="ramp", scores=None, images=None):
    kit = os.path.join(work, name)
    os.makedirs(os.path.join(kit, "data", "imgs"))
    scores = scores or ["ap = map", "prec = det_precision", "rec = det_recall",
                        "ospa = ospa", "scp = scp"] + (
                            ["madc = mad_center", "madr = mad_radius"] if geom == "circle" else [])
    with open(os.path.join(kit, "problem.ini"), "w") as f:
        f.write("[problem]\ntitle = %s\nn_classes = %d\nworkflow = detection\ngeometry = %s\n"
                "[scores]\n%s\n[detection]\ncompat = %s\n" % (name, k, geom, "\n".join(scores),
                                                               compat))
    if images is None:
        images = []
        for i in range(n_images):
            w, h = int(rng.integers(20, 40)), int(rng.integers(16, 32))
            truth, preds = [], []
            for _ in range(int(rng.integers(0, 4))):
                c = int(rng.integers(0, k))
                if geom == "box":
                    x0, y0 = q(rng.uniform(0, w - 8)), q(rng.uniform(0, h - 8))
                    g = [x0, y0, q(x0 + rng.uniform(3, 10)), q(y0 + rng.uniform(3, 10))]
                else:
                    g = [q(rng.uniform(0, w)), q(rng.uniform(0, h)), q(rng.uniform(1.5, 6)), 0.0]
                truth.append((c, g))
                for _ in range(int(rng.integers(0, 3))):
                    j = [v + rng.normal(0, 1.0) for v in g]
                    if geom == "box":
                        j[2], j[3] = max(j[2], j[0] + 0.5), max(j[3], j[1] + 0.5)
                    else:
                        j[2], j[3] = abs(j[2]) + 0.3, 0.0
                    preds.append((c, float(rng.uniform(0.05, 1)), [float(v) for v in j]))
            if rng.uniform() < 0.5:
                x, y = float(rng.uniform(0, w - 5)), float(rng.uniform(0, h - 5))
                g = [x, y, x + 4, y + 4] if geom == "box" else [x, y, 3.0, 0.0]
                preds.append((int(rng.integers(0, k)), float(rng.uniform(0.05, 1)), g))
            images.append(("im%02d.png" % i, w, h, truth, preds))
    hdr = "id,class,x0,y0,x1,y1" if geom == "box" else "id,class,x,y,r"
    rows, prows = [hdr], ["id,class,confidence," + hdr.split(",", 2)[2]]
    n = 4 if geom == "box" else 3
    for iid, w, h, truth, preds in images:
        Image.fromarray(np.zeros((h, w), np.uint8)).save(os.path.join(kit, "data", "imgs", iid))
        rows += ["%s,%d,%s" % (iid, c, ",".join(repr(v) for v in g[:n])) for c, g in truth]
        if not truth:
            rows.append(iid + "," * (n + 1))
        prows += ["%s,%d,%r,%s" % (iid, c, s, ",".join(repr(v) for v in g[:n]))
                  for c, s, g in preds]
    for split in ("train", "test"):
        with open(os.path.join(kit, "data", split + ".csv"), "w") as f:
            f.write("\n".join(rows) + "\n")
    with open(os.path.join(work, name + "_pred.csv"), "w") as f:
        f.write("\n".join(prows) + "\n")
    case = {"name": name, "geom": geom, "n_classes": k, "iou": 0.5,
            "images": [(w, h, truth, preds) for _, w, h, truth, preds in images]}
    return case

def write_expected(name, values):
    with open(os.path.join(work, "expected_%s.json" % name), "w") as f:
        json.dump(values, f)

names = {"map": "ap", "det_precision": "prec", "det_recall": "rec", "ospa": "ospa",
         "scp": "scp", "mad_center": "madc", "mad_radius": "madr"}
for name, geom, k in (("circles", "circle", 2), ("boxes", "box", 3)):
    case = det_kit(name, geom, k, 7)
    write_expected(name, {names[s]: v for s, v in ref.ours_scores(case).items()})

# the worked example: one truth (0, 0, 1), one prediction (1, 1, 2)
worked = [("w.png", 8, 8, [(0, [0.0, 0.0, 1.0, 0.0])], [(0, 0.9, [1.0, 1.0, 2.0, 0.0])])]
for compat in ("ramp", "rampwf"):
    det_kit("worked_" + compat, "circle", 2, 1, compat, ["ospa = ospa"], worked)

# minipatch=ROW_MIN:ROW_MAX:COL_MIN:COL_MAX on every score, ours
for name, geom, k, mp in (("circles_mp", "circle", 2, [4, 20, 6, 30]),
                          ("boxes_mp", "box", 3, [3.5, 18, 5.25, 28])):
    sc = ["ap = map", "prec = det_precision", "rec = det_recall", "ospa = ospa", "scp = scp"]
    if geom == "circle":
        sc += ["madc = mad_center", "madr = mad_radius"]
    sc = [l + " minipatch=%s" % ":".join(repr(float(v)) for v in mp) for l in sc]
    case = det_kit(name, geom, k, 7, scores=sc)
    case["minipatch"] = mp
    write_expected(name, {names[s]: v for s, v in ref.ours_scores(case).items()})
# the worked example, rows and columns from 0.5: the prediction (1, 1) is
# inside, the truth (0, 0) is not; ours drops the truth (ospa 1), rampwf's
# matches them on the whole image and counts the prediction's IoU (0.505)
for compat in ("ramp", "rampwf"):
    det_kit("worked_mp_" + compat, "circle", 2, 1, compat,
            ["ospa = ospa minipatch=0.5:8:0.5:8 precision=3"], worked)
det_kit("map_mp_rampwf", "circle", 2, 1, "rampwf",
        ["ospa = ospa", "ap = map minipatch=28:196:28:196"], worked)

# segmentation: 3 classes, 255 = void in the truth
kit = os.path.join(work, "seg")
for d in ("data/imgs", "data/masks", "pred"):
    os.makedirs(os.path.join(kit if d != "pred" else work, d.replace("pred", "seg_pred")),
                exist_ok=True)
with open(os.path.join(kit, "problem.ini"), "w") as f:
    f.write("[problem]\ntitle = seg\nn_classes = 3\nworkflow = segmentation\n[scores]\n"
            "pa = pixel_accuracy\nma = mean_accuracy\nmiu = mean_iu\nfwiu = fw_iu\n")
cm = np.zeros((3, 3), np.int64)
ids = []
for i in range(5):
    h, w = int(rng.integers(8, 20)), int(rng.integers(8, 20))
    t = rng.integers(0, 3, (h, w)).astype(np.uint8)
    t[rng.uniform(size=(h, w)) < 0.1] = 255
    p = np.where(rng.uniform(size=(h, w)) < 0.6, np.minimum(t, 2), rng.integers(0, 3, (h, w)))
    p = p.astype(np.uint8)
    iid = "s%d.png" % i
    ids.append(iid)
    Image.fromarray(np.zeros((h, w), np.uint8)).save(os.path.join(kit, "data", "imgs", iid))
    Image.fromarray(t).save(os.path.join(kit, "data", "masks", iid))
    Image.fromarray(p).save(os.path.join(work, "seg_pred", iid))
    keep = t != 255
    np.add.at(cm, (t[keep].astype(int), p[keep].astype(int)), 1)
for split in ("train", "test"):
    with open(os.path.join(kit, "data", split + ".csv"), "w") as f:
        f.write("id\n" + "\n".join(ids) + "\n")
tot = cm.sum(1)
pred_tot = cm.sum(0)
diag = np.diag(cm).astype(float)
present_t = tot > 0
present_u = (tot + pred_tot) > 0
iu = diag[present_u] / (tot + pred_tot - diag)[present_u]
write_expected("seg", {
    "pa": diag.sum() / tot.sum(),
    "ma": float(np.mean(diag[present_t] / tot[present_t])),
    "miu": float(np.mean(iu)),
    "fwiu": float((tot[present_u] * iu).sum() / tot.sum()),
})
EOF

compare() { # name json
    $PY - "$work/expected_$1.json" "$2" <<'EOF' || fail "$1: scores differ from the reference"
import json, math, sys
want = json.load(open(sys.argv[1]))
got = json.loads(sys.argv[2])
assert set(want) == set(got), (sorted(want), sorted(got))
for k, v in want.items():
    g = got[k]
    if v != v:
        assert g is None, (k, g)
    else:
        assert g is not None and abs(g - v) <= 1e-9 * max(1, abs(v)), (k, g, v)
print("ok", sys.argv[1], len(want), "scores")
EOF
}

# a build whose problem files know no detection workflow cannot run this
probe=$("$ramp" score --kit "$work/circles" --split test --pred "$work/circles_pred.csv" 2>&1)
if grep -q "workflow = 'detection': expected image_classifier" <<<"$probe"; then
    echo "SKIP: this build's problem.ini has no detection workflow"; exit 77
fi

for name in circles boxes circles_mp boxes_mp; do
    out=$("$ramp" score --kit "$work/$name" --split test --pred "$work/${name}_pred.csv" --json) \
        || fail "$name: ramp score failed: $out"
    compare "$name" "$out"
done
out=$("$ramp" score --kit "$work/seg" --split test --pred "$work/seg_pred" --json) \
    || fail "seg: ramp score failed: $out"
compare seg "$out"
# the text form prints every score
txt=$("$ramp" score --kit "$work/circles" --split test --pred "$work/circles_pred.csv") \
    || fail "text output"
[ "$(grep -c . <<<"$txt")" = 7 ] || fail "text output: $txt"

# the worked example: ospa = 1 − IoU, 0.194 ours, 0.495 rampwf's
o1=$("$ramp" score --kit "$work/worked_ramp" --split test --pred "$work/worked_ramp_pred.csv" --json)
o2=$("$ramp" score --kit "$work/worked_rampwf" --split test --pred "$work/worked_rampwf_pred.csv" --json)
$PY -c "
import json, sys
a, b = json.loads(sys.argv[1])['ospa'], json.loads(sys.argv[2])['ospa']
assert abs(a - 0.8056502512634895) < 1e-9, a
assert abs(b - 0.5048784066265822) < 1e-9, b
" "$o1" "$o2" || fail "worked example: $o1 / $o2"
m1=$("$ramp" score --kit "$work/worked_mp_ramp" --split test --pred "$work/worked_mp_ramp_pred.csv" --json)
m2=$("$ramp" score --kit "$work/worked_mp_rampwf" --split test --pred "$work/worked_mp_rampwf_pred.csv" --json)
$PY -c "
import json, sys
a, b = json.loads(sys.argv[1])['ospa'], json.loads(sys.argv[2])['ospa']
assert a == 1.0, a
assert abs(b - 0.5048784066265822) < 1e-9, b
" "$m1" "$m2" || fail "worked example on a minipatch: $m1 / $m2"

# errors
expect_error() { # needle args...
    local needle=$1; shift
    local out
    out=$("$ramp" score "$@" 2>&1) && fail "no error for: $* ($out)"
    grep -qF -- "$needle" <<<"$out" || fail "expected '$needle', got: $out"
}
expect_error "problem.ini:8: score 'ap': map has no minipatch with compat = rampwf" \
    --kit "$work/map_mp_rampwf" --split test --pred "$work/map_mp_rampwf_pred.csv"
pred=$work/circles_pred.csv
bad=$work/bad.csv
{ head -2 "$pred"; echo "nope.png,0,0.5,1,1,1"; } > "$bad"
expect_error "bad.csv:3: id 'nope.png' is not a row of the split" \
    --kit "$work/circles" --split test --pred "$bad"
# circles without a class column: class 0, the same scores as with it
sed -e '1s/^id,class,/id,/' -e '2,$s/^\([^,]*\),0,/\1,/' "$work/worked_ramp_pred.csv" > "$bad"
o3=$("$ramp" score --kit "$work/worked_ramp" --split test --pred "$bad" --json) || fail "no class column: $o3"
[ "$o3" = "$o1" ] || fail "no class column: $o3, with it: $o1"
printf 'id,class,confidence,x,y\n' > "$bad"
expect_error "bad.csv:1: no column 'r'" --kit "$work/circles" --split test --pred "$bad"
printf 'id,class,confidence,x,y,r\nim00.png,0,high,1,1,1\n' > "$bad"
expect_error "bad.csv:2: confidence 'high' is not a finite number" \
    --kit "$work/circles" --split test --pred "$bad"
printf 'id,class,confidence,x,y,r\nim00.png,2,0.5,1,1,1\n' > "$bad"
expect_error "bad.csv:2: class 2 is not an integer in [0, 2)" \
    --kit "$work/circles" --split test --pred "$bad"
cp -r "$work/seg_pred" "$work/seg_pred2"
rm "$work/seg_pred2/s3.png"
expect_error "id 's3.png': no predicted mask" --kit "$work/seg" --split test --pred "$work/seg_pred2"
$PY -c "
from PIL import Image; import numpy as np
Image.fromarray(np.zeros((3, 4), np.uint8)).save('$work/seg_pred2/s3.png')"
expect_error "id 's3.png': the predicted mask" --kit "$work/seg" --split test --pred "$work/seg_pred2"
echo "ok: ramp score on detection (boxes, circles, both semantics, minipatch) and segmentation kits"
