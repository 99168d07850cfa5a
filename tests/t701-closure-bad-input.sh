#!/usr/bin/env bash
# Bad input to `umbra closure` ends the run on every rank with one clear message naming the
# option or file and exit code 2, without a hang or partial output: an observable that does not
# exist, missing samples.h5 / fes.h5 / gan.h5 (each naming the command that writes it), a grid
# with no sampled value, invalid option values, an observable plugin (-closure_plugin) that is
# missing, defines no observables or rejects its options string. A grid that reaches beyond the
# sampled range only warns with the sampled extent; -closure_gan false runs the physics route
# alone. Catches a check that is missing, raised on one rank only (hang), or a message that does
# not say what to do.
set -u
fail=0
. "$SRCDIR/tests/bad-input.sh"
export OMPI_MCA_rmaps_base_oversubscribe=1
mkdir -p empty nofes nogan
timeout 300 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" sample -us_windows 6 -us_walkers 2 -us_steps 4000 -us_stride 10 -out nofes </dev/null >sample.log 2>&1 ||
  { echo "sampling failed:"; cat sample.log; exit 1; }
cp nofes/samples.h5 nogan/
timeout 300 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" fes -out nogan </dev/null >fes.log 2>&1 || { echo "fes failed:"; cat fes.log; exit 1; }
cases=(
  # exit | pattern (extended regex) | arguments
  "2|-closure_observables: unknown observable 'mean_force2'; this model and CV have: mean_y1, var_y1, .*mean_force, drift, diffusion|closure -out nogan -closure_observables mean_y1,mean_force2"
  "2|empty/samples.h5 not found: run .umbra sample. first|closure -out empty"
  "2|nofes/fes.h5 not found: the closures need the MBAR weights; run .umbra fes. first|closure -out nofes"
  "2|nogan/gan.h5 not found: the generator route needs a trained GAN; run .umbra train. first \(or -closure_gan false|closure -out nogan -generator gan"
  "2|-closure_grid \[5, 6\] holds no sampled CV value: the samples span \[-?[0-9.]+, [0-9.]+\]|closure -out nogan -closure_gan false -closure_grid 5,6,11"
  "2|-closure_grid takes lo,hi,n \(3 values\), got 2|closure -out nogan -closure_grid -1,1"
  "2|-closure_grid: hi = -1 must exceed lo = 1|closure -out nogan -closure_grid 1,-1,11"
  "2|-closure_grid: n = 3 must be an integer >= 5|closure -out nogan -closure_grid -1,1,3"
  "2|-closure_lift_n must be >= 10, got 0|closure -out nogan -closure_lift_n 0"
  "2|-closure_alpha must be in \(0, 0.5\), got 0.7|closure -out nogan -closure_alpha 0.7"
  "2|-closure_wells takes A,B with A < B|closure -out nogan -closure_wells 1,-1"
  "2|-closure_direct_walkers must be >= 0, -closure_direct_time and -closure_direct_dt positive|closure -out nogan -closure_direct_walkers -1"
  "2|-closure_direct_walkers must be >= 0, -closure_direct_time and -closure_direct_dt positive|closure -out nogan -closure_direct_dt 0"
  "2|-closure_plugin: 'nothere.so' is not a readable file|closure -out nogan -closure_plugin nothere.so"
  "2|-closure_plugin '.*libdoublewell.so' defines no observables: it lacks umbra_observables_create|closure -out nogan -closure_plugin $BUILD/plugins/libdoublewell.so"
  "2|-closure_plugin '.*libproducts.so' failed to start with -closure_plugin_options \"sq9\"|closure -out nogan -closure_plugin $BUILD/plugins/libproducts.so -closure_plugin_options sq9"
  "2|-closure_observables: unknown observable 'sq3'; this model and CV have: .*diffusion, sq2 \(or all\)|closure -out nogan -closure_plugin $BUILD/plugins/libproducts.so -closure_observables sq3"
  "2|nogan/samples.h5 has a 1-D CV but the current CV is 2-D: use the options of the sampling run|closure -out nogan -cv coord -cv_index 0,1"
  "2|-closure_grid takes lo,hi,n,lo2,hi2,n2 \(6 values\) for this 2-D CV, got 3|closure -out nogan -cv coord -cv_index 0,1 -closure_grid -1,1,11"
  "2|-closure_test_z: a 2-D CV takes pairs z1,z2 \(an even count\), got 3 values|closure -out nogan -cv coord -cv_index 0,1 -closure_test_z 0,1,2"
)
expect_errors "1 3" "-progress_interval 1000"
for f in empty/closures.csv nofes/closures.csv nogan/closures.csv nogan/consistency.csv; do
  [ -e "$f" ] && { echo "a failed run left $f behind"; fail=1; }
done
# a grid beyond the sampled range: a warning with the sampled extent; physics route only
timeout 120 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" closure -out nogan -closure_gan false -closure_grid -4,4,41 </dev/null >range.log 2>&1 ||
  { echo "a grid partly outside the samples failed:"; cat range.log; fail=1; }
grep -Eq "warning: closure: -closure_grid \[-4, 4\] reaches outside the sampled range \[-?[0-9.]+, [0-9.]+\]" range.log ||
  { echo "no warning for a grid beyond the samples:"; cat range.log; fail=1; }
grep -Eq "warning: closure: [0-9]+ of 41 grid points have no physics estimate .*beyond the samples" range.log || { echo "no count of empty grid points:"; cat range.log; fail=1; }
[ "$(sed -n 2p nogan/closures.csv)" = "z,observable,physics,physics_err,gan,gan_err,exact" ] || { echo "closures.csv header:"; head -3 nogan/closures.csv; fail=1; }
[ "$(sed -n 2p nogan/consistency.csv)" = "check,value,tolerance,pass" ] || { echo "consistency.csv header"; fail=1; }
[ "$(grep -c ',mean_force,' nogan/closures.csv)" = 41 ] || { echo "closures.csv: not one mean_force row per grid point"; fail=1; }
exit $fail
