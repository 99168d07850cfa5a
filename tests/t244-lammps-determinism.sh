#!/usr/bin/env bash
# Alanine dipeptide through LAMMPS (-us_integrator langevin, the default of -model lammps): the
# same seed gives bit-identical samples.h5 datasets and windows.csv at 1, 2 and 3 ranks (each
# call of the engine's thermostat is keyed by seed, window, walker and first step, and the
# automatic chunks do not depend on the rank count), and a run stopped at a checkpoint and
# continued with -restart (at another rank count) equals the uninterrupted run bit for bit
# (positions and velocities are checkpointed; the engine's runs restart at the same chunk
# boundaries). The umbrella with an overdamped integrator (-us_integrator lm, LAMMPS's forces
# through "run 0") is rank-count independent too.
# Engine groups (-us_ranks_per_window R: one LAMMPS instance on R ranks per group of windows):
# LAMMPS's thermostat draws per rank of its instance and sums forces in another order, so the
# numbers depend on R; with the atoms of each rank put in spatial order at every set-up they do
# not depend on the instance's history, so not on the number of groups: R = 2 on 2 ranks (one
# group) and on 4 ranks (two groups) give the same bits, and so does a run stopped at 2 ranks and
# continued at 4 with R = 2. R = 3 on 3 ranks runs, with a plausible temperature.
set -u
fail=0
"$UMBRA" sample -model lammps 2>&1 | grep -q 'built without LAMMPS' && { echo "skip: umbra was built without LAMMPS"; exit 77; }
O="-options_file $SRCDIR/inputs/ala2-phi.opts -lammps_input $SRCDIR/inputs/ala2/ala2.in -closure_plugin $BUILD/plugins/libdihedrals.so -us_windows 5 -us_walkers 2 -us_steps 6000 -us_burnin 600 -us_stride 20 -us_minimize_its 30"
run() { # dir np extra...
  local dir=$1 np=$2
  shift 2
  timeout 600 $MPIEXEC -n "$np" $MPIEXEC_FLAGS "$UMBRA" sample $O -out "$dir" "$@" </dev/null >>"$dir.log" 2>&1
}
same() { # a b what
  if ! h5diff --exclude-path /provenance "$1/samples.h5" "$2/samples.h5" >diff.txt 2>&1; then echo "$3: samples.h5 differ:"; head -n 5 diff.txt; fail=1; fi
  if ! diff <(tail -n +2 "$1/windows.csv") <(tail -n +2 "$2/windows.csv") >/dev/null; then echo "$3: windows.csv differ"; fail=1; fi
}
for np in 1 2 3; do run r$np $np || { echo "run at $np ranks failed"; tail -n 5 r$np.log; fail=1; }; done
same r1 r2 "1 and 2 ranks"
same r1 r3 "1 and 3 ranks"
# stop at the first chunk boundary after step 3000 on 2 ranks, continue on 3
run s 2 -us_stop_step 3000; rc=$?
[ $rc = 3 ] || { echo "-us_stop_step: exit $rc, want 3"; tail -n 5 s.log; fail=1; }
[ -e s/samples.h5 ] && { echo "a stopped run wrote samples.h5"; fail=1; }
run s 3 -restart || { echo "restart failed"; tail -n 5 s.log; fail=1; }
grep -q "restarting from" s.log || { echo "the restart did not read the checkpoint"; fail=1; }
same r1 s "restart"
# the temperature column is there and plausible
awk -F, '!/^#/ && NR > 2 { if ($6 < 250 || $6 > 350) bad = 1 } END { exit bad }' r1/windows.csv || { echo "windows.csv temperature implausible"; fail=1; }
# the overdamped integrator with the engine's forces
for np in 1 3; do run lm$np $np -us_integrator lm -us_dt 0.02 -us_steps 600 -us_burnin 0 -us_stride 10 || { echo "lm at $np ranks failed"; tail -n 5 lm$np.log; fail=1; }; done
same lm1 lm3 "lm, 1 and 3 ranks"
# engine groups (4 windows, a shorter preparation: every LAMMPS call costs more on shared instances)
O="$O -us_windows 4 -us_minimize_its 10"
run g2 2 -us_ranks_per_window 2 || { echo "R = 2 on 2 ranks failed"; tail -n 5 g2.log; fail=1; }
run g4 4 -us_ranks_per_window 2 || { echo "R = 2 on 4 ranks failed"; tail -n 5 g4.log; fail=1; }
same g2 g4 "R = 2, one and two groups"
run gs 2 -us_ranks_per_window 2 -us_stop_step 3000; rc=$?
[ $rc = 3 ] || { echo "R = 2 with -us_stop_step: exit $rc, want 3"; tail -n 5 gs.log; fail=1; }
run gs 4 -us_ranks_per_window 2 -restart || { echo "R = 2 restart on 4 ranks failed"; tail -n 5 gs.log; fail=1; }
same g2 gs "R = 2, restart"
run g3 3 -us_ranks_per_window 3 || { echo "R = 3 on 3 ranks failed"; tail -n 5 g3.log; fail=1; }
for d in g2 g3; do
  awk -F, '!/^#/ && NR > 2 { if ($6 < 250 || $6 > 350) bad = 1 } END { exit bad }' $d/windows.csv || { echo "$d: windows.csv temperature implausible"; fail=1; }
done
grep -q "2 ranks per window: 2 groups" g4.log || { echo "R = 2 on 4 ranks: the log does not show 2 groups"; fail=1; }
exit $fail
