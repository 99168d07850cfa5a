#!/usr/bin/env bash
# umbra import -import_format gmx against GROMACS itself: synthetic pullx.xvg files (exact
# samples of a double well along a pull direction, and of a periodic dihedral of alanine
# dipeptide, tests/import_synthetic.py) with .mdp files that `gmx grompp` processes (a two-bead
# system; tests/data/ala2/ for the dihedral), imported from grompp's -po output with
# -import_begin 20 (the frames gmx wham's -b 20 drops):
#   - samples.h5 is the same at 1 and 3 ranks (h5diff without the provenance);
#   - umbra fes (MBAR) gives pymbar's f_k on the same frames (u_kn from the .mdp's k, converted
#     by k_B T and, for the dihedral, from rad^-2 to deg^-2) to 1e-6 kT;
#   - umbra fes -fes_type wham gives `gmx wham`'s profile on the same grid (-b 20, -temp 300,
#     -unit kT; -cycl for the dihedral) to 1e-3 kT, and umbra's MBAR profile lies within four
#     standard errors (plus 0.05 kT of binning) of it.
# Catches: a wrong unit conversion (k_B T, rad^2 -> deg^2), a lost period, frames dropped
# differently from gmx wham, rows lost or reordered across ranks.
# Skips (77) without gmx or without numpy, h5py and pymbar for /usr/bin/python3.
set -u
fail=0
PY=${PYTHON:-/usr/bin/python3}
command -v gmx >/dev/null || { echo "skip: gmx (GROMACS) is not installed"; exit 77; }
"$PY" -c 'import numpy, h5py, pymbar' 2>/dev/null || { echo "skip: $PY cannot import numpy, h5py and pymbar"; exit 77; }
run() { # np args...
  local np=$1
  shift
  timeout 300 $MPIEXEC -n "$np" $MPIEXEC_FLAGS "$UMBRA" "$@" </dev/null >>log.txt 2>&1 || { echo "umbra $* failed:"; tail -n 20 log.txt; fail=1; }
}

for geo in direction dihedral; do
  "$PY" "$SRCDIR/tests/import_synthetic.py" $geo $geo || { echo "import_synthetic.py $geo failed"; exit 1; }
  (
    cd $geo || exit 1
    if [ $geo = dihedral ]; then cp "$SRCDIR"/tests/data/ala2/* . && c=em.gro p=ala2.top n=phi.ndx; else c=conf.gro p=topol.top n=index.ndx; fi
    for m in win*.mdp; do
      i=${m#win}; i=${i%.mdp}
      gmx grompp -f "$m" -c $c -p $p -n $n -o win$i.tpr -po mdout_$i.mdp -maxwarn 5 >grompp_$i.log 2>&1 || { echo "gmx grompp $m failed:"; tail -n 20 grompp_$i.log; exit 1; }
    done
  ) || { fail=1; continue; }
  run 1 import -import_format gmx -import_it $geo/mdp-files.dat -import_ix $geo/pullx-files.dat -import_begin 20 -out $geo/u1
  run 3 import -import_format gmx -import_it $geo/mdp-files.dat -import_ix $geo/pullx-files.dat -import_begin 20 -out $geo/u3
  h5diff --exclude-path /provenance $geo/u1/samples.h5 $geo/u3/samples.h5 >/dev/null || { echo "$geo: samples.h5 differs between 1 and 3 ranks"; fail=1; }
  if [ $geo = dihedral ]; then lo=-180 hi=180 bins=72 cycl=-cycl; else lo=0.5 hi=2.5 bins=80 cycl=; fi
  run 2 fes -out $geo/u1 -fes_bootstrap 0 -fes_range $lo,$hi -fes_bins $bins
  cp $geo/u1/fes.h5 $geo/mbar.h5
  run 2 fes -out $geo/u1 -fes_bootstrap 0 -fes_type wham -fes_range $lo,$hi -fes_bins $bins
  (cd $geo && gmx wham -it tpr-files.dat -ix pullx-files.dat -o profile.xvg -hist histo.xvg -min $lo -max $hi -bins $bins -temp 300 -unit kT -b 20 -tol 1e-8 $cycl >wham.log 2>&1) ||
    { echo "$geo: gmx wham failed:"; tail -n 20 $geo/wham.log; fail=1; continue; }
  "$PY" - $geo <<'EOF' || fail=1
import sys, numpy as np, h5py, pymbar
geo = sys.argv[1]
tr = np.load(geo + '/truth.npz')
s = h5py.File(geo + '/u1/samples.h5', 'r')
z, off = s['samples/z'][:, 0], s['windows/offset'][:]
kB, T = 0.00831446261815324, float(tr['T'])
bad = []
if not np.array_equal(z, tr['z'].ravel()):
    bad.append('the imported frames are not those of the pullx files after t >= 20')
if abs(s['samples'].attrs['cv_period'][0] - float(tr['period'])) > 0 or abs(s['samples'].attrs['temperature'][0] - T) > 0:
    bad.append('period or temperature wrong')
kap = tr['k'] * float(tr['unit_scale']) / (kB * T)      # kT per nm^2 or per deg^2
if np.max(np.abs(s['windows/kappa'][:, 0] / kap - 1)) > 1e-14:
    bad.append('spring constants %s, expected %s' % (s['windows/kappa'][:3, 0], kap[:3]))
c, P = tr['centres'], float(tr['period'])
dz = z[None, :] - c[:, None]
if P > 0:
    dz -= P * np.round(dz / P)
u_kn = 0.5 * kap[:, None] * dz ** 2
N_k = np.diff(off)
m = pymbar.MBAR(u_kn, N_k)
r = m.getFreeEnergyDifferences(return_dict=True) if hasattr(m, 'getFreeEnergyDifferences') else m.compute_free_energy_differences()
fp = r['Delta_f'][0]
fu = h5py.File(geo + '/mbar.h5', 'r')['windows/f'][:]
df = np.max(np.abs(fp - fu))
# gmx wham against umbra's binned WHAM and MBAR on the same grid
w = h5py.File(geo + '/u1/fes.h5', 'r')
zc, Fw = w['profile/z'][:, 0], w['profile/F'][:]
g = np.array([[float(v) for v in l.split()[:2]] for l in open(geo + '/profile.xvg') if l.strip() and l[0] not in '#@'])
if g.shape[0] != zc.size or np.max(np.abs(g[:, 0] - zc)) > 1e-4:
    bad.append('gmx wham grid differs: %d bins' % g.shape[0])
else:
    mb = h5py.File(geo + '/mbar.h5', 'r')
    Fm, dFm, cnt = mb['profile/F'][:], mb['profile/dF'][:], mb['profile/counts'][:]
    ok = np.isfinite(Fw) & np.isfinite(g[:, 1]) & (cnt >= 20)
    sh = lambda a: a - a[ok].mean()
    dwham = np.max(np.abs(sh(Fw)[ok] - sh(g[:, 1])[ok]))
    ref = np.argmin(np.where(ok, Fm, np.inf))
    dev = np.abs((Fm - Fm[ref]) - (g[:, 1] - g[ref, 1]))[ok]
    zmax = np.max(dev / (4 * dFm[ok] + 0.05))
    print('%s: max |f_umbra - f_pymbar| = %.2g kT (%d windows, %d frames); umbra wham vs gmx wham max |dF| = %.2g kT; MBAR vs gmx wham max |dF| = %.3f kT (%.2f of 4 sigma + 0.05)' % (geo, df, len(N_k), N_k.sum(), dwham, dev.max(), zmax))
    if dwham > 1e-3:
        bad.append('umbra wham differs from gmx wham by %.3g kT' % dwham)
    if zmax > 1:
        bad.append('MBAR profile outside 4 standard errors of gmx wham')
if df > 1e-6:
    bad.append('f_k differ from pymbar by %.3g kT' % df)
if bad:
    raise SystemExit(geo + ': ' + '; '.join(bad))
EOF
done
exit $fail
