#!/usr/bin/python3
"""gen_onnx_fixtures.py — ONNX models and PyTorch outputs for tests/test_onnx.c.

Run with Debian's python3 (torch 1.13, python3-onnx):
    /usr/bin/python3 tests/gen_onnx_fixtures.py
Writes into tests/fixtures/onnx/, for each network NAME below:
  NAME.onnx       torch.onnx.export of the network (random weights, batch
                  norms with non-trivial statistics), opset 13
  NAME_x.npy      its input, float32 (N, C·H·W)
  NAME_y.npy      PyTorch's output in eval mode, float32 (N, K)
The networks (input 3×16×16 unless said, batch 2):
  vgg        conv-BN-ReLU ×2, max pool, conv-BN-ReLU, average pool, flatten,
             Linear, LeakyReLU, Dropout, Linear; exported in eval mode, so
             torch folds each BN into its conv
  resnet     stem conv-BN-ReLU, max pool 3/2/1, two basic blocks (the second
             with a strided 1×1 projection), global average pool, flatten,
             Linear, Softmax; exported with TrainingMode.TRAINING and no
             constant folding, so BatchNormalization nodes remain (with
             training_mode=1 and their extra running-statistics outputs)
  mobilenet  MobileNetV2-shaped: ReLU6 (Clip), inverted residuals with
             depthwise convs, a squeeze-excitation gate (Sigmoid, Mul), a
             dilated conv, a channel Concat, global average pool, Linear
  small_opset9  input 3×8×8, opset 9: conv-BN-ReLU6 (Clip with attribute
             bounds), max pool, flatten, Linear, Softmax
  mlp        input 1×4×4: x.reshape(N, -1), x @ W + b (MatMul + Add), Sigmoid,
             Linear without transB (a Gemm with transB=0 via onnx.helper)
  vgg_symbolic.onnx  vgg.onnx with the input's N, H and W symbolic
  view_flatten  input 3×8×8: conv-ReLU, max pool, x.view(x.size(0), -1),
             Linear; exported with a dynamic batch, so the flatten is a
             Shape, Gather, Unsqueeze, Concat, Reshape chain (Unsqueeze's
             axes an input)
  view_flatten_opset11  the same with x.reshape(x.shape[0], -1), opset 11
             (Unsqueeze's axes an attribute)
  view_product  the same with x.view(-1, x.size(1) * x.size(2) * x.size(3))
             (Gathers multiplied)
  shape_ops  (onnx.helper, input 3×4×4) a flatten whose shape is taken apart
             and put back with Slice, Squeeze, Cast, Gather, Mul, Unsqueeze
             and Concat; its output is its input
  bad_view_3d.onnx, bad_view_gather1.onnx  the same net exported with
             x.view(x.size(0), x.size(1), -1) then torch.flatten, and with
             x.view(x.size(1), -1): reshapes that are no flatten
And hand-made graphs (onnx.helper):
  names.onnx         node names with a space and a tab, a clash once cleaned,
                     70 bytes
  unsupported.onnx   Resize and LSTM nodes beside supported ones
  bad_attr.onnx      Conv strides given as a float
  bad_missing.onnx   Conv weights named but defined nowhere
  bad_shape.onnx     Gemm weights of the wrong size
  bad_external.onnx  weights kept in an external file
  bad_int_weights.onnx  Conv weights of type int64
  bad_pads, bad_avg_pad, bad_ceil, bad_reshape, bad_domain, bad_softmax.onnx:
                     asymmetric pads, count_include_pad=0 with padding, a
                     ceil_mode that changes the size, a reshape that is no
                     flatten, an operator of another domain, a softmax over
                     a 4-D tensor
  bad_batch_mul, bad_shape_read.onnx: a Shape's batch size multiplied, a
                     Shape read by a Relu
"""
import os

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "onnx")
OPSET = 13


def randomize_bn(m, g):
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            c = mod.num_features
            mod.weight.data = torch.rand(c, generator=g) + 0.5
            mod.bias.data = torch.randn(c, generator=g) * 0.2
            mod.running_mean.data = torch.randn(c, generator=g) * 0.3
            mod.running_var.data = torch.rand(c, generator=g) + 0.5


def cbr(cin, cout, k=3, s=1, p=1):
    return [nn.Conv2d(cin, cout, k, s, p), nn.BatchNorm2d(cout), nn.ReLU()]


class VGG(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(*cbr(3, 8), *cbr(8, 8), nn.MaxPool2d(2),
                                      *cbr(8, 16), nn.AvgPool2d(2))
        self.classifier = nn.Sequential(nn.Linear(16 * 4 * 4, 24), nn.LeakyReLU(0.1),
                                        nn.Dropout(0.3), nn.Linear(24, 10))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


class Basic(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                      nn.BatchNorm2d(cout))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + (self.down(x) if self.down is not None else x))


class ResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 1, 1, bias=False), nn.BatchNorm2d(8),
                                  nn.ReLU(), nn.MaxPool2d(3, 2, 1))
        self.layer1 = Basic(8, 8, 1)
        self.layer2 = Basic(8, 16, 2)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.layer2(self.layer1(self.stem(x)))
        x = torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)
        return torch.softmax(self.fc(x), 1)


class InvRes(nn.Module):
    def __init__(self, cin, cout, stride, t):
        super().__init__()
        h = cin * t
        self.use_res = stride == 1 and cin == cout
        self.body = nn.Sequential(nn.Conv2d(cin, h, 1, bias=False), nn.BatchNorm2d(h), nn.ReLU6(),
                                  nn.Conv2d(h, h, 3, stride, 1, groups=h, bias=False),
                                  nn.BatchNorm2d(h), nn.ReLU6(),
                                  nn.Conv2d(h, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.body(x)
        return x + y if self.use_res else y


class SE(nn.Module):
    def __init__(self, c, r):
        super().__init__()
        self.fc1 = nn.Conv2d(c, r, 1)
        self.fc2 = nn.Conv2d(r, c, 1)

    def forward(self, x):
        s = nn.functional.adaptive_avg_pool2d(x, 1)
        s = torch.sigmoid(self.fc2(torch.relu(self.fc1(s))))
        return x * s


class MobileNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8),
                                  nn.ReLU6())
        self.b1 = InvRes(8, 8, 1, 2)
        self.b2 = InvRes(8, 12, 2, 2)
        self.se = SE(12, 4)
        self.dil = nn.Conv2d(12, 4, 3, 1, 2, dilation=2)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.se(self.b2(self.b1(self.stem(x))))
        x = torch.cat([x, torch.relu(self.dil(x))], 1)
        x = torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)
        return self.fc(x)


class MLP(nn.Module):
    def __init__(self, g):
        super().__init__()
        self.w = nn.Parameter(torch.randn(16, 12, generator=g) * 0.3)
        self.b = nn.Parameter(torch.randn(12, generator=g) * 0.1)
        self.fc = nn.Linear(12, 5)

    def forward(self, x):
        x = x.reshape(x.shape[0], -1)
        return self.fc(torch.sigmoid(x @ self.w + self.b))


class Small9(nn.Module):
    """For opset 9: Clip's bounds as attributes, Softmax's 2-D coercion."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 6, 3, 1, 1), nn.BatchNorm2d(6), nn.ReLU6(),
                                  nn.MaxPool2d(2), nn.Flatten(), nn.Linear(6 * 4 * 4, 5),
                                  nn.Softmax(1))

    def forward(self, x):
        return self.body(x)


class ViewNet(nn.Module):
    """A flatten written with the input's sizes (mode), as many classifiers do."""

    def __init__(self, mode):
        super().__init__()
        self.mode = mode
        self.conv = nn.Conv2d(3, 4, 3, 1, 1)
        self.fc = nn.Linear(32 if mode == "gather1" else 64, 5)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv(x)), 2)
        if self.mode == "view":
            x = x.view(x.size(0), -1)
        elif self.mode == "reshape":
            x = x.reshape(x.shape[0], -1)
        elif self.mode == "product":
            x = x.view(-1, x.size(1) * x.size(2) * x.size(3))
        elif self.mode == "3d":
            x = torch.flatten(x.view(x.size(0), x.size(1), -1), 1)
        else:  # gather1
            x = x.view(x.size(1), -1)
        return self.fc(x)


def save_io(name, x, y):
    np.save(os.path.join(OUT, name + "_x.npy"), x.reshape(x.shape[0], -1).numpy().astype("<f4"))
    np.save(os.path.join(OUT, name + "_y.npy"), y.numpy().astype("<f4"))


def export(name, model, shape, g, opset=OPSET, **kw):
    randomize_bn(model, g)
    model.eval()
    x = torch.randn(2, *shape, generator=g)
    path = os.path.join(OUT, name + ".onnx")
    torch.onnx.export(model, x, path, opset_version=opset, input_names=["input"],
                      output_names=["output"], **kw)
    # a training-mode export runs the model in training mode, which moves the
    # batch norms' running statistics: the output is taken after, from the
    # weights the file holds
    model.eval()
    with torch.no_grad():
        y = model(x)
    save_io(name, x, y)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    for k, v in model.state_dict().items():
        if k in inits:
            assert np.array_equal(inits[k], v.numpy()), k
    ops = sorted({n.op_type for n in m.graph.node})
    print(f"{name}: {os.path.getsize(path)} bytes, ops {', '.join(ops)}")
    return m


def mlp_gemm_notrans(g):
    """The MLP's Linear rewritten as Gemm(transB=0) with W transposed."""
    path = os.path.join(OUT, "mlp.onnx")
    m = onnx.load(path)
    inits = {t.name: t for t in m.graph.initializer}
    for n in m.graph.node:
        if n.op_type == "Gemm":
            for a in n.attribute:
                if a.name == "transB" and a.i == 1:
                    a.i = 0
                    t = inits[n.input[1]]
                    w = numpy_helper.to_array(t).T.copy()
                    t.CopyFrom(numpy_helper.from_array(w, t.name))
    onnx.checker.check_model(m)
    onnx.save(m, path)


def symbolic():
    """vgg.onnx with the input's N, H and W left open (dim_param)."""
    m = onnx.load(os.path.join(OUT, "vgg.onnx"))
    dims = m.graph.input[0].type.tensor_type.shape.dim
    for i, name in ((0, "N"), (2, "H"), (3, "W")):
        dims[i].dim_param = name
    onnx.save(m, os.path.join(OUT, "vgg_symbolic.onnx"))


def hand_made():
    def conv_graph(w, attrs=None, extra_nodes=(), extra_inits=(), name="g", out_c=4):
        x = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 8, 8])
        y = helper.make_tensor_value_info("output", TensorProto.FLOAT, None)
        nodes = [helper.make_node("Conv", ["input", "W"], ["c"], name="conv1", **(attrs or {})),
                 helper.make_node("Relu", ["c"], ["r"], name="relu1"),
                 helper.make_node("Flatten", ["r"], ["output"], name="flat")]
        nodes[2:2] = list(extra_nodes)
        inits = ([w] if w is not None else []) + list(extra_inits)
        g = helper.make_graph(nodes, name, [x], [y], inits)
        return helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)])

    w = numpy_helper.from_array(np.ones((4, 3, 3, 3), np.float32) * 0.1, "W")
    # unsupported operators: Resize and LSTM (each named with a node using it)
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 8, 8])
    y = helper.make_tensor_value_info("output", TensorProto.FLOAT, None)
    nodes = [helper.make_node("Conv", ["input", "W"], ["c"], name="conv1"),
             helper.make_node("Resize", ["c", "", "scales"], ["u"], name="/up/Resize"),
             helper.make_node("Resize", ["u", "", "scales"], ["u2"], name="/up2/Resize"),
             helper.make_node("LSTM", ["u2", "Wl", "Rl"], ["output"], name="lstm_1",
                              hidden_size=2)]
    inits = [w, numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales"),
             numpy_helper.from_array(np.zeros((1, 8, 16), np.float32), "Wl"),
             numpy_helper.from_array(np.zeros((1, 8, 2), np.float32), "Rl")]
    m = helper.make_model(helper.make_graph(nodes, "unsupported", [x], [y], inits),
                          opset_imports=[helper.make_opsetid("", OPSET)])
    onnx.save(m, os.path.join(OUT, "unsupported.onnx"))

    # strides as a float
    m = conv_graph(w)
    m.graph.node[0].attribute.append(helper.make_attribute("strides", [1.0, 1.0]))
    onnx.save(m, os.path.join(OUT, "bad_attr.onnx"))
    # weights defined nowhere
    onnx.save(conv_graph(None), os.path.join(OUT, "bad_missing.onnx"))
    # Gemm weights of the wrong size (the flatten gives 4·6·6 = 144 inputs)
    gw = numpy_helper.from_array(np.ones((10, 100), np.float32), "G")
    m = conv_graph(w)
    m.graph.node.append(helper.make_node("Gemm", ["output", "G"], ["logits"], name="fc",
                                         transB=1))
    m.graph.output[0].name = "logits"
    m.graph.initializer.append(gw)
    onnx.save(m, os.path.join(OUT, "bad_shape.onnx"))
    # weights in an external file
    m = conv_graph(w)
    t = m.graph.initializer[0]
    t.ClearField("raw_data")
    t.ClearField("float_data")
    t.data_location = TensorProto.EXTERNAL
    t.external_data.add(key="location", value="weights.bin")
    onnx.save(m, os.path.join(OUT, "bad_external.onnx"))
    # int64 weights
    wi = numpy_helper.from_array(np.ones((4, 3, 3, 3), np.int64), "W")
    onnx.save(conv_graph(wi), os.path.join(OUT, "bad_int_weights.onnx"))


def refusals():
    """One small graph per refusal the importer names (bad_<what>.onnx)."""
    def save(name, nodes, inits=(), out="output"):
        x = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 8, 8])
        y = helper.make_tensor_value_info(out, TensorProto.FLOAT, None)
        g = helper.make_graph(nodes, name, [x], [y], list(inits))
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)])
        onnx.save(m, os.path.join(OUT, name + ".onnx"))

    w = numpy_helper.from_array(np.full((4, 3, 3, 3), 0.1, np.float32), "W")
    flat = helper.make_node("Flatten", ["p"], ["output"], name="flat")
    save("bad_pads", [helper.make_node("Conv", ["input", "W"], ["p"], name="conv1",
                                       pads=[0, 0, 1, 1]), flat], [w])
    save("bad_avg_pad", [helper.make_node("AveragePool", ["input"], ["p"], name="pool1",
                                          kernel_shape=[3, 3], pads=[1, 1, 1, 1]), flat])
    save("bad_ceil", [helper.make_node("MaxPool", ["input"], ["p"], name="pool1",
                                       kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1), flat])
    shape = numpy_helper.from_array(np.array([1, 3, 64], np.int64), "shape")
    save("bad_reshape", [helper.make_node("Reshape", ["input", "shape"], ["output"],
                                          name="reshape1")], [shape])
    save("bad_domain", [helper.make_node("FusedConv", ["input", "W"], ["p"], name="fc1",
                                         domain="com.microsoft"), flat], [w])
    save("bad_softmax", [helper.make_node("Softmax", ["input"], ["s"], name="sm", axis=1),
                         helper.make_node("Flatten", ["s"], ["output"], name="flat")])
    # shapes evaluated at import: the batch size multiplied; a shape read as
    # a layer's input
    i64 = [numpy_helper.from_array(np.array(0, np.int64), "zero"),
           numpy_helper.from_array(np.array([-1], np.int64), "minus1")]
    save("bad_batch_mul", [helper.make_node("Shape", ["input"], ["s"], name="shape1"),
                           helper.make_node("Gather", ["s", "zero"], ["n"], name="gather1"),
                           helper.make_node("Mul", ["n", "n"], ["n2"], name="mul1"),
                           helper.make_node("Unsqueeze", ["n2", "zero1"], ["u"], name="unsq1"),
                           helper.make_node("Concat", ["u", "minus1"], ["c"], name="cat1",
                                            axis=0),
                           helper.make_node("Reshape", ["input", "c"], ["output"],
                                            name="reshape1")],
         i64 + [numpy_helper.from_array(np.array([0], np.int64), "zero1")])
    save("bad_shape_read", [helper.make_node("Shape", ["input"], ["s"], name="shape1"),
                            helper.make_node("Relu", ["s"], ["output"], name="relu1")])


def shape_ops():
    """shape_ops.onnx: (N, C·H·W) built from Shape with every evaluated operator."""
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 4, 4])
    y = helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 48])

    def c(name, v):
        return numpy_helper.from_array(np.array(v, np.int64), name)

    inits = [c("b0", [0]), c("e1", [1]), c("b1", [1]), c("big", [2 ** 62]), c("ax0", [0]),
             c("i0", 0), c("i1", 1), c("i2", 2)]
    mk = helper.make_node
    nodes = [mk("Shape", ["input"], ["s"], name="shape1"),
             mk("Slice", ["s", "b0", "e1"], ["n1"], name="slice_n"),
             mk("Squeeze", ["n1", "ax0"], ["n"], name="squeeze_n"),
             mk("Cast", ["n"], ["nc"], name="cast_n", to=TensorProto.INT64),
             mk("Unsqueeze", ["nc", "ax0"], ["nu"], name="unsq_n"),
             mk("Slice", ["s", "b1", "big", "ax0"], ["chw"], name="slice_chw"),
             mk("Gather", ["chw", "i0"], ["c"], name="gather_c"),
             mk("Gather", ["chw", "i1"], ["h"], name="gather_h"),
             mk("Gather", ["chw", "i2"], ["w"], name="gather_w"),
             mk("Mul", ["c", "h"], ["ch"], name="mul_ch"),
             mk("Mul", ["ch", "w"], ["f"], name="mul_f"),
             mk("Unsqueeze", ["f", "ax0"], ["fu"], name="unsq_f"),
             mk("Concat", ["nu", "fu"], ["shape"], name="cat", axis=0),
             mk("Reshape", ["input", "shape"], ["output"], name="flat")]
    m = helper.make_model(helper.make_graph(nodes, "shape_ops", [x], [y], inits),
                          opset_imports=[helper.make_opsetid("", OPSET)])
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(OUT, "shape_ops.onnx"))
    xs = np.random.default_rng(16).standard_normal((2, 48)).astype("<f4")
    np.save(os.path.join(OUT, "shape_ops_x.npy"), xs)
    np.save(os.path.join(OUT, "shape_ops_y.npy"), xs)


def names():
    """names.onnx: node names the engine cannot take as they are."""
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 8, 8])
    y = helper.make_tensor_value_info("output", TensorProto.FLOAT, None)
    w = numpy_helper.from_array(np.full((4, 3, 3, 3), 0.1, np.float32), "W")
    nodes = [helper.make_node("Conv", ["input", "W"], ["c"], name="my conv\t1"),
             helper.make_node("Relu", ["c"], ["r"], name="my_conv_1"),
             helper.make_node("Flatten", ["r"], ["output"], name="f" * 70)]
    g = helper.make_graph(nodes, "names", [x], [y], [w])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)]),
              os.path.join(OUT, "names.onnx"))


def main():
    os.makedirs(OUT, exist_ok=True)
    g = torch.Generator().manual_seed(20261204)
    torch.manual_seed(20261204)
    export("vgg", VGG(), (3, 16, 16), g)
    export("resnet", ResNet(), (3, 16, 16), g, training=torch.onnx.TrainingMode.TRAINING,
           do_constant_folding=False)
    export("mobilenet", MobileNet(), (3, 16, 16), g)
    export("mlp", MLP(g), (1, 4, 4), g)
    export("small_opset9", Small9(), (3, 8, 8), g, opset=9)
    mlp_gemm_notrans(g)
    symbolic()
    hand_made()
    refusals()
    names()
    dyn = {"dynamic_axes": {"input": {0: "N"}, "output": {0: "N"}}}
    export("view_flatten", ViewNet("view"), (3, 8, 8), g, **dyn)
    export("view_flatten_opset11", ViewNet("reshape"), (3, 8, 8), g, opset=11, **dyn)
    export("view_product", ViewNet("product"), (3, 8, 8), g, **dyn)
    shape_ops()
    for mode in ("3d", "gather1"):
        torch.onnx.export(ViewNet(mode).eval(), torch.randn(2, 3, 8, 8, generator=g),
                          os.path.join(OUT, f"bad_view_{mode}.onnx"), opset_version=OPSET,
                          input_names=["input"], output_names=["output"], **dyn)


if __name__ == "__main__":
    main()
