# shellcheck shell=bash
# Sourced first by tests/bench/<name>/run.sh as `. "$(dirname "$0")/../common.sh" <name>`: runs
# the benchmark from the repository root with the build, tools and one-thread environment every
# benchmark uses. Environment: BUILD (build), PYTHON (/usr/bin/python3), MPIEXEC (mpiexec),
# REPEAT (3).
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
BENCH_NAME=$1
BUILD=$(realpath -m "${BUILD:-build}")
UMBRA=$BUILD/umbra
PYTHON=${PYTHON:-/usr/bin/python3}
MPIEXEC=${MPIEXEC:-mpiexec}
REPEAT=${REPEAT:-3}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi

# bench_require ["mod1, mod2"]: stops the benchmark unless umbra is built and $PYTHON imports
# the modules
bench_require() {
  [ -x "$UMBRA" ] || { echo "$BENCH_NAME: $UMBRA not found: build first (make BUILD=$BUILD)"; exit 1; }
  [ $# -eq 0 ] || "$PYTHON" -c "import $1" 2>/dev/null || { echo "$BENCH_NAME: $PYTHON lacks one of $1"; exit 1; }
}
