#!/usr/bin/python3
"""bench_torch_fold.py — what one `ramp test` fold of the Fashion-MNIST kit's
`cnn` submission does, in PyTorch, for its peak memory: the same net (conv 32
→ pool → conv 64 → pool → dense 128 → dense 10), Adam, batch 64, 10% of the
fold-train rows held out for validation each epoch, then predictions over
the fold-train, fold-valid and test rows in batches of 256. Images come from
Debian's dataset-fashion-mnist IDX files, in memory (the fold streams them).
usage: bench_torch_fold.py N_FOLD_TRAIN N_FOLD_VALID N_TEST EPOCHS THREADS
Prints: TORCH max_rss_kb=<peak of this process>"""
import gzip
import resource
import sys

import numpy as np
import torch
import torch.nn as nn

n_train, n_valid, n_test, epochs, threads = (int(a) for a in sys.argv[1:6])
torch.set_num_threads(threads)
torch.manual_seed(0)
IDX = "/usr/share/datasets/fashion-mnist/"


def idx(name, n, header, shape):
    with gzip.open(IDX + name) as f:
        f.read(header)
        return np.frombuffer(f.read(n * int(np.prod(shape))), np.uint8).reshape((n,) + shape)


rows = n_train + n_valid
X = torch.from_numpy(idx("train-images-idx3-ubyte.gz", rows, 16, (1, 28, 28)).astype(np.float32) / 255)
y = torch.from_numpy(idx("train-labels-idx1-ubyte.gz", rows, 8, ()).astype(np.int64))
Xt = torch.from_numpy(idx("t10k-images-idx3-ubyte.gz", n_test, 16, (1, 28, 28)).astype(np.float32) / 255)

net = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                    nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                    nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
fit = n_train - n_train // 10
for ep in range(epochs):
    net.train()
    perm = torch.randperm(fit)
    for i in range(0, fit, 64):
        b = perm[i:i + 64]
        opt.zero_grad()
        nn.functional.cross_entropy(net(X[b]), y[b]).backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        for i in range(fit, n_train, 64):
            nn.functional.cross_entropy(net(X[i:min(i + 64, n_train)]), y[i:min(i + 64, n_train)])
net.eval()
with torch.no_grad():
    for data in (X[:n_train], X[n_train:], Xt):
        for i in range(0, len(data), 256):
            torch.softmax(net(data[i:i + 256]), 1)
print("TORCH max_rss_kb=%d" % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
