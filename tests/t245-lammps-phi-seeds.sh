#!/usr/bin/env bash
# LONG: the full alanine dipeptide phi campaign (inputs/ala2-phi.opts) three times, minutes
# Alanine dipeptide F(phi), the campaign of inputs/ala2-phi.opts (36 windows, 2 x 200 ps per
# window, 2 ranks), with two seeds, and at a wrong temperature (2 x 100 ps):
#   - the seeds 42 and 7 agree within their error bars: on the bins with F < 10 kT in both
#     (about 60), z = |F_1 - F_2| / sqrt(dF_1^2 + dF_2^2) is at most 4. F(z) is a running sum
#     over the windows, so neighbouring bins are strongly correlated: the 60 bins are about 10
#     independent pieces (a window spans 6 bins), and under agreement P(max z > 4) is about
#     10 x 6e-5. The mean square of z (chi^2 per bin, mean 1 under agreement) is printed, not
#     asserted: with the seeds 42, 7 and 11 it was 1.2, 5.2 and 3.9 for the three pairs (largest
#     z 1.8, 3.3, 3.3), so dF is still low in places, by up to about 2 (docs/molecules.md).
#     Broken variant, measured: the runs of half the length (2 x 100 ps, psi not relaxed in the
#     windows near phi = -110 degrees) gave max z 4.3 (6.3 with the earlier bootstrap blocks of
#     2 IACT);
#   - the run at 360 K differs from seed 7's at 300 K beyond the error bars: the largest z
#     exceeds 4;
#   - the thermostat over the 72 windows of the two seeds, as in t242;
#   - the basins where alanine dipeptide has them: the minimum in C7eq (phi in [-110, -50]
#     degrees), C7ax (phi in [30, 100]) 1 to 6 kT above it, the barrier near phi = 0 above 10 kT;
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
for v in "a -seed 42" "b -seed 7" "hot -seed 7 -lammps_temp 360 -us_steps 200000"; do
  set -- $v
  d=$1; shift
  run $d sample "$@"
  run $d fes "$@"
done
compare() { # a b: the largest |z| over the bins with F < 10 kT in both, their number, chi^2 per bin
  awk -F, 'FNR == 1 || /^#/ || $1 == "z" { next }
           FNR == NR { F[FNR] = $2; dF[FNR] = $3; next }
           (FNR in F) && F[FNR] < 10 && $2 < 10 && dF[FNR] + $3 > 0 { z = (F[FNR] - $2) / sqrt(dF[FNR]^2 + $3^2); c += z * z; if (z < 0) z = -z; if (z > m) m = z; n++ }
           END { printf "%.3f %d %.3f\n", m, n, n ? c / n : 0 }' "$1/fes.csv" "$2/fes.csv"
}
read -r zab nab cab < <(compare a b)
read -r zah nah cah < <(compare b hot)
echo "seeds 42 and 7: largest |z| $zab over $nab bins, chi^2 per bin $cab"
echo "300 K vs 360 K (seed 7): largest |z| $zah over $nah bins, chi^2 per bin $cah"
awk -v z="$zab" -v n="$nab" 'BEGIN { exit !(n >= 40 && z <= 4) }' || { echo "the seeds 42 and 7 disagree beyond their error bars (largest |z| $zab over $nab bins, chi^2 per bin $cab)"; fail=1; }
awk -v z="$zah" -v n="$nah" 'BEGIN { exit !(n >= 40 && z > 4) }' || { echo "the comparison does not see a 60 K temperature change (largest |z| $zah over $nah bins)"; fail=1; }
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
  END { bad = !(aeq >= -110 && aeq <= -50 && eq == 0 && ax > 1 && ax < 6 && b0 > 10)
        printf "C7eq  phi %6.1f  F %5.2f +- %.2f kT (%5.2f +- %.2f kcal/mol)\n", aeq, eq, deq, eq * kT, deq * kT
        printf "C5    phi %6.1f  F %5.2f +- %.2f kT (%5.2f +- %.2f kcal/mol)\n", ac5, c5, dc5, c5 * kT, dc5 * kT
        printf "C7ax  phi %6.1f  F %5.2f +- %.2f kT (%5.2f +- %.2f kcal/mol)\n", aax, ax, dax, ax * kT, dax * kT
        printf "barrier near phi 0:   phi %6.1f  F %5.2f +- %.2f kT (%5.2f +- %.2f kcal/mol)\n", ab0, b0, db0, b0 * kT, db0 * kT
        printf "barrier near phi 120: phi %6.1f  F %5.2f +- %.2f kT (%5.2f +- %.2f kcal/mol)\n", ab1, b1, db1, b1 * kT, db1 * kT
        exit bad }' a/fes.csv || { echo "the basins of F(phi) are not where alanine dipeptide has them"; fail=1; }
exit $fail
