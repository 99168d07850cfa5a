#!/usr/bin/env bash
# Driver behind `make bench`: runs every benchmark tests/bench/<name>/run.sh in turn (sorted by
# name) and prints their output. Each benchmark prints its own table and writes its CSV to
# $BUILD/bench/<name>.csv. Benchmarks report; they never fail on speed. A benchmark that exits
# non-zero (a run failed, or a peer disagrees with umbra) is listed at the end and makes this
# driver exit 1; the remaining benchmarks still run.
# Environment: BUILD (build; passed on as an absolute path), BENCH (regex: run only benchmarks
#   whose name matches), and whatever the benchmarks read (e.g. REPEAT, SCALE).
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=$(realpath -m "${BUILD:-build}")
export BUILD
BENCH=${BENCH:-.}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
mkdir -p "$BUILD/bench"

ran=0 failed=()
for script in tests/bench/*/run.sh; do
  [ -e "$script" ] || continue
  name=$(basename "$(dirname "$script")")
  [[ "$name" =~ $BENCH ]] || continue
  ran=$((ran + 1))
  echo "== bench $name ($script) =="
  start=$(date +%s)
  if bash "$script"; then
    echo "== bench $name: done in $(($(date +%s) - start)) s"
  else
    echo "== bench $name: FAILED (exit $?) after $(($(date +%s) - start)) s"
    failed+=("$name")
  fi
  echo
done
echo "bench: $ran benchmark(s) run, ${#failed[@]} failed${failed[*]:+: ${failed[*]}}; CSV files in $BUILD/bench/"
[ ${#failed[@]} -eq 0 ]
