#!/usr/bin/env bash
# umbra import -import_format plumed: the frames of t321 written as PLUMED COLVAR files
# (tests/import_synthetic.py: '#! FIELDS time <cv> y1 y2', radians and '#! SET min_phi -pi /
# max_phi pi' for the dihedral) with a list COLVAR CENTER KAPPA, give the f_k of the gmx import
# of the same frames (its .mdp files, degrees and k in kJ/mol/rad^2 for the dihedral) to 1e-9 kT,
# with KAPPA in kJ/mol (the default) and in kcal/mol (-import_units kcal/mol), at 1 and 3 ranks.
# The COLVAR's other columns become fine coordinates (-import_fine y1,y2 or all: /samples/x is
# the CV, y1, y2), the period comes from the SET lines (2 pi), -import_column picks another
# column as the CV. Needs no GROMACS: the .mdp files are read as the user wrote them.
# Catches: unit conversions (kJ/mol, kcal/mol, rad vs deg), a missed period, wrong columns.
set -u
fail=0
PY=${PYTHON:-/usr/bin/python3}
"$PY" -c 'import numpy, h5py' 2>/dev/null || { echo "skip: $PY cannot import numpy and h5py"; exit 77; }
run() { # np args...
  local np=$1
  shift
  timeout 300 $MPIEXEC -n "$np" $MPIEXEC_FLAGS "$UMBRA" "$@" </dev/null >>log.txt 2>&1 || { echo "umbra $* failed:"; tail -n 20 log.txt; fail=1; }
}
for geo in direction dihedral; do
  "$PY" "$SRCDIR/tests/import_synthetic.py" $geo $geo || { echo "import_synthetic.py $geo failed"; exit 1; }
  sed 's/\.tpr$/.mdp/' $geo/tpr-files.dat >$geo/win-files.dat
  fine=y1,y2
  [ $geo = dihedral ] && fine=all
  run 2 import -import_format gmx -import_it $geo/win-files.dat -import_ix $geo/pullx-files.dat -import_begin 20 -out $geo/gmx
  run 1 import -import_format plumed -import_list $geo/plumed-meta.dat -import_temp 300 -import_begin 20 -import_fine $fine -out $geo/p1
  run 3 import -import_format plumed -import_list $geo/plumed-meta.dat -import_temp 300 -import_begin 20 -import_fine $fine -out $geo/p3
  run 2 import -import_format plumed -import_list $geo/plumed-meta-kcal.dat -import_units kcal/mol -import_temp 300 -import_begin 20 -out $geo/pk
  run 1 import -import_format plumed -import_list $geo/plumed-meta.dat -import_temp 300 -import_column y1 -out $geo/py
  h5diff --exclude-path /provenance $geo/p1/samples.h5 $geo/p3/samples.h5 >/dev/null || { echo "$geo: plumed import at 1 and 3 ranks differs"; fail=1; }
  for d in gmx p1 pk; do run 2 fes -out $geo/$d -fes_bootstrap 0; done
  "$PY" - $geo <<'EOF' || fail=1
import sys, numpy as np, h5py
geo = sys.argv[1]
bad = []
f = {d: h5py.File('%s/%s/fes.h5' % (geo, d), 'r')['windows/f'][:] for d in ('gmx', 'p1', 'pk')}
d1, dk = np.max(np.abs(f['p1'] - f['gmx'])), np.max(np.abs(f['pk'] - f['gmx']))
print('%s: max |f_plumed - f_gmx| = %.2g kT (kJ/mol), %.2g kT (kcal/mol)' % (geo, d1, dk))
if max(d1, dk) > 1e-9:
    bad.append('f_k of the PLUMED import differ from the gmx import')
s = h5py.File(geo + '/p1/samples.h5', 'r')
x, z = s['samples/x'][:], s['samples/z'][:, 0]
name = 'd1' if geo == 'direction' else 'phi'
if x.shape[1] != 3 or not np.array_equal(x[:, 0], z) or s['samples'].attrs['coordinates'].decode() != name + ',y1,y2':
    bad.append('fine coordinates: x is %s, coordinates %s' % (x.shape, s['samples'].attrs['coordinates']))
P = s['samples'].attrs['cv_period'][0]
if abs(P - (0 if geo == 'direction' else 2 * np.pi)) > 1e-15:
    bad.append('period %g' % P)
if abs(s['samples'].attrs['temperature'][0] - 300) > 0:
    bad.append('temperature not recorded')
tr = np.load(geo + '/truth.npz')
conv = 1.0 if geo == 'direction' else np.pi / 180
if np.max(np.abs(z - tr['z'].ravel() * conv)) > 1e-12:
    bad.append('the CV values are not those of the COLVAR files')
y = h5py.File(geo + '/py/samples.h5', 'r')
if not np.array_equal(y['samples/z'][:, 0], y['samples/x'][:, 0]) or y['samples'].attrs['cv_names'].decode() != 'y1':
    bad.append('-import_column y1 did not choose y1')
if bad:
    raise SystemExit(geo + ': ' + '; '.join(bad))
EOF
done
exit $fail
