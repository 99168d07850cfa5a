#!/usr/bin/env bash
# umbra dmap gives the same map at 1, 2 and 3 ranks (samples.h5 of the ring model written once).
# Cases: the default kNN kernel with automatic bandwidth on a random subsample (-dmap_points, the
# rows chosen by Philox keys per row, so the same rows at any rank count), and the cut-off kernel
# with a given eps and 2 coordinates. Compared (python3, numpy, h5py):
#  - identical: the rows mapped (/dmap/index and the index column of dmap.csv), eps, the number
#    of non-zeros of the kernel, the chosen coordinates, the column order;
#  - eigenvalues to 1e-11 (symmetric problem: the eigenvalue error is of the order of the squared
#    residual, SLEPc's tolerance is 1e-12 on the relative residual);
#  - eigenvectors: column j of dmap.csv to 1e-12 * 10 sqrt(N) / gap_j, gap_j = the distance of
#    lambda_j to the nearest other eigenvalue (lambda_0 = 1 included). The eigenvector error of a
#    residual r is |r| / gap; sqrt(N) converts the unit 2-norm of the SLEPc vector to a
#    component of psi (unit mean square), 10 covers the spread of the degrees and both runs;
#  - scores to 1e-6 (they are smooth functions of the eigenvectors).
# The only differences allowed are round-off: the kernel rows are summed in column order, the
# start vector and the sign choice are keyed by sample row; the Krylov iteration's reductions
# differ by rank count. Catches: a neighbour lost or duplicated in the ring exchange or the
# symmetrisation, rows read or written by the wrong rank, a subsample that depends on the rank
# count, a rank-dependent start vector or sign.
set -u
fail=0
run() { # np args...
  local np=$1
  shift
  timeout 300 $MPIEXEC -n "$np" $MPIEXEC_FLAGS "$UMBRA" "$@" </dev/null >>log.txt 2>&1 || { echo "umbra $* failed:"; tail -n 20 log.txt; fail=1; }
}
/usr/bin/python3 -c 'import numpy, h5py' 2>/dev/null || { echo "python3 with numpy and h5py not available"; exit 77; }
common="-model ring"
run 2 sample $common -cv native -us_windows 8 -us_range -1.2,1.2 -us_kappa 20 -us_walkers 2 -us_steps 4000 -us_burnin 500 -us_stride 20 -out base
for np in 1 2 3; do
  for c in knn cut; do mkdir -p $c.$np && cp base/samples.h5 $c.$np/; done
  run $np dmap $common -out knn.$np -dmap_cutoff 0 -dmap_points 2000
  run $np dmap $common -out cut.$np -dmap_cutoff 4 -dmap_eps 0.05 -dmap_dim 2 -dmap_nev 6
done
[ $fail = 0 ] || exit 1
/usr/bin/python3 - <<'EOF' || fail=1
import h5py, numpy as np, sys
bad = 0
def err(msg):
    global bad
    print(msg); bad = 1
for case in ("knn", "cut"):
    ref = h5py.File(f"{case}.1/dmap.h5", "r")
    cref = np.loadtxt(f"{case}.1/dmap.csv", delimiter=",", skiprows=2, ndmin=2)
    lam = ref["/dmap/eigenvalues"][()]
    order = ref["/dmap/column_order"][()]
    N = cref.shape[0]
    allv = np.concatenate(([1.0], lam))
    for np_ in (2, 3):
        f = h5py.File(f"{case}.{np_}/dmap.h5", "r")
        c = np.loadtxt(f"{case}.{np_}/dmap.csv", delimiter=",", skiprows=2, ndmin=2)
        tag = f"{case} at 1 and {np_} ranks"
        for name in ("/dmap/index", "/dmap/coordinates", "/dmap/column_order"):
            if not np.array_equal(ref[name][()], f[name][()]): err(f"{tag}: {name} differs")
        for a in ("eps", "nnz", "points"):
            if ref["/dmap"].attrs[a] != f["/dmap"].attrs[a]: err(f"{tag}: attribute {a} {ref['/dmap'].attrs[a]} vs {f['/dmap'].attrs[a]}")
        if not np.array_equal(cref[:, 0], c[:, 0]): err(f"{tag}: dmap.csv index column differs")
        dl = np.max(np.abs(lam - f["/dmap/eigenvalues"][()]))
        if dl > 1e-11: err(f"{tag}: eigenvalues differ by {dl:.3g}")
        ds = np.max(np.abs(ref["/dmap/scores"][()] - f["/dmap/scores"][()]))
        if ds > 1e-6: err(f"{tag}: scores differ by {ds:.3g}")
        for col, j in enumerate(order):
            others = np.delete(allv, j)
            gap = np.min(np.abs(others - allv[j]))
            tol = 1e-12 * 10 * np.sqrt(N) / gap
            d = np.max(np.abs(cref[:, col + 1] - c[:, col + 1]))
            print(f"{tag}: psi_{j} (gap {gap:.3g}): max difference {d:.3g}, tolerance {tol:.3g}")
            if d > tol: err(f"{tag}: psi_{j} differs by {d:.3g} > {tol:.3g}")
sys.exit(bad)
EOF
exit $fail
