#!/usr/bin/python3
"""gen_nn_fixtures.py — PyTorch reference tensors for tests/test_nn_torch.c.

Run with Debian's python3 (torch 1.13):  /usr/bin/python3 tests/gen_nn_fixtures.py
Writes tests/fixtures/nn/small_cnn.bin: u32 array count, then per array
u32 n and n float32 values (little-endian), in the order listed in ORDER.

The network (ramp layer ids in brackets), input 2x6x6, batch 4:
  [1] conv 2->4 k3 p1 + bias, [2] BN, [3] ReLU,
  [4] conv 4->4 k3 p1 no bias, [5] BN, [6] add [3], [7] ReLU,
  [8] maxpool 2, [9] flatten, [10] dense 36->5.
Loss: cross-entropy with label smoothing 0.1, mean over the batch.

It also writes tests/fixtures/nn/import_ops.bin (same format, order
IMPORT_ORDER): a MobileNetV2-style block of the layers ONNX import needs,
input 3x7x7, batch 4:
  [1] conv 3->8 k1 + bias, [2] ReLU6 (clip 0..6),
  [3] depthwise conv 8->8 k3 p2 dilation 2 (groups 8, no bias), [4] ReLU6,
  [5] global avg pool, [6] dense 8->4, [7] ReLU, [8] dense 4->8, [9] sigmoid,
  [10] mul [4] x [9] (squeeze-excitation: a gate per channel),
  [11] conv 8->4 k1 no bias, [12] from [2]: conv 8->6 k3 p3 dilation 3,
  [13] concat [12] then [11] (10 channels), [14] clip -1..1,
  [15] global avg pool, [16] dense 10->5.
"""
import os
import struct

import torch
import torch.nn as nn

torch.manual_seed(1234)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(2, 4, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(4)
        self.fc = nn.Linear(36, 5)

    def forward(self, x):
        a = torch.relu(self.bn1(self.conv1(x)))
        b = self.bn2(self.conv2(a))
        c = torch.relu(b + a)
        return self.fc(torch.flatten(nn.functional.max_pool2d(c, 2), 1))


net = Net().double()
with torch.no_grad():  # non-trivial affine BN parameters
    for bn in (net.bn1, net.bn2):
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.5, 0.5)
x = torch.randn(4, 2, 6, 6, dtype=torch.float64)
y = torch.tensor([0, 3, 1, 4])
params = [net.conv1.weight, net.conv1.bias, net.bn1.weight, net.bn1.bias,
          net.conv2.weight, net.bn2.weight, net.bn2.bias, net.fc.weight, net.fc.bias]

net.train()
logits = net(x)
loss = nn.functional.cross_entropy(logits, y, label_smoothing=0.1)
loss.backward()
net.eval()
with torch.no_grad():
    probs_eval = torch.softmax(net(x), 1)

ORDER = (["x", "y"] + ["param%d" % i for i in range(len(params))] + ["logits", "loss"]
         + ["grad%d" % i for i in range(len(params))]
         + ["bn1_rmean", "bn1_rvar", "bn2_rmean", "bn2_rvar", "probs_eval"])
arrays = ([x, y.double()] + [p.detach() for p in params] + [logits.detach(), loss.detach().reshape(1)]
          + [p.grad for p in params]
          + [net.bn1.running_mean, net.bn1.running_var, net.bn2.running_mean, net.bn2.running_var,
             probs_eval])
assert len(arrays) == len(ORDER)

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "nn", "small_cnn.bin")
with open(out, "wb") as f:
    f.write(struct.pack("<I", len(arrays)))
    for a in arrays:
        v = a.flatten().float().tolist()
        f.write(struct.pack("<I", len(v)))
        f.write(struct.pack("<%df" % len(v), *v))
print("wrote", out, os.path.getsize(out), "bytes")


# --- the import ops (tests/test_nn_torch.c, test_torch_import_*) -----------

class ImportNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.expand = nn.Conv2d(3, 8, 1)
        self.dw = nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=8, bias=False)
        self.se1 = nn.Linear(8, 4)
        self.se2 = nn.Linear(4, 8)
        self.proj = nn.Conv2d(8, 4, 1, bias=False)
        self.side = nn.Conv2d(8, 6, 3, padding=3, dilation=3)
        self.fc = nn.Linear(10, 5)

    def forward(self, x):
        e = nn.functional.hardtanh(self.expand(x), 0.0, 6.0)  # ReLU6: gradient where 0 < x < 6
        d = nn.functional.hardtanh(self.dw(e), 0.0, 6.0)
        g = torch.sigmoid(self.se2(torch.relu(self.se1(d.mean((2, 3))))))
        p = self.proj(d * g[:, :, None, None])
        c = nn.functional.hardtanh(torch.cat([self.side(e), p], 1), -1.0, 1.0)
        return self.fc(c.mean((2, 3)))


inet = ImportNet().double()
with torch.no_grad():  # values on both sides of ReLU6's bounds
    inet.expand.weight.mul_(6.0)
    inet.dw.weight.mul_(3.0)
xi = torch.randn(4, 3, 7, 7, dtype=torch.float64)
yi = torch.tensor([2, 0, 4, 1])
iparams = [inet.expand.weight, inet.expand.bias, inet.dw.weight, inet.se1.weight, inet.se1.bias,
           inet.se2.weight, inet.se2.bias, inet.proj.weight, inet.side.weight, inet.side.bias,
           inet.fc.weight, inet.fc.bias]
ilogits = inet(xi)
iloss = nn.functional.cross_entropy(ilogits, yi, label_smoothing=0.1)
iloss.backward()
with torch.no_grad():
    iprobs = torch.softmax(inet(xi), 1)

IMPORT_ORDER = (["x", "y"] + ["param%d" % i for i in range(len(iparams))] + ["logits", "loss"]
                + ["grad%d" % i for i in range(len(iparams))] + ["probs_eval"])
iarrays = ([xi, yi.double()] + [p.detach() for p in iparams]
           + [ilogits.detach(), iloss.detach().reshape(1)] + [p.grad for p in iparams] + [iprobs])
assert len(iarrays) == len(IMPORT_ORDER)
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "nn", "import_ops.bin")
with open(out, "wb") as f:
    f.write(struct.pack("<I", len(iarrays)))
    for a in iarrays:
        v = a.flatten().float().tolist()
        f.write(struct.pack("<I", len(v)))
        f.write(struct.pack("<%df" % len(v), *v))
print("wrote", out, os.path.getsize(out), "bytes")
