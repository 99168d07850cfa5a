/* Each window starts from its own configuration: the model's reference state is pulled to the
   window along a path of restraint centres (steps of half a window width), with a restrained
   energy minimisation of U + W at each centre. It depends on the window alone, never on another
   window's state, so results do not depend on the rank layout; pulling in small steps keeps the
   state on a continuous path instead of letting one minimisation jump into a distant basin. */
#include <umbra/private/samplerimpl.h>
#include <gsl/gsl_multimin.h>

typedef struct {
  UmbSampler       s;
  const PetscReal *center, *kappa; /* current restraint */
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

/* One evaluation for both: a model behind an engine pays per call */
static void EnergyGradient(const gsl_vector *v, void *ctx, double *f, gsl_vector *df)
{
  Restrained *r = (Restrained *)ctx;
  PetscReal   U, W;
  for (PetscInt i = 0; i < r->s->n; i++) r->x[i] = gsl_vector_get(v, i);
  if (!r->ierr) r->ierr = UmbModelEnergyGradient(r->s->model, 1, r->x, &U, r->g);
  if (!r->ierr) r->ierr = UmbBiasAdd(r->s->cv, r->center, r->kappa, 1, r->x, r->g, &W, r->z, r->J);
  *f = r->ierr ? GSL_NAN : U + W;
  for (PetscInt i = 0; i < r->s->n; i++) gsl_vector_set(df, i, r->ierr ? GSL_NAN : r->g[i]);
}

/* Restrained minimisation from x (overwritten by the minimum when it is finite) */
static PetscErrorCode Minimise(Restrained *r, PetscReal x[])
{
  const PetscInt             n = r->s->n;
  gsl_multimin_function_fdf  fdf;
  gsl_multimin_fdfminimizer *min;
  gsl_vector                *start;
  PetscBool                  finite = PETSC_TRUE;

  PetscFunctionBegin;
  fdf.n      = (size_t)n;
  fdf.f      = Energy;
  fdf.df     = Gradient;
  fdf.fdf    = EnergyGradient;
  fdf.params = r;
  start      = gsl_vector_alloc((size_t)n);
  min        = gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, (size_t)n);
  PetscCheck(start && min, PETSC_COMM_SELF, PETSC_ERR_MEM, "cannot allocate the minimiser");
  for (PetscInt i = 0; i < n; i++) gsl_vector_set(start, i, x[i]);
  UmbCallGSL(gsl_multimin_fdfminimizer_set(min, &fdf, start, 1e-2, 0.1));
  for (PetscInt it = 0; it < r->s->minimize_its; it++) {
    if (gsl_multimin_fdfminimizer_iterate(min)) break; /* no further progress: keep the best point */
    if (gsl_multimin_test_gradient(min->gradient, 1e-8) == GSL_SUCCESS) break;
  }
  PetscCall(r->ierr);
  for (PetscInt i = 0; i < n; i++) finite = (PetscBool)(finite && !PetscIsInfOrNanReal(gsl_vector_get(min->x, i)));
  if (finite)
    for (PetscInt i = 0; i < n; i++) x[i] = gsl_vector_get(min->x, i);
  gsl_multimin_fdfminimizer_free(min);
  gsl_vector_free(start);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Writes the prepared state of window k into x0 (length n) */
PetscErrorCode UmbSamplerPrepareWindow(UmbSampler s, PetscInt k, PetscReal x0[])
{
  const PetscInt   n = s->n, d = s->d;
  const PetscReal *target = s->center + k * d, *kappa = s->kappa + k * d;
  PetscReal        z0[2], center[2], beta, steps = 1;
  Restrained       r = {s, center, kappa, NULL, NULL, NULL, NULL, 0};

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(UMB_EVENT.smp_minimize, 0, 0, 0, 0));
  PetscCall(UmbModelGetReferenceState(s->model, x0));
  if (s->minimize_its > 0) {
    PetscCall(PetscMalloc4(n, &r.x, n, &r.g, d, &r.z, d * n, &r.J));
    PetscCall(UmbModelGetBeta(s->model, &beta));
    PetscCall(UmbCVEvaluate(s->cv, 1, x0, z0, NULL));
    /* number of pulling steps: half a window width (1 / sqrt(beta kappa)) each, at most 100 */
    for (PetscInt a = 0; a < d; a++) {
      const PetscReal dist = PetscAbsReal(UmbCVDifference(s->cv, a, target[a], z0[a]));
      if (kappa[a] > 0) steps = PetscMax(steps, PetscCeilReal(2 * dist * PetscSqrtReal(beta * kappa[a])));
    }
    steps = PetscMin(steps, 100);
    for (PetscInt j = 1; j <= (PetscInt)steps; j++) {
      for (PetscInt a = 0; a < d; a++) center[a] = z0[a] + UmbCVDifference(s->cv, a, target[a], z0[a]) * (PetscReal)j / steps;
      PetscCall(Minimise(&r, x0));
    }
    PetscCall(PetscFree4(r.x, r.g, r.z, r.J));
  }
  PetscCall(PetscLogEventEnd(UMB_EVENT.smp_minimize, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
