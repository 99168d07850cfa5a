#!/usr/bin/env python3
"""Peer of tests/t502-gan-torch.c: recomputes umbra's cGAN losses, gradients and Adam steps
with PyTorch (float64) from the exported parameters and batch, and compares.
Exit 0: all agree to 1e-9 relative; 1: a difference; 77: torch or h5py missing."""
import sys

try:
    import h5py
    import numpy as np
    import torch
except ImportError as e:  # CI installs python3-torch; say why we skip
    print(f"skip: {e}")
    sys.exit(77)

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)
RTOL, ATOL_REL = 1e-9, 1e-12
failures = 0


def mlp(widths, act, slope, theta):
    """nn.Sequential of Linear layers (hidden activation act), parameters from umbra's flat
    buffer: per layer W (out x in, row-major) then b"""
    layers, off = [], 0
    for l in range(len(widths) - 1):
        lin = torch.nn.Linear(widths[l], widths[l + 1])
        nw = widths[l] * widths[l + 1]
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(theta[off:off + nw].reshape(widths[l + 1], widths[l])))
            lin.bias.copy_(torch.from_numpy(theta[off + nw:off + nw + widths[l + 1]]))
        off += nw + widths[l + 1]
        layers.append(lin)
        if l + 2 < len(widths):
            layers.append({"leakyrelu": torch.nn.LeakyReLU(slope), "tanh": torch.nn.Tanh(),
                           "silu": torch.nn.SiLU(), "identity": torch.nn.Identity()}[act])
    assert off == len(theta), (off, len(theta))
    return torch.nn.Sequential(*layers)


def flat_grad(net):
    return torch.cat([torch.cat([m.weight.grad.reshape(-1), m.bias.grad]) for m in net if isinstance(m, torch.nn.Linear)]).numpy()


def flat_params(net):
    return torch.cat([torch.cat([m.weight.reshape(-1), m.bias]) for m in net if isinstance(m, torch.nn.Linear)]).detach().numpy()


def compare(case, what, umbra, ref):
    global failures
    umbra, ref = np.atleast_1d(np.asarray(umbra, dtype=float)), np.atleast_1d(np.asarray(ref, dtype=float))
    scale = np.abs(ref).max()
    err = np.abs(umbra - ref)
    bad = err > RTOL * np.abs(ref) + ATOL_REL * scale
    rel = (err / (np.abs(ref) + 1e-12 * scale + 1e-300)).max()
    status = "ok" if not bad.any() else "MISMATCH"
    print(f"# {case} {what}: {len(ref)} values, max |diff| {err.max():.3g}, max rel {rel:.3g}: {status}")
    if bad.any():
        i = int(np.argmax(bad))
        print(f"#   first mismatch at {i}: umbra {umbra[i]!r}, torch {ref[i]!r}")
        failures += 1


def run_case(name, g):
    a = g.attrs
    layers = [int(w) for w in a["layers"].decode().split(",")]
    act, loss = a["activation"].decode(), a["loss"].decode()
    slope, gp, cons = float(a["leaky_slope"][0]), float(a["gp_lambda"][0]), float(a["consistency_lambda"][0])
    ng, dz, d, latent, b = (int(a[k]) for k in ("ng", "dz", "d", "latent", "batch"))
    lr, betas = a["lr"], a["adam_betas"]
    v = {k: np.array(g[k]) for k in g.keys()}
    G = mlp([latent + dz] + layers + [ng], act, slope, v["theta_g"])
    D = mlp([ng + dz] + layers + [1], act, slope, v["theta_d"])
    xr = torch.from_numpy(v["xr"].reshape(b, ng))
    zf = torch.from_numpy(v["zf"].reshape(b, dz))
    zr = torch.from_numpy(v["zr"].reshape(b, d))
    eta = torch.from_numpy(v["eta"].reshape(b, latent))
    eps = torch.from_numpy(v["eps"].reshape(b, 1))
    bce = torch.nn.BCEWithLogitsLoss()

    # critic step: fake detached, penalty at interpolates (gradient w.r.t. the state part)
    xf = G(torch.cat([eta, zf], 1)).detach()
    d_real, d_fake = D(torch.cat([xr, zf], 1)), D(torch.cat([xf, zf], 1))
    if loss == "wgan-gp":
        loss_d = d_fake.mean() - d_real.mean()
    else:
        loss_d = bce(d_real, torch.ones_like(d_real)) + bce(d_fake, torch.zeros_like(d_fake))
    penalty = torch.zeros(())
    if gp > 0:
        xhat = (eps * xr + (1 - eps) * xf).requires_grad_(True)
        d_hat = D(torch.cat([xhat, zf], 1))
        (gx,) = torch.autograd.grad(d_hat.sum(), xhat, create_graph=True)
        penalty = gp * ((gx.norm(2, dim=1) - 1) ** 2).mean()
        loss_d = loss_d + penalty
    D.zero_grad()
    loss_d.backward()
    compare(name, "critic loss", a["loss_d"], loss_d.item())
    compare(name, "gradient penalty", a["penalty"], penalty.item())
    compare(name, "critic gradient", v["grad_d"], flat_grad(D))
    opt = torch.optim.Adam(D.parameters(), lr=float(lr[1]), betas=(float(betas[0]), float(betas[1])), eps=1e-8)
    opt.step()
    compare(name, "critic after one Adam step", v["theta_d_adam"], flat_params(D))

    # generator step, with the critic's parameters before its Adam step (as umbra computed it)
    D = mlp([ng + dz] + layers + [1], act, slope, v["theta_d"])
    xf = G(torch.cat([eta, zf], 1))
    d_fake = D(torch.cat([xf, zf], 1))
    loss_g = -d_fake.mean() if loss == "wgan-gp" else bce(d_fake, torch.ones_like(d_fake))
    consistency = torch.zeros(())
    if cons > 0:  # linear CV xi(x) = w . x on the full state x = mean + sd * xf
        w = torch.from_numpy(v["cv_weights"])
        x = torch.from_numpy(v["x_mean"]) + torch.from_numpy(v["x_sd"]) * xf
        consistency = cons * (((x @ w).unsqueeze(1) - zr) ** 2).sum(1).mean()
        loss_g = loss_g + consistency
    G.zero_grad()
    loss_g.backward()
    compare(name, "generator loss", a["loss_g"], loss_g.item())
    compare(name, "consistency penalty", a["consistency"], consistency.item())
    compare(name, "generator gradient", v["grad_g"], flat_grad(G))
    opt = torch.optim.Adam(G.parameters(), lr=float(lr[0]), betas=(float(betas[0]), float(betas[1])), eps=1e-8)
    opt.step()
    compare(name, "generator after one Adam step", v["theta_g_adam"], flat_params(G))


with h5py.File(sys.argv[1], "r") as f:
    print(f"# torch {torch.__version__}, float64, tolerance {RTOL:g} relative")
    for name in sorted(k for k in f.keys() if k.startswith("case")):
        run_case(name, f[name])
sys.exit(1 if failures else 0)
