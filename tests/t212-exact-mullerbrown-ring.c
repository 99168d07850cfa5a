/* Exact references of the mullerbrown and ring models against integrals written here from the
   models' public energies (UmbModelEnergyGradient, UmbModelNativeCV) only.
   mullerbrown, CV x and CV y: beta F and the conditional mean and variance of the other
     coordinate against trapezoid sums of exp(-beta V) over a fine (x, y) grid (row or column
     sums, spacing 1e-4, far beyond where exp(-beta V) matters), F compared in shape (constant
     removed) to 1e-6, at beta = 1, 3 and with -mb_scale 0.5. Catches a quadrature range that
     cuts off a well, a lost narrow peak, overflow without the shift, a wrong parametrisation of
     the level set, and moments of the wrong coordinate.
   linear CV: w = (1, 0) gives exactly coord x (with mean_x = z, var_x = 0); w = (2, 0) gives
     F_x(z/2) + ln 2; w = (1, 2) against a trapezoid along the level sets (absolute beta F with the
     1/|w| Jacobian, all four moments). Catches a missing Jacobian or a wrong direction vector.
   2-D coord (x, y) and (y, x): beta F = beta V at the (swapped) point.
   ring, n = 2, CV theta: -ln int exp(-beta U) r dr along rays of the (x1, x2) plane (the limit of
     thin polar sectors), with theta of each ray from UmbModelNativeCV, against the reference
     beta h((theta/theta0)^2 - 1)^2 up to a constant, to 1e-8, for default and non-default
     h, theta0 and beta. Catches options read with wrong names or defaults, a wrong theta0 or
     beta factor, and a model whose theta disagrees with the documented potential. Also theta
     wrapped by 2 pi, and the names of observables. */
// TEST: nsize=1
#include "tap.h"

typedef struct {
  UmbModel  model;
  UmbCV     cv;
  UmbExact  exact;
  PetscInt  n;
  PetscReal beta;
} Objects;

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
  PetscCall(UmbExactSetUp(o->exact)); /* ring: h and theta0 of the model */
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

/* Trapezoid of exp(-beta V) along q(t) = p0 + t u, t in [t0, t1] with N points:
   -ln(integral) and the mean and variance of t */
static PetscErrorCode LineTrapezoid(Objects *o, const PetscReal p0[2], const PetscReal u[2], PetscReal t0, PetscReal t1, PetscInt N, PetscReal *mlnZ, PetscReal *mean, PetscReal *var)
{
  const PetscReal h = (t1 - t0) / (N - 1);
  PetscReal      *X, *V, Vmin = PETSC_MAX_REAL, Z = 0, m1 = 0, m2 = 0;

  PetscFunctionBegin;
  PetscCall(PetscMalloc2(2 * N, &X, N, &V));
  for (PetscInt k = 0; k < N; k++) {
    const PetscReal t = t0 + h * (PetscReal)k;
    X[2 * k]          = p0[0] + t * u[0];
    X[2 * k + 1]      = p0[1] + t * u[1];
  }
  PetscCall(UmbModelEnergyGradient(o->model, N, X, V, NULL));
  for (PetscInt k = 0; k < N; k++) Vmin = PetscMin(Vmin, V[k]);
  for (PetscInt k = 0; k < N; k++) {
    const PetscReal t = t0 + h * (PetscReal)k, f = PetscExpReal(-o->beta * (V[k] - Vmin)) * (k == 0 || k == N - 1 ? 0.5 : 1);
    Z += f;
    m1 += t * f;
  }
  for (PetscInt k = 0; k < N; k++) {
    const PetscReal t = t0 + h * (PetscReal)k, f = PetscExpReal(-o->beta * (V[k] - Vmin)) * (k == 0 || k == N - 1 ? 0.5 : 1);
    m2 += (t - m1 / Z) * (t - m1 / Z) * f;
  }
  *mlnZ = o->beta * Vmin - PetscLogReal(Z * h);
  *mean = m1 / Z;
  *var  = m2 / Z;
  PetscCall(PetscFree2(X, V));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Compares beta F up to a constant: max |(a_k - b_k) - mean(a - b)| */
static PetscReal ShapeError(PetscInt n, const PetscReal a[], const PetscReal b[])
{
  PetscReal c = 0, err = 0;
  for (PetscInt k = 0; k < n; k++) c += (a[k] - b[k]) / n;
  for (PetscInt k = 0; k < n; k++) err = PetscMax(err, PetscAbsReal(a[k] - b[k] - c));
  return err;
}

/* CV x (axis 0) or y (axis 1): the other coordinate runs over a fine grid */
static PetscErrorCode MullerBrownAxis(const char extra[], PetscInt axis)
{
  Objects            o;
  char               opts[256];
  const PetscInt     nz = 15;
  PetscReal          Fe[15], Ft[15];
  PetscInt           nobs;
  const char *const *names;

  PetscFunctionBegin;
  snprintf(opts, sizeof(opts), "-model mullerbrown -cv coord -cv_index %d %s", (int)axis, extra);
  PetscCall(Build(opts, &o));
  PetscCall(UmbExactGetObservables(o.exact, &nobs, &names));
  UMB_CHECK(nobs == 2 && !strcmp(names[0], "mean_y1") && !strcmp(names[1], "var_y1"), "mullerbrown CV %s: observables %d (%s)", axis ? "y" : "x", (int)nobs, nobs ? names[0] : "-");
  for (PetscInt k = 0; k < nz; k++) {
    /* x in [-1.6, 1.2] or y in [-0.6, 2.2]: the wells, the saddles and beyond */
    const PetscReal z = axis ? -0.6 + 2.8 * k / (nz - 1) : -1.6 + 2.8 * k / (nz - 1);
    const PetscReal p0[2] = {axis ? 0 : z, axis ? z : 0}, u[2] = {axis ? 1.0 : 0.0, axis ? 0.0 : 1.0};
    PetscReal       obs[2], mean = 0, var = 0;
    PetscCall(UmbExactEvaluate(o.exact, &z, &Fe[k], obs));
    PetscCall(LineTrapezoid(&o, p0, u, -7, 8, 150001, &Ft[k], &mean, &var));
    UMB_CHECK_CLOSE(obs[0], mean, 1e-6, 1e-9, axis ? "mullerbrown CV y: mean_x vs trapezoid" : "mullerbrown CV x: mean_y vs trapezoid");
    UMB_CHECK_CLOSE(obs[1], var, 1e-6, 1e-12, axis ? "mullerbrown CV y: var_x vs trapezoid" : "mullerbrown CV x: var_y vs trapezoid");
  }
  {
    const PetscReal err = ShapeError(nz, Fe, Ft);
    UMB_CHECK(err < 1e-6, "mullerbrown CV %s (%s): beta F differs from the trapezoid in shape by %g", axis ? "y" : "x", extra, (double)err);
    UMB_NOTE("mullerbrown CV %s %s: shape error of beta F %.2e, range of beta F %.3g", axis ? "y" : "x", extra, (double)err, (double)(Ft[nz - 1] - Ft[0]));
  }
  PetscCall(Clear(&o));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode MullerBrownLinear(void)
{
  Objects   ox, o1, o2, o3;
  PetscInt  nobs;
  const char *const *names;
  const PetscReal zs[5] = {-1.3, -0.5, 0, 0.6, 1.1};

  PetscFunctionBegin;
  PetscCall(Build("-model mullerbrown -cv coord -cv_index 0", &ox));
  PetscCall(Build("-model mullerbrown -cv linear -cv_weights 1,0", &o1));
  PetscCall(Build("-model mullerbrown -cv linear -cv_weights 2,0", &o2));
  PetscCall(Build("-model mullerbrown -cv linear -cv_weights 1,2 -beta 2", &o3));
  PetscCall(UmbExactGetObservables(o1.exact, &nobs, &names));
  UMB_CHECK(nobs == 4 && !strcmp(names[0], "mean_y1") && !strcmp(names[1], "var_y1") && !strcmp(names[2], "mean_y2") && !strcmp(names[3], "var_y2"), "linear observables: %d", (int)nobs);
  for (int k = 0; k < 5; k++) {
    PetscReal z = zs[k], z2 = 2 * zs[k], Fx, F1, F2, ox_obs[2], o1_obs[4], o2_obs[4];
    PetscCall(UmbExactEvaluate(ox.exact, &z, &Fx, ox_obs));
    PetscCall(UmbExactEvaluate(o1.exact, &z, &F1, o1_obs));
    PetscCall(UmbExactEvaluate(o2.exact, &z2, &F2, o2_obs));
    UMB_CHECK_CLOSE(F1, Fx, 1e-12, 1e-12, "linear w = (1, 0) vs coord x: beta F");
    UMB_CHECK_CLOSE(o1_obs[0], z, 1e-14, 1e-14, "linear w = (1, 0): mean_x = z");
    UMB_CHECK(o1_obs[1] == 0, "linear w = (1, 0): var_x = %g", (double)o1_obs[1]);
    UMB_CHECK_CLOSE(o1_obs[2], ox_obs[0], 1e-12, 1e-14, "linear w = (1, 0) vs coord x: mean_y");
    UMB_CHECK_CLOSE(o1_obs[3], ox_obs[1], 1e-12, 1e-14, "linear w = (1, 0) vs coord x: var_y");
    /* xi = 2x: delta(2x - z) = delta(x - z/2)/2 */
    UMB_CHECK_CLOSE(F2, Fx + PetscLogReal(2), 1e-9, 1e-9, "linear w = (2, 0): beta F(z) = beta F_x(z/2) + ln 2");
    UMB_CHECK_CLOSE(o2_obs[2], ox_obs[0], 1e-8, 1e-10, "linear w = (2, 0): mean_y");
  }
  for (int k = 0; k < 5; k++) {
    /* w = (1, 2): level set q = z w/|w|^2 + t u, u = (-2, 1)/sqrt(5); beta F = -ln((1/|w|) int) */
    const PetscReal w[2] = {1, 2}, nw = PetscSqrtReal(5.0), z = 1.2 * zs[k] + 1.2;
    const PetscReal p0[2] = {z * w[0] / 5, z * w[1] / 5}, u[2] = {-w[1] / nw, w[0] / nw};
    PetscReal       F, obs[4], Ft = 0, mean = 0, var = 0;
    PetscCall(UmbExactEvaluate(o3.exact, &z, &F, obs));
    PetscCall(LineTrapezoid(&o3, p0, u, -8, 8, 160001, &Ft, &mean, &var));
    Ft += PetscLogReal(nw);
    UMB_CHECK_CLOSE(F, Ft, 1e-9, 1e-7, "linear w = (1, 2): absolute beta F vs trapezoid");
    UMB_CHECK_CLOSE(obs[0], p0[0] + u[0] * mean, 1e-7, 1e-9, "linear w = (1, 2): mean_x");
    UMB_CHECK_CLOSE(obs[1], u[0] * u[0] * var, 1e-6, 1e-12, "linear w = (1, 2): var_x");
    UMB_CHECK_CLOSE(obs[2], p0[1] + u[1] * mean, 1e-7, 1e-9, "linear w = (1, 2): mean_y");
    UMB_CHECK_CLOSE(obs[3], u[1] * u[1] * var, 1e-6, 1e-12, "linear w = (1, 2): var_y");
    UMB_CHECK_CLOSE(obs[0] * w[0] + obs[2] * w[1], z, 1e-12, 1e-12, "linear w = (1, 2): the mean lies on the level set");
  }
  PetscCall(Clear(&ox));
  PetscCall(Clear(&o1));
  PetscCall(Clear(&o2));
  PetscCall(Clear(&o3));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode MullerBrown2D(void)
{
  Objects         oxy, oyx;
  const PetscReal pts[4][2] = {{-0.55, 1.44}, {0.3, 0.2}, {-1.2, -0.4}, {1.0, 1.9}};
  PetscInt        nobs;

  PetscFunctionBegin;
  PetscCall(Build("-model mullerbrown -cv coord -cv_index 0,1 -beta 1.7", &oxy));
  PetscCall(Build("-model mullerbrown -cv coord -cv_index 1,0 -beta 1.7", &oyx));
  PetscCall(UmbExactGetObservables(oxy.exact, &nobs, NULL));
  UMB_CHECK(nobs == 0, "2-D: %d observables", (int)nobs);
  for (int k = 0; k < 4; k++) {
    PetscReal V, F, Fs, swapped[2] = {pts[k][1], pts[k][0]};
    PetscCall(UmbModelEnergyGradient(oxy.model, 1, pts[k], &V, NULL));
    PetscCall(UmbExactEvaluate(oxy.exact, pts[k], &F, NULL));
    PetscCall(UmbExactEvaluate(oyx.exact, swapped, &Fs, NULL));
    UMB_CHECK_CLOSE(F, 1.7 * V, 1e-13, 1e-13, "2-D (x, y): beta F = beta V");
    UMB_CHECK_CLOSE(Fs, 1.7 * V, 1e-13, 1e-13, "2-D (y, x): beta F(y, x) = beta V(x, y)");
  }
  PetscCall(Clear(&oxy));
  PetscCall(Clear(&oyx));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ring, n = 2: rays x = r (cos phi, sin phi) of the plane */
static PetscErrorCode Ring(const char extra[], PetscReal h, PetscReal theta0)
{
  Objects         o;
  char            opts[256];
  const PetscInt  nphi = 360, nr = 3001;
  const PetscReal rmax = 3, dr = rmax / (nr - 1);
  PetscReal      *X, *U, *Fe, *Fr, Fref;
  PetscInt        nobs;

  PetscFunctionBegin;
  snprintf(opts, sizeof(opts), "-model ring -ring_n 2 %s", extra);
  PetscCall(Build(opts, &o));
  PetscCall(UmbExactGetObservables(o.exact, &nobs, NULL));
  UMB_CHECK(nobs == 0, "ring: %d observables", (int)nobs);
  PetscCall(PetscMalloc4(2 * nr, &X, nr, &U, nphi, &Fe, nphi, &Fr));
  for (PetscInt j = 0; j < nphi; j++) {
    const PetscReal phi = -PETSC_PI + 2 * PETSC_PI * (j + 0.5) / nphi, c = PetscCosReal(phi), s = PetscSinReal(phi);
    PetscReal       theta, Z = 0, Umin = PETSC_MAX_REAL, w, th2;
    for (PetscInt k = 0; k < nr; k++) {
      X[2 * k]     = dr * k * c;
      X[2 * k + 1] = dr * k * s;
    }
    PetscCall(UmbModelEnergyGradient(o.model, nr, X, U, NULL));
    PetscCall(UmbModelNativeCV(o.model, 1, &X[2 * (nr - 1)], &theta, NULL));
    for (PetscInt k = 1; k < nr; k++) Umin = PetscMin(Umin, U[k]);
    for (PetscInt k = 1; k < nr; k++) Z += PetscExpReal(-o.beta * (U[k] - Umin)) * dr * k * dr * (k == nr - 1 ? 0.5 : 1); /* r dr */
    Fr[j] = o.beta * Umin - PetscLogReal(Z);
    PetscCall(UmbExactEvaluate(o.exact, &theta, &Fe[j], NULL));
    /* the documented formula, with the parameters given to this test */
    w = (theta / theta0) * (theta / theta0) - 1;
    UMB_CHECK_CLOSE(Fe[j], o.beta * h * w * w, 1e-12, 1e-12, "ring: beta h ((theta/theta0)^2 - 1)^2");
    th2 = theta + 2 * PETSC_PI;
    PetscCall(UmbExactEvaluate(o.exact, &th2, &Fref, NULL));
    UMB_CHECK_CLOSE(Fref, Fe[j], 1e-9, 1e-9, "ring: periodic in theta");
  }
  {
    const PetscReal err = ShapeError(nphi, Fe, Fr);
    UMB_CHECK(err < 1e-8, "ring (%s): beta F(theta) differs from the ray integrals in shape by %g", extra, (double)err);
    UMB_NOTE("ring %s: shape error %.2e", extra, (double)err);
  }
  PetscCall(PetscFree4(X, U, Fe, Fr));
  PetscCall(Clear(&o));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscErrorCode ierr = UmbInitialize(&argc, &argv, NULL);
  if (ierr) return UmbFinalize(ierr);
  ierr = MullerBrownAxis("", 0);
  if (!ierr) ierr = MullerBrownAxis("-beta 3", 0);
  if (!ierr) ierr = MullerBrownAxis("-mb_scale 0.5", 0);
  if (!ierr) ierr = MullerBrownAxis("", 1);
  if (!ierr) ierr = MullerBrownAxis("-beta 3", 1);
  if (!ierr) ierr = MullerBrownLinear();
  if (!ierr) ierr = MullerBrown2D();
  if (!ierr) ierr = Ring("", 2, PETSC_PI / 4);
  if (!ierr) ierr = Ring("-ring_h 1.5 -ring_theta0 1.1 -beta 2.5 -ring_kr 40", 1.5, 1.1);
  return UmbTestFinalize(ierr);
}
