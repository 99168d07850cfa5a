#!/usr/bin/env bash
# Test runner behind `make check`.
#   C tests (build/tests/t*) carry spec lines in their source:
#     // TEST: nsize=1,2,3 args="-opt value"
#   one case per spec line and rank count. Shell tests (tests/t*.sh) are one case each:
#   exit 0 = pass, 77 = skip, anything else = fail.
# Prints one TAP line per case with its wall time as a TAP comment ("# 12.3 s"), then the
# slowest cases and the total wall time, and ends with "N passed, N failed, N skipped".
# Environment: MPIEXEC (mpiexec), MPIEXEC_FLAGS (--oversubscribe --bind-to none), MAXNP (3),
#   TIMEOUT (hang guard per case, seconds; 900), FILTER (run only names matching this regex),
#   SLOWEST (how many of the slowest cases to list at the end; 15), SKIP and SKIP_WHY (tests
#   whose names match the regex SKIP are reported as skipped, with the reason SKIP_WHY).
set -u
cd "$(dirname "$0")/.."
export MPIEXEC=${MPIEXEC:-mpiexec}
# --bind-to none: Open MPI pins small jobs to the first cores, which piles concurrent jobs onto core 0
export MPIEXEC_FLAGS=${MPIEXEC_FLAGS:---oversubscribe --bind-to none}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
BUILD=$(realpath -m "${BUILD:-build}")
export UMBRA="$BUILD/umbra" BUILD SRCDIR="$PWD"
MAXNP=${MAXNP:-3}
TIMEOUT=${TIMEOUT:-900}
FILTER=${FILTER:-.}
SKIP=${SKIP:-}
SKIP_WHY=${SKIP_WHY:-SKIP}
SLOWEST=${SLOWEST:-15}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/umbra-tests.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

num=0 pass=0 fail=0 skip=0
start_all=$EPOCHREALTIME

seconds_since() { # start (an $EPOCHREALTIME): elapsed seconds with one decimal
  awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'
}

report() { # status name detail logfile [seconds]
  local took=${5:+ # $5 s}
  num=$((num + 1))
  [ -n "${5:-}" ] && printf '%s\t%s\n' "$5" "$2" >>"$WORK/times"
  case $1 in
  pass) pass=$((pass + 1)); echo "ok $num - $2$took" ;;
  skip) skip=$((skip + 1)); echo "ok $num - $2 # SKIP $3" ;;
  *) fail=$((fail + 1)); echo "not ok $num - $2: $3$took"
     if [ -f "$4" ] && grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$4"; then
       # a sanitizer report (make check-asan): its head names the bug, its tail is shadow bytes
       grep -m 1 -A 30 -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$4" | sed 's/^/#   /'
     elif [ -f "$4" ]; then tail -n 25 "$4" | sed 's/^/#   /'
     fi ;;
  esac
}

run_case() { # name workdir logfile command...
  local name=$1 dir=$2 log=$3 rc start took
  shift 3
  mkdir -p "$dir"
  start=$EPOCHREALTIME
  timeout --kill-after=10 "$TIMEOUT" env -C "$dir" "$@" </dev/null >"$log" 2>&1
  rc=$?
  took=$(seconds_since "$start")
  if [ $rc = 0 ]; then report pass "$name" "" "$log" "$took"
  elif [ $rc = 77 ]; then report skip "$name" "$(tail -n 1 "$log")" "$log" "$took"
  elif [ $rc = 124 ] || [ $rc = 137 ]; then report fail "$name" "no result after ${TIMEOUT}s (hang?)" "$log" "$took"
  else report fail "$name" "exit code $rc" "$log" "$took"
  fi
}

for src in $(printf "%s\n" tests/t*.c tests/t*.sh | sort); do
  [ -e "$src" ] || continue
  base=$(basename "$src"); base=${base%.*}
  [[ $base =~ $FILTER ]] || continue
  if [ -n "$SKIP" ] && [[ $base =~ $SKIP ]]; then report skip "$base" "$SKIP_WHY" ""; continue; fi
  if [[ $src == *.sh ]]; then
    run_case "$base" "$WORK/$base" "$WORK/$base.log" bash "$SRCDIR/$src"
    continue
  fi
  specs=$(grep -E '^// TEST:' "$src" || echo '// TEST: nsize=1')
  while IFS= read -r spec; do
    nsizes=$(sed -nE 's/.*nsize=([0-9,]+).*/\1/p' <<<"$spec"); nsizes=${nsizes:-1}
    args=$(sed -nE 's/.*args="([^"]*)".*/\1/p' <<<"$spec")
    label=$(sed -nE 's/.*name=([A-Za-z0-9_-]+).*/\1/p' <<<"$spec")
    for np in ${nsizes//,/ }; do
      name="$base${label:+:$label} (np=$np)"
      if [ "$np" -gt "$MAXNP" ]; then report skip "$name" "np > MAXNP=$MAXNP" ""; continue; fi
      dir="$WORK/$base.$label.$np"
      # shellcheck disable=SC2086
      run_case "$name" "$dir" "$dir.log" $MPIEXEC -n "$np" $MPIEXEC_FLAGS "$BUILD/tests/$base" $args
    done
  done <<<"$specs"
done
echo "1..$num"
if [ -s "$WORK/times" ]; then
  echo "# slowest cases (wall seconds):"
  sort -t $'\t' -k1,1 -g -r "$WORK/times" | head -n "$SLOWEST" | awk -F '\t' '{ printf "#   %7.1f  %s\n", $1, $2 }'
fi
echo "# total wall time: $(seconds_since "$start_all") s"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
