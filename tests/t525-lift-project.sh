#!/usr/bin/env bash
# -lift_project (docs/options.md, docs/gan.md "Projection onto the level set"): a GAN lifts on
# the ring's angle theta (-cv native, level sets not flat) states whose theta is only near the
# requested z; with the default projection every lifted state satisfies |theta(x) - z| <= 1e-9
# (/lift/restriction, recomputed from the stored states; min image), lift.h5 says projected = 1
# and project_failures = 0, and the file is the same at 1 and 3 ranks. With -lift_project 0 the
# states are the generator's and not all within 1e-9. A coordinate CV (fastslow) is not
# projected by default (projected = 0): its states embed z exactly.
# Catches: a projection that does not reach the level set, one that is skipped, rank-dependent
# projection, the wrong default.
set -u
fail=0
run() { # np args...
  local np=$1
  shift
  timeout 300 $MPIEXEC -n "$np" $MPIEXEC_FLAGS "$UMBRA" "$@" </dev/null >>log.txt 2>&1 || { echo "umbra $* failed:"; tail -n 20 log.txt; fail=1; }
}
R="-model ring -ring_n 4 -cv native"
GAN="-generator gan -gan_batch 64 -gan_critic_steps 2 -gan_epochs 2 -gan_layers 24,24 -gan_validation 0.1"
run 2 sample $R -us_windows 8 -us_range -3.141592653589793,3.141592653589793 -us_kappa 10 -us_walkers 2 -us_steps 3000 -us_stride 10 -us_dt 2e-4 -out a
run 2 train $R $GAN -out a
[ $fail = 0 ] || exit 1
mkdir -p b c && cp a/samples.h5 a/gan.h5 b/ && cp a/samples.h5 a/gan.h5 c/
run 1 lift $R -out a -lift_grid -3,3,7 -lift_n 100
run 3 lift $R -out b -lift_grid -3,3,7 -lift_n 100
run 2 lift $R -out c -lift_grid -3,3,7 -lift_n 100 -lift_project 0
[ $fail = 0 ] || exit 1
maxres() { h5dump -m %.17g -d /lift/restriction "$1" | awk '/DATA \{/{f=1;next} /^ *\}/{f=0} f' | sed 's/([0-9,]*)://' | tr ',' '\n' | awk 'NF { n++; if ($1 + 0 > m) m = $1 + 0; if ($1 + 0 > 1e-9) far++ } END { printf "%d %.3g %d\n", n, m, far }'; }
attr() { h5dump -a "/lift/$2" "$1" | awk '/DATA \{/{f=1;next} /^ *\}/{f=0} f' | sed 's/([0-9]*)://' | tr -d ' \n'; }
read -r n m far <<<"$(maxres a/lift.h5)"
[ "$n" = 700 ] && [ "$far" = 0 ] || { echo "projected: $n states, largest |theta(x) - z| $m, $far beyond 1e-9"; fail=1; }
[ "$(attr a/lift.h5 projected)" = 1 ] && [ "$(attr a/lift.h5 project_failures)" = 0 ] || { echo "lift.h5: projected $(attr a/lift.h5 projected), project_failures $(attr a/lift.h5 project_failures)"; fail=1; }
h5diff --exclude-path /provenance a/lift.h5 b/lift.h5 >diff.txt 2>&1 || { echo "projected lift.h5 at 1 and 3 ranks differs:"; head diff.txt; fail=1; }
read -r n m far <<<"$(maxres c/lift.h5)"
[ "$n" = 700 ] && [ "$far" -gt 0 ] || { echo "-lift_project 0: $n states, $far beyond 1e-9 (largest $m): expected the generator's states off the level set"; fail=1; }
[ "$(attr c/lift.h5 projected)" = 0 ] || { echo "-lift_project 0: lift.h5 says projected $(attr c/lift.h5 projected)"; fail=1; }
# a coordinate CV: no projection by default
run 2 sample -us_windows 6 -us_steps 2000 -us_stride 10 -out f
run 2 train $GAN -out f
run 2 lift -generator gan -out f -lift_z -0.5,0.5 -lift_n 10
[ "$(attr f/lift.h5 projected)" = 0 ] || { echo "fastslow (coordinate CV): lift.h5 says projected $(attr f/lift.h5 projected)"; fail=1; }
exit $fail
