#!/usr/bin/env bash
# test_rampwf_detection_py.sh — the shim's mars_craters score types
# (python/rampwf/score_types/detection.py, the build folder's copy) against
# the values rampwf's own score types gave on the detscore fixtures
# (tests/fixtures/detscore/expected.txt, "score rampwf" lines), their ramp
# kinds, and the kit reader's refusal naming them as detection scores.
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
        cur = {"name": f[1], "geom": f[2], "k": int(f[3]), "iou": float(f[4]),
               "images": [], "want": {}}
        cases.append(cur)
    elif f[0] == "image":
        cur["images"].append((int(f[1]), int(f[2]), [], []))
    elif f[0] == "t":
        cur["images"][-1][2].append(tuple(float(v) for v in f[2:5]))
    elif f[0] == "p":
        cur["images"][-1][3].append(tuple(float(v) for v in f[2:6]))
    elif f[0] == "score" and f[1] == "rampwf":
        cur["want"][f[2]] = float(f[3])
n = 0
for c in cases:
    if not c["want"]:
        continue
    w, h = c["images"][0][:2]
    y_true = [im[2] for im in c["images"]]
    y_pred = [im[3] for im in c["images"]]
    thr = c["iou"]
    types = {"map": st.DetectionAveragePrecision(iou_threshold=thr),
             "det_precision": st.DetectionPrecision(iou_threshold=thr),
             "det_recall": st.DetectionRecall(iou_threshold=thr),
             "ospa": st.OSPA(), "scp": st.SCP(shape=(h, w)),
             "mad_center": st.MADCenter(iou_threshold=thr),
             "mad_radius": st.MADRadius(iou_threshold=thr)}
    for name, want in c["want"].items():
        t = types[name]
        assert t.ramp_kind == name, (t, t.ramp_kind, name)
        got = t(y_true, y_pred)
        ok = math.isnan(got) if math.isnan(want) else abs(got - want) <= 1e-9 * max(1, abs(want))
        assert ok, (c["name"], name, got, want)
        n += 1
assert n >= 40, n
assert st.AverageDetectionPrecision is st.DetectionAveragePrecision
assert abs(st.detection.circle_iou((0, 0, 1), (1, 1, 2)) - 0.49512159337341777) < 1e-15
assert st.DetectionPrecision().name == "precision(IOU=0.5)"
assert st.MADCenter(iou_threshold=0.3).name == "mad_center(IOU=0.3)"
assert st.OSPA().is_lower_the_better and not st.DetectionRecall().is_lower_the_better
try:
    st.OSPA(minipatch=[0, 10, 0, 10])([[]], [[]])
    raise SystemExit("minipatch accepted")
except NotImplementedError as e:
    assert "minipatch" in str(e)
print("ok: %d shim scores equal rampwf's" % n)
EOF
echo "ok: rampwf shim detection scores"
