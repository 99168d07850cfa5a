#!/usr/bin/env bash
# A full campaign on the ring model along a learned coordinate: `umbra run -cv dmap` with no map
# yet explores (8 unbiased walkers), computes the diffusion map of those 1000 states, places 12
# umbrella windows along psi_1 between its 1% and 99% quantiles, samples them (Nystrom CV with
# its gradient in the bias), runs MBAR, and trains/lifts a tiny GAN (1 epoch: only to run the
# whole pipeline). The free energy is then mapped back to the ring angle theta and compared with
# the exact F(theta) = h((theta/theta0)^2 - 1)^2 + c (design.md section 2).
# Mapping back: theta of every sample (t606-dmap-theta, which builds the model's rotation) and
# umbra's per-sample MBAR weights exp(-log_normaliser) from fes.h5 give the unbiased histogram
# p(theta bin); F_i = -ln p_i. This is exact reweighting, whatever psi_1 is as a function of x,
# because the bias depends on x only through psi_1 (design.md: the windows' biases are known).
# Error bars: 16 independent batches (each of the 8 walkers of every window, first and second
# half of its frames; the halves are 250 frames long against an IACT of at most a few frames),
# each with its own MBAR (self-consistent iteration in numpy) and its own histogram; dF_i is the
# standard error of the batch mean of p_i divided by p_i. Bins: 0.2 rad on [-1.2, 1.2] where
# every batch has samples. Test: with c the inverse-variance weighted mean offset,
# max_i |F_i - F_exact,i - c| / dF_i <= the Student-t (15 dof) quantile at two-sided
# 0.001 / nbins (Bonferroni: at most 0.1% false alarms for the whole profile), and the learned
# coordinate is theta: |Spearman(psi_1, theta)| >= 0.99 over the campaign's samples.
# F_exact,i is the bin average -ln( (1/w) int_bin exp(-F(theta)) dtheta ), by quadrature.
# Catches: a Nystrom CV or gradient that is wrong (the windows would sample the wrong biased
# densities: MBAR's reweighting would not match theta), a learned coordinate that is not theta,
# a broken run stage (exploration, map, automatic window range).
# LONG: a whole campaign on the ring model (exploration, diffusion map, 12 windows along it, MBAR, training)
set -u
/usr/bin/python3 -c 'import numpy, h5py, scipy' 2>/dev/null || { echo "python3 with numpy, h5py and scipy not available"; exit 77; }
timeout 600 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" run -model ring -cv dmap -dmap_explore_frames 1000 -dmap_explore_steps 40000 \
  -us_windows 12 -us_kappa 60 -us_walkers 8 -us_steps 10000 -us_burnin 1000 -us_stride 20 \
  -fes_bootstrap 0 -gan_epochs 1 -gan_layers 16,16 -out camp </dev/null >run.log 2>&1 || { echo "umbra run failed"; tail -n 30 run.log; exit 1; }
for f in explore.h5 dmap.h5 dmap.csv samples.h5 fes.h5 fes.csv; do [ -s camp/$f ] || { echo "umbra run did not write camp/$f"; exit 1; }; done
grep -q "run: stage dmap" run.log || { echo "run did not make the map"; exit 1; }
grep -q "window centres along the learned coordinate" run.log || { echo "run did not place the windows along the map"; exit 1; }
"$BUILD/tests/t606-dmap-theta" -in camp/samples.h5 -out camp/theta.csv </dev/null >theta.log 2>&1 || { echo "theta conversion failed"; cat theta.log; exit 1; }
/usr/bin/python3 - <<'EOF'
import sys
import h5py, numpy as np
from scipy import stats
from scipy.special import logsumexp

s = h5py.File("camp/samples.h5", "r")
z = s["samples/z"][:, 0]
off = s["windows/offset"][:]
c = s["windows/center"][:, 0]
kap = s["windows/kappa"][:, 0]
W = int(s["windows"].attrs["walkers"][0])
Fw = int(s["windows"].attrs["frames_per_walker"][0])
K = len(c)
theta = np.loadtxt("camp/theta.csv", delimiter=",", skiprows=2)
ln = h5py.File("camp/fes.h5", "r")["samples/log_normaliser"][:]
N = len(z)
assert len(theta) == N and len(ln) == N

rho = stats.spearmanr(z, theta).correlation
print(f"Spearman(psi_1, theta) over the {N} campaign samples: {rho:.5f}")
bad = abs(rho) < 0.99

u = 0.5 * kap[:, None] * (z[None, :] - c[:, None]) ** 2       # K x N reduced biases
win = np.repeat(np.arange(K), np.diff(off))
pos = np.arange(N) - off[win]                                   # row inside the window
walker, frame = pos // Fw, pos % Fw
batch = walker * 2 + (frame >= Fw // 2)
B = 2 * W

edges = np.linspace(-1.2, 1.2, 13)
nb = len(edges) - 1
binof = np.digitize(theta, edges) - 1
inr = (binof >= 0) & (binof < nb)

def hist(logw, sel):
    w = np.exp(-(logw[sel] - logw[sel].min()))
    p = np.bincount(binof[sel & inr], weights=w[inr[sel]], minlength=nb)
    return p / w.sum()

def mbar(sel):
    ub = u[:, sel]
    Nk = np.bincount(win[sel], minlength=K).astype(float)
    f = np.zeros(K)
    for it in range(20000):
        lnorm = logsumexp(np.log(Nk)[:, None] + f[:, None] - ub, axis=0)
        fn = -logsumexp(-ub - lnorm[None, :], axis=1)
        fn -= fn[0]
        if np.max(np.abs(fn - f)) < 1e-10:
            f = fn
            break
        f = fn
    else:
        print("batch MBAR did not converge"); sys.exit(1)
    out = np.full(N, np.inf)
    out[sel] = logsumexp(np.log(Nk)[:, None] + f[:, None] - ub, axis=0)
    return out

allsel = np.ones(N, bool)
p = hist(ln, allsel)                                            # umbra's MBAR weights
pb = np.array([hist(mbar(batch == b), batch == b) for b in range(B)])
if np.any(pb <= 0):
    print("a batch has an empty theta bin: the comparison range is too wide"); sys.exit(1)
se = pb.std(axis=0, ddof=1) / np.sqrt(B)
F = -np.log(p)
dF = se / p

h, th0 = 2.0, np.pi / 4
Fex = []
for a, b in zip(edges[:-1], edges[1:]):
    t = np.linspace(a, b, 2001)
    Fex.append(-np.log(np.trapz(np.exp(-h * ((t / th0) ** 2 - 1) ** 2), t) / (b - a)))
Fex = np.array(Fex)
wts = 1 / dF ** 2
off0 = np.sum(wts * (F - Fex)) / np.sum(wts)
zsc = (F - Fex - off0) / dF
lim = stats.t.ppf(1 - 0.001 / (2 * nb), B - 1)
print("theta_bin   F(umbra)   dF      F_exact   z")
for i in range(nb):
    print(f"{0.5*(edges[i]+edges[i+1]):+.2f}     {F[i]-off0:7.3f}  {dF[i]:6.3f}  {Fex[i]:7.3f}  {zsc[i]:+.2f}")
print(f"max |z| = {np.max(np.abs(zsc)):.2f} (limit {lim:.2f}, t with {B-1} dof at two-sided 0.001/{nb}); chi2 = {np.sum(zsc**2):.1f} for {nb-1} dof")
if np.max(np.abs(zsc)) > lim:
    print("F(theta) from the learned-CV campaign does not match the exact F(theta)"); bad = True
sys.exit(1 if bad else 0)
EOF
