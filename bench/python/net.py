"""The reference CNN (as kits/fashion_mnist/submissions/torch_cnn) and one
timed training epoch, shared by both sides of the benchmark."""
import time

import torch
from torch import nn


def make_net(c, h, w, n_classes=10):
    return nn.Sequential(
        nn.Conv2d(c, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * (h // 4) * (w // 4), 128), nn.ReLU(),
        nn.Linear(128, n_classes))


def train_epoch(batches, n_steps, shape):
    """Trains on n_steps (X, target) torch batches; returns (images, seconds),
    timed from the first request for data to the last optimiser step."""
    torch.manual_seed(0)
    net = make_net(*shape)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    t0 = time.perf_counter()
    n = 0
    for step, (X, target) in enumerate(batches):
        if step == n_steps:
            break
        opt.zero_grad()
        loss_fn(net(X), target).backward()
        opt.step()
        n += len(X)
    return n, time.perf_counter() - t0
