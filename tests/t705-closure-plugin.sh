#!/usr/bin/env bash
# User observables through the observable plugin ABI (-closure_plugin, include/umbra/plugin.h)
# with the example inputs/plugins/products.c on fastslow (gaussian coupling, -us_steps 40000 as
# tests/t702): sq2 = y1^2, sq5 = y4^2, prod2_3 = y1 y2.
# 1. Physics route: the closures of the user observables agree with their exact values, built
#    from the exact columns of closures.csv: E[y_i^2 | z] = Var[y_i | z] + E[y_i | z]^2 and,
#    the fast variables being independent given x, E[y1 y2 | z] = E[y1 | z] E[y2 | z]; within
#    z * the batch-means standard error, z the two-sided Bonferroni quantile for alpha = 0.01
#    over all rows, so a correct estimator fails with probability <= 1%. Catches user values that
#    reach the estimator through the wrong state, coordinate or row (a shifted index, the CV
#    instead of a fine coordinate), and user observables without error bars.
# 2. Generator route (a generator trained for one epoch: only the plumbing is tested): on the
#    same lifted states the sample moments satisfy mean(y^2) = var + mean^2 exactly up to the
#    (L - 1)/L factor of the sample variance, so gan(sq2) must equal gan(var_y1) (L-1)/L +
#    gan(mean_y1)^2 to round-off (1e-8 relative: closures.csv holds 10 digits). Catches user
#    observables evaluated on other states than the built-in ones.
set -u
fail=0
export OMPI_MCA_rmaps_base_oversubscribe=1
command -v python3 >/dev/null || { echo "python3 not found"; exit 77; }
lib="$BUILD/plugins/libproducts.so"
[ -f "$lib" ] || { echo "$lib not built"; exit 1; }
grep -v '^-out' "$SRCDIR/inputs/fastslow.opts" >in.opts
echo '-generator gan' >>in.opts # these checks are the GAN's (docs/gan.md)
run() { timeout 600 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" "$@" -options_file in.opts -us_steps 40000 -out data -progress_interval 1000 </dev/null; }
run sample >sample.log 2>&1 || { echo "sample failed"; cat sample.log; exit 1; }
run fes >fes.log 2>&1 || { echo "fes failed"; cat fes.log; exit 1; }
run closure -closure_gan false -closure_plugin "$lib" -closure_plugin_options "sq2 prod2_3 sq5" >phys.log 2>&1 ||
  { echo "closure (physics) failed"; cat phys.log; exit 1; }
grep -Eq '^  sq2 ' phys.log || { echo "the console table lacks the user observable sq2"; fail=1; }
python3 - data/closures.csv <<'PY' || fail=1
import csv, sys
from statistics import NormalDist
rows = list(csv.DictReader(open(sys.argv[1]).readlines()[1:]))
val = {(r["z"], r["observable"]): r for r in rows}
zs = sorted({r["z"] for r in rows}, key=float)
exact = {}
for z in zs:
    e = lambda o: float(val[(z, o)]["exact"])
    exact[(z, "sq2")] = e("var_y1") + e("mean_y1") ** 2
    exact[(z, "sq5")] = e("var_y4") + e("mean_y4") ** 2
    exact[(z, "prod2_3")] = e("mean_y1") * e("mean_y2")
ok = [(k, v) for k, v in exact.items() if val[k]["physics"] != "nan" and v == v]
if len(ok) < 3 * len(zs) - 6:
    print(f"only {len(ok)} user closures with a physics estimate"); sys.exit(1)
zq = NormalDist().inv_cdf(1 - 0.01 / (2 * len(ok)))
bad, worst = 0, 0
for (z, o), x in ok:
    p, s = float(val[(z, o)]["physics"]), float(val[(z, o)]["physics_err"])
    if not s > 0:
        print(f"  {o} at z = {z}: no standard error"); bad += 1; continue
    d = abs(p - x) / s
    worst = max(worst, d)
    if d > zq:
        bad += 1
        print(f"  {o} at z = {z}: physics {p:.5g} +- {s:.2g}, exact {x:.5g} ({d:.1f} standard errors)")
print(f"# {len(ok)} user closures vs exact: worst {worst:.2f} standard errors, tolerance {zq:.2f}")
sys.exit(1 if bad else 0)
PY
timeout 600 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" train -options_file in.opts -us_steps 40000 -out data -gan_epochs 1 -gan_layers 32,32 -gan_validation 0 </dev/null >train.log 2>&1 ||
  { echo "training failed"; cat train.log; exit 1; }
L=2000
run closure -closure_lift_n $L -closure_sde_time 20 -closure_direct_walkers 0 -closure_plugin "$lib" >gan.log 2>&1 ||
  { echo "closure (generator) failed"; cat gan.log; exit 1; }
python3 - data/closures.csv $L <<'PY' || fail=1
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]).readlines()[1:]))
L = int(sys.argv[2])
val = {(r["z"], r["observable"]): r for r in rows}
zs = sorted({r["z"] for r in rows}, key=float)
worst = 0
for z in zs:
    g = lambda o: float(val[(z, o)]["gan"])
    want = g("var_y1") * (L - 1) / L + g("mean_y1") ** 2
    worst = max(worst, abs(g("sq2") - want) / abs(want))
print(f"# generator route: sq2 vs var_y1 (L-1)/L + mean_y1^2, largest relative difference {worst:.2g}")
sys.exit(0 if worst < 1e-8 else 1)
PY
exit $fail
