#!/usr/bin/env bash
# The flow on a molecule: alanine dipeptide windows on phi around C7ax (8 windows on [0.3, 1.7]
# rad, 2 x 20 ps each), the default generator for a dihedral (the flow on internal coordinates,
# docs/flow.md "Molecules") trained briefly, 2000 states lifted at phi = 1.0 without projection.
# - Every lifted state has phi = 1.0 to 1e-9 (lift.h5's restriction, recomputed by the script's
#   own dihedral code too).
# - psi | phi of the lifted states against the physics samples with |phi - 1| <= 0.05: the
#   two-sample KS distance within its critical value at alpha = 1e-3, the physics count reduced
#   to its effective size (selected samples / 2 IACT per window) (tests/psi-given-phi.py).
#   Power: the same lifted states with psi shifted by 0.3 rad (a third of psi's spread there)
#   fail it, and so do the states lifted at phi = 1.4 compared with the samples at 1.0.
# - The flow at 1 and 3 ranks: lift.h5 of one flow.h5 is the same (generation keyed by row).
set -u
fail=0
# shellcheck source=tests/lammps-python.sh
. "$SRCDIR/tests/lammps-python.sh"
O="-options_file $SRCDIR/inputs/ala2-phi.opts -lammps_input $SRCDIR/inputs/ala2/ala2.in -closure_plugin $BUILD/plugins/libdihedrals.so -us_windows 8 -us_range 0.3,1.7 -us_steps 40000 -us_burnin 2000 -us_stride 20 -us_minimize_its 50"
run 2 sample $O -out a
run 2 train $O -out a -flow_epochs 10
[ -s a/flow.h5 ] || { echo "no flow.h5: the default generator for a dihedral is not the flow"; exit 1; }
run 2 lift $O -out a -lift_z 1.0,1.4 -lift_n 2000
mkdir -p b && cp a/samples.h5 a/flow.h5 b/
run 3 lift $O -out b -lift_z 1.0,1.4 -lift_n 2000
cmp -s <(h5dump -d /lift/x a/lift.h5 | tail -n +2) <(h5dump -d /lift/x b/lift.h5 | tail -n +2) || { echo "lift.h5 differs between 2 and 3 ranks"; fail=1; }
"$PY" - a/lift.h5 <<'PYEOF' || fail=1
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    r = f["/lift/restriction"][...]
    projected = f["/lift"].attrs["projected"]
bad = int(np.asarray(projected).ravel()[0]) != 0 or np.max(np.abs(r)) > 1e-9
print("lift: projected %s, largest |phi(x) - z| %.3g" % (projected, np.max(np.abs(r))))
sys.exit(1 if bad else 0)
PYEOF
# the states lifted at 1.0 (c.h5), and those lifted at 1.4 labelled 1.0 (other.h5)
"$PY" - a/lift.h5 <<'PYEOF' || exit 1
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    for name, k in (("c.h5", 0), ("other.h5", 1)):
        with h5py.File(name, "w") as g:
            g["/lift/z"] = [[1.0]]
            g["/lift/x"] = f["/lift/x"][k:k + 1]
PYEOF
"$PY" "$SRCDIR/tests/psi-given-phi.py" a/samples.h5 c.h5 || { echo "psi | phi of the lifted states differs from the physics samples"; fail=1; }
PSI_SHIFT=0.3 "$PY" "$SRCDIR/tests/psi-given-phi.py" a/samples.h5 c.h5 >shift.txt && { echo "psi shifted by 0.3 rad passes the KS check:"; cat shift.txt; fail=1; }
PSI_PHI_TOL=inf "$PY" "$SRCDIR/tests/psi-given-phi.py" a/samples.h5 other.h5 >other.txt && { echo "states lifted at phi = 1.4 pass the KS check at 1.0:"; cat other.txt; fail=1; }
exit $fail
