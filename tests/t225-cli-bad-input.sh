#!/usr/bin/env bash
# Bad input ends the run on every rank with one clear message naming the cause, a non-zero exit
# code (2 = bad input, 1 = numerical failure), no hang and no partial output. Each case runs at
# 1 and 3 ranks under a hang guard.
set -u
fail=0
. "$SRCDIR/tests/bad-input.sh"
touch not-a-dir
printf 'not an hdf5 file\n' > fake.h5
printf -- '-fes_bootstrap 0\n-fes_tol\n' > novalue.opts
cases=(
  # exit | pattern (extended regex) | arguments
  "2|unknown command 'frobnicate'|frobnicate"
  "2|unknown or unused option: -us_stpes|sample -us_stpes 10"
  "2|unknown or unused option: -fastslow_a|sample -fastslow_coupling tilted -fastslow_a 2"
  "2|invalid value 'abc' for -us_dt|sample -us_dt abc"
  "2|-us_dt must be positive|sample -us_dt -0.1"
  "2|-us_dt must be positive|sample -us_dt 0"
  "2|option -us_dt needs a value \(given without one, it would keep its default\)|sample -us_dt -us_steps 100"
  "2|option -fes_tol needs a value|fes -options_file novalue.opts"
  "2|option -us_steps needs a value|sample -us_walkers 2 -us_steps"
  "2|option -gan_epochs needs a value|train -generator gan -gan_epochs -gan_batch 64"
  "2|-us_steps must be positive|sample -us_steps 0"
  "2|-us_steps must be positive|sample -us_steps -5"
  "2|-us_walkers must be positive|sample -us_walkers 0"
  "2|-us_walkers must be positive|sample -us_walkers -2"
  "2|-us_stride must be positive|sample -us_stride 0"
  "2|-us_burnin must be non-negative|sample -us_burnin -1"
  "2|-us_kappa must be non-negative|sample -us_kappa -1"
  "2|-us_range: lo must be below hi|sample -us_range 1,-1"
  "2|-us_range: lo must be below hi|sample -us_range 0.5,0.5"
  "2|-us_windows must be at least 1|sample -us_windows 0"
  "2|-cv_index 7 is not a coordinate of model fastslow|sample -cv coord -cv_index 7"
  "2|-us_windows needs 1 value for this 1-D CV|sample -us_windows 4,4"
  "2|-us_range needs 4 values|sample -cv coord -cv_index 0,1 -us_range -1,1"
  "2|-cv_weights needs 5 values|sample -cv linear -cv_weights 1,2"
  "2|-cv dihedral needs a model whose coordinates are atom positions \(n a multiple of 3\), model fastslow has n = 5|sample -cv dihedral -cv_atoms 1,2,3,4"
  "2|-cv dihedral needs -cv_atoms with 4 atom ids|sample -fastslow_m 11 -cv dihedral"
  "2|-cv_atoms: -cv dihedral takes 4 atom ids \(or 8 for a 2-D CV\), got 3|sample -fastslow_m 11 -cv dihedral -cv_atoms 1,2,3"
  "2|-cv_atoms: atom 5 is not an atom of model fastslow, which has 4 \(ids 1..4\)|sample -fastslow_m 11 -cv distance -cv_atoms 1,5"
  "2|-cv_atoms: component 1 lists atom 2 twice|sample -fastslow_m 11 -cv distance -cv_atoms 2,2"
  "2|Unknown option grad for -cv_angle_unit|sample -fastslow_m 11 -cv dihedral -cv_atoms 1,2,3,4 -cv_angle_unit grad"
  "2|Unknown option rk4 for -us_integrator|sample -us_integrator rk4"
  "2|Unknown option foo for -model|sample -model foo"
  "2|-beta must be positive|sample -beta -1"
  "2|-fastslow_m must be at least 1|sample -fastslow_m 0"
  "2|-fastslow_eps must be positive|sample -fastslow_eps 0"
  "2|cannot read options file missing.opts|sample -options_file missing.opts"
  "2|cannot create directory /proc/umbra-test|sample -out /proc/umbra-test/run"
  "2|-out not-a-dir is not a directory|sample -out not-a-dir"
  "2|cannot read nope.h5: no such file|info nope.h5"
  "2|fake.h5 is not an HDF5 file|info fake.h5"
  "2|-us_dt 0.05 is unstable: window [0-9]+ .* rate [0-9.]+, mostly along coordinate y[0-9]; the largest stable time step is 2/rate = 0.004[0-9]*: lower -us_dt to about a tenth of it, 0.00042|sample -us_dt 0.05 -us_steps 1000 -out unstable"
  "1|window 0 \(centre -1.5\) blew up at step [0-9]+, walker [0-9]+.*lower -us_dt \(now 0.05; -us_stability_check 1 estimates the largest stable step\)|sample -us_dt 0.05 -us_steps 1000 -us_stability_check 0 -out blowup"
)
expect_errors "1 3"
for d in blowup unstable; do
  [ -e $d/samples.h5 ] || [ -e $d/samples.h5.tmp ] || [ -e $d/samples.h5.partial ] && { echo "a failed run left $d/samples.h5 behind"; fail=1; }
done
# allowed: kappa 0 (an unbiased run) and a misspelled option with -options_allow_unused
timeout 120 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" sample -us_kappa 0 -us_windows 2 -us_steps 200 -us_stride 10 -out ok </dev/null >ok.log 2>&1 || { echo "kappa 0 refused"; cat ok.log; fail=1; }
timeout 120 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" sample -us_stpes 1 -options_allow_unused -us_windows 2 -us_steps 200 -us_stride 10 -out ok2 </dev/null >ok2.log 2>&1 || { echo "-options_allow_unused refused"; cat ok2.log; fail=1; }
grep -q "warning: option not used by this command: -us_stpes" ok2.log || { echo "no warning for an allowed unused option"; fail=1; }
exit $fail
