#!/usr/bin/env python3
"""Per-window mode weight P(y1 > 0) of an umbra run against the exact value (tests/t231).

usage: t231-modes.py exact.csv samples.h5 [windows.csv] [--label L] [--alpha A] [--batches B]
                     [--expect pass|fail] [--min-accept A] [--lift lift.h5]

exact.csv: `umbra exact` on a fine grid wider than the windows (columns z, F, ppos_y1). The exact
weight of window k averages the conditional over the window's biased CV distribution:
    P_k = int ppos(z) exp(-F(z) - beta kappa/2 (z - c_k)^2) dz / int exp(-F(z) - beta kappa/2 (z - c_k)^2) dz
(trapezoid rule on the exact grid; F in kT). This is the quantity the window's samples estimate
whether or not their z distribution is right; the average of ppos over the sampled z is printed
too (column "cond") as a check of the conditional alone. Column "up": the fraction of the
window's walkers that were ever in y1 > 0 at a saved frame.

Error bar: batch means of the indicator y1 > 0 over walkers x B consecutive blocks of frames
(IACT-aware as long as a block is longer than the correlation time), floored by the binomial
error of independent samples at the exact value (a trapped window has batch variance zero).
Critical value: two-sided Student t quantile for alpha / K (Bonferroni over the K windows) with
walkers x B - 1 degrees of freedom.

--expect pass: exit 1 if a window is off by more than the critical value; --expect fail: exit 1
if none is (the run must be measurably wrong). --min-accept A: exit 1 if a window's flow
acceptance in windows.csv is below A or its mode-switch rate is zero. --lift lift.h5: the flow's
lifted P(y1 > 0 | z) against the pooled data near z and exact; exit 1 if the flow misses a mode
(under 1% of its draws) where the data holds both (2% to 98%).
"""
import csv
import sys

import h5py
import numpy as np


def read_csv(path):
    with open(path) as f:
        rows = [l for l in f if not l.startswith("#")]
    return list(csv.DictReader(rows))


def t_quantile(p, dof):
    """upper p quantile of Student's t with dof degrees of freedom (bisection on the CDF)"""
    try:
        from scipy.stats import t
        return float(t.isf(p, dof))
    except ImportError:
        pass
    from math import lgamma, exp, pi, sqrt
    # CDF via numerical integration of the density (dof >= 2), good to ~1e-8 here
    c = exp(lgamma((dof + 1) / 2) - lgamma(dof / 2)) / sqrt(dof * pi)

    def tail(x):
        s = np.linspace(x, x + 200.0, 400001)
        d = c * (1 + s * s / dof) ** (-(dof + 1) / 2)
        return np.trapz(d, s)

    lo, hi = 0.0, 50.0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if tail(mid) > p:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def main(argv):
    args, opts, i = [], {"label": "run", "alpha": "1e-3", "batches": "5", "expect": ""}, 0
    lift = None
    while i < len(argv):
        if argv[i] == "--lift":
            lift = argv[i + 1]
            i += 1
        elif argv[i].startswith("--"):
            opts[argv[i][2:]] = argv[i + 1]
            i += 1
        else:
            args.append(argv[i])
        i += 1
    ex = read_csv(args[0])
    zg = np.array([float(r["z"]) for r in ex])
    Fg = np.array([float(r["F"]) for r in ex])
    pg = np.array([float(r["ppos_y1"]) for r in ex])
    f = h5py.File(args[1], "r")
    off = f["windows/offset"][:]
    cen = f["windows/center"][:, 0]
    kap = f["windows/kappa"][:, 0]
    W = int(f["windows"].attrs["walkers"][0])
    beta = float(np.ravel(f["samples"].attrs["beta"])[0])
    x = f["samples/x"]
    K = len(cen)
    if lift:
        # the trained flow's lifted mode weight against the pooled data near each z and exact
        lf = h5py.File(lift, "r")
        lz, lx = lf["lift/z"][:, 0], lf["lift/x"][:]
        z = f["samples/z"][:, 0]
        up = f["samples/x"][:, 1] > 0
        print("# lifted flow: P(y1 > 0 | z) of the flow's states, of the pooled data within 0.1 of z, exact")
        print("# %7s %7s %7s %7s %s" % ("z", "flow", "data", "exact", ""))
        bad = 0
        for j in range(len(lz)):
            pf = np.mean(lx[j, :, 1] > 0)
            m = np.abs(z - lz[j]) < 0.1
            pd = up[m].mean() if m.any() else float("nan")
            both = 0.02 <= pd <= 0.98
            # where the data holds both modes, the flow must produce both (1% of its draws each)
            miss = both and not (0.01 <= pf <= 0.99)
            bad += miss
            print("  %+7.3f %7.3f %7.3f %7.3f %s" % (lz[j], pf, pd, np.interp(lz[j], zg, pg),
                  "MISSES A MODE" if miss else ("both modes in the data" if both else "")))
        if bad:
            print("FAIL: the flow misses a mode at %d CV values where the data has both" % bad)
            return 1
        return 0
    flow = {}
    if len(args) > 2:
        for r in read_csv(args[2]):
            flow[int(r["window"])] = r
    B = int(opts["batches"])
    alpha = float(opts["alpha"])
    crit = t_quantile(alpha / (2 * K), W * B - 1)
    worst, worst_k = 0.0, -1
    print("# %s: P(y1 > 0) per window against exact (batch means over %d walkers x %d blocks; "
          "critical %.2f = t quantile, alpha %g Bonferroni over %d windows)" % (opts["label"], W, B, crit, alpha, K))
    print("# %2s %7s %7s %7s %7s %7s %6s %6s %8s %8s" % ("k", "centre", "exact", "cond", "P", "se", "|z|", "up", "accept", "switch"))
    for k in range(K):
        xs = x[off[k]:off[k + 1], 1].reshape(W, -1)
        zs = f["samples/z"][off[k]:off[k + 1], 0]
        e = Fg + beta * 0.5 * kap[k] * (zg - cen[k]) ** 2
        w = np.exp(-(e - e.min()))
        pk = np.trapz(w * pg, zg) / np.trapz(w, zg)
        cond = np.interp(zs, zg, pg).mean()
        L = xs.shape[1] // B
        bm = (xs[:, :L * B] > 0).reshape(W, B, L).mean(axis=2).ravel()
        mean = bm.mean()
        se = max(np.sqrt(bm.var(ddof=1) / bm.size), np.sqrt(pk * (1 - pk) / (W * L * B)))
        zsc = abs(mean - pk) / se
        if zsc > worst:
            worst, worst_k = zsc, k
        r = flow.get(k, {})
        # fraction of walkers that ever visit y1 > 0 (the physics crossing)
        visited = np.mean((xs > 0).any(axis=1))
        print("  %2d %+7.3f %7.4f %7.4f %7.4f %7.4f %6.2f %6.2f %8s %8s" % (k, cen[k], pk, cond, mean, se, zsc, visited,
              r.get("flow_acceptance", "-"), r.get("flow_switch_rate", "-")))
    print("# %s: largest |z| %.2f (window %d), critical %.2f" % (opts["label"], worst, worst_k, crit))
    if "min-accept" in opts:
        acc = [float(flow[k]["flow_acceptance"]) for k in range(K)] if flow else [0.0]
        sw = [float(flow[k]["flow_switch_rate"]) for k in range(K)] if flow else [0.0]
        print("# %s: flow acceptance %.3f .. %.3f, mode-switch rate %.3f .. %.3f per proposal"
              % (opts["label"], min(acc), max(acc), min(sw), max(sw)))
        if min(acc) < float(opts["min-accept"]) or min(sw) <= 0:
            print("FAIL: %s: a window's flow acceptance is below %s or it has no mode switch" % (opts["label"], opts["min-accept"]))
            return 1
    if opts["expect"] == "pass" and not worst <= crit:
        print("FAIL: %s: window %d is off by %.2f standard errors (critical %.2f)" % (opts["label"], worst_k, worst, crit))
        return 1
    if opts["expect"] == "fail" and not worst > crit:
        print("FAIL: %s: every window agrees with exact (largest |z| %.2f, critical %.2f): the check cannot fail"
              % (opts["label"], worst, crit))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
