#!/usr/bin/env bash
# A failure on one rank ends the whole job (no hang) with that rank's message and a non-zero
# exit; a failure on every rank prints exactly one message. Uses t002-sys-errors.
set -u
fail=0
prog="$BUILD/tests/t002-sys-errors"
timeout 60 $MPIEXEC -n 3 $MPIEXEC_FLAGS "$prog" -fail_rank 1 -error_timeout 2 </dev/null >one.log 2>&1
rc=$?
if [ $rc = 124 ] || [ $rc = 0 ]; then echo "one failing rank: exit $rc (hang or success)"; cat one.log; fail=1; fi
grep -q "umbra: error (rank 1): deliberate failure" one.log || { echo "no message from rank 1"; cat one.log; fail=1; }
timeout 60 $MPIEXEC -n 3 $MPIEXEC_FLAGS "$prog" -fail_all </dev/null >all.log 2>&1
rc=$?
[ $rc = 2 ] || { echo "all failing: exit $rc, want 2"; cat all.log; fail=1; }
n=$(grep -c "^umbra: error: deliberate failure" all.log)
[ "$n" = 1 ] || { echo "all failing: $n messages, want 1"; cat all.log; fail=1; }
exit $fail
