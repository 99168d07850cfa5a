#!/usr/bin/env python3
"""pymbar side of tests/bench/fes: MBAR on the samples of an umbra samples.h5, timed.

Builds u_kn = beta * kappa_k / 2 * (z_n - center_k)^2 (1-D, not periodic: the synthetic set of
gen.py) as a dense K x N array, as pymbar requires, then times pymbar.MBAR(u_kn, N_k) (3.1:
adaptive SC/Newton, tolerance 1e-12) and getFreeEnergyDifferences (asymptotic errors, 'svd-ew').
Prints one JSON line: solve and uncertainty seconds and f_k - f_0.
Usage: peer.py SAMPLES_H5   (run with /usr/bin/python3: numpy, h5py, pymbar 3.x)"""
import json
import sys
import time

import h5py
import numpy as np
import pymbar

s = h5py.File(sys.argv[1], 'r')
z = s['samples/z'][:, 0]
off = s['windows/offset'][:]
c, kap = s['windows/center'][:, 0], s['windows/kappa'][:, 0]
beta = float(s['samples'].attrs['beta'][0])
N_k = np.diff(off)
t0 = time.perf_counter()
u_kn = 0.5 * beta * kap[:, None] * (z[None, :] - c[:, None])**2
t1 = time.perf_counter()
m = pymbar.MBAR(u_kn, N_k)
t2 = time.perf_counter()
r = m.getFreeEnergyDifferences(return_dict=True)
t3 = time.perf_counter()
print(json.dumps({'build_seconds': t1 - t0, 'solve_seconds': t2 - t1, 'uncertainty_seconds': t3 - t2,
                  'f': [float(v) for v in r['Delta_f'][0]], 'df': [float(v) for v in r['dDelta_f'][0]]}))
