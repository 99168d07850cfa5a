#!/usr/bin/env python3
"""Synthetic umbrella data of pymbar's own benchmarks (pymbar PR #570, anchors.md A.2):
K windows, N samples each, x = k + N(0, 1) in window k, reduced bias 1/2 (x - k)^2 (beta = 1,
kappa = 1, centre k); with KAPPA, x = k + N(0, 1/KAPPA) and bias KAPPA/2 (x - k)^2 (a smaller
KAPPA puts more windows within reach of each sample), written as an umbra samples.h5 with the layout `umbra sample` writes
(docs/outputs.md), so `umbra fes` reads it like any run. The samples are independent, so
/windows/iact = 1. Usage: gen.py K N OUT.h5 [SEED [KAPPA]]   (run with /usr/bin/python3: numpy, h5py)"""
import sys
import numpy as np
import h5py

K, N, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
seed = int(sys.argv[4]) if len(sys.argv) > 4 else 42
kappa = float(sys.argv[5]) if len(sys.argv) > 5 else 1.0
rng = np.random.default_rng(seed)


def sattr(obj, name, text):
    """fixed-length, NUL-terminated string attribute, as umbra writes them"""
    tid = h5py.h5t.C_S1.copy()
    tid.set_size(len(text) + 1)
    tid.set_strpad(h5py.h5t.STR_NULLTERM)
    if name in obj.attrs:
        del obj.attrs[name]
    a = h5py.h5a.create(obj.id, name.encode(), tid, h5py.h5s.create(h5py.h5s.SCALAR))
    a.write(np.array(text.encode() + b'\0', dtype='S%d' % (len(text) + 1)))


with h5py.File(out + '.tmp', 'w') as f:
    sattr(f, 'umbra_format', '1.0')
    sattr(f, 'umbra_kind', 'samples')
    z = f.create_dataset('samples/z', (K * N, 1), dtype='<f8')
    for k in range(K):  # window by window: memory O(N)
        z[k * N:(k + 1) * N, 0] = k + rng.standard_normal(N) / np.sqrt(kappa)
    f['samples/x'] = h5py.SoftLink('/samples/z')
    s = f['samples']
    sattr(s, 'model', 'synthetic')
    sattr(s, 'cv', 'coord')
    sattr(s, 'cv_names', 'x')
    sattr(s, 'coordinates', 'x')
    s.attrs['beta'] = np.array([1.0])
    s.attrs['cv_period'] = np.array([0.0])
    f['windows/center'] = np.arange(K, dtype='<f8').reshape(K, 1)
    f['windows/kappa'] = np.full((K, 1), kappa, dtype='<f8')
    f['windows/offset'] = np.arange(K + 1, dtype='<i8') * N
    f['windows/n_samples'] = np.full(K, N, dtype='<i8')
    f['windows/iact'] = np.ones(K, dtype='<f8')
    w = f['windows']
    for key, v in (('walkers', 1), ('stride', 1), ('frames_per_walker', N), ('steps', N), ('burnin', 0), ('seed', seed)):
        w.attrs[key] = np.array([v], dtype='<i8')
    w.attrs['dt'] = np.array([1.0])
    sattr(w, 'integrator', 'none')
import os
os.replace(out + '.tmp', out)
