#!/usr/bin/env bash
# Acceptance of the default campaign as `make run` runs it (inputs/fastslow.opts, 2 ranks,
# default options): fastslow's native CV is a coordinate, so the generator is the default flow
# (docs/flow.md, "Which generator by default"), whose closures `umbra closure` reweights by
# exp(-beta U) / q (docs/closures.md, "Reweighted generator").
# 1. Every row of consistency.csv passes and the console says so ("N of N checks pass" and the
#    agreeing verdict), with the families of t704 present and the flow's own: the ESS rows and
#    the checked generator-vs-physics moment rows. Tolerances from the error bars at a
#    family-wise alpha = 0.01 (t704 says how); seeds are fixed, so the outcome is deterministic.
# 2. The flow's reweighted closures against exact: every row within the Bonferroni tolerance of
#    sqrt(gan_err^2 + physics_err^2) (tests/closure-vs-exact.py --gan).
# 3. The summary names the flow and its ESS range.
# 4. An untrained flow (one epoch at a learning rate of 1e-7) on the same samples and fes.h5:
#    its lifted states are far from the conditionals, so the distribution rows (which judge q as
#    a lifting operator, unweighted) must fail, and the verdict must say so. Catches checks that
#    cannot fail.
# Catches a regression anywhere along the default chain (sampler, MBAR, flow training, the
# reweighting, SDE integration, MFPTs) that moves the macro picture away from the physics.
# LONG: the default campaign with the full 20-epoch flow training, then a second training and closure
set -u
fail=0
export OMPI_MCA_rmaps_base_oversubscribe=1
grep -v '^-out' "$SRCDIR/inputs/fastslow.opts" >in.opts
timeout 3000 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" run -options_file in.opts -out data -progress_interval 1000 </dev/null >run.log 2>&1 ||
  { echo "umbra run failed"; tail -n 40 run.log; exit 1; }
[ -s data/flow.h5 ] && [ ! -e data/gan.h5 ] || { echo "the default campaign did not train the flow:"; ls data; exit 1; }
csv=data/consistency.csv
[ -f $csv ] || { echo "no $csv"; exit 1; }
nrows=$(($(wc -l <$csv) - 2))
npass=$(grep -c ',true$' $csv)
echo "# default campaign (flow): $npass of $nrows checks pass"
for fam in 'distribution_' 'dependence_' 'free_energy_rms,' 'sde_histogram_rms,' 'mfpt_A_to_B,' 'mfpt_direct_A_to_B,' 'ess_' 'gan_vs_physics_'; do
  grep -q "^$fam" $csv || { echo "no $fam check in $csv"; fail=1; }
done
[ "$nrows" -ge 9 ] && [ "$npass" = "$nrows" ] || { echo "failing checks:"; grep -v ',true$' $csv | tail -n +3; fail=1; }
grep -q "consistency: $nrows of $nrows checks pass" run.log || { echo "the console does not say that all $nrows checks pass:"; grep -A3 '^consistency:' run.log; fail=1; }
grep -q 'verdict: the micro (samples) and macro (free energy, reduced dynamics) pictures agree' run.log ||
  { echo "no agreeing verdict on the console"; grep verdict run.log; fail=1; }
python3 "$SRCDIR/tests/closure-vs-exact.py" --gan data/closures.csv mean_y1 var_y1 mean_y4 var_y4 mean_force drift >gan-exact.log 2>&1 ||
  { echo "the flow's reweighted closures disagree with the exact values:"; cat gan-exact.log; fail=1; }
tail -n 1 gan-exact.log | sed 's/^/# /'
grep -Eq '^  generator: +flow' run.log || { echo "the summary does not name the flow:"; grep -A2 'generator' run.log | head; fail=1; }
grep -Eq '^  ESS:' run.log || { echo "the summary has no ESS range"; fail=1; }
# the untrained flow on the same samples and free energies
mkdir -p broken
cp data/samples.h5 data/fes.h5 broken/
timeout 600 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" train -options_file in.opts -out broken -flow_epochs 1 -flow_lr 1e-7 -flow_validation 0 -progress_interval 1000 </dev/null >train.log 2>&1 ||
  { echo "training the untrained flow failed"; tail -n 20 train.log; exit 1; }
timeout 600 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" closure -options_file in.opts -out broken -progress_interval 1000 </dev/null >broken.log 2>&1 ||
  { echo "closure (untrained flow) failed"; tail -n 20 broken.log; exit 1; }
grep "^distribution_" broken/consistency.csv | grep -q ',false$' || { echo "the untrained flow passes every distribution check:"; grep "^distribution_" broken/consistency.csv; fail=1; }
grep -q 'verdict: the generator.s picture disagrees' broken.log || { echo "no failing verdict for the untrained flow"; grep verdict broken.log; fail=1; }
echo "# untrained flow: $(grep -c ',false$' broken/consistency.csv) of $(($(wc -l <broken/consistency.csv) - 2)) checks fail"
exit $fail
