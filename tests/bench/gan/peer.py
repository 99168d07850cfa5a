#!/usr/bin/env python3
"""PyTorch peer of `umbra train` for tests/bench/gan: the same conditional WGAN-GP (generator
G(eta, z): latent + conditioning -> hidden layers -> generated coordinates; critic D(x, z) ->
hidden layers -> 1; leaky ReLU 0.2), the same batch, critic steps, gradient penalty (lambda 10 at
interpolates, gradient w.r.t. the state part) and Adam (lr 2e-4, betas 0.5, 0.9), written the
way WGAN-GP is usually written in PyTorch (three critic calls per critic step, autograd.grad with
create_graph=True). One thread. Data: an in-memory table of N rows (random normals of the
shape of fastslow m = 4 samples: 4 generated coordinates, 1 CV value); batches by indexing a
random permutation. Prints one line: dtype, generator steps, seconds, steps/s, samples/s."""
import argparse
import sys
import time

try:
    import torch
except ImportError as e:
    print(f"skip: {e}")
    sys.exit(77)

p = argparse.ArgumentParser()
p.add_argument("--dtype", choices=["float64", "float32"], default="float64")
p.add_argument("--steps", type=int, default=30, help="timed generator steps")
p.add_argument("--warmup", type=int, default=3)
p.add_argument("--batch", type=int, default=256)
p.add_argument("--critic-steps", type=int, default=5)
p.add_argument("--layers", default="128,128")
p.add_argument("--ng", type=int, default=4, help="generated coordinates")
p.add_argument("--d", type=int, default=1, help="CV components")
p.add_argument("--latent", type=int, default=4)
p.add_argument("--rows", type=int, default=200000)
a = p.parse_args()

torch.set_num_threads(1)
torch.manual_seed(42)
dt = getattr(torch, a.dtype)
torch.set_default_dtype(dt)
hidden = [int(w) for w in a.layers.split(",")]


def mlp(nin, nout):
    layers, w = [], [nin] + hidden
    for i in range(len(hidden)):
        layers += [torch.nn.Linear(w[i], w[i + 1]), torch.nn.LeakyReLU(0.2)]
    return torch.nn.Sequential(*layers, torch.nn.Linear(w[-1], nout))


G, D = mlp(a.latent + a.d, a.ng), mlp(a.ng + a.d, 1)
optG = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.9))
optD = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.9))
X, Z = torch.randn(a.rows, a.ng), torch.randn(a.rows, a.d)
perm, pos = torch.randperm(a.rows), 0


def batch():
    global perm, pos
    if pos + a.batch > a.rows:
        perm, pos = torch.randperm(a.rows), 0
    idx = perm[pos:pos + a.batch]
    pos += a.batch
    return X[idx], Z[idx]


def generator_step():
    for _ in range(a.critic_steps):
        xr, zr = batch()
        with torch.no_grad():
            xf = G(torch.cat([torch.randn(a.batch, a.latent), zr], 1))
        eps = torch.rand(a.batch, 1)
        xhat = (eps * xr + (1 - eps) * xf).requires_grad_(True)
        d_real, d_fake = D(torch.cat([xr, zr], 1)), D(torch.cat([xf, zr], 1))
        d_hat = D(torch.cat([xhat, zr], 1))
        (g,) = torch.autograd.grad(d_hat.sum(), xhat, create_graph=True)
        loss_d = d_fake.mean() - d_real.mean() + 10 * ((g.norm(2, dim=1) - 1) ** 2).mean()
        optD.zero_grad(set_to_none=True)
        loss_d.backward()
        optD.step()
    xf = G(torch.cat([torch.randn(a.batch, a.latent), zr], 1))
    loss_g = -D(torch.cat([xf, zr], 1)).mean()
    optG.zero_grad(set_to_none=True)
    loss_g.backward()
    optG.step()


for _ in range(a.warmup):
    generator_step()
t0 = time.perf_counter()
for _ in range(a.steps):
    generator_step()
sec = time.perf_counter() - t0
print(f"torch {torch.__version__} {a.dtype} steps {a.steps} seconds {sec:.3f} steps_per_s {a.steps / sec:.4g} samples_per_s {a.steps * a.batch * a.critic_steps / sec:.4g}")
