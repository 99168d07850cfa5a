#!/usr/bin/env bash
# Plugin models end to end: the example plugin inputs/plugins/doublewell.c (built by make into
# $BUILD/plugins/libdoublewell.so) samples with its own CV (-cv plugin) at 1 and 2 ranks, with
# the same samples at both rank counts, and loads by a bare file name from the working
# directory. Then every way of giving a bad plugin stops the run with exit code 2 (bad input;
# 1 for a failure inside the plugin during sampling), a message on stderr naming the cause, and
# at 2 ranks exactly one "umbra: error:" line: a path that does not exist, a file that is not a
# shared library, a library without the required symbols, a wrong ABI version, a failing
# umbra_plugin_create (its own error text), -cv plugin with a plugin that has no CV, a missing
# -model_plugin, an energy that fails during sampling.
# Would catch: a crash or hang instead of an error, one error line per rank, a message that does
# not say what is wrong, rank-count dependence of plugin runs.
set -u
UMBRA=${UMBRA:?} BUILD=${BUILD:?} SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
MPIEXEC=${MPIEXEC:-mpiexec} MPIEXEC_FLAGS=${MPIEXEC_FLAGS:---oversubscribe}
PLUGIN=$BUILD/plugins/libdoublewell.so
CC=${CC:-cc}
command -v "$CC" >/dev/null || { echo "no C compiler ($CC) to build the bad plugins"; exit 77; }
[ -f "$PLUGIN" ] || { echo "FAIL: $PLUGIN was not built (make builds inputs/plugins/*.c)"; exit 1; }

status=0
fail() { echo "FAIL: $*"; status=1; }
umbra() { # np args...
  local np=$1
  shift
  # shellcheck disable=SC2086
  timeout 120 $MPIEXEC -n "$np" $MPIEXEC_FLAGS "$UMBRA" "$@" </dev/null
}
SHORT=(-us_windows 4 -us_range -1.2,1.2 -us_walkers 2 -us_steps 2000 -us_burnin 200 -us_stride 10)

# ---- good runs -------------------------------------------------------------------------------
for np in 1 2; do
  if umbra $np sample -model plugin -model_plugin "$PLUGIN" -model_plugin_options "h=2 k=10 c=0.5" -cv plugin "${SHORT[@]}" -out good$np >good$np.out 2>good$np.err; then
    [ -s good$np/samples.h5 ] || fail "np=$np: no samples.h5"
    [ -s good$np/windows.csv ] || fail "np=$np: no windows.csv"
  else
    fail "np=$np: plugin run failed"
    cat good$np.err
  fi
done
if command -v h5dump >/dev/null && [ -s good1/samples.h5 ] && [ -s good2/samples.h5 ]; then
  for ds in /samples/x /samples/z; do
    h5dump -d $ds -y good1/samples.h5 | sed -n '/DATA/,$p' >a.txt
    h5dump -d $ds -y good2/samples.h5 | sed -n '/DATA/,$p' >b.txt
    [ -s a.txt ] && cmp -s a.txt b.txt || fail "$ds differs between 1 and 2 ranks"
  done
fi
# a bare name is a file in the working directory
cp "$PLUGIN" .
umbra 1 sample -model plugin -model_plugin libdoublewell.so -cv plugin "${SHORT[@]}" -us_steps 200 -out bare >bare.out 2>bare.err ||
  { fail "-model_plugin libdoublewell.so (bare name in the working directory) failed"; cat bare.err; }

# ---- bad plugins, built on the fly -----------------------------------------------------------
cat >nosym.c <<'EOF'
int umbra_plugin_abi_version(void) { return 1; }
int something_else(void) { return 0; }
EOF
cat >nocv.c <<'EOF'
#include <umbra/plugin.h>
#include <stdlib.h>
int umbra_plugin_abi_version(void) { return UMBRA_PLUGIN_ABI_VERSION; }
int umbra_plugin_create(const char *o, void **ctx, int *n) { (void)o; *ctx = malloc(1); *n = 3; return 0; }
void umbra_plugin_destroy(void *ctx) { free(ctx); }
int umbra_plugin_energy(void *ctx, int nw, const double *x, double *U, double *g)
{
  (void)ctx;
  for (int k = 0; k < 3 * nw; k++) {
    if (U && k % 3 == 0) U[k / 3] = 0;
    if (U) U[k / 3] += 0.5 * x[k] * x[k];
    if (g) g[k] = x[k];
  }
  return 0;
}
EOF
cat >abi.c <<'EOF'
int umbra_plugin_abi_version(void) { return 99; }
int umbra_plugin_create(const char *o, void **ctx, int *n) { return 1; }
int umbra_plugin_energy(void *ctx, int nw, const double *x, double *U, double *g) { return 1; }
EOF
cat >boom.c <<'EOF'
#include <umbra/plugin.h>
int umbra_plugin_abi_version(void) { return UMBRA_PLUGIN_ABI_VERSION; }
int umbra_plugin_create(const char *o, void **ctx, int *n) { (void)o; *ctx = 0; *n = 2; return 0; }
int umbra_plugin_energy(void *ctx, int nw, const double *x, double *U, double *g) { return 7; }
const char *umbra_plugin_error(void *ctx) { return "boom: energy undefined here"; }
EOF
for p in nosym nocv abi boom; do
  $CC -std=c11 -fPIC -shared -I"$SRCDIR/include" $p.c -o lib$p.so || { echo "FAIL: cannot build lib$p.so"; exit 1; }
done
echo "this is not a shared library" >notalib.so

# the shared bad-input check (exit code, one error line, no hang or crash), at 1 and 2 ranks
. "$SRCDIR/tests/bad-input.sh"
fail=0
S="sample ${SHORT[*]} -out bad -model plugin"
cases=(
  # exit | pattern (extended regex) | arguments
  "2|libnothere.so' does not exist|$S -model_plugin ./libnothere.so"
  "2|cannot load './notalib.so' as a shared library|$S -model_plugin ./notalib.so"
  "2|lacks the required symbols umbra_plugin_create, umbra_plugin_energy|$S -model_plugin ./libnosym.so"
  "2|ABI version 99|$S -model_plugin ./libabi.so"
  "2|doublewell: h must be non-negative|$S -model_plugin $PLUGIN -model_plugin_options h=-1"
  "2|unknown option \(use h, k, c\): q|$S -model_plugin $PLUGIN -model_plugin_options q=1"
  "2|has no umbra_plugin_cv|$S -model_plugin ./libnocv.so -cv plugin"
  "2|needs -model_plugin|$S"
  "1|libboom.so': umbra_plugin_energy failed \(returned 7\): boom|$S -model_plugin ./libboom.so -cv coord"
)
expect_errors "1 2"
[ $fail = 0 ] || status=1
# the plugin without a CV works with the built-in CVs
umbra 1 sample -model plugin -model_plugin ./libnocv.so -cv coord -cv_index 2 "${SHORT[@]}" -out nocv >nocv.out 2>nocv.err ||
  { fail "plugin without CV and -cv coord failed"; cat nocv.err; }

[ $status = 0 ] && echo "all plugin checks passed"
exit $status
