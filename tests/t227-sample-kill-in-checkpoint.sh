#!/usr/bin/env bash
# kill -9 while a checkpoint is being written, in sampling and in training (2 ranks): with
# UMBRA_FAULT_KILL_IN_CHECKPOINT=3 rank 0 kills itself once the third checkpoint is complete in
# its temporary file but not yet renamed, the worst moment. Then
#  - the previous checkpoint (the second) is intact under its name and still readable;
#  - the restart says that an unfinished checkpoint was found and removed, continues from the
#    second checkpoint (its step is named), and finishes;
#  - samples.h5 and windows.csv, gan.h5 and train.csv equal those of an uninterrupted run bit for
#    bit (as in t226 and t504).
# Also a truncated training checkpoint (t226 does it for sampling): the restart falls back to
# ckpt/train.prev.h5 with a warning naming the damaged file, and gan.h5 is again identical.
# Catches: a checkpoint written in place (the kill leaves a half-written file under the final
# name), the rename done before every rank's data is on disk, a temporary file that a restart
# takes for a checkpoint or leaves behind silently, a training restart that does not fall back.
set -u
fail=0
. "$SRCDIR/tests/bad-input.sh"
export OMPI_MCA_rmaps_base_oversubscribe=1
O="-us_windows 4 -us_walkers 2 -us_steps 3000 -us_stride 10 -us_burnin 100 -us_chunk_steps 300 -us_checkpoint_interval 1e-9 -progress_interval 1000"
GAN="-generator gan -gan_batch 64 -gan_critic_steps 2 -gan_epochs 1 -gan_layers 16,16 -gan_checkpoint_interval 5 -progress_interval 1000"
umbra() { expect_exit "$@"; } # log expected-exit args...
said() { # log pattern what
  grep -Eq "$2" "$1" || { echo "$1 does not say $3:"; grep -E 'warning|error|restart' "$1" | head -n 5; fail=1; }
}

# 1. sampling, killed while writing its third checkpoint (step 900)
umbra ref.log 0 sample -out ref $O
UMBRA_FAULT_KILL_IN_CHECKPOINT=3 umbra kill.log killed sample -out kill $O
[ -e kill/ckpt/sample.h5.tmp ] || { echo "the kill left no unfinished checkpoint (the fault was not injected?)"; ls -l kill/ckpt; fail=1; }
step=$(h5dump -a /state/step kill/ckpt/sample.h5 2>/dev/null | sed -nE 's/^ *\(0\): ([0-9]+).*/\1/p')
[ "$step" = 600 ] || { echo "kill/ckpt/sample.h5 holds step '$step', want 600 (the second checkpoint)"; fail=1; }
umbra kill.log 0 sample -out kill $O -restart
said kill.log "warning: -restart: kill/ckpt/sample.h5.tmp is a checkpoint whose writing was interrupted" "that it found an unfinished checkpoint"
said kill.log "restarting from kill/ckpt/sample.h5 at step 600" "where it continues"
h5diff --exclude-path /provenance ref/samples.h5 kill/samples.h5 >/dev/null 2>&1 || { echo "samples.h5 differs after the restart"; fail=1; }
cmp -s <(tail -n +2 ref/windows.csv) <(tail -n +2 kill/windows.csv) || { echo "windows.csv differs after the restart"; fail=1; }
[ -e kill/ckpt/sample.h5.tmp ] && { echo "kill/ckpt/sample.h5.tmp left behind"; fail=1; }

# 2. training on those samples, killed while writing its third checkpoint (step 15)
for d in gref gkill gtrunc; do mkdir -p $d && ln -sf ../ref/samples.h5 $d/samples.h5; done
umbra gref.log 0 train -out gref $GAN
UMBRA_FAULT_KILL_IN_CHECKPOINT=3 umbra gkill.log killed train -out gkill $GAN
[ -e gkill/ckpt/train.h5.tmp ] || { echo "the kill left no unfinished training checkpoint"; ls -l gkill/ckpt; fail=1; }
cp -r gkill/ckpt gtrunc/
umbra gkill.log 0 train -out gkill $GAN -restart
said gkill.log "warning: -restart: gkill/ckpt/train.h5.tmp is a checkpoint whose writing was interrupted" "that it found an unfinished checkpoint"
said gkill.log "restarting from gkill/ckpt/train.h5 at generator step 10" "where it continues"
same_gan() { # dir
  h5diff --exclude-path /provenance gref/gan.h5 "$1/gan.h5" >/dev/null 2>&1 || { echo "$1/gan.h5 differs from an uninterrupted run"; fail=1; }
  cmp -s <(tail -n +2 gref/train.csv | cut -d, -f1-10) <(tail -n +2 "$1/train.csv" | cut -d, -f1-10) || { echo "$1/train.csv differs"; fail=1; }
}
same_gan gkill

# 3. a truncated training checkpoint: the previous one (step 5) is used
truncate -s 3000 gtrunc/ckpt/train.h5
umbra gtrunc.log 0 train -out gtrunc $GAN -restart
said gtrunc.log "warning: -restart: checkpoint gtrunc/ckpt/train.h5 is not usable \(.*\); continuing from the previous one, gtrunc/ckpt/train.prev.h5" "that it falls back"
said gtrunc.log "restarting from gtrunc/ckpt/train.prev.h5 at generator step 5" "where it continues"
same_gan gtrunc
exit $fail
