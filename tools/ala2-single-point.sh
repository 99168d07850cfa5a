#!/bin/sh
# Single point of inputs/ala2 in LAMMPS against the GROMACS 2022.5 double-precision reference
# (inputs/ala2/README.md). Prints a per-term table in kJ/mol; exits 1 on a difference > 1e-4.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
lmp=${LMP:-lmp}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat > "$tmp/sp.in" <<EOS
include         $root/inputs/ala2/ala2.in
thermo_style    custom step ebond eangle edihed eimp evdwl ecoul elong pe
thermo_modify   format float %.12f
run             0
EOS
if ! (cd "$tmp" && "$lmp" -nocite -log none -var umbra_dir "$root/inputs/ala2" -in sp.in > out.txt 2>&1); then
    cat "$tmp/out.txt"; echo "ala2-single-point: lmp failed" >&2; exit 1
fi
# the line after the thermo header holds the step-0 energies (kcal/mol)
awk '
$1 == "Step" && $2 == "E_bond" { getline; split($0, e); found = 1 }
END {
    if (!found) { print "ala2-single-point: no thermo output"; exit 1 }
    k = 4.184; tol = 1e-4; bad = 0
    # GROMACS reference terms (kJ/mol): dihedrals = proper + periodic improper (both charmm),
    # vdW = LJ-14 + LJ(SR), Coulomb = Coulomb-14 + Coulomb(SR)
    n = split("bond angle dihedral improper vdW Coulomb kspace potential", name, " ")
    ref[1] = 2.179724; ref[2] = 4.805364; ref[3] = 49.129953 + 0.057298; ref[4] = 0
    ref[5] = 11.802598 - 3.816753; ref[6] = 194.748405 - 344.621898; ref[7] = 0; ref[8] = -85.715309
    printf "%-10s %16s %16s %12s\n", "term", "LAMMPS", "GROMACS", "difference"
    for (i = 1; i <= n; i++) {
        v = e[i + 1] * k; d = v - ref[i]
        flag = (d > tol || d < -tol) ? "  MISMATCH" : ""
        if (flag != "") bad = 1
        printf "%-10s %16.6f %16.6f %12.2e%s\n", name[i], v, ref[i], d, flag
    }
    print "dihedral = proper + periodic improper (both dihedral_style charmm, so eimp is 0);"
    print "vdW = LJ-14 + LJ(SR); Coulomb = Coulomb-14 + Coulomb(SR)"
    print (bad ? "FAIL" : "PASS") " (kJ/mol, tolerance " tol ")"
    exit bad
}' "$tmp/out.txt"
