#!/usr/bin/env bash
# umbra fes against pymbar (Debian python3-pymbar 3.1, run with /usr/bin/python3) on the same
# samples.h5: pymbar gets u_kn built from /samples/z exactly as docs/fes.md defines it.
#   - MBAR on a 1-D fastslow run (2 ranks), a 2-D CV (x, y1) and the periodic ring angle: every
#     f_k to 1e-6 kT (pymbar's default tolerance is a relative change of 1e-12), the asymptotic
#     errors of f_k - f_0 (pymbar's default 'svd-ew' covariance), the overlap matrix
#     (computeOverlap), F(z) and its asymptotic errors (computePMF, 'from-lowest', on the
#     non-empty bins of umbra's grid) and the per-sample log normalisers.
#   - binned WHAM (-fes_type wham): pymbar on the binned data (in-range samples moved to their
#     bin centres, N_k = in-range counts) is binned WHAM with Grossfield's and gmx's
#     conventions, so f_k and F(z) must agree to 1e-6 as well.
# Catches: a wrong bias (1/2, beta, periodic image, 2-D components), a wrong gauge, a solver that
# stops early, covariance or profile-error formulas that differ from pymbar's, WHAM conventions
# (bin centres, dropped samples, in-range N_k) that differ from the peers'.
set -u
PY=${PYTHON:-/usr/bin/python3}
"$PY" -c 'import pymbar, h5py, numpy' 2>/dev/null || { echo "skip: $PY cannot import pymbar, h5py and numpy (Debian: python3-pymbar python3-h5py)"; exit 77; }
fail=0
run() { # np args...
  local np=$1
  shift
  timeout 300 $MPIEXEC -n "$np" $MPIEXEC_FLAGS "$UMBRA" "$@" </dev/null >>log.txt 2>&1 || { echo "umbra $* failed:"; tail -n 20 log.txt; fail=1; }
}
cat >compare.py <<'EOF'
import sys
import numpy as np
import h5py
import pymbar

d, mode = sys.argv[1], sys.argv[2]
s, f = h5py.File(d + '/samples.h5', 'r'), h5py.File(d + '/fes.h5', 'r')
z = s['samples/z'][:]
off = s['windows/offset'][:]
c, kap = s['windows/center'][:], s['windows/kappa'][:]
beta, per = s['samples'].attrs['beta'][0], s['samples'].attrs['cv_period']
K, dim = c.shape
win = np.repeat(np.arange(K), np.diff(off))
edges = [f['grid/edges%d' % (a + 1)][:] for a in range(dim)]
nb = [len(e) - 1 for e in edges]


def bias(p):
    u = np.zeros((K, len(p)))
    for a in range(dim):
        dz = p[None, :, a] - c[:, a, None]
        if per[a] > 0:
            dz -= per[a] * np.round(dz / per[a])
        u += 0.5 * beta * kap[:, a, None] * dz**2
    return u


def binof(p):
    b = np.zeros(len(p), dtype=np.int64)
    ok = np.ones(len(p), dtype=bool)
    for a in range(dim):
        v = p[:, a].copy()
        if per[a] > 0:
            v = edges[a][0] + np.mod(v - edges[a][0], per[a])
        ok &= (v >= edges[a][0]) & (v < edges[a][-1])
        i = np.clip(np.floor((v - edges[a][0]) / (edges[a][1] - edges[a][0])).astype(np.int64), 0, nb[a] - 1)
        b = b * nb[a] + i
    return np.where(ok, b, -1)


bins = binof(z)
if mode == 'mbar':
    pts, Nk, pbin = z, np.diff(off), bins
else:  # binned WHAM: in-range samples at their bin centres
    keep = bins >= 0
    centres = [0.5 * (e[1:] + e[:-1]) for e in edges]
    idx = np.array(np.unravel_index(bins[keep], nb)).T
    pts = np.stack([centres[a][idx[:, a]] for a in range(dim)], axis=1)
    Nk, pbin = np.bincount(win[keep], minlength=K), bins[keep]
u = bias(pts)
m = pymbar.MBAR(u, Nk)
r = m.getFreeEnergyDifferences(return_dict=True)
worst = {}
worst['f'] = np.max(np.abs(r['Delta_f'][0] - f['windows/f'][:]))
worst['df_asymptotic (rel)'] = np.max(np.abs(r['dDelta_f'][0] - f['windows/df_asymptotic'][:]) / np.max(r['dDelta_f'][0]))
worst['overlap'] = np.max(np.abs(m.computeOverlap()['matrix'] - f['diagnostics/overlap'][:]))
used = np.unique(pbin[pbin >= 0])
remap = -np.ones(np.prod(nb), dtype=np.int64)
remap[used] = np.arange(len(used))
F, dF = m.computePMF(np.zeros(len(pts)), np.where(pbin >= 0, remap[np.maximum(pbin, 0)], -1), len(used), uncertainties='from-lowest')
worst['F'] = np.max(np.abs(F - f['profile/F'][:][used]))
worst['dF_asymptotic (rel)'] = np.max(np.abs(dF - f['profile/dF_asymptotic'][:][used])) / np.max(dF)
if mode == 'mbar':
    lse = np.log(np.sum(Nk[:, None] * np.exp(m.f_k[:, None] - u), axis=0))
    worst['log_normaliser'] = np.max(np.abs(lse - f['samples/log_normaliser'][:]))
tol = {'f': 1e-6, 'F': 1e-6, 'overlap': 1e-9, 'log_normaliser': 1e-9, 'df_asymptotic (rel)': 1e-6, 'dF_asymptotic (rel)': 1e-6}
bad = [k for k in worst if not worst[k] <= tol[k]]
print('%s %s: K=%d, N=%d, %d bins: ' % (d, mode, K, len(pts), len(used)) + ', '.join('max |%s| diff %.2g' % (k, v) for k, v in worst.items()))
if bad:
    print('  FAIL: ' + ', '.join('%s (tolerance %g)' % (k, tol[k]) for k in bad))
    sys.exit(1)
EOF
compare() { "$PY" compare.py "$1" "$2" || fail=1; }

# 1-D fastslow, MBAR and binned WHAM on the same samples
run 2 sample -us_windows 16 -us_walkers 2 -us_steps 20000 -us_stride 10 -out oned
mkdir -p onedw && cp oned/samples.h5 onedw/
run 2 fes -out oned -fes_bootstrap 0
run 3 fes -out onedw -fes_type wham -fes_range -1.6,1.6 -fes_bins 40 -fes_bootstrap 0
compare oned mbar
compare onedw wham
# 2-D CV (x, y1) on a 4 x 3 grid of windows
run 2 sample -cv coord -cv_index 0,1 -us_windows 4,3 -us_range -1.2,1.2,-0.5,1.5 -us_kappa 30,20 -us_walkers 2 -us_steps 20000 -us_stride 20 -us_dt 2e-4 -out twod
run 3 fes -out twod -fes_bootstrap 0 -fes_bins 20,15
compare twod mbar
# periodic CV: the ring model's angle without its double well (flat on the circle), windows over
# the whole period, so that samples wrap around +-pi
run 2 sample -model ring -ring_h 0 -us_windows 12 -us_range -3.141592653589793,3.141592653589793 -us_kappa 10 -us_walkers 2 -us_steps 10000 -us_stride 10 -us_dt 2e-4 -out ring
run 1 fes -out ring -fes_bootstrap 0 -fes_bins 36
compare ring mbar
grep -q "solver: converged" log.txt || { echo "no solver summary on the console"; fail=1; }
exit $fail
