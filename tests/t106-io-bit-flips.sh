#!/usr/bin/env bash
# Single flipped bits in umbra's HDF5 files: one bit at each of 30 offsets spread over a small
# samples.h5 (read by `umbra fes` and `umbra closure`) and over a sampling checkpoint (read by
# `sample -restart`); the offsets and bits are fixed, so every run flips the same ones. Every
# case must end in one of
#  - exit 2 with one error line naming the damaged file (samples.h5);
#  - for the checkpoint: the fallback to ckpt/sample.prev.h5 with a warning naming the damaged
#    file, then results bit-identical to an uninterrupted run;
#  - exit 0 with results bit-identical to those from the undamaged file (a bit that no reader
#    uses, such as free space or a provenance string);
# never a crash, a hang (60 s) or different numbers. Every third case runs on 2 ranks (on
# 2 ranks only one of them may read the damaged block: they must still agree).
# Catches: data without checksums (a flipped bit in a coordinate gives other free energies
# silently), a damaged checkpoint that is used (other samples) or not replaced by the previous
# one, a failed read on one rank that leaves the other waiting, a reader that crashes on a
# damaged header, an error message that does not name the file.
set -u
fail=0
export OMPI_MCA_rmaps_base_oversubscribe=1
N=30
O="-us_windows 4 -us_walkers 2 -us_steps 2000 -us_stride 10 -us_burnin 100 -us_chunk_steps 200 -progress_interval 1000"
FES="-fes_bootstrap 0"
CL="-closure_gan false"
flip() { # file offset bit: flips one bit in place
  local b
  b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
  # shellcheck disable=SC2059
  printf "$(printf '\\%03o' $((b ^ (1 << $3))))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
umbra() { # np args...: 1 rank without mpiexec
  local np=$1
  shift
  if [ "$np" = 1 ]; then timeout 60 "$UMBRA" "$@" </dev/null
  else timeout 60 $MPIEXEC -n "$np" $MPIEXEC_FLAGS "$UMBRA" "$@" </dev/null; fi
}
same() { # ref-file file
  h5diff -q --exclude-path /provenance "$1" "$2" >/dev/null 2>&1
}
# classify NAME RC LOG FILE: a crash, a hang, or an error that is not one line naming FILE fail
classify() {
  local name=$1 rc=$2 log=$3 file=$4
  if [ "$rc" = 124 ]; then echo "HANG: $name"; fail=1; return 1; fi
  if [ "$rc" -gt 128 ] || grep -Eq 'Segmentation fault|core dumped|exited on signal|signal [0-9]' "$log"; then
    echo "CRASH: $name (exit $rc)"; head -n 8 "$log"; fail=1; return 1
  fi
  if [ "$rc" != 0 ]; then
    if [ "$rc" != 2 ] || [ "$(grep -c '^umbra: error' "$log")" != 1 ] || ! grep -q "^umbra: error: .*$file" "$log"; then
      echo "BAD FAILURE: $name: exit $rc (want 2 and one error line naming $file)"; grep -v '^ *$' "$log" | head -n 8; fail=1
    fi
    return 1
  fi
  return 0
}
offset() { # i size: the i-th of N offsets spread over size bytes
  local off=$(($1 * $2 / N + ($1 * 7919) % 13))
  echo $((off < $2 ? off : $2 - 1))
}

umbra 2 sample -out ref $O >ref.log 2>&1 || { echo "sampling failed:"; tail ref.log; exit 1; }
# MBAR sums over ranks: the undamaged reference on each rank count
for np in 1 2; do
  mkdir -p fes$np && cp ref/samples.h5 ref/windows.csv fes$np/
  umbra $np fes -out fes$np $FES >>ref.log 2>&1 || { echo "fes failed:"; tail ref.log; exit 1; }
  umbra $np closure -out fes$np $CL >>ref.log 2>&1 || { echo "closure failed:"; tail ref.log; exit 1; }
done
umbra 2 sample -out stop $O -us_stop_step 1000 -us_checkpoint_interval 1e-9 >stop.log 2>&1
[ $? = 3 ] && [ -e stop/ckpt/sample.prev.h5 ] || { echo "the stopped run left no checkpoints:"; tail stop.log; exit 1; }

# 1. samples.h5 read by umbra fes
declare -A seen
size=$(stat -c %s ref/samples.h5)
for i in $(seq 0 $((N - 1))); do
  off=$(offset "$i" "$size") np=$((i % 3 ? 1 : 2))
  rm -rf s && mkdir s && cp ref/samples.h5 ref/windows.csv s/
  flip s/samples.h5 "$off" $((i % 8))
  umbra $np fes -out s $FES >s.log 2>&1
  rc=$?
  name="samples.h5 bit $((i % 8)) of byte $off, fes on $np ranks"
  if classify "$name" $rc s.log s/samples.h5; then
    same fes$np/fes.h5 s/fes.h5 || { echo "DIFFERENT RESULTS: $name"; fail=1; }
    seen[same]=$((${seen[same]:-0} + 1))
  else seen[error]=$((${seen[error]:-0} + 1)); sed -n 's/^umbra: error: //p' s.log | sed -E 's/[0-9]+/N/g' >>messages.txt; fi
  # the closures read every coordinate of every sample (fes reads the CV only)
  cp fes$np/fes.h5 s/
  umbra $np closure -out s $CL >s.log 2>&1
  rc=$?
  name="samples.h5 bit $((i % 8)) of byte $off, closure on $np ranks"
  if classify "$name" $rc s.log s/samples.h5; then
    cmp -s <(tail -n +2 fes$np/closures.csv) <(tail -n +2 s/closures.csv) || { echo "DIFFERENT RESULTS: $name"; fail=1; }
    seen[same]=$((${seen[same]:-0} + 1))
  else seen[error]=$((${seen[error]:-0} + 1)); sed -n 's/^umbra: error: //p' s.log | sed -E 's/[0-9]+/N/g' >>messages.txt; fi
done
[ -n "${seen[error]:-}" ] || { echo "no flipped bit in samples.h5 was detected"; fail=1; }

# 2. the latest checkpoint read by sample -restart
size=$(stat -c %s stop/ckpt/sample.h5)
for i in $(seq 0 $((N - 1))); do
  off=$(offset "$i" "$size") np=$((i % 3 ? 1 : 2))
  rm -rf c && cp -r stop c
  flip c/ckpt/sample.h5 "$off" $((i % 8))
  umbra $np sample -out c $O -restart >c.log 2>&1
  rc=$?
  name="ckpt/sample.h5 bit $((i % 8)) of byte $off, restart on $np ranks"
  if classify "$name" $rc c.log c/ckpt/sample.h5; then
    same ref/samples.h5 c/samples.h5 || { echo "DIFFERENT RESULTS: $name"; fail=1; }
    if grep -q "warning: -restart: checkpoint c/ckpt/sample.h5 is not usable" c.log; then
      grep -q "restarting from c/ckpt/sample.prev.h5" c.log || { echo "FALLBACK NOT TAKEN: $name"; fail=1; }
      seen[fallback]=$((${seen[fallback]:-0} + 1))
      grep -o 'is not usable (.*)' c.log | sed -E 's/[0-9]+/N/g' >>messages.txt
    fi
  fi
done
[ -n "${seen[fallback]:-}" ] || { echo "no flipped bit in the checkpoint led to the previous one"; fail=1; }
echo "samples.h5: ${seen[error]:-0} refused, ${seen[same]:-0} unchanged results; checkpoint: ${seen[fallback]:-0} fell back; messages:"
sort messages.txt | uniq -c | sort -rn
exit $fail
