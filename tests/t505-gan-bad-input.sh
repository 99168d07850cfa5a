#!/usr/bin/env bash
# Bad input to `umbra train` and `umbra lift` ends the run on every rank with one clear message
# naming the option or file, exit code 2 (bad input) or 1 (a diverged training), no hang and no
# partial output; lifting outside the trained range only warns, saying by how much. Cases run
# at 1 and 3 ranks under a hang guard.
set -u
fail=0
. "$SRCDIR/tests/bad-input.sh"
export OMPI_MCA_rmaps_base_oversubscribe=1
mkdir -p empty
timeout 300 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" sample -us_windows 4 -us_walkers 2 -us_steps 3000 -us_stride 10 -out data </dev/null >sample.log 2>&1 ||
  { echo "sampling failed:"; cat sample.log; exit 1; }
timeout 300 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" train -generator gan -out data -gan_batch 32 -gan_critic_steps 1 -gan_epochs 1 -gan_layers 8 </dev/null >train.log 2>&1 ||
  { echo "training failed:"; cat train.log; exit 1; }
# samples along another CV (Mueller-Brown's y), for the conditioning check
timeout 300 $MPIEXEC -n 1 $MPIEXEC_FLAGS "$UMBRA" sample -model mullerbrown -cv coord -cv_index 1 -us_range 0,1.5 -us_windows 2 -us_steps 1000 -us_stride 10 -out othercv </dev/null >othercv.log 2>&1 ||
  { echo "sampling along y failed:"; cat othercv.log; exit 1; }
mkdir -p nan && ln -sf ../data/samples.h5 nan/samples.h5
cases=(
  # exit | pattern (extended regex) | arguments
  "2|training needs empty/samples.h5: run .umbra sample. \(or .umbra run.\) with the same -out first|train -generator gan -out empty"
  "2|-gan_layers: width 0 of hidden layer 2 must be positive|train -generator gan -out data -gan_layers 64,0"
  "2|-gan_layers: width -5 of hidden layer 1 must be positive|train -generator gan -out data -gan_layers -5"
  "2|-gan_batch must be positive, got 0|train -generator gan -out data -gan_batch 0"
  "2|-gan_batch must be positive, got -3|train -generator gan -out data -gan_batch -3"
  "2|-gan_lr must be positive, got 0|train -generator gan -out data -gan_lr 0"
  "2|-gan_lr must be positive, got -0.001|train -generator gan -out data -gan_lr -1e-3"
  "2|-gan_lr_g must be positive, got -1|lift -generator gan -out data -gan_lr_g -1"
  "2|-gan_lr_d must be positive, got 0|train -generator gan -out data -gan_lr_d 0"
  "2|-gan_epochs must be positive, got 0|train -generator gan -out data -gan_epochs 0"
  "2|-gan_epochs must be positive, got -2|train -generator gan -out data -gan_epochs -2"
  "2|-gan_critic_steps must be positive, got 0|train -generator gan -out data -gan_critic_steps 0"
  "2|-gan_latent must be positive, got 0|train -generator gan -out data -gan_latent 0"
  "2|Unknown option wgan for -gan_loss|train -generator gan -out data -gan_loss wgan"
  "2|unknown generator type 'nosuch' for -generator: choose gan|train -out data -generator nosuch"
  "2|-gan_validation must be in \[0, 0.5\], got 0.9|train -generator gan -out data -gan_validation 0.9"
  "2|unknown or unused option: -gan_consistency_lambda|train -generator gan -out data -gan_consistency_lambda 1"
  "2|unknown or unused option: -gan_microbatch|train -generator gan -out data -gan_microbatch 8"
  "2|-gan_calibrate_intervals must be in 4..1000, got 2|train -generator gan -out data -gan_calibrate_intervals 2"
  "2|-gan_calibrate_intervals needs one value for a 1-D CV, got 2 values|lift -generator gan -out data -gan_calibrate_intervals 8,8"
  "2|-gan_calibrate_draws must be in 1..1000000, got 0|train -generator gan -out data -gan_calibrate_draws 0"
  "2|data/samples.h5 holds states with 5 coordinates, but model fastslow has n = 3|train -generator gan -out data -fastslow_m 2"
  "2|othercv/samples.h5 was sampled along CV y, but the current CV is x|train -generator gan -out othercv -model mullerbrown -cv coord -cv_index 0"
  "2|data/samples.h5: [0-9]+ training samples .* are fewer than one generator step needs \(-gan_batch 5000 x -gan_critic_steps 5\)|train -generator gan -out data -gan_batch 5000"
  "1|training diverged in epoch 1 \(generator step 1\): the critic loss or gradient became NaN or infinite; lower the learning rates \(-gan_lr, now 1e\+300 .*try -gan_lr 1e\+299\).*gan.h5 is not written, no checkpoint was written before it|train -generator gan -out nan -gan_lr 1e300 -gan_batch 32 -gan_layers 8"
  "2|cannot read empty/gan.h5: no such file; .umbra train. \(or .umbra run.\) writes it|lift -generator gan -out empty"
  "2|data/gan.h5 was trained on states with n = 5 coordinates, but model fastslow now has n = 4|lift -generator gan -out data -fastslow_m 3"
  "2|data/gan.h5 was trained on model fastslow, not mullerbrown|lift -generator gan -out data -model mullerbrown -cv coord -cv_index 0"
  "2|-lift_n must be positive, got 0|lift -generator gan -out data -lift_n 0"
  "2|give either -lift_z or -lift_grid, not both|lift -generator gan -out data -lift_z 0 -lift_grid -1,1,3"
  "2|-lift_grid: lo must not exceed hi, got lo = 1, hi = 0|lift -generator gan -out data -lift_grid 1,0,5"
  "2|-lift_grid: the number of points must be a positive integer, got 2.5|lift -generator gan -out data -lift_grid -1,1,2.5"
  "2|-lift_grid needs 3 values \(lo,hi,n\) for this 1-D CV, got 2|lift -generator gan -out data -lift_grid -1,1"
  "2|-lift_z: value 2 is not a finite number|lift -generator gan -out data -lift_z 0,nan"
)
expect_errors "1 3" "-progress_interval 1000"
for f in empty/gan.h5 empty/train.csv nan/gan.h5 nan/gan.h5.tmp nan/train.csv.tmp; do
  [ -e "$f" ] && { echo "a failed run left $f behind"; fail=1; }
done
# outside the trained range: a warning that says by how much, and the file is written
timeout 120 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" lift -generator gan -out data -lift_z 0,3 -lift_n 10 </dev/null >range.log 2>&1 || { echo "lifting outside the range failed:"; cat range.log; fail=1; }
grep -Eq "warning: lift: x = 3 is outside the trained range \[-?[0-9.]+, [0-9.]+\] by [0-9.]+ \([0-9]+% of its width\)" range.log ||
  { echo "no warning for a value outside the trained range:"; cat range.log; fail=1; }
grep -q "warning: lift: x = 0" range.log && { echo "warned about a value inside the range"; fail=1; }
[ -e data/lift.h5 ] || { echo "lift.h5 missing"; fail=1; }
exit $fail
