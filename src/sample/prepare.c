/* Each window starts from its own configuration: a restrained energy minimisation of
   U + W_k from the model's reference state. It depends on the window alone, never on
   another window's state, so results do not depend on the rank layout. */
#include <umbra/private/samplerimpl.h>
#include <gsl/gsl_multimin.h>

typedef struct {
  UmbSampler       s;
  const PetscReal *center, *kappa;
  PetscReal       *x, *g, *z, *J;
  PetscErrorCode   ierr;
} Restrained;

static double Energy(const gsl_vector *v, void *ctx)
{
  Restrained *r = (Restrained *)ctx;
  PetscReal   U, W;
  for (PetscInt i = 0; i < r->s->n; i++) r->x[i] = gsl_vector_get(v, i);
  if (!r->ierr) r->ierr = UmbModelEnergyGradient(r->s->model, 1, r->x, &U, NULL);
  if (!r->ierr) r->ierr = UmbBiasAdd(r->s->cv, r->center, r->kappa, 1, r->x, NULL, &W, r->z, r->J);
  return r->ierr ? GSL_NAN : U + W;
}

static void Gradient(const gsl_vector *v, void *ctx, gsl_vector *df)
{
  Restrained *r = (Restrained *)ctx;
  for (PetscInt i = 0; i < r->s->n; i++) r->x[i] = gsl_vector_get(v, i);
  if (!r->ierr) r->ierr = UmbModelEnergyGradient(r->s->model, 1, r->x, NULL, r->g);
  if (!r->ierr) r->ierr = UmbBiasAdd(r->s->cv, r->center, r->kappa, 1, r->x, r->g, NULL, r->z, r->J);
  for (PetscInt i = 0; i < r->s->n; i++) gsl_vector_set(df, i, r->ierr ? GSL_NAN : r->g[i]);
}

static void EnergyGradient(const gsl_vector *v, void *ctx, double *f, gsl_vector *df)
{
  *f = Energy(v, ctx);
  Gradient(v, ctx, df);
}

/* Writes the prepared state of window k into x0 (length n) */
PetscErrorCode UmbSamplerPrepareWindow(UmbSampler s, PetscInt k, PetscReal x0[])
{
  const PetscInt               n = s->n;
  Restrained                   r = {s, s->center + k * s->d, s->kappa + k * s->d, NULL, NULL, NULL, NULL, 0};
  gsl_multimin_function_fdf    fdf;
  gsl_multimin_fdfminimizer   *min;
  gsl_vector                  *start;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(UMB_EVENT.smp_minimize, 0, 0, 0, 0));
  PetscCall(UmbModelGetReferenceState(s->model, x0));
  if (s->minimize_its == 0) {
    PetscCall(PetscLogEventEnd(UMB_EVENT.smp_minimize, 0, 0, 0, 0));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(PetscMalloc4(n, &r.x, n, &r.g, s->d, &r.z, s->d * n, &r.J));
  fdf.n      = (size_t)n;
  fdf.f      = Energy;
  fdf.df     = Gradient;
  fdf.fdf    = EnergyGradient;
  fdf.params = &r;
  start      = gsl_vector_alloc((size_t)n);
  min        = gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, (size_t)n);
  PetscCheck(start && min, PETSC_COMM_SELF, PETSC_ERR_MEM, "cannot allocate the minimiser");
  for (PetscInt i = 0; i < n; i++) gsl_vector_set(start, i, x0[i]);
  UmbCallGSL(gsl_multimin_fdfminimizer_set(min, &fdf, start, 1e-2, 0.1));
  for (PetscInt it = 0; it < s->minimize_its; it++) {
    int status = gsl_multimin_fdfminimizer_iterate(min);
    if (status) break; /* no further progress: keep the best point */
    if (gsl_multimin_test_gradient(min->gradient, 1e-8) == GSL_SUCCESS) break;
  }
  PetscCall(r.ierr);
  {
    PetscBool finite = PETSC_TRUE;
    for (PetscInt i = 0; i < n; i++) finite = (PetscBool)(finite && !PetscIsInfOrNanReal(gsl_vector_get(min->x, i)));
    if (finite)
      for (PetscInt i = 0; i < n; i++) x0[i] = gsl_vector_get(min->x, i);
  }
  gsl_multimin_fdfminimizer_free(min);
  gsl_vector_free(start);
  PetscCall(PetscFree4(r.x, r.g, r.z, r.J));
  PetscCall(PetscLogEventEnd(UMB_EVENT.smp_minimize, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
