#!/usr/bin/env bash
# The flow on a linear CV: it models the null space of the weights, its moves keep z exactly and
# give the exact mode weights, and its reweighted closures are exact.
# fastslow with the tilted coupling of t231 (-fastslow_cw 6 -fastslow_t 2 -fastslow_eps 0.1) and
# the CV z = 0.96 x + 0.28 y (-cv linear): the level set of z is the line x = 0.96 z - 0.28 u,
# y = 0.28 z + 0.96 u, and the flow models u given z. The exact table along this CV is a 1-D
# quadrature over u (tests/t232-linear-exact.py: F, P(y > 0 | z), E[y | z], E[x | z]).
#  1. A physics campaign (12 windows on [-1.5, 1.5], every walker started in y < 0) trains a
#     small flow (as t231); `umbra info` must show the null-space coordinates.
#  2. The same windows sampled again from the same starts with flow moves every 20 steps and
#     without: P(y > 0) per window against exact by tests/t231-modes.py (batch means, Student t,
#     Bonferroni over the windows at alpha = 1e-3): with moves every window agrees, accepts at
#     least 10% and switches modes; without moves at least one window is off. The CV value of
#     every saved frame must be the window's sampled z exactly as the CV computes it (moves
#     that leaked into the row space of the weights would move z without the bias seeing it:
#     checked as |0.96 x + 0.28 y - z| <= 1e-12).
#  3. `umbra closure -generator flow` reweights the flow's draws on the level sets: its E[x | z]
#     and E[y | z] (mean_y1 and mean_y2: every coordinate is fine for a linear CV) must agree with the exact conditional averages within their error bars (gan_err;
#     the reweighted estimate is unbiased whatever the flow, so its own error is the whole
#     budget), Bonferroni over the rows at alpha = 0.01, and its ESS must not collapse.
# Catches: a flow or move that treats a linear CV's coordinates as fixed (z drifts, or the
# proposal density is that of the wrong coordinates), a basis that is not orthonormal (wrong
# volume element: biased weights), reweighting with the wrong state (U of x not on the level
# set), and a check that cannot fail (the no-move run).
set -u
fail=0
export OMPI_MCA_rmaps_base_oversubscribe=1
PY=/usr/bin/python3
if ! $PY -c "import h5py, numpy" 2>/dev/null; then echo "needs $PY with h5py and numpy"; exit 77; fi
A="$SRCDIR/tests/t231-modes.py"
M="-model fastslow -fastslow_m 1 -fastslow_coupling tilted -fastslow_cw 6 -fastslow_t 2 -fastslow_eps 0.1 -cv linear -cv_weights 0.96,0.28"
S="-us_windows 12 -us_walkers 8 -us_kappa 40 -us_steps 24000 -us_burnin 2000 -us_stride 40 -us_dt 2e-4 -us_range -1.5,1.5 -progress_interval 1000"
run() { # log command args...: umbra on 2 ranks
  local log=$1
  shift
  timeout 300 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" "$@" </dev/null >"$log" 2>&1 || { echo "umbra $* failed:"; tail -n 20 "$log"; exit 1; }
}
$PY "$SRCDIR/tests/t232-linear-exact.py" 2 6 2 0.96 0.28 exact.csv || exit 1
run sample.log sample $M $S -seed 1 -out data
run train.log train $M -out data -generator flow -flow_reduce_mode exact -flow_layers 32,32 -flow_couplings 2 -flow_epochs 10 -progress_interval 1000
"$UMBRA" info data/flow.h5 >info.log 2>&1 || { echo "umbra info failed"; cat info.log; fail=1; }
grep -q "null space of the linear CV" info.log || { echo "umbra info does not name the null-space coordinates:"; cat info.log; fail=1; }
run moves.log sample $M $S -seed 2 -out moves -us_flow_file "$PWD/data/flow.h5" -us_flow_moves 20
$PY "$A" exact.csv moves/samples.h5 moves/windows.csv --label "flow moves" --expect pass --min-accept 0.1 || fail=1
run none.log sample $M $S -seed 2 -out none
$PY "$A" exact.csv none/samples.h5 --label "no moves" --expect fail || fail=1
run fes.log fes $M $S -out data
run closure.log closure $M $S -out data -generator flow -closure_grid -1.2,1.2,13 -closure_lift_n 4000 \
  -closure_direct_walkers 0 -closure_sde_walkers 2 -closure_sde_time 1
run lift.log lift $M -out data -generator flow -lift_grid -1.2,1.2,13 -lift_n 4000
$PY - data/closures.csv exact.csv data/lift.h5 <<'PYEOF' || fail=1
import csv, sys
from statistics import NormalDist
import numpy as np
rows = list(csv.DictReader(open(sys.argv[1]).readlines()[1:]))
ex = list(csv.DictReader(l for l in open(sys.argv[2]) if not l.startswith("#")))
ez = np.array([float(r["z"]) for r in ex])
# with a linear CV every coordinate is fine: mean_y1 is E[x | z], mean_y2 is E[y | z]
obs = {"mean_y1": "mean_x", "mean_y2": "mean_y1"}
use = [r for r in rows if r["observable"] in obs]
names = sorted({r["observable"] for r in use})
if names != sorted(obs):
    print("closures.csv lacks", sorted(set(obs) - set(names)), "(has", sorted({r["observable"] for r in rows}), ")")
    sys.exit(1)
zq = NormalDist().inv_cdf(1 - 0.01 / (2 * len(use)))
worst, bad, ess = 0.0, 0, min(float(r["ess_fraction"]) for r in use)
for r in use:
    e = np.interp(float(r["z"]), ez, [float(x[obs[r["observable"]]]) for x in ex])
    d = abs(float(r["gan"]) - e) / float(r["gan_err"])
    worst = max(worst, d)
    bad += not d <= zq
print("# reweighted flow closures on the linear CV: %d rows, largest |gan - exact| / gan_err %.2f (critical %.2f), smallest ESS fraction %.3f" % (len(use), worst, zq, ess))
# the broken variant: the flow's own draws, unweighted
import h5py
f = h5py.File(sys.argv[3], "r")
lz, lx = f["lift/z"][:, 0], f["lift/x"][:]
cols = {"mean_x": 0, "mean_y1": 1}
zl = NormalDist().inv_cdf(1 - 0.01 / (2 * len(lz) * len(cols)))
plain = 0.0
for j in range(len(lz)):
    for name, c in cols.items():
        v = lx[j, :, c]
        e = np.interp(lz[j], ez, [float(x[name]) for x in ex])
        plain = max(plain, abs(v.mean() - e) / (v.std(ddof=1) / np.sqrt(len(v))))
print("# unweighted flow draws (umbra lift): largest |mean - exact| / se %.2f (critical %.2f): must fail" % (plain, zl))
sys.exit(1 if bad or ess < 0.05 or plain <= zl else 0)
PYEOF
exit $fail
