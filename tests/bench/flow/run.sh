#!/usr/bin/env bash
# Benchmark tests/bench/flow: training throughput of the conditional normalizing flow
# (-generator flow) in umbra and in PyTorch, and against umbra's WGAN-GP on the same data, one
# rank / one thread per process, side by side:
#   data:   a small tilted fastslow campaign, -fastslow_coupling tilted -fastslow_eps 0.1, coord
#           CV on x, 12 windows x 2 walkers x 1000 frames = 24,000 samples, for -fastslow_m 1
#           (1 generated coordinate) and -fastslow_m 4 (4).
#   umbra:  `umbra train -generator flow` with the defaults (4 couplings, conditioners 64,64 tanh,
#           8 bins on [-5, 5], batch 256, 20 epochs, mpi reduction), 1 rank; rate = training
#           rows / training seconds over all epochs (train.csv's per-epoch samples_per_s,
#           harmonic mean: without the per-epoch held-out NLL).
#   torch:  tests/bench/flow/peer.py, the same flow, batch, learning-rate schedule and number of
#           steps on the same samples.h5, float64 and float32, one thread.
#   gan:    `umbra train -generator gan` with the defaults (WGAN-GP, 128,128, 5 critic steps of
#           256, 20 epochs), 1 rank; rate = critic rows / s as train.csv counts them (each
#           training row once per epoch, as the flow's).
# Reported: steps, samples/s, training seconds (umbra: train.csv's time, the held-out measures
# included; GAN: also its per-epoch sliced Wasserstein measure), process seconds, cpu = CPU time /
# wall time (below 85%: the run waited for a core; marked '*'), the final training NLL per sample
# (standardised units; flow rows), and the ratios of samples/s to PyTorch float64 and to umbra's
# flow. Best of REPEAT
# runs (1 by default here: the whole benchmark takes about 3 minutes on 2 cores).
# Writes $BUILD/bench/flow.csv. Never fails on speed; exits 1 if a run fails.
# Environment: BUILD (build), PYTHON (/usr/bin/python3), MPIEXEC (mpiexec), MPIEXEC_FLAGS
#   (--bind-to none), REPEAT (1), CASES ("1 4": the -fastslow_m values).
set -u
REPEAT=${REPEAT:-1}
# shellcheck source=tests/bench/common.sh
. "$(dirname "$0")/../common.sh" flow
MPIEXEC_FLAGS=${MPIEXEC_FLAGS:---bind-to none}
CASES=${CASES:-1 4}
PEER=$PWD/tests/bench/flow/peer.py
OUT=$BUILD/bench/flow
CSV=$BUILD/bench/flow.csv
mkdir -p "$OUT"
bench_require
fail=0
# shellcheck disable=SC2016
TIMED='d=$1; shift; if [ -x /usr/bin/time ]; then exec /usr/bin/time -f "%e %U %S" -o "$d/time.txt" "$@"; else exec "$@"; fi'
timing() { # dir -> "process_seconds cpu"
  awk 'NF == 3 && $1 > 0 { printf "%s %.2f\n", $1, ($2 + $3) / $1; exit } END { if (!NR) print "nan nan" }' "$1/time.txt" 2>/dev/null || echo "nan nan"
}
best() { sort -g -r | head -n 1; } # "rate ..." lines -> the fastest

umbra_run() { # case generator -> "samples_per_s steps train_s process_s cpu nll" or FAIL
  local m=$1 gen=$2 lines="" d res rate steps tsec nll
  for r in $(seq "$REPEAT"); do
    d=$OUT/m$m/$gen.$r; rm -rf "$d"; mkdir -p "$d"; ln -sf ../data/samples.h5 "$d/samples.h5"
    # shellcheck disable=SC2086
    if ! "$MPIEXEC" -n 1 $MPIEXEC_FLAGS sh -c "$TIMED" timed "$d" "$UMBRA" train $MODEL -fastslow_m "$m" -generator "$gen" -out "$d" \
      -progress_interval 1000 </dev/null >"$d/train.log" 2>&1; then
      echo "FAIL"; tail -n 5 "$d/train.log" >&2; return
    fi
    # samples_per_s and time are the last two columns of both train.csv layouts; nll the flow's third
    res=$(awk -F, -v flow="$([ "$gen" = flow ] && echo 1)" '/^[0-9]/ { inv += 1 / $(NF - 1); k++; step = $2; t = $NF; nll = $3 }
      END { printf "%.4g %d %.2f %s", k / inv, step, t, flow ? sprintf("%.5g", nll) : "-" }' "$d/train.csv")
    read -r rate steps tsec nll <<<"$res"
    lines+="$rate $steps $tsec $(timing "$d") $nll"$'\n'
  done
  printf '%s' "$lines" | best
}

torch_run() { # case dtype steps -> "samples_per_s steps train_s process_s cpu nll", FAIL or SKIP
  local m=$1 dt=$2 steps=$3 lines="" d
  for r in $(seq "$REPEAT"); do
    d=$OUT/m$m/torch.$dt.$r; rm -rf "$d"; mkdir -p "$d"
    sh -c "$TIMED" timed "$d" "$PYTHON" "$PEER" "$OUT/m$m/data/samples.h5" --dtype "$dt" --steps "$steps" >"$d/out.txt" 2>&1
    case $? in 0) ;; 77) echo "SKIP"; return ;; *) echo "FAIL"; cat "$d/out.txt" >&2; return ;; esac
    lines+="$(sed -nE 's/.*seconds ([0-9.e+-]+) .*samples_per_s ([0-9.e+-]+) nll ([0-9.e+-]+).*/\2 '"$steps"' \1/p' "$d/out.txt") $(timing "$d") $(sed -nE 's/.* nll ([0-9.e+-]+).*/\1/p' "$d/out.txt")"$'\n'
  done
  printf '%s' "$lines" | best
}

MODEL="-model fastslow -fastslow_coupling tilted -fastslow_eps 0.1 -cv coord -cv_index 0"
echo "flow: default flow and WGAN-GP, 20 epochs, batch 256, tilted fastslow (24,000 samples), 1 rank / 1 thread; best of $REPEAT; $(getconf _NPROCESSORS_ONLN) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-4s %-22s %6s %10s %9s %9s %5s %8s %10s %10s\n' "m" "implementation" "steps" "samples/s" "train s" "process s" "cpu" "NLL" "vs torch64" "vs flow"
echo "m,impl,dtype,steps,samples_per_s,train_s,process_s,cpu,nll,ratio_torch64,ratio_umbra_flow" >"$CSV"
ratio() { awk -v r="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", r / b; else print "nan" }'; }
row() { # m label impl dtype "rate steps train_s process_s cpu nll" torch64-rate flow-rate
  local m=$1 label=$2 impl=$3 dt=$4 res=$5 base=$6 fbase=$7 rate steps tsec psec cpu nll mark r64 rf
  if [ "$res" = FAIL ] || [ "$res" = SKIP ]; then
    printf '%-4s %-22s %6s\n' "$m" "$label" "$res"; [ "$res" = FAIL ] && fail=1; return
  fi
  read -r rate steps tsec psec cpu nll <<<"$res"
  mark=$(awk -v c="$cpu" 'BEGIN { print (c != "nan" && c < 0.85) ? "*" : "" }')
  r64=$(ratio "$rate" "$base")
  rf=$(ratio "$rate" "$fbase")
  printf '%-4s %-22s %6s %10.3g %9s %9s %4s%1s %8s %10s %10s\n' "$m" "$label" "$steps" "$rate" "$tsec" "$psec" "$cpu" "$mark" "$nll" "$r64" "$rf"
  echo "$m,$impl,$dt,$steps,$rate,$tsec,$psec,$cpu,$nll,$r64,$rf" >>"$CSV"
}
for m in $CASES; do
  mkdir -p "$OUT/m$m"
  # shellcheck disable=SC2086
  if ! "$MPIEXEC" -n 2 $MPIEXEC_FLAGS --oversubscribe "$UMBRA" sample $MODEL -fastslow_m "$m" -us_windows 12 -us_walkers 2 -us_steps 10000 \
    -us_stride 10 -out "$OUT/m$m/data" </dev/null >"$OUT/m$m/sample.log" 2>&1; then
    echo "flow: sampling m = $m failed:"; tail -n 5 "$OUT/m$m/sample.log"; fail=1; continue
  fi
  uf=$(umbra_run "$m" flow)
  steps=$(awk '{ print $2 }' <<<"$uf")
  [[ $steps =~ ^[0-9]+$ ]] || steps=1680
  t64=$(torch_run "$m" float64 "$steps")
  t32=$(torch_run "$m" float32 "$steps")
  ug=$(umbra_run "$m" gan)
  base=$(awk '{ print $1 }' <<<"$t64")
  fbase=$(awk '{ print $1 }' <<<"$uf")
  row "$m" "torch float64" torch float64 "$t64" "$base" "$fbase"
  row "$m" "torch float32" torch float32 "$t32" "$base" "$fbase"
  row "$m" "umbra flow float64" umbra-flow float64 "$uf" "$base" "$fbase"
  row "$m" "umbra WGAN-GP float64" umbra-gan float64 "$ug" "$base" "$fbase"
done
echo "flow: wrote $CSV"
exit $fail
