#!/usr/bin/env bash
# The flow end to end on a small tilted fastslow campaign (one fast variable, bimodal given x):
#  1. training in exact reduce mode gives the same flow.h5 parameters bit for bit on 1, 2 and 3
#     ranks; a run stopped after step 40 (-flow_stop_step: exit 3) and continued with -restart
#     on another rank count ends bit-identical too; a restart with another -flow_batch is refused;
#  2. the trained flow learned something: its held-out NLL is below the standard normal's
#     (1.419 per sample in standardised units) by more than 0.3;
#  3. umbra lift -generator flow writes lift.h5 (the same on 1 and 2 ranks) and umbra info shows
#     the flow's architecture and training record;
#  4. umbra sample -us_flow_file flow.h5 -us_flow_moves 5 runs with the trained flow, reports an
#     acceptance per window, and its samples are the same on 1 and 2 ranks;
#  5. umbra closure -generator flow reweights the flow's draws (closures.csv has the ESS);
#  6. a flow file of another model or CV dimension is refused by name, a damaged one too.
# Catches: rank-dependent batches or reductions, a state missing from the checkpoint, a flow
# that does not load or lift through the generator class, flow moves that fail with a real flow.
set -u
fail=0
. "$SRCDIR/tests/bad-input.sh"
export OMPI_MCA_rmaps_base_oversubscribe=1
M="-model fastslow -fastslow_m 1 -fastslow_coupling tilted -fastslow_eps 0.1 -cv coord -cv_index 0"
run() { # np log args...
  local np=$1 log=$2
  shift 2
  timeout 300 $MPIEXEC -n "$np" $MPIEXEC_FLAGS "$UMBRA" "$@" </dev/null >>"$log" 2>&1
}
run 2 sample.log sample $M -us_windows 7 -us_walkers 2 -us_steps 6000 -us_stride 10 -out data ||
  { echo "sampling failed:"; tail -n 20 sample.log; exit 1; }
FLOW="-generator flow -flow_reduce_mode exact -flow_batch 64 -flow_epochs 2 -flow_layers 16,16 -flow_couplings 2 -flow_checkpoint_interval 20 -progress_interval 1000"
train() { # dir np expected-exit options...
  local dir=$1 np=$2 want=$3 rc
  shift 3
  mkdir -p "$dir" && ln -sf ../data/samples.h5 "$dir/samples.h5"
  run "$np" "$dir.log" train $M -out "$dir" $FLOW "$@"
  rc=$?
  [ $rc = "$want" ] || { echo "training in $dir on $np ranks ($*): exit $rc, want $want:"; tail -n 20 "$dir.log"; fail=1; }
}
dataset() { h5dump -d "$2" "$1" 2>/dev/null | sed -n '/DATA/,$p'; } # file dataset: its values only
theta() { dataset "$1/flow.h5" /flow/theta; }
train r1 1 0
train r2 2 0
train r3 3 0
train s 2 3 -flow_stop_step 40
train s 3 2 -restart -flow_batch 32
grep -q "flow_batch" s.log || { echo "a restart with another -flow_batch was not refused by name:"; tail -n 5 s.log; fail=1; }
train s 3 0 -restart
[ -n "$(theta r1)" ] || { echo "no /flow/theta in r1/flow.h5"; fail=1; }
for d in r2 r3 s; do
  [ "$(theta r1)" = "$(theta $d)" ] || { echo "flow.h5 of $d differs from the 1-rank run's"; fail=1; }
done
nll=$(awk -F, 'NR > 1 && $1 !~ /^#/ { v = $4 } END { print v }' r1/train.csv)
awk -v v="$nll" 'BEGIN { exit !(v < 1.419 - 0.3) }' || { echo "held-out NLL $nll: the flow learned nothing"; fail=1; }
for np in 1 2; do
  run $np lift$np.log lift $M -out r1 -generator flow -lift_grid -1,1,3 -lift_n 50 && mv r1/lift.h5 r1/lift$np.h5 ||
    { echo "lift on $np ranks failed:"; tail -n 10 lift$np.log; fail=1; }
done
[ -n "$(dataset r1/lift1.h5 /lift/x)" ] && cmp -s <(dataset r1/lift1.h5 /lift/x) <(dataset r1/lift2.h5 /lift/x) || { echo "lift.h5 differs between 1 and 2 ranks"; fail=1; }
run 1 info.log info r1/flow.h5
grep -q "couplings = 2" info.log && grep -q "nll = " info.log && grep -q "y_sd  \[1\] = " info.log || { echo "umbra info does not show the flow:"; tail -n 10 info.log; fail=1; }
for np in 1 2; do
  run $np moves$np.log sample $M -us_windows 7 -us_walkers 2 -us_steps 2000 -us_stride 10 -out m$np -us_flow_file r1/flow.h5 -us_flow_moves 5 ||
    { echo "sampling with flow moves on $np ranks failed:"; tail -n 10 moves$np.log; fail=1; }
done
grep -qi "acceptance" moves1.log || { echo "no acceptance line:"; tail -n 5 moves1.log; fail=1; }
[ -n "$(dataset m1/samples.h5 /samples/x)" ] && cmp -s <(dataset m1/samples.h5 /samples/x) <(dataset m2/samples.h5 /samples/x) || { echo "flow-move samples differ between 1 and 2 ranks"; fail=1; }
# closures by reweighting flow draws: the ESS columns are there and finite
run 1 fes.log fes $M -out r1 || { echo "fes failed:"; tail -n 5 fes.log; fail=1; }
run 2 closure.log closure $M -out r1 -generator flow -closure_lift_n 2000 -closure_min_ess 20 -closure_sde_time 5 -closure_direct_walkers 8 -closure_direct_time 5 ||
  { echo "closure with the flow failed:"; tail -n 10 closure.log; fail=1; }
head -n 3 r1/closures.csv | grep -q "ess,ess_fraction" || { echo "closures.csv has no ESS columns:"; head -n 3 r1/closures.csv; fail=1; }
printf 'damaged\n' > bad.h5
cases=(
  "2|was trained on model fastslow, not mullerbrown|sample -model mullerbrown -cv coord -cv_index 0 -us_windows 3 -us_steps 200 -us_flow_file $PWD/r1/flow.h5"
  "2|was trained on states with n = 2 coordinates|sample -model fastslow -fastslow_m 2 -cv coord -cv_index 0 -us_windows 3 -us_steps 200 -us_flow_file $PWD/r1/flow.h5"
  "2|bad.h5 is not an HDF5 file|sample $M -us_windows 3 -us_steps 200 -us_flow_file $PWD/bad.h5"
)
expect_errors "1"
exit $fail
