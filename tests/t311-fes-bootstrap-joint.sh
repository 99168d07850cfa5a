#!/usr/bin/env bash
# The MBAR bootstrap with the replicas of a batch solved together (-fes_bootstrap_joint, the
# default: one pass over the samples per iteration for all replicas, chord steps with the
# full-data Hessian) gives the replicas that one full solve per replica gives (-fes_bootstrap_joint
# false): the replicas' f and F(z) and the bootstrap errors agree to 1e-5 kT, everything else of
# fes.h5 to round-off (1e-10). Why 1e-5: both paths stop at the replica tolerance 1e-8 on
# max_k |sum_n W_nk - 1| from the same start but by different steps, so they agree to what that
# gradient leaves in f, the gradient times the inverse Hessian: up to ~2e-6 kT in the 2-D case,
# whose weakest neighbour overlap is 0.0026 (1e-7 in the 1-D case); 1e-5 kT is still four orders
# of magnitude below the bootstrap errors themselves (0.1-0.7 kT here). Cases: a 1-D CV with correlated frames (blocks of several frames) on 1 and 2
# ranks, and a 2-D CV (no banded scan). The joint path must really run: fewer than one pass over
# the samples per replica, and no replica left to a separate solve.
# Catches: replicas' multiplicities other than the block bootstrap's, a wrong replica gradient
# (factor exp(f^r - f)), profile sums of the wrong replica or shift, a replica that stops early.
set -u
fail=0
run() { # dir np args...
  local dir=$1 np=$2
  shift 2
  timeout 300 $MPIEXEC -n "$np" $MPIEXEC_FLAGS "$UMBRA" "$@" -out "$dir" </dev/null >>"$dir.log" 2>&1 || { echo "umbra $* failed:"; tail -n 20 "$dir.log"; fail=1; }
}
check() { # name np fes-options...
  local name=$1 np=$2
  shift 2
  for m in joint sep; do mkdir -p "$name.$m.$np" && cp "$name/samples.h5" "$name.$m.$np/"; done
  run "$name.joint.$np" "$np" fes -fes_bootstrap 20 "$@"
  run "$name.sep.$np" "$np" fes -fes_bootstrap 20 -fes_bootstrap_joint false "$@"
  if ! h5diff -d 1e-5 --exclude-path /provenance "$name.sep.$np/fes.h5" "$name.joint.$np/fes.h5" >"$name.$np.diff" 2>&1; then
    echo "$name ($np ranks): joint and separate bootstrap differ by more than 1e-5:"; head -n 20 "$name.$np.diff"; fail=1
  fi
  for d in /windows/f /windows/df_asymptotic /profile/F /profile/dF_asymptotic /samples/log_normaliser /diagnostics/overlap; do
    h5diff -d 1e-10 "$name.sep.$np/fes.h5" "$name.joint.$np/fes.h5" "$d" >/dev/null 2>&1 || { echo "$name ($np ranks): $d differs beyond round-off"; fail=1; }
  done
  p=$(sed -n 's/.*(bootstrap, 20 replicas, \([0-9.e+-]*\) passes each.*/\1/p' "$name.joint.$np.log" | tail -n 1)
  awk -v p="$p" 'BEGIN { exit !(p != "" && p < 1) }' || { echo "$name ($np ranks): the joint bootstrap took '$p' passes per replica (want < 1)"; fail=1; }
  grep -q "separately" "$name.joint.$np.log" && { echo "$name ($np ranks): replicas were left to a separate solve:"; grep separately "$name.joint.$np.log"; fail=1; }
}
mkdir -p oned twod
run oned 2 sample -us_windows 8 -us_walkers 3 -us_steps 6000 -us_stride 4
run twod 2 sample -cv coord -cv_index 0,1 -us_windows 3,2 -us_range -1,1,0,1 -us_kappa 30,10 -us_steps 3000 -us_stride 5
check oned 1 -fes_bins 40
check oned 2 -fes_bins 40
check twod 1
exit $fail
