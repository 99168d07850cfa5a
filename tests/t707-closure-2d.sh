#!/usr/bin/env bash
# Closures with a 2-D CV: fastslow (gaussian coupling, eps = 0.1 so that umbrella springs along
# the fast y1 keep the default time step stable) with the coordinate CV (x, y1), 8 x 6 windows,
# a small budget. The fine coordinates are y2, y3, y4 (mean_y1..3, var_y1..3 in closures.csv);
# the mean force is the vector (mean_force_z1, mean_force_z2) = grad F(x, y1).
# 1. Physics route (local quadratic regression in 2-D, 6 parameters): every physics closure on
#    the 21 x 21 grid agrees with the exact value (exact_fastslow.c: the y_i are independent
#    given x, so the conditional of y2.. given (x, y1) is that given x, and
#    beta F(x, y1) = beta h (x^2 - 1)^2 + (y1 - A cos x)^2 / (2 v) - (m - 1) ln(2 pi v) / 2)
#    within z * its batch-means standard error, z the two-sided Bonferroni quantile for
#    alpha = 0.01 over all rows (tests/closure-vs-exact.py): a correct estimator fails with
#    probability <= 1%. mean_force_z2 = E[dU/dy1 | x, y1] = (y1 - A cos x) / v is a function of
#    z alone: its estimate has no sampling noise, only the regression's O(bw^3) smoothing bias
#    (about 2e-4 relative), which error bars do not measure, so it is left out here.
#    Catches a wrong 2-D regression (basis, window, grid order), a wrong mean-force vector
#    (J J^T)^-1 J grad U, exact references of the wrong fine coordinates.
# 2. Generator route, plumbing (a generator trained for one epoch at a learning rate of 1e-7):
#    (a) gan mean_force_z2 equals the exact (y1 - A cos x) / v at every grid point to 1e-6
#    relative: it depends on both components of z, so a lifted state with z1 and z2 swapped or
#    shifted to another grid point fails; (b) the untrained generator, lifting without
#    calibration (-gan_calibrate 0), fails the distribution
#    rows at 2-D test points (the checks can fail in 2-D); (c) no free-energy, reduced-SDE or
#    first-passage rows (1-D only), and the console says so; (d) the console shows `-` for
#    mean_force_z2 instead of comparing a function of z alone (catches the console comparing
#    error bars that measure nothing: its physics value is 31 of them off on a trained run).
# 3. A 2-D grid reaching beyond the samples in z1 (to +-2; they span about +-1.75): the points
#    of the columns z1 = +-2 are listed per run along z2 as beyond the samples and are nan in the
#    physics columns, the others keep their estimates. Catches the sampled range of the wrong
#    component, runs that cross from one z1 to the next, an extrapolated fit written as a number.
set -u
fail=0
export OMPI_MCA_rmaps_base_oversubscribe=1
command -v python3 >/dev/null || { echo "python3 not found"; exit 77; }
cat >in.opts <<'OPTS'
-model fastslow
-fastslow_m 4
-fastslow_eps 0.1
-cv coord
-cv_index 0,1
-us_windows 8,6
-us_range -1.5,1.5,-1,2
-us_kappa 40,10
-us_walkers 2
-us_steps 20000
-us_burnin 2000
-us_stride 10
-us_dt 1e-3
-fes_bootstrap 0
-seed 42
-generator gan
OPTS
run() { timeout 600 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" "$@" -options_file in.opts -out data -progress_interval 1000 </dev/null; }
run sample >sample.log 2>&1 || { echo "sample failed"; cat sample.log; exit 1; }
run fes >fes.log 2>&1 || { echo "fes failed"; cat fes.log; exit 1; }
run closure -closure_gan false >phys.log 2>&1 || { echo "closure (physics) failed"; cat phys.log; exit 1; }
head -2 data/closures.csv | tail -1 | grep -q '^z,z2,observable,physics,physics_err,gan,gan_err,exact$' || { echo "closures.csv header is not z,z2,...:"; head -2 data/closures.csv; fail=1; }
python3 "$SRCDIR/tests/closure-vs-exact.py" --skip mean_force_z2 data/closures.csv mean_y1 var_y1 mean_y3 var_y3 mean_force_z1 || fail=1
run closure -closure_gan false -closure_direct_walkers 0 -closure_grid -2,2,9,-1,2,7 >beyond.log 2>&1 || { echo "closure (grid beyond the samples) failed"; cat beyond.log; exit 1; }
grep -q "warning: closure: 14 of 63 grid points have no physics estimate .*: z1 = -2, z2 = -1 .. 2 (7 points, beyond the samples); z1 = 2, z2 = -1 .. 2 (7 points, beyond the samples). closures.csv" beyond.log ||
  { echo "no per-run warning for the 2-D points beyond the samples:"; grep warning beyond.log; fail=1; }
awk -F, 'NR > 2 { out = ($1 == -2 || $1 == 2); if ((($4 == "nan") != out)) { print "  (" $1 ", " $2 ") " $3 ": physics " $4; bad = 1 } } END { exit bad }' data/closures.csv ||
  { echo "closures.csv: 2-D physics values not nan exactly at z1 = +-2"; fail=1; }
# the generator route with an untrained generator
timeout 600 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" train -options_file in.opts -out data -gan_epochs 1 -gan_lr 1e-7 -gan_layers 32,32 -gan_validation 0 -progress_interval 1000 </dev/null >train.log 2>&1 ||
  { echo "training failed"; cat train.log; exit 1; }
run closure -closure_lift_n 200 -gan_calibrate 0 >broken.log 2>&1 || { echo "closure (generator) failed"; cat broken.log; exit 1; }
python3 - data/closures.csv <<'PY' || fail=1
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1]).readlines()[1:]) if r["observable"] == "mean_force_z2"]
bad = [r for r in rows if abs(float(r["gan"]) - float(r["exact"])) > 1e-6 * (1 + abs(float(r["exact"])))]
for r in bad[:5]:
    print(f"  mean_force_z2 at ({r['z']}, {r['z2']}): gan {r['gan']}, exact {r['exact']}")
print(f"# gan mean_force_z2 = exact grad_y1 F at {len(rows) - len(bad)} of {len(rows)} grid points")
sys.exit(1 if bad or len(rows) != 441 else 0)
PY
for fam in distribution_; do
  grep "^$fam" data/consistency.csv | grep -q ',false$' || { echo "the untrained generator passes every $fam check:"; grep "^$fam" data/consistency.csv; fail=1; }
done
grep -q '^distribution_y2_z[-0-9.]*_[-0-9.]*,' data/consistency.csv || { echo "no 2-D distribution rows"; fail=1; }
grep -Eq '^(free_energy|sde_histogram|mfpt)' data/consistency.csv && { echo "1-D-only checks in a 2-D consistency.csv"; fail=1; }
grep -q 'first-passage checks are 1-D only' broken.log || { echo "the console does not say which checks are 1-D only"; fail=1; }
grep -Eq '^  mean_force_z2 +- +- +-$' broken.log || { echo "the console compares mean_force_z2, a function of z alone:"; grep '^  mean_force_z2' broken.log; fail=1; }
echo "# untrained generator: $(grep -c ',false$' data/consistency.csv) of $(($(wc -l <data/consistency.csv) - 2)) checks fail"
exit $fail
