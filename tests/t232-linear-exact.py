#!/usr/bin/env python3
"""Exact table of fastslow (tilted coupling, one fast y, beta = 1) along a linear CV
z = c x + s y (c^2 + s^2 = 1), in the columns of `umbra exact` that tests/t231-modes.py and
tests/t232 read: z, F, ppos_y1, mean_y1, mean_x.

usage: t232-linear-exact.py H CW T C S OUT.csv

The level set of z is the line x = c z - s u, y = s z + c u (u in R, orthonormal), and the
surface measure is du, so exp(-F(z)) = int exp(-U(x, y)) du up to a constant and the
conditional averages are du-weighted averages. Trapezoid rule on u in [-4, 4] with 8001 points
(the integrand is below e^-60 of its maximum beyond |u| = 3 for these parameters)."""
import sys

import numpy as np


def main(h, cw, t, c, s, out):
    u = np.linspace(-4, 4, 8001)
    rows = []
    for z in np.linspace(-3, 3, 1201):
        x, y = c * z - s * u, s * z + c * u
        U = h * (x * x - 1) ** 2 + cw * (y * y - 1) ** 2 - t * x * y
        w = np.exp(-(U - U.min()))
        Z = np.trapz(w, u)
        rows.append((z, -np.log(Z) + U.min(), np.trapz(w * (y > 0), u) / Z, np.trapz(w * y, u) / Z, np.trapz(w * x, u) / Z))
    with open(out, "w") as f:
        f.write("# fastslow tilted along the linear CV %g x + %g y (t232-linear-exact.py)\n" % (c, s))
        f.write("z,F,ppos_y1,mean_y1,mean_x\n")
        for r in rows:
            f.write(",".join("%.12g" % v for v in r) + "\n")


if __name__ == "__main__":
    a = sys.argv[1:]
    main(*(float(v) for v in a[:5]), a[5])
