"""Fashion-MNIST for a PyTorch CNN: x is H×W×C uint8 (C = 1 for this gray
kit; colour kits are turned gray) -> 1×H×W float, standardised."""
import numpy as np

MEAN, STD = 72.94, 90.02  # Fashion-MNIST training pixels


def transform(x):
    g = x[:, :, 0] if x.shape[2] == 1 else x[:, :, :3].mean(axis=2)
    return ((g.astype(np.float32) - MEAN) / STD)[None, :, :]
