#!/usr/bin/env bash
# Closures on fastslow (gaussian coupling) against the exact references, and a deliberately
# broken generator that must fail the consistency checks.
# 1. Physics route: the default input with -us_steps 40000 (24 windows x 4 walkers x 3500
#    frames), closures on 31 points of [-1.5, 1.5]. Every physics closure (mean_y<i>, var_y<i>,
#    mean_force, drift, diffusion) agrees with the exact value within z * its batch-means
#    standard error, z = the two-sided Bonferroni quantile for alpha = 0.01 over all rows
#    (about 4.2 for ~340 rows, tests/closure-vs-exact.py): a correct estimator fails with
#    probability <= 1%, whatever the budget, because the tolerance scales with the error bars.
#    Catches a wrong MBAR weighting, a wrong mean-force or drift formula, binning bias (the plain
#    bin average was off by up to 8 standard errors at the grid ends before the local quadratic
#    fit), and errors that ignore the correlation of the samples.
# 2. A generator trained with a learning rate of 1e-7 for one epoch (the untrained network),
#    lifting without calibration (-gan_calibrate 0): the conditional-distribution, free-energy
#    and reduced-SDE checks must all report false. Catches checks whose tolerances are so loose
#    that they cannot fail.
# 3. The same generator with its calibrated lifting (the default): per coordinate its lifted
#    states take the data's conditional mean and variance, but the untrained network mixes its
#    latent variables into every coordinate, so the lifted coordinates are correlated where the
#    exact ones are independent: the dependence checks must report false (measured: 0.5-0.8
#    against thresholds of about 0.12). Catches a dependence check that cannot fail, and a
#    calibration that hides a broken generator from every check.
# 4. Grids on one side of the barrier (bad input of the first-passage checks): a grid that holds
#    one well only runs, warns that F_MBAR has no minimum on one side and leaves the MFPT rows
#    (and the direct runs) out, exit 0; -closure_wells outside the grid points with a free energy
#    stops with exit 2 naming the option and the range. Catches wells chosen at a grid end (the
#    reduced SDE then "fails" a first-passage check that means nothing) and a grid that is only
#    partly sampled stopping the run, which must only warn.
# The default-campaign verdicts with the fully trained generator are tests/t704.
set -u
fail=0
export OMPI_MCA_rmaps_base_oversubscribe=1
command -v python3 >/dev/null || { echo "python3 not found"; exit 77; }
grep -v '^-out' "$SRCDIR/inputs/fastslow.opts" >in.opts
echo '-generator gan' >>in.opts # these checks are the GAN's (docs/gan.md)
run() { timeout 600 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" "$@" -options_file in.opts -us_steps 40000 -out data -progress_interval 1000 </dev/null; }
run sample >sample.log 2>&1 || { echo "sample failed"; cat sample.log; exit 1; }
run fes >fes.log 2>&1 || { echo "fes failed"; cat fes.log; exit 1; }
run closure -closure_gan false >phys.log 2>&1 || { echo "closure (physics) failed"; cat phys.log; exit 1; }
python3 "$SRCDIR/tests/closure-vs-exact.py" data/closures.csv mean_y1 var_y4 mean_force drift diffusion || fail=1
# the broken generator
timeout 600 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" train -options_file in.opts -out data -gan_epochs 1 -gan_lr 1e-7 -gan_layers 32,32 -gan_validation 0 </dev/null >train.log 2>&1 ||
  { echo "training failed"; cat train.log; exit 1; }
run closure -closure_lift_n 2000 -closure_sde_time 50 -gan_calibrate 0 >broken.log 2>&1 || { echo "closure (broken generator) failed"; cat broken.log; exit 1; }
for fam in distribution_ free_energy_ sde_histogram_ mfpt_; do
  grep "^$fam" data/consistency.csv | grep -q ',false$' || { echo "the broken generator passes every $fam check:"; grep "^$fam" data/consistency.csv; fail=1; }
done
grep -q 'verdict: the generator.s picture disagrees' broken.log || { echo "no failing verdict on the console"; fail=1; }
echo "# broken generator: $(grep -c ',false$' data/consistency.csv) of $(($(wc -l <data/consistency.csv) - 2)) checks fail"
grep -q "calibrated lifting" train.log || { echo "the training did not calibrate the lifting:"; tail -n 5 train.log; fail=1; }
run closure -closure_lift_n 2000 -closure_sde_time 50 -closure_direct_walkers 0 >calibrated.log 2>&1 || { echo "closure (calibrated broken generator) failed"; cat calibrated.log; exit 1; }
ndep=$(grep -c '^dependence_' data/consistency.csv)
[ "$ndep" -ge 1 ] && ! grep '^dependence_' data/consistency.csv | grep -q ',true$' ||
  { echo "the calibrated broken generator passes a dependence check (or there is none):"; grep '^dependence_' data/consistency.csv; fail=1; }
echo "# calibrated broken generator: $(grep -c ',false$' data/consistency.csv) of $(($(wc -l <data/consistency.csv) - 2)) checks fail, $ndep of them dependence"
run closure -closure_lift_n 200 -closure_sde_time 20 -closure_direct_walkers 8 -closure_grid 0,3,31 >onewell.log 2>&1 ||
  { echo "closure on a grid with one well failed"; tail -n 20 onewell.log; fail=1; }
grep -q 'warning: closure: F_MBAR on -closure_grid \[0, 3\] has no minimum right of the grid centre: no first-passage checks' onewell.log ||
  { echo "no warning for a grid with one well:"; grep -i warning onewell.log; fail=1; }
grep -q '^mfpt' data/consistency.csv && { echo "first-passage rows on a grid with one well:"; grep '^mfpt' data/consistency.csv; fail=1; }
run closure -closure_lift_n 200 -closure_grid 1.2,3,19 -closure_wells -1.1,1.1 >wells.log 2>&1
rc=$?
[ $rc = 2 ] && grep -Eq 'error: -closure_wells -1.1,1.1: both must lie within the grid points that have a free energy, \[1.2, [0-9.]+\]' wells.log ||
  { echo "wells outside the grid: exit $rc"; tail -n 5 wells.log; fail=1; }
exit $fail
