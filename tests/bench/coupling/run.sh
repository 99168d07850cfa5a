#!/usr/bin/env bash
# The coupling experiment (docs/experiments/coupling.md): at an equal budget of SDE walker-steps
# (every window, burn-in included), physics alone against one coupling round, on fastslow with
# the tilted coupling and a high barrier between the modes of y (c_w = 6, t = 2), where walkers
# started from one configuration stay in one mode. Three arms per seed:
#   coupled   umbra run, 12 windows, then -run_iterations 1 with a window at every gap
#             (-run_overlap_min 1: 11 windows at the midpoints) seeded with lifted states
#   longer    12 windows, each run 23/12 times as long
#   more      the coupled arm's 23 centres, every window started from the restrained minimum
#   flow      umbra run -generator flow: 12 windows of 23000 steps (burn-in included), then
#             -run_iterations 1 continuing the 12 windows with flow moves proposed by the flow
#             trained on round 0 (docs/coupling.md, "Flow rounds"): 24 x 8 x 23000, the same budget;
#             the round-0 windows are superseded by their continuations (-run_supersede, the
#             default), so fes and the closures pool the round-1 windows only
#   flowalone (analysis, after flow) fes and physics closures of the flow arm's round-1 windows
#             alone: with superseding the same estimate as the flow arm's (a cross-check)
# Errors: RMS of F(z) - exact over the fes.csv bins (the constant removed), RMS of the physics
# closure mean_y1 - exact over the closure grid, and the mode weight P(y > 0) of the lifted
# seeds against exact. Wall time of each arm (training included) in OUT/<arm><seed>.seconds.
# Environment: SEEDS (default "1 2 3"), ARMS ("coupled longer more flow flowalone"), NP (2), BUILD, OUT,
#   CASE: tilted (default: one fast variable, c_w = 6) or hard (two fast variables, c_w = 7: four
#   modes of y and a barrier one kT higher; OUT defaults to $BUILD/bench/coupling-hard).
# Takes about 5 minutes for 3 seeds on 2 idle cores (15 to 25 on loaded ones); not part of make check.
set -u
# shellcheck source=tests/bench/common.sh
. "$(dirname "$0")/../common.sh" coupling
NP=${NP:-2}
SEEDS=${SEEDS:-1 2 3}
CASE=${CASE:-tilted}
case $CASE in
tilted) FS_M=1 FS_CW=6 SUFFIX= ;;
hard) FS_M=2 FS_CW=7 SUFFIX=-hard ;;
*) echo "CASE must be tilted or hard, not '$CASE'" >&2; exit 2 ;;
esac
OUT=$(realpath -m "${OUT:-$BUILD/bench/coupling$SUFFIX}")
PY=$PYTHON
HERE=$(pwd)/tests/bench/coupling
mkdir -p "$OUT" "$BUILD/bench"
MODEL="-model fastslow -fastslow_m $FS_M -fastslow_eps 0.1 -fastslow_coupling tilted -fastslow_cw $FS_CW -fastslow_t 2"
SAMPLE="-us_kappa 40 -us_walkers 8 -us_burnin 2000 -us_stride 40 -us_dt 2e-4 -progress_interval 1000"
CLOSURE="-closure_direct_walkers 0 -closure_sde_time 20 -closure_sde_walkers 32 -closure_lift_n 2000 -closure_permutations 200"
GAN="-gan_loss ns -gan_epochs 30" # wgan-gp oscillates on these bimodal samples (swd 0.7 .. 2.2 over 20 epochs)
um() { mpiexec --oversubscribe --bind-to none -n "$NP" "$UMBRA" "$@" </dev/null; }
physics() { # dir, then sampler options: sample, fes, exact, physics closures
  local dir=$1; shift
  for c in sample fes exact; do um $c $MODEL $SAMPLE "$@" -out "$dir" >"$dir.$c.log" 2>&1 || { echo "$c failed in $dir"; tail "$dir.$c.log"; exit 1; }; done
  um closure $MODEL $SAMPLE "$@" $CLOSURE -closure_gan false -out "$dir" >"$dir.closure.log" 2>&1 || { echo "closure failed in $dir"; tail "$dir.closure.log"; exit 1; }
}
ARMS=${ARMS:-coupled longer more flow flowalone}
# the flow: a coordinate CV (the same x) for the moves, training in the rank-independent mode
FLOW="-cv coord -cv_index 0 -generator flow -flow_reduce_mode exact"
timed() { # arm seed command...: runs it, writes OUT/<arm><seed>.seconds
  local arm=$1 s=$2 t0
  shift 2
  t0=$(date +%s.%N)
  "$@"
  echo "$(date +%s.%N) - $t0" | bc >"$OUT/$arm$s.seconds"
}
arm() { # arm seed
  local s=$2
  case $1 in
  coupled)
    um run $MODEL $SAMPLE $CLOSURE $GAN -us_windows 12 -us_range -1.5,1.5 -us_steps 22000 -seed "$s" \
      -run_iterations 1 -run_overlap_min 1 -run_max_windows 11 -out "$OUT/coupled$s" >"$OUT/coupled$s.log" 2>&1 ||
      { echo "coupled arm failed (seed $s)"; tail "$OUT/coupled$s.log"; exit 1; }
    cp "$OUT/coupled$s/exact.csv" "$OUT/coupled$s/round0/" ;;
  longer) physics "$OUT/longer$s" -us_windows 12 -us_range -1.5,1.5 -us_steps 44000 -seed "$s" ;;
  more) physics "$OUT/more$s" -us_windows 23 -us_range -1.5,1.5 -us_steps 22000 -seed "$s" ;;
  flow)
    um run $MODEL $FLOW $SAMPLE $CLOSURE -us_windows 12 -us_range -1.5,1.5 -us_steps 21000 -seed "$s" \
      -run_iterations 1 -run_overlap_min 0 -run_neff_min 0 -run_reseed_flagged false -out "$OUT/flow$s" >"$OUT/flow$s.log" 2>&1 ||
      { echo "flow arm failed (seed $s)"; tail "$OUT/flow$s.log"; exit 1; }
    cp "$OUT/flow$s/exact.csv" "$OUT/flow$s/round0/" ;;
  flowalone) # analysis of the flow arm: F and closures from its round-1 windows alone
    cp "$OUT/flow$s/exact.csv" "$OUT/flow$s/coupling1/"
    um fes $MODEL $FLOW $SAMPLE -out "$OUT/flow$s/coupling1" >"$OUT/flowalone$s.log" 2>&1 &&
      um closure $MODEL $FLOW $SAMPLE $CLOSURE -closure_gan false -out "$OUT/flow$s/coupling1" >>"$OUT/flowalone$s.log" 2>&1 ||
      { echo "flowalone failed (seed $s)"; tail "$OUT/flowalone$s.log"; exit 1; } ;;
  esac
}
# exact F on a grid wider than every fes.csv bin, for the error over all bins (analyse.py)
um exact $MODEL -cv coord -cv_index 0 -exact_grid -2.5,2.5,1001 -out "$OUT/exact-wide" >"$OUT/exact-wide.log" 2>&1 ||
  { echo "exact failed"; tail "$OUT/exact-wide.log"; exit 1; }
for s in $SEEDS; do
  start=$(date +%s)
  for a in $ARMS; do timed "$a" "$s" arm "$a" "$s"; done
  echo "seed $s: arms $ARMS in $(($(date +%s) - start)) s"
done
"$PY" "$HERE/analyse.py" --csv "$BUILD/bench/coupling$SUFFIX.csv" --arms "$ARMS" --cw "$FS_CW" "$OUT" $SEEDS | tee "$BUILD/bench/coupling$SUFFIX.txt"
