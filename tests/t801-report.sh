#!/usr/bin/env bash
# `umbra report` on a small fastslow campaign made here (2 ranks, a few seconds: short windows,
# one training epoch, 10 bootstrap replicas, no direct runs).
# 1. Every plot of a full campaign is a valid PNG (magic bytes, more than 5 kB) with its .gp and
#    .dat; stages.png appears once stages.csv exists (written by hand when `umbra run` did not).
# 2. summary.json is valid JSON with the documented keys, and its numbers are those of the CSV
#    files: every consistency.csv row (value, tolerance, pass) in order, pass/fail counts and the
#    verdict, the sample total of windows.csv, the generator's last swd in train.csv, and the RMS
#    and max of F_MBAR - F_exact recomputed here by linear interpolation of exact.csv.
# 3. The integrated mean force in plots/fes.dat (block 2): the generator column equals the
#    trapezoid rule applied here to closures.csv, shifted to minimum 0 (1e-6 kT: catches a wrong
#    weight, sign, beta or shift); and the physics column agrees with fes.csv within four
#    combined standard errors plus the discretisation bounds (trapezoid h^2/12 |f(z) - f(z_m)|
#    and linear interpolation of fes.csv, h_bin^2/8 max|F''| with |F''| <= 50 kT on [-1.5, 1.5]):
#    an independent estimate of F that catches gross errors (a sign, a missing shift or scale,
#    a wrong column: kT at the barrier; measured worst 0.19 kT against a tolerance of 1 kT, and
#    the physics errors alone are too small for a tighter bound on a campaign this short). A
#    10% error in the trapezoid weights fails the first comparison (measured 0.96 kT). The
#    generator column is not compared with fes.csv: one training epoch does not learn the force.
# 4. A run directory without fes.csv stops with exit code 2 and a message naming fes.csv and the
#    command that makes it, on 1 and 2 ranks, without hanging; without gan.h5, train.csv and
#    lift.h5 the report succeeds, skips training.png with its reason and draws conditional.png
#    without the generator; -report_plots 0 writes the scripts and data but no PNG;
#    an unusable -report_gnuplot is a warning, not a failure.
# 5. The summary and summary.json name the generator (gan) and add nothing of the flow (no ESS
#    or flow-move lines, no flow.png); t805 covers a run with the flow.
set -u
: "${UMBRA:?}" "${SRCDIR:=.}" "${MPIEXEC:=mpiexec}" "${MPIEXEC_FLAGS:=--oversubscribe --bind-to none}"
PY=/usr/bin/python3
fail=0
command -v gnuplot >/dev/null || { echo "no gnuplot"; exit 77; }
# shellcheck source=bad-input.sh
. "$SRCDIR/tests/bad-input.sh"
grep -v '^-out' "$SRCDIR/inputs/fastslow.opts" >in.opts
echo '-generator gan' >>in.opts # these checks are the GAN's (docs/gan.md)
small="-us_steps 4000 -us_burnin 500 -gan_epochs 1 -fes_bootstrap 10 -closure_direct_walkers 0 -closure_lift_n 1000 -lift_n 500 -progress_interval 1000"
# shellcheck disable=SC2086
timeout 300 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" run -options_file in.opts -out data $small </dev/null >run.log 2>&1 ||
  { echo "umbra run failed"; tail -n 20 run.log; exit 1; }
[ -f data/stages.csv ] || printf '# by hand\nstage,status,seconds,fingerprint\nsample,done,2.5,0a\nfes,done,0.5,0b\ntrain,checkpointed,1.25,0c\n' >data/stages.csv
report() { # report DIR [options]: umbra report on 2 ranks, output in report.log
  local dir=$1
  shift
  timeout 120 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" report -out "$dir" "$@" </dev/null >report.log 2>&1
}
report data || { echo "umbra report failed ($?)"; tail -n 20 report.log; exit 1; }
for p in fes conditional closures training overlap stages; do
  f=data/plots/$p.png
  if [ ! -f $f ]; then echo "no $f"; fail=1; continue; fi
  [ "$(head -c 8 $f | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || { echo "$f is not a PNG"; fail=1; }
  [ "$(wc -c <$f)" -gt 5000 ] || { echo "$f has only $(wc -c <$f) bytes"; fail=1; }
  [ -s data/plots/$p.gp ] && [ -s data/plots/$p.dat ] || { echo "no $p.gp or $p.dat"; fail=1; }
done
grep -q '^verdict:' report.log && grep -q 'summary.json' report.log || { echo "no one-screen summary"; cat report.log; fail=1; }
grep -q '^  generator:   gan, 1 epochs, held-out swd' report.log || { echo "the summary does not name the GAN"; cat report.log; fail=1; }
! grep -Eq '^  (ESS|flow moves):' report.log && [ ! -e data/plots/flow.gp ] || { echo "flow lines or flow plot in a GAN run's report"; fail=1; }
[ "$(grep -c '^verdict:' report.log)" = 1 ] || { echo "the summary is printed more than once"; fail=1; }

$PY - data <<'PYEOF' || fail=1
import json, sys
import numpy as np
d = sys.argv[1]
s = json.load(open(f"{d}/summary.json"))
bad = []
for k in ["umbra_version", "model", "ranks", "stages", "total_seconds", "samples", "free_energy", "generator", "consistency", "checks_passed", "checks_failed", "worst_check", "verdict", "plots"]:
    if k not in s: bad.append(f"no key {k}")
read = lambda f: np.genfromtxt(f"{d}/{f}", delimiter=",", names=True, skip_header=1, dtype=None, encoding="utf-8")
c = read("consistency.csv")
rows = [(str(r["check"]), float(r["value"]), float(r["tolerance"]), str(r["pass"]).lower() == "true") for r in np.atleast_1d(c)]  # genfromtxt may read the column as bool
js = [(x["check"], x["value"], x["tolerance"], x["pass"]) for x in s["consistency"]]
if len(rows) != len(js) or any(a[0] != b[0] or a[3] != b[3] or not np.isclose(a[1], b[1], rtol=1e-9) or not np.isclose(a[2], b[2], rtol=1e-9) for a, b in zip(rows, js)):
    bad.append("consistency rows differ from consistency.csv")
nfail = sum(not r[3] for r in rows)
if s["checks_failed"] != nfail or s["checks_passed"] != len(rows) - nfail: bad.append("wrong pass/fail counts")
if s["verdict"] != ("fail" if nfail else "pass"): bad.append(f"verdict {s['verdict']}")
w = read("windows.csv")
if s["samples"]["total"] != w["n_samples"].sum() or s["samples"]["windows"] != len(w): bad.append("sample counts differ from windows.csv")
t = np.atleast_1d(read("train.csv"))
if s["generator"]["name"] != "gan" or {"ess", "flow_moves"} & set(s["generator"]): bad.append(f"generator {s['generator']}")
if any("flow" in p["file"] for p in s["plots"]): bad.append("a flow plot listed in a GAN run")
if not np.isclose(s["generator"]["final_swd"], t["swd"][-1]) or s["generator"]["epochs"] != t["epoch"][-1]: bad.append("generator numbers differ from train.csv")
f, e = read("fes.csv"), read("exact.csv")
ok = np.isfinite(f["F"]) & (f["z"] >= e["z"].min()) & (f["z"] <= e["z"].max())
diff = f["F"][ok] - np.interp(f["z"][ok], e["z"], e["F"])
fe = s["free_energy"]
if fe["exact_compared_bins"] != ok.sum() or not np.isclose(fe["rms_error_vs_exact"], np.sqrt(np.mean(diff**2)), rtol=1e-6) or not np.isclose(fe["max_error_vs_exact"], np.abs(diff).max(), rtol=1e-6):
    bad.append(f"F vs exact: summary {fe}, recomputed rms {np.sqrt(np.mean(diff**2))} max {np.abs(diff).max()} over {ok.sum()} bins")
if not np.isclose(fe["median_dF"], np.median(f["dF"][np.isfinite(f["F"])])): bad.append("median dF")
made = {p["file"] for p in s["plots"] if p["made"]}
if not {"plots/fes.png", "plots/conditional.png", "plots/closures.png", "plots/training.png", "plots/overlap.png", "plots/stages.png"} <= made: bad.append(f"plots made: {made}")
st = np.atleast_1d(read("stages.csv"))
if len(s["stages"]) != len(st) or not np.isclose(s["total_seconds"], st["seconds"].sum()): bad.append("stages differ from stages.csv")

# the integrated mean force
blocks = open(f"{d}/plots/fes.dat").read().split("\n\n\n")
I = np.loadtxt(blocks[2].splitlines())
cl = read("closures.csv")
mf = cl[cl["observable"] == "mean_force"]
z, g = mf["z"].astype(float), mf["gan"].astype(float)
Fg = np.concatenate([[0], np.cumsum(0.5 * np.diff(z) * (g[1:] + g[:-1]))])
Fg -= Fg.min()
if not np.allclose(I[:, 0], z) or np.abs(I[:, 1] - Fg).max() > 1e-6:
    bad.append(f"integrated generator mean force differs from the trapezoid rule by {np.abs(I[:, 1] - Fg).max()}")
p, pe = mf["physics"].astype(float), mf["physics_err"].astype(float)
m = np.nanargmin(I[:, 3])
fz = np.isfinite(f["F"])
Fm = lambda x: np.interp(x, f["z"][fz], f["F"][fz])
dFm = lambda x: np.interp(x, f["z"][fz], f["dF"][fz])
hb = np.median(np.diff(f["z"]))
h = np.median(np.diff(z))
dev = np.abs((I[:, 3] - I[m, 3]) - (Fm(z) - Fm(z[m])))
tol = 4 * np.sqrt(I[:, 4] ** 2 + dFm(z) ** 2 + dFm(z[m]) ** 2) + h**2 / 12 * np.abs(p - p[m]) + 2 * hb**2 / 8 * 50
worst = np.argmax(dev / tol)
print(f"# integrated physics mean force vs fes.csv: worst |dF| = {dev[worst]:.3g} kT at z = {z[worst]:.3g} (tolerance {tol[worst]:.3g})")
if np.any(dev > tol): bad.append(f"integrated physics mean force differs from fes.csv: {dev[worst]} > {tol[worst]} at z = {z[worst]}")
for b in bad: print("FAIL:", b)
sys.exit(1 if bad else 0)
PYEOF

# without fes.csv: exit 2 naming the file and the command
mkdir -p nofes && cp data/windows.csv nofes/
expect_error 2 2 'fes\.csv not found.*umbra fes' "report -out nofes"
expect_error s 2 'fes\.csv not found.*umbra fes' "report -out nofes"
# without the generator: the report still succeeds
mkdir -p nogan && cp data/fes.csv data/fes.h5 data/exact.csv data/samples.h5 data/windows.csv data/closures.csv data/consistency.csv nogan/
report nogan || { echo "report without gan.h5 failed"; tail -n 5 report.log; fail=1; }
grep -q 'training.png skipped: no train.csv' report.log || { echo "training.png not skipped with its reason"; fail=1; }
[ -f nogan/plots/conditional.png ] && [ ! -f nogan/plots/training.png ] || { echo "wrong plots without the generator"; ls nogan/plots; fail=1; }
# the generator is the one closures.csv's options name (-generator gan), without training numbers
$PY -c "import json,sys; g=json.load(open('nogan/summary.json'))['generator']; sys.exit(not (g and g['name'] == 'gan' and g['epochs'] is None))" || { echo "summary.json of nogan: not the closures' generator without training numbers"; fail=1; }
# scripts only
rm -f nogan/plots/*.png
report nogan -report_plots 0 -report_z -1,0.5 && [ -s nogan/plots/fes.gp ] && ! ls nogan/plots/*.png >/dev/null 2>&1 || { echo "-report_plots 0 made PNGs or no scripts"; fail=1; }
report nogan -report_gnuplot ./no-such-gnuplot && grep -q 'cannot run gnuplot' report.log || { echo "a missing gnuplot is not a warning"; tail -n 5 report.log; fail=1; }
exit $fail
