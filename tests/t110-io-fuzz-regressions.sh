#!/usr/bin/env bash
# Replays every input that once crashed a fuzz target (tests/fuzz/regressions/<target>/) and the
# committed corpus (tests/fuzz/corpus/<target>/) through the target built with the project's
# compiler against tests/fuzz/replay.c, one process per target.
# Catches: a reader bug found by `make fuzz` and fixed coming back (a crash, an abort of the
# harness's own checks such as an HDF5 object left open after a successful read; under
# `make check-asan` also every ASan/UBSan report, e.g. the undefined qsort(NULL, 0) of an empty
# campaign.opts).
set -u
fail=0 n=0
for dir in "$SRCDIR"/tests/fuzz/regressions/* "$SRCDIR"/tests/fuzz/corpus/*; do
  [ -d "$dir" ] || continue
  t=$(basename "$dir") bin="$BUILD/fuzz/$(basename "$dir")"
  [ -x "$bin" ] || { echo "no fuzz target $bin for $dir"; fail=1; continue; }
  if "$bin" "$dir" >replay-$t.log 2>&1; then
    n=$((n + $(ls "$dir" | wc -l)))
  else
    echo "FAIL: $t on $dir:"; tail -n 30 replay-$t.log; fail=1
  fi
done
echo "$n inputs replayed"
exit $fail
