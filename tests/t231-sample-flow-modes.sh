#!/usr/bin/env bash
# Flow moves with a trained flow give the exact mode weights; without them the run is wrong.
# fastslow with the tilted coupling (docs/experiments/coupling.md: -fastslow_cw 6 -fastslow_t 2
# -fastslow_eps 0.1, one fast y whose wells at +-1 are weighted by x): every window starts at the
# restrained minimum, in y < 0, and within the run (24000 steps of dt = 2e-4, 4.8 time units)
# walkers at x <= 0.4 barely cross the y barrier.
#  1. A physics campaign (12 windows on [-1.5, 1.5], 8 walkers; at large x some walkers cross,
#     so the pooled samples hold both modes, with the wrong weights) trains a small flow
#     (2 couplings, 32,32, 10 epochs, exact reduction). Its lifted P(y > 0 | z) must hold both
#     modes (at least 1% of its draws each) wherever the data does (2% to 98% within 0.1 of z).
#  2. The same windows sampled again from the same y < 0 starts, same seed and budget, with flow
#     moves every 20 steps (default base scale 1.5 and mixture 0.2) and without:
#     P(y > 0) of each window (batch means over walkers x 5 blocks, binomial floor, Student t,
#     Bonferroni over the 12 windows at alpha = 1e-3: critical 4.39) against the exact weight
#     P_k = average of `umbra exact`'s ppos_y1(z) over the window's exact biased z distribution.
#     With moves every window must agree and every window must accept at least 10% of its
#     proposals and switch modes; without moves at least one window must be off by more than
#     the critical value.
#  3. The same check must reject the broken moves of t228 with this flow (the private hook
#     UmbSamplerSetFlowMoveVariant has no option; t228's "variant" case runs them): the
#     proposal ratio left out, and every proposal accepted whatever U (base scale 1 there:
#     broadened proposals accepted unconditionally put walkers far up the quartic walls, where
#     the SDE step blows up).
# Measured: with moves largest |z| 2.04, acceptance 0.50 .. 0.75 over the windows; without
# moves 27.4 (window at x = -0.41: 0.0017 against 0.138); proposal ratio left out 30.6, moves
# ignoring U 64.4 (the table per window: docs/flow.md, "Tests"). The analysis:
# tests/t231-modes.py. 40 to 70 s on two shared cores (training 14 s, the four flow-move runs most of the rest).
# Catches: flow moves that do not leave the window's distribution invariant with a real flow
# (density, inverse or mixture of the trained flow inconsistent with its push-forward), a
# flow that cannot propose the mode the walkers are missing, a check that cannot fail.
set -u
fail=0
export OMPI_MCA_rmaps_base_oversubscribe=1
PY=/usr/bin/python3
if ! $PY -c "import h5py, numpy" 2>/dev/null; then echo "needs $PY with h5py and numpy"; exit 77; fi
A="$SRCDIR/tests/t231-modes.py"
M="-model fastslow -fastslow_m 1 -fastslow_coupling tilted -fastslow_cw 6 -fastslow_t 2 -fastslow_eps 0.1 -cv coord -cv_index 0"
S="-us_windows 12 -us_walkers 8 -us_kappa 40 -us_steps 24000 -us_burnin 2000 -us_stride 40 -us_dt 2e-4 -progress_interval 1000"
run() { # log command args...: umbra on 2 ranks
  local log=$1
  shift
  timeout 300 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" "$@" </dev/null >"$log" 2>&1 || { echo "umbra $* failed:"; tail -n 20 "$log"; exit 1; }
}
"$UMBRA" exact $M -out ex -exact_grid -3,3,1201 >exact.log 2>&1 || { echo "exact failed:"; cat exact.log; exit 1; }
run sample.log sample $M $S -seed 1 -out data
run train.log train $M -out data -generator flow -flow_reduce_mode exact -flow_layers 32,32 -flow_couplings 2 -flow_epochs 10 -progress_interval 1000
run lift.log lift $M -out data -generator flow -lift_grid -1.5,1.5,13 -lift_n 2000
$PY "$A" ex/exact.csv data/samples.h5 --lift data/lift.h5 || fail=1
run moves.log sample $M $S -seed 2 -out moves -us_flow_file "$PWD/data/flow.h5" -us_flow_moves 20
$PY "$A" ex/exact.csv moves/samples.h5 moves/windows.csv --label "flow moves" --expect pass --min-accept 0.1 || fail=1
run none.log sample $M $S -seed 2 -out none
$PY "$A" ex/exact.csv none/samples.h5 --label "no moves" --expect fail || fail=1
# the broken moves, through t228's binary (the variants are not an option of umbra)
T="$BUILD/tests/t228-sample-flowmoves"
[ -x "$T" ] || { echo "$T not built"; exit 1; }
for v in noratio always; do
  extra=""
  [ $v = always ] && extra="-us_flow_base_scale 1"
  timeout 300 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$T" -t228_case variant -t228_variant $v -t228_dir $v -t228_flow "$PWD/data/flow.h5" \
    $M $S -seed 2 -us_flow_moves 20 $extra </dev/null >$v.log 2>&1 || { echo "variant $v failed:"; tail -n 20 $v.log; fail=1; continue; }
  $PY "$A" ex/exact.csv $v/samples.h5 $v/windows.csv --label "broken: $v" --expect fail >$v.out || fail=1
  tail -n 2 $v.out
done
exit $fail
