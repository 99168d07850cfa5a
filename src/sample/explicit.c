/* Windows given explicitly (centres and spring constants instead of the -us_windows grid) and
   walkers that start from given states (each its own, e.g. lifted by the generator) instead
   of all from the window's restrained minimum. Used by coupling rounds (docs/coupling.md). */
#include <umbra/private/samplerimpl.h>

PetscErrorCode UmbSamplerSetWindows(UmbSampler s, PetscInt K, const PetscReal center[], const PetscReal kappa[])
{
  PetscInt d;

  PetscFunctionBegin;
  PetscCheck(!s->setup, s->comm, PETSC_ERR_ORDER, "set the windows before UmbSamplerSetUp()");
  PetscCall(UmbSamplerSetUpCV(s));
  d = s->d;
  PetscCall(PetscFree(s->centers_opt)); /* these windows replace those of -us_centers */
  s->ncenters_opt = 0;
  PetscCheck(K >= 1, s->comm, PETSC_ERR_ARG_OUTOFRANGE, "at least one window is needed, got %" PetscInt_FMT, K);
  PetscCall(PetscFree(s->center));
  PetscCall(PetscFree(s->kappa));
  PetscCall(PetscMalloc1(K * d, &s->center));
  PetscCall(PetscMalloc1(K * d, &s->kappa));
  PetscCall(PetscArraycpy(s->center, center, K * d));
  for (PetscInt k = 0; k < K; k++)
    for (PetscInt a = 0; a < d; a++) {
      s->kappa[k * d + a] = kappa ? kappa[k * d + a] : s->kappa_opt[a];
      PetscCheck(s->kappa[k * d + a] >= 0 && !PetscIsInfOrNanReal(s->kappa[k * d + a]) && !PetscIsInfOrNanReal(center[k * d + a]), s->comm, PETSC_ERR_ARG_OUTOFRANGE, "window %" PetscInt_FMT ": invalid centre or spring constant", k);
    }
  s->K             = K;
  s->explicit_grid = PETSC_TRUE;
  /* the range spans the centres */
  for (PetscInt a = 0; a < d; a++) {
    s->range[2 * a] = s->range[2 * a + 1] = center[a];
    for (PetscInt k = 1; k < K; k++) {
      s->range[2 * a]     = PetscMin(s->range[2 * a], center[k * d + a]);
      s->range[2 * a + 1] = PetscMax(s->range[2 * a + 1], center[k * d + a]);
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplerSetInitialStates(UmbSampler s, PetscInt K, const PetscReal x0[])
{
  const size_t len = (size_t)K * s->walkers * s->n;

  PetscFunctionBegin;
  PetscCheck(s->n >= 1, s->comm, PETSC_ERR_ORDER, "call UmbSamplerSetFromOptions() first");
  PetscCall(PetscFree(s->x0));
  PetscCall(PetscMalloc1(len + 1, &s->x0));
  PetscCall(PetscArraycpy(s->x0, x0, len));
  s->nx0 = K;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplerSetStreamOffset(UmbSampler s, PetscInt64 id0)
{
  PetscFunctionBegin;
  PetscCheck(id0 >= 0, s->comm, PETSC_ERR_ARG_OUTOFRANGE, "stream offset must be non-negative");
  s->stream0 = id0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplerGetWalkers(UmbSampler s, PetscInt *walkers)
{
  PetscFunctionBegin;
  *walkers = s->walkers;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplerGetSeed(UmbSampler s, PetscInt64 *seed)
{
  PetscFunctionBegin;
  *seed = s->seed;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplerInitialWalkers(UmbSampler s, PetscInt k, PetscReal x[])
{
  const PetscInt n = s->n, nw = s->walkers;

  PetscFunctionBegin;
  if (s->x0) {
    PetscCheck(s->nx0 == s->K, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "initial states were given for %" PetscInt_FMT " windows, the sampler has %" PetscInt_FMT, s->nx0, s->K);
    PetscCall(PetscArraycpy(x, s->x0 + (size_t)k * nw * n, nw * n));
  } else {
    PetscCall(UmbSamplerPrepareWindow(s, k, x));
    for (PetscInt w = 1; w < nw; w++) PetscCall(PetscArraycpy(x + w * n, x, n));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}
