#!/usr/bin/env bash
# One coupling round of `umbra run` (-run_iterations 1) on a small fastslow campaign whose six
# windows are spaced so coarsely that every neighbour overlap is below -run_overlap_min 0.2:
# the round must add the five midpoints and nothing else (-run_neff_min 0, no re-seeding).
#  1. The merged samples.h5 holds the round-0 rows (run/round0/samples.h5) bit for bit, then the
#     new windows' rows (run/coupling1/samples.h5) bit for bit; /windows/center is the old
#     centres followed by the midpoints, /windows/round is 0 for the old and 1 for the new
#     windows, /windows/offset counts every window's rows, windows.csv lists all 11 windows.
#  2. The new windows start from lifted states: run/coupling1/seeds.h5 has one state per walker,
#     its slow coordinate is the window centre exactly, the walkers' states differ (independent
#     draws; the restrained minimisation gives every walker the same state), and each walker's
#     first saved frame (after one step, -us_burnin 0 -us_stride 1, mobility 1 for y) lies
#     within 0.25 of its own seed (8 standard deviations of one step's noise).
#  3. Deterministic: the same run again gives identical samples.h5, seeds.h5 and fes.h5, and on
#     3 ranks identical samples.h5 and seeds.h5 (the generator trained with -gan_reduce_mode
#     exact, bit for bit at any rank count; the seeds are lifted on every rank alike).
#  4. Bad input stops before any work with exit 2 and one clear line: a negative
#     -run_iterations, -run_iterations with a CV that is every coordinate (no generator),
#     -run_extend on a 2-D CV, -run_overlap_min above 1, -us_centers with -us_windows.
#  5. `umbra sample -us_centers 0.5,-0.5,0` samples exactly those windows, in that order.
# Catches: a merge that reorders, rewrites or drops old frames, new windows sampled from the
# restrained minimum instead of the lifted states (or all walkers from one draw), noise streams
# or lift draws that depend on anything but -seed, and options accepted without a generator.
set -u
fail=0
export OMPI_MCA_rmaps_base_oversubscribe=1
PY=/usr/bin/python3
[ -x $PY ] && $PY -c 'import h5py' 2>/dev/null || { echo "no python3 with h5py"; exit 77; }
OPTS="-model fastslow -fastslow_m 2 -fastslow_eps 1 -us_windows 6 -us_range -1.5,1.5 -us_kappa 40
  -us_walkers 3 -us_steps 300 -us_burnin 0 -us_stride 1 -seed 5
  -generator gan -gan_epochs 1 -gan_layers 16,16 -gan_batch 64 -gan_critic_steps 2 -gan_reduce_mode exact
  -closure_direct_walkers 0 -closure_sde_time 1 -closure_sde_walkers 8 -closure_lift_n 200 -closure_permutations 99
  -run_iterations 1 -run_overlap_min 0.2 -run_neff_min 0 -run_reseed_flagged false -progress_interval 1000"
for d in run:2 again:2 ranks3:3; do
  # shellcheck disable=SC2086
  timeout 300 $MPIEXEC -n ${d#*:} $MPIEXEC_FLAGS "$UMBRA" run $OPTS -out ${d%:*} </dev/null >${d%:*}.log 2>&1 ||
    { echo "umbra run (${d%:*}) failed"; tail -n 30 ${d%:*}.log; exit 1; }
done
grep -q "coupling round 1: 6 windows so far; new windows: -1.2 (gap" run.log || { echo "the round did not log its windows:"; grep coupling run.log; fail=1; }
grep -q "coupling round 1: seeds: -seed 5" run.log || { echo "the round did not log its seeds"; fail=1; }

$PY - <<'PY' || fail=1
import sys
import h5py
import numpy as np
bad = []
with h5py.File("run/samples.h5", "r") as m, h5py.File("run/round0/samples.h5", "r") as o, \
        h5py.File("run/coupling1/samples.h5", "r") as a, h5py.File("run/coupling1/seeds.h5", "r") as s:
    N0, K0 = o["samples/x"].shape[0], o["windows/center"].shape[0]
    for name in ("samples/x", "samples/z"):
        if not np.array_equal(m[name][:N0].view(np.uint64), o[name][:].view(np.uint64)):
            bad.append(f"{name}: round-0 rows changed")
        if not np.array_equal(m[name][N0:].view(np.uint64), a[name][:].view(np.uint64)):
            bad.append(f"{name}: new rows differ from coupling1/samples.h5")
    c = m["windows/center"][:, 0]
    want = np.concatenate([o["windows/center"][:, 0], [-1.2, -0.6, 0.0, 0.6, 1.2]])
    if c.shape != want.shape or np.max(np.abs(c - want)) > 1e-12:
        bad.append(f"centres {c} != {want}")
    if list(m["windows/round"][:]) != [0] * K0 + [1] * 5:
        bad.append(f"/windows/round {m['windows/round'][:]}")
    off = m["windows/offset"][:]
    if off[-1] != m["samples/x"].shape[0] or np.any(np.diff(off) != 3 * 300):
        bad.append(f"/windows/offset {off}")
    x0, W = s["seeds/x"][:], int(m["windows"].attrs["walkers"])
    if x0.shape != (5, W, 3):
        bad.append(f"seeds shape {x0.shape}")
    else:
        if np.max(np.abs(x0[:, :, 0] - c[K0:, None])) != 0:
            bad.append("seeds: slow coordinate is not the window centre")
        for j in range(5):
            if np.min(np.ptp(x0[j], axis=0)[1:]) == 0:
                bad.append(f"new window {j}: walkers share one seed")
            first = a["samples/x"][j * W * 300:(j + 1) * W * 300:300]  # frame 0 of each walker
            if np.max(np.abs(first - x0[j])) > 0.25:
                bad.append(f"new window {j}: first frames {first.tolist()} far from the seeds {x0[j].tolist()}")
with open("run/windows.csv") as f:
    if len(f.readlines()) != 2 + 11:
        bad.append("windows.csv does not list 11 windows")
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
PY

for f in samples.h5 coupling1/seeds.h5 fes.h5; do
  h5diff --exclude-path /provenance "run/$f" "again/$f" >diff.log 2>&1 || { echo "$f differs between two runs with the same seed:"; head -n 5 diff.log; fail=1; }
done
for f in samples.h5 coupling1/seeds.h5; do
  h5diff --exclude-path /provenance "run/$f" "ranks3/$f" >diff.log 2>&1 || { echo "$f differs between 2 and 3 ranks:"; head -n 5 diff.log; fail=1; }
done

# explicit windows for the sampler alone, in the given order
timeout 120 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" sample -us_centers 0.5,-0.5,0 -us_walkers 2 -us_steps 200 -out explicit </dev/null >explicit.log 2>&1 ||
  { echo "sample -us_centers failed"; tail explicit.log; fail=1; }
$PY -c 'import h5py, sys; c = h5py.File("explicit/samples.h5", "r")["windows/center"][:, 0]; sys.exit(list(c) != [0.5, -0.5, 0.0])' ||
  { echo "-us_centers 0.5,-0.5,0 did not give those windows in that order"; fail=1; }

. "$SRCDIR/tests/bad-input.sh"
expect_error 1 2 "-us_centers gives the windows explicitly: drop -us_windows" "sample -us_centers 0,1 -us_windows 3 -out bad"
expect_error 2 2 "-run_iterations must be non-negative" "run -run_iterations -1 -out bad"
expect_error 2 2 "-run_iterations 1 needs a generator" "run -model mullerbrown -cv_index 0,1 -run_iterations 1 -out bad"
expect_error 1 2 "-run_extend needs lo,hi" "run -model mullerbrown -cv_index 0,1 -run_extend -1,1 -out bad"
expect_error 1 2 "-run_overlap_min must be in" "run -run_overlap_min 2 -out bad"
exit $fail
