# jobs/common.sh -- the machinery every job template shares: settings, the launcher in the
# background with USR1/TERM forwarded to it, the exit codes, and the chain of segments.
# A template sources it, calls job_begin, job_run and job_finish.
# shellcheck shell=bash

UMBRA_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export UMBRA_ROOT
# shellcheck source=jobs/site.sh
. "$UMBRA_ROOT/jobs/site.sh"
: "${UMBRA:=$UMBRA_ROOT/build/umbra}"
: "${OPTIONS:=}" "${ARGS:=}"
# jobs/submit.sh numbers the segments of a chain; a plain sbatch is segment 1 of 1
: "${CHAIN_SEGMENT:=1}" "${CHAIN_LENGTH:=1}" "${CHAIN_SBATCH_ARGS:=}" "${CHAIN_SCRIPT:=}"

job_log() { printf '[job %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }

# job_begin NAME: say where and how this runs, load modules, set JOB_LAUNCH and OUT
job_begin() {
  read -r -a JOB_LAUNCH <<<"$LAUNCH"
  if [ -n "${SLURM_JOB_ID:-}" ]; then
    job_log "$1: Slurm job $SLURM_JOB_ID${SLURM_ARRAY_TASK_ID:+ (array task $SLURM_ARRAY_TASK_ID)}, segment $CHAIN_SEGMENT of $CHAIN_LENGTH, ${SLURM_NTASKS:-?} tasks on ${SLURM_JOB_NODELIST:-?}"
  else
    JOB_LAUNCH+=(-n "$NP")
    job_log "$1: no SLURM_JOB_ID: running locally on $NP ranks"
  fi
  if [ -n "$MODULES" ]; then
    # shellcheck disable=SC2086 # a list of module names
    module load $MODULES || { job_log "module load $MODULES failed"; exit 1; }
  fi
  [ -x "$UMBRA" ] || { job_log "no executable $UMBRA: build umbra (make) or set UMBRA"; exit 1; }
  [ -z "$OPTIONS" ] || [ -r "$OPTIONS" ] || { job_log "cannot read the options file OPTIONS=$OPTIONS"; exit 2; }
  # the run directory: OUT, else the last -out of the options file
  [ -n "${OUT:-}" ] || [ -z "$OPTIONS" ] || OUT=$(sed -n 's/^[[:space:]]*-out[[:space:]]\{1,\}\([^[:space:]#]*\).*/\1/p' "$OPTIONS" | tail -n 1)
  [ -n "${OUT:-}" ] || { job_log "no run directory: set OUT or put -out in the options file"; exit 2; }
  job_check_world
}

# Under Slurm, one MPI world of SLURM_NTASKS ranks and not SLURM_NTASKS singletons (plain srun
# without a PMI plugin may start those): `umbra version` prints once per world.
job_check_world() {
  [ -n "${SLURM_NTASKS:-}" ] || return 0
  local n
  n=$("${JOB_LAUNCH[@]}" "$UMBRA" version </dev/null 2>&1 | grep -c '^umbra ')
  [ "$n" = 1 ] && return 0
  job_log "'$LAUNCH' did not start one MPI world of $SLURM_NTASKS ranks: umbra version printed $n times (want once); set LAUNCH in jobs/site.sh (srun --mpi=pmix, or mpirun)"
  exit 1
}

# job_run ARGS...: umbra ARGS under the launcher, in the background so that the traps run at
# once (bash runs a trap only after a foreground command ends); sets JOB_RC
job_run() {
  job_log "running: ${JOB_LAUNCH[*]} $UMBRA $*"
  "${JOB_LAUNCH[@]}" "$UMBRA" "$@" </dev/null &
  JOB_APP_PID=$!
  trap 'job_forward USR1' USR1
  trap 'job_forward TERM' TERM
  while :; do
    JOB_TRAPPED=0
    wait "$JOB_APP_PID"
    JOB_RC=$?
    # a trapped signal makes wait return >128 at once: wait again for the launcher's own status
    if [ "$JOB_RC" -le 128 ]; then break; fi
    if [ "$JOB_TRAPPED" = 0 ] && ! kill -0 "$JOB_APP_PID" 2>/dev/null; then break; fi
  done
  trap - USR1 TERM
}

# srun and mpirun pass the signal on to every rank; umbra checkpoints at the next step all
# ranks agree on and exits 3
job_forward() {
  JOB_TRAPPED=1
  job_log "received SIG$1: forwarding it to the launcher (pid $JOB_APP_PID)"
  kill -s "$1" "$JOB_APP_PID" 2>/dev/null
}

# Exit with the segment's status. 3 (checkpointed, not finished) becomes 0: afterok chains
# would otherwise never run, and the log says so.
job_finish() {
  case $JOB_RC in
    0)
      job_log "finished (exit 0)"
      job_cancel_rest
      exit 0 ;;
    3)
      job_log "checkpointed, not finished (umbra exit 3): this job exits 0; the next segment continues with -restart"
      job_resubmit
      exit 0 ;;
    2)
      job_log "bad input (exit 2): fix the options; the rest of the chain is cancelled"
      job_cancel_rest
      exit 2 ;;
    *)
      job_log "failed (exit $JOB_RC)"
      exit "$JOB_RC" ;;
  esac
}

# When no later segment is queued, submit the next one (afterany on this job), up to MAX_SEGMENTS.
job_resubmit() {
  [ -n "${SLURM_JOB_ID:-}" ] || { job_log "not under Slurm: run this script again to continue"; return 0; }
  [ "$CHAIN_SEGMENT" -ge "$CHAIN_LENGTH" ] || return 0
  if [ "$CHAIN_SEGMENT" -ge "$MAX_SEGMENTS" ]; then
    job_log "$CHAIN_SEGMENT segments ran (MAX_SEGMENTS=$MAX_SEGMENTS): not resubmitting; submit again to continue"
    return 0
  fi
  local script=$CHAIN_SCRIPT after=$SLURM_JOB_ID array=() next=$((CHAIN_SEGMENT + 1)) id
  # the running copy is in Slurm's spool: resubmit the file that was submitted
  [ -n "$script" ] || script=$(scontrol show job "$SLURM_JOB_ID" 2>/dev/null | sed -n 's/^ *Command=//p' | head -n 1)
  if [ -n "${SLURM_ARRAY_TASK_ID:-}" ]; then # this array task only
    after=${SLURM_ARRAY_JOB_ID}_$SLURM_ARRAY_TASK_ID
    array=(--array="$SLURM_ARRAY_TASK_ID")
  fi
  # shellcheck disable=SC2086 # CHAIN_SBATCH_ARGS is a list of options without spaces inside
  if id=$(sbatch --parsable $CHAIN_SBATCH_ARGS "${array[@]}" --dependency="afterany:$after" \
    --export="ALL,CHAIN_SEGMENT=$next,CHAIN_LENGTH=$next,CHAIN_SCRIPT=$script" "$script"); then
    job_log "submitted segment $next as job $id"
  else
    job_log "could not resubmit $script: submit it again to continue"
  fi
}

# The campaign is over: cancel the later segments of the chain still pending (jobs that depend
# on this one, directly or through each other).
job_cancel_rest() {
  [ -n "${SLURM_JOB_ID:-}" ] && [ -z "${SLURM_ARRAY_TASK_ID:-}" ] && [ "$CHAIN_SEGMENT" -lt "$CHAIN_LENGTH" ] || return 0
  local pending chain=" $SLURM_JOB_ID " cancel=() grew=1 id dep d
  pending=$(squeue --noheader --user="$(id -un)" --states=PENDING --format='%i %E' 2>/dev/null)
  while [ $grew = 1 ]; do
    grew=0
    while read -r id dep; do
      if [ -z "$id" ] || [[ $chain == *" $id "* ]]; then continue; fi
      for d in ${dep//[,?&]/ }; do # afterany:123(unfulfilled)
        d=${d#*:}
        if [[ $chain == *" ${d%%(*} "* ]]; then
          chain+="$id "
          cancel+=("$id")
          grew=1
          break
        fi
      done
    done <<<"$pending"
  done
  [ ${#cancel[@]} = 0 ] || { scancel "${cancel[@]}" && job_log "cancelled the later segments of the chain: ${cancel[*]}"; }
}
