#!/usr/bin/env python3
"""onnx_run_torch.py — checks an ONNX model and runs it with PyTorch, as an
independent runtime for the files ramp writes (onnxruntime is not packaged
in Debian).

    onnx_run_torch.py MODEL.onnx X.npy [--expect Y.npy] [--tol 1e-5] [--out Y.npy]

1. onnx.checker.check_model(full_check=True): the schema, each node against
   its operator's definition at the model's opset, and strict shape
   inference; the inferred output shape must agree with the graph's.
2. A small interpreter maps each node to torch.nn.functional (conv2d,
   batch_norm, max_pool2d, ...) over the graph's initializers, in float32,
   and runs it on X (reshaped to the graph input's C×H×W when X is N×F).
3. With --expect, the output must equal Y within --tol (absolute, max over
   all values); the largest difference is printed either way.

Exit status: 0 all well, 1 a check failed, 77 onnx, torch or numpy missing.
"""
import argparse
import sys

try:
    import numpy as np
    import onnx
    import onnx.numpy_helper
    import torch
    import torch.nn.functional as F
except ImportError as e:  # not a failure of the model: the test is skipped
    print(f"onnx_run_torch: {e}", file=sys.stderr)
    sys.exit(77)


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def split_pads(pads, nd):
    """ONNX pads (begins then ends) as a symmetric padding, or None."""
    begin, end = list(pads[:nd]), list(pads[nd:])
    return tuple(begin) if begin == end else None


def pad_input(x, pads, value):
    """Asymmetric ONNX pads applied with F.pad (last dim first)."""
    nd = len(pads) // 2
    spec = []
    for d in reversed(range(nd)):
        spec += [pads[d], pads[nd + d]]
    return F.pad(x, spec, value=value)


def window(a, x, value):
    """kernel, stride, padding of a 2-D window op; x padded if asymmetric."""
    k = tuple(a["kernel_shape"])
    s = tuple(a.get("strides", [1] * len(k)))
    pads = a.get("pads", [0] * 2 * len(k))
    sym = split_pads(pads, len(k))
    if sym is None:
        x, sym = pad_input(x, pads, value), (0,) * len(k)
    if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise ValueError("auto_pad is not supported by this interpreter")
    return x, k, s, sym


def run_node(n, env):
    a = attrs(n)
    x = [env[i] if i else None for i in n.input]
    op = n.op_type
    if op == "Conv":
        k = len(x[1].shape) - 2
        pads = a.get("pads", [0] * 2 * k)
        inp, sym = x[0], split_pads(pads, k)
        if sym is None:
            inp, sym = pad_input(inp, pads, 0.0), (0,) * k
        return F.conv2d(inp, x[1], x[2] if len(x) > 2 else None,
                        stride=tuple(a.get("strides", [1] * k)), padding=sym,
                        dilation=tuple(a.get("dilations", [1] * k)), groups=a.get("group", 1))
    if op == "Gemm":
        A, B = x[0], x[1]
        if a.get("transA", 0):
            A = A.t()
        if a.get("transB", 0):
            B = B.t()
        y = a.get("alpha", 1.0) * (A @ B)
        if len(x) > 2 and x[2] is not None:
            y = y + a.get("beta", 1.0) * x[2]
        return y
    if op == "BatchNormalization":
        return F.batch_norm(x[0], x[3], x[4], x[1], x[2], training=False,
                            eps=a.get("epsilon", 1e-5))
    if op == "Relu":
        return F.relu(x[0])
    if op == "LeakyRelu":
        return F.leaky_relu(x[0], a.get("alpha", 0.01))
    if op == "Sigmoid":
        return torch.sigmoid(x[0])
    if op == "Tanh":
        return torch.tanh(x[0])
    if op == "Clip":
        lo = x[1] if len(x) > 1 and x[1] is not None else None
        hi = x[2] if len(x) > 2 and x[2] is not None else None
        return torch.clamp(x[0], min=None if lo is None else float(lo),
                           max=None if hi is None else float(hi))
    if op == "MaxPool":
        inp, k, s, p = window(a, x[0], float("-inf"))
        if a.get("dilations", [1, 1]) != [1, 1]:
            raise ValueError("MaxPool dilations are not supported by this interpreter")
        return F.max_pool2d(inp, k, s, p, ceil_mode=bool(a.get("ceil_mode", 0)))
    if op == "AveragePool":
        inp, k, s, p = window(a, x[0], 0.0)
        return F.avg_pool2d(inp, k, s, p, ceil_mode=bool(a.get("ceil_mode", 0)),
                            count_include_pad=bool(a.get("count_include_pad", 0)))
    if op == "GlobalAveragePool":
        return x[0].mean(dim=tuple(range(2, x[0].dim())), keepdim=True)
    if op == "Flatten":
        ax = a.get("axis", 1)
        return x[0].reshape(int(np.prod(x[0].shape[:ax])), -1)
    if op == "Reshape":
        shape = [int(v) for v in x[1].tolist()]
        shape = [x[0].shape[i] if v == 0 and not a.get("allowzero", 0) else v
                 for i, v in enumerate(shape)]
        return x[0].reshape(shape)
    if op == "Add":
        return x[0] + x[1]
    if op == "Mul":
        return x[0] * x[1]
    if op == "Concat":
        return torch.cat(x, dim=a["axis"])
    if op == "Softmax":
        return F.softmax(x[0], dim=a.get("axis", -1))
    if op in ("Dropout", "Identity"):  # inference: the identity
        return x[0]
    raise ValueError(f"node {n.name!r}: operator {op} is not known to this interpreter")


def run(model, X):
    g = model.graph
    env = {t.name: torch.from_numpy(onnx.numpy_helper.to_array(t).copy()) for t in g.initializer}
    inputs = [i for i in g.input if i.name not in env]
    if len(inputs) != 1:
        raise ValueError(f"{len(inputs)} graph inputs, expected 1")
    dims = [d.dim_value for d in inputs[0].type.tensor_type.shape.dim]
    X = X.reshape([X.shape[0]] + dims[1:]).astype(np.float32)
    env[inputs[0].name] = torch.from_numpy(X)
    with torch.no_grad():
        for n in g.node:
            y = run_node(n, env)
            env[n.output[0]] = y
    return env[g.output[0].name].numpy()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("x")
    ap.add_argument("--expect")
    ap.add_argument("--tol", type=float, default=1e-5)
    ap.add_argument("--out")
    o = ap.parse_args()
    m = onnx.load(o.model)
    try:
        onnx.checker.check_model(m, full_check=True)
        inf = onnx.shape_inference.infer_shapes(m, check_type=True, strict_mode=True)
    except Exception as e:  # the checker's own exception types vary by version
        print(f"{o.model}: the ONNX checker refuses it: {e}")
        return 1
    declared = [d.dim_param or d.dim_value for d in m.graph.output[0].type.tensor_type.shape.dim]
    inferred = [d.dim_param or d.dim_value for d in inf.graph.output[0].type.tensor_type.shape.dim]
    if declared != inferred:
        print(f"{o.model}: output shape {declared}, but shape inference gives {inferred}")
        return 1
    print(f"{o.model}: checker and shape inference pass (ir_version {m.ir_version}, "
          f"opset {m.opset_import[0].version}, {len(m.graph.node)} nodes, output {declared})")
    X = np.load(o.x)
    Y = run(m, X)
    if o.out:
        np.save(o.out, Y)
    if o.expect:
        E = np.load(o.expect)
        if E.size != Y.size or E.shape[0] != Y.shape[0]:
            print(f"{o.model}: ramp's output is {E.shape}, torch's {Y.shape}")
            return 1
        E = E.reshape(Y.shape)  # same rows and size: ramp's N×K beside ONNX's N×K(×1×1)
        diff = float(np.max(np.abs(E.astype(np.float64) - Y))) if Y.size else 0.0
        print(f"{o.model}: torch vs ramp over {Y.shape}: max |diff| {diff:.3g} (tol {o.tol:g})")
        if not diff <= o.tol:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
