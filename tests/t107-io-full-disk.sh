#!/usr/bin/env bash
# A full disk, made with a small tmpfs (needs root to mount it: skipped otherwise) filled to the
# last block:
#  1. sampling on 2 ranks whose checkpoint directory is on the full disk: the checkpoint write
#     fails with one error naming the checkpoint's file and the full disk (exit 2); the previous
#     checkpoints are unchanged byte for byte and no temporary file is left; with space again,
#     -restart finishes with samples.h5 and windows.csv bit-identical to an uninterrupted run;
#  2. `umbra fes` and `umbra closure` whose results (fes.h5, closures.csv) go to the full disk:
#     the same kind of error naming the file; the results of an earlier run and the inputs are
#     unchanged, nothing is left under a final or temporary name; with space again the rerun
#     gives results identical to a run on an ordinary disk.
# Catches: write errors that are ignored (a checkpoint or result that is silently incomplete),
# a failure on one rank that leaves the other waiting, a partial file published under the
# final name or a good file overwritten in place, a message that does not name the file.
set -u
fail=0
. "$SRCDIR/tests/bad-input.sh"
export OMPI_MCA_rmaps_base_oversubscribe=1
mkdir disk
mount -t tmpfs -o size=512k tmpfs disk 2>/dev/null || { echo "cannot mount a tmpfs here (not root?)"; exit 77; }
trap 'umount disk' EXIT
fill() { dd if=/dev/zero of=disk/fill bs=4k >/dev/null 2>&1; sync; }
O="-us_windows 4 -us_walkers 2 -us_steps 3000 -us_stride 10 -us_burnin 100 -us_chunk_steps 300 -us_checkpoint_interval 1e-9 -progress_interval 1000"
umbra() { expect_exit "$@"; } # log expected-exit args...
refused() { # log file: one error line naming file and the full disk
  [ "$(grep -c '^umbra: error' "$1")" = 1 ] && grep -Eq "^umbra: error( \(rank [0-9]+\))?: .*$2.*(No space left on device|disk is full)" "$1" ||
    { echo "$1: not one error naming $2 and the full disk:"; grep -v '^ *$' "$1" | grep -iv warning | tail -n 6; fail=1; }
}
unchanged() { # saved-dir dir files...
  local a=$1 b=$2 f
  shift 2
  for f in "$@"; do cmp -s "$a/$f" "$b/$f" || { echo "$b/$f changed"; fail=1; }; done
}
noleft() { # dir: no temporary file
  [ -z "$(find "$1" -name '*.tmp')" ] || { echo "temporary files left: $(find "$1" -name '*.tmp')"; fail=1; }
}

# 1. a checkpoint on the full disk
umbra ref.log 0 sample -out ref $O
mkdir -p run disk/ckpt && ln -s "$PWD/disk/ckpt" run/ckpt
umbra run.log 3 sample -out run $O -us_stop_step 600
cp -r disk/ckpt saved
fill
umbra full.log 2 sample -out run $O -restart
refused full.log "run/ckpt/sample.h5"
unchanged saved disk/ckpt sample.h5 sample.prev.h5
noleft disk
rm disk/fill
umbra run.log 0 sample -out run $O -restart
h5diff --exclude-path /provenance ref/samples.h5 run/samples.h5 >/dev/null 2>&1 || { echo "samples.h5 differs after the restart"; fail=1; }
cmp -s <(tail -n +2 ref/windows.csv) <(tail -n +2 run/windows.csv) || { echo "windows.csv differs after the restart"; fail=1; }

# 2. results on the full disk
rm -rf disk/ckpt
mkdir disk/res && cp ref/samples.h5 ref/windows.csv disk/res/
umbra res.log 0 fes -out disk/res -fes_bootstrap 0
umbra res.log 0 closure -out disk/res -closure_gan false
cp -r ref fes50 && umbra fes50.log 0 fes -out fes50 -fes_bootstrap 0 -fes_bins 50
umbra fes50.log 0 closure -out fes50 -closure_gan false -closure_grid -1,1,9
cp -r disk/res saved2
fill
umbra fesfull.log 2 fes -out disk/res -fes_bootstrap 0 -fes_bins 50
refused fesfull.log "disk/res/fes.h5"
umbra clfull.log 2 closure -out disk/res -closure_gan false -closure_grid -1,1,9
refused clfull.log "disk/res/closures.csv"
unchanged saved2 disk/res samples.h5 windows.csv fes.h5 fes.csv closures.csv
noleft disk
rm disk/fill
umbra res.log 0 fes -out disk/res -fes_bootstrap 0 -fes_bins 50
umbra res.log 0 closure -out disk/res -closure_gan false -closure_grid -1,1,9
h5diff --exclude-path /provenance fes50/fes.h5 disk/res/fes.h5 >/dev/null 2>&1 || { echo "fes.h5 differs after the rerun"; fail=1; }
cmp -s <(tail -n +2 fes50/closures.csv) <(tail -n +2 disk/res/closures.csv) || { echo "closures.csv differs after the rerun"; fail=1; }
exit $fail
