#!/usr/bin/env bash
# Bootstrap checkpoints of umbra fes: stopped after a replica (-fes_stop_replica: exit code 3,
# ckpt/fes.h5 holding the replicas done, no fes.h5) and restarted, fes.h5 (every dataset),
# fes.csv and windows.csv are bit-identical to an uninterrupted run on the same rank count
# (MBAR on 1 and on 2 ranks, WHAM). Stopped on 2 ranks and restarted on 1, the results agree
# with the 1-rank run to 1e-10 (as in t303: the full-data solution sums the ranks' partial sums
# in another order, so across rank counts fes is equal to round-off only). The restart really
# uses the checkpoint's replicas: one altered by 1 in the checkpoint changes the bootstrap
# errors. Refused: another -fes_bins (named), -restart without a checkpoint.
# Catches: replicas read back into the wrong rows, a replica lost or recomputed with another
# stream at the boundary, a restart that ignores the checkpoint, results written by a stopped run.
set -u
fail=0
. "$SRCDIR/tests/bad-input.sh"
export OMPI_MCA_rmaps_base_oversubscribe=1
timeout 300 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" sample -us_windows 7 -us_walkers 3 -us_steps 6000 -us_stride 10 -out base </dev/null >base.log 2>&1 ||
  { echo "sampling failed:"; tail -n 20 base.log; exit 1; }
F="-fes_bootstrap 12 -fes_bins 40 -progress_interval 1000"
fes() { # dir np expected-exit options...
  local dir=$1 np=$2 want=$3 rc
  shift 3
  if [ ! -d "$dir" ]; then mkdir -p "$dir" && cp base/samples.h5 base/windows.csv "$dir/"; fi
  timeout 300 $MPIEXEC -n "$np" $MPIEXEC_FLAGS "$UMBRA" fes -out "$dir" $F "$@" </dev/null >>"$dir.log" 2>&1
  rc=$?
  [ $rc = "$want" ] || { echo "fes in $dir on $np ranks ($*): exit $rc, want $want:"; tail -n 8 "$dir.log"; fail=1; }
}
same() { # reference dir [h5diff options]
  local a=$1 b=$2
  shift 2
  h5diff "$@" --exclude-path /provenance "$a/fes.h5" "$b/fes.h5" >"$b.diff" 2>&1 ||
    { echo "$a/fes.h5 and $b/fes.h5 differ:"; head -n 10 "$b.diff"; fail=1; }
  [ $# = 0 ] || return 0
  for f in fes.csv windows.csv; do
    diff <(tail -n +2 "$a/$f") <(tail -n +2 "$b/$f") >/dev/null || { echo "$a/$f and $b/$f differ"; fail=1; }
  done
}
stopped() { # dir replicas
  [ -e "$1/fes.h5" ] && { echo "a stopped run wrote $1/fes.h5"; fail=1; }
  grep -q "stopped after replica $2 as asked" "$1.log" || { echo "$1: no stop message after replica $2"; fail=1; }
  n=$(h5dump -a /bootstrap/replicas_done "$1/ckpt/fes.h5" 2>/dev/null | sed -nE 's/^ *\(0\): ([0-9]+).*/\1/p')
  [ "$n" = "$2" ] || { echo "$1/ckpt/fes.h5 holds '$n' replicas, want $2"; fail=1; }
}
# MBAR, 1 rank and 2 ranks
fes ref1 1 0
fes m1 1 3 -fes_stop_replica 5
stopped m1 5
cp -r m1 bins; cp -r m1 altered
fes m1 1 0 -restart
grep -q "restarting the bootstrap from m1/ckpt/fes.h5 after replica 5 of 12" m1.log || { echo "no restart message"; fail=1; }
[ -e m1/ckpt/fes.h5 ] && { echo "m1/ckpt/fes.h5 left behind by a finished run"; fail=1; }
same ref1 m1
fes ref2 2 0
fes m2 2 3 -fes_stop_replica 4
stopped m2 4
fes m2 2 0 -restart
same ref2 m2
# 2 ranks -> 1 rank: round-off
fes m21 2 3 -fes_stop_replica 7
fes m21 1 0 -restart
same ref1 m21 -d 1e-10
# WHAM
fes wref 1 0 -fes_type wham -fes_bins 30
fes w1 1 3 -fes_type wham -fes_bins 30 -fes_stop_replica 3
stopped w1 3
fes w1 1 0 -fes_type wham -fes_bins 30 -restart
same wref w1
# the checkpoint's replicas are the ones used
if /usr/bin/python3 -c 'import h5py' 2>/dev/null; then
  /usr/bin/python3 -c 'import h5py; f = h5py.File("altered/ckpt/fes.h5", "r+"); f["/bootstrap/f"][2, 3] += 1.0'
  fes altered 1 0 -restart
  h5diff -q --exclude-path /provenance ref1/fes.h5 altered/fes.h5 >/dev/null 2>&1 &&
    { echo "a replica altered in the checkpoint did not change the result: the restart ignores the checkpoint"; fail=1; }
fi
# refused
expect_error 1 2 "-fes_bins is 20 here but 40 in the checkpoint bins/ckpt/fes.h5" "fes -out bins $F -fes_bins 20 -restart"
expect_error 2 2 "-restart: there is no checkpoint ref1/ckpt/fes.h5 .*written by umbra fes" "fes -out ref1 $F -restart"
exit $fail
