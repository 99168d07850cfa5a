#!/usr/bin/env bash
# Windows without overlap, and with little: MBAR and WHAM alike. Six windows in two groups of
# three (no sample of one group is plausible in the other) must stop with exit 2 on every rank,
# naming the neighbour pair across the gap and the options that close it; three windows whose
# neighbours overlap weakly (0.0073 < -fes_overlap_warn 0.03) must give a result with a warning
# naming the pair, their centres and the remedy, umbra run's coupling rounds included.
# Catches: a disconnected overlap graph solved anyway (the free energy between the groups is
# then arbitrary, set by the starting point), a gap not named or named without a remedy, the
# check missing from one estimator, a weak overlap stopping the run or passing silently.
set -u
fail=0
. "$SRCDIR/tests/bad-input.sh"
PY=${PYTHON:-/usr/bin/python3}
"$PY" -c 'import h5py, numpy' 2>/dev/null || { echo "h5py not available"; exit 77; }
"$PY" - <<'PYEOF' || { echo "h5py file preparation failed"; exit 1; }
import os, sys
sys.path.insert(0, os.environ['SRCDIR'] + '/tests')
from synthetic_samples import synthetic

synthetic('split', [-1.5, -1.3, -1.1, 1.1, 1.3, 1.5], 300.0, 1000)  # 2.2 apart at sd 0.058
synthetic('weak', [-0.8, 0.0, 0.8], 40.0, 1000)                      # 5 sd apart
PYEOF
gap="the 6 windows fall into 2 groups that do not overlap .*so the free energy of one group relative to another is undetermined; no overlap between neighbour windows 2 and 3 \(centres -1.1 and 1.1\): add windows in the gap \(more -us_windows, now 6, or -us_centers\), lower -us_kappa \(now 300 there\) so that neighbours reach each other, or sample longer \(-us_steps\)"
cases=(
  "2|$gap|fes -out split"
  "2|$gap|fes -out split -fes_type wham"
)
expect_errors "1 3"
[ -e split/fes.h5 ] && { echo "fes.h5 written for disconnected windows"; fail=1; }
for type in mbar wham; do
  timeout 120 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" fes -out weak -fes_type $type </dev/null >weak-$type.log 2>&1 || { echo "$type: weak overlap stopped the run"; tail -n 5 weak-$type.log; fail=1; }
  [ -e weak/fes.h5 ] || { echo "$type: no fes.h5 for weakly overlapping windows"; fail=1; }
  grep -Eq "warning: low overlap between neighbour windows [01] and [12] \(centres -?0(.8)? and 0(.8)?\): 0.00[0-9]+ < -fes_overlap_warn 0.03, .*add windows between them \(more -us_windows, or umbra run -run_iterations, whose coupling rounds put a window in such gaps\), lower -us_kappa \(now 40 there\) or sample longer" weak-$type.log ||
    { echo "$type: no low-overlap warning with the remedy"; grep -i overlap weak-$type.log; fail=1; }
  rm -f weak/fes.h5 weak/fes.csv
done
exit $fail
