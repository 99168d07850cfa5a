/* The harmonic umbrella bias W_k(x) = 1/2 sum_a kappa_a (xi_a(x) - z_ka)^2 and its gradient. */
#include <umbra/sampler.h>

PetscErrorCode UmbBiasAdd(UmbCV cv, const PetscReal center[], const PetscReal kappa[], PetscInt nw, const PetscReal X[], PetscReal g[], PetscReal W[], PetscReal z[], PetscReal J[])
{
  PetscInt  d, n, idx[2];
  PetscBool coord;
  UmbModel  model;

  PetscFunctionBegin;
  PetscCall(UmbCVGetDimension(cv, &d));
  PetscCall(UmbCVGetModel(cv, &model));
  PetscCall(UmbModelGetDimension(model, &n));
  PetscCall(UmbCVGetCoordinates(cv, &coord, idx));
  /* coordinate CVs have unit gradients: skip the Jacobian */
  PetscCall(UmbCVEvaluate(cv, nw, X, z, coord ? NULL : J));
  for (PetscInt k = 0; k < nw; k++) {
    PetscReal w = 0;
    for (PetscInt a = 0; a < d; a++) {
      const PetscReal diff = UmbCVDifference(cv, a, z[k * d + a], center[a]), f = kappa[a] * diff;
      w += 0.5 * f * diff;
      if (!g) continue;
      if (coord) g[k * n + idx[a]] += f;
      else
        for (PetscInt i = 0; i < n; i++) g[k * n + i] += f * J[(k * d + a) * n + i];
    }
    if (W) W[k] = w;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}
