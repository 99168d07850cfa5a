# Sourced by check-slurm.sh: a throw-away single-node Slurm "cluster" on this machine, run as
# root without systemd (containers have none). Everything lives under $CLUSTER (a temp dir):
# its own munge key and socket, its own slurm.conf (SLURM_CONF), state, spool, logs, and ports
# away from the defaults, so an installed Slurm or munge on the machine is never touched.
# cluster_start -> daemons up and the node idle; cluster_stop kills what cluster_start started.
# shellcheck shell=bash

SLURM_PORT=${SLURM_PORT:-16817} # slurmctld; slurmd uses the next port

cluster_install() { # slurm-wlm and munge from the distribution, once
  local missing=() p sudo=
  for p in slurmctld slurmd slurm-client munge; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} = 0 ] && return 0
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "check-slurm: installing ${missing[*]}"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

cluster_config() { # writes $SLURM_CONF for this host
  local host cpus
  host=$(hostname -s)
  cpus=$(getconf _NPROCESSORS_ONLN)
  [ "$cpus" -ge 2 ] || cpus=2 # the check's jobs have 2 tasks; config_overrides lets slurmd accept it
  cat >"$SLURM_CONF" <<CONF
ClusterName=umbracheck
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$SLURM_PORT
SlurmdPort=$((SLURM_PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$CLUSTER/munge-run/socket
StateSaveLocation=$CLUSTER/state
SlurmdSpoolDir=$CLUSTER/spool
SlurmctldPidFile=$CLUSTER/slurmctld.pid
SlurmdPidFile=$CLUSTER/slurmd.pid
SlurmctldLogFile=$CLUSTER/slurmctld.log
SlurmdLogFile=$CLUSTER/slurmd.log
# no cgroups in a container: track processes through /proc, no task binding
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
SlurmdParameters=config_overrides
# keep finished jobs visible to scontrol for the checks; a short grace between SIGTERM and SIGKILL
MinJobAge=600
KillWait=10
# addresses given: a container's host name need not resolve
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=check Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
}

cluster_start() {
  CLUSTER=$(mktemp -d "${TMPDIR:-/tmp}/umbra-slurm.XXXXXX")
  CLUSTER_PIDS=()
  export SLURM_CONF=$CLUSTER/slurm.conf
  mkdir -p "$CLUSTER/munge" "$CLUSTER/munge-run" "$CLUSTER/state" "$CLUSTER/spool"
  chmod 700 "$CLUSTER/munge"
  chmod 755 "$CLUSTER" "$CLUSTER/munge-run"
  dd if=/dev/urandom of="$CLUSTER/munge/munge.key" bs=128 count=1 status=none
  chmod 400 "$CLUSTER/munge/munge.key"
  munged --force --socket="$CLUSTER/munge-run/socket" --key-file="$CLUSTER/munge/munge.key" \
    --log-file="$CLUSTER/munge/log" --pid-file="$CLUSTER/munge/pid" --seed-file="$CLUSTER/munge/seed" ||
    { echo "check-slurm: munged did not start"; return 1; }
  cluster_config
  # shellcheck disable=SC2034 # read by check-slurm.sh
  CLUSTER_T0=$SECONDS # slurmctld's 30-s timer (time limits, --signal) starts about now
  slurmctld -D -i >>"$CLUSTER/slurmctld.out" 2>&1 &
  CLUSTER_PIDS=("$!")
  slurmd -D -N "$(hostname -s)" >>"$CLUSTER/slurmd.out" 2>&1 &
  CLUSTER_PIDS+=("$!")
  local i state
  for ((i = 0; i < 60; i++)); do
    state=$(sinfo --noheader --format=%t 2>/dev/null | head -n 1)
    [ "$state" = idle ] && return 0
    sleep 1
  done
  echo "check-slurm: the node is not idle after 60 s (state '${state:-none}'); slurmctld and slurmd logs:"
  tail -n 20 "$CLUSTER/slurmctld.log" "$CLUSTER/slurmd.log" 2>/dev/null
  return 1
}

# Every process running with this cluster's configuration: the daemons, job steps (slurmstepd)
# and the programs of the jobs, which all inherit SLURM_CONF.
cluster_pids() {
  local p
  for p in /proc/[0-9]*; do
    [ "${p#/proc/}" != $$ ] && grep -qaF "SLURM_CONF=$SLURM_CONF" "$p/environ" 2>/dev/null && echo "${p#/proc/}"
  done
}

# Bounded: slurmd waits for running steps when told to stop, so jobs are cancelled first and
# whatever is left after a few seconds is killed.
cluster_stop() {
  local pid i alive
  [ -n "${CLUSTER:-}" ] || return 0
  scancel --user="$(id -un)" 2>/dev/null
  for ((i = 0; i < 10; i++)); do
    [ -z "$(squeue --noheader 2>/dev/null)" ] && break
    sleep 0.5
  done
  kill "${CLUSTER_PIDS[@]}" 2>/dev/null
  for ((i = 0; i < 10; i++)); do
    alive=0
    for pid in "${CLUSTER_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.5
  done
  for pid in $(cluster_pids); do kill -KILL "$pid" 2>/dev/null; done
  wait "${CLUSTER_PIDS[@]}" 2>/dev/null
  [ -f "$CLUSTER/munge/pid" ] && kill "$(cat "$CLUSTER/munge/pid")" 2>/dev/null
  rm -rf "$CLUSTER"
  CLUSTER=
}
