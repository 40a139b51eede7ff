#!/usr/bin/env bash
# test_rampwf_detection_py.sh — the shim's mars_craters score types
# (python/rampwf/score_types/detection.py, the build folder's copy) against
# the values rampwf's own score types gave on the detscore fixtures
# (tests/fixtures/detscore/expected.txt, "score rampwf" lines; circles
# given in rampwf's order (row, col, r) = ramp's (y, x, r); the cases with a
# minipatch pass it to every score type but DetectionAveragePrecision),
# their ramp kinds, and the kit reader's refusal naming them as detection
# scores.
# Skipped (77) without a python3 that has numpy and scipy.
# usage: bash test_rampwf_detection_py.sh RAMP_BINARY SOURCE_DIR WORK_DIR
set -uo pipefail
ramp=$1 src=$2 work=$3
fail() { echo "FAIL: $*"; exit 1; }
build=$(cd "$(dirname "$ramp")" && pwd)
pydir=$build/python
[ -d "$pydir/rampwf" ] || fail "$pydir/rampwf is missing (the ramp target copies python/)"
export PYTHONDONTWRITEBYTECODE=1
PY=
for cand in ${RAMP_TEST_PYTHON:-} python3 /usr/bin/python3; do
    command -v "$cand" >/dev/null 2>&1 || continue
    if "$cand" -c 'import numpy, scipy' 2>/dev/null; then PY=$cand; break; fi
done
[ -n "$PY" ] || { echo "SKIP: no python3 with numpy and scipy"; exit 77; }

PYTHONPATH=$pydir "$PY" - "$src/tests/fixtures/detscore/expected.txt" <<'EOF' || fail "shim scores"
import math, sys
import rampwf.score_types as st

cases, cur = [], None
for line in open(sys.argv[1]):
    f = line.split()
    if f[0] == "case":
        mp = [float(v) for v in f[6:10]] or None
        if mp is not None and all(v.is_integer() for v in mp):
            mp = [int(v) for v in mp]  # SCP slices its map with them
        cur = {"name": f[1], "geom": f[2], "k": int(f[3]), "iou": float(f[4]),
               "images": [], "want": {}, "minipatch": mp}
        cases.append(cur)
    elif f[0] == "image":
        cur["images"].append((int(f[1]), int(f[2]), [], []))
    elif f[0] == "t":  # ramp's x y r -> rampwf's (row, col, r)
        x, y, r = (float(v) for v in f[2:5])
        cur["images"][-1][2].append((y, x, r))
    elif f[0] == "p":
        c, x, y, r = (float(v) for v in f[2:6])
        cur["images"][-1][3].append((c, y, x, r))
    elif f[0] == "score" and f[1] == "rampwf":
        cur["want"][f[2]] = float(f[3])
n = n_patch = 0
for c in cases:
    if not c["want"]:
        continue
    w, h = c["images"][0][:2]
    y_true = [im[2] for im in c["images"]]
    y_pred = [im[3] for im in c["images"]]
    thr, mp = c["iou"], c["minipatch"]
    types = {"map": st.DetectionAveragePrecision(iou_threshold=thr),
             "det_precision": st.DetectionPrecision(iou_threshold=thr, minipatch=mp),
             "det_recall": st.DetectionRecall(iou_threshold=thr, minipatch=mp),
             "ospa": st.OSPA(minipatch=mp), "scp": st.SCP(shape=(h, w), minipatch=mp),
             "mad_center": st.MADCenter(iou_threshold=thr, minipatch=mp),
             "mad_radius": st.MADRadius(iou_threshold=thr, minipatch=mp)}
    for name, want in c["want"].items():
        t = types[name]
        assert t.ramp_kind == name, (t, t.ramp_kind, name)
        got = t(y_true, y_pred)
        ok = math.isnan(got) if math.isnan(want) else abs(got - want) <= 1e-9 * max(1, abs(want))
        assert ok, (c["name"], name, got, want)
        n += 1
        n_patch += mp is not None
assert n >= 40, n
assert n_patch >= 20, n_patch
assert st.AverageDetectionPrecision is st.DetectionAveragePrecision
assert abs(st.detection.circle_iou((0, 0, 1), (1, 1, 2)) - 0.49512159337341777) < 1e-15
assert st.DetectionPrecision().name == "precision(IOU=0.5)"
assert st.MADCenter(iou_threshold=0.3).name == "mad_center(IOU=0.3)"
assert st.OSPA().is_lower_the_better and not st.DetectionRecall().is_lower_the_better
print("ok: %d shim scores equal rampwf's (%d on a minipatch)" % (n, n_patch))
EOF
echo "ok: rampwf shim detection scores"
