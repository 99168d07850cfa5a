#!/usr/bin/env bash
# Bad input to -model lammps ends the run on every rank with one clear message, a non-zero exit
# and no hang, at 1 and 3 ranks: a missing or unreadable input, a read_data file that does not
# exist, units other than real and metal, a non-positive temperature or damping time, -beta
# with the engine's temperature, dihedral atom ids that do not exist or repeat, the langevin
# integrator on a model without dynamics, flow moves with the engine's dynamics, a time step at
# which the molecule blows up (at 3 ranks also with one instance shared by the 3 ranks), a group
# size (-us_ranks_per_window) that does not divide the ranks, and groups for a model that has no
# engine. A LAMMPS error (an unknown command in the input) ends the process
# inside LAMMPS (this build has no exceptions): the run must still stop on every rank with a
# non-zero exit, umbra having said beforehand where LAMMPS's message goes, and the message is
# there.
set -u
fail=0
. "$SRCDIR/tests/bad-input.sh"
"$UMBRA" sample -model lammps 2>&1 | grep -q 'built without LAMMPS' && { echo "skip: umbra was built without LAMMPS"; exit 77; }
A=$SRCDIR/inputs/ala2
mkdir -p in
cp "$A/ala2.data" in/
sed 's/^units .*/units lj/' "$A/ala2.in" >in/lj.in
sed 's/^read_data.*/read_data ${umbra_dir}\/missing.data/' "$A/ala2.in" >in/nodata.in
cp "$A/ala2.in" in/ala2.in
sed 's/^neighbor .*/neighbor 2.0 nsq\nno_such_command 1/' "$A/ala2.in" >in/badcmd.in
cp "$A/ala2.in" in/unreadable.in && chmod 000 in/unreadable.in
M="sample -model lammps -lammps_input in/ala2.in -cv dihedral -cv_atoms 5,7,9,15 -us_windows 3 -us_steps 200 -us_stride 10 -us_dt 0.5 -us_minimize_its 5 -out out"
for np in 1 3; do
  expect_error $np 2 "-lammps_input: cannot read 'in/missing.in'" "sample -model lammps -lammps_input in/missing.in -out out"
  [ "$(id -u)" = 0 ] || expect_error $np 2 "cannot read 'in/unreadable.in'" "sample -model lammps -lammps_input in/unreadable.in -out out"
  expect_error $np 2 "read_data file 'in/missing.data' cannot be read" "sample -model lammps -lammps_input in/nodata.in -out out"
  expect_error $np 2 "units lj are not supported" "sample -model lammps -lammps_input in/lj.in -out out"
  expect_error $np 2 "-model lammps needs -lammps_input" "sample -model lammps -out out"
  expect_error $np 2 "-lammps_temp must be positive" "$M -lammps_temp -5"
  expect_error $np 2 "-lammps_damp must be positive" "$M -lammps_damp 0"
  expect_error $np 2 "drop -beta" "$M -beta 2"
  expect_error $np 2 "-cv_atoms.*99" "${M/5,7,9,15/5,7,9,99}"
  expect_error $np 2 "-cv_atoms.*(twice|repeat)" "${M/5,7,9,15/5,7,7,15}"
  expect_error $np 2 "-us_integrator langevin needs a model with dynamics" "sample -model fastslow -us_integrator langevin -out out"
  expect_error $np 1 "blew up at step" "$M -us_dt 40"
  expect_error $np 2 "-us_ranks_per_window 0 must divide" "$M -us_ranks_per_window 0"
  expect_error $np 2 "-us_ranks_per_window 2 must divide the number of ranks, $np," "$M -us_ranks_per_window 2"
done
expect_error 3 1 "blew up at step" "$M -us_dt 40 -us_ranks_per_window 3"
expect_error 3 2 "model fastslow evaluates a state on one rank" "sample -model fastslow -us_ranks_per_window 3 -us_steps 100 -us_stride 10 -out out"
# LAMMPS stops the process itself
for np in 1 3; do
  rm -rf lmp && mkdir lmp
  timeout 120 $MPIEXEC -n $np $MPIEXEC_FLAGS "$UMBRA" sample -model lammps -lammps_input in/badcmd.in -out lmp </dev/null >lmp.out 2>&1
  rc=$?
  if [ $rc = 124 ]; then echo "HANG ($np ranks) on a LAMMPS error"; fail=1
  elif [ $rc = 0 ]; then echo "exit 0 ($np ranks) on a LAMMPS error"; fail=1
  elif ! grep -q "its message is at the end of lmp/lammps.log" lmp.out; then echo "($np ranks) umbra did not say where LAMMPS's message goes:"; head -n 5 lmp.out; fail=1
  elif ! grep -q "ERROR: Unknown command: no_such_command" lmp/lammps.log; then echo "($np ranks) lmp/lammps.log lacks LAMMPS's message:"; tail -n 3 lmp/lammps.log; fail=1
  fi
done
chmod 644 in/unreadable.in
exit $fail
