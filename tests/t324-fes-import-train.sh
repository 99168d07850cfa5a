#!/usr/bin/env bash
# Imported samples with fine coordinates train a generator: a PLUMED import that keeps the
# COLVAR columns y1, y2 (-import_fine) runs `umbra train` (2 epochs) and `umbra lift` with
# -model imported -imported_coordinates d1,y1,y2 -cv coord -cv_index 0, at 1 and 2 ranks; lift.h5
# holds configurations of the three coordinates whose CV column is the requested value. What
# needs a potential stops with one clear message: `umbra closure` (its estimates use the
# energy's gradient), and -model imported without -imported_coordinates.
# Catches: an import whose CV attribute or coordinates the generator refuses, a model without a
# potential that fails silently or returns a made-up energy.
set -u
fail=0
PY=${PYTHON:-/usr/bin/python3}
"$PY" -c 'import numpy, h5py' 2>/dev/null || { echo "skip: $PY cannot import numpy and h5py"; exit 77; }
. "$SRCDIR/tests/bad-input.sh"
run() { # np args...
  local np=$1
  shift
  timeout 300 $MPIEXEC -n "$np" $MPIEXEC_FLAGS "$UMBRA" "$@" </dev/null >>log.txt 2>&1 || { echo "umbra $* failed:"; tail -n 20 log.txt; fail=1; }
}
"$PY" "$SRCDIR/tests/import_synthetic.py" direction d 5 400 || { echo "import_synthetic.py failed"; exit 1; }
M="-model imported -imported_coordinates d1,y1,y2 -cv coord -cv_index 0"
for np in 1 2; do
  run $np import -import_format plumed -import_list d/plumed-meta.dat -import_temp 300 -import_fine y1,y2 -out r$np
  run $np fes -out r$np -fes_bootstrap 0
  # shellcheck disable=SC2086
  run $np train $M -flow_epochs 2 -out r$np
  # shellcheck disable=SC2086
  run $np lift $M -lift_z 1.0,1.5 -lift_n 50 -out r$np
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
expect_error 2 2 "model imported has no potential energy .*this stage needs one" "closure $M -out r2"
expect_error s 2 "-model imported needs -imported_coordinates NAME" "train -model imported -out r2"
exit $fail
