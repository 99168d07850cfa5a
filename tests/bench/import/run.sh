#!/usr/bin/env bash
# Benchmark tests/bench/import: `umbra import` + `umbra fes` against `gmx wham` on the same GROMACS
# files: 16 windows of FRAMES (default 100000) frames each along a pull direction
# (tests/import_synthetic.py: exact samples of a double well, pullx.xvg and .mdp files processed
# by gmx grompp), 1.6 million frames.
#   umbra   import (-import_begin 20) on 1 and 2 ranks, then fes on 1 and 2 ranks: MBAR
#           (-fes_bootstrap 0: f_k, asymptotic errors, F(z) on 100 bins, diagnostics) and binned
#           WHAM on gmx wham's grid; wall time of each command (the best of REPEAT)
#   gmx     gmx wham -b 20 -bins 100 -tol 1e-8 -temp 300 -unit kT (no bootstrap), wall time
#   agreement  umbra's WHAM profile against gmx wham's: max |dF| over the bins with samples
# Prints a table and writes $BUILD/bench/import.csv. Exits 1 if a run fails; skips without gmx.
# Environment: BUILD, PYTHON, MPIEXEC, MPIEXEC_FLAGS, REPEAT (3), FRAMES (100000).
set -u
# shellcheck source=tests/bench/common.sh
. "$(dirname "$0")/../common.sh" import
MPIEXEC_FLAGS=${MPIEXEC_FLAGS:---oversubscribe}
FRAMES=${FRAMES:-100000}
OUT=$BUILD/bench/import
CSV=$BUILD/bench/import.csv
bench_require "numpy, h5py"
command -v gmx >/dev/null || { echo "import: gmx (GROMACS) is not installed: nothing to compare with"; exit 0; }
rm -rf "$OUT" && mkdir -p "$OUT"
"$PYTHON" tests/import_synthetic.py direction "$OUT/data" 11 "$FRAMES" || exit 1
(cd "$OUT/data" && for m in win*.mdp; do i=${m#win}; i=${i%.mdp}; gmx grompp -f "$m" -c conf.gro -p topol.top -n index.ndx -o win$i.tpr -po mdout_$i.mdp -maxwarn 5 >/dev/null 2>&1 || exit 1; done) || { echo "import: gmx grompp failed"; exit 1; }

best() { # command... : the best wall time of REPEAT runs, in seconds
  local b="" s e t
  for _ in $(seq "$REPEAT"); do
    s=$(date +%s.%N)
    "$@" </dev/null >>"$OUT/log.txt" 2>&1 || { echo "failed: $*" >&2; tail "$OUT/log.txt" >&2; echo nan; return 1; }
    e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc)
    if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
  done
  printf '%.2f\n' "$b"
}
rc=0
echo "case,ranks,seconds" >"$CSV"
for np in 1 2; do
  t=$(best "$MPIEXEC" -n $np $MPIEXEC_FLAGS "$UMBRA" import -import_format gmx -import_it "$OUT/data/mdp-files.dat" -import_ix "$OUT/data/pullx-files.dat" -import_begin 20 -out "$OUT/u") || rc=1
  echo "umbra import,$np,$t" >>"$CSV"
  t=$(best "$MPIEXEC" -n $np $MPIEXEC_FLAGS "$UMBRA" fes -out "$OUT/u" -fes_bootstrap 0 -fes_range 0.5,2.5 -fes_bins 100) || rc=1
  echo "umbra fes mbar,$np,$t" >>"$CSV"
  t=$(best "$MPIEXEC" -n $np $MPIEXEC_FLAGS "$UMBRA" fes -out "$OUT/u" -fes_bootstrap 0 -fes_type wham -fes_range 0.5,2.5 -fes_bins 100) || rc=1
  echo "umbra fes wham,$np,$t" >>"$CSV"
done
t=$(cd "$OUT/data" && best gmx wham -it tpr-files.dat -ix pullx-files.dat -o profile.xvg -hist histo.xvg -min 0.5 -max 2.5 -bins 100 -temp 300 -unit kT -b 20 -tol 1e-8) || rc=1
echo "gmx wham,1,$t" >>"$CSV"
"$PYTHON" - "$OUT" <<'PYEOF' || rc=1
import sys, numpy as np, h5py
out = sys.argv[1]
w = h5py.File(out + '/u/fes.h5', 'r')
F, cnt = w['profile/F'][:], w['profile/counts'][:]
g = np.array([[float(v) for v in l.split()[:2]] for l in open(out + '/data/profile.xvg') if l.strip() and l[0] not in '#@'])
ok = np.isfinite(F) & np.isfinite(g[:, 1]) & (cnt > 0)
d = np.max(np.abs((F - F[ok].mean())[ok] - (g[:, 1] - g[ok, 1].mean())[ok]))
print('%d frames imported; umbra wham vs gmx wham: max |dF| = %.2g kT' % (w['windows/n_samples'][:].sum(), d))
PYEOF
column -s, -t "$CSV"
exit $rc
