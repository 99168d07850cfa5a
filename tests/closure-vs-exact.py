"""Closures of closures.csv against the exact values (used by t702-t704 and t707).

Route physics (default): every row with a physics estimate and an exact value must agree within
z * physics_err. Route gan (--gan): the generator's closure within z * sqrt(gan_err^2 +
physics_err^2), the generator's error budget (it learned from the physics samples, so it carries
their sampling error besides its own lifting error; docs/closures.md). z is the two-sided
Bonferroni normal quantile for a family-wise false-alarm probability alpha (0.01) over all
compared rows: a correct estimator with correct error bars fails with probability <= alpha.
Usage: closure-vs-exact.py [--gan] [--skip obs,...] closures.csv [observable ...]
(the observables listed must be present; --skip leaves observables out of the comparison)
"""
import csv
import math
import sys
from statistics import NormalDist

args = sys.argv[1:]
gan = "--gan" in args
args = [a for a in args if a != "--gan"]
skip = set()
if "--skip" in args:
    i = args.index("--skip")
    skip = set(args[i + 1].split(","))
    del args[i : i + 2]
rows = list(csv.DictReader(open(args[0]).readlines()[1:]))
est = "gan" if gan else "physics"
ok = [r for r in rows if r["observable"] not in skip and r["physics"] != "nan" and r[est] != "nan" and r["exact"] != "nan"]
if not ok:
    print(f"no rows with both a {est} estimate and an exact value")
    sys.exit(1)
zq = NormalDist().inv_cdf(1 - 0.01 / (2 * len(ok)))
bad, worst = 0, 0
for r in ok:
    p, e, x = float(r[est]), float(r["physics_err"]), float(r["exact"])
    if gan:
        e = math.hypot(e, float(r["gan_err"]))
    if abs(p - x) <= 1e-12 * (abs(p) + abs(x)):
        continue
    z = abs(p - x) / e
    worst = max(worst, z)
    if z > zq:
        bad += 1
        at = r["z"] + (", " + r["z2"] if "z2" in r else "")
        print(f"  {r['observable']} at z = {at}: {est} {p:.5g} +- {e:.2g}, exact {x:.5g} ({z:.1f} standard errors)")
print(f"# {len(ok)} {est} closures vs exact: worst {worst:.2f} standard errors, tolerance {zq:.2f}")
need = set(args[1:])
missing = need - {r["observable"] for r in ok}
if missing:
    print("observables missing from closures.csv:", ", ".join(sorted(missing)))
    sys.exit(1)
sys.exit(1 if bad else 0)
