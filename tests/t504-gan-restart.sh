#!/usr/bin/env bash
# Checkpoint and restart of training are bit-identical to an uninterrupted run: the checkpoint
# holds both networks, Adam's moments and step count, the running average of the generator,
# the generator step and the epoch's running sums; batches and noise are recomputed from
# counters. Cases (2 epochs = 84 generator steps):
#  1. mpi mode, 2 ranks: stop after step 30 (mid-epoch, -gan_stop_step: exit code 3, with
#     checkpoints every 10 steps, so ckpt/train.prev.h5 holds step 20), then -restart: gan.h5
#     equals the uninterrupted run's bit for bit, train.csv too (except wall time and rate);
#  2. exact mode: stop after step 55 on 2 ranks (second epoch), restart on 3 ranks: equal bit for
#     bit to an uninterrupted run on 1 rank;
#  3. a restart with a different -gan_batch is refused, naming the option; -restart after a
#     finished run (its checkpoints are removed) is refused, naming the missing file.
# Catches: a state variable missing from the checkpoint (Adam moments or step count, the
# average, the position inside the epoch, the epoch's running sums), a stream that depends on
# where the run started, a checkpoint that is not written atomically.
set -u
fail=0
. "$SRCDIR/tests/bad-input.sh"
export OMPI_MCA_rmaps_base_oversubscribe=1
timeout 300 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" sample -us_windows 6 -us_walkers 2 -us_steps 5000 -us_stride 10 -out data </dev/null >sample.log 2>&1 ||
  { echo "sampling failed:"; cat sample.log; exit 1; }
GAN="-generator gan -gan_batch 64 -gan_critic_steps 2 -gan_epochs 2 -gan_layers 24,24 -progress_interval 1000"
train() { # dir np expected-exit options...
  local dir=$1 np=$2 want=$3 rc
  shift 3
  mkdir -p "$dir" && ln -sf ../data/samples.h5 "$dir/samples.h5"
  timeout 300 $MPIEXEC -n "$np" $MPIEXEC_FLAGS "$UMBRA" train -out "$dir" $GAN "$@" </dev/null >>"$dir.log" 2>&1
  rc=$?
  [ $rc = "$want" ] || { echo "training in $dir on $np ranks ($*): exit $rc, want $want:"; tail -n 20 "$dir.log"; fail=1; }
}
same() { # a b
  h5diff --exclude-path /provenance "$1/gan.h5" "$2/gan.h5" >"$2.diff" 2>&1 ||
    { echo "$1/gan.h5 and $2/gan.h5 differ:"; head -n 20 "$2.diff"; fail=1; }
  diff <(tail -n +2 "$1/train.csv" | cut -d, -f1-10) <(tail -n +2 "$2/train.csv" | cut -d, -f1-10) >"$2.csvdiff" ||
    { echo "$1/train.csv and $2/train.csv differ:"; head -n 10 "$2.csvdiff"; fail=1; }
}
# 1. mpi mode, 2 ranks
train full 2 0
train stop 2 3 -gan_checkpoint_interval 10 -gan_stop_step 30
[ -e stop/gan.h5 ] && { echo "a stopped run wrote gan.h5"; fail=1; }
[ -e stop/ckpt/train.h5 ] && [ -e stop/ckpt/train.prev.h5 ] || { echo "missing checkpoint files:"; ls -l stop/ckpt; fail=1; }
step=$(h5dump -a /state/step stop/ckpt/train.prev.h5 2>/dev/null | sed -nE 's/^ *\(0\): ([0-9]+).*/\1/p')
[ "$step" = 20 ] || { echo "train.prev.h5 holds step '$step', want 20"; fail=1; }
grep -q "stopped after generator step 30" stop.log || { echo "no stop message:"; tail -n 5 stop.log; fail=1; }
train stop 2 0 -gan_checkpoint_interval 10 -restart
grep -q "restarting from .* at generator step 30" stop.log || { echo "no restart message"; fail=1; }
same full stop
# 2. exact mode, stop on 2 ranks, resume on 3, against 1 rank
train xfull 1 0 -gan_reduce_mode exact -gan_microbatch 16
train xstop 2 3 -gan_reduce_mode exact -gan_microbatch 16 -gan_stop_step 55
train xstop 3 0 -gan_reduce_mode exact -gan_microbatch 16 -restart
same xfull xstop
# 3. options that define the run cannot change
train xstop2 2 3 -gan_stop_step 20
train xstop2 2 2 -gan_batch 32 -restart
grep -q "umbra: error: -gan_batch is 32 here but 64 in the checkpoint .*train.h5" xstop2.log ||
  { echo "restart with another batch size not refused as expected:"; tail -n 3 xstop2.log; fail=1; }
expect_error 2 2 "-restart: there is no checkpoint full/ckpt/train.h5 .*written by umbra train" "train -out full $GAN -restart"
exit $fail
