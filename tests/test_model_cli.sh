#!/usr/bin/env bash
# test_model_cli.sh — `ramp model info` and `ramp model predict` on ONNX
# models made here with python3-onnx's helper (a small CNN with random
# weights, with and without a final Softmax, and one with an operator ramp
# does not read): the layer table and totals, the importer's message for an
# unsupported node, predict's outputs against tests/onnx_run_torch.py (an
# independent PyTorch run of the same file) within 1e-5 on both backends,
# and the errors for a missing file, a float64 or wrongly shaped array.
# Exit 77 (skipped) without python3-onnx and numpy.
# usage: bash test_model_cli.sh RAMP_BINARY SOURCE_DIR WORK_DIR
set -uo pipefail
ramp=$1 src=$2 work=$3
PY=/usr/bin/python3
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }
rm -rf "$work"; mkdir -p "$work" || exit 1
"$PY" -c 'import onnx, numpy' 2>/dev/null || { echo "SKIPPED: python3-onnx or numpy missing"; exit 77; }

"$PY" - "$work" <<'EOF' || fail "cannot make the models"
import sys, numpy as np, onnx
from onnx import helper as h, numpy_helper as nh, TensorProto as T
out = sys.argv[1]
r = np.random.RandomState(3)
def t(name, a):
    return nh.from_array(a.astype(np.float32), name)
inits = [t("c.w", r.randn(4, 1, 3, 3) * 0.5), t("c.b", r.randn(4) * 0.1),
         t("bn.s", 1 + 0.2 * r.randn(4)), t("bn.b", 0.1 * r.randn(4)),
         t("bn.m", 0.1 * r.randn(4)), t("bn.v", 0.5 + r.rand(4)),
         t("fc.w", r.randn(3, 64) * 0.2), t("fc.b", r.randn(3) * 0.1)]
nodes = [h.make_node("Conv", ["x", "c.w", "c.b"], ["c"], name="conv1", kernel_shape=[3, 3],
                     pads=[1, 1, 1, 1]),
         h.make_node("BatchNormalization", ["c", "bn.s", "bn.b", "bn.m", "bn.v"], ["bn"],
                     name="bn1", epsilon=1e-5),
         h.make_node("Relu", ["bn"], ["r"], name="relu1"),
         h.make_node("MaxPool", ["r"], ["p"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
         h.make_node("Flatten", ["p"], ["f"], name="flat", axis=1),
         h.make_node("Gemm", ["f", "fc.w", "fc.b"], ["y"], name="fc", transB=1)]
x = h.make_tensor_value_info("x", T.FLOAT, ["N", 1, 8, 8])
def save(name, nodes, last):
    y = h.make_tensor_value_info(last, T.FLOAT, ["N", 3])
    m = h.make_model(h.make_graph(nodes, "g", [x], [y], inits),
                     opset_imports=[h.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, f"{out}/{name}.onnx")
save("logits", nodes, "y")
save("probs", nodes + [h.make_node("Softmax", ["y"], ["s"], name="soft", axis=1)], "s")
bad = list(nodes)
bad[2] = h.make_node("Elu", ["bn"], ["r"], name="elu_here")
save("unsupported", bad, "y")
X = r.uniform(-1, 1, (11, 1, 8, 8)).astype(np.float32)
np.save(f"{out}/x.npy", X)
np.save(f"{out}/x64.npy", X.astype(np.float64))
np.save(f"{out}/x_bad.npy", np.zeros((2, 3, 8, 8), np.float32))
# the input's height and width left open, an Identity on the way
xs = h.make_tensor_value_info("x", T.FLOAT, ["N", 1, "H", "W"])
ys = h.make_tensor_value_info("y", T.FLOAT, ["N", 3])
sym = [nodes[0], h.make_node("Identity", ["c"], ["i"], name="same"),
       h.make_node("Relu", ["i"], ["r"], name="relu1"),
       h.make_node("GlobalAveragePool", ["r"], ["g"], name="gap"),
       h.make_node("Flatten", ["g"], ["f"], name="flat", axis=1),
       h.make_node("Gemm", ["f", "fc4.w"], ["y"], name="fc", transB=1)]
m = h.make_model(h.make_graph(sym, "g", [xs], [ys], inits[:2] + [t("fc4.w", r.randn(3, 4))]),
                 opset_imports=[h.make_opsetid("", 13)])
m.ir_version = 8
onnx.checker.check_model(m, full_check=True)
onnx.save(m, f"{out}/sym.onnx")
np.save(f"{out}/x12.npy", r.uniform(-1, 1, (3, 1, 12, 12)).astype(np.float32))
np.save(f"{out}/x_empty.npy", np.zeros((0, 1, 12, 12), np.float32))
EOF

# info: the layer table and the totals (4·9 + 4 conv, 4·4 batchnorm, 3·64 + 3 dense)
"$ramp" model info "$work/probs.onnx" > "$work/info.out" 2>&1 || { cat "$work/info.out"; fail "info: non-zero exit"; }
for want in "input N x 1 x 8 x 8" Conv2D BatchNorm ReLU MaxPool2D Flatten Dense Softmax \
    "Total params: 251" "Non-trainable params: 8"; do
    grep -qF -- "$want" "$work/info.out" || { cat "$work/info.out"; fail "info: no '$want'"; }
done
ok "model info prints the layer table and the totals"

# info on what ramp cannot read: exit 1, the operator and its node named
"$ramp" model info "$work/unsupported.onnx" > "$work/uns.out" 2>&1
rc=$?
[ $rc -eq 1 ] || { cat "$work/uns.out"; fail "info unsupported: exit $rc, want 1"; }
grep -qF "Elu" "$work/uns.out" && grep -qF "elu_here" "$work/uns.out" \
    || { cat "$work/uns.out"; fail "info unsupported: the operator or node is not named"; }
"$ramp" model info "$work/none.onnx" > "$work/none.out" 2>&1
[ $? -eq 1 ] && grep -qF "$work/none.onnx" "$work/none.out" || { cat "$work/none.out"; fail "info of a missing file"; }
echo "not a model" > "$work/junk.onnx"
"$ramp" model info "$work/junk.onnx" > "$work/junk.out" 2>&1
[ $? -eq 1 ] && grep -qF "$work/junk.onnx" "$work/junk.out" || { cat "$work/junk.out"; fail "info of a junk file"; }
ok "model info names what it cannot read (exit 1)"

# predict: logits and probabilities, both backends, against PyTorch
torch=1
"$PY" -c 'import torch' 2>/dev/null || torch=0
for m in logits probs; do
    for be in ref dnnl; do
        "$ramp" model predict "$work/$m.onnx" --input "$work/x.npy" --output "$work/$m.$be.npy" \
            --backend "$be" --batch 4 > "$work/pred.out" 2>&1 \
            || { cat "$work/pred.out"; fail "predict $m ($be): non-zero exit"; }
        "$PY" -c "
import numpy as np, sys
p = np.load('$work/$m.$be.npy')
assert p.dtype == np.float32 and p.shape == (11, 3), (p.dtype, p.shape)
if '$m' == 'probs': assert abs(p.sum(1) - 1).max() < 1e-5, p.sum(1)
" || fail "predict $m ($be): bad output array"
        if [ $torch = 1 ]; then
            "$PY" "$src/tests/onnx_run_torch.py" "$work/$m.onnx" "$work/x.npy" \
                --expect "$work/$m.$be.npy" > "$work/torch.out" 2>&1 \
                || { cat "$work/torch.out"; fail "predict $m ($be) differs from PyTorch"; }
        fi
    done
done
[ $torch = 1 ] && ok "model predict equals PyTorch within 1e-5 (logits, probabilities; ref, dnnl)" \
    || echo "note: python3-torch missing: predict checked for shape and sums only"

# predict's errors name the file and the reason
expect_fail() {
    local name=$1 pat=$2; shift 2
    "$ramp" "$@" > "$work/$name.out" 2>&1
    local rc=$?
    [ $rc -eq 1 ] || { cat "$work/$name.out"; fail "$name: exit $rc, want 1"; }
    grep -qF -- "$pat" "$work/$name.out" || { cat "$work/$name.out"; fail "$name: no '$pat'"; }
}
expect_fail f64 "$work/x64.npy: dtype float64, but the model takes float32" \
    model predict "$work/probs.onnx" --input "$work/x64.npy" --output "$work/p.npy"
expect_fail shape "$work/x_bad.npy: shape 2 x 3 x 8 x 8, but the model takes N x 1 x 8 x 8" \
    model predict "$work/probs.onnx" --input "$work/x_bad.npy" --output "$work/p.npy"
expect_fail noinput "$work/nothing.npy" \
    model predict "$work/probs.onnx" --input "$work/nothing.npy" --output "$work/p.npy"
expect_fail badmodel "Elu" \
    model predict "$work/unsupported.onnx" --input "$work/x.npy" --output "$work/p.npy"
expect_fail empty "$work/x_empty.npy: shape 0 x 1 x 12 x 12: no rows" \
    model predict "$work/sym.onnx" --input "$work/x_empty.npy" --output "$work/p.npy"
[ ! -e "$work/p.npy" ] || fail "a failed predict wrote its output"
# a model whose height and width are open: its table at a given size, and
# predict at the array's size
"$ramp" model info "$work/sym.onnx" --shape 1x12x12 > "$work/sym.out" 2>&1 || { cat "$work/sym.out"; fail "info --shape"; }
grep -q "(N, 4, 12, 12)" "$work/sym.out" || { cat "$work/sym.out"; fail "info --shape: no 12x12 layer"; }
"$ramp" model info "$work/sym.onnx" --shape 1x99999999999x3 > "$work/badshape.out" 2>&1
[ $? -eq 2 ] && grep -qF -- "--shape wants CxHxW" "$work/badshape.out" \
    || { cat "$work/badshape.out"; fail "an out-of-range --shape is not a usage error"; }
"$ramp" model predict "$work/sym.onnx" --input "$work/x12.npy" --output "$work/p12.npy" \
    > "$work/p12.out" 2>&1 || { cat "$work/p12.out"; fail "predict on an open-size model"; }
"$PY" -c 'import numpy as np, sys; p = np.load(sys.argv[1]); sys.exit(p.shape != (3, 3) or not np.isfinite(p).all())' \
    "$work/p12.npy" || fail "predict on an open-size model: not 3 x 3 finite outputs"
ok "an open-size model: info --shape, predict at the array's size; bad --shape and empty arrays refused"
ok "model predict refuses a float64 or misshapen array, a missing file and an unsupported model"
[ $torch = 1 ] || exit 77
echo "test_model_cli: passed"
