#!/usr/bin/env bash
# Bad input to the flow (-generator flow) ends the run on every rank with one clear message and
# a non-zero exit, no hang and nothing half-written: an unknown -generator type (naming gan and
# flow); each -flow_* option out of range, or given a value too many; `umbra train` on a CV that
# is not a coordinate CV, on a CV that is every coordinate, without samples.h5; flow.h5 of
# another model, CV dimension or set of generated coordinates, a damaged one (a text file) and
# one with a NaN in /flow/theta, for `umbra lift`, `umbra closure` and `umbra sample
# -us_flow_file` (the loader refuses non-finite parameters, so a NaN flow never reaches a
# flow-move proposal; t229 covers a NaN log-density with an analytic generator); a diverged
# training (a loss beyond -flow_loss_limit, a NaN loss from a huge -flow_lr) exits 1 naming the
# epoch, the step and -flow_lr, and writes no flow.h5; a restart with another -flow_batch is
# refused by name. Single-rank cases run without mpiexec, the collective ones at 2 ranks too.
# Catches: a check raised on one rank only (hang), an out-of-range value or an extra value
# accepted, a file of another problem loaded, a NaN flow loaded, a diverged training that
# writes flow.h5 or exits 0, a message that names the GAN for the flow.
set -u
fail=0
. "$SRCDIR/tests/bad-input.sh"
export OMPI_MCA_rmaps_base_oversubscribe=1
M="-cv coord -cv_index 0"
F="-generator flow -flow_epochs 1 -flow_layers 8 -flow_couplings 1 -flow_batch 64"
setup() { # log np args...: a run the cases need
  local log=$1 np=$2
  shift 2
  # shellcheck disable=SC2086
  timeout 300 $MPIEXEC -n "$np" $MPIEXEC_FLAGS "$UMBRA" "$@" </dev/null >>"$log" 2>&1 || { echo "umbra $* failed:"; tail -n 20 "$log"; exit 1; }
}
single() { # log args...: a small run without mpiexec
  local log=$1
  shift
  timeout 300 "$UMBRA" "$@" </dev/null >>"$log" 2>&1 || { echo "umbra $* failed:"; tail -n 20 "$log"; exit 1; }
}
# one tiny sampling and training along x (fastslow: x and the fast y1..y4), shared by the cases
setup data.log 2 sample $M -us_windows 4 -us_walkers 2 -us_steps 3000 -us_stride 10 -out data
setup data.log 2 train $M -out data $F
single data.log fes $M -out data
[ -s data/flow.h5 ] || { echo "the training wrote no flow.h5"; exit 1; }
# closure reads samples.h5 and fes.h5 before flow.h5: samples for another model, another CV
# dimension and another coordinate, each with the flow trained along x
single mb.log sample -model mullerbrown $M -us_range -1,0.5 -us_windows 2 -us_steps 1000 -us_stride 10 -out mb
single mb.log fes -model mullerbrown $M -out mb
XY="-cv coord -cv_index 0,1 -us_windows 2,2 -us_range -0.5,0.5,-0.2,0.2 -us_kappa 5 -us_dt 1e-4"
single xy.log sample $XY -us_steps 1000 -us_stride 10 -out xy
single xy.log fes $XY -out xy
Y="-cv coord -cv_index 1 -us_windows 2 -us_range -0.5,0.5 -us_dt 1e-4"
single y.log sample $Y -us_steps 1000 -us_stride 10 -out noflow
single y.log fes $Y -out noflow
mkdir -p empty y dmg nan div div2
for d in mb xy y dmg nan; do cp data/flow.h5 $d/; done
for f in samples.h5 fes.h5; do
  ln -sf ../noflow/$f y/$f
  ln -sf ../data/$f dmg/$f
  ln -sf ../data/$f nan/$f
done
ln -sf ../data/samples.h5 div/samples.h5
ln -sf ../data/samples.h5 div2/samples.h5
printf 'not a flow\n' >dmg/flow.h5
/usr/bin/python3 - nan/flow.h5 <<'EOF' || { echo "cannot write a NaN into nan/flow.h5 (h5py)"; exit 1; }
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    f["/flow/theta"][3] = float("nan")
EOF
T="train $M -out data $F"
S="sample -us_windows 2 -us_steps 200 -us_stride 10 -out s"
NOTCOORD="the flow models the coordinates outside a coordinate CV \(-cv coord\), the null space of a linear CV \(-cv linear\) or the internal coordinates of a molecule around dihedral CVs \(-cv dihedral\); with CV native use -generator gan"
DIVNAN="flow training diverged in epoch 1 \(step [0-9]+\): the negative log-likelihood or its gradient became NaN or infinite; lower the learning rate \(-flow_lr, now 1e\+300; try -flow_lr 1e\+299\) .*; flow.h5 is not written, the last checkpoint, div2/ckpt/train.h5 at step [0-9]+, is kept"
DIVLIM="flow training diverged in epoch 1 \(step 1\): the negative log-likelihood reached [0-9.]+, beyond -flow_loss_limit 0.001; lower the learning rate \(-flow_lr, now 0.002; try -flow_lr 0.0002\) or widen the splines' interval \(-flow_bound, now 5\); flow.h5 is not written, no checkpoint was written before it"
RESTART="-flow_batch is 32 here but 64 in the checkpoint div2/ckpt/train.h5"
cases=(
  # exit | pattern (extended regex) | arguments
  "2|unknown generator type 'nosuch' for -generator: choose gan or flow|train $M -out data -generator nosuch"
  "2|unknown or unused option: -flow_lr|train $M -out data -generator gan -flow_lr 1e-3"
  "2|-flow_couplings must be in 1..32, got 0|$T -flow_couplings 0"
  "2|-flow_couplings must be in 1..32, got 33|$T -flow_couplings 33"
  "2|-flow_layers: width 0 of hidden layer 2 must be positive|$T -flow_layers 8,0"
  "2|-flow_layers takes at most 16 hidden layers, got more|$T -flow_layers 1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1"
  "2|Unknown option relu for -flow_activation|$T -flow_activation relu"
  "2|-flow_bins must be in 2..64, got 1|$T -flow_bins 1"
  "2|-flow_bound must be in \(0, 100\], got 101|$T -flow_bound 101"
  "2|-flow_fourier must be in 0..16, got -1|$T -flow_fourier -1"
  "2|-flow_harmonics must be in 1..16, got 0|$T -flow_harmonics 0"
  "2|-flow_lr must be positive, got 0|$T -flow_lr 0"
  "2|-flow_lr_final must be in \(0, 1\], got 0|$T -flow_lr_final 0"
  "2|-flow_adam_betas needs two values beta1,beta2, got 1|$T -flow_adam_betas 0.9"
  "2|-flow_adam_betas needs two values beta1,beta2, got more than 2|$T -flow_adam_betas 0.9,0.99,0.5"
  "2|-flow_adam_betas must be in \[0, 1\), got 1,0.999|$T -flow_adam_betas 1,0.999"
  "2|-flow_batch must be positive, got 0|$T -flow_batch 0"
  "2|data/samples.h5: [0-9]+ training samples .* are fewer than one step needs \(-flow_batch 100000\)|$T -flow_batch 100000"
  "2|-flow_epochs must be positive, got 0|$T -flow_epochs 0"
  "2|-flow_validation must be in \[0, 0.5\], got 0.6|$T -flow_validation 0.6"
  "2|Unknown option foo for -flow_reduce_mode|$T -flow_reduce_mode foo"
  "2|-flow_microbatch must be positive, got 0|$T -flow_reduce_mode exact -flow_microbatch 0"
  "2|unknown or unused option: -flow_microbatch|$T -flow_microbatch 8"
  "2|-flow_loss_limit must be non-negative \(0 = no limit\), got -1|$T -flow_loss_limit -1"
  "2|-flow_checkpoint_interval must be non-negative \(0 = no checkpoints\), got -1|$T -flow_checkpoint_interval -1"
  "2|-flow_stop_step must be non-negative, got -1|$T -flow_stop_step -1"
  "2|-flow_drift_interval must be positive, got 0|$T -flow_drift_interval 0"
  # CVs the flow cannot condition on, missing inputs
  "2|$NOTCOORD|train -out data $F -model ring -ring_n 4 -cv native"
  "2|the CV is all 2 coordinates of model fastslow: a conditional flow has nothing left to generate|train -out data $F -fastslow_m 1 -cv coord -cv_index 0,1"
  "2|-cv_index takes one or two indices, got more than two|train -out data $F -cv coord -cv_index 0,1,2,3,4"
  "2|training needs empty/samples.h5: run .umbra sample. \(or .umbra run.\) with the same -out first|train $M -out empty $F"
  "2|-restart: there is no checkpoint div/ckpt/train.h5|train $M -out div $F -restart"
  "2|$NOTCOORD|lift -out data -generator flow -model ring -ring_n 4 -cv native"
  "2|data/flow.h5 was trained for a 1-D CV of type coord, but the current CV is 1-D of type linear|lift -out data -generator flow -cv linear -cv_weights 1,0,0,0,0"
  # flow.h5 of another problem, missing, damaged, with a NaN parameter: lift
  "2|cannot read empty/flow.h5: no such file; .umbra train -generator flow. \(or .umbra run -generator flow.\) writes it|lift $M -out empty -generator flow"
  "2|data/flow.h5 was trained on model fastslow, not mullerbrown|lift -model mullerbrown $M -out data -generator flow"
  "2|data/flow.h5 was trained on states with n = 5 coordinates, but model fastslow now has n = 4|lift -fastslow_m 3 $M -out data -generator flow"
  "2|data/flow.h5 was trained for a 1-D CV of type coord, but the current CV is 2-D of type coord|lift -cv coord -cv_index 0,1 -out data -generator flow"
  "2|data/flow.h5 generates coordinates 1,2,3,4, but with the current CV \(-cv_index\) the generated coordinates are 0,2,3,4|lift -cv coord -cv_index 1 -out data -generator flow"
  "2|dmg/flow.h5 is not an HDF5 file|lift $M -out dmg -generator flow"
  "2|nan/flow.h5: /flow/theta\[3\] is not a finite number: the file is damaged; train again|lift $M -out nan -generator flow"
  # closure
  "2|noflow/flow.h5 not found: the generator route needs a trained flow; run .umbra train -generator flow. first|closure $Y -out noflow -generator flow"
  "2|mb/flow.h5 was trained on model fastslow, not mullerbrown|closure -model mullerbrown $M -out mb -generator flow"
  "2|xy/flow.h5 was trained for a 1-D CV of type coord, but the current CV is 2-D of type coord|closure $XY -out xy -generator flow"
  "2|y/flow.h5 generates coordinates 1,2,3,4, but with the current CV \(-cv_index\) the generated coordinates are 0,2,3,4|closure $Y -out y -generator flow"
  "2|dmg/flow.h5 is not an HDF5 file|closure $M -out dmg -generator flow"
  "2|nan/flow.h5: /flow/theta\[3\] is not a finite number|closure $M -out nan -generator flow"
  # flow moves
  "2|cannot read empty/flow.h5: no such file|$S $M -us_flow_file empty/flow.h5"
  "2|data/flow.h5 was trained on model fastslow, not mullerbrown|$S -model mullerbrown $M -us_flow_file data/flow.h5"
  "2|data/flow.h5 was trained for a 1-D CV of type coord, but the current CV is 2-D|$S -cv coord -cv_index 0,1 -us_windows 2,2 -us_range -0.5,0.5,-0.2,0.2 -us_flow_file data/flow.h5"
  "2|data/flow.h5 generates coordinates 1,2,3,4, but with the current CV \(-cv_index\) the generated coordinates are 0,2,3,4|$S -cv coord -cv_index 1 -us_flow_file data/flow.h5"
  "2|dmg/flow.h5 is not an HDF5 file|$S $M -us_flow_file dmg/flow.h5"
  "2|nan/flow.h5: /flow/theta\[3\] is not a finite number|$S $M -us_flow_file nan/flow.h5"
  # a diverged training, a restart with another batch
  "1|$DIVLIM|train $M -out div $F -flow_loss_limit 1e-3"
  "1|$DIVNAN|train $M -out div2 $F -flow_lr 1e300 -flow_checkpoint_interval 1"
  "2|$RESTART|train $M -out div2 $F -flow_lr 1e300 -flow_checkpoint_interval 1 -restart -flow_batch 32"
)
expect_errors s
# the checks that stop on every rank: collective ones, file reads, the training
cases=(
  "2|unknown generator type 'nosuch' for -generator: choose gan or flow|train $M -out data -generator nosuch"
  "2|$NOTCOORD|train -out data $F -model ring -ring_n 4 -cv native"
  "2|data/flow.h5 was trained for a 1-D CV of type coord, but the current CV is 2-D of type coord|lift -cv coord -cv_index 0,1 -out data -generator flow"
  "2|dmg/flow.h5 is not an HDF5 file|lift $M -out dmg -generator flow"
  "2|nan/flow.h5: /flow/theta\[3\] is not a finite number|closure $M -out nan -generator flow"
  "2|nan/flow.h5: /flow/theta\[3\] is not a finite number|$S $M -us_flow_file nan/flow.h5"
  "1|$DIVLIM|train $M -out div $F -flow_loss_limit 1e-3"
  "1|$DIVNAN|train $M -out div2 $F -flow_lr 1e300 -flow_checkpoint_interval 1"
  "2|$RESTART|train $M -out div2 $F -flow_lr 1e300 -flow_checkpoint_interval 1 -restart -flow_batch 32"
)
expect_errors 2
# nothing half-written: no flow.h5 from a diverged training, no outputs of a refused run
for f in div/flow.h5 div/train.csv div/ckpt div2/flow.h5 empty/flow.h5 empty/lift.h5 noflow/closures.csv \
  mb/closures.csv xy/closures.csv y/closures.csv dmg/lift.h5 dmg/closures.csv nan/lift.h5 nan/closures.csv \
  data/lift.h5 data/closures.csv s/samples.h5 s/samples.h5.partial; do
  [ -e "$f" ] && { echo "a refused run left $f behind"; fail=1; }
done
[ -s div2/ckpt/train.h5 ] || { echo "the diverged training did not keep its last checkpoint div2/ckpt/train.h5"; fail=1; }
exit $fail
