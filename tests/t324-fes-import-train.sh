#!/usr/bin/env bash
# Imported samples with fine coordinates train a generator and give closures: a PLUMED import
# that keeps the COLVAR columns y1, y2 (-import_fine) runs `umbra train` (2 epochs), `umbra lift`
# and `umbra closure` with -model imported -imported_coordinates d1,y1,y2 -cv coord -cv_index 0,
# at 1 and 2 ranks. lift.h5 holds configurations of the three coordinates whose CV column is the
# requested value. The synthetic fine coordinates are y = N(0, 1) + d1 / 2 (import_synthetic.py),
# so the physics closures must give E[y_j | d1] = d1 / 2 and Var[y_j | d1] = 1: over the 31 grid
# points x 4 observables (124 comparisons) the largest |closure - exact| / error stays below the
# two-sided 1e-3 Bonferroni quantile of Student's t with 20 degrees of freedom (the errors are
# batch means over the 20-30 batches of the windows that reach a grid point); the same closures
# against a slope 1.4 times too large or a variance 1.5 exceed it (the check has the power to see
# them). 1 and 2 ranks give the same closures. Without a potential there is no mean force, drift
# or diffusion (not in closures.csv) and the generator's draws are not reweighted. `umbra run` on
# an imported directory leaves out the sample stage and runs fes, train, lift, closure and report
# without touching samples.h5 (and stops with one message where there are no samples). What needs a
# potential still stops with one clear message (`umbra sample`), and so do a closure without
# observables (no fine coordinates) and -model imported without -imported_coordinates.
# Catches: an import whose CV attribute or coordinates the generator refuses, a model without a
# potential that fails silently or returns a made-up energy, closures of imported coordinates
# taken from the wrong column or the wrong weights.
set -u
fail=0
PY=${PYTHON:-/usr/bin/python3}
"$PY" -c 'import numpy, h5py, scipy' 2>/dev/null || { echo "skip: $PY cannot import numpy, h5py and scipy"; exit 77; }
. "$SRCDIR/tests/bad-input.sh"
run() { # np args...
  local np=$1
  shift
  timeout 300 $MPIEXEC -n "$np" $MPIEXEC_FLAGS "$UMBRA" "$@" </dev/null >>log.txt 2>&1 || { echo "umbra $* failed:"; tail -n 20 log.txt; fail=1; }
}
"$PY" "$SRCDIR/tests/import_synthetic.py" direction d 5 2000 || { echo "import_synthetic.py failed"; exit 1; }
M="-model imported -imported_coordinates d1,y1,y2 -cv coord -cv_index 0"
for np in 1 2; do
  run $np import -import_format plumed -import_list d/plumed-meta.dat -import_temp 300 -import_fine y1,y2 -out r$np
  run $np fes -out r$np -fes_bootstrap 0
  # shellcheck disable=SC2086
  run $np train $M -flow_epochs 2 -out r$np
  # shellcheck disable=SC2086
  run $np lift $M -lift_z 1.0,1.5 -lift_n 50 -out r$np
  # shellcheck disable=SC2086
  run $np closure $M -closure_lift_n 2000 -out r$np
done
"$PY" - <<'EOF' || fail=1
import numpy as np, h5py
for d in ('r1', 'r2'):
    f = h5py.File(d + '/lift.h5', 'r')
    x, z = f['lift/x'][:], f['lift/z'][:, 0]
    if x.shape != (2, 50, 3) or f['lift'].attrs['coordinates'].decode() != 'd1,y1,y2':
        raise SystemExit('%s/lift.h5: configurations %s of %s, expected 2 x 50 of d1,y1,y2' % (d, x.shape, f['lift'].attrs['coordinates']))
    if not np.all(np.isfinite(x)) or not np.array_equal(x[:, :, 0], np.repeat(z[:, None], 50, axis=1)) or not np.array_equal(z, [1.0, 1.5]):
        raise SystemExit('%s/lift.h5: the CV column is not the requested values' % d)
print('lift on imported samples: configurations of d1,y1,y2 at d1 = 1.0, 1.5')
EOF
"$PY" - <<'EOF' || fail=1
import csv
from scipy.stats import t as student
rows = {d: list(csv.DictReader(l for l in open(d + '/closures.csv') if not l.startswith('#'))) for d in ('r1', 'r2')}
obs = sorted({r['observable'] for r in rows['r1']})
if obs != ['mean_y1', 'mean_y2', 'var_y1', 'var_y2']:
    raise SystemExit('closures.csv has %s, expected the moments of y1, y2 only (no potential: no mean force)' % obs)
for a, b in zip(rows['r1'], rows['r2']):
    if a['observable'] != b['observable'] or abs(float(a['physics']) - float(b['physics'])) > 1e-9 * (1 + abs(float(a['physics']))):
        raise SystemExit('1 and 2 ranks differ at z = %s, %s: %s vs %s' % (a['z'], a['observable'], a['physics'], b['physics']))
crit = student.ppf(1 - 1e-3 / (2 * len(rows['r1'])), 20)
def worst(slope, var):
    return max(abs(float(r['physics']) - (slope * float(r['z']) if r['observable'].startswith('mean') else var)) / float(r['physics_err']) for r in rows['r1'])
w, wm, wv = worst(0.5, 1.0), worst(0.7, 1.0), worst(0.5, 1.5)
print('closures of imported fine coordinates: largest |physics - exact| = %.2f errors (critical %.2f); against slope 0.7: %.2f, variance 1.5: %.2f' % (w, crit, wm, wv))
if not w < crit:
    raise SystemExit('the physics closures disagree with E[y | z] = z / 2, Var = 1')
if not (wm > crit and wv > crit):
    raise SystemExit('the check cannot see a wrong slope or variance')
EOF
grep -q "are not reweighted" log.txt || { echo "closure: no note that the generator's draws are not reweighted without a potential"; fail=1; }
# umbra run on an imported directory: no sample stage, the campaign after it, samples.h5 untouched
run 2 import -import_format plumed -import_list d/plumed-meta.dat -import_temp 300 -import_fine y1,y2 -out u2
before=$(sha256sum u2/samples.h5)
# shellcheck disable=SC2086
run 2 run $M -flow_epochs 2 -closure_lift_n 2000 -out u2
for f in fes.h5 flow.h5 lift.h5 closures.csv summary.json; do [ -s u2/$f ] || { echo "umbra run on imported samples wrote no $f"; fail=1; }; done
[ "$(sha256sum u2/samples.h5)" = "$before" ] || { echo "umbra run changed the imported samples.h5"; fail=1; }
grep -q "run: no sample stage (the model has no potential energy" log.txt || { echo "umbra run: no line on the sample stage it left out"; fail=1; }
expect_error 2 2 "samples.h5 not found: a model without a potential energy .*cannot sample; run .umbra import" "run $M -out empty"
expect_error 2 2 "model imported has no potential energy .*this stage needs one" "sample $M -us_windows 3 -us_range 1,2 -us_kappa 100 -out s2"
"$PY" "$SRCDIR/tests/import_synthetic.py" direction e 5 400 >/dev/null || { echo "import_synthetic.py failed"; exit 1; }
run 2 import -import_format plumed -import_list e/plumed-meta.dat -import_temp 300 -out q2
run 2 fes -out q2 -fes_bootstrap 0
expect_error 2 2 "closure: no observables: the model has no potential energy" "closure -model imported -imported_coordinates d1 -cv coord -cv_index 0 -closure_gan false -out q2"
expect_error s 2 "-model imported needs -imported_coordinates NAME" "train -model imported -out r2"
exit $fail
