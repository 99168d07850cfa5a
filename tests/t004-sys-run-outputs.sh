#!/usr/bin/env bash
# What every run shows and stores: one rank-0 progress line at a steady pace with rate and ETA,
# -log_view with the sampling stage and its events, provenance (version, options, rank count)
# in samples.h5 and windows.csv, and `umbra info` reading it back.
set -u
fail=0
timeout 300 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" sample -us_windows 4 -us_steps 20000 -us_stride 10 \
  -progress_interval 0.02 -log_view -out run </dev/null >run.log 2>&1 || { echo "sample failed"; cat run.log; exit 1; }
grep -Eq '^\[ *[0-9.]+s\] sample: +[0-9.]+% .* walker-steps/s +elapsed .* ETA ' run.log || { echo "no progress line with rate and ETA"; fail=1; }
[ "$(grep -c 'wrote run/samples.h5' run.log)" = 1 ] || { echo "log lines are not printed once (rank 0 only)"; fail=1; }
for name in 'Sample' UmbSmpSetUp UmbSmpMinim UmbSmpStep UmbSmpWrite UmbSmpIACT UmbH5Write UmbCsvWrite; do
  grep -q "$name" run.log || { echo "-log_view does not show $name"; fail=1; }
done
head -n 1 run/windows.csv | grep -Eq '^# umbra .* command=sample ranks=2 .*options=".*-us_steps 20000' || { echo "windows.csv lacks provenance:"; head -n 1 run/windows.csv; fail=1; }
sed -n 2p run/windows.csv | grep -qx 'window,center,kappa,n_samples,iact,f,df' || { echo "windows.csv header wrong"; fail=1; }
h5dump -a /provenance/ranks run/samples.h5 | grep -q '"2"' || { echo "samples.h5 provenance lacks the rank count"; fail=1; }
h5dump -a /provenance/options run/samples.h5 | grep -q -- '-us_steps 20000' || { echo "samples.h5 provenance lacks the options"; fail=1; }
h5dump -a /umbra_format run/samples.h5 | grep -Eq '"1\.[0-9]+"' || { echo "samples.h5 lacks umbra_format"; fail=1; }
timeout 60 "$UMBRA" info run/samples.h5 </dev/null >info.log 2>&1 || { echo "info failed"; cat info.log; fail=1; }
grep -Eq "umbra samples file, format 1\.[0-9]+" info.log && grep -q "/samples/x  \[32000 x 5\]" info.log || { echo "info output:"; cat info.log; fail=1; }
exit $fail
