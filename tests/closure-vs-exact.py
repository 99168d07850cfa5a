"""Physics closures of closures.csv against the exact values (used by t702 and t703).

Every row with a physics estimate and an exact value must agree within z * physics_err, z the
two-sided Bonferroni normal quantile for a family-wise false-alarm probability alpha (0.01) over
all compared rows: a correct estimator with correct error bars fails with probability <= alpha.
Usage: closure-vs-exact.py closures.csv [observable ...]  (the observables that must be present)
"""
import csv
import sys
from statistics import NormalDist

rows = list(csv.DictReader(open(sys.argv[1]).readlines()[1:]))
ok = [r for r in rows if r["physics"] != "nan" and r["exact"] != "nan"]
if not ok:
    print("no rows with both a physics estimate and an exact value")
    sys.exit(1)
zq = NormalDist().inv_cdf(1 - 0.01 / (2 * len(ok)))
bad, worst = 0, 0
for r in ok:
    p, e, x = float(r["physics"]), float(r["physics_err"]), float(r["exact"])
    if abs(p - x) <= 1e-12 * (abs(p) + abs(x)):
        continue
    z = abs(p - x) / e
    worst = max(worst, z)
    if z > zq:
        bad += 1
        print(f"  {r['observable']} at z = {r['z']}: physics {p:.5g} +- {e:.2g}, exact {x:.5g} ({z:.1f} standard errors)")
print(f"# {len(ok)} physics closures vs exact: worst {worst:.2f} standard errors, tolerance {zq:.2f}")
need = set(sys.argv[2:])
missing = need - {r["observable"] for r in ok}
if missing:
    print("observables missing from closures.csv:", ", ".join(sorted(missing)))
    sys.exit(1)
sys.exit(1 if bad else 0)
