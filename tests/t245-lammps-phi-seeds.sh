#!/usr/bin/env bash
# LONG: the full alanine dipeptide phi campaign (inputs/ala2-phi.opts) three times, minutes
# Alanine dipeptide F(phi), the campaign of inputs/ala2-phi.opts (36 windows, 2 x 100 ps per
# window, 2 ranks), with two seeds and at a wrong temperature:
#   - two seeds give the same F(phi) within their bootstrap errors: on every bin with F < 10 kT
#     in both, |F_1 - F_2| / sqrt(dF_1^2 + dF_2^2) <= 4 (both profiles relative to their lowest
#     bin; the bins are correlated, so a per-bin two-sided level of 6e-5 is conservative over the
#     ~60 bins, family-wise below 0.4%). At a fifth of this length (t242's runs) the seeds differ
#     by up to 8 of their error bars: psi relaxes slowly inside a phi window, which the block
#     bootstrap over the IACT of phi does not see (docs/molecules.md);
#   - the same comparison against the run at 360 K must fail: the check sees a wrong temperature;
#   - the thermostat over the 72 windows of the two seeds, as in t242;
#   - prints the minima (C7eq, C5, C7ax) and barriers with their error bars for docs/models.md.
set -u
fail=0
"$UMBRA" sample -model lammps 2>&1 | grep -q 'built without LAMMPS' && { echo "skip: umbra was built without LAMMPS"; exit 77; }
O="-options_file $SRCDIR/inputs/ala2-phi.opts -lammps_input $SRCDIR/inputs/ala2/ala2.in -closure_plugin $BUILD/plugins/libdihedrals.so"
run() { # dir command extra...
  local dir=$1 cmd=$2
  shift 2
  timeout 1800 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" "$cmd" $O -out "$dir" "$@" </dev/null >>"$dir.log" 2>&1 || { echo "umbra $cmd -out $dir $* failed:"; tail -n 5 "$dir.log"; fail=1; }
}
for v in "a -seed 42" "b -seed 7" "hot -seed 7 -lammps_temp 360"; do
  set -- $v
  d=$1; shift
  run $d sample "$@"
  run $d fes "$@"
done
compare() { # a b: the largest |z| over the bins with F < 10 kT in both, and their number
  awk -F, 'FNR == 1 || /^#/ || $1 == "z" { next }
           FNR == NR { F[FNR] = $2; dF[FNR] = $3; next }
           (FNR in F) && F[FNR] < 10 && $2 < 10 && dF[FNR] + $3 > 0 { z = (F[FNR] - $2) / sqrt(dF[FNR]^2 + $3^2); if (z < 0) z = -z; if (z > m) m = z; n++ }
           END { printf "%.3f %d\n", m, n }' "$1/fes.csv" "$2/fes.csv"
}
read -r zab nab < <(compare a b)
read -r zah nah < <(compare a hot)
echo "seeds 42 and 7: largest |z| $zab over $nab bins; 300 K vs 360 K: $zah over $nah bins"
awk -v z="$zab" -v n="$nab" 'BEGIN { exit !(n >= 40 && z <= 4) }' || { echo "F(phi) of two seeds disagree (largest |z| $zab over $nab bins)"; fail=1; }
awk -v z="$zah" 'BEGIN { exit !(z > 4) }' || { echo "the comparison does not see a 60 K temperature change (largest |z| $zah)"; fail=1; }
awk -F, '/^#/ || $1 == "window" { next } { s += $6; ss += $6 * $6; n++ }
         END { m = s / n; se = sqrt((ss / n - m * m) / (n - 1)); printf "mean kinetic temperature %.3f K over %d windows, standard error %.3f K\n", m, n, se; d = m - 300; if (d < 0) d = -d; exit !(n == 72 && d <= 4 * se + 1.5) }' a/windows.csv b/windows.csv ||
  { echo "the thermostat's mean temperature is off"; fail=1; }
# basins and barriers of seed 42 (kT and kcal/mol, relative to the lowest bin), for docs/models.md
awk -F, -v kT=0.596160 '/^#/ || $1 == "z" { next }
  { d = $1 * 180 / 3.141592653589793; if (d > 180) d -= 360; if (d <= -180) d += 360
    if (d >= -110 && d <= -50 && (eq == "" || $2 < eq)) { eq = $2; deq = $3; aeq = d }
    if ((d <= -120 || d >= 170) && (c5 == "" || $2 < c5)) { c5 = $2; dc5 = $3; ac5 = d }
    if (d >= 30 && d <= 100 && (ax == "" || $2 < ax)) { ax = $2; dax = $3; aax = d }
    if (d >= -30 && d <= 30 && $2 > b0) { b0 = $2; db0 = $3; ab0 = d }
    if (d >= 100 && d <= 170 && $2 > b1) { b1 = $2; db1 = $3; ab1 = d } }
  END { printf "C7eq  phi %6.1f  F %5.2f +- %.2f kT (%5.2f +- %.2f kcal/mol)\n", aeq, eq, deq, eq * kT, deq * kT
        printf "C5    phi %6.1f  F %5.2f +- %.2f kT (%5.2f +- %.2f kcal/mol)\n", ac5, c5, dc5, c5 * kT, dc5 * kT
        printf "C7ax  phi %6.1f  F %5.2f +- %.2f kT (%5.2f +- %.2f kcal/mol)\n", aax, ax, dax, ax * kT, dax * kT
        printf "barrier near phi 0:   phi %6.1f  F %5.2f +- %.2f kT (%5.2f +- %.2f kcal/mol)\n", ab0, b0, db0, b0 * kT, db0 * kT
        printf "barrier near phi 120: phi %6.1f  F %5.2f +- %.2f kT (%5.2f +- %.2f kcal/mol)\n", ab1, b1, db1, b1 * kT, db1 * kT }' a/fes.csv
exit $fail
