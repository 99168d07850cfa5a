#!/usr/bin/env bash
# The outputs of a molecular model (alanine dipeptide through LAMMPS, a short run on phi):
# samples.h5 describes the atoms (/atoms: id 1..22, type, mass, name, element), the temperature
# and the energy unit, and its attribute coordinates holds all 66 coordinate names (it was cut
# short at 255 characters before); fes -fes_units kcal/mol converts with k_B T.
# umbra export -export_format xyz (docs/export.md) writes windows.xyz (one frame per window),
# minimum.xyz (frames of the lowest-F bin: the dihedral C-N-CA-C computed here from each frame's
# coordinates equals the phi its comment gives, to 1e-6 rad) and lift.xyz (the lifted states of
# a tiny flow, the default generator for a dihedral: its internal coordinates hold phi exactly,
# without projection; the same check; flow.h5 records the internal coordinates), the same at 1
# and 3 ranks; an analytic model's samples are refused. The dihedrals plugin's closures reach
# closures.csv.
# Catches: atoms missing or out of order, names cut short, a lost temperature or unit, frames
# that are not the rows their CV values come from, rank-dependent exports.
set -u
"$UMBRA" sample -model lammps 2>&1 | grep -q 'built without LAMMPS' && { echo "built without LAMMPS"; exit 77; }
command -v h5dump >/dev/null || { echo "no h5dump"; exit 77; }
fail=0
run() { # np args...
  local np=$1
  shift
  timeout 300 $MPIEXEC -n "$np" $MPIEXEC_FLAGS "$UMBRA" "$@" </dev/null >>log.txt 2>&1 || { echo "umbra $* failed:"; tail -n 20 log.txt; fail=1; }
}
OPTS="-options_file $SRCDIR/inputs/ala2-phi.opts -lammps_input $SRCDIR/inputs/ala2/ala2.in -closure_plugin $BUILD/plugins/libdihedrals.so -us_windows 12 -us_walkers 1 -us_steps 1200 -us_burnin 200 -us_stride 20 -us_minimize_its 50"
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
cat >dihedral.awk <<'AWK'
# XYZ frames: checks atom count lines and that the dihedral of atoms A,B,C,D (1-based) equals the
# value after "phi = " in the comment (as the last phi = in the line) to tol; prints the frame count
function dih(p, q, r, s,   b1x,b1y,b1z,b2x,b2y,b2z,b3x,b3y,b3z,n1x,n1y,n1z,n2x,n2y,n2z,nb2) {
  b1x = X[q]-X[p]; b1y = Y[q]-Y[p]; b1z = Z[q]-Z[p]
  b2x = X[r]-X[q]; b2y = Y[r]-Y[q]; b2z = Z[r]-Z[q]
  b3x = X[s]-X[r]; b3y = Y[s]-Y[r]; b3z = Z[s]-Z[r]
  n1x = b1y*b2z-b1z*b2y; n1y = b1z*b2x-b1x*b2z; n1z = b1x*b2y-b1y*b2x
  n2x = b2y*b3z-b2z*b3y; n2y = b2z*b3x-b2x*b3z; n2z = b2x*b3y-b2y*b3x
  nb2 = sqrt(b2x*b2x+b2y*b2y+b2z*b2z)
  return atan2(nb2*(b1x*n2x+b1y*n2y+b1z*n2z), n1x*n2x+n1y*n2y+n1z*n2z)
}
function check(  phi, d) {
  phi = dih(A, B, C, D); d = phi - want
  d -= 2*PI*int(d/(2*PI) + (d >= 0 ? 0.5 : -0.5))
  if (d < 0) d = -d
  if (d > tol) { printf "frame %d: dihedral %.10f, comment says %.10f\n", frames, phi, want; bad = 1 }
}
BEGIN { PI = atan2(0, -1); line = 0 }
{
  if (line == 0) { if ($1 != NATOMS) { print "frame " frames + 1 ": atom count " $1; bad = 1; exit } ; line = 1; next }
  if (line == 1) { frames++; s = $0; sub(/.*phi = /, "", s); want = s + 0; line = 2; i = 0; next }
  i++; if (NF != 4) { print "frame " frames ": bad atom line " $0; bad = 1 }
  X[i] = $2; Y[i] = $3; Z[i] = $4
  if (i == NATOMS) { check(); line = 0 }
}
END { if (line != 0) { print "truncated frame"; bad = 1 }; print frames; exit bad }
AWK
run 2 train $OPTS -out a -flow_batch 64 -flow_epochs 1 -flow_layers 16 -flow_couplings 2
[ -s a/flow.h5 ] || { echo "the default generator for a dihedral is not the flow"; fail=1; }
h5dump -a /flow/generated_coordinates a/flow.h5 2>/dev/null | grep -q '"internal coordinates of 22 atoms (table [0-9a-f]*)"' || { echo "flow.h5 does not record internal coordinates"; h5dump -a /flow/generated_coordinates a/flow.h5 | head; fail=1; }
run 2 lift $OPTS -out a -lift_z -1.3,1.0 -lift_n 3
[ "$(h5dump -a /lift/projected a/lift.h5 | awk '/DATA \{/{f=1;next} f && /\(0\)/{print $2; exit}')" = 0 ] || { echo "the flow's lifted states were projected"; fail=1; }
mkdir -p b && cp a/samples.h5 a/fes.h5 a/lift.h5 b/
run 1 export -out a -export_format xyz
run 3 export -out b -export_format xyz -export_xyz_frames 100
diff -r a/export b/export >/dev/null || { echo "xyz export at 1 and 3 ranks differs"; diff -r a/export b/export | head; fail=1; }
[ -e a/export/.xyz.tmp ] && { echo "staging directory left behind"; fail=1; }
for f in windows minimum lift; do [ -s a/export/xyz/$f.xyz ] || { echo "no $f.xyz"; fail=1; }; done
n=$(awk -v NATOMS=22 -v A=5 -v B=7 -v C=9 -v D=15 -v tol=1e-6 -f dihedral.awk a/export/xyz/minimum.xyz) || { echo "minimum.xyz: $n"; fail=1; }
[ "$(echo "$n" | tail -n 1)" -ge 1 ] 2>/dev/null && [ "$(echo "$n" | tail -n 1)" -le 100 ] || { echo "minimum.xyz has $n frames"; fail=1; }
[ "$(grep -c '^umbra window' a/export/xyz/windows.xyz)" = 12 ] || { echo "windows.xyz does not have 12 frames"; fail=1; }
[ "$(grep -c '^umbra lift: phi = ' a/export/xyz/lift.xyz)" = 6 ] || { echo "lift.xyz does not have 2 x 3 frames"; fail=1; }
# the lifted states hold their phi exactly (internal coordinates; not projected)
n=$(awk -v NATOMS=22 -v A=5 -v B=7 -v C=9 -v D=15 -v tol=1e-6 -f dihedral.awk a/export/xyz/lift.xyz) || { echo "lift.xyz: $n"; fail=1; }
run 1 export -out a -export_format xyz -export_xyz_frames 5
[ "$(grep -c '^umbra minimum' a/export/xyz/minimum.xyz)" = 5 ] || { echo "-export_xyz_frames 5 gives $(grep -c '^umbra minimum' a/export/xyz/minimum.xyz) frames"; fail=1; }
# closures of the plugin inputs/plugins/dihedrals.c (values checked against umbra's CVs in
# tests/t710): cos_psi, sin_psi and a distance reach closures.csv, finite at 5 or more grid
# points, the O-H distance between 1 and 10 A. (No bound on cos and sin: the physics route is a
# local linear regression, which may overshoot [-1, 1], and this run is too short for its error
# bars to mean much.)
run 2 closure $OPTS -out a -closure_gan false -closure_plugin "$BUILD/plugins/libdihedrals.so" -closure_plugin_options "psi=7,9,15,17 dOH=6,18" -closure_observables mean_force,cos_psi,sin_psi,dOH
awk -F, '/^#/ { next } $2 == "cos_psi" && $3 != "nan" { c[$1] = $3; ce[$1] = $4 } $2 == "sin_psi" && $3 != "nan" { s[$1] = $3; se[$1] = $4 } $2 == "dOH" && $3 != "nan" { d++; if ($3 < 1 || $3 > 10) { print "dOH = " $3 " at z = " $1; bad = 1 } }
  END { for (z in c) { n++; if (!(z in s)) { print "cos_psi without sin_psi at z = " z; bad = 1 } }
        if (n < 5 || d < 5) { print n " cos_psi and " d " dOH rows with values"; bad = 1 }; exit bad }' a/closures.csv || { echo "closures.csv: dihedrals plugin"; fail=1; }
# umbra dmap -dmap_atoms: the points of dmap.h5 are the samples' coordinates of the chosen atoms
# (heavy: the 10 that are not hydrogen; or ids), exactly; bad ids and a map of some atoms used as
# a CV are refused with one message
run 2 dmap $OPTS -out a -dmap_atoms heavy -dmap_points 300 -dmap_eps 2
mkdir -p d && cp a/samples.h5 d/
run 1 dmap $OPTS -out d -dmap_atoms 5,7,9,15 -dmap_points 300 -dmap_eps 2
"${PYTHON:-/usr/bin/python3}" - <<'PYEOF' || fail=1
import sys, h5py, numpy as np
bad = 0
for d, atoms, want in (("a", [1, 5, 6, 7, 9, 11, 15, 16, 17, 19], "10 of the 22 atoms (-dmap_atoms heavy)"), ("d", [5, 7, 9, 15], "4 of the 22 atoms (-dmap_atoms 5,7,9,15)")):
    with h5py.File(d + "/dmap.h5", "r") as f, h5py.File(d + "/samples.h5", "r") as s:
        pts, idx = f["/dmap/points"][...], f["/dmap/index"][...]
        got = f["/dmap"].attrs["atoms"]
        got = got.decode() if isinstance(got, bytes) else str(got)
        cols = [3 * (a - 1) + c for a in atoms for c in range(3)]
        x = s["/samples/x"][...][idx][:, cols]
    if pts.shape != (300, len(cols)) or not np.array_equal(pts, x) or got != want:
        print("%s/dmap.h5: points %s, equal to the samples' atoms %s, atoms '%s'" % (d, pts.shape, np.array_equal(pts, x) if pts.shape == x.shape else "-", got))
        bad = 1
sys.exit(bad)
PYEOF
for c in "23|-dmap_atoms: atom 23 does not exist" "5,5|-dmap_atoms: atom 5 is given twice" "C|-dmap_atoms takes all, heavy or 1-based atom ids"; do
  timeout 100 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" dmap $OPTS -out d -dmap_atoms "${c%%|*}" </dev/null >e.log 2>&1 && { echo "-dmap_atoms ${c%%|*} accepted"; fail=1; }
  [ "$(grep -c -e "${c#*|}" e.log)" = 1 ] || { echo "-dmap_atoms ${c%%|*}: message"; cat e.log; fail=1; }
done
timeout 100 $MPIEXEC -n 1 $MPIEXEC_FLAGS "$UMBRA" sample $OPTS -out e -cv dmap -cv_dmap_file a/dmap.h5 </dev/null >e.log 2>&1 && { echo "a map of some atoms was taken as a CV"; fail=1; }
grep -q "of some atoms only (-dmap_atoms)" e.log || { echo "-cv dmap on a map of some atoms: message"; cat e.log; fail=1; }
# an analytic model has no atoms
timeout 100 $MPIEXEC -n 1 $MPIEXEC_FLAGS "$UMBRA" sample -us_windows 3 -us_steps 200 -out c </dev/null >>log.txt 2>&1 || { echo "fastslow sampling failed"; fail=1; }
if timeout 100 $MPIEXEC -n 1 $MPIEXEC_FLAGS "$UMBRA" export -out c -export_format xyz </dev/null >c.log 2>&1; then
  echo "xyz export of fastslow samples succeeded"; fail=1
else grep -q 'needs the atoms of a molecular model' c.log || { echo "xyz export of fastslow samples: unclear message"; cat c.log; fail=1; }
fi
[ -e c/export/xyz ] && { echo "a refused export left c/export/xyz"; fail=1; }
exit $fail
