/* The grid of window centres: K1 (x K2) points spanning -us_range, first component slowest. */
#include <umbra/private/samplerimpl.h>

/* Centre j of nk on [lo, hi]; a periodic component spanning a whole period omits hi (= lo). A span
   short of the period by less than 1e-3 of the spacing is a whole period given to a few digits
   (-3.14159265,3.14159265): otherwise its two ends would be two windows a rounding error apart. */
static PetscReal GridPoint(PetscReal lo, PetscReal hi, PetscInt nk, PetscInt j, PetscReal period)
{
  if (nk == 1) return 0.5 * (lo + hi);
  if (period > 0 && hi - lo >= period - 1e-3 * period / nk) return lo + (hi - lo) * (PetscReal)j / (PetscReal)nk;
  return lo + (hi - lo) * (PetscReal)j / (PetscReal)(nk - 1);
}

PetscErrorCode UmbSamplerBuildGrid(UmbSampler s)
{
  PetscReal period[2] = {0, 0};
  PetscInt  n1 = s->nwin[0], n2 = s->d > 1 ? s->nwin[1] : 1;

  PetscFunctionBegin;
  if (s->explicit_grid) PetscFunctionReturn(PETSC_SUCCESS); /* -us_centers or UmbSamplerSetWindows */
  PetscCall(UmbCVGetPeriod(s->cv, period));
  s->K = n1 * n2;
  PetscCall(PetscFree(s->center));
  PetscCall(PetscFree(s->kappa));
  PetscCall(PetscMalloc1(s->K * s->d, &s->center));
  PetscCall(PetscMalloc1(s->K * s->d, &s->kappa));
  for (PetscInt i = 0; i < n1; i++) {
    for (PetscInt j = 0; j < n2; j++) {
      PetscInt k = i * n2 + j;
      s->center[k * s->d] = GridPoint(s->range[0], s->range[1], n1, i, period[0]);
      s->kappa[k * s->d]  = s->kappa_opt[0];
      if (s->d > 1) {
        s->center[k * s->d + 1] = GridPoint(s->range[2], s->range[3], n2, j, period[1]);
        s->kappa[k * s->d + 1]  = s->kappa_opt[1];
      }
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}
