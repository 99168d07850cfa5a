#!/usr/bin/env bash
# make fuzz: builds every target in tests/fuzz with clang + libFuzzer + ASan + UBSan and runs
# each for FUZZ_TIME seconds on its committed corpus. Exit 1 if any target crashed.
#   FUZZ_BUILD   build directory (build-fuzz); new corpus entries go to FUZZ_BUILD/corpus/<target>,
#                crash inputs to FUZZ_BUILD/crashes/<target>
#   FUZZ_TIME    seconds per target (60)
#   FUZZ_TARGETS targets to run (default: all)
#   FUZZ_ARGS    extra libFuzzer options
#   CLANG        the clang to build with (clang)
set -u
cd "$(dirname "$0")/../.." || exit 1
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
FUZZ_TIME=${FUZZ_TIME:-60}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi

# clang with libFuzzer's runtime (a machine with only gcc cannot fuzz; make check does not need it)
CLANG=${CLANG:-clang}
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return (int)(d == NULL && n); }\n' >"$probe/p.c"
if ! command -v "$CLANG" >/dev/null; then
  echo "fuzz: needs clang with libFuzzer (Debian: apt-get install clang); not found: $CLANG"; exit 1
elif ! "$CLANG" -fsanitize=fuzzer,address "$probe/p.c" -o "$probe/p" 2>"$probe/log"; then
  echo "fuzz: $CLANG cannot link with -fsanitize=fuzzer,address (libFuzzer's runtime missing?):"; head -n 5 "$probe/log"; exit 1
fi

# umbra compiled by clang through the MPI wrapper (OMPI_CC for Open MPI, MPICH_CC for MPICH);
# -fsanitize=fuzzer-no-link instruments every object for coverage
SAN='-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer'
OMPI_CC=$CLANG MPICH_CC=$CLANG CFLAGS='-O1 -g' \
  make --no-print-directory -j2 BUILD="$FUZZ_BUILD" SANITIZE="$SAN -fsanitize=fuzzer-no-link" \
  FUZZ_ENGINE=-fsanitize=fuzzer fuzz-targets || exit 1

# ASan: a huge allocation requested by a file is a refused input (PETSc's out-of-memory error),
# not a crash; leaks are not checked (a refused input leaves the reader's objects behind: a
# failing command exits; the campaign target counts its reader's blocks itself); the
# suppressions cover third-party libraries (tests/asan.supp)
export ASAN_OPTIONS=allocator_may_return_null=1:max_allocation_size_mb=1024:detect_leaks=0:suppressions=$PWD/tests/asan.supp
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:suppressions=$PWD/tests/ubsan.supp
# A crash is libhdf5's own when the frames above the first one in umbra's sources (src/, where
# umbra called libhdf5) include libhdf5 and have no C source line (code built here has one;
# libhdf5, the sanitizers' interceptors such as strdup and glibc's assembly have none): prints
# "hdf5", "umbra", or "none" (the input does not crash when run alone)
classify() { # binary input
  "$1" "$2" 2>&1 | awk '
    /^ *#[0-9]+ / { if (done) next
                    if ($0 ~ /\/src\/[a-z0-9_]+\/[a-z0-9_]+\.c:/) { done = 1; next }
                    if ($0 ~ /\.c:[0-9]+/) own = 1 }
    END { print !seen ? "none" : (done && !own && seen_hdf5) ? "hdf5" : "umbra" }
    /ERROR: |runtime error:/ { seen = 1 }
    /libhdf5/ { if (!done) seen_hdf5 = 1 }'
}

all=
for f in tests/fuzz/*.c; do f=$(basename "$f" .c); [ "$f" = replay ] || all="$all $f"; done
targets=${FUZZ_TARGETS:-$all}
failed=
for t in $targets; do
  work=$FUZZ_BUILD/corpus/$t crashes=$FUZZ_BUILD/crashes/$t
  mkdir -p "$work" "$crashes" "tests/fuzz/corpus/$t"
  log=$FUZZ_BUILD/fuzz-$t.log
  echo "fuzz: $t for ${FUZZ_TIME}s"
  # raw HDF5 bytes mostly find libhdf5's own crashes: keep going past them (one process per
  # batch of inputs) and sort the crashes afterwards
  mode=
  [ "$t" = h5raw ] && mode="-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1"
  "$FUZZ_BUILD/fuzz/$t" -max_total_time="$FUZZ_TIME" -timeout=20 -rss_limit_mb=3072 -malloc_limit_mb=2048 \
    -close_fd_mask=1 -print_final_stats=1 -artifact_prefix="$crashes/" $mode ${FUZZ_ARGS:-} \
    "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1
  rc=$?
  # the last status line: executions, coverage (cov: edges, ft: features), corpus size
  grep -E '^#[0-9]+' "$log" | tail -n 1 | sed 's/^/  /'
  grep -E 'stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" | sed 's/^/  /'
  if [ -n "$mode" ]; then
    rc=0
    for c in "$crashes"/*; do
      [ -f "$c" ] || continue
      case $(classify "$FUZZ_BUILD/fuzz/$t" "$c") in
      hdf5) mkdir -p "$crashes/hdf5" && mv "$c" "$crashes/hdf5/" ;;
      none) echo "  no crash when run alone (fixed since, or state from earlier inputs): $c" ;;
      *) rc=1; echo "  crash in umbra's code: $c" ;;
      esac
    done
    [ -d "$crashes/hdf5" ] && echo "  libhdf5's own crashes (third-party): $(ls "$crashes/hdf5" | wc -l) inputs in $crashes/hdf5"
  fi
  if [ $rc != 0 ]; then
    failed="$failed $t"
    grep -m 1 -A 25 -E 'ERROR: |runtime error:|fuzz: ' "$log" | sed 's/^/  | /'
    echo "  crash input in $crashes; log $log"
  fi
done
if [ -n "$failed" ]; then echo "fuzz: crashes in:$failed"; exit 1; fi
echo "fuzz: no crash"
