#!/usr/bin/python3
"""SciPy peer of `umbra dmap` (tests/bench/dmap): the same kernel and eigenproblem.

    peer.py data.h5 k eps nev  ->  JSON on stdout

kNN graph: scipy.spatial.cKDTree (k nearest including the point itself, exact), union
symmetrised (i ~ j when d_ij <= max(rho_i, rho_j), as umbra); K_ij = exp(-d_ij^2 / eps);
alpha = 1: K~ = Q^-1 K Q^-1, q = row sums; S = D^-1/2 K~ D^-1/2; the nev + 1 largest eigenvalues
of S by scipy.sparse.linalg.eigsh (ARPACK implicitly restarted Lanczos, which='LA',
tol 1e-12 like umbra's SLEPc default). Also `gen` mode writes the benchmark data:
    peer.py gen N out.h5   (noisy unit circle in R^10, randomly rotated, seed 42)
and `dense` mode computes the same kernel and eigenvalues the way short diffusion-map scripts
do, with dense N x N arrays (where they fit in memory):
    peer.py dense data.h5 k eps nev  ->  JSON on stdout
(scipy.spatial.distance.cdist for every squared distance, the k nearest by argpartition, the
kernel, its normalisations and S as dense arrays, and every eigenpair by numpy.linalg.eigh,
LAPACK's dense symmetric solver)
"""
import json
import sys
import time

import numpy as np
import h5py


def sattr(obj, name, text):  # NUL-terminated fixed-length string, as umbra writes them
    tid = h5py.h5t.C_S1.copy()
    tid.set_size(len(text) + 1)
    tid.set_strpad(h5py.h5t.STR_NULLTERM)
    h5py.h5a.create(obj.id, name.encode(), tid, h5py.h5s.create(h5py.h5s.SCALAR)).write(
        np.array(text.encode() + b'\0', dtype='S%d' % (len(text) + 1)))


def gen(N, path):
    rng = np.random.default_rng(42)
    th = rng.uniform(-np.pi, np.pi, N)
    r = 1 + 0.05 * rng.standard_normal(N)
    q = np.zeros((N, 10))
    q[:, 0], q[:, 1] = r * np.cos(th), r * np.sin(th)
    q[:, 2:] = 0.05 * rng.standard_normal((N, 8))
    Q, _ = np.linalg.qr(rng.standard_normal((10, 10)))
    with h5py.File(path, 'w') as f:
        sattr(f, 'umbra_format', '1.0')
        sattr(f, 'umbra_kind', 'samples')
        f['samples/x'] = q @ Q.T


def dense(path, k, eps, nev):
    from scipy.spatial.distance import cdist
    x = h5py.File(path, 'r')['samples/x'][()]
    N = x.shape[0]
    t0 = time.perf_counter()
    D2 = cdist(x, x, 'sqeuclidean')
    near = np.argpartition(D2, k - 1, axis=1)[:, :k]
    A = np.zeros((N, N), dtype=bool)
    A[np.repeat(np.arange(N), k), near.ravel()] = True
    A |= A.T
    t1 = time.perf_counter()
    K = np.where(A, np.exp(-D2 / eps), 0.0)
    q = K.sum(axis=1)
    Kt = K / np.outer(q, q)
    s = 1 / np.sqrt(Kt.sum(axis=1))
    S = Kt * np.outer(s, s)
    t2 = time.perf_counter()
    lam = np.linalg.eigh(S)[0][::-1][:nev + 1]
    t3 = time.perf_counter()
    json.dump({'N': N, 'nnz': int(A.sum()), 'knn_seconds': t1 - t0, 'kernel_seconds': t2 - t1,
               'eigen_seconds': t3 - t2, 'total_seconds': t3 - t0,
               'eigenvalues': [float(v) for v in lam]}, sys.stdout)


def main():
    if sys.argv[1] == 'gen':
        gen(int(sys.argv[2]), sys.argv[3])
        return
    if sys.argv[1] == 'dense':
        dense(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]))
        return
    from scipy import sparse
    from scipy.sparse.linalg import eigsh
    from scipy.spatial import cKDTree
    path, k, eps, nev = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    x = h5py.File(path, 'r')['samples/x'][()]
    N = x.shape[0]
    t0 = time.perf_counter()
    tree = cKDTree(x)
    d, idx = tree.query(x, k=k)
    t1 = time.perf_counter()
    rho2 = d[:, -1] ** 2
    rows = np.repeat(np.arange(N), k)
    cols = idx.ravel()
    d2 = d.ravel() ** 2
    # union: the directed lists plus their transposes, duplicates removed (same d2 both ways)
    r2 = np.concatenate([rows, cols])
    c2 = np.concatenate([cols, rows])
    v2 = np.concatenate([d2, d2])
    key = r2.astype(np.int64) * N + c2
    key, first = np.unique(key, return_index=True)
    K = sparse.csr_matrix((np.exp(-v2[first] / eps), (r2[first], c2[first])), shape=(N, N))
    q = np.asarray(K.sum(axis=1)).ravel()
    Kt = sparse.diags(1 / q) @ K @ sparse.diags(1 / q)
    D = np.asarray(Kt.sum(axis=1)).ravel()
    s = 1 / np.sqrt(D)
    S = (sparse.diags(s) @ Kt @ sparse.diags(s)).tocsr()
    t2 = time.perf_counter()
    v0 = np.random.default_rng(0).uniform(-1, 1, N)
    lam = eigsh(S, k=nev + 1, which='LA', tol=1e-12, v0=v0, return_eigenvectors=False)
    t3 = time.perf_counter()
    lam = np.sort(lam)[::-1]
    json.dump({'N': N, 'nnz': int(S.nnz), 'knn_seconds': t1 - t0, 'kernel_seconds': t2 - t1,
               'eigen_seconds': t3 - t2, 'total_seconds': t3 - t0,
               'eigenvalues': [float(v) for v in lam]}, sys.stdout)


if __name__ == '__main__':
    main()
