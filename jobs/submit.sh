#!/usr/bin/env bash
# Submit a job template as a chain of segments: each segment starts when the one before has
# ended, whatever its exit status (afterany: an afterok dependency on a job that exited non-zero
# never runs and never leaves the queue). Prints the job ids, one per line.
# usage: jobs/submit.sh [-n SEGMENTS] [-a ARRAY] [-d JOBID] TEMPLATE [sbatch options...]
#   -n N      N segments (default 1); the last one resubmits itself while unfinished
#   -a SPEC   submit job arrays (--array=SPEC, e.g. 0-7%4)
#   -d JOBID  the first segment waits until job JOBID has ended
# The environment (OPTIONS, OUT, STAGE, ARGS, the settings of jobs/site.sh) goes with the jobs;
# logs go to LOGDIR (default logs) as NAME-JOBID.out, or NAME-ARRAYID_TASK.out.
set -euo pipefail
jobs_dir=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=jobs/site.sh
. "$jobs_dir/site.sh"
usage() { sed -n 's/^# \{0,1\}//; 5,10p' "$0" >&2; exit 2; }
n=1 array='' prev=''
while getopts n:a:d:h opt; do
  case $opt in
    n) n=$OPTARG ;;
    a) array=$OPTARG ;;
    d) prev=$OPTARG ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
if [ $# = 0 ] || [ ! -r "$1" ]; then usage; fi
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "submit.sh: -n wants a positive number of segments, not '$n'" >&2; exit 2; }
script=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift
: "${LOGDIR:=logs}"
mkdir -p "$LOGDIR" # a missing --output directory fails the job without any log

args=(--signal="B:USR1@$GRACE" --open-mode=append)
[ -z "$PARTITION" ] || args+=(--partition="$PARTITION")
[ -z "$ACCOUNT" ] || args+=(--account="$ACCOUNT")
[ -z "$QOS" ] || args+=(--qos="$QOS")
if [ -n "$array" ]; then args+=(--output="$LOGDIR/%x-%A_%a.out"); else args+=(--output="$LOGDIR/%x-%j.out"); fi
args+=("$@")
# what a segment needs to find the repository and to resubmit itself with the same options
UMBRA_ROOT=$(dirname "$jobs_dir") CHAIN_SCRIPT=$script CHAIN_SBATCH_ARGS="${args[*]}"
export UMBRA_ROOT CHAIN_SCRIPT CHAIN_SBATCH_ARGS

for ((i = 1; i <= n; i++)); do
  extra=()
  [ -z "$array" ] || extra+=(--array="$array")
  [ -z "$prev" ] || extra+=(--dependency="afterany:$prev")
  prev=$(sbatch --parsable "${args[@]}" "${extra[@]}" --export="ALL,CHAIN_SEGMENT=$i,CHAIN_LENGTH=$n" "$script")
  prev=${prev%%;*} # --parsable prints ID or ID;CLUSTER
  echo "$prev"
done
