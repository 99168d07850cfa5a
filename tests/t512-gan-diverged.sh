#!/usr/bin/env bash
# Training that diverges stops on every rank with exit 1, the epoch, the loss and the remedy,
# and writes nothing over good results. Learning rate 5 (the default is 2e-4) makes the critic
# loss explode to about 1e7 in epoch 2, after a checkpoint at step 15; the exact reduction makes
# this step the same at any rank count.
# Catches: a finite but exploding loss not stopped (-gan_loss_limit), a rank deciding alone (a
# hang at 3 ranks), a message without the epoch, the loss, the options to change or the kept
# checkpoint, gan.h5 of an earlier good training overwritten, a checkpoint with diverged
# (non-finite) parameters, a negative -gan_loss_limit accepted.
set -u
fail=0
. "$SRCDIR/tests/bad-input.sh"
PY=${PYTHON:-/usr/bin/python3}
G="-generator gan -gan_batch 32 -gan_layers 8 -gan_reduce_mode exact -progress_interval 1000"
timeout 300 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" sample -us_windows 4 -us_walkers 2 -us_steps 3000 -us_stride 10 -out data </dev/null >sample.log 2>&1 ||
  { echo "sampling failed:"; cat sample.log; exit 1; }
timeout 300 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" train -out data $G -gan_epochs 2 </dev/null >train.log 2>&1 ||
  { echo "training failed:"; cat train.log; exit 1; }
good=$(md5sum <data/gan.h5)
cases=(
  "1|training diverged in epoch 2 \(generator step 20\): the critic loss reached [0-9.]+e\+0[6-9], beyond -gan_loss_limit 1e\+06; lower the learning rates \(-gan_lr, now 5 for the generator and 5 for the critic; try -gan_lr 0.5\), or steady the critic with more -gan_critic_steps \(now 5\) or a larger -gan_gp_lambda \(now 10\); gan.h5 is not written, the last checkpoint, data/ckpt/train.h5 at generator step 15, is kept|train -out data $G -gan_epochs 10 -gan_checkpoint_interval 5 -gan_lr 5"
  "2|-gan_loss_limit must be non-negative \(0 = no limit\), got -1|train -out data $G -gan_loss_limit -1"
)
expect_errors "1 3"
[ "$(md5sum <data/gan.h5)" = "$good" ] || { echo "the diverged training changed gan.h5"; fail=1; }
[ -e data/ckpt/train.h5 ] || { echo "no checkpoint kept"; fail=1; }
if "$PY" -c 'import h5py, numpy' 2>/dev/null; then
  "$PY" - <<'PYEOF' || fail=1
import h5py, numpy as np, sys
with h5py.File('data/ckpt/train.h5', 'r') as f:
    step = int(np.ravel(f['state'].attrs['step'])[0])
    bad = [n for n in ('generator/theta', 'critic/theta') if not np.all(np.isfinite(f[n][...]))]
if step != 15 or bad:
    print('checkpoint at step %d (want 15), non-finite: %s' % (step, bad)); sys.exit(1)
PYEOF
fi
exit $fail
