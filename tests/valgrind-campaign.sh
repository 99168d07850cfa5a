#!/usr/bin/env bash
# A small campaign on 2 ranks under valgrind memcheck, stage after stage (make check-valgrind).
# Passes when no stage has a memcheck error in umbra's code, no stage leaks memory that umbra
# allocated ("definitely lost" / "indirectly lost" with an umbra frame), and PETSc's
# -malloc_dump reports nothing left allocated at exit. Open MPI's own reports are suppressed
# with the file Open MPI ships; the rest is judged by whether an umbra frame is in the stack.
#   BUILD=dir (default build), VG_OUT=dir for the logs (default a temporary directory)
set -u
cd "$(dirname "$0")/.."
BUILD=$(realpath -m "${BUILD:-build}")
UMBRA=$BUILD/umbra
out=${VG_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/umbra-valgrind.XXXXXX")}
mkdir -p "$out"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)"; exit 77; }
supp=()
for f in /usr/share/openmpi/openmpi-valgrind.supp; do [ -r "$f" ] && supp+=("--suppressions=$f"); done
VG=(valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect
    --num-callers=30 "${supp[@]}" --log-file="$out/%q{STAGE}.rank%q{OMPI_COMM_WORLD_RANK}.vg")
run=$out/run
COMMON=(-us_windows 6 -us_walkers 2 -us_steps 2000 -us_burnin 200 -us_stride 10 -fes_bootstrap 4
        -gan_epochs 1 -gan_batch 32 -gan_critic_steps 1 -gan_layers 8 -closure_grid -1,1,5 -closure_lift_n 50
        -closure_direct_walkers 0 -lift_grid -1,1,3 -lift_n 20 -out "$run" -progress_interval 1000 -malloc_dump)
# "(h5.c:" ... : a frame in one of umbra's own source files
own="[( ]($(find src inputs/plugins -name '*.c' -printf '%f\n' | sed 's/\./\\./' | paste -sd'|')):[0-9]+\\)"
status=0
for stage in sample fes exact train lift closure report; do
  export STAGE=$stage
  if ! mpiexec -n 2 --oversubscribe --bind-to none -x STAGE "${VG[@]}" "$UMBRA" $stage "${COMMON[@]}" </dev/null >"$out/$stage.log" 2>&1; then
    echo "FAIL: umbra $stage exited non-zero under valgrind (log $out/$stage.log)"; status=1; continue
  fi
  # -malloc_dump prints what PETSc still holds at PetscFinalize
  if grep -q '\[.*\]Total space allocated' "$out/$stage.log"; then echo "FAIL: $stage: -malloc_dump reports memory left allocated"; status=1; fi
  for vg in "$out/$stage".rank*.vg; do
    # one record per blank-line separated block; an umbra record has a frame in one of umbra's
    # source files and does not come from Open MPI's start-up, shutdown or progress thread
    bad=$(awk -v own="$own" 'BEGIN { RS = "==[0-9]+== \n" }
      /(Invalid|uninitialised|Conditional jump|definitely lost|indirectly lost|Mismatched|overlap|Syscall param)/ &&
      !/(ompi_mpi_init|ompi_mpi_finalize|orte_init|PMPI_Init|PMPI_Finalize|event_base_loop)/ && $0 ~ own' "$vg")
    grep -h 'ERROR SUMMARY' "$vg" | sed "s|^|  $stage $(basename "$vg"): |"
  done
done
[ $status = 0 ] && echo "valgrind: no memcheck errors or leaks in umbra's code; -malloc_dump clean (logs in $out)"
exit $status
