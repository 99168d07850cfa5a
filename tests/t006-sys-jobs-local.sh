#!/usr/bin/env bash
# The job templates of jobs/ without Slurm (make check-slurm runs them under Slurm):
#  1. shellcheck over jobs/ when installed;
#  2. jobs/campaign.sbatch run as a plain script says it runs locally; a USR1 to it during
#     training reaches umbra through the launcher, umbra checkpoints (exit 3) and the script
#     exits 0 saying so;
#  3. jobs/stage.sbatch STAGE=train finds the checkpoint and continues with -restart from the
#     step where the signal stopped training (stopped again early with -gan_stop_step, which
#     also exits 3 -> 0);
#  4. no STAGE, or an options file that does not exist: exit 2 with a message.
# Catches: the launcher in the foreground (the trap would wait for the end of the run), a signal
# not forwarded, exit 3 not mapped to 0, a restart flag not given when the checkpoint exists.
set -u
fail=0
export OPTIONS=$SRCDIR/tests/slurm/campaign.opts OUT=run NP=2 LAUNCH="$MPIEXEC $MPIEXEC_FLAGS" UMBRA
unset SLURM_JOB_ID SLURM_NTASKS ARGS STAGE
if command -v shellcheck >/dev/null; then
  (cd "$SRCDIR" && shellcheck -x jobs/*.sh jobs/*.sbatch tests/slurm/*.sh) || { echo "shellcheck found problems"; fail=1; }
fi
# 2. training long enough to be signalled during it (it stops at the signal)
ARGS="-us_walkers 2 -us_steps 5000 -gan_epochs 100000" bash "$SRCDIR/jobs/campaign.sbatch" >campaign.log 2>&1 &
pid=$!
(sleep 300 && kill -KILL $pid 2>/dev/null) & # never hang, even if the signal is lost
watchdog=$!
for ((i = 0; i < 600; i++)); do
  grep -q 'train: epoch 1/' campaign.log && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.2
done
kill -USR1 $pid
wait $pid
rc=$?
kill $watchdog 2>/dev/null
[ $rc = 0 ] || { echo "campaign.sbatch exited $rc after USR1, want 0"; tail -n 20 campaign.log; fail=1; }
for want in 'no SLURM_JOB_ID: running locally on 2 ranks' 'received SIGUSR1: forwarding it' \
  'train: signal received: checkpointed after generator step' 'checkpointed, not finished (umbra exit 3)'; do
  grep -qF "$want" campaign.log || { echo "campaign.sbatch: no '$want' in its output:"; tail -n 20 campaign.log; fail=1; }
done
step=$(sed -nE 's/.*checkpointed after generator step ([0-9]+).*/\1/p' campaign.log)
# 3. the stage template continues from that step
STAGE=train ARGS="-us_walkers 2 -us_steps 5000 -gan_epochs 100000 -gan_stop_step $((${step:-0} + 20))" \
  timeout 300 bash "$SRCDIR/jobs/stage.sbatch" >stage.log 2>&1
rc=$?
[ $rc = 0 ] || { echo "stage.sbatch exited $rc, want 0"; tail -n 20 stage.log; fail=1; }
grep -q "running: .* train .* -restart" stage.log || { echo "stage.sbatch did not pass -restart:"; grep running: stage.log; fail=1; }
grep -q "restarting from .* at generator step ${step:-none} " stage.log || { echo "training did not continue from step $step:"; tail -n 20 stage.log; fail=1; }
# 4. bad input
bash "$SRCDIR/jobs/stage.sbatch" >nostage.log 2>&1
rc=$?
if [ $rc != 2 ] || ! grep -q 'set STAGE' nostage.log; then echo "no STAGE: exit $rc, want 2 with a message:"; cat nostage.log; fail=1; fi
OPTIONS=missing.opts bash "$SRCDIR/jobs/campaign.sbatch" >noopts.log 2>&1
rc=$?
if [ $rc != 2 ] || ! grep -q 'cannot read the options file' noopts.log; then echo "missing options file: exit $rc, want 2 with a message:"; cat noopts.log; fail=1; fi
exit $fail
