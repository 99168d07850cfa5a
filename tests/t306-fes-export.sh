#!/usr/bin/env bash
# umbra export writes the windows in the peers' input formats (docs/export.md), the same at 1 and
# 3 ranks, and the exported data reproduce umbra's own results:
#   pymbar      the generated pymbar_mbar.py (pymbar 3.1 with /usr/bin/python3) gives every f_k
#               of `umbra fes` to 1e-6 kT, for a 1-D and a 2-D CV (grossfield and gmx refuse 2-D);
#   grossfield  metadata.dat (path center kappa correl_time = IACT) and the time series hold
#               every sample; binned WHAM with Grossfield's conventions, implemented here in
#               numpy by direct iteration (the peer's algorithm) on the exported files, gives the
#               f_k and F(z) of `umbra fes -fes_type wham` on the same grid to 1e-6 kT;
#   gmx         one pullx file (2 columns) per walker, one .mdp per window with the window's
#               centre and spring, ref-t giving kT = 1/beta kJ/mol, and the file lists gmx wham
#               reads.
# When the peers themselves are installed, they run on the exports and must reproduce umbra's
# binned WHAM profile to 1e-5 kT (their own tolerance 1e-8 and printed digits): gmx wham
# (`gmx` on PATH, e.g. Debian's gromacs 2022.5: make_tpr.sh, run_gmx_wham.sh) and Grossfield's
# wham (GROSSFIELD_WHAM=/path/to/wham, built from its source: run_wham.sh). Otherwise that part is
# reported as not run.
# Catches: samples lost, reordered or rounded on export, wrong spring constants or centres, a
# wrong IACT column, rank-dependent output, WHAM conventions that differ from Grossfield's.
set -u
fail=0
PY=${PYTHON:-/usr/bin/python3}
run() { # np args...
  local np=$1
  shift
  timeout 300 $MPIEXEC -n "$np" $MPIEXEC_FLAGS "$UMBRA" "$@" </dev/null >>log.txt 2>&1 || { echo "umbra $* failed:"; tail -n 20 log.txt; fail=1; }
}
run 2 sample -us_windows 9 -us_walkers 2 -us_steps 6000 -us_stride 10 -out a
mkdir -p b && cp a/samples.h5 b/
for f in pymbar grossfield gmx; do
  run 1 export -out a -export_format $f
  run 3 export -out b -export_format $f
done
diff -r a/export b/export >/dev/null || { echo "export at 1 and 3 ranks differs"; diff -r a/export b/export | head; fail=1; }
[ -e a/export/.pymbar.tmp ] && { echo "staging directory left behind"; fail=1; }
K=9 W=2 F=600
# grossfield: metadata and series
[ "$(wc -l <a/export/grossfield/metadata.dat)" = $K ] || { echo "metadata.dat does not have $K lines"; fail=1; }
for k in 000 004 008; do
  n=$(grep -vc '^#' a/export/grossfield/win$k.dat)
  [ "$n" = $((W * F)) ] || { echo "win$k.dat has $n samples, expected $((W * F))"; fail=1; }
done
# windows.csv prints the IACT with 6 significant digits: compare to 1e-5
paste -d' ' <(tail -n +3 a/windows.csv | cut -d, -f2,3,5 | tr ',' ' ') <(awk '{ print $2, $3, $4 }' a/export/grossfield/metadata.dat) |
  awk '{ for (i = 1; i <= 3; i++) { d = $i - $(i + 3); if (d < 0) d = -d; if (d > 1e-5 * (1 + ($i < 0 ? -$i : $i))) bad = 1 } } END { exit bad }' ||
  { echo "metadata.dat centre/kappa/correl_time differ from windows.csv"; fail=1; }
# gmx: files and settings
[ "$(ls a/export/gmx/pullx_*.xvg | wc -l)" = $((K * W)) ] || { echo "expected $((K * W)) pullx files"; fail=1; }
[ "$(ls a/export/gmx/win*.mdp | wc -l)" = $K ] || { echo "expected $K mdp files"; fail=1; }
[ "$(wc -l <a/export/gmx/tpr-files.dat)" = $((K * W)) ] && [ "$(wc -l <a/export/gmx/pullx-files.dat)" = $((K * W)) ] || { echo "gmx file lists have the wrong length"; fail=1; }
[ "$(grep -cv '^[#@]' a/export/gmx/pullx_003_001.xvg)" = $F ] || { echo "pullx_003_001.xvg does not hold $F frames"; fail=1; }
awk '!/^[#@]/ && NF != 2 { bad = 1 } END { exit bad }' a/export/gmx/pullx_003_001.xvg || { echo "pullx files must have 2 columns"; fail=1; }
c4=$(tail -n +3 a/windows.csv | sed -n 5p | cut -d, -f2)
grep -q "^pull-coord1-init = $c4\$" a/export/gmx/win004.mdp || { echo "win004.mdp: pull-coord1-init is not $c4"; fail=1; }
grep -q "^pull-coord1-k = 40\$" a/export/gmx/win004.mdp || { echo "win004.mdp: pull-coord1-k is not 40"; fail=1; }
grep -q "^ref-t = 120.27" a/export/gmx/win004.mdp || { echo "win004.mdp: ref-t does not give kT = 1 kJ/mol"; fail=1; }

if ! "$PY" -c 'import numpy, h5py, pymbar' 2>/dev/null; then
  echo "skip: $PY cannot import numpy, h5py and pymbar: the numerical checks of the exports are not run"
  [ $fail = 0 ] && exit 77
  exit $fail
fi
# the exported samples are the samples of samples.h5, in order
"$PY" - <<'EOF' || fail=1
import numpy as np, h5py
s = h5py.File('a/samples.h5', 'r')
z, off = s['samples/z'][:, 0], s['windows/offset'][:]
for k in range(len(off) - 1):
    e = np.loadtxt('a/export/grossfield/win%03d.dat' % k)[:, 1]
    p = np.loadtxt('a/export/pymbar/timeseries/win%03d.dat' % k)[:, 1]
    x = np.concatenate([np.loadtxt('a/export/gmx/pullx_%03d_%03d.xvg' % (k, w), comments=['#', '@'])[:, 1] for w in range(2)])
    for name, v in (('grossfield', e), ('pymbar', p), ('gmx', x)):
        if not np.array_equal(v, z[off[k]:off[k + 1]]):
            raise SystemExit('%s export of window %d differs from samples.h5' % (name, k))
EOF
# pymbar on the pymbar export against umbra fes (MBAR)
run 2 fes -out a -fes_bootstrap 0
d=$(cd a/export/pymbar && "$PY" pymbar_mbar.py --compare ../../fes.h5 2>/dev/null | sed -n 's/^max |f_pymbar - f_umbra| = //p')
awk -v d="$d" 'BEGIN { exit !(d != "" && d <= 1e-6) }' || { echo "pymbar_mbar.py: max |f_pymbar - f_umbra| = '$d' (tolerance 1e-6)"; fail=1; }
echo "pymbar export: max |f_pymbar - f_umbra| = $d"
# a 2-D CV (coordinates x and y1 of fastslow, 5 x 4 windows): the pymbar export at 1 and 3 ranks
# alike and pymbar's f_k equal to umbra's; grossfield and gmx take 1-D CVs only
run 2 sample -fastslow_m 4 -cv coord -cv_index 0,1 -us_windows 5,4 -us_range -1.5,1.5,-1,2 -us_kappa 20,10 -us_walkers 2 -us_steps 6000 -us_stride 10 -out c
mkdir -p e && cp c/samples.h5 e/
run 1 export -out c -export_format pymbar
run 3 export -out e -export_format pymbar
diff -r c/export e/export >/dev/null || { echo "2-D export at 1 and 3 ranks differs"; fail=1; }
grep -q '^# window center1 center2 kappa1 kappa2 N_k iact$' c/export/pymbar/windows.txt || { echo "2-D windows.txt has no centre and spring columns per component"; fail=1; }
run 2 fes -out c -fes_bootstrap 0
d=$(cd c/export/pymbar && "$PY" pymbar_mbar.py --compare ../../fes.h5 2>/dev/null | sed -n 's/^max |f_pymbar - f_umbra| = //p')
awk -v d="$d" 'BEGIN { exit !(d != "" && d <= 1e-6) }' || { echo "2-D pymbar_mbar.py: max |f_pymbar - f_umbra| = '$d' (tolerance 1e-6)"; fail=1; }
echo "pymbar export of a 2-D CV: max |f_pymbar - f_umbra| = $d"
for f in grossfield gmx; do
  if timeout 300 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" export -out c -export_format $f </dev/null >x2d.log 2>&1 || ! grep -q "supports 1-D CVs only" x2d.log; then
    echo "export -export_format $f of a 2-D CV: not refused with one message"; cat x2d.log; fail=1
  fi
done
# Grossfield-convention WHAM by direct iteration on the grossfield export against umbra's WHAM
run 3 fes -out a -fes_type wham -fes_range -1.7,1.7 -fes_bins 34 -fes_bootstrap 0
"$PY" - <<'EOF' || fail=1
import numpy as np, h5py
meta = [l.split() for l in open('a/export/grossfield/metadata.dat')]
lo, hi, nb, beta = -1.7, 1.7, 34, 1.0
edges = np.linspace(lo, hi, nb + 1); cen = 0.5 * (edges[1:] + edges[:-1])
hist, N = [], []
for path, c, k, tau in meta:
    x = np.loadtxt('a/export/grossfield/' + path)[:, 1]
    x = x[(x >= lo) & (x < hi)]                      # out-of-range samples dropped
    h = np.bincount(np.minimum(((x - lo) / (hi - lo) * nb).astype(int), nb - 1), minlength=nb)
    hist.append(h); N.append(h.sum())
c = np.array([float(m[1]) for m in meta]); kap = np.array([float(m[2]) for m in meta])
U = 0.5 * beta * kap[:, None] * (cen[None, :] - c[:, None])**2   # bias at bin centres
M, N = np.sum(hist, axis=0), np.array(N, dtype=float)
f = np.zeros(len(c))
for it in range(200000):                            # Grossfield's direct iteration
    P = M / np.sum(N[:, None] * np.exp(f[:, None] - U), axis=0)
    fn = -np.log(np.sum(P[None, :] * np.exp(-U), axis=1)); fn -= fn[0]
    if np.max(np.abs(fn - f)) < 1e-13:
        f = fn; break
    f = fn
F = -np.log(P); F -= F[M > 0].min()
h5 = h5py.File('a/fes.h5', 'r')
df = np.max(np.abs(f - h5['windows/f'][:]))
dF = np.max(np.abs(F[M > 0] - h5['profile/F'][:][M > 0]))
print('grossfield export: WHAM by direct iteration (%d iterations) vs umbra fes -fes_type wham: max |df_k| %.2g, max |dF| %.2g' % (it, df, dF))
if not (df <= 1e-6 and dF <= 1e-6):
    raise SystemExit('FAIL: tolerance 1e-6')
EOF
# the peers themselves, when installed
compare_profile() { # name file-with-"z F"-columns (any constant)
  "$PY" - "$1" "$2" <<'EOF' || fail=1
import sys, numpy as np, h5py
h5 = h5py.File('a/fes.h5', 'r')
z, F = h5['profile/z'][:, 0], h5['profile/F'][:]
p = np.array([[float(v) for v in l.split()[:2]] for l in open(sys.argv[2]) if l.strip() and l[0] not in '#@'])
ok = np.isfinite(F)
if p.shape[0] != len(z) or np.max(np.abs(p[:, 0] - z)) > 1e-6:
    raise SystemExit('%s: bins differ from umbra grid' % sys.argv[1])
d = (p[:, 1] - F)[ok]
d -= d[0]
print('%s on the export vs umbra fes -fes_type wham: max |dF| = %.2g kT' % (sys.argv[1], np.max(np.abs(d))))
if np.max(np.abs(d)) > 1e-5:
    raise SystemExit('FAIL: tolerance 1e-5')
EOF
}
if command -v gmx >/dev/null 2>&1; then
  (cd a/export/gmx && sh make_tpr.sh && LO=-1.7 HI=1.7 BINS=34 sh run_gmx_wham.sh) >gmx.log 2>&1 || { echo "gmx grompp/wham failed on the export:"; tail -n 20 gmx.log; fail=1; }
  [ -e a/export/gmx/profile.xvg ] && compare_profile "gmx wham" a/export/gmx/profile.xvg
else
  echo "gmx wham: not run (gmx is not installed)"
fi
if [ -x "${GROSSFIELD_WHAM:-}" ]; then
  (cd a/export/grossfield && LO=-1.7 HI=1.7 BINS=34 TOL=1e-10 WHAM=$GROSSFIELD_WHAM sh run_wham.sh) >gw.log 2>&1 || { echo "Grossfield wham failed on the export:"; tail gw.log; fail=1; }
  grep -v '^#' a/export/grossfield/free.dat | awk 'NF >= 2 { print $1, $2 }' >gw-profile.txt
  compare_profile "Grossfield wham" gw-profile.txt
else
  echo "Grossfield wham: not run (set GROSSFIELD_WHAM to its executable)"
fi
exit $fail
