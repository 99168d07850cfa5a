#!/usr/bin/env python3
"""pymbar side of tests/bench/closure: conditional averages of the fine coordinates, timed.

The way pymbar computes a closure (anchors.md, job e): MBAR weights of the unbiased state
restricted to a bin of z by indicator observables. For each grid point z_g (bin |z - z_g| < h/2,
h the grid spacing) one computeMultipleExpectations of [1_b, y_i 1_b, y_i^2 1_b] (i = 1..m) with
their covariance; mean_y<i> = <y_i 1_b> / <1_b> and var_y<i> = <y_i^2 1_b> / <1_b> - mean^2, errors
by the delta method from pymbar's asymptotic covariance (which treats the samples as
independent). MBAR is started from umbra's f_k (fes.h5), so its solve is a few iterations.
Also, for scale, the quickest Python route: pymbar's weights of the unbiased state once, then
weighted bin sums with numpy (values only, no error bars; must equal the above to round-off).
Prints one JSON object: build, solve, expectation and numpy seconds, and rows [z, observable,
value, err].
Usage: peer.py SAMPLES_H5 FES_H5 GRID_CSV   (GRID_CSV: umbra's closures.csv, for the grid)
Run with /usr/bin/python3 (numpy, h5py, pymbar 3.x)."""
import csv
import json
import sys
import time

import h5py
import numpy as np
import pymbar

s = h5py.File(sys.argv[1], 'r')
x, z = s['samples/x'][:], s['samples/z'][:, 0]
off = s['windows/offset'][:]
c, kap = s['windows/center'][:, 0], s['windows/kappa'][:, 0]
beta = float(s['samples'].attrs['beta'][0])
f_umbra = h5py.File(sys.argv[2], 'r')['windows/f'][:]
grid = sorted({float(r[0]) for r in csv.reader(l for l in open(sys.argv[3]) if not l.startswith('#')) if r[0] != 'z'})
h = grid[1] - grid[0]
N_k = np.diff(off)
y = x[:, 1:]  # the fine coordinates (the CV is x[:, 0])
m = y.shape[1]

t0 = time.perf_counter()
u_kn = 0.5 * beta * kap[:, None] * (z[None, :] - c[:, None])**2
u_n = np.zeros(len(z))  # the unbiased state: the model's potential is common to all states
t1 = time.perf_counter()
mbar = pymbar.MBAR(u_kn, N_k, initial_f_k=f_umbra - f_umbra[0])
t2 = time.perf_counter()
rows = []
for zg in grid:
    ind = (np.abs(z - zg) < h / 2).astype(float)
    A = np.vstack([ind] + [y[:, i] * ind for i in range(m)] + [y[:, i]**2 * ind for i in range(m)])
    r = mbar.computeMultipleExpectations(A, u_n, return_theta=True, return_dict=True)
    # the covariance of the estimates from Theta as pymbar forms its 'sigma' (3.1's 'covariances'
    # output is the log-weight block of Theta, not the observables' covariance)
    I, T = A.shape[0], r['Theta']
    mu, C = r['mu'], T[:I, :I] + T[I:, I:] - T[:I, I:] - T[I:, :I]
    assert np.allclose(np.sqrt(np.maximum(np.diag(C), 0)), r['sigma'])
    b = mu[0]
    for i in range(m):
        a, q = mu[1 + i], mu[1 + m + i]
        ia, iq = 1 + i, 1 + m + i
        mean = a / b
        g = np.zeros(len(mu))  # d mean / d (b, a)
        g[0], g[ia] = -a / b**2, 1 / b
        rows.append([zg, 'mean_y%d' % (i + 1), mean, float(np.sqrt(max(g @ C @ g, 0)))])
        g = np.zeros(len(mu))  # var = q/b - (a/b)^2
        g[0], g[ia], g[iq] = -q / b**2 + 2 * a**2 / b**3, -2 * a / b**2, 1 / b
        rows.append([zg, 'var_y%d' % (i + 1), q / b - mean**2, float(np.sqrt(max(g @ C @ g, 0)))])
t3 = time.perf_counter()
# the quickest Python route, for scale: pymbar's weights of the unbiased state once, then weighted
# bin sums with numpy (values only: no error bars)
log_w = -pymbar.utils.logsumexp(mbar.f_k[:, None] - u_kn, b=N_k[:, None], axis=0)
w = np.exp(log_w - log_w.max())
k = np.rint((z - grid[0]) / h).astype(int)
inside = (k >= 0) & (k < len(grid)) & (np.abs(z - (grid[0] + k * h)) < h / 2)
sw = np.bincount(k[inside], w[inside], len(grid))
quick = {}
for i in range(m):
    s1 = np.bincount(k[inside], (w * y[:, i])[inside], len(grid)) / sw
    s2 = np.bincount(k[inside], (w * y[:, i]**2)[inside], len(grid)) / sw
    quick['mean_y%d' % (i + 1)], quick['var_y%d' % (i + 1)] = s1, s2 - s1**2
t4 = time.perf_counter()
dq = max(abs(quick[o][grid.index(zg)] - v) for zg, o, v, e in rows)
print(json.dumps({'build_seconds': t1 - t0, 'solve_seconds': t2 - t1, 'expectation_seconds': t3 - t2,
                  'numpy_seconds': t4 - t3, 'numpy_max_abs_diff': dq, 'grid_points': len(grid), 'rows': rows}))
