# Sourced by the bad-input shell tests: runs one bad input and checks how umbra refuses it.
#   expect_error NP WANT PATTERN ARGS
# NP: rank count, or s for a run without mpiexec; WANT: exit code; PATTERN: extended regular
# expression the one line "umbra: error: ..." must match; ARGS: the command line (word-split).
# A case fails on a hang (120 s), another exit code, not exactly one error line on rank 0, or
# another message; it prints why and the end of the output, and sets fail=1.
expect_error() {
  local np=$1 want=$2 pattern=$3 args=$4 rc nerr
  # shellcheck disable=SC2086
  if [ "$np" = s ]; then timeout 120 "$UMBRA" $args </dev/null >out.log 2>&1
  else timeout 120 $MPIEXEC -n "$np" $MPIEXEC_FLAGS "$UMBRA" $args </dev/null >out.log 2>&1; fi
  rc=$?
  if [ $rc = 124 ]; then echo "HANG ($np ranks): umbra $args"; fail=1; return; fi
  nerr=$(grep -c '^umbra: error' out.log)
  if [ $rc != "$want" ] || [ "$nerr" != 1 ] || ! grep -Eq "^umbra: error: .*$pattern" out.log; then
    echo "FAIL ($np ranks): umbra $args -> exit $rc (want $want), $nerr error lines, pattern '$pattern'"
    sed 's/^/    /' out.log | grep -v '^ *$' | head -n 8
    fail=1
  fi
}
