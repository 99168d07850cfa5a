#!/usr/bin/env bash
# Mutation check of the statistical tests (`make check-mutants`, not part of `make check`):
# each mutant plants a known bug in a copy of the committed tree, and the named tests must fail.
# A mutant that survives means the tests cannot see that bug.
set -u
cd "$(dirname "$0")/.."
export OPENBLAS_NUM_THREADS=1
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
mutants=(
  # file | sed expression | tests that must fail | what the bug is
  "src/sample/integrate.c|s/PetscSqrtReal(2 \* s->dt \* M\[i\] \/ beta)/PetscSqrtReal(s->dt * M[i] \/ beta)/|t221|noise factor sqrt(2) missing"
  "src/sample/integrate.c|s/x\[i\] += -h\[i\] \* g\[i\] + c\[i\] \* (r0\[i\] + r1\[i\]);/x[i] += -h[i] * g[i] + 2 * c[i] * r0[i];/|t223|LM noise average dropped (EM in disguise)"
  "src/model/fastslow.c|s/if (g) g\[i\] = 2 \* r \* iD;/if (g) g[i] = 1.5 * r * iD;/|t221|wrong drift of the fast variables"
  "src/model/fastslow.c|s/- sr2 \* iD \* iD \* dD;/+ 0 * sr2 * iD * iD * dD;/|t222|slow drift misses the coupling's entropic force"
  "src/sample/bias.c|s/if (coord) g\[k \* n + idx\[a\]\] += f;/if (coord) g[k * n + idx[a]] -= f;/|t222|umbrella bias with the wrong sign"
  "src/sample/bias.c|s/f = kappa\[a\] \* diff;/f = 1.1 * kappa[a] * diff;/|t222|umbrella bias 10% too strong"
)
work=$(mktemp -d "${TMPDIR:-/tmp}/umbra-mutants.XXXXXX")
trap 'rm -rf "$work"' EXIT
survived=0
for m in "${mutants[@]}"; do
  IFS='|' read -r file expr tests what <<<"$m"
  rm -rf "$work/tree" && mkdir -p "$work/tree"
  git archive HEAD | tar -x -C "$work/tree"
  cp "$work/tree/$file" "$work/orig"
  sed -i "$expr" "$work/tree/$file"
  if cmp -s "$work/orig" "$work/tree/$file"; then echo "mutant not applied (update tests/mutants.sh): $what"; survived=1; continue; fi
  if ! make -C "$work/tree" -j2 >"$work/build.log" 2>&1; then echo "mutant does not build: $what"; survived=1; continue; fi
  if (cd "$work/tree" && FILTER="$tests" tests/run.sh >"$work/test.log" 2>&1); then
    echo "SURVIVED: $what ($file) -- $tests still pass"; survived=1
  else
    echo "killed:   $what -- $(grep -c '^not ok' "$work/test.log") failing cases in $tests"
  fi
done
exit $survived
