# jobs/site.sh -- the site's settings for every job template and jobs/submit.sh, in one place.
# Each value can be overridden from the environment: PARTITION=debug jobs/submit.sh ...
# shellcheck shell=bash

: "${PARTITION:=}"  # sbatch --partition (empty: the cluster's default)
: "${ACCOUNT:=}"    # sbatch --account
: "${QOS:=}"        # sbatch --qos
# Seconds between the warning signal (USR1) and the time limit: at least twice the time of the
# longest checkpoint write plus 60 s, since Slurm may send the signal up to 60 s early or late
# relative to this (its timer runs every 30 s); see jobs/README.md.
: "${GRACE:=300}"
: "${MAX_SEGMENTS:=20}" # a checkpointed campaign resubmits itself until this many segments ran
: "${MODULES:=}"        # e.g. "openmpi/4.1 petsc/3.18 hdf5/1.12": `module load $MODULES` in the job

# The launcher: srun needs Slurm's PMIx plugin to start Open MPI programs (plain srun fails,
# or elsewhere starts N singletons); mpirun inside an allocation takes the task count from it.
# Outside Slurm the templates use mpirun -n $NP.
if [ -n "${SLURM_JOB_ID:-}" ]; then : "${LAUNCH:=srun --mpi=pmix}"; else : "${LAUNCH:=mpirun}"; fi
: "${NP:=2}" # ranks when run outside Slurm

export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1} OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
# HDF5 1.10 and later lock files; on parallel file systems without flock (some Lustre and NFS
# mounts) opening a file then fails: uncomment the next line there.
# export HDF5_USE_FILE_LOCKING=FALSE
