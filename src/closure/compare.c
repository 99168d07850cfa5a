/* Closures of the generator against those of the physics samples, observable by observable:
   rows closure_<observable>_max_z of consistency.csv (docs/closures.md, "Error budget of a
   generator closure"). */
#include <umbra/private/closureimpl.h>
#include <gsl/gsl_cdf.h>

PetscReal UmbClosureMaxZ(UmbClosure c, PetscInt k, const PetscReal a[], const PetscReal ea[], const PetscReal b[], const PetscReal eb[], PetscInt *cnt)
{
  PetscReal mz = 0;

  *cnt = 0;
  for (PetscInt g = 0; g < c->ng; g++) {
    const PetscInt  i = g * c->nobs + k;
    const PetscReal s = PetscSqrtReal(PetscSqr(ea[i]) + (eb ? PetscSqr(eb[i]) : 0));
    if (PetscIsInfOrNanReal(a[i]) || PetscIsInfOrNanReal(b[i])) continue;
    if (PetscAbsReal(a[i] - b[i]) <= 1e-12 * (PetscAbsReal(a[i]) + PetscAbsReal(b[i]))) continue; /* equal up to round-off (constant observables) */
    (*cnt)++;
    mz = PetscMax(mz, PetscAbsReal(a[i] - b[i]) / s);
  }
  return mz;
}

/* The generator learned p(x | z) from the physics samples, so its closure carries their
   sampling error besides its own lifting error: gan - physics is compared with
   sqrt(physics_err^2 + gan_err^2) at every grid point. One family over all observables and grid
   points (N comparisons, neighbouring points share samples): Bonferroni, |d| / s against
   z_{1 - alpha / (2N)} for each observable's largest value. */
PetscErrorCode UmbClosureCheckClosures(UmbClosure c)
{
  PetscInt  N = 0, *cnt;
  PetscReal *mz, tol;

  PetscFunctionBegin;
  PetscCall(PetscMalloc2(c->nobs, &cnt, c->nobs, &mz));
  for (PetscInt k = 0; k < c->nobs; k++) {
    PetscBool fz = PETSC_TRUE; /* a function of z alone: every lifted state gives the same value */
    for (PetscInt g = 0; g < c->ng && fz; g++) {
      const PetscInt i = g * c->nobs + k;
      fz               = (PetscBool)(!PetscIsInfOrNanReal(c->gerr[i]) && c->gerr[i] <= 1e-12 * PetscAbsReal(c->gval[i]));
    }
    mz[k] = UmbClosureMaxZ(c, k, c->gval, c->gerr, c->phys, c->phys_err, &cnt[k]);
    if (fz) cnt[k] = 0;
    N += cnt[k];
  }
  tol = N ? gsl_cdf_ugaussian_Qinv(c->alpha / (2 * N)) : NAN;
  for (PetscInt k = 0; k < c->nobs; k++) {
    char nm[160], what[256];
    /* not compared: the same value on both routes everywhere (diffusion of a coordinate CV), or a
       function of z alone (mean-force component along a coordinate that appears in no other
       term), where only the regression's smoothing bias would be tested, not the generator */
    if (!cnt[k]) continue;
    snprintf(nm, sizeof(nm), "closure_%s_max_z", c->names[k]);
    snprintf(what, sizeof(what), "%s, generator vs physics at %" PetscInt_FMT " grid points: largest difference in combined standard errors", c->names[k], cnt[k]);
    PetscCall(UmbClosureAddCheck(c, nm, mz[k], tol, what));
  }
  PetscCall(PetscFree2(cnt, mz));
  PetscFunctionReturn(PETSC_SUCCESS);
}
