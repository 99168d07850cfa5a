/* Exact reference of the fastslow model against quadratures written here, using only the model's
   energy (UmbModelEnergyGradient), never the formulas of src/model/exact_fastslow.c.
   gaussian: beta F(x) (absolute: -ln int exp(-beta U(x, y)) dy), mean_y<i> and var_y<i> against
     GSL qagi integrals of exp(-beta (U(x, y_i = t) - U(x, 0))) over each fast coordinate, at
     several x and beta and m = 3. Catches a wrong factor of m/2 or beta, a wrong index in
     A cos(i x), a variance without 1/beta or (1 + gamma x^2).
   tilted: symmetry beta F(-x) = beta F(x), mean odd in x, ppos(-x) = 1 - ppos(x), var > 0,
     0 <= ppos <= 1, sign(mean) = sign(t x); and beta F, mean, var, ppos against a fine-grid
     trapezoid (400001 points) to 1e-8 relative, for beta up to 10 and t of both signs. Catches a
     wrong shift (overflow at large beta t x), a lost mode (range or breakpoints), ppos split
     at the wrong place, m ln Z with the wrong m.
   Availability: fastslow with coord y1 or a linear CV has no reference, and SetUp says so with
   PETSC_ERR_USER_INPUT; observable names and their order. */
// TEST: nsize=1
#include "tap.h"
#include <gsl/gsl_integration.h>

typedef struct {
  UmbModel  model;
  UmbCV     cv;
  UmbExact  exact;
  PetscInt  n;
  PetscReal beta;
} Objects;

/* Builds model, CV and exact reference from an options string in a fresh options database */
static PetscErrorCode Build(const char opts[], Objects *o)
{
  PetscOptions db;

  PetscFunctionBegin;
  PetscCall(PetscOptionsCreate(&db));
  PetscCall(PetscOptionsInsertString(db, opts));
  PetscCall(PetscOptionsPush(db));
  PetscCall(UmbModelCreate(PETSC_COMM_WORLD, &o->model));
  PetscCall(UmbModelSetFromOptions(o->model));
  PetscCall(UmbModelSetUp(o->model));
  PetscCall(UmbModelGetDimension(o->model, &o->n));
  PetscCall(UmbModelGetBeta(o->model, &o->beta));
  PetscCall(UmbCVCreate(o->model, &o->cv));
  PetscCall(UmbCVSetFromOptions(o->cv));
  PetscCall(UmbCVSetUp(o->cv));
  PetscCall(UmbExactCreate(o->cv, &o->exact));
  PetscCall(UmbExactSetFromOptions(o->exact));
  PetscCall(PetscOptionsPop());
  PetscCall(PetscOptionsDestroy(&db));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Clear(Objects *o)
{
  PetscFunctionBegin;
  PetscCall(UmbExactDestroy(&o->exact));
  PetscCall(UmbCVDestroy(&o->cv));
  PetscCall(UmbModelDestroy(&o->model));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* exp(-beta (U(x, t e_i) - U(x, 0))) t^power for the GSL integrator */
typedef struct {
  Objects       *o;
  PetscReal      x, U0;
  PetscInt       i, power;
  PetscReal      center;
  PetscErrorCode ierr;
} RayCtx;

static double RayIntegrand(double t, void *ctx)
{
  RayCtx   *c = (RayCtx *)ctx;
  PetscReal X[64] = {0}, U;
  double    f;
  X[0]    = c->x;
  X[c->i] = t;
  if (c->ierr) return 0;
  c->ierr = UmbModelEnergyGradient(c->o->model, 1, X, &U, NULL);
  f       = exp(-c->o->beta * (U - c->U0));
  return c->power == 0 ? f : c->power == 1 ? t * f : (t - c->center) * (t - c->center) * f;
}

static PetscReal maxdiff[2]; /* largest |beta F - reference| seen: gaussian, tilted */

static PetscErrorCode Gaussian(void)
{
  const PetscReal betas[3] = {0.5, 1, 4}, xs[7] = {-1.7, -1, -0.3, 0, 0.4, 1.2, 2};
  gsl_integration_workspace *ws = gsl_integration_workspace_alloc(2000);

  PetscFunctionBegin;
  for (int b = 0; b < 3; b++) {
    Objects            o;
    char               opts[256];
    PetscInt           nobs;
    const char *const *names;
    snprintf(opts, sizeof(opts), "-model fastslow -fastslow_m 3 -fastslow_a 0.8 -fastslow_s 0.6 -fastslow_gamma 0.7 -fastslow_h 1.5 -beta %g", (double)betas[b]);
    PetscCall(Build(opts, &o));
    PetscCall(UmbExactSetUp(o.exact));
    PetscCall(UmbExactGetObservables(o.exact, &nobs, &names));
    UMB_CHECK(nobs == 6, "gaussian m = 3: %d observables", (int)nobs);
    for (PetscInt i = 0; i < nobs && i < 6; i++) {
      char want[32];
      snprintf(want, sizeof(want), "%s_y%d", i % 2 ? "var" : "mean", (int)(i / 2 + 1));
      UMB_CHECK(!strcmp(names[i], want), "observable %d is %s, expected %s", (int)i, names[i], want);
    }
    for (int k = 0; k < 7; k++) {
      PetscReal z = xs[k], F, obs[6], X[4] = {z, 0, 0, 0}, U0, Fq;
      RayCtx    c = {&o, z, 0, 0, 0, 0, 0};
      PetscCall(UmbExactEvaluate(o.exact, &z, &F, obs));
      PetscCall(UmbModelEnergyGradient(o.model, 1, X, &U0, NULL));
      c.U0 = U0;
      Fq   = o.beta * U0; /* beta F = beta U(x, 0) - sum_i ln int exp(-beta (U(x, t e_i) - U(x, 0))) dt */
      for (PetscInt i = 1; i <= 3; i++) {
        gsl_function G = {RayIntegrand, &c};
        double       Z, m1, m2, err;
        c.i     = i;
        c.power = 0;
        UmbCallGSL(gsl_integration_qagi(&G, 0, 1e-12, 2000, ws, &Z, &err));
        c.power = 1;
        UmbCallGSL(gsl_integration_qagi(&G, 1e-13 * Z, 1e-12, 2000, ws, &m1, &err));
        c.power  = 2;
        c.center = m1 / Z;
        UmbCallGSL(gsl_integration_qagi(&G, 1e-13 * Z, 1e-12, 2000, ws, &m2, &err));
        PetscCall(c.ierr);
        Fq -= log(Z);
        UMB_CHECK_CLOSE(obs[2 * (i - 1)], m1 / Z, 1e-9, 1e-10, "gaussian mean_y vs quadrature");
        UMB_CHECK_CLOSE(obs[2 * (i - 1) + 1], m2 / Z, 1e-9, 1e-12, "gaussian var_y vs quadrature");
      }
      UMB_CHECK_CLOSE(F, Fq, 1e-10, 1e-9, "gaussian beta F vs quadrature");
      maxdiff[0] = PetscMax(maxdiff[0], PetscAbsReal(F - Fq));
    }
    PetscCall(Clear(&o));
  }
  gsl_integration_workspace_free(ws);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Trapezoid on [-L, L] of the density of y_1 given x: beta F (with m identical factors), mean,
   var and P(y_1 > 0), all from the model's energy */
static PetscErrorCode Trapezoid(Objects *o, PetscInt m, PetscReal x, PetscReal *F, PetscReal *mean, PetscReal *var, PetscReal *ppos)
{
  const PetscInt  N = 400001, chunk = 1000;
  const PetscReal L = 4, h = 2 * L / (N - 1);
  PetscReal      *X, *U, *u, X0[64] = {0}, U0, umin = PETSC_MAX_REAL, Z = 0, Zp = 0, m1 = 0, m2 = 0;

  PetscFunctionBegin;
  PetscCall(PetscMalloc3(chunk * o->n, &X, chunk, &U, N, &u));
  PetscCall(PetscArrayzero(X, chunk * o->n));
  X0[0] = x;
  PetscCall(UmbModelEnergyGradient(o->model, 1, X0, &U0, NULL));
  for (PetscInt k0 = 0; k0 < N; k0 += chunk) {
    const PetscInt nk = PetscMin(chunk, N - k0);
    for (PetscInt k = 0; k < nk; k++) {
      X[k * o->n]     = x;
      X[k * o->n + 1] = -L + h * (PetscReal)(k0 + k);
    }
    PetscCall(UmbModelEnergyGradient(o->model, nk, X, U, NULL));
    for (PetscInt k = 0; k < nk; k++) {
      u[k0 + k] = U[k] - U0;
      umin      = PetscMin(umin, u[k0 + k]);
    }
  }
  for (PetscInt k = 0; k < N; k++) {
    const PetscReal y = -L + h * (PetscReal)k, f = PetscExpReal(-o->beta * (u[k] - umin)) * (k == 0 || k == N - 1 ? 0.5 : 1);
    Z += f;
    m1 += y * f;
    if (2 * k == N - 1) Zp += 0.5 * f; /* y = 0: end point of the trapezoid on [0, L] */
    else if (2 * k > N - 1) Zp += f;
  }
  for (PetscInt k = 0; k < N; k++) {
    const PetscReal y = -L + h * (PetscReal)k, f = PetscExpReal(-o->beta * (u[k] - umin)) * (k == 0 || k == N - 1 ? 0.5 : 1);
    m2 += (y - m1 / Z) * (y - m1 / Z) * f;
  }
  *F    = o->beta * U0 - (PetscReal)m * (PetscLogReal(Z * h) - o->beta * umin);
  *mean = m1 / Z;
  *var  = m2 / Z;
  *ppos = Zp / Z;
  PetscCall(PetscFree3(X, U, u));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Tilted(void)
{
  const PetscReal betas[3] = {1, 3, 10}, ts[2] = {1, -0.7}, xs[5] = {0, 0.2, 0.5, 1, 1.5};

  PetscFunctionBegin;
  for (int b = 0; b < 3; b++)
    for (int it = 0; it < 2; it++) {
      Objects            o;
      char               opts[256];
      PetscInt           nobs;
      const char *const *names;
      snprintf(opts, sizeof(opts), "-model fastslow -fastslow_coupling tilted -fastslow_m 2 -fastslow_cw 1.3 -fastslow_t %g -beta %g", (double)ts[it], (double)betas[b]);
      PetscCall(Build(opts, &o));
      PetscCall(UmbExactSetUp(o.exact));
      PetscCall(UmbExactGetObservables(o.exact, &nobs, &names));
      UMB_CHECK(nobs == 6 && !strcmp(names[0], "mean_y1") && !strcmp(names[1], "var_y1") && !strcmp(names[2], "ppos_y1") && !strcmp(names[5], "ppos_y2"), "tilted observables: %d, first %s", (int)nobs, nobs ? names[0] : "-");
      for (int k = 0; k < 5; k++) {
        PetscReal x = xs[k], mx = -xs[k], F, Fm, obs[6], obsm[6], Ft = 0, mean = 0, var = 0, ppos = 0;
        PetscCall(UmbExactEvaluate(o.exact, &x, &F, obs));
        PetscCall(UmbExactEvaluate(o.exact, &mx, &Fm, obsm));
        /* symmetry of U under (x, y) -> (-x, -y) */
        UMB_CHECK_CLOSE(Fm, F, 1e-10, 1e-10, "tilted beta F(-x) = beta F(x)");
        UMB_CHECK_CLOSE(obsm[0], -obs[0], 1e-9, 1e-11, "tilted mean odd in x");
        UMB_CHECK_CLOSE(obsm[1], obs[1], 1e-9, 1e-13, "tilted var even in x");
        UMB_CHECK_CLOSE(obsm[2], 1 - obs[2], 1e-9, 1e-11, "tilted ppos(-x) = 1 - ppos(x)");
        UMB_CHECK(obs[1] > 0 && obs[1] < 2 && obs[2] >= 0 && obs[2] <= 1, "tilted var %g, ppos %g out of range", (double)obs[1], (double)obs[2]);
        UMB_CHECK(obs[0] == obs[3] && obs[1] == obs[4] && obs[2] == obs[5], "tilted: the fast variables are identical");
        if (x != 0) UMB_CHECK(obs[0] * ts[it] * x > 0, "tilted mean %g has not the sign of t x = %g", (double)obs[0], (double)(ts[it] * x));
        else UMB_CHECK(PetscAbsReal(obs[0]) < 1e-10 && PetscAbsReal(obs[2] - 0.5) < 1e-10, "tilted x = 0: mean %g, ppos %g", (double)obs[0], (double)obs[2]);
        PetscCall(Trapezoid(&o, 2, x, &Ft, &mean, &var, &ppos));
        UMB_CHECK_CLOSE(F, Ft, 1e-8, 1e-9, "tilted beta F vs trapezoid");
        maxdiff[1] = PetscMax(maxdiff[1], PetscAbsReal(F - Ft));
        UMB_CHECK_CLOSE(obs[0], mean, 1e-8, 1e-11, "tilted mean vs trapezoid");
        UMB_CHECK_CLOSE(obs[1], var, 1e-8, 1e-13, "tilted var vs trapezoid");
        UMB_CHECK_CLOSE(obs[2], ppos, 1e-8, 1e-13, "tilted ppos vs trapezoid");
      }
      PetscCall(Clear(&o));
    }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Availability(void)
{
  const char *no[2] = {"-model fastslow -cv coord -cv_index 1", "-model fastslow -cv linear -cv_weights 1,0,0,0,0"};
  const char *yes[2] = {"-model fastslow", "-model fastslow -cv coord -cv_index 0"};

  PetscFunctionBegin;
  for (int k = 0; k < 2; k++) {
    Objects        o;
    PetscBool      has;
    char           why[512];
    PetscErrorCode ierr;
    PetscCall(Build(no[k], &o));
    PetscCall(UmbExactAvailable(o.cv, &has, why, sizeof(why)));
    UMB_CHECK(!has && strstr(why, "fastslow") && strstr(why, k ? "linear" : "coord y1"), "%s: has %d, why '%s'", no[k], (int)has, why);
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = UmbExactSetUp(o.exact);
    PetscCall(PetscPopErrorHandler());
    UMB_CHECK(ierr == PETSC_ERR_USER_INPUT, "%s: SetUp returned %d, expected PETSC_ERR_USER_INPUT", no[k], (int)ierr);
    PetscCall(Clear(&o));
    PetscCall(Build(yes[k], &o));
    PetscCall(UmbExactAvailable(o.cv, &has, why, sizeof(why)));
    UMB_CHECK(has, "%s: no exact reference: %s", yes[k], why);
    PetscCall(Clear(&o));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscErrorCode ierr = UmbInitialize(&argc, &argv, NULL);
  if (ierr) return UmbFinalize(ierr);
  ierr = Gaussian();
  if (!ierr) ierr = Tilted();
  if (!ierr) ierr = Availability();
  UMB_NOTE("largest |beta F - reference|: gaussian %.2e, tilted %.2e", (double)maxdiff[0], (double)maxdiff[1]);
  return UmbTestFinalize(ierr);
}
