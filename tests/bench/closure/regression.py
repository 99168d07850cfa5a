#!/usr/bin/env python3
"""PyTorch side of tests/bench/closure: conditional mean and variance by neural regression.

How a PyTorch script would estimate closures without binning: a small network M(z) -> (mu, v)
per fine coordinate, fitted to all umbrella samples by least squares, mu to y and v to
(y - mu)^2 (mu held fixed in that term, so v regresses the conditional variance). No weights are
needed: in every window p(y | z) is the unbiased conditional (docs/gan.md, "Why no
reweighting"). The network and its conditioning are those of umbra's generator (two hidden
layers of 128, the standardised z and 3 sine/cosine pairs of its position in the sampled range),
with SiLU units, Adam (lr 1e-3, betas 0.5, 0.9), batches of 1024 rows, 13500 steps, the learning
rate decaying linearly to a tenth over the second half, and the running average (0.999) of the
parameters evaluated, in double precision on one thread. It gives values only, no error bars.
Prints one JSON object: seed, training seconds and rows [z, observable, value].
Usage: regression.py SAMPLES_H5 GRID_CSV [SEED]   (GRID_CSV: umbra's closures.csv, for the grid)
Run with /usr/bin/python3 (numpy, h5py, torch)."""
import copy
import csv
import json
import sys
import time

import h5py
import numpy as np
import torch

seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
torch.set_num_threads(1)
torch.manual_seed(seed)
STEPS, BATCH, LR, FOURIER, AVG = 13500, 1024, 1e-3, 3, 0.999

s = h5py.File(sys.argv[1], 'r')
x, z = s['samples/x'][:], s['samples/z'][:, 0]
y = x[:, 1:]  # the fine coordinates (the CV is x[:, 0])
m = y.shape[1]
grid = np.array(sorted({float(r[0]) for r in csv.reader(l for l in open(sys.argv[2]) if not l.startswith('#')) if r[0] != 'z'}))
zm, zs, lo, hi = z.mean(), z.std(), z.min(), z.max()
ym, ys = y.mean(0), y.std(0)


def features(v):
    u = 2 * (v - lo) / (hi - lo) - 1
    f = [(v - zm) / zs]
    for k in range(FOURIER):
        f += [np.sin(np.pi * 2**k * u), np.cos(np.pi * 2**k * u)]
    return torch.tensor(np.stack(f, 1))


t0 = time.perf_counter()
Z, Y = features(z), torch.tensor((y - ym) / ys)
net = torch.nn.Sequential(torch.nn.Linear(Z.shape[1], 128), torch.nn.SiLU(), torch.nn.Linear(128, 128), torch.nn.SiLU(),
                          torch.nn.Linear(128, 2 * m)).double()
avg = copy.deepcopy(net)
opt = torch.optim.Adam(net.parameters(), lr=LR, betas=(0.5, 0.9))
draw = torch.Generator().manual_seed(seed + 1)
for step in range(STEPS):
    if step >= STEPS // 2:
        for g in opt.param_groups:
            g['lr'] = LR * (1 - 0.9 * (step - STEPS // 2) / (STEPS - STEPS // 2))
    idx = torch.randint(0, len(z), (BATCH,), generator=draw)
    out = net(Z[idx])
    mu, v = out[:, :m], out[:, m:]
    loss = ((mu - Y[idx])**2).mean() + ((v - (Y[idx] - mu.detach())**2)**2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    with torch.no_grad():
        for a, b in zip(avg.parameters(), net.parameters()):
            a.mul_(AVG).add_(b, alpha=1 - AVG)
with torch.no_grad():
    out = avg(features(grid)).numpy()
t1 = time.perf_counter()
rows = []
for i in range(m):
    for g, mu, v in zip(grid, out[:, i] * ys[i] + ym[i], out[:, m + i] * ys[i]**2):
        rows += [[float(g), f'mean_y{i + 1}', float(mu)], [float(g), f'var_y{i + 1}', float(v)]]
json.dump({'seed': seed, 'seconds': t1 - t0, 'rows': rows}, sys.stdout)
