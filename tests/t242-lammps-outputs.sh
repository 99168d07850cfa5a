#!/usr/bin/env bash
# The outputs of a molecular model (alanine dipeptide through LAMMPS, a short run on phi):
# samples.h5 describes the atoms (/atoms: id 1..22, type, mass, name, element), the temperature
# and the energy unit, and its attribute coordinates holds all 66 coordinate names (it was cut
# short at 255 characters before); fes -fes_units kcal/mol converts with k_B T.
# Catches: atoms missing or out of order, names cut short, a lost temperature or unit.
set -u
"$UMBRA" sample -model lammps 2>&1 | grep -q 'built without LAMMPS' && { echo "built without LAMMPS"; exit 77; }
command -v h5dump >/dev/null || { echo "no h5dump"; exit 77; }
fail=0
run() { # np args...
  local np=$1
  shift
  timeout 300 $MPIEXEC -n "$np" $MPIEXEC_FLAGS "$UMBRA" "$@" </dev/null >>log.txt 2>&1 || { echo "umbra $* failed:"; tail -n 20 log.txt; fail=1; }
}
OPTS="-options_file $SRCDIR/inputs/ala2-phi.opts -lammps_input $SRCDIR/inputs/ala2/ala2.in -us_windows 12 -us_walkers 1 -us_steps 1200 -us_burnin 200 -us_stride 20 -us_minimize_its 50"
run 2 sample $OPTS -out a
[ $fail = 0 ] || exit 1
val() { h5dump -d "$1" a/samples.h5 | awk '/DATA \{/{f=1;next} /^ *\}/{f=0} f' | sed 's/([0-9]*)://' | tr -d ' \n'; }
attr() { h5dump -a "$1" a/samples.h5 | awk '/DATA \{/{f=1;next} /^ *\}/{f=0} f' | sed 's/([0-9]*)://' | tr -d ' \n'; }
[ "$(val /atoms/id)" = "$(seq -s, 1 22)" ] || { echo "/atoms/id is $(val /atoms/id)"; fail=1; }
[ "$(val /atoms/element)" = '"C","H","H","H","C","O","N","H","C","H","C","H","H","H","C","O","N","H","C","H","H","H"' ] || { echo "/atoms/element is $(val /atoms/element)"; fail=1; }
[ "$(val /atoms/name | cut -d, -f1-3,9)" = '"CH3","HH31","HH32","CA"' ] || { echo "/atoms/name is $(val /atoms/name)"; fail=1; }
[ "$(val /atoms/mass | cut -d, -f1,2,6)" = "12.01,1.008,16" ] || { echo "/atoms/mass is $(val /atoms/mass)"; fail=1; }
[ "$(val /atoms/type | awk -F, '{print NF}')" = 22 ] || { echo "/atoms/type is $(val /atoms/type)"; fail=1; }
[ "$(attr /samples/temperature)" = 300 ] || { echo "temperature is $(attr /samples/temperature)"; fail=1; }
[ "$(attr /samples/energy_unit)" = '"kcal/mol"' ] || { echo "energy_unit is $(attr /samples/energy_unit)"; fail=1; }
coords=$(attr /samples/coordinates | tr -d '"')
[ "$(echo "$coords" | tr ',' '\n' | wc -l)" = 66 ] && [ "${coords##*,}" = a22_z ] || { echo "coordinates is '$coords'"; fail=1; }
# fes in kcal/mol: F_kcal_mol = F k_B T with k_B T = 0.0019872 * 300 kcal/mol
run 1 fes $OPTS -out a -fes_units kcal/mol
awk -F, '!/^#/ && $1 != "z" && $2 != "nan" { r = $4 / $2; if ($2 > 0.5 && (r < 0.5961 || r > 0.5962)) { print "F_kcal_mol / F = " r " at z = " $1; bad = 1 } } END { exit bad }' a/fes.csv || fail=1
exit $fail
