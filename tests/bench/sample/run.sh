#!/usr/bin/env bash
# Benchmark tests/bench/sample: sampler throughput of `umbra sample` (Leimkuhler-Matthews,
# overdamped, harmonic umbrella windows) against a vectorised NumPy implementation of the same
# scheme (peer.py), on fastslow m = 4, fastslow m = 64 and Mueller-Brown.
#
#   umbra: one `umbra sample` per case and rank count (1 and 2), burn-in 0, one frame per walker
#          (-us_stride = -us_steps) so that saving costs nothing; rate = the walker-steps/s of
#          its summary line (whole UmbSamplerRun: setup, minimisation, stepping, output, IACT);
#          the stepping alone (event UmbSmpStep of -log_view, max over ranks) is reported too.
#   numpy: peer.py, one process (one core), state array (windows*walkers, n), one vectorised
#          step per time step, the same walker-steps, every walker started from the model's
#          reference state; for the 2-rank row two processes run at once, each with half the
#          windows, on the two cores (rate = all walker-steps / the slower one's time).
#   Before timing, peer.py --verify reproduces a short umbra run from umbra's own Philox noise,
#   which shows that both sides compute the same scheme.
# Prints a table and writes $BUILD/bench/sample.csv. Reports, never fails on speed; exits 1 only
# if the peer does not reproduce umbra or a run fails.
# Environment: BUILD (build), PYTHON (/usr/bin/python3), MPIEXEC (mpiexec), MPIEXEC_FLAGS
#   (default: --bind-to none for Open MPI, see below),
#   REPEAT (3: runs per measurement, the fastest is reported: other jobs on a shared machine
#   only ever slow a run down), SCALE (1: multiplies all step counts), CASES (space-separated
#   subset of: fs4 fs64 mb).
# Contention: every process (each MPI rank, each peer) runs under /usr/bin/time as well; "cpu"
#   = CPU time / wall time, averaged over the processes. Below ~85% means it waited for
#   the CPU (other jobs running): such numbers are marked '*' in the table.
set -u
# shellcheck source=tests/bench/common.sh
. "$(dirname "$0")/../common.sh" sample
# Open MPI binds a 1- or 2-rank job to cores 0 (and 1), and so does every other developer's
# 1-rank job on a shared machine: they would all queue on core 0 while the unbound NumPy peer
# takes the idle core. Leave the placement to the kernel, as for the peer.
if [ -z "${MPIEXEC_FLAGS+set}" ] && "$MPIEXEC" --version 2>/dev/null | grep -qiE "open ?mpi|openrte"; then
  MPIEXEC_FLAGS="--bind-to none"
fi
MPIEXEC_FLAGS=${MPIEXEC_FLAGS:-}
SCALE=${SCALE:-1}
CASES=${CASES:-fs4 fs64 mb}
PEER=$PWD/tests/bench/sample/peer.py

OUT=$BUILD/bench/sample
CSV=$BUILD/bench/sample.csv
mkdir -p "$OUT"
bench_require "numpy, h5py"

# case: label, umbra options, peer options, n, windows, walkers, steps
# All cases: 24 windows x 64 walkers = 1536 walkers (peer arrays 1536 x n), LM, kappa 40.
# fastslow m = 64 needs dt < 2/lambda_max(M Hess) ~ 1.4e-5 (the x-Hessian grows like m^3);
# dt does not change the cost of a step, only keeps the runs physical.
case_def() {
  case $1 in
  fs4)  LABEL="fastslow m=4"; N=5; STEPS=30000; DT=1e-3
        UOPT="-model fastslow -fastslow_m 4"; POPT="--model fastslow --m 4"
        ROPT="-us_range -1.5,1.5"; PROPT="--lo -1.5 --hi 1.5" ;;
  fs64) LABEL="fastslow m=64"; N=65; STEPS=3000; DT=5e-6
        UOPT="-model fastslow -fastslow_m 64"; POPT="--model fastslow --m 64"
        ROPT="-us_range -1.5,1.5"; PROPT="--lo -1.5 --hi 1.5" ;;
  mb)   LABEL="mueller-brown"; N=2; STEPS=40000; DT=1e-3
        UOPT="-model mullerbrown -cv coord -cv_index 0"; POPT="--model mullerbrown --cv-index 0"
        ROPT="-us_range -1.5,1.0"; PROPT="--lo -1.5 --hi 1.0" ;;
  *) echo "sample: unknown case $1"; return 1 ;;
  esac
  K=24; W=64; KAPPA=40
  STEPS=$(awk -v s="$STEPS" -v f="$SCALE" 'BEGIN { v = int(s * f); print (v < 10 ? 10 : v) }')
}

best_line() { # lines "rate ..." on stdin -> the line with the highest rate (FAIL if any failed)
  sort -g | awk '/FAIL/ { bad = 1 } { l = $0 } END { print bad ? "FAIL" : l }'
}

# sh -c "$TIMED" timed DIR command... runs the command under /usr/bin/time (if there is one),
# which writes "wall user sys" to DIR/time.<pid>.txt; inside mpiexec every rank gets its own file
# shellcheck disable=SC2016
TIMED='d=$1; shift; if [ -x /usr/bin/time ]; then exec /usr/bin/time -f "%e %U %S" -o "$d/time.$$.txt" "$@"; else exec "$@"; fi'

cpu_util() { # dir -> mean over its processes of CPU time / wall time, or nan
  cat "$1"/time.*.txt 2>/dev/null | awk '
    NF == 3 && $1 ~ /^[0-9.]+$/ && $1 > 0 { u += ($2 + $3) / $1; k++ }
    END { if (k) printf "%.3f\n", u / k; else print "nan" }'
}

# one umbra run: prints "rate_logline seconds_logline step_seconds stage_seconds cpu_util"
umbra_run() { # ranks dir
  local np=$1 dir=$2
  rm -rf "$dir"
  mkdir -p "$dir"
  # shellcheck disable=SC2086
  "$MPIEXEC" -n "$np" $MPIEXEC_FLAGS sh -c "$TIMED" timed "$dir" "$UMBRA" sample $UOPT $ROPT -us_kappa $KAPPA -us_windows $K \
    -us_walkers $W -us_steps "$STEPS" -us_burnin 0 -us_stride "$STEPS" -us_dt $DT \
    -out "$dir/run" -log_view ":$dir/log_view.txt" </dev/null >"$dir/stdout.txt" 2>&1 || return 1
  awk -v lv="$dir/log_view.txt" -v util="$(cpu_util "$dir")" '
    /sample: .* walker-steps in .* walker-steps\/s on/ {
      for (i = 1; i <= NF; i++) { if ($i == "in") sec = $(i + 1); if ($i == "walker-steps/s") rate = substr($(i - 1), 2) } }
    END {
      while ((getline line < lv) > 0) {
        split(line, f, " ")
        if (f[1] == "UmbSmpStep") step = f[4]
        if (f[2] == "Sample:") stage = f[3]
      }
      if (rate == "" || step == "") exit 1
      printf "%s %s %s %s %s\n", rate, sec, step, stage, util
    }' "$dir/stdout.txt"
}

# one peer run (nproc processes, windows split between them): prints "rate seconds cpu_util"
peer_run() { # nproc dir
  local np=$1 dir=$2 k0 pids=()
  rm -rf "$dir"
  mkdir -p "$dir"
  for ((p = 0; p < np; p++)); do
    k0=$((K / np + (p < K % np ? 1 : 0)))
    # shellcheck disable=SC2086
    sh -c "$TIMED" timed "$dir" "$PYTHON" "$PEER" $POPT $PROPT --kappa $KAPPA --windows $k0 --walkers $W --steps "$STEPS" \
      --dt $DT --seed $((42 + p)) --min-seconds 2 >"$dir/peer$p.json" 2>"$dir/peer$p.err" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || return 1; done
  "$PYTHON" - "$(cpu_util "$dir")" "$dir"/peer*.json <<'EOF'
import json, sys
r = [json.load(open(f)) for f in sys.argv[2:]]
ws, sec = sum(x["walker_steps"] for x in r), max(x["seconds"] for x in r)
print(f"{ws / sec:.6g} {sec:.6g} {sys.argv[1]}")
EOF
}

verify() { # -> prints the peer's max relative difference; status 1 on mismatch
  local dir=$OUT/$1/verify S=200
  rm -rf "$dir"
  mkdir -p "$dir"
  # shellcheck disable=SC2086
  "$MPIEXEC" -n 1 $MPIEXEC_FLAGS "$UMBRA" sample $UOPT $ROPT -us_kappa $KAPPA -us_windows 3 -us_walkers 2 \
    -us_steps $S -us_burnin 0 -us_stride 1 -us_dt $DT -out "$dir/run" \
    </dev/null >"$dir/stdout.txt" 2>&1 || { echo "umbra-failed"; return 1; }
  # shellcheck disable=SC2086
  "$PYTHON" "$PEER" $POPT $PROPT --kappa $KAPPA --windows 3 --walkers 2 --steps $S --dt $DT \
    --verify "$dir/run/samples.h5" >"$dir/verify.json" 2>&1
  local rc=$?
  "$PYTHON" -c 'import json,sys; print("%.2g" % json.load(open(sys.argv[1]))["max_rel_diff"])' "$dir/verify.json" 2>/dev/null || echo "error"
  return $rc
}

status=0
echo "case,n,ranks,windows,walkers,steps,walker_steps,umbra_seconds,umbra_rate,umbra_step_seconds,umbra_step_rate,step_fraction,umbra_cpu_util,umbra_ns_per_ws_dim,numpy_procs,numpy_seconds,numpy_rate,numpy_cpu_util,numpy_ns_per_ws_dim,ratio,peer_check,loadavg_before" >"$CSV.tmp"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (other jobs on this machine slow the runs down)"
fmt='%-14s %3s %5s %10s %5s %10s %6s %10s %5s %8s %8s %6s  %s\n'
# shellcheck disable=SC2059
printf "$fmt" case n ranks "umbra" "cpu" "step only" "step" "numpy" "cpu" "umbra" "numpy" ratio "peer check"
# shellcheck disable=SC2059
printf "$fmt" "" "" "" "ws/s" "" "ws/s" "%run" "ws/s" "" "ns/ws/d" "ns/ws/d" "u/np" "(max rel diff)"
for c in $CASES; do
  case_def "$c" || { status=1; continue; }
  if [ "$c" = mb ] && "$UMBRA" sample -model mullerbrown -us_windows 1 -us_steps 1 -us_stride 1 -out "$OUT/mb-probe" </dev/null 2>&1 | grep -q "not available"; then
    printf '%-14s %3s %5s  %s\n' "$LABEL" "$N" "-" "skipped: umbra says model mullerbrown is not available yet"
    echo "$c,$N,,,,,,,,,,,,,,,,,,,skipped," >>"$CSV.tmp"
    continue
  fi
  check=$(verify "$c") || { status=1; check="MISMATCH($check)"; }
  for np in 1 2; do
    load=$(cut -d' ' -f1 /proc/loadavg)
    u=$(for ((r = 0; r < REPEAT; r++)); do umbra_run "$np" "$OUT/$c/np$np-$r" || echo "FAIL"; done | best_line)
    p=$(for ((r = 0; r < REPEAT; r++)); do peer_run "$np" "$OUT/$c/peer$np-$r" || echo "FAIL"; done | best_line)
    if [[ "$u" == *FAIL* || -z "$u" ]]; then
      echo "sample: umbra failed for $LABEL on $np ranks; see $OUT/$c/np$np-*/stdout.txt"; status=1; continue
    fi
    if [[ "$p" == *FAIL* || -z "$p" ]]; then
      echo "sample: peer failed for $LABEL ($np processes); see $OUT/$c/peer$np-*/"; status=1; continue
    fi
    read -r urate usec ustep ustage uutil <<<"$u"
    read -r prate psec putil <<<"$p"
    awk -v c="$c" -v label="$LABEL" -v n="$N" -v np="$np" -v K="$K" -v W="$W" -v S="$STEPS" -v fmt="$fmt" \
        -v urate="$urate" -v usec="$usec" -v ustep="$ustep" -v ustage="$ustage" -v uutil="$uutil" \
        -v prate="$prate" -v psec="$psec" -v putil="$putil" -v check="$check" -v load="$load" -v csv="$CSV.tmp" '
      function pct(u) { return u == "nan" ? "?" : sprintf("%d%s", 100 * u + 0.5, u < 0.85 ? "*" : "") }
      BEGIN {
        ws = K * W * S; srate = ws / ustep; frac = ustep / ustage
        uns = 1e9 * np / (urate * n); pns = 1e9 * np / (prate * n)   # ns per walker-step per dimension per core
        printf fmt, label, n, np, sprintf("%.3g", urate), pct(uutil), sprintf("%.3g", srate), sprintf("%.1f", 100 * frac),
               sprintf("%.3g", prate), pct(putil), sprintf("%.1f", uns), sprintf("%.1f", pns), sprintf("%.2f", urate / prate), check
        printf "%s,%d,%d,%d,%d,%d,%.0f,%s,%s,%s,%.6g,%.4f,%s,%.4g,%d,%s,%s,%s,%.4g,%.4f,%s,%s\n", c, n, np, K, W, S, ws,
               usec, urate, ustep, srate, frac, uutil, uns, np, psec, prate, putil, pns, urate / prate, check, load >> csv
      }'
  done
done
mv "$CSV.tmp" "$CSV"
cat <<EOF
umbra ws/s: walker-steps/s of umbra's summary line (whole sampler run: setup, minimisation,
  stepping, output); step only: walker-steps per second of event UmbSmpStep (max over ranks);
  step %run: UmbSmpStep / the Sample stage. numpy: peer.py on 'ranks' processes (one core each,
  windows split). cpu: CPU time / wall time per process, '*' below 85% (the job waited for the CPU).
  ns/ws/d: ns per walker-step per dimension per core. ratio = umbra ws/s / numpy ws/s.
  Best of $REPEAT runs each. CSV: $CSV
EOF
exit $status
