#!/usr/bin/env bash
# Benchmark tests/bench/fes: `umbra fes` (MBAR) against pymbar 3.1 on the same samples.
#   cases   sparse windows: pymbar's own synthetic set (pymbar PR #570; anchors.md A.2): K windows,
#             N samples each, x = k + N(0, 1) in window k, reduced bias 1/2 (x - k)^2, about 20
#             windows within reach of a sample (gen.py writes an umbra samples.h5):
#             k96   K = 96, N = 5000 (480,000 samples), and pymbar;
#             k400  K = 400, N = 20000 (8,000,000 samples), umbra only: pymbar would need u_kn
#                   (K x N doubles = 25.6 GB) plus its weight matrix of the same size, more than
#                   this machine's memory.
#           dense windows, about 40 windows within reach of a sample:
#             d96   `umbra sample` on fastslow m = 2, 96 windows, kappa 200 on [-1.6, 1.6], 4
#                   walkers x 1250 frames (5000 samples per window), and pymbar;
#             d400  gen.py with kappa 0.25: K = 400, N = 1000 (400,000 samples), x = k +
#                   N(0, 4), bias 0.125 (x - k)^2, and pymbar.
#   umbra   `umbra fes -fes_bootstrap 0` (solve, asymptotic covariance, overlap, F(z), consistency
#           test, outputs) and the default `umbra fes` (the same plus 50 block-bootstrap
#           replicas), on 1 and 2 ranks; time = the FreeEnergy stage of -log_view (max over
#           ranks), which excludes MPI start-up and reading; "process" = wall time of the whole
#           command. One rank runs without mpiexec (a singleton, as users start one rank:
#           `umbra fes ...`; SINGLETON=0 runs it under `mpiexec -n 1`, whose own start-up the
#           process time then partly includes). The solver's passes over the samples and where the time goes (events
#           UmbFesSweep, UmbFesObjGrad, UmbFesCov, UmbFesDiag, UmbFesPMF, UmbFesBoot) come from the
#           console and -log_view.
#   pymbar  peer.py: pymbar.MBAR(u_kn, N_k) (the solve alone) plus getFreeEnergyDifferences (f_k
#           and their asymptotic errors); "process" = the whole script.
#   agreement  max_k |f_umbra - f_pymbar| must be <= 1e-6 kT (else the benchmark fails).
#   memory  peak RSS of each process (/usr/bin/time), max over ranks for umbra.
# Prints a table and writes $BUILD/bench/fes.csv. Reports, never fails on speed; exits 1 if a run
# fails or umbra and pymbar disagree.
# Environment: BUILD (build), PYTHON (/usr/bin/python3), MPIEXEC (mpiexec), MPIEXEC_FLAGS, SINGLETON (1),
#   REPEAT (3: umbra runs per measurement, the fastest is reported; pymbar runs once),
#   CASES (space-separated subset of: k96 k400 d96 d400), PEER (1: run pymbar; 0: skip it),
#   BOOT (1: also the default bootstrap runs; 0: skip them).
set -u
# shellcheck source=tests/bench/common.sh
. "$(dirname "$0")/../common.sh" fes
MPIEXEC_FLAGS=${MPIEXEC_FLAGS:-}
SINGLETON=${SINGLETON:-1}
CASES=${CASES:-k96 k400 d96 d400}
PEER=${PEER:-1}
BOOT=${BOOT:-1}
HERE=$PWD/tests/bench/fes
OUT=$BUILD/bench/fes
CSV=$BUILD/bench/fes.csv
mkdir -p "$OUT"
bench_require "numpy, h5py"
if [ "$PEER" = 1 ] && ! "$PYTHON" -c 'import pymbar' 2>/dev/null; then
  echo "fes: $PYTHON cannot import pymbar: the peer is not run"
  PEER=0
fi

# sh -c "$TIMED" timed DIR command... : /usr/bin/time writes "wall user sys maxrss_kB" per process
# shellcheck disable=SC2016
TIMED='d=$1; shift; if [ -x /usr/bin/time ]; then exec /usr/bin/time -f "%e %U %S %M" -o "$d/time.$$.txt" "$@"; else exec "$@"; fi'

# one umbra run: prints "stage_s process_s maxrss_MB passes sweep objgrad cov diag pmf read cpu_util boot"
umbra_run() { # ranks dir extra-options...
  local np=$1 dir=$2
  shift 2
  rm -f "$dir"/time.*.txt "$dir"/fes.h5
  local launch=("$MPIEXEC" -n "$np")
  # shellcheck disable=SC2206
  launch+=($MPIEXEC_FLAGS)
  [ "$np" = 1 ] && [ "$SINGLETON" = 1 ] && launch=() # one rank as users start it: `umbra fes ...`
  "${launch[@]}" sh -c "$TIMED" timed "$dir" "$UMBRA" fes -out "$dir" -log_view ":$dir/log_view.txt" "$@" \
    </dev/null >"$dir/stdout.txt" 2>&1 || return 1
  cat "$dir"/time.*.txt 2>/dev/null | awk -v lv="$dir/log_view.txt" -v out="$dir/stdout.txt" '
    NF == 4 { if ($1 > wall) wall = $1; if ($4 > rss) rss = $4; if ($1 > 0) { u += ($2 + $3) / $1; nu++ } }
    END {
      while ((getline line < out) > 0) if (line ~ /passes over the samples/) { n = split(line, w, " "); for (i = 1; i <= n; i++) if (w[i] == "passes") passes = substr(w[i - 1], 2) }
      while ((getline line < lv) > 0) {
        split(line, f, " ")
        if (f[2] == "FreeEnergy:") stage = f[3]
        if (f[1] ~ /^UmbFes(Sweep|ObjGrad|Cov|Diag|PMF|Read|Boot)$/) ev[f[1]] = f[4]
      }
      if (stage == "") exit 1
      printf "%s %s %.1f %s %s %s %s %s %s %s %.2f %s\n", stage, wall, rss / 1024, passes, ev["UmbFesSweep"] + 0, ev["UmbFesObjGrad"] + 0, ev["UmbFesCov"] + 0, ev["UmbFesDiag"] + 0, ev["UmbFesPMF"] + 0, ev["UmbFesRead"] + 0, nu ? u / nu : 0, ev["UmbFesBoot"] + 0
    }'
}

best() { sort -g | head -n 1; } # the fastest of several runs (other jobs only ever slow a run down)

maxdiff() { # fes.h5 peer.json -> max |f_umbra - f_pymbar|
  "$PYTHON" - "$1" "$2" <<'EOF'
import json, sys
import numpy as np
import h5py
f = h5py.File(sys.argv[1], 'r')['windows/f'][:]
p = np.array(json.load(open(sys.argv[2]))['f'])
print('%.3g' % np.max(np.abs(f - p)))
EOF
}

status=0
echo "case,K,N_per_window,samples,ranks,umbra_stage_seconds,umbra_process_seconds,umbra_maxrss_MB,passes,sweep_s,objgrad_s,cov_s,diag_s,pmf_s,read_s,pymbar_seconds,pymbar_process_seconds,pymbar_maxrss_MB,speedup_stage,speedup_process,max_abs_df,loadavg_before,umbra_cpu_util,pymbar_cpu_util,pymbar_solve_seconds,boot_stage_seconds,boot_process_seconds,boot_seconds,boot_passes_per_replica,boot_process_vs_pymbar_solve" >"$CSV.tmp"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (other jobs on this machine slow the runs down)"
fmt='%-5s %4s %6s %9s %5s %8s %8s %7s %6s %8s %8s %8s %8s %9s %8s %8s %8s %9s\n'
# shellcheck disable=SC2059
printf "$fmt" case K N samples ranks "umbra s" "proc s" "RSS MB" passes "boot s" "b.proc" "solve s" "pymbar s" "p.proc s" "speedup" "(proc)" "b.proc/" "max|df|"
# shellcheck disable=SC2059
printf "$fmt" "" "" "" "" "" "" "" "" "" "" "" "(pymbar)" "" "" "" "" "p.solve" ""
for c in $CASES; do
  case $c in
  k96) K=96 N=5000 ;;
  k400) K=400 N=20000 ;;
  d96) K=96 N=5000 ;;
  d400) K=400 N=1000 ;;
  *) echo "fes: unknown case $c"; status=1; continue ;;
  esac
  dir=$OUT/$c
  mkdir -p "$dir"
  if [ ! -e "$dir/samples.h5" ]; then
    case $c in
    d96) # shellcheck disable=SC2086
      "$MPIEXEC" -n 2 $MPIEXEC_FLAGS "$UMBRA" sample -fastslow_m 2 -us_windows 96 -us_range -1.6,1.6 -us_kappa 200 -us_walkers 4 -us_steps 12500 -us_stride 10 -out "$dir" </dev/null >"$dir/sample.txt" 2>&1 ||
        { echo "fes: umbra sample failed (see $dir/sample.txt)"; status=1; continue; } ;;
    d400) "$PYTHON" "$HERE/gen.py" $K $N "$dir/samples.h5" 42 0.25 || { echo "fes: gen.py failed"; status=1; continue; } ;;
    *) "$PYTHON" "$HERE/gen.py" $K $N "$dir/samples.h5" 42 || { echo "fes: gen.py failed"; status=1; continue; } ;;
    esac
  fi
  ptime="" psolve="" pproc="" prss="" pdiff="" putil=""
  if [ "$PEER" = 1 ] && [ $c != k400 ]; then
    rm -f "$dir"/time.*.txt
    sh -c "$TIMED" timed "$dir" "$PYTHON" "$HERE/peer.py" "$dir/samples.h5" >"$dir/peer.json" 2>"$dir/peer.err" || { echo "fes: pymbar failed (see $dir/peer.err)"; status=1; }
    mv "$dir"/time.*.txt "$dir/peer-time.txt" 2>/dev/null
    ptime=$("$PYTHON" -c 'import json,sys; r=json.load(open(sys.argv[1])); print("%.3f" % (r["solve_seconds"] + r["uncertainty_seconds"]))' "$dir/peer.json" 2>/dev/null)
    psolve=$("$PYTHON" -c 'import json,sys; r=json.load(open(sys.argv[1])); print("%.3f" % r["solve_seconds"])' "$dir/peer.json" 2>/dev/null)
    read -r pproc pu ps prss_kb <"$dir/peer-time.txt" 2>/dev/null && prss=$(awk -v k="$prss_kb" 'BEGIN { printf "%.1f", k / 1024 }') &&
      putil=$(awk -v w="$pproc" -v u="$pu" -v s="$ps" 'BEGIN { printf "%.2f", (u + s) / w }')
  fi
  for np in 1 2; do
    load=$(cut -d' ' -f1 /proc/loadavg)
    r=$(for ((i = 0; i < REPEAT; i++)); do umbra_run "$np" "$dir" -fes_bootstrap 0 || echo "FAIL"; done | best)
    if [[ -z "$r" || "$r" == *FAIL* ]]; then echo "fes: umbra failed for $c on $np ranks; see $dir/stdout.txt"; status=1; continue; fi
    read -r stage proc rss passes sw og cov dg pmf rd util _ <<<"$r"
    if [ -n "$ptime" ]; then
      pdiff=$(maxdiff "$dir/fes.h5" "$dir/peer.json")
      awk -v d="$pdiff" 'BEGIN { exit !(d <= 1e-6) }' || { echo "fes: umbra and pymbar disagree at $c: max |df| = $pdiff > 1e-6"; status=1; }
    fi
    bstage="" bproc="" bboot="" bpass=""
    if [ "$BOOT" = 1 ]; then
      b=$(for ((i = 0; i < REPEAT; i++)); do umbra_run "$np" "$dir" || echo "FAIL"; done | best)
      if [[ -z "$b" || "$b" == *FAIL* ]]; then echo "fes: umbra (bootstrap) failed for $c on $np ranks; see $dir/stdout.txt"; status=1; else
        read -r bstage bproc _ _ _ _ _ _ _ _ _ bboot <<<"$b"
        bpass=$(sed -n 's/.*(bootstrap, 50 replicas, \([0-9.e+-]*\) passes each.*/\1/p' "$dir/stdout.txt")
      fi
    fi
    awk -v c="$c" -v K=$K -v N=$N -v np=$np -v stage="$stage" -v proc="$proc" -v rss="$rss" -v passes="$passes" -v sw="$sw" -v og="$og" \
      -v cov="$cov" -v dg="$dg" -v pmf="$pmf" -v rd="$rd" -v util="$util" -v putil="$putil" -v pt="$ptime" -v ps="$psolve" -v pp="$pproc" -v pr="$prss" -v d="$pdiff" -v load="$load" \
      -v bs="$bstage" -v bp="$bproc" -v bb="$bboot" -v bpass="$bpass" -v fmt="$fmt" -v csv="$CSV.tmp" '
      BEGIN {
        sp = pt != "" ? sprintf("%.0fx", pt / stage) : "-"; spp = pp != "" ? sprintf("%.0fx", pp / proc) : "-"
        sb = ps != "" && bp != "" ? sprintf("%.1fx", ps / bp) : "-"
        printf fmt, c, K, N, K * N, np, sprintf("%.3f", stage), proc, rss, passes, bs != "" ? sprintf("%.3f", bs) : "-", bp != "" ? bp : "-", ps != "" ? ps : (c == "k400" ? "not run" : "-"), pt != "" ? pt : "-", pp != "" ? pp : "-", sp, spp, sb, d != "" ? d : "-"
        printf "%s,%d,%d,%d,%d,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", c, K, N, K * N, np, stage, proc, rss, passes, sw, og, cov, dg, pmf, rd, pt, pp, pr,
          pt != "" ? pt / stage : "", pp != "" ? pp / proc : "", d, load, util, putil, ps, bs, bp, bb, bpass, sb != "-" ? ps / bp : "" >> csv
        printf "      where the time goes (s): sweeps %s, solver passes %s, covariance and profile errors %s, diagnostics %s, F(z) %s, reading %s; cpu/wall umbra %s%s\n", sw, og, cov, dg, pmf, rd, util, putil != "" ? ", pymbar " putil : ""
        if (bs != "") printf "      with the default 50 bootstrap replicas: bootstrap %s s (%s passes per replica)\n", bb, bpass
      }'
  done
done
mv "$CSV.tmp" "$CSV"
cat <<EOF
umbra s: the FreeEnergy stage (-log_view, max over ranks) with -fes_bootstrap 0: solve, asymptotic
  covariance, overlap, F(z) with its asymptotic errors, consistency test, writing
  fes.h5/fes.csv/windows.csv. proc s: wall time of the whole umbra command (MPI start-up and
  reading included). boot s, b.proc: the same for the default umbra fes (50 bootstrap replicas).
solve s (pymbar): pymbar.MBAR() alone; pymbar s: plus getFreeEnergyDifferences() (3.1, default
  tolerance 1e-12); p.proc s: the whole peer.py (Python start-up and building u_kn included).
  speedup = pymbar s / umbra s, (proc) the same for whole processes; b.proc/p.solve = pymbar's
  solve alone / the whole default umbra fes. RSS: peak resident memory per process (max over ranks).
cpu/wall: CPU time / wall time per process (mean over ranks): well below 1 means the run waited
  for a core (other jobs on the machine).
k400: pymbar not run (u_kn alone is 25.6 GB). Best of $REPEAT umbra runs. CSV: $CSV
EOF
exit $status
