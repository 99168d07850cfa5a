#!/usr/bin/env bash
# Test runner behind `make check` and `make check-acceptance`.
#   C tests (build/tests/t*) carry spec lines in their source:
#     // TEST: nsize=1,2,3 args="-opt value"
#   one case per spec line and rank count. Shell tests (tests/t*.sh) are one case each:
#   exit 0 = pass, 77 = skip, anything else = fail.
#   Long acceptance runs say so in their source, with the reason: a line `# LONG: reason`
#   (shell) or `// LONG: reason` (C) marks every case of the test, `long="reason"` on a spec
#   line the cases of that line only.
# Prints one TAP line per case with its wall time as a TAP comment ("# 12.3 s"), then the
# slowest cases and the total wall time, and ends with "N passed, N failed, N skipped".
# Environment: MPIEXEC (mpiexec), MPIEXEC_FLAGS (--oversubscribe --bind-to none), MAXNP (3),
#   TIMEOUT (hang guard per case, seconds; 900), FILTER (run only names matching this regex),
#   SLOWEST (how many of the slowest cases to list at the end; 15), SKIP and SKIP_WHY (tests
#   whose names match the regex SKIP are reported as skipped, with the reason SKIP_WHY),
#   LONG (1: every case; 0: leave out the long ones, as `make check` does; only: run only the
#   long ones, as `make check-acceptance` does; the long cases left out are named at the end).
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
LONG=${LONG:-1}
case $LONG in 0|1|only) ;; *) echo "tests/run.sh: LONG must be 0, 1 or only, not '$LONG'" >&2; exit 2 ;; esac
WORK=$(mktemp -d "${TMPDIR:-/tmp}/umbra-tests.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

num=0 pass=0 fail=0 skip=0 left=0
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

wanted() { # reason: whether LONG runs a case that is long for this reason (empty: not long)
  case $LONG in
  0) [ -z "$1" ] ;;
  only) [ -n "$1" ] ;;
  *) true ;;
  esac
}

leave_out() { # name: a case that LONG does not run (counted; the long ones named at the end)
  left=$((left + 1))
  printf '%s\n' "$1" >>"$WORK/left"
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
  # the whole test's LONG marker (a comment line of its source)
  long=$(sed -nE 's%^(#|//) LONG: *(.*)%\2%p' "$src" | head -n 1)
  if [[ $src == *.sh ]] && ! wanted "$long"; then leave_out "$base"; continue; fi
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
    speclong=$(sed -nE 's/.*long="([^"]*)".*/\1/p' <<<"$spec"); speclong=${speclong:-$long}
    for np in ${nsizes//,/ }; do
      name="$base${label:+:$label} (np=$np)"
      if ! wanted "$speclong"; then leave_out "$name"; continue; fi
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
if [ "$LONG" = 0 ] && [ "$left" -gt 0 ]; then
  echo "# left out: $left long cases (make check-acceptance runs them):"
  sed 's/^/#   /' "$WORK/left"
elif [ "$left" -gt 0 ]; then
  echo "# left out: $left short cases (make check runs them)"
fi
echo "# total wall time: $(seconds_since "$start_all") s"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
