#!/usr/bin/python3
"""NumPy peer of `umbra sample` for tests/bench/sample.

The same scheme as src/sample/integrate.c: overdamped Langevin in K harmonic umbrella windows
(bias 1/2 kappa (xi(x) - z_k)^2 on a coordinate CV), W walkers per window, Leimkuhler-Matthews

    x' = x - dt M grad V(x) + sqrt(2 dt M / beta) (R_s + R_{s+1}) / 2,   V = U + W_k,

with the walkers' state stacked in one array X of shape (K*W, n) (window after window, walker
after walker), the bias centres and spring constants broadcast from shape (K*W, d), and one
vectorised NumPy step per time step. The noise R_{s+1} is one (K*W, n) array per step from
numpy's default_rng().standard_normal; like umbra, every step checks that |x| stays below the
model's domain bound (a walker that leaves it stops the run).

Modes
  time   times `steps` LM steps from the models' reference state; prints one JSON line.
  verify reads an umbra samples.h5 written with -us_burnin 0 -us_stride 1, starts from its
         first frame, regenerates umbra's own noise (Philox4x64-10 words through
         numpy.random.Philox with umbra's key and counter, umbra's ziggurat on top) and integrates the following steps
         with the same step function as `time`; prints the largest relative difference from
         umbra's frames. This shows that the peer timed here computes exactly umbra's scheme,
         only with a different noise generator.
"""
import argparse
import json
import math
import sys
import time

import numpy as np


# --------------------------------------------------------------------------------- models
class FastSlow:
    """U = h (x^2-1)^2 + sum_i (y_i - A cos(i x))^2 / (2 s^2 (1 + gamma x^2)); M = (1, 1/eps...)"""

    def __init__(self, m=4, h=2.0, a=1.0, s=0.5, gamma=0.5, eps=0.01):
        self.m, self.h, self.a, self.s, self.gamma, self.eps = m, h, a, s, gamma, eps
        self.n = m + 1
        self.i = np.arange(1, m + 1, dtype=float)                 # (m,)
        self.mobility = np.array([1.0] + [1.0 / eps] * m)         # (n,)
        self.bound = 1e4
        self.cv_index = [0]                                       # CV: x
        self.reference = np.concatenate([[-1.0], a * np.cos(self.i * -1.0)])

    def gradient(self, X, G):
        """X, G: (N, n). Writes grad U into G."""
        x, Y = X[:, 0], X[:, 1:]                                  # (N,), (N, m)
        ix = np.multiply.outer(x, self.i)                         # (N, m)
        C, S = np.cos(ix), np.sin(ix)
        s2 = self.s * self.s
        iD = 1.0 / (2.0 * s2 * (1.0 + self.gamma * x * x))        # (N,)
        R = Y - self.a * C                                        # (N, m) residuals
        np.multiply(R, (2.0 * iD)[:, None], out=G[:, 1:])
        sr2 = np.einsum("ij,ij->i", R, R)                         # sum_i r_i^2
        sdrift = np.einsum("ij,ij,j->i", R, S, self.i)            # sum_i r_i i sin(i x)
        G[:, 0] = 4.0 * self.h * x * (x * x - 1.0) + 2.0 * self.a * sdrift * iD \
            - sr2 * iD * iD * (4.0 * s2 * self.gamma * x)


class MullerBrown:
    """V = scale sum_k A_k exp(a_k dx^2 + b_k dx dy + c_k dy^2) (design.md section 2); M = 1"""

    A = np.array([-200.0, -100.0, -170.0, 15.0])
    a = np.array([-1.0, -1.0, -6.5, 0.7])
    b = np.array([0.0, 0.0, 11.0, 0.6])
    c = np.array([-10.0, -10.0, -6.5, 0.7])
    x0 = np.array([1.0, 0.0, -0.5, -1.0])
    y0 = np.array([0.0, 0.5, 1.5, 1.0])

    def __init__(self, scale=0.1, cv_index=0, reference=(-0.558, 1.442), bound=50.0):
        self.scale, self.n = scale, 2
        self.mobility = np.ones(2)
        self.bound = bound
        self.cv_index = [cv_index]
        self.reference = np.array(reference, dtype=float)

    def gradient(self, X, G):
        dx = X[:, 0:1] - self.x0                                  # (N, 4)
        dy = X[:, 1:2] - self.y0                                  # (N, 4)
        E = self.scale * self.A * np.exp(self.a * dx * dx + self.b * dx * dy + self.c * dy * dy)
        G[:, 0] = np.einsum("ij,ij->i", E, 2.0 * self.a * dx + self.b * dy)
        G[:, 1] = np.einsum("ij,ij->i", E, self.b * dx + 2.0 * self.c * dy)


# ------------------------------------------------------------------------------- sampler
class Windows:
    """K windows on [lo, hi] (umbra's GridPoint), W walkers each, stacked as N = K*W rows."""

    def __init__(self, model, K, W, lo, hi, kappa, dt, beta):
        self.model, self.K, self.W, self.N = model, K, W, K * W
        centres = np.array([0.5 * (lo + hi)]) if K == 1 else lo + (hi - lo) * np.arange(K) / (K - 1)
        self.center = np.repeat(centres, W)[:, None]              # (N, d)
        self.kappa = np.full((self.N, 1), float(kappa))           # (N, d)
        self.cv = model.cv_index
        self.h = dt * model.mobility                              # (n,) drift factors
        self.c = 0.5 * np.sqrt(2.0 * dt * model.mobility / beta)  # (n,) noise factors (LM)
        self.G = np.empty((self.N, model.n))

    def step(self, X, R0, R1):
        """One LM step of all N walkers in place; False if a coordinate left the domain."""
        G = self.G
        self.model.gradient(X, G)
        G[:, self.cv] += self.kappa * (X[:, self.cv] - self.center)
        X -= self.h * G
        X += self.c * (R0 + R1)
        return bool(np.abs(X).max() <= self.model.bound)          # False for NaN too


def make_model(args):
    if args.model == "fastslow":
        return FastSlow(m=args.m)
    return MullerBrown(cv_index=args.cv_index)


def run_time(args):
    model = make_model(args)
    win = Windows(model, args.windows, args.walkers, args.lo, args.hi, args.kappa, args.dt, 1.0)
    rng = np.random.default_rng(args.seed)
    X = np.tile(model.reference, (win.N, 1))                      # (N, n)
    R0 = rng.standard_normal((win.N, model.n))
    steps, done, t0 = args.steps, 0, time.perf_counter()
    while done < steps:
        R1 = rng.standard_normal((win.N, model.n))
        if not win.step(X, R0, R1):
            sys.exit(f"peer: a walker left the domain at step {done}")
        R0 = R1
        done += 1
        # run at least min_seconds even if `steps` was too few
        if done == steps and time.perf_counter() - t0 < args.min_seconds:
            steps += max(1, steps // 2)
    sec = time.perf_counter() - t0
    ws = float(win.N) * done
    print(json.dumps({"model": args.model, "n": model.n, "windows": args.windows, "walkers": args.walkers,
                      "steps": done, "walker_steps": ws, "seconds": sec, "rate": ws / sec,
                      "ns_per_ws_dim": 1e9 * sec / (ws * model.n), "shape": [win.N, model.n],
                      "numpy": np.__version__}))


# --------------------------------------------------------------------------- verification
def _ziggurat_tables():
    """umbra's ziggurat tables, read from src/rng/ziggurat.c (exact hex constants)."""
    import os
    import re
    src = open(os.path.join(os.path.dirname(__file__), "..", "..", "..", "src", "rng", "ziggurat.c")).read()
    tables = {}
    for name in ("umb_zig_x", "umb_zig_r"):
        body = re.search(name + r"\[[^]]*\] = \{(.*?)\};", src, re.S).group(1)
        tables[name] = [float.fromhex(v) for v in re.findall(r"0x[0-9a-fA-F.]+p[-+]?\d+", body)]
    return tables["umb_zig_x"], tables["umb_zig_r"]


ZIG_X, ZIG_R = None, None


def umbra_gaussians(seed, k, step, walker, n):
    """umbra's UmbStreamGaussian(stream(seed, NOISE, k), step, walker, n): 64-bit words from
    Philox4x64-10 at counters (step, walker, 0, block), block = 0, 1, ..., turned into normals
    by umbra's 128-layer ziggurat (include/umbra/rng.h)."""
    global ZIG_X, ZIG_R
    if ZIG_X is None:
        ZIG_X, ZIG_R = _ziggurat_tables()
    key = seed | ((((1 << 56) | k)) << 64)                        # (seed, domain 1 << 56 | id)
    words, block = [], 0

    def word():
        nonlocal block
        if not words:
            ctr = step | (walker << 64) | (block << 192)
            # numpy's Philox increments its 256-bit counter before each block: start one below
            words.extend(int(b) for b in np.random.Philox(key=key, counter=(ctr - 1) % (1 << 256)).random_raw(4))
            block += 1
        return words.pop(0)

    def u01(b):
        return ((b >> 11) + 0.5) * 2.0**-53

    out = []
    while len(out) < n:
        b = word()
        i, u = b & 127, 2.0 * u01(b) - 1.0
        if abs(u) < ZIG_R[i]:
            out.append(u * ZIG_X[i])
        elif i == 0:                                              # tail beyond R
            R = ZIG_X[1]
            while True:
                x, y = math.log(u01(word())) / R, math.log(u01(word()))
                if -2 * y >= x * x:
                    break
            out.append(x - R if u < 0 else R - x)
        else:                                                     # wedge: accept under f
            x = u * ZIG_X[i]
            f0 = math.exp(-0.5 * (ZIG_X[i] ** 2 - x * x))
            f1 = math.exp(-0.5 * (ZIG_X[i + 1] ** 2 - x * x))
            if f1 + u01(word()) * (f0 - f1) < 1.0:
                out.append(x)
    return out


def run_verify(args):
    import h5py
    with h5py.File(args.verify, "r") as f:
        xs = f["/samples/x"][...]
        offset = f["/windows/offset"][...]
    model = make_model(args)
    win = Windows(model, args.windows, args.walkers, args.lo, args.hi, args.kappa, args.dt, 1.0)
    K, W, n, S = args.windows, args.walkers, model.n, args.steps
    assert xs.shape == (K * W * S, n) and offset[-1] == xs.shape[0], "samples.h5 does not match the options"
    frames = xs.reshape(K, W, S, n)                               # window, walker, frame, coordinate

    def noise(step):
        return np.array([umbra_gaussians(args.seed, k, step, w, n) for k in range(K) for w in range(W)])

    # frame s is the state after step s: start from frame 0 (so the reference state and the
    # restrained minimisation do not matter) and redo steps 1 .. S-1 with R_s, R_{s+1}
    X = frames[:, :, 0, :].reshape(K * W, n).copy()
    R0, err = noise(1), 0.0
    for step in range(1, S):
        R1 = noise(step + 1)
        win.step(X, R0, R1)
        R0 = R1
        ref = frames[:, :, step, :].reshape(K * W, n)
        err = max(err, float(np.max(np.abs(X - ref) / (1.0 + np.abs(ref)))))
    print(json.dumps({"model": args.model, "n": n, "steps": S, "max_rel_diff": err}))
    return err


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", choices=["fastslow", "mullerbrown"], default="fastslow")
    p.add_argument("--m", type=int, default=4, help="fastslow: number of fast variables")
    p.add_argument("--cv-index", type=int, default=0, help="mullerbrown: coordinate of the CV")
    p.add_argument("--windows", type=int, default=24)
    p.add_argument("--walkers", type=int, default=64)
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--lo", type=float, default=-1.5)
    p.add_argument("--hi", type=float, default=1.5)
    p.add_argument("--kappa", type=float, default=40.0)
    p.add_argument("--dt", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--min-seconds", type=float, default=2.0, help="time: run at least this long")
    p.add_argument("--verify", metavar="SAMPLES_H5", help="compare with umbra's frames instead of timing")
    p.add_argument("--tol", type=float, default=1e-9, help="verify: largest allowed relative difference")
    args = p.parse_args()
    if args.verify:
        sys.exit(0 if run_verify(args) <= args.tol else 1)
    run_time(args)


if __name__ == "__main__":
    main()
