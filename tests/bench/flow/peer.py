#!/usr/bin/env python3
"""PyTorch peer of `umbra train -generator flow` for tests/bench/flow: the same conditional
flow (docs/flow.md: coupling layers of rational-quadratic splines, K bins on [-B, B], each
conditioner an MLP from [untouched coordinates | CV features] to 3K - 1 numbers per transformed
coordinate, its last layer zero), the same standardisation and features (z standardised and
-flow_fourier sine/cosine pairs over the data's range), maximum likelihood with Adam (lr 2e-3,
betas 0.9, 0.999; constant for the first half of the steps, then decaying linearly to 0.1 of
it, as umbra's default), one batch of --batch rows of a random permutation per step, on the same
samples.h5. Written the way such a flow is usually written in PyTorch: nn.Linear conditioners,
the spline vectorised over the batch and the transformed coordinates. One thread. Times --steps
steps after --warmup steps and prints one line: dtype, steps, seconds, steps/s, samples/s, the
mean NLL per sample of the last epoch's worth of steps (standardised units)."""
import argparse
import math
import sys
import time

try:
    import h5py
    import numpy as np
    import torch
except ImportError as e:
    print(f"skip: {e}")
    sys.exit(77)

p = argparse.ArgumentParser()
p.add_argument("samples")
p.add_argument("--dtype", choices=["float64", "float32"], default="float64")
p.add_argument("--steps", type=int, default=200, help="timed steps")
p.add_argument("--warmup", type=int, default=5)
p.add_argument("--batch", type=int, default=256)
p.add_argument("--couplings", type=int, default=4)
p.add_argument("--layers", default="64,64")
p.add_argument("--bins", type=int, default=8)
p.add_argument("--bound", type=float, default=5.0)
p.add_argument("--fourier", type=int, default=3)
p.add_argument("--cv-index", type=int, default=0)
p.add_argument("--validation", type=float, default=0.1, help="fraction held out (not trained on)")
a = p.parse_args()

torch.set_num_threads(1)
torch.manual_seed(42)
dt = getattr(torch, a.dtype)
torch.set_default_dtype(dt)
K, BOUND, MIN_BIN, MIN_SLOPE = a.bins, a.bound, 1e-3, 1e-3
SHIFT = math.log(math.expm1(1 - MIN_SLOPE))

with h5py.File(a.samples, "r") as f:
    x, z = np.array(f["samples/x"]), np.array(f["samples/z"])[:, :1]
gen = [j for j in range(x.shape[1]) if j != a.cv_index]
y = x[:, gen]
y = (y - y.mean(0)) / y.std(0)
lo, hi = z.min(), z.max()
u = 2 * (z - lo) / (hi - lo) - 1
feats = [(z - z.mean()) / z.std()]
for j in range(a.fourier):
    feats += [np.sin(math.pi * 2 ** j * u), np.cos(math.pi * 2 ** j * u)]
zf = np.hstack(feats)
rows = np.random.default_rng(1).permutation(len(y))[: int(round(len(y) * (1 - a.validation)))]
Y, ZF = torch.tensor(y[rows], dtype=dt), torch.tensor(zf[rows], dtype=dt)
N, ng, dz = Y.shape[0], Y.shape[1], ZF.shape[1]
hidden = [int(w) for w in a.layers.split(",")]


def spline(v, raw):
    """v (M,), raw (M, 3K - 1) -> out, log slope; identity outside [-B, B)"""
    inside = (v >= -BOUND) & (v < BOUND)
    vin = torch.where(inside, v, torch.zeros_like(v))

    def edges(logits):
        size = 2 * BOUND * (MIN_BIN + (1 - K * MIN_BIN) * torch.softmax(logits, dim=1))
        e = torch.nn.functional.pad(torch.cumsum(size, dim=1), (1, 0), value=0) - BOUND
        e[:, -1] = BOUND
        return e

    X, Y_, = edges(raw[:, :K]), edges(raw[:, K:2 * K])
    D = torch.nn.functional.pad(MIN_SLOPE + torch.nn.functional.softplus(raw[:, 2 * K:] + SHIFT), (1, 1), value=1.0)
    k = torch.searchsorted(X[:, 1:K].contiguous(), vin.unsqueeze(1), right=True)
    g = lambda T, o: torch.gather(T, 1, k + o).squeeze(1)
    Xk, Yk, Dk, Dk1 = g(X, 0), g(Y_, 0), g(D, 0), g(D, 1)
    w, h = g(X, 1) - Xk, g(Y_, 1) - Yk
    s, xi = h / w, (vin - Xk) / w
    t = xi * (1 - xi)
    den = s + (Dk + Dk1 - 2 * s) * t
    out = Yk + h * (s * xi * xi + Dk * t) / den
    ld = 2 * torch.log(s) + torch.log(Dk1 * xi * xi + 2 * s * t + Dk * (1 - xi) ** 2) - 2 * torch.log(den)
    return torch.where(inside, out, v), torch.where(inside, ld, torch.zeros_like(v))


class Flow(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.B = [[0] if ng == 1 else [j for j in range(ng) if (j + l) % 2 == 0] for l in range(a.couplings)]
        self.A = [[j for j in range(ng) if j not in b] for b in self.B]
        self.nets = torch.nn.ModuleList()
        for l in range(a.couplings):
            w, layers = [len(self.A[l]) + dz] + hidden, []
            for i in range(len(hidden)):
                layers += [torch.nn.Linear(w[i], w[i + 1]), torch.nn.Tanh()]
            last = torch.nn.Linear(w[-1], len(self.B[l]) * (3 * K - 1))
            torch.nn.init.zeros_(last.weight)
            torch.nn.init.zeros_(last.bias)
            self.nets.append(torch.nn.Sequential(*layers, last))

    def forward(self, y, zf):
        ld = torch.zeros(y.shape[0])
        for l, net in enumerate(self.nets):
            Bl = self.B[l]
            raw = net(torch.cat([y[:, self.A[l]], zf], dim=1)).reshape(-1, 3 * K - 1)
            out, lds = spline(y[:, Bl].reshape(-1), raw)
            y = y.index_copy(1, torch.tensor(Bl), out.reshape(-1, len(Bl)))
            ld = ld + lds.reshape(-1, len(Bl)).sum(1)
        return y, ld


flow = Flow()
opt = torch.optim.Adam(flow.parameters(), lr=2e-3, betas=(0.9, 0.999), eps=1e-8)
const = 0.5 * ng * math.log(2 * math.pi)
perm, pos = torch.randperm(N), 0


def step(k, total):
    global perm, pos
    for g in opt.param_groups:
        g["lr"] = 2e-3 * (1 + (0.1 - 1) * max(0.0, 2 * k / total - 1))
    if pos + a.batch > N:
        perm, pos = torch.randperm(N), 0
    idx = perm[pos:pos + a.batch]
    pos += a.batch
    u, ld = flow(Y[idx], ZF[idx])
    loss = (0.5 * (u * u).sum(1) + const - ld).mean()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss.item()


for k in range(a.warmup):
    step(0, a.steps)
per_epoch = max(1, N // a.batch)
losses = []
t0 = time.perf_counter()
for k in range(a.steps):
    losses.append(step(k, a.steps))
sec = time.perf_counter() - t0
print(f"torch {torch.__version__} {a.dtype} steps {a.steps} seconds {sec:.3f} steps_per_s {a.steps / sec:.4g} "
      f"samples_per_s {a.steps * a.batch / sec:.4g} nll {np.mean(losses[-per_epoch:]):.5g}")
