/* Time-step check before sampling: the overdamped schemes are stable only for dt * lambda < 2,
   lambda the largest relaxation rate, the largest eigenvalue of M^1/2 H M^1/2 with H the Hessian
   of U + W_k. It is estimated at each window's prepared state by power iteration on
   finite-difference Hessian-vector products, so an unstable -us_dt is refused with the rate
   and the largest stable step instead of producing a blow-up, or silently chaotic samples. */
#include <umbra/private/samplerimpl.h>

typedef struct {
  PetscReal *v, *xp, *gp, *gm, *z, *J, *sqrtM;
} Work;

/* g = grad (U + W_k) at x */
static PetscErrorCode Gradient(UmbSampler s, PetscInt k, const PetscReal x[], PetscReal g[], Work *w)
{
  PetscFunctionBegin;
  PetscCall(UmbModelEnergyGradient(s->model, 1, x, NULL, g));
  PetscCall(UmbBiasAdd(s->cv, s->center + k * s->d, s->kappa + k * s->d, 1, x, g, NULL, w->z, w->J));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Largest |eigenvalue| of M^1/2 H M^1/2 at x and the coordinate that dominates its eigenvector */
PetscErrorCode UmbSamplerStiffness(UmbSampler s, PetscInt k, const PetscReal x[], PetscReal *rate, PetscInt *coord)
{
  const PetscInt   n = s->n;
  const PetscReal *M;
  PetscReal        lambda = 0;
  Work             w;

  PetscFunctionBegin;
  PetscCall(UmbModelGetMobility(s->model, &M));
  PetscCall(PetscMalloc5(n, &w.v, n, &w.xp, n, &w.gp, n, &w.gm, n, &w.sqrtM));
  PetscCall(PetscMalloc2(s->d, &w.z, s->d * n, &w.J));
  for (PetscInt i = 0; i < n; i++) {
    w.sqrtM[i] = PetscSqrtReal(M[i]);
    w.v[i]     = 1 / PetscSqrtReal((PetscReal)n) * (1 + 0.1 * (PetscReal)(i % 7)); /* generic start */
  }
  for (PetscInt it = 0; it < 60; it++) {
    PetscReal norm = 0, eps, xnorm = 0, prev = lambda;
    for (PetscInt i = 0; i < n; i++) norm += w.v[i] * w.v[i];
    norm = PetscSqrtReal(norm);
    for (PetscInt i = 0; i < n; i++) {
      w.v[i] /= norm;
      xnorm = PetscMax(xnorm, PetscAbsReal(x[i]));
    }
    /* H u with u = M^1/2 v, by central differences */
    eps = 1e-5 * (1 + xnorm);
    for (PetscInt i = 0; i < n; i++) w.xp[i] = x[i] + eps * w.sqrtM[i] * w.v[i];
    PetscCall(Gradient(s, k, w.xp, w.gp, &w));
    for (PetscInt i = 0; i < n; i++) w.xp[i] = x[i] - eps * w.sqrtM[i] * w.v[i];
    PetscCall(Gradient(s, k, w.xp, w.gm, &w));
    lambda = 0;
    for (PetscInt i = 0; i < n; i++) {
      const PetscReal Av = w.sqrtM[i] * (w.gp[i] - w.gm[i]) / (2 * eps);
      lambda += w.v[i] * Av; /* Rayleigh quotient */
      w.v[i] = Av;
    }
    if (it > 5 && PetscAbsReal(lambda - prev) <= 1e-3 * PetscAbsReal(lambda)) break;
  }
  {
    PetscReal big = -1;
    for (PetscInt i = 0; i < n; i++)
      if (PetscAbsReal(w.v[i]) > big) {
        big    = PetscAbsReal(w.v[i]);
        *coord = i;
      }
  }
  *rate = PetscAbsReal(lambda);
  PetscCall(PetscFree5(w.v, w.xp, w.gp, w.gm, w.sqrtM));
  PetscCall(PetscFree2(w.z, w.J));
  PetscFunctionReturn(PETSC_SUCCESS);
}
