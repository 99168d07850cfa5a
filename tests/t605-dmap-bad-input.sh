#!/usr/bin/env bash
# Bad input to `umbra dmap` and to -cv dmap ends the run on every rank with one clear message
# naming the cause, exit code 2, no hang and no dmap.h5 / dmap.csv left behind. Each data case
# runs at 1 and 3 ranks under a hang guard; option-value cases run once without mpiexec.
# The cases: fewer points than neighbours; eps zero, negative, or so small that the graph
# falls apart into components (the count is in the message: kNN kernel and cut-off kernel);
# more eigenvectors than points; a dmap.h5 whose input dimension does not match the model (for
# -cv dmap, and samples.h5 vs the model for umbra dmap). Also: no samples.h5, -cv dmap without a
# map, -dmap_coords beyond -dmap_nev, -dmap_weights mbar without fes.h5, a cut-off radius holding
# more than -dmap_max_neighbors points. Written with numpy and h5py (skipped without them): a
# samples file of 300 identical states, one with a NaN coordinate, one of 5 states (fewer than the
# default 8 eigenpairs need); and a CV of 2 coordinates asked of a map of 1 (-dmap_dim 2,
# -dmap_coords 1,2 with a 1-D dmap.h5).
# Catches: a check that is missing (a crash, a hang, SLEPc's own error, a garbage map), a check
# on one rank only (a hang or several error lines), a message that does not say what to change.
set -u
fail=0
. "$SRCDIR/tests/bad-input.sh"
run() { timeout 300 $MPIEXEC -n "$1" $MPIEXEC_FLAGS "$UMBRA" "${@:2}" </dev/null >>setup.log 2>&1 || { echo "setup failed: umbra ${*:2}"; tail setup.log; exit 1; }; }

# 8 windows x 1 walker x 250 frames = 2000 states of the ring (n = 10); 'small' has 100
run 2 sample -model ring -cv native -us_windows 8 -us_range -1.2,1.2 -us_kappa 20 -us_walkers 1 -us_steps 5000 -us_stride 20 -out good
run 2 sample -model ring -cv native -us_windows 2 -us_range -1,1 -us_kappa 20 -us_walkers 1 -us_steps 1000 -us_stride 20 -out small
run 2 dmap -model ring -out good -dmap_cutoff 4 -dmap_eps 0.05
for d in nev zero neg tinyk tinyc crowd mbar; do mkdir -p $d && cp good/samples.h5 $d/; done
mkdir -p nosamples
PY=${PYTHON:-/usr/bin/python3}
if "$PY" -c 'import numpy, h5py' 2>/dev/null; then
  "$PY" - "$SRCDIR/tests" <<'EOF' || { echo "writing the samples files failed"; exit 1; }
import os, sys
import numpy as np, h5py
sys.path.insert(0, sys.argv[1])
from synthetic_samples import sattr
def write(d, x):
    os.makedirs(d, exist_ok=True)
    with h5py.File(d + '/samples.h5', 'w') as f:
        sattr(f, 'umbra_format', '1.0'); sattr(f, 'umbra_kind', 'samples')
        f['samples/x'] = x
rng = np.random.default_rng(3)
write('same', np.tile(rng.standard_normal(10), (300, 1)))
x = rng.standard_normal((300, 10)); x[123, 4] = np.nan
write('nan', x)
write('five', rng.standard_normal((5, 10)))
EOF
  pycases=(
    "n|same/samples.h5: all 300 states are identical: there is nothing to map|dmap -model ring -out same"
    "n|nan/samples.h5: row 123 of /samples/x is not a finite number|dmap -model ring -out nan"
    "n|-dmap_nev 8 asks for more eigenvectors than 5 points have \(at most 4|dmap -model ring -out five"
  )
else
  echo "# numpy or h5py missing: the identical-states, NaN and 5-state cases are skipped"
  pycases=()
fi
cases=(
  "n|-dmap_neighbors 200 needs at least that many points, but there are 100|dmap -model ring -out small -dmap_cutoff 0 -dmap_neighbors 200"
  "n|-dmap_nev 60 asks for more eigenvectors than 50 points have \(at most 49|dmap -model ring -out nev -dmap_points 50 -dmap_cutoff 0 -dmap_neighbors 10 -dmap_nev 60"
  "s|-dmap_eps must be positive .*got 0|dmap -model ring -out zero -dmap_eps 0"
  "s|-dmap_eps must be positive .*got -0.1|dmap -model ring -out neg -dmap_eps -0.1"
  "n|eps = 1e-05 \(-dmap_eps\) is too small: the kernel graph falls apart into [0-9]+ connected components|dmap -model ring -out tinyk -dmap_cutoff 0 -dmap_eps 1e-5"
  "n|the kernel graph \(pairs closer than -dmap_cutoff 3 times sqrt\(eps\), eps = 1e-05\) falls apart into [0-9]+ connected components|dmap -model ring -out tinyc -dmap_eps 1e-5 -dmap_cutoff 3"
  "n|-cv dmap: good/dmap.h5 maps states of dimension 10, but model ring has n = 6|sample -model ring -ring_n 6 -cv dmap -cv_dmap_file good/dmap.h5 -out nosamples"
  "n|good/samples.h5 holds states of dimension 10, but model ring has n = 6|dmap -model ring -ring_n 6 -out good"
  "n|-dmap_atoms heavy needs the samples of a molecular model, but good/samples.h5 has no atoms \(/atoms\)|dmap -model ring -out good -dmap_atoms heavy"
  "n|nosamples/samples.h5 not found|dmap -model ring -out nosamples"
  "n|-cv dmap needs nosamples/dmap.h5: run .umbra dmap.|sample -model ring -cv dmap -out nosamples"
  "s|-dmap_coords 9 is not an eigenvector computed with -dmap_nev 8|dmap -model ring -out good -dmap_coords 9"
  "n|-dmap_weights mbar needs mbar/fes.h5|dmap -model ring -out mbar -dmap_weights mbar"
  "n|holds [0-9]+ neighbours of sample [0-9]+, more than -dmap_max_neighbors 50|dmap -model ring -out crowd -dmap_cutoff 10 -dmap_eps 0.05 -dmap_max_neighbors 50"
  "s|-dmap_neighbors must be at least 2|dmap -model ring -out good -dmap_neighbors 1"
  "s|-dmap_alpha must be in \[0, 1\]|dmap -model ring -out good -dmap_alpha 2"
  "s|-dmap_dim must be 1 or 2|dmap -model ring -out good -dmap_dim 3"
  "n|-cv dmap: good/dmap.h5 holds a map of 1 coordinate, but -dmap_dim asks for 2|sample -model ring -cv dmap -cv_dmap_file good/dmap.h5 -dmap_dim 2 -out nosamples"
  "n|-cv dmap: good/dmap.h5 holds a map of 1 coordinate, but -dmap_coords asks for 2|sample -model ring -cv dmap -cv_dmap_file good/dmap.h5 -dmap_coords 1,2 -out nosamples"
  "${pycases[@]}"
)
for c in "${cases[@]}"; do
  IFS='|' read -r where pattern args <<<"$c"
  for np in $([ "$where" = s ] && echo s || echo 1 3); do
    expect_error "$np" 2 "$pattern" "$args"
  done
done
for d in small nev zero neg tinyk tinyc crowd mbar nosamples same nan five; do
  for f in dmap.h5 dmap.h5.tmp dmap.csv dmap.csv.tmp; do
    [ -e $d/$f ] && { echo "a failed run left $d/$f"; fail=1; }
  done
done
exit $fail
