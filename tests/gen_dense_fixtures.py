#!/usr/bin/python3
"""gen_dense_fixtures.py — PyTorch references for tests/test_nn_dense.c: the
layers and losses of segmentation and detection nets.

Run with Debian's python3 (torch 1.13):  /usr/bin/python3 tests/gen_dense_fixtures.py
Each file is: u32 array count, then per array u32 n and n float32 values
(little-endian), in the order the docstring of each part lists.

tests/fixtures/nn/seg_net.bin — a small U-Net-like net, input 3x6x6, batch 3,
per-pixel cross-entropy (ignore_index=255), in double:
  [1] conv 3->4 k3 p1, [2] ReLU, [3] maxpool 3 (-> 4x2x2), [4] conv 4->4 k3 p1,
  [5] upsample x3 bilinear (align_corners=False) (-> 4x6x6), [6] concat [5] then [2],
  [7] conv_transpose 8->5 k3 s2 p1 output_padding 1 (-> 5x12x12), [8] ReLU,
  [9] maxpool 4 (-> 5x3x3), [10] upsample x2 nearest (-> 5x6x6), [11] conv 5->3 k1.
  Arrays: x, mask (as floats), 8 parameters (conv1 w, b, conv4 w, b, deconv7
  w (I x O x K x K), b, conv11 w, b), logits, loss, the 8 gradients, then
  the per-pixel softmax probabilities.

tests/fixtures/nn/centernet.bin — the CenterNet loss on given logits, twice:
  case A: boxes, K = 2, offsets, output 6x4x4 at stride 4 (input 16x16),
    batch 2, size_weight 0.1, offset_weight 1, min_overlap 0.7;
  case B: circles, K = 1, no offsets, output 2x5x5 at stride 2 (input 10x10),
    batch 2, size_weight 0.5.
  Per case: logits, objects (rows of cls, x0|x, y0|y, x1|r, y1|0), obj_off
  (n + 1), loss, d loss / d logits (autograd).
  The targets are rendered here from the documented rule (include/ramp/nn.h):
  Gaussian peaks of CornerNet's radius at the centre cells, sizes in output
  cells, offsets = centre / stride - cell.
"""
import math
import os
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(4321)
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "nn")


def write(name, arrays):
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(struct.pack("<I", len(arrays)))
        for a in arrays:
            v = np.asarray(a, dtype=np.float64).reshape(-1).astype(np.float32)
            f.write(struct.pack("<I", len(v)))
            f.write(v.tobytes())


# --- segmentation net --------------------------------------------------------

class Seg(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 4, 3, padding=1)
        self.c4 = nn.Conv2d(4, 4, 3, padding=1)
        self.d7 = nn.ConvTranspose2d(8, 5, 3, stride=2, padding=1, output_padding=1)
        self.c11 = nn.Conv2d(5, 3, 1)

    def forward(self, x):
        a = torch.relu(self.c1(x))
        b = self.c4(F.max_pool2d(a, 3))
        u = F.interpolate(b, scale_factor=3, mode="bilinear", align_corners=False)
        c = torch.cat([u, a], 1)
        d = torch.relu(self.d7(c))
        e = F.interpolate(F.max_pool2d(d, 4), scale_factor=2, mode="nearest")
        return self.c11(e)


seg = Seg().double()
x = torch.randn(3, 3, 6, 6, dtype=torch.float64)
mask = torch.randint(0, 3, (3, 6, 6))
mask[0, 0, :] = 255
mask[2, 3, 1:4] = 255
params = [seg.c1.weight, seg.c1.bias, seg.c4.weight, seg.c4.bias, seg.d7.weight, seg.d7.bias,
          seg.c11.weight, seg.c11.bias]
logits = seg(x)
loss = F.cross_entropy(logits, mask, ignore_index=255)
loss.backward()
probs = torch.softmax(logits, 1)
write("seg_net.bin", [x.detach().numpy(), mask.numpy()] + [p.detach().numpy() for p in params] +
      [logits.detach().numpy(), [loss.item()]] + [p.grad.numpy() for p in params] +
      [probs.detach().numpy()])


# --- CenterNet loss ------------------------------------------------------------

def radius(h, w, mo):
    """CornerNet's three-case bound on how far corners may move (as nn.h states)."""
    b1 = h + w
    c1 = w * h * (1 - mo) / (1 + mo)
    r1 = (b1 + math.sqrt(max(0.0, b1 * b1 - 4 * c1))) / 2
    b2 = 2 * (h + w)
    c2 = (1 - mo) * w * h
    r2 = (b2 + math.sqrt(max(0.0, b2 * b2 - 16 * c2))) / 2
    a3 = 4 * mo
    b3 = -2 * mo * (h + w)
    c3 = (mo - 1) * w * h
    r3 = (b3 + math.sqrt(max(0.0, b3 * b3 - 4 * a3 * c3))) / 2
    return min(r1, r2, r3)


def targets(objs, off, n, K, H, W, sx, sy, circle, mo):
    heat = np.zeros((n, K, H, W))
    regs = []  # (sample, cell row, col, size targets, offset targets)
    for i in range(n):
        for o in objs[off[i]:off[i + 1]]:
            cls = int(o[0])
            if circle:
                cx, cy, bw, bh = o[1], o[2], 2 * o[3], 2 * o[3]
            else:
                cx, cy, bw, bh = (o[1] + o[3]) / 2, (o[2] + o[4]) / 2, o[3] - o[1], o[4] - o[2]
            gx, gy = cx / sx, cy / sy
            if not (0 <= gx < W and 0 <= gy < H):
                continue
            j, r0 = int(gx), int(gy)
            size = [o[3] / ((sx + sy) / 2)] if circle else [bw / sx, bh / sy]
            regs.append((i, r0, j, size, [gx - j, gy - r0]))
            gw, gh = (2 * size[0], 2 * size[0]) if circle else (size[0], size[1])
            rad = max(0, int(radius(gh, gw, mo)))
            sig = (2 * rad + 1) / 6
            for di in range(-rad, rad + 1):
                for dj in range(-rad, rad + 1):
                    yy, xx = r0 + di, j + dj
                    if 0 <= yy < H and 0 <= xx < W:
                        g = math.exp(-(di * di + dj * dj) / (2 * sig * sig))
                        heat[i, cls, yy, xx] = max(heat[i, cls, yy, xx], g)
    return heat, regs


def centernet_loss(z, objs, off, K, circle, offset, in_hw, sw, ow, mo):
    n, C, H, W = z.shape
    sx, sy = in_hw[1] / W, in_hw[0] / H
    heat, regs = targets(objs, off, n, K, H, W, sx, sy, circle, mo)
    t = torch.tensor(heat)
    p = torch.sigmoid(z[:, :K])
    pos = t == 1
    lp, l1p = F.logsigmoid(z[:, :K]), F.logsigmoid(-z[:, :K])
    focal = -(((1 - p) ** 2 * lp)[pos].sum() + ((1 - t) ** 4 * p ** 2 * l1p)[~pos].sum())
    loss = focal / max(1, int(pos.sum()))
    nsz = 1 if circle else 2
    if regs:
        ls = sum((z[i, K + s, r, c] - sz[s]).abs() for (i, r, c, sz, _) in regs
                 for s in range(nsz))
        loss = loss + sw * ls / (len(regs) * nsz)
        if offset:
            lo = sum((z[i, K + nsz + s, r, c] - of[s]).abs() for (i, r, c, _, of) in regs
                     for s in range(2))
            loss = loss + ow * lo / (len(regs) * 2)
    return loss


def case(K, circle, offset, hw, in_hw, objs, off, sw, ow, mo):
    C = K + (1 if circle else 2) + (2 if offset else 0)
    z = (torch.randn(2, C, hw, hw, dtype=torch.float64) * 1.5).requires_grad_()
    with torch.no_grad():  # some confident heat, some sizes near their targets
        z[:, :K] -= 1.0
    loss = centernet_loss(z, objs, off, K, circle, offset, in_hw, sw, ow, mo)
    loss.backward()
    rows = [list(o) + [0] * (5 - len(o)) for o in objs]
    return [z.detach().numpy(), np.array(rows), np.array(off), [loss.item()], z.grad.numpy()]


boxes = [(0, 1.0, 2.0, 9.0, 7.5), (1, 6.0, 6.0, 14.0, 15.0), (1, 3.0, 3.0, 5.0, 5.0),
         (0, 10.5, 0.5, 15.5, 6.0), (1, 20.0, 2.0, 30.0, 9.0)]  # the last: centre outside
circles = [(0, 3.2, 4.7, 1.5), (0, 7.9, 2.1, 2.5), (0, 5.0, 5.0, 3.0)]
write("centernet.bin",
      case(2, False, True, 4, (16, 16), boxes, [0, 3, 5], 0.1, 1.0, 0.7) +
      case(1, True, False, 5, (10, 10), circles, [0, 2, 3], 0.5, 1.0, 0.7))
print("wrote", OUT)


# --- class weights -------------------------------------------------------------
# tests/fixtures/nn/seg_weighted.bin — the seg net above, its parameters as
# they were, the per-pixel loss with class weights (0.3, 1.0, 2.5) (PyTorch's
# CrossEntropyLoss(weight=...), ignore_index=255): loss, then the 8 gradients.
# Made last so that the files above keep their random draws.
for p in params:
    p.grad = None
wloss = F.cross_entropy(seg(x), mask, weight=torch.tensor([0.3, 1.0, 2.5], dtype=torch.float64),
                        ignore_index=255)
wloss.backward()
write("seg_weighted.bin", [[wloss.item()]] + [p.grad.numpy() for p in params])
print("wrote", OUT)
