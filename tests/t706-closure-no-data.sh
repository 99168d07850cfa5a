#!/usr/bin/env bash
# Closure grid points without data are reported point by point with the remedy, and written as
# nan, never as numbers. Five windows 6 standard deviations apart (kappa 100, centres -1.2 ..
# 1.2) leave thin gaps: on a grid of spacing 0.05 the points z = -0.3 and 0.35 have fewer than
# 10 samples within the bandwidth; a grid reaching beyond the samples has points with none.
# Catches: a gap or an out-of-range point silently given a physics value (an extrapolated or
# noise-dominated fit) in closures.csv, a warning that does not list the points or tell a gap
# from the end of the samples, no remedy, and a grid with no usable point not stopped (exit 2).
set -u
fail=0
. "$SRCDIR/tests/bad-input.sh"
run() { timeout 300 $MPIEXEC -n "$1" $MPIEXEC_FLAGS "$UMBRA" "${@:2}" </dev/null >>setup.log 2>&1 || { echo "setup failed: umbra ${*:2}"; tail setup.log; exit 1; }; }
run 2 sample -us_centers -1.2,-0.6,0,0.6,1.2 -us_kappa 100 -us_walkers 2 -us_steps 5000 -us_stride 10 -out gap
run 2 fes -out gap -fes_bootstrap 0
C="closure -out gap -closure_gan false -closure_direct_walkers 0"
# physics columns (3 and 4) of closures.csv at the points z in $2: nan exactly there
nan_at() {
  awk -F, -v want="$2" 'BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) empty[w[i]] = 1 }
    NR > 1 { isnan = ($3 == "nan" && $4 == "nan"); if (isnan != ($1 in empty)) { print "z = " $1 ": physics " $3 " +- " $4; bad = 1 } }
    END { exit bad }' "$1" || { echo "closures.csv: physics values are not nan exactly at z = $2"; fail=1; }
}
for np in 1 3; do
  timeout 300 $MPIEXEC -n $np $MPIEXEC_FLAGS "$UMBRA" $C -closure_grid -1.2,1.2,49 </dev/null >inside.log 2>&1 || { echo "closure with a gap failed ($np ranks)"; tail inside.log; fail=1; }
  grep -q "warning: closure: 2 of 49 grid points have no physics estimate (fewer than 10 samples within -closure_bandwidth 0.05, .*: z = -0.3 (a gap in the samples); z = 0.35 (a gap in the samples). closures.csv has nan in their physics columns. To fill a gap, sample windows there (-us_centers, more -us_windows, or umbra run -run_iterations" inside.log ||
    { echo "no per-point warning for the gaps ($np ranks)"; grep warning inside.log; fail=1; }
  nan_at gap/closures.csv "-0.3 0.35"
  timeout 300 $MPIEXEC -n $np $MPIEXEC_FLAGS "$UMBRA" $C -closure_grid -1.8,1.8,37 </dev/null >beyond.log 2>&1 || { echo "closure beyond the samples failed ($np ranks)"; tail beyond.log; fail=1; }
  grep -q "warning: closure: 7 of 37 grid points have no physics estimate .*: z = -1.8 .. -1.6 (3 points, beyond the samples); z = 1.5 .. 1.8 (4 points, beyond the samples). closures.csv has nan in their physics columns. To reach points beyond the samples, extend the windows (-us_range, or umbra run -run_extend)" beyond.log ||
    { echo "no per-point warning beyond the samples ($np ranks)"; grep warning beyond.log; fail=1; }
  grep -q "To fill a gap" beyond.log && { echo "points beyond the samples called a gap"; fail=1; }
  nan_at gap/closures.csv "-1.8 -1.7 -1.6 1.5 1.6 1.7 1.8"
done
# the grid touches the samples (so the range check passes) but no point can be estimated
cases=("2|-closure_grid \[1.45, 2.45\]: no grid point has samples on both sides within 0.25; the samples span \[-1.5[0-9]*, 1.4[0-9]*\]: move -closure_grid into that range, extend the windows \(-us_range\) or widen -closure_bandwidth|$C -closure_grid 1.45,2.45,5")
expect_errors "1 3"
exit $fail
