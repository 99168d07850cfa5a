#!/usr/bin/python3
"""psi | phi of lifted alanine dipeptide states against the physics samples.

usage: psi-given-phi.py samples.h5 lift.h5 [halfwidth]

For each lifted value phi0 of lift.h5: psi (atoms 7-9-15-17) of its lifted states, and psi of the
physics samples with |phi - phi0| <= halfwidth (default 0.05 rad; phi = atoms 5-7-9-15). The
two-sample Kolmogorov-Smirnov distance D between them on the circle's cut at psi = -2 (-115
degrees, the least populated psi for every phi), its critical value at alpha = 1e-3 with the
physics count reduced to its effective size (per window: selected samples / (2 IACT)), and the
share of psi in the C7eq/alpha_R basin (-2 < psi < 2.2) of each. Prints one line per phi0 and
exits 1 when any D exceeds its critical value. Own dihedral code (the IUPAC sign)."""
import os
import sys
import h5py
import numpy as np


def dihedral(x, a, b, c, d):
    """x: (m, 66); atoms 1-based"""
    r = x.reshape(len(x), -1, 3)
    f = r[:, a - 1] - r[:, b - 1]
    g = r[:, b - 1] - r[:, c - 1]
    h = r[:, d - 1] - r[:, c - 1]
    A = np.cross(f, g)
    B = np.cross(h, g)
    gn = np.linalg.norm(g, axis=1)
    return np.arctan2(-gn * np.einsum("ij,ij->i", f, B), np.einsum("ij,ij->i", A, B))


def cut(psi):
    """psi on [-2, -2 + 2 pi)"""
    return (psi + 2) % (2 * np.pi) - 2


def ks(a, b):
    allv = np.sort(np.concatenate([a, b]))
    fa = np.searchsorted(np.sort(a), allv, side="right") / len(a)
    fb = np.searchsorted(np.sort(b), allv, side="right") / len(b)
    return np.max(np.abs(fa - fb))


def main():
    samples, lift = sys.argv[1], sys.argv[2]
    hw = float(sys.argv[3]) if len(sys.argv) > 3 else 0.05
    with h5py.File(samples, "r") as f:
        x = f["/samples/x"][...]
        offset = f["/windows/offset"][...]
        iact = f["/windows/iact"][...]
    with h5py.File(lift, "r") as f:
        lz = f["/lift/z"][...][:, 0]
        lx = f["/lift/x"][...]
    phi = dihedral(x, 5, 7, 9, 15)
    psi = cut(dihedral(x, 7, 9, 15, 17))
    shift = float(os.environ.get("PSI_SHIFT", "0"))
    tol = float(os.environ.get("PSI_PHI_TOL", "1e-9"))
    bad = 0
    for k, z0 in enumerate(lz):
        dphi = np.abs((phi - z0 + np.pi) % (2 * np.pi) - np.pi)
        sel = dphi <= hw
        neff = 0.0
        for w in range(len(iact)):
            nw = np.count_nonzero(sel[offset[w]:offset[w + 1]])
            neff += nw / max(1.0, 2 * iact[w])
        a = psi[sel]
        b = cut(dihedral(lx[k], 7, 9, 15, 17) + shift)
        off = np.max(np.abs((dihedral(lx[k], 5, 7, 9, 15) - z0 + np.pi) % (2 * np.pi) - np.pi))
        m = len(b)
        d = ks(a, b)
        crit = 1.949 * np.sqrt((neff + m) / (neff * m))  # sqrt(-ln(alpha / 2) / 2), alpha = 1e-3
        basin_a = np.mean((a > -2) & (a < 2.2))
        basin_b = np.mean((b > -2) & (b < 2.2))
        ok = d <= crit and off <= tol
        bad += not ok
        print("phi %+.3f: KS %.4f, critical %.4f (physics %d samples, effective %.0f; lifted %d); "
              "share in -2 < psi < 2.2: physics %.3f, lifted %.3f; lifted |phi - phi0| <= %.2g  %s"
              % (z0, d, crit, len(a), neff, m, basin_a, basin_b, off, "pass" if ok else "FAIL"))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
