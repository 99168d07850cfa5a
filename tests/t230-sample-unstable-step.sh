#!/usr/bin/env bash
# Unstable time steps are caught, whatever the stability check says, with the cause and the
# remedy (-us_dt lowered to a value the message computes). The tilted fast wells are quartic:
# stiffer away from their minima than at the prepared state the check looks at.
# Catches: a time step beyond the limit not refused up front (exit 2, with the suggested -us_dt);
# a step the check allows (between half the limit and the limit: a warning naming the remedy)
# whose walker blows up mid-run not stopped with exit 1 on every rank, or a message without the
# limit the check found; a blow-up with the check off not pointing to it; samples.h5 written
# after a blow-up; a warning for a safe step (the dt that docs/closures.md gives).
set -u
fail=0
. "$SRCDIR/tests/bad-input.sh"
T="sample -fastslow_coupling tilted -us_walkers 2 -us_steps 2000 -us_stride 10"
for np in 1 3; do
  expect_error $np 2 "-us_dt 0.01 is unstable: window [0-9]+ .*the largest stable time step is 2/rate = 0.0017[0-9]*: lower -us_dt to about a tenth of it, 0.00017 " "$T -us_dt 0.01 -out refused"
  expect_error $np 1 "window 0 \(centre -1.5\) blew up at step 4, walker 1: .*lower -us_dt \(now 0.0016; the stability check allowed it at the start \(limit 0.0017[0-9]*\), but the walker reached a stiffer region: take about a tenth of the limit, -us_dt 0.00017\); samples.h5 is not written" "$T -us_dt 0.0016 -out mid"
  grep -q "warning: -us_dt 0.0016 is close to the stability limit 0.0017[0-9]* .*lower -us_dt to about a tenth of the limit, 0.00017" out.log || { echo "no warning before the blow-up ($np ranks)"; fail=1; }
  expect_error $np 1 "window 0 \(centre -1.5\) blew up at step 4, walker 1: .*lower -us_dt \(now 0.0016; -us_stability_check 1 estimates the largest stable step\)" "$T -us_dt 0.0016 -us_stability_check 0 -out off"
done
for d in refused mid off; do
  for f in $d/samples.h5 $d/samples.h5.partial $d/windows.csv; do [ -e $f ] && { echo "a failed run left $f behind"; fail=1; }; done
done
# the step docs/closures.md gives for the tilted coupling: no warning, no blow-up
timeout 120 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" $T -us_dt 2e-4 -out safe </dev/null >safe.log 2>&1 || { echo "-us_dt 2e-4 failed"; tail safe.log; fail=1; }
grep -q 'warning: -us_dt' safe.log && { echo "a warning for the safe step 2e-4"; grep warning safe.log; fail=1; }
exit $fail
