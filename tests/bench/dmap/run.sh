#!/usr/bin/env bash
# Benchmark tests/bench/dmap: the same kNN kernel and eigenproblem in `umbra dmap` and in SciPy.
#   data    N points of a noisy unit circle in R^10 (radial and 8 transverse sd 0.05), randomly
#           rotated (peer.py gen, seed 42), written as a samples.h5 both sides read.
#   problem 32 nearest neighbours (the point included), union graph, K = exp(-d^2/eps) with
#           eps = 0.01, alpha = 1, the 9 leading eigenpairs (the trivial one included) of the
#           symmetric conjugate S, tolerance 1e-12.
#   umbra   `umbra dmap -dmap_cutoff 0 -dmap_neighbors 32 -dmap_eps 0.01 -dmap_nev 8`; time =
#           neighbours + kernel + eigensolve from its console timing line (max over ranks is
#           what rank 0 reports after the collective steps); "process" = the whole command
#           (MPI start-up, reading, the eigenvector scores and the outputs included).
#   SciPy   peer.py: cKDTree build + query, sparse kernel and normalisation (CSR), eigsh
#           (ARPACK, which='LA', tol 1e-12); time = those steps; "process" = the whole script.
#   agreement  the same number of non-zeros, and max_j |lambda_j(umbra) - lambda_j(scipy)|
#           <= 1e-9 (else the benchmark fails).
#   cases   N = 10,000 and 50,000; umbra on 1 and 2 ranks.
#   dense   peer.py dense: the same kernel and eigenvalues with dense N x N arrays (cdist, the
#           kNN by argpartition, numpy.linalg.eigh), as short diffusion-map scripts compute
#           them, at N = 5,000 (one run: it takes about half a minute), against umbra on 1 rank;
#           the same agreement is required.
# Prints a table and writes $BUILD/bench/dmap.csv (and dmap_dense.csv). Reports, never fails on
# speed.
# Environment: BUILD, PYTHON (/usr/bin/python3), MPIEXEC (mpiexec), MPIEXEC_FLAGS, REPEAT (3: the
#   fastest of REPEAT runs is reported, for both sides), SIZES ("10000 50000"), DENSE_SIZES
#   ("5000"; "" leaves the dense peer out).
set -u
# shellcheck source=tests/bench/common.sh
. "$(dirname "$0")/../common.sh" dmap
MPIEXEC_FLAGS=${MPIEXEC_FLAGS:---oversubscribe --bind-to none}
SIZES=${SIZES:-10000 50000}
DENSE_SIZES=${DENSE_SIZES-5000}
HERE=$PWD/tests/bench/dmap
OUT=$BUILD/bench/dmap
CSV=$BUILD/bench/dmap.csv
mkdir -p "$OUT"
bench_require "numpy, h5py, scipy"
OPTS="-model ring -dmap_cutoff 0 -dmap_neighbors 32 -dmap_eps 0.01 -dmap_nev 8"
status=0
best() { sort -g | head -n 1; }
# "total knn kernel eigen process" seconds of one umbra run from its console timing line
umbra_times() { # log process_seconds
  awk -v proc="$2" '/^  time: read/ { for (i = 1; i <= NF; i++) { if ($i == "neighbours") k = $(i + 1); if ($i == "kernel") kr = $(i + 1); if ($i == "eigensolve") ev = $(i + 1) } }
    END { if (k == "") exit 1; printf "%.4f %.4f %.4f %.4f %.3f\n", k + kr + ev, k, kr, ev, proc }' "$1"
}
# the fastest of REPEAT runs of `umbra dmap` on dir/data.h5 (umbra_times' row, or FAIL)
umbra_best() { # dir ranks log
  for ((i = 0; i < REPEAT; i++)); do
    s=$(date +%s.%N)
    # shellcheck disable=SC2086
    "$MPIEXEC" -n "$2" $MPIEXEC_FLAGS "$UMBRA" dmap $OPTS -out "$1" -dmap_input "$1/data.h5" </dev/null >"$3" 2>&1 || { echo FAIL; continue; }
    e=$(date +%s.%N)
    umbra_times "$3" "$(echo "$e - $s" | bc)" || echo FAIL
  done | best
}
# agreement of umbra's dmap.h5 with a peer's JSON: sets dl (max |dlambda|), unnz and pnnz (the
# two kernels' non-zeros); a mismatch (nnz, or dl > 1e-9) is reported and sets status=1
agreement() { # dmap.h5 peer.json peer-name N
  read -r dl unnz pnnz <<<"$("$PYTHON" - "$1" "$2" <<'PY'
import json, sys
import h5py, numpy as np
f = h5py.File(sys.argv[1], 'r')
p = json.load(open(sys.argv[2]))
lam = np.concatenate(([f['dmap'].attrs['lambda0'][0]], f['dmap/eigenvalues'][()]))
print('%.3g %d %d' % (np.max(np.abs(lam - np.array(p['eigenvalues']))), f['dmap'].attrs['nnz'][0], p['nnz']))
PY
)"
  if [ "$unnz" != "$pnnz" ] || ! awk -v d="$dl" 'BEGIN { exit !(d <= 1e-9) }'; then
    echo "dmap: umbra and $3 disagree at N = $4: nnz $unnz vs $pnnz, max |dlambda| = $dl"; status=1
  fi
}
echo "N,ranks,umbra_knn_s,umbra_kernel_s,umbra_eigen_s,umbra_s,umbra_process_s,scipy_knn_s,scipy_kernel_s,scipy_eigen_s,scipy_s,scipy_process_s,speedup,max_abs_dlambda,nnz,loadavg" >"$CSV.tmp"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (other jobs on this machine slow the runs down)"
fmt='%7s %5s %9s %9s %9s %9s %10s | %9s %9s %9s %9s %10s | %8s %9s\n'
# shellcheck disable=SC2059
printf "$fmt" N ranks "knn s" "kernel s" "eigen s" "umbra s" "process s" "knn s" "kernel s" "eigen s" "scipy s" "process s" speedup "max|dl|"
for N in $SIZES; do
  dir=$OUT/n$N
  mkdir -p "$dir"
  [ -e "$dir/data.h5" ] || "$PYTHON" "$HERE/peer.py" gen "$N" "$dir/data.h5" || { echo "dmap: data generation failed"; status=1; continue; }
  # SciPy: the fastest of REPEAT runs
  prow=$(for ((i = 0; i < REPEAT; i++)); do
    s=$(date +%s.%N)
    "$PYTHON" "$HERE/peer.py" "$dir/data.h5" 32 0.01 8 >"$dir/peer.json" 2>"$dir/peer.err" || { echo FAIL; continue; }
    e=$(date +%s.%N)
    "$PYTHON" -c 'import json,sys; r=json.load(open(sys.argv[1])); print("%.4f %.4f %.4f %.4f %.3f" % (r["total_seconds"], r["knn_seconds"], r["kernel_seconds"], r["eigen_seconds"], float(sys.argv[2])))' "$dir/peer.json" "$(echo "$e - $s" | bc)"
    cp "$dir/peer.json" "$dir/peer.best.json.$i"
  done | best)
  [[ -z "$prow" || "$prow" == *FAIL* ]] && { echo "dmap: SciPy failed at N = $N (see $dir/peer.err)"; status=1; continue; }
  read -r pt pk pkr pe pp <<<"$prow"
  for np in 1 2; do
    load=$(cut -d' ' -f1 /proc/loadavg)
    urow=$(umbra_best "$dir" "$np" "$dir/umbra.$np.txt")
    [[ -z "$urow" || "$urow" == *FAIL* ]] && { echo "dmap: umbra failed at N = $N on $np ranks (see $dir/umbra.$np.txt)"; status=1; continue; }
    read -r ut uk ukr ue up <<<"$urow"
    agreement "$dir/dmap.h5" "$dir/peer.json" "SciPy" "$N"
    sp=$(awk -v a="$pt" -v b="$ut" 'BEGIN { printf "%.2f", a / b }')
    # shellcheck disable=SC2059
    printf "$fmt" "$N" "$np" "$uk" "$ukr" "$ue" "$ut" "$up" "$pk" "$pkr" "$pe" "$pt" "$pp" "${sp}x" "$dl"
    echo "$N,$np,$uk,$ukr,$ue,$ut,$up,$pk,$pkr,$pe,$pt,$pp,$sp,$dl,$unnz,$load" >>"$CSV.tmp"
  done
done
mv "$CSV.tmp" "$CSV"
echo "speedup = SciPy time / umbra time (neighbours + kernel + eigensolve on both sides); CSV: $CSV"

# the dense peer: one run each (it is slow), umbra on 1 rank the fastest of REPEAT
if [ -n "$DENSE_SIZES" ]; then
  echo "N,umbra_s,umbra_process_s,dense_knn_s,dense_kernel_s,dense_eigen_s,dense_s,dense_process_s,speedup,max_abs_dlambda,nnz" >"$OUT/dense.csv.tmp"
  echo
  printf '%7s %9s %10s | %9s %9s %9s %9s %10s | %8s %9s\n' N "umbra s" "process s" "knn s" "kernel s" "eigen s" "dense s" "process s" speedup "max|dl|"
  for N in $DENSE_SIZES; do
    dir=$OUT/dense$N
    mkdir -p "$dir"
    [ -e "$dir/data.h5" ] || "$PYTHON" "$HERE/peer.py" gen "$N" "$dir/data.h5" || { echo "dmap: data generation failed"; status=1; continue; }
    s=$(date +%s.%N)
    "$PYTHON" "$HERE/peer.py" dense "$dir/data.h5" 32 0.01 8 >"$dir/dense.json" 2>"$dir/dense.err" || { echo "dmap: the dense peer failed at N = $N (see $dir/dense.err)"; status=1; continue; }
    e=$(date +%s.%N)
    read -r dt dk dkr de <<<"$("$PYTHON" -c 'import json,sys; r=json.load(open(sys.argv[1])); print("%.4f %.4f %.4f %.4f" % (r["total_seconds"], r["knn_seconds"], r["kernel_seconds"], r["eigen_seconds"]))' "$dir/dense.json")"
    dp=$(awk -v a="$s" -v b="$e" 'BEGIN { printf "%.3f", b - a }')
    urow=$(umbra_best "$dir" 1 "$dir/umbra.txt")
    [[ -z "$urow" || "$urow" == *FAIL* ]] && { echo "dmap: umbra failed at N = $N (see $dir/umbra.txt)"; status=1; continue; }
    read -r ut _ _ _ up <<<"$urow"
    agreement "$dir/dmap.h5" "$dir/dense.json" "the dense peer" "$N"
    sp=$(awk -v a="$dt" -v b="$ut" 'BEGIN { printf "%.0f", a / b }')
    printf '%7s %9s %10s | %9s %9s %9s %9s %10s | %8s %9s\n' "$N" "$ut" "$up" "$dk" "$dkr" "$de" "$dt" "$dp" "${sp}x" "$dl"
    echo "$N,$ut,$up,$dk,$dkr,$de,$dt,$dp,$sp,$dl,$unnz" >>"$OUT/dense.csv.tmp"
  done
  mv "$OUT/dense.csv.tmp" "$BUILD/bench/dmap_dense.csv"
  echo "speedup = dense time / umbra time (1 rank); CSV: $BUILD/bench/dmap_dense.csv"
fi
exit $status
