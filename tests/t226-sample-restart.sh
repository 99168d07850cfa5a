#!/usr/bin/env bash
# Sampling checkpoints: an interrupted and restarted run gives samples.h5 (every dataset) and
# windows.csv bit-identical to an uninterrupted one. Interruptions: -us_stop_step (exit code 3),
# a real SIGUSR1 sent to mpiexec (Open MPI forwards it to the ranks), and kill -9 of one rank
# after a checkpoint was written (frames written after the checkpoint are in
# samples.h5.partial, which must still open). Restarts on the same and on other rank counts
# (2 -> 3, 3 -> 1). A truncated latest checkpoint falls back to ckpt/sample.prev.h5 with a
# warning; a missing samples.h5.partial is reported and the stage starts over. Refused: a
# checkpoint written with another -us_dt (named), -restart after a finished run, -restart in a
# fresh directory.
# Environment: T226_LONG_STEPS (steps of the interrupted runs; 15000000).
# Catches: a walker state missing from the checkpoint or read back into the wrong window (other
# rank counts), the LM noise of the next step not regenerated on restart (dropping its DrawNoise
# at s0 makes every restart case fail), frames of the IACT not re-read from the partial file
# (windows.csv differs), a checkpoint written before the frames it counts on are flushed, a
# non-atomic checkpoint, a fallback that does not happen or does not say so.
set -u
fail=0
. "$SRCDIR/tests/bad-input.sh"
export OMPI_MCA_rmaps_base_oversubscribe=1
O="-us_windows 7 -us_steps 3000 -us_burnin 500 -us_stride 7 -us_walkers 3 -us_chunk_steps 350 -progress_interval 1000"
# long enough to be interrupted by hand: some seconds, a checkpoint every 0.2 s. T226_LONG_STEPS
# shortens it where every step is slower (make check-asan): the kill must still land mid-run.
L="-us_windows 5 -us_steps ${T226_LONG_STEPS:-15000000} -us_burnin 500 -us_stride 5000 -us_walkers 2 -us_chunk_steps 50000 -us_checkpoint_interval 0.2 -progress_interval 1000"
run() { # dir np expected-exit options...
  local dir=$1 np=$2 want=$3 rc
  shift 3
  timeout 300 $MPIEXEC -n "$np" $MPIEXEC_FLAGS "$UMBRA" sample -out "$dir" "$@" </dev/null >>"$dir.log" 2>&1
  rc=$?
  [ $rc = "$want" ] || { echo "sampling in $dir on $np ranks ($*): exit $rc, want $want:"; tail -n 8 "$dir.log"; fail=1; }
}
same() { # reference dir
  h5diff --exclude-path /provenance "$1/samples.h5" "$2/samples.h5" >"$2.diff" 2>&1 ||
    { echo "$1/samples.h5 and $2/samples.h5 differ:"; head -n 10 "$2.diff"; fail=1; }
  diff <(tail -n +2 "$1/windows.csv") <(tail -n +2 "$2/windows.csv") >/dev/null ||
    { echo "$1/windows.csv and $2/windows.csv differ"; fail=1; }
  [ -e "$2/samples.h5.partial" ] && { echo "$2/samples.h5.partial left behind"; fail=1; }
  [ -e "$2/ckpt/sample.h5" ] && { echo "$2/ckpt/sample.h5 left behind by a finished run"; fail=1; }
}
started() { # log pid: waits until the run has written a checkpoint; sets mpid, the mpiexec process
  for _ in $(seq 1200); do
    if grep -q 'checkpoint at step' "$1"; then
      mpid=$(pgrep -P "$2" | head -n 1) # $2 is the timeout guard around mpiexec
      [ -n "$mpid" ] && return 0
    fi
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# 1. -us_stop_step, same rank count; checkpoints every chunk, so sample.prev.h5 exists
run ref 2 0 $O
run stop 2 3 $O -us_stop_step 1200 -us_checkpoint_interval 1e-9
[ -e stop/samples.h5 ] && { echo "a stopped run wrote samples.h5"; fail=1; }
[ -e stop/samples.h5.partial ] && [ -e stop/ckpt/sample.h5 ] && [ -e stop/ckpt/sample.prev.h5 ] ||
  { echo "missing partial or checkpoint files:"; ls -lR stop; fail=1; }
grep -q "stopped at step 1400 as asked" stop.log || { echo "no stop message at step 1400:"; tail -n 3 stop.log; fail=1; }
cp -r stop corrupt; cp -r stop nopartial; cp -r stop dt
run stop 2 0 $O -restart
grep -q "restarting from stop/ckpt/sample.h5 at step 1400" stop.log || { echo "no restart message"; fail=1; }
same ref stop

# 2. other rank counts: 2 -> 3 and 3 -> 1
run r23 2 3 $O -us_stop_step 1000
run r23 3 0 $O -restart
same ref r23
run r31 3 3 $O -us_stop_step 2000
run r31 1 0 $O -restart
same ref r31

# 3. a truncated latest checkpoint: the previous one is used, with a warning naming the file
truncate -s 2000 corrupt/ckpt/sample.h5
run corrupt 2 0 $O -restart
grep -q "warning: -restart: checkpoint corrupt/ckpt/sample.h5 is not usable (.*); continuing from the previous one, corrupt/ckpt/sample.prev.h5" corrupt.log ||
  { echo "no fallback warning:"; grep -i warn corrupt.log; fail=1; }
grep -q "restarting from corrupt/ckpt/sample.prev.h5 at step 1050" corrupt.log || { echo "did not continue from sample.prev.h5 at step 1050"; fail=1; }
same ref corrupt
# the partial file is gone: said, and the stage starts over
rm nopartial/samples.h5.partial
run nopartial 2 0 $O -restart
grep -q "warning: -restart: nopartial/samples.h5.partial cannot be used" nopartial.log || { echo "no warning about the missing partial file"; fail=1; }
same ref nopartial

# 4. refused restarts
expect_error 2 2 "-us_dt is 0.002 here but 0.001 in the checkpoint dt/ckpt/sample.h5" "sample -out dt $O -us_dt 0.002 -restart"
expect_error 2 2 "-restart: there is no checkpoint ref/ckpt/sample.h5 .*written by umbra sample" "sample -out ref $O -restart"
expect_error 2 2 "-restart: there is no checkpoint fresh/ckpt/sample.h5" "sample -out fresh $O -restart"

# 5. SIGUSR1 to mpiexec, and kill -9 of one rank, each restarted on 2 ranks
run lref 2 0 $L
timeout 300 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" sample -out usr1 $L </dev/null >usr1.log 2>&1 &
tpid=$!
if started usr1.log $tpid; then
  kill -USR1 "$mpid"
  wait $tpid
  rc=$?
  [ $rc = 3 ] || { echo "after SIGUSR1: exit $rc, want 3"; tail -n 5 usr1.log; fail=1; }
  grep -q "signal received: checkpointed at step" usr1.log || { echo "no signal message"; fail=1; }
  run usr1 2 0 $L -restart
  same lref usr1
else
  echo "the SIGUSR1 run ended before its first checkpoint:"; tail -n 5 usr1.log; fail=1
fi
timeout 300 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" sample -out kill $L </dev/null >kill.log 2>&1 &
tpid=$!
if started kill.log $tpid; then
  sleep 0.3 # frames beyond the checkpoint reach the partial file
  rank=$(pgrep -P "$mpid" | head -n 1)
  [ -n "$rank" ] && kill -9 "$rank"
  wait $tpid
  rc=$?
  [ $rc != 0 ] || { echo "the run survived kill -9 of rank process '$rank'"; fail=1; }
  [ -e kill/samples.h5.partial ] && [ -e kill/ckpt/sample.h5 ] || { echo "partial or checkpoint missing after kill -9:"; ls -lR kill; fail=1; }
  run kill 2 0 $L -restart
  grep -q "cannot be used" kill.log && { echo "the partial file was not usable after kill -9"; fail=1; }
  same lref kill
else
  echo "the kill -9 run ended before its first checkpoint:"; tail -n 5 kill.log; fail=1
fi
exit $fail
