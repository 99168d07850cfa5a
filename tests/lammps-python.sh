# Sourced by the shell tests that run LAMMPS campaigns and check them with Python (t250, t609):
# skips (exit 77) when umbra was built without LAMMPS or $PY lacks numpy or h5py, and defines
#   run NP ARGS...   umbra ARGS on NP ranks in the current directory, its output appended to
#                    log.txt; on failure prints the log's tail and exits 1.
# Uses UMBRA, MPIEXEC, MPIEXEC_FLAGS (tests/run.sh) and PYTHON (default /usr/bin/python3).
PY=${PYTHON:-/usr/bin/python3}
"$UMBRA" sample -model lammps 2>&1 | grep -q 'built without LAMMPS' && { echo "skip: umbra was built without LAMMPS"; exit 77; }
"$PY" -c 'import numpy, h5py' 2>/dev/null || { echo "skip: numpy or h5py not importable by $PY"; exit 77; }
run() { # np args...
  local np=$1
  shift
  timeout 600 $MPIEXEC -n "$np" $MPIEXEC_FLAGS "$UMBRA" "$@" </dev/null >>log.txt 2>&1 || { echo "umbra $* failed:"; tail -n 20 log.txt; exit 1; }
}
