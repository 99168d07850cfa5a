#!/usr/bin/env bash
# Benchmark tests/bench/closure: the physics route of `umbra closure` (conditional averages of the
# fine coordinates from the umbrella samples with MBAR weights of the unbiased state) against
# pymbar 3.1, on the default fastslow campaign's samples (inputs/fastslow.opts: 24 windows,
# 9.6e5 samples, 4 fine coordinates; sampled once with `umbra sample` and `umbra fes` on 2 ranks
# and kept in $BUILD/bench/closure/data).
#   umbra   `umbra closure -closure_gan false` (31 grid points; mean_y<i>, var_y<i>, the mean force,
#           drift and diffusion; local quadratic MBAR regression with batch-means errors); time =
#           the Closure stage of -log_view (reading included); "process" = the whole command.
#           1 and 2 ranks, best of REPEAT runs.
#   pymbar  peer.py: per grid bin one computeMultipleExpectations of indicator observables
#           (anchors.md, job e), mean_y<i> and var_y<i> with asymptotic errors; MBAR started from
#           umbra's f_k (its solve timed apart). Also the quickest Python route for scale: pymbar's
#           weights once, then numpy weighted bin sums (values only; must equal pymbar's to 1e-9).
#   PyTorch regression.py: mean_y<i>, var_y<i> by a small network fitted by least squares to all
#           samples (the generator's size and conditioning), seeds 0 and 1; values only, so its
#           accuracy is measured in umbra's physics errors. The scale a regression reaches, for
#           the generator route (docs/closures.md, "Generator moments").
#   accuracy  every mean_y<i>/var_y<i> row against the model's exact value: max and RMS of
#           |estimate - exact| / error per estimator. umbra's must stay within its Bonferroni
#           tolerance (alpha 0.01 over the rows, as t702), else the benchmark fails; pymbar's are
#           reported (its bins carry the O(h^2) bias of a bin average, and its errors assume
#           independent samples).
# Prints a table and writes $BUILD/bench/closure.csv. Never fails on speed.
# Environment: BUILD (build), PYTHON (/usr/bin/python3), MPIEXEC (mpiexec), MPIEXEC_FLAGS,
#   REPEAT (3), PEER (1: run pymbar and PyTorch; 0: skip them).
set -u
# shellcheck source=tests/bench/common.sh
. "$(dirname "$0")/../common.sh" closure
MPIEXEC_FLAGS=${MPIEXEC_FLAGS:-}
PEER=${PEER:-1}
HERE=$PWD/tests/bench/closure
INPUT=$PWD/inputs/fastslow.opts
OUT=$BUILD/bench/closure
CSV=$BUILD/bench/closure.csv
DATA=$OUT/data
mkdir -p "$DATA"
bench_require "numpy, h5py"
if [ "$PEER" = 1 ] && ! "$PYTHON" -c 'import pymbar, torch' 2>/dev/null; then
  echo "closure: $PYTHON cannot import pymbar or torch: the peers are not run"
  PEER=0
fi
# shellcheck disable=SC2016
TIMED='d=$1; shift; if [ -x /usr/bin/time ]; then exec /usr/bin/time -f "%e" -o "$d/time.$$.txt" "$@"; else exec "$@"; fi'

if [ ! -e "$DATA/fes.h5" ]; then
  echo "sampling the default campaign's samples once (umbra sample, umbra fes on 2 ranks)"
  for cmd in sample fes; do
    # shellcheck disable=SC2086
    "$MPIEXEC" -n 2 $MPIEXEC_FLAGS "$UMBRA" $cmd -options_file "$INPUT" -out "$DATA" -progress_interval 1000 </dev/null >"$OUT/$cmd.log" 2>&1 ||
      { echo "closure: umbra $cmd failed (see $OUT/$cmd.log)"; rm -f "$DATA/fes.h5"; exit 1; }
  done
fi

umbra_run() { # ranks -> "stage_s process_s"
  rm -f "$DATA"/time.*.txt
  # shellcheck disable=SC2086
  "$MPIEXEC" -n "$1" $MPIEXEC_FLAGS sh -c "$TIMED" timed "$DATA" "$UMBRA" closure -options_file "$INPUT" -out "$DATA" -closure_gan false \
    -log_view ":$OUT/log_view.txt" </dev/null >"$OUT/closure.log" 2>&1 || return 1
  awk '$2 == "Closure:" { s = $3 } END { if (s == "") exit 1; printf "%s ", s }' "$OUT/log_view.txt" || return 1
  cat "$DATA"/time.*.txt 2>/dev/null | sort -g | tail -n 1
}
best() { sort -g | head -n 1; } # the fastest of several runs (other jobs only ever slow a run down)

status=0
declare -A stage proc
for np in 1 2; do
  r=$(for ((i = 0; i < REPEAT; i++)); do umbra_run "$np" || echo "FAIL"; done | best)
  if [[ -z "$r" || "$r" == *FAIL* ]]; then echo "closure: umbra failed on $np ranks (see $OUT/closure.log)"; status=1; continue; fi
  read -r "stage[$np]" "proc[$np]" <<<"$r"
done
cp "$DATA/closures.csv" "$OUT/closures.csv"
if [ "$PEER" = 1 ]; then
  rm -f "$OUT"/time.*.txt
  sh -c "$TIMED" timed "$OUT" "$PYTHON" "$HERE/peer.py" "$DATA/samples.h5" "$DATA/fes.h5" "$OUT/closures.csv" >"$OUT/peer.json" 2>"$OUT/peer.err" ||
    { echo "closure: pymbar failed (see $OUT/peer.err)"; status=1; PEER=0; }
  pproc=$(cat "$OUT"/time.*.txt 2>/dev/null)
  for seed in 0 1; do
    "$PYTHON" "$HERE/regression.py" "$DATA/samples.h5" "$OUT/closures.csv" $seed >"$OUT/regression$seed.json" 2>"$OUT/regression.err" ||
      { echo "closure: the PyTorch regression failed (see $OUT/regression.err)"; status=1; PEER=0; }
  done
fi
"$PYTHON" - "$OUT/closures.csv" "$OUT/peer.json" "$OUT/regression" "$PEER" "$CSV" "${stage[1]:-nan}" "${proc[1]:-nan}" "${stage[2]:-nan}" "${proc[2]:-nan}" "${pproc:-nan}" <<'PY' || status=1
import csv, json, math, sys
from statistics import NormalDist
clo, peerf, regf, peer, out = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == '1', sys.argv[5]
s1, p1, s2, p2, pp = (float(v) for v in sys.argv[6:11])
rows = {}
for r in csv.reader(l for l in open(clo) if not l.startswith('#')):
    if r[0] != 'z' and r[1].startswith(('mean_y', 'var_y')) and r[6]:
        rows[(round(float(r[0]), 9), r[1])] = (float(r[2]), float(r[3]), float(r[6]))
tol = NormalDist().inv_cdf(1 - 0.01 / (2 * len(rows)))
def stats(est):  # est: key -> (value, err); against exact
    zs = [abs(v - rows[k][2]) / e for k, (v, e) in est.items() if e > 0]
    ab = [abs(v - rows[k][2]) for k, (v, e) in est.items()]
    return max(zs), math.sqrt(sum(x * x for x in zs) / len(zs)), max(ab)
um = stats({k: (v[0], v[1]) for k, v in rows.items()})
res = {'rows': len(rows), 'tolerance': tol, 'umbra_max_z': um[0], 'umbra_rms_z': um[1], 'umbra_max_abs': um[2],
       'umbra_1rank_stage_s': s1, 'umbra_1rank_process_s': p1, 'umbra_2ranks_stage_s': s2, 'umbra_2ranks_process_s': p2}
ok = um[0] <= tol
print(f"{len(rows)} rows (mean_y1..4, var_y1..4 on 31 grid points) against the exact values; Bonferroni tolerance {tol:.2f} errors")
print(f"{'':32s} {'seconds':>9s} {'process s':>10s} {'speedup':>8s}  {'max |d|/err':>11s} {'RMS':>5s} {'max |d|':>8s}")
print(f"{'umbra closure, 1 rank':32s} {s1:9.3f} {p1:10.2f} {'':>8s}  {um[0]:11.2f} {um[1]:5.2f} {um[2]:8.4f}")
print(f"{'umbra closure, 2 ranks':32s} {s2:9.3f} {p2:10.2f} {'':>8s}")
if peer:
    r = json.load(open(peerf))
    est = {(round(z, 9), o): (v, e) for z, o, v, e in r['rows']}
    pm = stats({k: est[k] for k in rows})
    pt = r['solve_seconds'] + r['expectation_seconds']
    res.update({'pymbar_solve_s': r['solve_seconds'], 'pymbar_expectations_s': r['expectation_seconds'], 'pymbar_process_s': pp,
                'numpy_s': r['numpy_seconds'], 'numpy_max_abs_diff': r['numpy_max_abs_diff'],
                'pymbar_max_z': pm[0], 'pymbar_rms_z': pm[1], 'pymbar_max_abs': pm[2],
                'speedup_expectations_1rank': r['expectation_seconds'] / s1, 'speedup_process_1rank': pp / p1})
    print(f"{'pymbar expectations per bin':32s} {r['expectation_seconds']:9.3f} {pp:10.2f} {r['expectation_seconds'] / s1:7.0f}x  {pm[0]:11.2f} {pm[1]:5.2f} {pm[2]:8.4f}")
    print(f"{'  + its MBAR solve from f_umbra':32s} {r['solve_seconds']:9.3f}")
    print(f"{'numpy bins on pymbar weights':32s} {r['numpy_seconds']:9.3f} {'':10s} {r['numpy_seconds'] / s1:7.1f}x  (values only, no errors; max |diff| to pymbar {r['numpy_max_abs_diff']:.1g})")
    print(f"process speedup (1 rank): {pp / p1:.0f}x")
    for seed in (0, 1):
        g = json.load(open(f'{regf}{seed}.json'))
        est = {(round(z, 9), o): v for z, o, v in g['rows']}
        rm = stats({k: (est[k], rows[k][1]) for k in rows})  # in umbra's physics errors
        res.update({f'torch_regression{seed}_s': g['seconds'], f'torch_regression{seed}_max_z': rm[0],
                    f'torch_regression{seed}_rms_z': rm[1], f'torch_regression{seed}_max_abs': rm[2]})
        print(f"{'PyTorch regression, seed %d' % seed:32s} {g['seconds']:9.3f} {'':10s} {'':>8s}  {rm[0]:11.2f} {rm[1]:5.2f} {rm[2]:8.4f}  (in umbra's errors)")
    if r['numpy_max_abs_diff'] > 1e-9:
        print("closure: the two Python routes disagree"); ok = False
with open(out, 'w') as f:
    f.write(','.join(res) + '\n' + ','.join('%.6g' % v for v in res.values()) + '\n')
if not ok:
    print(f"closure: umbra's closures are {um[0]:.2f} errors from exact, beyond the tolerance {tol:.2f}")
sys.exit(0 if ok else 1)
PY
cat <<TXT
umbra seconds: the Closure stage (-log_view; reading samples.h5 and fes.h5, the regression and its
  batch-means errors for all 10 observables, writing closures.csv); process s: the whole command.
pymbar seconds: the computeMultipleExpectations calls (8 of the 10 observables); speedup = pymbar /
  umbra (1 rank). max |d|/err, RMS: |estimate - exact| in each estimator's own error bars (the
  regression has none: umbra's physics errors at the same rows).
CSV: $CSV
TXT
exit $status
