#!/usr/bin/env bash
# Benchmark tests/bench/gan: training throughput of the conditional WGAN-GP in umbra and in
# PyTorch, same architecture and batch, one thread per process, side by side:
#   WGAN-GP (lambda 10), 5 critic steps per generator step, batch 256, two hidden layers of
#   width 128, leaky ReLU 0.2, Adam; fastslow m = 4 (4 generated coordinates, 1 CV value,
#   latent dimension 4).
#   torch:  tests/bench/gan/peer.py (one thread: torch.set_num_threads(1), OPENBLAS_NUM_THREADS=1),
#           float64 and float32, in-memory random data, the usual PyTorch WGAN-GP step.
#   umbra:  `umbra train -gan_epochs 1` on the default fastslow input's samples (9.6e5 rows,
#           675 generator steps), 1 and 2 ranks, float64, -gan_reduce_mode mpi and exact;
#           rate = train.csv's samples_per_s (the epoch's steps including the per-epoch data
#           exchange, without the held-out measure).
# Reported: generator steps/s, samples/s (= 256 x 5 critic samples per generator step), the
# ratio to PyTorch float64 on one core, and cpu = CPU time / wall time per process (below 85%:
# the run waited for a core; marked '*'). Best of REPEAT runs (other jobs only slow a run down).
# Writes $BUILD/bench/gan.csv. Never fails on speed; exits 1 if a run fails.
# Environment: BUILD (build), PYTHON (/usr/bin/python3), MPIEXEC (mpiexec), MPIEXEC_FLAGS,
#   REPEAT (3), TORCH_STEPS (40: timed generator steps of the float64 peer; float32 runs 5x more).
set -u
# shellcheck source=tests/bench/common.sh
. "$(dirname "$0")/../common.sh" gan
MPIEXEC_FLAGS=${MPIEXEC_FLAGS:-}
TORCH_STEPS=${TORCH_STEPS:-40}
PEER=$PWD/tests/bench/gan/peer.py
OUT=$BUILD/bench/gan
CSV=$BUILD/bench/gan.csv
mkdir -p "$OUT"
bench_require
fail=0
# shellcheck disable=SC2016
TIMED='d=$1; shift; if [ -x /usr/bin/time ]; then exec /usr/bin/time -f "%e %U %S" -o "$d/time.$$.txt" "$@"; else exec "$@"; fi'
cpu_util() { # dir -> mean over its processes of CPU time / wall time
  cat "$1"/time.*.txt 2>/dev/null | awk 'NF == 3 && $1 > 0 { u += ($2 + $3) / $1; k++ } END { if (k) printf "%.2f\n", u / k; else print "nan" }'
}

# samples of the default input (the same for every run)
if ! "$MPIEXEC" -n 2 $MPIEXEC_FLAGS --oversubscribe "$UMBRA" sample -options_file inputs/fastslow.opts -out "$OUT/data" </dev/null >"$OUT/sample.log" 2>&1; then
  echo "gan: sampling failed:"; tail -n 5 "$OUT/sample.log"; exit 1
fi

best() { sort -g -r | head -n 1; } # "rate cpu" lines -> the fastest

torch_run() { # dtype steps -> "steps_per_s cpu" (best of REPEAT) or "FAIL"/"SKIP"
  local dt=$1 steps=$2 lines="" d
  for r in $(seq "$REPEAT"); do
    d=$OUT/torch.$dt.$r; rm -rf "$d"; mkdir -p "$d"
    sh -c "$TIMED" timed "$d" "$PYTHON" "$PEER" --dtype "$dt" --steps "$steps" >"$d/out.txt" 2>&1
    case $? in 0) ;; 77) echo "SKIP"; return ;; *) echo "FAIL"; cat "$d/out.txt" >&2; return ;; esac
    lines+="$(sed -nE 's/.*steps_per_s ([0-9.e+-]+).*/\1/p' "$d/out.txt") $(cpu_util "$d")"$'\n'
  done
  printf '%s' "$lines" | best
}

umbra_run() { # ranks mode -> "steps_per_s cpu"
  local np=$1 mode=$2 lines="" d rate
  for r in $(seq "$REPEAT"); do
    d=$OUT/umbra.$mode.$np.$r; rm -rf "$d"; mkdir -p "$d"; ln -sf ../data/samples.h5 "$d/samples.h5"
    # -out after -options_file: an options file overrides what precedes it
    if ! "$MPIEXEC" -n "$np" $MPIEXEC_FLAGS --oversubscribe sh -c "$TIMED" timed "$d" "$UMBRA" train -options_file inputs/fastslow.opts -out "$d" \
      -gan_epochs 1 -gan_reduce_mode "$mode" -progress_interval 1000 </dev/null >"$d/train.log" 2>&1; then
      echo "FAIL"; tail -n 5 "$d/train.log" >&2; return
    fi
    rate=$(awk -F, 'NR > 2 { print $11 / (256 * 5) }' "$d/train.csv" | tail -n 1)
    lines+="$rate $(cpu_util "$d")"$'\n'
  done
  printf '%s' "$lines" | best
}

echo "gan: WGAN-GP, batch 256, 5 critic steps, hidden 128,128, fastslow m = 4; best of $REPEAT; $(getconf _NPROCESSORS_ONLN) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
t64=$(torch_run float64 "$TORCH_STEPS")
t32=$(torch_run float32 $((5 * TORCH_STEPS)))
u1=$(umbra_run 1 mpi)
u2=$(umbra_run 2 mpi)
x2=$(umbra_run 2 exact)
base=$(awk '{ print $1 }' <<<"$t64")
printf '%-28s %6s %10s %12s %6s %9s\n' "implementation" "ranks" "steps/s" "samples/s" "cpu" "vs torch64"
echo "impl,dtype,ranks,reduce,steps_per_s,samples_per_s,cpu,ratio_torch64" >"$CSV"
row() { # label impl dtype ranks reduce "rate cpu"
  local label=$1 impl=$2 dt=$3 np=$4 mode=$5 res=$6 rate cpu mark ratio
  if [ "$res" = FAIL ] || [ "$res" = SKIP ]; then
    printf '%-28s %6s %10s\n' "$label" "$np" "$res"; [ "$res" = FAIL ] && fail=1; return
  fi
  read -r rate cpu <<<"$res"
  mark=$(awk -v c="$cpu" 'BEGIN { print (c != "nan" && c < 0.85) ? "*" : "" }')
  ratio=$(awk -v r="$rate" -v b="$base" 'BEGIN { if (b > 0) printf "%.2f", r / b; else print "nan" }')
  printf '%-28s %6s %10.3g %12.3g %5s%1s %9s\n' "$label" "$np" "$rate" "$(awk -v r="$rate" 'BEGIN { print r * 1280 }')" "$cpu" "$mark" "$ratio"
  echo "$impl,$dt,$np,$mode,$rate,$(awk -v r="$rate" 'BEGIN { print r * 1280 }'),$cpu,$ratio" >>"$CSV"
}
row "torch float64" torch float64 1 - "$t64"
row "torch float32" torch float32 1 - "$t32"
row "umbra float64 (mpi)" umbra float64 1 mpi "$u1"
row "umbra float64 (mpi)" umbra float64 2 mpi "$u2"
row "umbra float64 (exact)" umbra float64 2 exact "$x2"
echo "gan: wrote $CSV"
exit $fail
