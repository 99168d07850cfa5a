#!/usr/bin/env bash
# `umbra report` on a run directory with the flow (2 ranks, about 35 s on two shared cores): a small tilted fastslow
# campaign (one fast variable), a 2-epoch flow, closures by reweighting its draws, then the
# windows sampled again with flow moves.
# 1. Before the flow moves: the summary names the flow and prints its held-out NLL and the ESS
#    range but no flow-move line; flow.png is made (one panel) and listed in summary.json;
#    training.png shows the flow's train.csv.
# 2. After the flow moves: the summary also prints the acceptance range; summary.json's
#    generator has the name flow, the last NLL of train.csv, the ESS range (min..max of ess and
#    ess_fraction over the grid points of closures.csv) and the acceptance and switch-rate range
#    (min..max over windows.csv), recomputed here.
# Catches: a report that stops on the flow's train.csv, a generator named from the wrong file,
# ranges over the wrong column or rows, a flow plot that is missing or not listed.
set -u
: "${UMBRA:?}" "${SRCDIR:=.}" "${MPIEXEC:=mpiexec}" "${MPIEXEC_FLAGS:=--oversubscribe --bind-to none}"
PY=/usr/bin/python3
fail=0
command -v gnuplot >/dev/null || { echo "no gnuplot"; exit 77; }
M="-model fastslow -fastslow_m 1 -fastslow_coupling tilted -fastslow_eps 0.1 -cv coord -cv_index 0"
W="-us_windows 7 -us_walkers 2 -us_steps 4000 -us_stride 10 -progress_interval 1000"
run() { # log args...: umbra on 2 ranks, stops the test when it fails
  local log=$1
  shift
  # shellcheck disable=SC2086
  timeout 300 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" "$@" </dev/null >"$log" 2>&1 || { echo "umbra $1 failed:"; tail -n 20 "$log"; exit 1; }
}
png() { # file: a PNG of more than 5 kB
  [ -f "$1" ] && [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] && [ "$(wc -c <"$1")" -gt 5000 ] || { echo "$1 is not a PNG of more than 5 kB"; fail=1; }
}
# shellcheck disable=SC2086
{
  run sample.log sample $M $W -out data
  run train.log train $M -out data -generator flow -flow_epochs 2 -flow_layers 16,16 -flow_couplings 2 -flow_batch 64 -progress_interval 1000
  run fes.log fes $M -out data -fes_bootstrap 10
  run closure.log closure $M -out data -generator flow -closure_lift_n 1000 -closure_min_ess 20 -closure_direct_walkers 0 -closure_sde_time 5
}
run report1.log report -out data
grep -q '^  generator:   flow, 2 epochs, held-out NLL [0-9.]* per sample' report1.log || { echo "the summary does not name the flow:"; cat report1.log; fail=1; }
grep -Eq '^  ESS: +[0-9.e+]+ \.\. [0-9.e+]+ reweighted draws over [0-9]+ grid points \(fraction [0-9.e-]+ \.\. [0-9.e-]+\)' report1.log || { echo "no ESS range:"; cat report1.log; fail=1; }
! grep -q 'flow moves:' report1.log || { echo "a flow-move line without flow moves"; fail=1; }
png data/plots/flow.png
png data/plots/training.png
grep -q "index 1" data/plots/flow.gp && { echo "flow.gp has a second panel without flow moves"; fail=1; }

# shellcheck disable=SC2086
{
  run moves.log sample $M $W -out data -us_flow_file data/flow.h5 -us_flow_moves 5
  run fes2.log fes $M -out data -fes_bootstrap 10
}
rm -f data/plots/flow.png
run report2.log report -out data
cat report2.log
grep -Eq '^  flow moves:  acceptance [0-9.e-]+ \.\. [0-9.e-]+, mode switches per proposal [0-9.e-]+ \.\. [0-9.e-]+ over 7 windows' report2.log || { echo "no acceptance range"; fail=1; }
grep -q '^  ESS: ' report2.log || { echo "no ESS range after the flow moves"; fail=1; }
png data/plots/flow.png
grep -q "index 1" data/plots/flow.gp || { echo "flow.gp has no flow-move panel"; fail=1; }

$PY - data <<'PYEOF' || fail=1
import json, sys
import numpy as np
d = sys.argv[1]
s = json.load(open(f"{d}/summary.json"))
read = lambda f: np.atleast_1d(np.genfromtxt(f"{d}/{f}", delimiter=",", names=True, skip_header=1, dtype=None, encoding="utf-8"))
bad = []
g = s["generator"]
t = read("train.csv")
if g["name"] != "flow" or g["epochs"] != t["epoch"][-1] or not np.isclose(g["final_valid_nll"], t["valid_nll"][-1]) or not np.isclose(g["final_nll"], t["nll"][-1]):
    bad.append(f"generator {g} differs from train.csv")
c = read("closures.csv")
p = c[c["observable"] == c["observable"][0]]
e = g["ess"]
if e["points"] != len(p) or not np.allclose([e["min"], e["max"], e["fraction_min"], e["fraction_max"]], [p["ess"].min(), p["ess"].max(), p["ess_fraction"].min(), p["ess_fraction"].max()], rtol=1e-9):
    bad.append(f"ESS {e} differs from closures.csv")
w = read("windows.csv")
m = g["flow_moves"]
if m["windows"] != len(w) or not np.allclose([m["acceptance_min"], m["acceptance_max"], m["switch_rate_min"], m["switch_rate_max"]], [w["flow_acceptance"].min(), w["flow_acceptance"].max(), w["flow_switch_rate"].min(), w["flow_switch_rate"].max()], rtol=1e-9):
    bad.append(f"flow moves {m} differ from windows.csv")
made = {p["file"] for p in s["plots"] if p["made"]}
if not {"plots/flow.png", "plots/training.png", "plots/closures.png"} <= made: bad.append(f"plots made: {made}")
for b in bad: print("FAIL:", b)
sys.exit(1 if bad else 0)
PYEOF
exit $fail
