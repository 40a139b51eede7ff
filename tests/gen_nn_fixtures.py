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
