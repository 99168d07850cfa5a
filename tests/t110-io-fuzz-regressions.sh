#!/usr/bin/env bash
# Replays every input that once crashed a fuzz target (tests/fuzz/regressions/<target>/) and the
# committed corpus (tests/fuzz/corpus/<target>/) through the target built with the project's
# compiler against tests/fuzz/replay.c, one process per target.
# Catches: a reader bug found by `make fuzz` and fixed coming back (a crash, an abort of the
# harness's own checks such as an HDF5 object left open after a successful read or a block
# the campaign reader did not free when it refused a damaged stages.csv; under
# `make check-asan` also every ASan/UBSan report, e.g. the undefined qsort(NULL, 0) of an empty
# campaign.opts).
set -u
fail=0 n=0
for dir in "$SRCDIR"/tests/fuzz/regressions/* "$SRCDIR"/tests/fuzz/corpus/*; do
  [ -d "$dir" ] || continue
  t=$(basename "$dir") bin="$BUILD/fuzz/$(basename "$dir")" log=replay-$(basename "$(dirname "$dir")")-$(basename "$dir").log
  [ -x "$bin" ] || { echo "no fuzz target $bin for $dir"; fail=1; continue; }
  if "$bin" "$dir" >"$log" 2>&1; then
    n=$((n + $(ls "$dir" | wc -l)))
  else
    echo "FAIL: $t on $dir:"
    # the input, then the head of a sanitizer report (its tail is shadow bytes) or the log's tail
    grep '^replay: ' "$log" | tail -n 1
    if grep -qE 'ERROR: |runtime error:' "$log"; then grep -m 1 -A 20 -E 'ERROR: |runtime error:' "$log"
    else tail -n 30 "$log"
    fi
    fail=1
  fi
done
echo "$n inputs replayed"
exit $fail
