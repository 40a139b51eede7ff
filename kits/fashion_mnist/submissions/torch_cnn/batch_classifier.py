"""The reference CNN in PyTorch, trained from ramp's streaming generators.

conv 3×3 32 + ReLU + max-pool 2, conv 3×3 64 + ReLU + max-pool 2,
dense 128 + ReLU, dense 10 (softmax in predict_proba); Adam, 6 epochs.
The batches ramp's loader yields are numpy views of its own buffers:
torch.from_numpy wraps them without a copy. It trains where ramp says
(`ramp test --device cuda`: ramp.info['device'] is 'cuda'), else on the CPU,
in the math ramp says (`--math`: ramp.info['math']) as ramp's engine does: on
a GPU, 'tf32' lets matmuls and convolutions use TF32 and 'bf16' runs the
forward and the loss under autocast to bfloat16; on the CPU both compute in
fp32. On a GPU the batches are page-locked, so their copies are queued
without waiting (non_blocking)."""
import contextlib

import numpy as np
import torch
from torch import nn

try:  # ramp's embedding describes the fold; plain RAMP does not
    import ramp
    INFO = ramp.info
except ImportError:
    INFO = {}
DEVICE = INFO.get('device', 'cpu')
MATH = INFO.get('math', 'fp32')
ON_GPU = DEVICE == 'cuda'
if ON_GPU:
    torch.backends.cuda.matmul.allow_tf32 = MATH == 'tf32'
    torch.backends.cudnn.allow_tf32 = MATH == 'tf32'


def autocast():
    """bf16 on a GPU when ramp says so, else fp32."""
    if ON_GPU and MATH == 'bf16':
        return torch.autocast('cuda', dtype=torch.bfloat16)
    return contextlib.nullcontext()


def make_net(shape, n_classes):
    c, h, w = shape
    return nn.Sequential(
        nn.Conv2d(c, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * (h // 4) * (w // 4), 128), nn.ReLU(),
        nn.Linear(128, n_classes))


class BatchClassifier:
    def __init__(self):
        torch.set_num_threads(INFO.get('n_threads', 2))
        torch.manual_seed(INFO.get('seed', 0))
        self.epochs = 1 if INFO.get("quick_test") else 6
        self.batch_size = 64
        self.net = None

    def fit(self, gen_builder):
        gen_train, gen_valid, nb_train, nb_valid = gen_builder.get_train_valid_generators(
            batch_size=self.batch_size, valid_ratio=0.1)
        steps = (nb_train + self.batch_size - 1) // self.batch_size
        loss_fn = nn.CrossEntropyLoss()
        if self.net is None:
            self.net = self._build(gen_train)
        for epoch in range(self.epochs):
            self.net.train()
            seen = correct = 0
            total = 0.0
            for step in range(steps):
                # xh, the host batch, stays referenced to the end of the
                # step (loss.item() waits for the GPU), so its page-locked
                # memory outlives the copy queued from it
                xh, y = next(gen_train)
                X = torch.from_numpy(xh).to(DEVICE, non_blocking=True)
                target = torch.from_numpy(y.argmax(axis=1)).to(DEVICE)
                self.opt.zero_grad()
                with autocast():
                    out = self.net(X)
                    loss = loss_fn(out, target)
                loss.backward()
                self.opt.step()
                seen += len(X)
                total += loss.item() * len(X)
                correct += (out.argmax(1) == target).sum().item()
                if hasattr(gen_builder, 'progress'):
                    gen_builder.progress(epoch, self.epochs, step + 1, steps,
                                         total / seen, correct / seen)
            if nb_valid:
                print('epoch %d: train loss %.4f acc %.4f, valid acc %.4f'
                      % (epoch + 1, total / seen, correct / seen,
                         self._accuracy(gen_valid, nb_valid)), flush=True)

    def _build(self, gen_train):
        shape = INFO.get('shape')
        n_classes = INFO.get('n_classes')
        if shape is None:  # plain RAMP: learn it from a batch
            X, y = next(gen_train)
            shape, n_classes = X.shape[1:], y.shape[1]
        net = make_net(tuple(shape), n_classes).to(DEVICE)
        self.opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        return net

    def _accuracy(self, gen, n):
        self.net.eval()
        right = 0
        with torch.no_grad():
            for _ in range((n + self.batch_size - 1) // self.batch_size):
                X, y = next(gen)
                with autocast():
                    out = self.net(torch.from_numpy(X).to(DEVICE))
                right += (out.argmax(1).cpu().numpy() == y.argmax(1)).sum()
        return right / n

    def predict_proba(self, X):
        self.net.eval()
        with torch.no_grad():
            with autocast():
                out = self.net(torch.from_numpy(X).to(DEVICE))
            return torch.softmax(out.float(), dim=1).cpu().numpy()
