#!/usr/bin/env bash
# Same seed on 1, 2 and 3 ranks gives bit-identical samples.h5 datasets (everything but the
# provenance, which records the rank count): 1-D windows, fewer windows than ranks, a 2-D grid,
# and both integrators. Windows are prepared and driven by counter-based noise keyed by window
# and walker, so the layout of windows over ranks must not matter.
set -u
fail=0
run() { # name np options...
  local name=$1 np=$2
  shift 2
  timeout 300 $MPIEXEC -n "$np" $MPIEXEC_FLAGS "$UMBRA" sample -out "$name.$np" "$@" </dev/null >"$name.$np.log" 2>&1 ||
    { echo "run $name at $np ranks failed:"; cat "$name.$np.log"; fail=1; }
}
same() { # name
  for np in 2 3; do
    if ! h5diff --exclude-path /provenance "$1.1/samples.h5" "$1.$np/samples.h5" >"$1.diff" 2>&1; then
      echo "$1: samples.h5 at 1 and $np ranks differ:"; head -n 20 "$1.diff"; fail=1
    fi
    if ! diff <(tail -n +2 "$1.1/windows.csv") <(tail -n +2 "$1.$np/windows.csv"); then
      echo "$1: windows.csv at 1 and $np ranks differ"; fail=1
    fi
  done
}
for np in 1 2 3; do
  run oned $np -us_windows 7 -us_steps 3000 -us_burnin 500 -us_stride 7 -us_walkers 3
  run few $np -us_windows 2 -us_steps 2000 -us_stride 10 -us_integrator em
  run twod $np -cv coord -cv_index 0,1 -us_windows 3,2 -us_range -1,1,0,1 -us_kappa 30,10 -us_steps 2000 -us_stride 5
done
same oned; same few; same twod
# a whole period given to 9 digits (-us_range -3.14159265,3.14159265 on the ring's angle): 8
# distinct windows, not a duplicate at +-pi
timeout 120 $MPIEXEC -n 1 $MPIEXEC_FLAGS "$UMBRA" sample -model ring -us_windows 8 -us_range -3.14159265,3.14159265 -us_steps 200 -us_stride 10 -out ring.1 </dev/null >ring.log 2>&1 || { echo "ring sampling failed:"; cat ring.log; fail=1; }
awk -F, 'NR > 2 { c[n++] = $2 } END { for (i = 0; i < n; i++) for (j = 0; j < i; j++) { d = c[i] - c[j]; d -= 2 * 3.141592653589793 * int(d / (2 * 3.141592653589793) + (d > 0 ? 0.5 : -0.5)); if (d * d < 1e-6) bad = 1 } exit !(n == 8 && !bad) }' ring.1/windows.csv ||
  { echo "-us_range -3.14159265,3.14159265: windows at the same angle (or not 8):"; cat ring.1/windows.csv; fail=1; }
# the datasets are really there and hold what windows.csv says
shape=$(h5dump -H -d /samples/x oned.1/samples.h5 | sed -nE 's/.*SIMPLE \{ \( ([0-9]+), ([0-9]+) \).*/\1 \2/p')
[ "$shape" = "8988 5" ] || { echo "unexpected /samples/x shape '$shape' (want 7 windows x 3 walkers x 428 frames = 8988 rows, 5 columns)"; fail=1; }
n=$(awk -F, 'NR > 2 { s += $4 } END { print s }' oned.1/windows.csv)
[ "$n" = "8988" ] || { echo "windows.csv n_samples sum $n, want 8988"; fail=1; }
exit $fail
