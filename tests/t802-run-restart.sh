#!/usr/bin/env bash
# `umbra run` as a restartable campaign (docs/campaigns.md). A small fastslow campaign (sample,
# fes, exact, a 60-epoch GAN in the rank-independent reduction mode, lift, closure, report) is run
#  1. straight through on 2 ranks (the reference);
#  2. interrupted by a real SIGUSR1 to mpiexec during training: exit code 3, stages.csv says
#     train,checkpointed; then `umbra run -restart`: every output equal to the reference (HDF5
#     datasets bit for bit, CSV tables but for their provenance line and wall-time columns);
#  3. stopped in sampling (-us_stop_step), continued and stopped in the bootstrap of fes
#     (-fes_stop_replica), continued to the end: every output equal to the reference;
#  4. interrupted by kill -9 of one rank during training, after checkpoints were written:
#     -restart continues from the checkpoint (says so), every output equal to the reference;
#  5. interrupted by SIGUSR1 on 2 ranks and restarted on 3: every output equal to the reference
#     (samples.h5 was made on 2 ranks; -gan_reduce_mode exact makes training rank-independent),
#     closures.csv to round-off (its sums over ranks);
#  6. a second run of the finished campaign skips every stage and changes no file;
#  7. a changed -gan_epochs reruns train, lift, closure and report (naming the option), not sample
#     or fes; so does another -generator;
#  8. refused (exit 2, one message): -restart where there is nothing to restart, a directory of
#     another campaign (-fastslow_m changed), a checkpointed directory without -restart (in 5),
#     -restart with -run_overwrite.
# Catches: stages rerun or skipped wrongly, a fingerprint that misses an option or depends on
# one that does not change results, a restart that does not reach the interrupted stage or
# passes -restart to a stage started afresh, stages.csv not written at a checkpoint, a kill
# that loses the checkpoint, state that depends on the rank count, refusals that do not happen.
# LONG: a dozen runs of a campaign with a 60-epoch training (interrupted, continued, on 2 and 3 ranks)
set -u
fail=0
export OMPI_MCA_rmaps_base_oversubscribe=1
. "$SRCDIR/tests/bad-input.sh"
cat >c.opts <<'EOF'
-us_windows 6
-us_walkers 2
-us_steps 4000
-us_stride 10
-fes_bootstrap 5
-generator gan
-gan_batch 64
-gan_critic_steps 2
-gan_epochs 60
-gan_layers 16,16
-gan_reduce_mode exact
-gan_microbatch 16
-gan_drift_interval 10
-closure_grid -1,1,7
-closure_lift_n 500
-closure_permutations 99
-closure_test_n 200
-closure_sde_time 5
-closure_sde_walkers 8
-closure_direct_walkers 0
-progress_interval 1000
EOF
run() { # dir np options...: runs the campaign, prints the exit code
  local dir=$1 np=$2
  shift 2
  timeout 600 $MPIEXEC -n "$np" $MPIEXEC_FLAGS "$UMBRA" run -options_file c.opts -out "$dir" "$@" </dev/null >>"$dir.log" 2>&1
  echo $?
}
want() { # rc expected what
  [ "$1" = "$2" ] || { echo "$3: exit $1, want $2"; fail=1; }
}
# interrupt DIR NP SIGNAL WHO [options]: starts the campaign in the background, waits for the
# third training epoch, sends SIGNAL to mpiexec (WHO=mpiexec) or to one rank (WHO=rank)
interrupt() {
  local dir=$1 np=$2 sig=$3 who=$4 mpi victim i
  shift 4
  $MPIEXEC -n "$np" $MPIEXEC_FLAGS "$UMBRA" run -options_file c.opts -out "$dir" "$@" </dev/null >>"$dir.log" 2>&1 &
  mpi=$!
  for i in $(seq 1500); do grep -q "train: epoch 3/" "$dir.log" 2>/dev/null && break; sleep 0.2; done
  victim=$mpi
  [ "$who" = rank ] && victim=$(pgrep -P "$mpi" | tail -n 1) # the ranks are children of mpiexec
  kill "-$sig" "$victim"
  wait "$mpi"
  echo $?
}
# the closures' sums over ranks: equal up to round-off (relative 1e-9, absolute 1e-12 for the
# zeros of the diffusion's standard error) on another rank count
close() {
  awk -F, 'NR == FNR { a[FNR] = $0; next }
    { n = split(a[FNR], x, ","); if (n != NF) exit 1
      for (i = 1; i <= NF; i++) if (x[i] != $i) {
        if (x[i] + 0 != x[i] || $i + 0 != $i) exit 1
        d = x[i] - $i; m = (x[i] < 0 ? -x[i] : x[i]); if ((d < 0 ? -d : d) > 1e-9 * m + 1e-12) exit 1 } }
    END { if (FNR != length(a)) exit 1 }' <(grep -v '^#' "$1") <(grep -v '^#' "$2")
}
same() { # reference dir [roundoff]: every output equal (the closures to round-off with roundoff)
  local f
  for f in samples fes gan lift; do
    h5diff --exclude-path /provenance "$1/$f.h5" "$2/$f.h5" >h5.diff 2>&1 || { echo "$2/$f.h5 differs from $1/$f.h5:"; head -n 5 h5.diff; fail=1; }
  done
  for f in windows fes exact closures consistency; do
    if [ $# = 3 ] && [ $f = closures ]; then close "$1/$f.csv" "$2/$f.csv" && continue
    else cmp -s <(grep -v '^#' "$1/$f.csv") <(grep -v '^#' "$2/$f.csv") && continue; fi
    echo "$2/$f.csv differs from $1/$f.csv"; fail=1
  done
  cmp -s <(grep -v '^#' "$1/train.csv" | cut -d, -f1-10) <(grep -v '^#' "$2/train.csv" | cut -d, -f1-10) || { echo "$2/train.csv differs from $1/train.csv"; fail=1; }
  cmp -s <(grep -v '^#' "$1/stages.csv" | cut -d, -f1,2,4) <(grep -v '^#' "$2/stages.csv" | cut -d, -f1,2,4) || { echo "$2/stages.csv differs from $1/stages.csv (stage, status, fingerprint):"; cat "$2/stages.csv"; fail=1; }
}
# 1. the reference
want "$(run ref 2)" 0 "straight run"
for s in sample fes exact train lift closure report; do grep -q "^$s,done,[0-9.]*,[0-9a-f]\{16\}$" ref/stages.csv || { echo "ref/stages.csv has no done row for $s:"; cat ref/stages.csv; fail=1; }; done
grep -q '^-gan_epochs 60$' ref/campaign.opts || { echo "campaign.opts does not record -gan_epochs"; fail=1; }
grep -q '^-progress_interval' ref/campaign.opts && { echo "campaign.opts records -progress_interval, which changes no result"; fail=1; }
# 2. SIGUSR1 during training, restart
want "$(interrupt usr 2 USR1 mpiexec)" 3 "campaign interrupted by SIGUSR1"
grep -q '^train,checkpointed,' usr/stages.csv || { echo "usr/stages.csv does not say train,checkpointed:"; cat usr/stages.csv; fail=1; }
want "$(run usr 2 -restart)" 0 "restart after SIGUSR1"
grep -q "run: sample done (samples.h5, windows.csv), skipped" usr.log || { echo "the restart did not skip the sample stage"; fail=1; }
grep -q "train: restarting from .* at generator step [1-9]" usr.log || { echo "the restart did not continue training from its checkpoint"; fail=1; }
same ref usr
# 3. sampling and the bootstrap stopped (-us_stop_step, -fes_stop_replica), each continued
want "$(run long 2 -us_stop_step 2000)" 3 "campaign stopped in sampling"
grep -q '^sample,checkpointed,' long/stages.csv || { echo "long/stages.csv does not say sample,checkpointed:"; cat long/stages.csv; fail=1; }
want "$(run long 2 -restart -fes_stop_replica 2)" 3 "campaign continued, stopped in the bootstrap"
grep -q "run: sample continues from its checkpoint" long.log || { echo "sampling was not continued"; fail=1; }
grep -q '^fes,checkpointed,' long/stages.csv || { echo "long/stages.csv does not say fes,checkpointed:"; cat long/stages.csv; fail=1; }
want "$(run long 2 -restart)" 0 "campaign continued to the end"
grep -q "run: fes continues from its checkpoint" long.log || { echo "the bootstrap was not continued"; fail=1; }
same ref long
# 4. kill -9 of one rank after checkpoints
rc=$(interrupt k9 2 9 rank -gan_checkpoint_interval 20)
[ "$rc" != 0 ] || { echo "a campaign with a killed rank exited 0"; fail=1; }
grep -q '^train,checkpointed,' k9/stages.csv || { echo "k9/stages.csv does not say train,checkpointed:"; cat k9/stages.csv; fail=1; }
want "$(run k9 2 -restart -gan_checkpoint_interval 20)" 0 "restart after kill -9"
grep -q "train: restarting from .* at generator step [1-9]" k9.log || { echo "the restart after kill -9 did not continue from a checkpoint"; fail=1; }
same ref k9
# 5. 2 ranks, then 3 (and a checkpointed directory is not run without -restart)
want "$(interrupt np3 2 USR1 mpiexec)" 3 "campaign interrupted by SIGUSR1 (2 ranks)"
expect_error 2 2 "stage train in np3 is checkpointed, not finished: add -restart" "run -options_file c.opts -out np3"
want "$(run np3 3 -restart)" 0 "restart on 3 ranks"
same ref np3 roundoff
# 6. nothing to do
md5sum ref/* 2>/dev/null >ref.md5
want "$(run ref 2)" 0 "second run of a finished campaign"
[ "$(grep -c 'done (.*), skipped' ref.log)" = 7 ] || { echo "the second run did not skip all 7 stages:"; grep 'run:' ref.log | tail -n 8; fail=1; }
md5sum --quiet -c ref.md5 || { echo "the second run changed files"; fail=1; }
# 7. a changed -gan_epochs
cp -r ref epochs && : >epochs.log
want "$(run epochs 2 -gan_epochs 20)" 0 "run with a changed -gan_epochs"
grep -q "run: train again from the start (-gan_epochs is 20 here but 60 in the record)" epochs.log || { echo "train was not rerun naming -gan_epochs:"; grep 'run:' epochs.log; fail=1; }
for s in sample fes exact; do grep -q "run: $s done" epochs.log || { echo "$s was not skipped"; fail=1; }; done
for s in lift closure report; do grep -q "run: stage $s" epochs.log || { echo "$s was not rerun"; fail=1; }; done
cmp -s ref/samples.h5 epochs/samples.h5 && cmp -s ref/fes.h5 epochs/fes.h5 || { echo "samples.h5 or fes.h5 changed"; fail=1; }
cmp -s ref/gan.h5 epochs/gan.h5 && { echo "gan.h5 did not change"; fail=1; }
# -generator is an option of the train stage too (the GAN's options of c.opts then go unread)
cp -r ref gen && : >gen.log
want "$(run gen 2 -generator flow -options_allow_unused)" 0 "run with another -generator"
grep -q "run: train again from the start (-generator is flow here but gan in the record)" gen.log || { echo "train was not rerun naming -generator:"; grep 'run:' gen.log; fail=1; }
for s in sample fes; do grep -q "run: $s done" gen.log || { echo "$s was not skipped with -generator"; fail=1; }; done
# 8. refusals
expect_error 2 2 "nothing to restart in fresh" "run -options_file c.opts -out fresh -restart"
expect_error 2 2 "-restart continues the campaign in ref and -run_overwrite starts it again from scratch" "run -options_file c.opts -out ref -restart -run_overwrite"
expect_error 2 2 "ref holds another campaign \(-fastslow_m is 3 here but not given in the record\): choose another -out, or add -run_overwrite" "run -options_file c.opts -out ref -fastslow_m 3"
exit $fail
