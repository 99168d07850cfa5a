#!/usr/bin/env bash
# Damaged inputs end the run on every rank with one clear message naming the file and what is
# wrong, exit code 2, no hang, no crash and no partial output: HDF5 files truncated (to half,
# to 100 bytes, to nothing) for every reader (fes, train, dmap, closure, lift, info, -cv dmap);
# a NaN or an infinity inside samples.h5, fes.h5 and gan.h5 (a damaged disk block or a bad
# copy: HDF5 itself would read them without a word); window offsets out of order; a missing
# dataset; and options files that are malformed YAML, a directory, unreadable, or not named.
# Catches: a reader that trusts the file (a segfault, NaN results, a lifted NaN state), a check
# made on one rank only (a hang, several error lines), PETSc's raw multi-line start-up error,
# a directory given as options file (PETSc waits forever reading it).
set -u
fail=0
. "$SRCDIR/tests/bad-input.sh"
PY=${PYTHON:-/usr/bin/python3}
run() { timeout 300 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" "$@" </dev/null >>setup.log 2>&1 || { echo "setup failed: umbra $*"; tail setup.log; exit 1; }; }

run sample -us_windows 6 -us_walkers 2 -us_steps 4000 -us_stride 10 -out good
run fes -out good -fes_bootstrap 0
run train -out good -generator gan -gan_batch 32 -gan_critic_steps 1 -gan_epochs 1 -gan_layers 8
run dmap -out good -dmap_points 200 -dmap_cutoff 0 -dmap_neighbors 10
copy() { rm -rf "$1" && mkdir -p "$1" && cp good/*.h5 "$1"/; }
size() { stat -c %s "$1"; }
copy half && head -c $(($(size good/samples.h5) / 2)) good/samples.h5 >half/samples.h5
copy tiny && head -c 100 good/samples.h5 >tiny/samples.h5
copy empty && : >empty/samples.h5
copy fhalf && head -c $(($(size good/fes.h5) / 2)) good/fes.h5 >fhalf/fes.h5
copy ghalf && head -c $(($(size good/gan.h5) / 2)) good/gan.h5 >ghalf/gan.h5
copy dhalf && head -c $(($(size good/dmap.h5) / 2)) good/dmap.h5 >dhalf/dmap.h5
mkdir -p adir.opts
printf 'us_steps: [1, 2\n  bad: : :\n' >bad.yaml
printf 'us_steps: abc\n' >value.yaml

cases=(
  # exit | pattern (extended regex) | arguments
  "2|cannot open half/samples.h5 \(truncated or corrupt HDF5 file\): truncated file: eof = [0-9]+|fes -out half"
  "2|cannot open tiny/samples.h5 \(truncated or corrupt HDF5 file\): truncated file: eof = 100|train -out tiny"
  "2|empty/samples.h5 is not an HDF5 file|dmap -out empty"
  "2|cannot open half/samples.h5 \(truncated or corrupt HDF5 file\)|closure -out half"
  "2|cannot open half/samples.h5 \(truncated or corrupt HDF5 file\)|info half/samples.h5"
  "2|cannot open fhalf/fes.h5 \(truncated or corrupt HDF5 file\)|closure -out fhalf -closure_gan false"
  "2|cannot open ghalf/gan.h5 \(truncated or corrupt HDF5 file\)|lift -out ghalf -generator gan"
  "2|cannot open dhalf/dmap.h5 \(truncated or corrupt HDF5 file\)|sample -cv dmap -cv_dmap_file dhalf/dmap.h5 -out dhalf"
  "2|options file adir.opts is not a regular file|sample -options_file adir.opts"
  "2|-options_file needs a file name|sample -options_file"
  "2|cannot read the options \(-options_file\): YAML|sample -options_file bad.yaml"
  "2|option -us_steps needs an integer, got 'abc'|sample -options_file value.yaml"
)
# values umbra never writes: made with h5py when it is available
if "$PY" -c 'import h5py, numpy' 2>/dev/null; then
  for d in nanz infx offset nox lnan gnan; do copy $d; done
  "$PY" - <<'PYEOF' || { echo "h5py file preparation failed"; exit 1; }
import h5py, numpy as np
with h5py.File('nanz/samples.h5', 'r+') as f: f['samples/z'][5, 0] = np.nan
with h5py.File('infx/samples.h5', 'r+') as f: f['samples/x'][7, 2] = np.inf
with h5py.File('offset/samples.h5', 'r+') as f:
    o = f['windows/offset'][:]; o[2] = o[3] + 5; f['windows/offset'][:] = o
with h5py.File('nox/samples.h5', 'r+') as f: del f['samples/x']
with h5py.File('lnan/fes.h5', 'r+') as f: f['samples/log_normaliser'][10] = np.nan
with h5py.File('gnan/gan.h5', 'r+') as f: f['gan/generator/theta'][3] = np.nan
PYEOF
  cases+=(
    "2|nanz/samples.h5: row 5 of /samples/z is not a finite number: the file is damaged; sample again|fes -out nanz"
    "2|infx/samples.h5: row 7 of /samples/x is not a finite number: the file is damaged|train -out infx"
    "2|infx/samples.h5: row 7 of /samples/x is not a finite number: the file is damaged|dmap -out infx -dmap_cutoff 0 -dmap_neighbors 10"
    "2|offset/samples.h5: /windows/offset decreases at window 2|fes -out offset"
    "2|nox/samples.h5 has no dataset /samples/x|train -out nox"
    "2|lnan/fes.h5: row 10 of /samples/log_normaliser is not a finite number: the file is damaged; rerun .umbra fes.|closure -out lnan -closure_gan false"
    "2|gnan/gan.h5: /gan/generator/theta\[3\] is not a finite number: the file is damaged|lift -out gnan -generator gan"
  )
else
  echo "note: $PY lacks h5py: the cases of non-finite values inside files are not run"
fi
expect_errors "1 3" "-progress_interval 1000"
for f in gnan/lift.h5 lnan/closures.csv nanz/fes.csv infx/train.csv dhalf/windows.csv; do
  [ -e "$f" ] && { echo "a refused run left $f behind"; fail=1; }
done
exit $fail
