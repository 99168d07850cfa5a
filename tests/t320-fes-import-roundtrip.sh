#!/usr/bin/env bash
# umbra export then umbra import of the same format gives back the samples bit for bit and the
# same free energies, at 1, 2 and 3 ranks:
#   grossfield  metadata.dat and winNNN.dat: z, centres and spring constants bit for bit, the
#               IACT from the correl_time column, f_k equal (1e-10 kT);
#   gmx         the pullx files of every walker with one .mdp per window (listed once per walker,
#               as gmx wham's tpr list): z bit for bit (walkers of a window in order), 2 walkers
#               x 600 frames per window, kappa within 1e-15 (kT = 1 kJ/mol through ref-t), f_k
#               equal (to 1e-10 kT: fes runs at other rank counts, whose sums round differently).
# The import is the same at every rank count (h5diff without the provenance), records the files
# with their SHA-256 (checked with sha256sum -c), and `umbra fes -fes_units kJ/mol` adds F in
# kJ/mol (= kT here) to fes.csv; `umbra report` runs on the imported directory.
# Catches: rounding on either side, walkers merged in the wrong order, rank-dependent output,
# wrong checksums, a report that needs a model.
set -u
fail=0
PY=${PYTHON:-/usr/bin/python3}
run() { # np args...
  local np=$1
  shift
  timeout 300 $MPIEXEC -n "$np" $MPIEXEC_FLAGS "$UMBRA" "$@" </dev/null >>log.txt 2>&1 || { echo "umbra $* failed:"; tail -n 20 log.txt; fail=1; }
}
run 2 sample -us_windows 7 -us_walkers 2 -us_steps 6000 -us_stride 10 -out a
run 2 fes -out a -fes_bootstrap 0
run 2 export -out a -export_format grossfield
run 2 export -out a -export_format gmx
sed 's/\.tpr$/.mdp/' a/export/gmx/tpr-files.dat >a/export/gmx/mdp-files.dat
for np in 1 2 3; do
  run $np import -import_format grossfield -import_list a/export/grossfield/metadata.dat -out g$np
  run $np import -import_format gmx -import_it a/export/gmx/mdp-files.dat -import_ix a/export/gmx/pullx-files.dat -out x$np
done
for f in g x; do
  for np in 2 3; do
    h5diff --exclude-path /provenance $f\1/samples.h5 $f$np/samples.h5 >/dev/null || { echo "import ($f) at $np ranks differs from 1 rank"; fail=1; }
  done
done
run 3 fes -out g1 -fes_bootstrap 0
run 1 fes -out x1 -fes_bootstrap 0 -fes_units kJ/mol
run 2 report -out x1
[ -s x1/summary.json ] || { echo "umbra report wrote no summary.json for the imported run"; fail=1; }
head -n 2 x1/fes.csv | tail -n 1 | grep -q '^z,F,dF,F_kJ_mol,dF_kJ_mol$' || { echo "fes.csv lacks the kJ/mol columns"; fail=1; }
"$PY" - <<'EOF' || fail=1
import numpy as np, h5py, subprocess
a = h5py.File('a/samples.h5', 'r')
fa = h5py.File('a/fes.h5', 'r')['windows/f'][:]
bad = []
for name, tol_k, tol_f in (('g1', 0, 1e-10), ('x1', 1e-15, 1e-10)):
    s = h5py.File(name + '/samples.h5', 'r')
    for d in ('samples/z', 'windows/center', 'windows/offset'):
        if not np.array_equal(a[d][:], s[d][:]):
            bad.append('%s: %s differs' % (name, d))
    dk = np.max(np.abs(s['windows/kappa'][:] / a['windows/kappa'][:] - 1))
    df = np.max(np.abs(h5py.File(name + '/fes.h5', 'r')['windows/f'][:] - fa))
    print('%s: z bit for bit, max relative kappa difference %.2g, max |f_k - f_k(umbra sample)| %.2g kT' % (name, dk, df))
    if dk > tol_k or df > tol_f:
        bad.append('%s: kappa %.3g, f %.3g' % (name, dk, df))
    files = [f.decode() for f in s['import/files'][:]]
    open(name + '.sha256', 'w').write('\n'.join(files) + '\n')
    if subprocess.run(['sha256sum', '--quiet', '-c', name + '.sha256']).returncode:
        bad.append('%s: the recorded checksums do not match the files' % name)
g = h5py.File('g1/samples.h5', 'r')
if np.max(np.abs(g['windows/iact'][:] - a['windows/iact'][:]) / a['windows/iact'][:]) > 1e-9:
    bad.append('grossfield: iact is not the correl_time column')
x = h5py.File('x1/samples.h5', 'r')
if x['windows'].attrs['walkers'][0] != 2 or x['windows'].attrs['frames_per_walker'][0] != 600:
    bad.append('gmx: walkers x frames %s x %s, expected 2 x 600' % (x['windows'].attrs['walkers'], x['windows'].attrs['frames_per_walker']))
F = np.genfromtxt('x1/fes.csv', delimiter=',', names=True, skip_header=1)
ok = np.isfinite(F['F'])
if np.max(np.abs(F['F_kJ_mol'][ok] - F['F'][ok])) > 1e-8:
    bad.append('F_kJ_mol is not F at kT = 1 kJ/mol')
if bad:
    raise SystemExit('; '.join(bad))
EOF
exit $fail
