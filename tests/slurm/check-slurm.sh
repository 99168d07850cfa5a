#!/usr/bin/env bash
# make check-slurm: the job templates of jobs/ on a real, throw-away single-node Slurm.
# Installs slurm-wlm and munge when missing (Debian, as root; no systemd needed), starts munged,
# slurmctld and slurmd under a temp dir, then:
#  0. shellcheck over jobs/ (when installed);
#  1. segment 1: jobs/campaign.sbatch through jobs/submit.sh with --time=1 and --signal=B:USR1@45
#     (the signal arrives 15 to 45 s in, Slurm's timer runs every 30 s) while the training
#     stage runs: the job must forward the signal, umbra must checkpoint and exit 3, the job
#     must exit 0 and say so;
#  2. a job with LAUNCH=srun (no PMI plugin: no MPI world of 2 ranks) stops at the world check;
#  3. segments 2 and 3, chained with afterany after segment 1: segment 2 continues and
#     finishes (-restart of the campaign when the run directory has stages.csv; with an umbra
#     that does not write stages.csv yet, the interrupted training through jobs/stage.sbatch
#     STAGE=train), and cancels segment 3, which must never run;
#  4. the results equal those of a direct run of the same campaign: every HDF5 file (h5diff,
#     provenance excluded) and CSV file (comment lines and wall-time columns excluded).
# Catches: a signal that does not reach umbra (no forwarding, launcher in the foreground), exit 3
# not mapped to 0, a chain that does not continue after exit 3 or keeps running after the end,
# a restart flag given at the wrong time, a job script that cannot find its files from Slurm's
# spool copy, a missing log directory. Prints PASS or FAIL; every wait is bounded.
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$src/$BUILD ;; esac
export UMBRA=${UMBRA:-$BUILD/umbra}
TIMEOUT=${TIMEOUT:-600} # seconds for the whole check
start=$SECONDS
fail() { echo "check-slurm: FAIL: $*"; show_logs; exit 1; }
say() { printf 'check-slurm: [%3ds] %s\n' $((SECONDS - start)) "$*"; }
# shellcheck source=tests/slurm/cluster.sh
. "$src/tests/slurm/cluster.sh"

[ -x "$UMBRA" ] || { echo "check-slurm: no $UMBRA: run make first"; exit 1; }
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  command -v apt-get >/dev/null || { echo "check-slurm: SKIP: no Slurm and no apt-get to install it"; exit 77; }
  [ "$(id -u)" = 0 ] || command -v sudo >/dev/null || { echo "check-slurm: SKIP: installing Slurm needs root"; exit 77; }
fi
[ "$(id -u)" = 0 ] || { echo "check-slurm: SKIP: the daemons of the test cluster run as root"; exit 77; }
cluster_install || fail "could not install slurm-wlm and munge"
say "$(slurmctld -V)"

if command -v shellcheck >/dev/null; then
  (cd "$src" && shellcheck -x jobs/*.sh jobs/*.sbatch tests/slurm/*.sh) || fail "shellcheck"
  say "shellcheck jobs/ clean"
else
  say "shellcheck not installed: lint skipped"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/umbra-check-slurm.XXXXXX")
ref_pid=
cleanup() {
  [ -z "$ref_pid" ] || kill "$ref_pid" 2>/dev/null
  cluster_stop
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cluster_start || fail "the test cluster did not start"
say "single-node cluster up: $(sinfo --noheader --format='%P %D node %N, %c CPUs, %t')"

# the jobs and the direct run share the cores: ranks that wait yield them (busy polling made an
# oversubscribed run 10 times slower here)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_mpi_yield_when_idle=1
export OPTIONS=$src/tests/slurm/campaign.opts OUT=$work/slurm LOGDIR=$work/logs
unset ARGS STAGE
cd "$work" || fail "no $work"
show_logs() {
  [ -d "${LOGDIR:-}" ] || return 0
  local f
  for f in "$LOGDIR"/*; do [ -f "$f" ] && { echo "--- $f (last lines)"; tail -n 15 "$f"; }; done
  [ -z "${CLUSTER:-}" ] || { echo "--- slurmctld.log (last lines)"; tail -n 10 "$CLUSTER/slurmctld.log"; }
}
state() { scontrol show job -o "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p'; }
exitcode() { scontrol show job -o "$1" 2>/dev/null | sed -n 's/.* ExitCode=\([0-9:]*\).*/\1/p'; }
wait_jobs() { # ids...: until none is pending or running
  local id busy
  while :; do
    busy=0
    for id in "$@"; do
      case $(state "$id") in PENDING | RUNNING | CONFIGURING | COMPLETING | REQUEUED | RESIZING | SUSPENDED) busy=1 ;; esac
    done
    [ $busy = 0 ] && return 0
    [ $((SECONDS - start)) -lt "$TIMEOUT" ] || fail "jobs $* still queued after the time limit of the check ($TIMEOUT s)"
    sleep 2
  done
}
log_of() { echo "$LOGDIR/$2-$1.out"; }

# Training must outlast the signal, so its length follows this machine's speed now: a short
# training measures generator steps per second; the campaign trains TRAIN_SECONDS at that rate.
mpi() { timeout $((TIMEOUT - (SECONDS - start))) mpiexec --bind-to none -n 2 "$UMBRA" "$@" </dev/null; }
if ! mpi sample -options_file "$OPTIONS" -out calib >calib.log 2>&1 || ! mpi train -options_file "$OPTIONS" -out calib >>calib.log 2>&1; then
  cat calib.log
  fail "the speed measurement failed"
fi
read -r per_epoch steps secs <<<"$(sed -nE 's/.* ([0-9]+) generator steps per epoch.*/\1/p; s/.*train: ([0-9]+) generator steps in ([0-9.e+-]+) s.*/\1 \2/p' calib.log | tr '\n' ' ')"
epochs=$(awk -v t="${TRAIN_SECONDS:-40}" -v n="$steps" -v s="$secs" -v e="$per_epoch" 'BEGIN { x = int(t * n / (s > 0.05 ? s : 0.05) / e) + 1; print (x < 10 ? 10 : x) }')
export ARGS="-gan_epochs $epochs"
say "training: $epochs epochs of $per_epoch steps (about ${TRAIN_SECONDS:-40} s at the measured $steps steps in $secs s)"

# Slurm's timer runs every 30 to 31 s from slurmctld's start: a job that starts 8 s after a
# tick is due its signal 15 s later, a few seconds before the next tick, and gets it about 22 s
# in (jobs must cope with anything from 15 to 45 s; this only keeps the check short).
while [ $(((2 * (SECONDS - CLUSTER_T0)) % 61)) -lt 16 ] || [ $(((2 * (SECONDS - CLUSTER_T0)) % 61)) -gt 17 ]; do sleep 0.5; done

# 1. segment 1: signalled during training; MAX_SEGMENTS=1: it must not resubmit itself here
seg1=$(GRACE=45 MAX_SEGMENTS=1 "$src/jobs/submit.sh" "$src/jobs/campaign.sbatch" --ntasks=2 --time=1) || fail "submit.sh"
say "segment 1: job $seg1 (campaign, 1-minute limit, USR1 45 s before it)"
wait_jobs "$seg1"
log1=$(log_of "$seg1" umbra-campaign)
[ -f "$log1" ] || fail "segment 1 left no log $log1"
grep -q 'received SIGUSR1' "$log1" || fail "segment 1: the batch script did not receive USR1"
grep -q 'not resubmitting' "$log1" || fail "segment 1 did not stop at MAX_SEGMENTS=1"
grep -q 'checkpointed, not finished (umbra exit 3)' "$log1" ||
  fail "segment 1: umbra did not checkpoint and exit 3 on the signal (did training end before it? raise TRAIN_SECONDS)"
if [ "$(state "$seg1")" != COMPLETED ] || [ "$(exitcode "$seg1")" != 0:0 ]; then
  fail "segment 1 ended $(state "$seg1") with exit code $(exitcode "$seg1"), want COMPLETED 0:0"
fi
say "segment 1: $(grep -o 'received SIGUSR1.*' "$log1" | head -n 1); umbra exit 3, the job exit 0"

# 2. a job whose launcher does not start one MPI world stops before any work: plain srun with
# MpiDefault=none starts no Open MPI world here (elsewhere it starts one-rank worlds)
nompi=$(LAUNCH=srun STAGE=exact "$src/jobs/submit.sh" "$src/jobs/stage.sbatch" --ntasks=2 --time=1) || fail "submit.sh"

# 3. segments 2 and 3 after segment 1; the direct run of the same campaign meanwhile
timeout $((TIMEOUT - (SECONDS - start))) mpiexec --bind-to none -n 2 "$UMBRA" run -options_file "$OPTIONS" -gan_epochs "$epochs" \
  -out "$work/direct" </dev/null >"$work/direct.log" 2>&1 &
ref_pid=$! # timeout's: killing it stops mpiexec
if [ -e "$OUT/stages.csv" ]; then
  template=campaign.sbatch name=umbra-campaign
  say "the run directory has stages.csv: the campaign continues with umbra run -restart"
else
  export STAGE=train
  template=stage.sbatch name=umbra-stage
  say "umbra run wrote no stages.csv: continuing the interrupted training with jobs/stage.sbatch STAGE=train"
fi
# a 10-minute limit: the signal (45 s before it) must not come during the check
ids=$(GRACE=45 "$src/jobs/submit.sh" -n 2 -d "$seg1" "$src/jobs/$template" --ntasks=2 --time=10) || fail "submit.sh -n 2"
read -r seg2 seg3 <<<"$(echo "$ids" | tr '\n' ' ')"
say "segments 2 and 3: jobs $seg2 $seg3 ($template, afterany)"
wait_jobs "$seg2" "$seg3"
log2=$(log_of "$seg2" "$name")
grep -q 'finished (exit 0)' "$log2" || fail "segment 2 did not finish the campaign"
grep -q -- '-restart' "$log2" || fail "segment 2 ran without -restart"
if [ "$(state "$seg3")" != CANCELLED ] || [ -e "$(log_of "$seg3" "$name")" ]; then
  fail "segment 3 is $(state "$seg3"), want CANCELLED by segment 2 without running"
fi
say "segment 2 restarted and finished; segment 3 cancelled unrun"
wait_jobs "$nompi"
if [ "$(exitcode "$nompi")" != 1:0 ] || ! grep -q 'did not start one MPI world of 2 ranks' "$(log_of "$nompi" umbra-stage)"; then
  fail "a job launched with plain srun ended with exit code $(exitcode "$nompi"), want 1:0 and a message"
fi
say "a job launched with plain srun stopped at the world-size check"

# 4. the same results as the direct run
wait "$ref_pid"
rc=$?
ref_pid=
[ $rc = 0 ] || { tail -n 20 "$work/direct.log"; fail "the direct run exited $rc"; }
files=(samples.h5 fes.h5 gan.h5 windows.csv fes.csv exact.csv train.csv)
[ "$template" = stage.sbatch ] || mapfile -t files < <(cd "$work/direct" && ls -- *.h5 *.csv)
bad=0
for f in "${files[@]}"; do
  a=$work/direct/$f b=$OUT/$f
  [ -e "$b" ] || { echo "check-slurm: the Slurm run has no $f"; bad=1; continue; }
  case $f in
    *.h5) h5diff --exclude-path /provenance "$a" "$b" >"$work/diff" 2>&1 ;;
    stages.csv) diff <(grep -v '^#' "$a" | cut -d, -f1,2) <(grep -v '^#' "$b" | cut -d, -f1,2) >"$work/diff" ;; # no wall time
    train.csv) diff <(grep -v '^#' "$a" | cut -d, -f1-10) <(grep -v '^#' "$b" | cut -d, -f1-10) >"$work/diff" ;;
    *) diff <(grep -v '^#' "$a") <(grep -v '^#' "$b") >"$work/diff" ;;
  esac || { echo "check-slurm: $f differs from the direct run's:"; head -n 10 "$work/diff"; bad=1; }
done
[ $bad = 0 ] || fail "the chained Slurm run differs from the direct run"
say "${#files[@]} result files equal to the direct run's: ${files[*]}"
echo "check-slurm: PASS ($((SECONDS - start)) s)"
