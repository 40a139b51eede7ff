"""The benchmark's other side: the same epoch fed by torchvision's
DataLoader(num_workers=2) over the same files (PIL decode, bilinear resize
to 32×32, CHW, BGR, mean pixel subtracted — the seed's preprocessing)."""
import csv
import os
import sys

import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset

from net import train_epoch

MEAN_BGR = torch.tensor([103.939, 116.779, 123.68]).view(3, 1, 1)


class Kit(Dataset):
    def __init__(self, data):
        with open(os.path.join(data, 'train.csv')) as f:
            rows = list(csv.DictReader(f))
        self.items = [(os.path.join(data, 'imgs', r['id']), int(r['class'])) for r in rows]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        path, y = self.items[i]
        img = Image.open(path).convert('RGB').resize((32, 32), Image.BILINEAR)
        x = torch.frombuffer(bytearray(img.tobytes()), dtype=torch.uint8).view(32, 32, 3)
        x = x.permute(2, 0, 1).flip(0).float() - MEAN_BGR
        return x, y


if __name__ == '__main__':
    torch.set_num_threads(2)
    ds = Kit(sys.argv[1])
    loader = DataLoader(ds, batch_size=64, shuffle=True, num_workers=2)
    n, s = train_epoch(iter(loader), len(loader), (3, 32, 32))
    print('%d %.6f' % (n, s))
