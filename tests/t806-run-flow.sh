#!/usr/bin/env bash
# Flow rounds of `umbra run -generator flow -run_iterations 1` on a tiny tilted fastslow campaign
# (docs/coupling.md, "Flow rounds"): round 0 is physics, round 1 continues every window from its
# walkers' last saved frames with flow moves proposed by round 0's flow.
#  1. The run finishes; round 1 logs its continued windows and the flow moves with an acceptance
#     per window; coupling1/samples.h5 has flow counts for every window, the merged samples.h5
#     carries them (/windows/flow_*: zero for the round-0 windows, the round's counts for the
#     others, the move settings as attributes) and windows.csv has the flow columns; each
#     continued walker's seed is its window's last saved frame of round 0.
#  2. Rank-count independence: the same run on 1 and 2 ranks (-flow_reduce_mode exact) gives
#     identical samples.h5, seeds.h5, flow.h5 of both rounds and windows.csv, and F(z) of fes.h5
#     to round-off (MBAR sums over ranks).
#  3. Restart mid-run: the campaign of round 0 alone (-run_iterations 0), then the round added and
#     stopped in its sampling (-us_stop_step, exit 3), continued and stopped in the round's
#     training (-flow_stop_step, exit 3), continued to the end on 1 rank (the training from its
#     checkpoint): every output equals the straight run's.
#  4. Superseding (-run_supersede, on by default here): the merged samples.h5 records
#     /windows/superseded_by (window k of round 0 -> its continuation K0 + k, -1 for the
#     continuations); fes logs that it pools 5 of the 10 windows, fes.h5 maps its windows to
#     samples.h5 (/windows/samples_window) and has log normalisers for their rows only, windows.csv
#     gives nan for the superseded windows, and F(z) and the window free energies equal those of
#     umbra fes on a samples.h5 that holds the continuations alone (coupling1/); with
#     -run_supersede false the run pools all 10 windows and writes no flag (the earlier behaviour).
#     The 1- vs 2-rank and restart comparisons of 2 and 3 include the flag (samples.h5 bit for bit).
#  5. -run_flow_moves with the gan generator is refused (exit 2, one line).
# Catches: flow counts dropped by the merge, superseded windows pooled into fes or their flag
# lost in a merge or a restart, rounds that restart walkers from elsewhere than
# their last frames, moves not enabled, round state that depends on the rank count or on where
# the run was interrupted.
set -u
fail=0
export OMPI_MCA_rmaps_base_oversubscribe=1
. "$SRCDIR/tests/bad-input.sh"
PY=/usr/bin/python3
[ -x $PY ] && $PY -c 'import h5py' 2>/dev/null || { echo "no python3 with h5py"; exit 77; }
OPTS="-model fastslow -fastslow_m 1 -fastslow_coupling tilted -fastslow_eps 0.1 -cv coord -cv_index 0
  -us_windows 5 -us_range -1.2,1.2 -us_kappa 20 -us_walkers 2 -us_steps 2000 -us_burnin 200 -us_stride 10 -us_flow_moves 5 -seed 3
  -generator flow -flow_reduce_mode exact -flow_batch 64 -flow_epochs 2 -flow_layers 16,16 -flow_couplings 2 -flow_checkpoint_interval 20
  -closure_direct_walkers 0 -closure_sde_time 1 -closure_sde_walkers 8 -closure_lift_n 200 -closure_permutations 99 -closure_grid -1,1,5
  -run_neff_min 0 -run_reseed_flagged false -report_plots false -progress_interval 1000"
run() { # dir np want options...
  local dir=$1 np=$2 want=$3 rc
  shift 3
  # shellcheck disable=SC2086
  timeout 300 $MPIEXEC -n "$np" $MPIEXEC_FLAGS "$UMBRA" run $OPTS -out "$dir" "$@" </dev/null >>"$dir.log" 2>&1
  rc=$?
  [ $rc = "$want" ] || { echo "umbra run in $dir on $np ranks ($*): exit $rc, want $want"; tail -n 20 "$dir.log"; fail=1; }
}
same() { # reference dir [roundoff]: samples, seeds and flows bit for bit, fes.h5 too (with
  # roundoff: F(z) to 1e-9, as MBAR sums over ranks; its asymptotic error bars amplify that)
  local f
  for f in samples.h5 flow.h5 round0/flow.h5 round0/samples.h5 coupling1/seeds.h5; do
    h5diff --exclude-path /provenance "$1/$f" "$2/$f" >h5.diff 2>&1 || { echo "$2/$f differs from $1/$f:"; head -n 5 h5.diff; fail=1; }
  done
  if [ $# = 3 ]; then h5diff -d 1e-9 "$1/fes.h5" "$2/fes.h5" /profile/F >h5.diff 2>&1
  else h5diff --exclude-path /provenance "$1/fes.h5" "$2/fes.h5" >h5.diff 2>&1; fi || { echo "$2/fes.h5 differs from $1/fes.h5:"; head -n 5 h5.diff; fail=1; }
  for f in windows.csv train.csv; do
    cmp -s <(grep -v '^#' "$1/$f" | cut -d, -f1-4) <(grep -v '^#' "$2/$f" | cut -d, -f1-4) || { echo "$2/$f differs from $1/$f"; fail=1; }
  done
}
run ref 2 0 -run_iterations 1
grep -q "coupling round 1: continued windows (from their walkers' last saved frames): 0,1,2,3,4" ref.log || { echo "round 1 did not continue the 5 windows:"; grep coupling ref.log; fail=1; }
grep -q "coupling round 1: flow moves proposed by ref/round0/flow.h5" ref.log || { echo "round 1 did not use round 0's flow"; fail=1; }
grep -q "sample: flow moves every 5 steps: acceptance" ref.log || { echo "the round reported no flow-move acceptance"; fail=1; }

$PY - <<'PY' || fail=1
import h5py
import numpy as np
bad = []
with h5py.File("ref/samples.h5", "r") as m, h5py.File("ref/round0/samples.h5", "r") as o, \
        h5py.File("ref/coupling1/samples.h5", "r") as a, h5py.File("ref/coupling1/seeds.h5", "r") as s:
    K0, K1 = o["windows/center"].shape[0], a["windows/center"].shape[0]
    W, F = int(o["windows"].attrs["walkers"]), int(o["windows"].attrs["frames_per_walker"])
    if "windows/flow_proposals" in o:
        bad.append("round 0 was sampled with flow moves")
    for name in ("flow_proposals", "flow_accepted", "flow_switches"):
        if "windows/" + name not in m:
            bad.append(f"merged samples.h5 lacks /windows/{name}")
            continue
        v = m["windows/" + name][:]
        if v.shape != (K0 + K1,) or np.any(v[:K0] != 0) or not np.array_equal(v[K0:], a["windows/" + name][:]):
            bad.append(f"/windows/{name} = {v}, want {K0} zeros then {a['windows/' + name][:]}")
    if np.any(m["windows/flow_proposals"][K0:] == 0) or np.any(m["windows/flow_accepted"][K0:] == 0):
        bad.append("a round-1 window proposed or accepted no flow move")
    if int(m["windows"].attrs.get("flow_moves", -1)) != 5:
        bad.append("merged samples.h5 lacks the flow_moves attribute 5")
    if not np.array_equal(s["seeds/continues"][:], np.arange(K0)):
        bad.append(f"/seeds/continues {s['seeds/continues'][:]}")
    x0, xo = s["seeds/x"][:], o["samples/x"][:]
    for k in range(K0):
        for w in range(W):
            if not np.array_equal(x0[k, w], xo[(k * W + w + 1) * F - 1]):
                bad.append(f"window {k} walker {w}: seed {x0[k, w]} is not its last frame")
    if not np.array_equal(m["windows/center"][K0:], o["windows/center"][:]):
        bad.append("continued windows have other centres")
with open("ref/windows.csv") as f:
    rows = [r for r in f if not r.startswith("#")]
if "flow_proposals,flow_acceptance,flow_switch_rate,f,df" not in rows[0] or len(rows) != 11:
    bad.append(f"windows.csv: header {rows[0].strip()}, {len(rows) - 1} windows")
for b in bad:
    print(b)
sys_exit = 1 if bad else 0
raise SystemExit(sys_exit)
PY

# 4. superseded windows: flagged in samples.h5, left out of fes
grep -q "fes: ref/samples.h5: 5 of 10 windows pooled; 5 superseded" ref.log || { echo "fes did not report 5 of 10 windows pooled:"; grep "fes:" ref.log | head -5; fail=1; }
grep -q "coupling round 1: 5 windows superseded by their continuations" ref.log || { echo "the merge did not report the superseded windows"; fail=1; }
mkdir -p alone && cp ref/coupling1/samples.h5 ref/coupling1/windows.csv alone/
# shellcheck disable=SC2086
timeout 120 $MPIEXEC -n 2 $MPIEXEC_FLAGS "$UMBRA" fes $OPTS -out alone </dev/null >alone.log 2>&1 || { echo "umbra fes on the continuations alone failed"; tail alone.log; fail=1; }
for p in /profile/F /windows/f /samples/log_normaliser; do
  h5diff -d 1e-12 ref/fes.h5 alone/fes.h5 $p >h5.diff 2>&1 || { echo "ref/fes.h5 $p differs from fes on the continuations alone:"; head -n 5 h5.diff; fail=1; }
done
$PY - <<'PY' || fail=1
import h5py
import numpy as np
bad = []
with h5py.File("ref/samples.h5", "r") as m, h5py.File("ref/fes.h5", "r") as f:
    K = m["windows/center"].shape[0]
    by = m["windows/superseded_by"][:] if "windows/superseded_by" in m else None
    want = np.concatenate([np.arange(K // 2, K), -np.ones(K // 2, dtype=int)])
    if by is None or not np.array_equal(by, want):
        bad.append(f"/windows/superseded_by {by}, want {want}")
    sw = f["windows/samples_window"][:] if "windows/samples_window" in f else None
    if sw is None or not np.array_equal(sw, np.arange(K // 2, K)):
        bad.append(f"fes.h5 /windows/samples_window {sw}")
    off = m["windows/offset"][:]
    if f["samples/log_normaliser"].shape[0] != off[K] - off[K // 2]:
        bad.append(f"fes.h5 has {f['samples/log_normaliser'].shape[0]} log normalisers, want {off[K] - off[K // 2]}")
with open("ref/windows.csv") as fd:
    rows = [r.strip().split(",") for r in fd if not r.startswith("#")][1:]
if any(r[-2:] != ["nan", "nan"] for r in rows[:5]) or any(r[-1] == "nan" for r in rows[5:]):
    bad.append("windows.csv: f, df not nan for exactly the 5 superseded windows")
for b in bad:
    print(b)
raise SystemExit(1 if bad else 0)
PY
run pool 2 0 -run_iterations 1 -run_supersede false
grep -q "windows pooled" pool.log && { echo "-run_supersede false still left windows out"; fail=1; }
$PY -c 'import h5py, sys; f = h5py.File("pool/samples.h5", "r"); sys.exit(("windows/superseded_by" in f) or h5py.File("pool/fes.h5", "r")["windows/f"].shape[0] != 10)' || { echo "-run_supersede false: a flag written, or fes.h5 without all 10 windows"; fail=1; }
h5diff --exclude-path /provenance --exclude-path /windows/superseded_by ref/samples.h5 pool/samples.h5 >h5.diff 2>&1 || { echo "-run_supersede changed the samples:"; head -n 5 h5.diff; fail=1; }

run one 1 0 -run_iterations 1
same ref one roundoff
run rs 2 0 -run_iterations 0
run rs 2 3 -run_iterations 1 -us_stop_step 1000
grep -q '^sample.1,checkpointed,' rs/stages.csv || { echo "rs/stages.csv does not say sample.1,checkpointed:"; cat rs/stages.csv; fail=1; }
run rs 2 3 -run_iterations 1 -restart -flow_stop_step 30
grep -q '^train.1,checkpointed,' rs/stages.csv || { echo "rs/stages.csv does not say train.1,checkpointed:"; cat rs/stages.csv; fail=1; }
run rs 1 0 -run_iterations 1 -restart
grep -q "run: train.1 continues from its checkpoint" rs.log || { echo "the round's training was not continued from its checkpoint"; fail=1; }
same ref rs
expect_error 1 2 "-run_flow_moves needs a generator with a density" "run -model fastslow -fastslow_m 1 -cv coord -cv_index 0 -generator gan -run_iterations 1 -run_flow_moves true -out bad"
exit $fail
