# Sourced by the bad-input shell tests: runs one bad input and checks how umbra refuses it.
#   expect_error NP WANT PATTERN ARGS
# NP: rank count, or s for a run without mpiexec; WANT: exit code; PATTERN: extended regular
# expression the one line "umbra: error: ..." must match; ARGS: the command line (word-split).
# A case fails on a hang (120 s), another exit code, a crash (a signal, a core dump), not
# exactly one error line on rank 0, another message, or a partial output (*.tmp) left in the
# test's directory; it prints why and the end of the output, and sets fail=1.
# With UMB_BAD_INPUT_TABLE set, every case appends "test<TAB>exit<TAB>args<TAB>message" to that
# file (tests/reliability-table.sh turns it into the table of docs/reliability.md).
expect_error() {
  local np=$1 want=$2 pattern=$3 args=$4 rc nerr left
  touch .case-start
  # shellcheck disable=SC2086
  if [ "$np" = s ]; then timeout 120 "$UMBRA" $args </dev/null >out.log 2>&1
  else timeout 120 $MPIEXEC -n "$np" $MPIEXEC_FLAGS "$UMBRA" $args </dev/null >out.log 2>&1; fi
  rc=$?
  if [ $rc = 124 ]; then echo "HANG ($np ranks): umbra $args"; fail=1; return; fi
  nerr=$(grep -c '^umbra: error' out.log)
  left=$(find . -newer .case-start \( -name '*.tmp' -o -name 'core' -o -name 'core.[0-9]*' \) | head -n 3)
  if [ $rc -gt 128 ] || grep -Eq 'Segmentation fault|core dumped|exited on signal' out.log; then
    echo "CRASH ($np ranks): umbra $args -> exit $rc"; sed 's/^/    /' out.log | head -n 8; fail=1
  elif [ -n "$left" ]; then
    echo "PARTIAL OUTPUT ($np ranks): umbra $args left $left"; fail=1
  elif [ $rc != "$want" ] || [ "$nerr" != 1 ] || ! grep -Eq "^umbra: error: .*$pattern" out.log; then
    echo "FAIL ($np ranks): umbra $args -> exit $rc (want $want), $nerr error lines, pattern '$pattern'"
    sed 's/^/    /' out.log | grep -v '^ *$' | head -n 8
    fail=1
  fi
  if [ -n "${UMB_BAD_INPUT_TABLE:-}" ]; then
    printf '%s\t%s\t%s\t%s\n' "$(basename "$0" .sh)" "$rc" "$args" "$(grep -m 1 '^umbra: error' out.log | sed 's/^umbra: error[^:]*: //')" >>"$UMB_BAD_INPUT_TABLE"
  fi
}

#   expect_errors "NP1 NP2 ..." [EXTRA]
# Runs expect_error for every entry "want|pattern|args" of the array `cases` at each rank
# count, with EXTRA appended to the arguments.
expect_errors() {
  local nps=$1 extra=${2:-} c want pattern args np
  for np in $nps; do
    for c in "${cases[@]}"; do
      IFS='|' read -r want pattern args <<<"$c"
      expect_error "$np" "$want" "$pattern" "$args${extra:+ $extra}"
    done
  done
}

#   expect_exit LOG WANT ARGS...
# Runs umbra on 2 ranks (300 s hang guard), appending its output to LOG; WANT is the exit code,
# or `killed` for a run that a fault injection must stop (any exit but 0 and 3). On another exit
# it prints the command, the exit and the end of LOG, and sets fail=1.
expect_exit() {
  local log=$1 want=$2 rc
  shift 2
  timeout 300 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" "$@" </dev/null >>"$log" 2>&1
  rc=$?
  if [ "$want" = killed ]; then
    [ $rc != 0 ] && [ $rc != 3 ] || { echo "umbra $* survived the kill (exit $rc)"; fail=1; }
  elif [ $rc != "$want" ]; then
    echo "umbra $*: exit $rc, want $want:"; tail -n 8 "$log"; fail=1
  fi
}
