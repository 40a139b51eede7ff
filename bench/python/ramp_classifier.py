"""The benchmark's classifier inside ramp: one epoch of the reference CNN
fed by ramp's loader (zero-copy numpy views -> torch.from_numpy)."""
import os

import numpy as np
import torch

import ramp
from net import train_epoch


class BatchClassifier:
    def __init__(self):
        torch.set_num_threads(2)

    def fit(self, gen_builder):
        gen, _, nb, _ = gen_builder.get_train_valid_generators(batch_size=64, valid_ratio=0.0)
        steps = (nb + 63) // 64
        batches = ((torch.from_numpy(X), torch.from_numpy(y.argmax(axis=1))) for X, y in gen)
        n, s = train_epoch(batches, steps, ramp.info['shape'])
        with open(os.environ['RAMP_BENCH_OUT'], 'w') as f:
            f.write('%d %.6f\n' % (n, s))

    def predict_proba(self, X):
        return np.full((len(X), 10), 0.1, np.float32)
