/* Exactness of the conditional normalizing flow (no training): the rational-quadratic spline and
   the whole coupling stack against central finite differences (the spline's value and log-slope
   in its input and its 3K - 1 parameters; the negative log-likelihood of a batch in every
   parameter of every conditioner), inverse(forward(y)) = y to 1e-12, the log-Jacobian against
   the numerical slope, and the density integrating to 1 over y (1-D and 2-D, error <= 1e-6) at
   several CV values. Random non-zero parameters, so every spline bends. A broken variant, the
   log-Jacobian with the wrong sign, must miss the normalisation by far (checked here, so the
   quadrature test is shown to fail on it). Tolerances: central differences with step 1e-6 have
   truncation ~1e-12 relative and round-off eps |L| / h ~ 2e-9 absolute (a step across a knot,
   where the second derivative jumps, adds ~1e-6 relative); |fd - g| <= 1e-6 (|fd| + |g|) + 5e-9.
   Quadrature: 1-D, Gauss-Legendre panels between the exact images of every layer's knots (the
   density is smooth there) over [-12, 12] standardised units (tails exp(-72)): round-off, bound
   1e-6. 2-D: the knots' images are curves, so panels cannot follow them and the kinks limit the
   convergence to ~h^3 (measured: |error| 2e-2, 9e-4, 1.3e-4, 1.6e-5 at 200, 400, 800, 1600
   4-point panels per axis); the test uses 800 with bound 2e-4, and checks the 2-D and 3-D maps
   exactly instead through their log-Jacobian against the log-determinant of the
   finite-difference Jacobian (|error| <= 1e-6). */
// TEST: nsize=1
#include "tap.h"
#include <umbra/private/flowimpl.h>

static PetscReal worst = 0;
static PetscInt  nchecked = 0;

static void Compare(PetscReal fd, PetscReal g, const char *what, PetscInt i)
{
  const PetscReal err = PetscAbsReal(fd - g), tol = 1e-6 * (PetscAbsReal(fd) + PetscAbsReal(g)) + 5e-9;
  UMB_CHECK(err <= tol, "%s[%d]: finite difference %.12g, analytic %.12g", what, (int)i, (double)fd, (double)g);
  if (PetscAbsReal(fd) + PetscAbsReal(g) > 1e-6) worst = PetscMax(worst, err / (PetscAbsReal(fd) + PetscAbsReal(g)));
  nchecked++;
}

static PetscReal Uniform(UmbStream *s, uint64_t i, uint64_t j)
{
  double u[4];
  UmbStreamUniform4(s, i, j, 0, u);
  return (PetscReal)u[0];
}

/* The spline alone: derivatives in v and in each raw parameter, inverse, log-slope */
static PetscErrorCode SplineChecks(void)
{
  UmbFlowSpline sp = {6, 3, 1e-3, 1e-3, 1e-3};
  const PetscInt nr = 3 * sp.K - 1;
  PetscReal      raw[64], g[64];
  UmbStream      s;
  const PetscReal h = 1e-6;

  PetscFunctionBegin;
  UmbStreamInit(&s, 7, UMB_STREAM_TEST, 1);
  for (PetscInt t = 0; t < 40; t++) {
    const PetscReal v = -3.5 + 7 * Uniform(&s, (uint64_t)t, 999), aout = 0.7, ald = -1.3;
    PetscReal       out, ld, back, ldi, dv;
    for (PetscInt k = 0; k < nr; k++) raw[k] = 2 * Uniform(&s, (uint64_t)t, (uint64_t)k) - 1;
    UmbFlowSplineForward(&sp, raw, v, &out, &ld);
    UmbFlowSplineInverse(&sp, raw, out, &back, &ldi);
    UMB_CHECK(PetscAbsReal(back - v) <= 1e-12 * (1 + PetscAbsReal(v)), "spline inverse(forward(%.17g)) = %.17g", (double)v, (double)back);
    UMB_CHECK(PetscAbsReal(ldi - ld) <= 1e-10, "spline log-slope %.17g forward, %.17g inverse", (double)ld, (double)ldi);
    { /* the log-slope is the log of the numerical slope */
      PetscReal op, om, l2;
      UmbFlowSplineForward(&sp, raw, v + h, &op, &l2);
      UmbFlowSplineForward(&sp, raw, v - h, &om, &l2);
      if (PetscAbsReal(v) < 3 - 2 * h) Compare(PetscLogReal((op - om) / (2 * h)), ld, "spline log-slope", t);
    }
    for (PetscInt k = 0; k < nr; k++) g[k] = 0;
    dv = UmbFlowSplineBackward(&sp, raw, v, aout, ald, g);
    for (PetscInt k = -1; k < nr; k++) {
      PetscReal op, lp, om, lm, vp = v, vm = v, save = k >= 0 ? raw[k] : 0;
      if (k < 0) {
        vp = v + h;
        vm = v - h;
      } else raw[k] = save + h;
      UmbFlowSplineForward(&sp, raw, vp, &op, &lp);
      if (k >= 0) raw[k] = save - h;
      UmbFlowSplineForward(&sp, raw, vm, &om, &lm);
      if (k >= 0) raw[k] = save;
      if (k < 0 && PetscAbsReal(v) >= 3 - 2 * h) continue;
      Compare((aout * (op - om) + ald * (lp - lm)) / (2 * h), k < 0 ? dv : g[k], k < 0 ? "spline d/dv" : "spline d/draw", k);
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode MakeFlow(const char *opts, UmbModel *model, UmbCV *cv, UmbFlow *flow, PetscInt seed)
{
  PetscReal *theta;
  UmbStream  s;

  PetscFunctionBegin;
  PetscCall(PetscOptionsInsertString(NULL, opts));
  PetscCall(UmbModelCreate(PETSC_COMM_WORLD, model));
  PetscCall(UmbModelSetFromOptions(*model));
  PetscCall(UmbModelSetUp(*model));
  PetscCall(UmbCVCreate(*model, cv));
  PetscCall(UmbCVSetFromOptions(*cv));
  PetscCall(UmbCVSetUp(*cv));
  PetscCall(UmbFlowCreate(*cv, flow));
  (*flow)->ncoupling   = 3;
  (*flow)->nhidden     = 2;
  (*flow)->hidden[0]   = 7;
  (*flow)->hidden[1]   = 5;
  (*flow)->act         = UMB_ACT_TANH;
  (*flow)->spline.K    = 5;
  (*flow)->spline.bound = 3;
  (*flow)->seed        = seed;
  PetscCall(UmbFlowBuildNetworks(*flow));
  PetscCall(PetscMalloc1((*flow)->ng, &(*flow)->ymean));
  PetscCall(PetscMalloc1((*flow)->ng, &(*flow)->ysd));
  for (PetscInt j = 0; j < (*flow)->ng; j++) {
    (*flow)->ymean[j] = 0.3 * j - 0.2;
    (*flow)->ysd[j]   = 0.8 + 0.1 * j;
  }
  (*flow)->zlo[0] = -1.5;
  (*flow)->zhi[0] = 1.5;
  (*flow)->zsd[0] = 0.9;
  /* random parameters everywhere (the last layers start at zero: the identity) */
  PetscCall(PetscMalloc1((*flow)->nparams, &theta));
  UmbStreamInit(&s, (uint64_t)seed, UMB_STREAM_TEST, 2);
  for (PetscInt i = 0; i < (*flow)->nparams; i++) theta[i] = 0.8 * (2 * Uniform(&s, (uint64_t)i, 0) - 1);
  PetscCall(UmbFlowSetParameters(*flow, theta));
  PetscCall(PetscFree(theta));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* NLL of the batch (standardised y rows, features) and its gradient in every parameter */
static PetscErrorCode NetworkChecks(UmbFlow flow, const char *what)
{
  const PetscInt  b = 9, ng = flow->ng, np = flow->nparams;
  PetscReal      *y, *zf, *z, *u, *ld, *back, *ldb, *theta, *grad, L, Lp, Lm;
  const PetscReal h = 1e-6;
  UmbStream       s;

  PetscFunctionBegin;
  PetscCall(PetscMalloc6(b * ng, &y, b * flow->dz, &zf, b, &z, b * ng, &u, b, &ld, b * ng, &back));
  PetscCall(PetscMalloc3(b, &ldb, np, &theta, np, &grad));
  UmbStreamInit(&s, 11, UMB_STREAM_TEST, 3);
  for (PetscInt i = 0; i < b; i++) {
    z[i] = -1.4 + 2.8 * Uniform(&s, (uint64_t)i, 100);
    for (PetscInt j = 0; j < ng; j++) y[i * ng + j] = -3.4 + 6.8 * Uniform(&s, (uint64_t)i, (uint64_t)j);
  }
  y[0] = 3.7; /* one value in a tail */
  UmbFlowFeatures(flow, b, z, zf);
  PetscCall(UmbFlowSetTraining(flow, PETSC_TRUE));
  PetscCall(UmbFlowForwardRows(flow, b, y, ng, zf, flow->dz, u, ld));
  PetscCall(UmbFlowInverseRows(flow, b, u, zf, flow->dz, back, ldb));
  for (PetscInt i = 0; i < b * ng; i++) UMB_CHECK(PetscAbsReal(back[i] - y[i]) <= 1e-12 * (1 + PetscAbsReal(y[i])), "%s: inverse(forward(y))[%d] = %.17g, y = %.17g", what, (int)i, (double)back[i], (double)y[i]);
  for (PetscInt i = 0; i < b; i++) UMB_CHECK(PetscAbsReal(ldb[i] - ld[i]) <= 1e-10, "%s: log-Jacobian %.17g forward, %.17g inverse", what, (double)ld[i], (double)ldb[i]);
  PetscCall(UmbFlowZeroGradients(flow));
  L = 0;
  PetscCall(UmbFlowLossRows(flow, b, y, ng, zf, flow->dz, 1.0 / b, &L));
  PetscCall(UmbFlowGetGradient(flow, grad));
  PetscCall(UmbFlowGetParameters(flow, theta));
  for (PetscInt i = 0; i < np; i++) {
    const PetscReal save = theta[i];
    theta[i] = save + h;
    PetscCall(UmbFlowSetParameters(flow, theta));
    Lp = 0;
    PetscCall(UmbFlowLossRows(flow, b, y, ng, zf, flow->dz, 1.0 / b, &Lp));
    theta[i] = save - h;
    PetscCall(UmbFlowSetParameters(flow, theta));
    Lm = 0;
    PetscCall(UmbFlowLossRows(flow, b, y, ng, zf, flow->dz, 1.0 / b, &Lm));
    theta[i] = save;
    Compare((Lp - Lm) / (2 * h), grad[i], what, i);
  }
  PetscCall(UmbFlowSetParameters(flow, theta));
  PetscCall(UmbFlowSetTraining(flow, PETSC_FALSE));
  PetscCall(PetscFree6(y, zf, z, u, ld, back));
  PetscCall(PetscFree3(ldb, theta, grad));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Gauss-Legendre rule of order 20 on [-1, 1] */
static PetscErrorCode GaussLegendre(PetscInt q, PetscReal xg[], PetscReal wg[])
{
  PetscFunctionBegin;
  for (PetscInt i = 0; i < q; i++) {
    PetscReal x = PetscCosReal(PETSC_PI * (i + 0.75) / (q + 0.5)), dp = 1;
    for (int it = 0; it < 100; it++) {
      PetscReal p0 = 1, p1 = x;
      for (PetscInt k = 2; k <= q; k++) {
        const PetscReal p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
        p0                 = p1;
        p1                 = p2;
      }
      dp = q * (x * p1 - p0) / (x * x - 1);
      x -= p1 / dp;
    }
    xg[i] = x;
    wg[i] = 2 / ((1 - x * x) * dp * dp);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* integral of q(y | z) over y in original units (1-D or 2-D), with sign = -1 the broken variant
   that flips the log-Jacobian of the coupling layers */
static PetscErrorCode Integral(UmbFlow flow, PetscReal zv, PetscReal sign, PetscReal *integral)
{
  const PetscInt  q = 4, npan = 800, ng = flow->ng, n = flow->n, npt = npan * q;
  const PetscReal lo = -12, hi = 12;
  PetscReal       xg[4], wg[4], *pts, *wts, *x, *z, *logq, *noise, sum = 0;
  PetscInt        m = 1;

  PetscFunctionBegin;
  PetscCall(GaussLegendre(q, xg, wg));
  PetscCall(PetscMalloc2(npt, &pts, npt, &wts));
  for (PetscInt p = 0; p < npan; p++)
    for (PetscInt k = 0; k < q; k++) {
      const PetscReal a = lo + (hi - lo) * p / npan, bb = lo + (hi - lo) * (p + 1) / npan;
      pts[p * q + k] = 0.5 * (a + bb) + 0.5 * (bb - a) * xg[k];
      wts[p * q + k] = 0.5 * (bb - a) * wg[k];
    }
  for (PetscInt j = 0; j < ng; j++) m *= npt;
  PetscCall(PetscMalloc4(m * n, &x, m, &z, m, &logq, m * ng, &noise));
  for (PetscInt i = 0; i < m; i++) {
    PetscInt r = i;
    z[i]       = zv;
    for (PetscInt a = 0; a < n; a++) x[i * n + a] = zv;
    for (PetscInt j = ng - 1; j >= 0; j--) {
      x[i * n + flow->gidx[j]] = flow->ymean[j] + flow->ysd[j] * pts[r % npt];
      r /= npt;
    }
  }
  PetscCall(UmbFlowLogDensity(flow, m, z, x, logq, noise));
  for (PetscInt i = 0; i < m; i++) {
    PetscReal w = 1, lq = logq[i];
    PetscInt  r = i;
    for (PetscInt j = ng - 1; j >= 0; j--) {
      w *= wts[r % npt] * flow->ysd[j];
      r /= npt;
    }
    if (sign < 0) { /* log q = log N(u) + logdet - log sd: flip the logdet */
      PetscReal r2 = 0, ls = 0;
      for (PetscInt j = 0; j < ng; j++) {
        r2 += noise[i * ng + j] * noise[i * ng + j];
        ls += PetscLogReal(flow->ysd[j]);
      }
      const PetscReal base = -0.5 * r2 - 0.5 * ng * PetscLogReal(2 * PETSC_PI) - ls;
      lq                   = base - (lq - base);
    }
    sum += w * PetscExpReal(lq);
  }
  *integral = sum;
  PetscCall(PetscFree4(x, z, logq, noise));
  PetscCall(PetscFree2(pts, wts));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static int CompareReal(const void *a, const void *b)
{
  const PetscReal x = *(const PetscReal *)a, y = *(const PetscReal *)b;
  return x < y ? -1 : x > y;
}

/* 1-D y: the density is smooth between the points where some layer's input crosses one of its
   spline's knots; those knots depend on z only (the one coordinate is transformed given z), so
   they map back to y exactly through the inverse of the layers below. Gauss-Legendre panels of
   width <= 0.25 between those points converge to round-off. */
static PetscErrorCode IntegralKnots(UmbFlow flow, PetscReal zv, PetscReal *integral)
{
  const PetscInt  K = flow->spline.K, nr = 3 * K - 1, q = 20;
  PetscReal       xg[20], wg[20], zf[64], brk[UMB_FLOW_MAX_COUPLINGS * 65 + 2], *raw, y0 = 0, u, ld, sum = 0;
  PetscInt        nbrk = 0;

  PetscFunctionBegin;
  PetscCall(GaussLegendre(q, xg, wg));
  PetscCall(PetscMalloc1(flow->ncoupling * nr, &raw));
  UmbFlowFeatures(flow, 1, &zv, zf);
  PetscCall(UmbFlowForwardRows(flow, 1, &y0, 1, zf, flow->dz, &u, &ld));
  for (PetscInt l = 0; l < flow->ncoupling; l++) {
    const PetscReal *theta;
    PetscCall(UmbMLPGetOutput(flow->net[l], &theta));
    PetscCall(PetscArraycpy(raw + l * nr, theta, nr));
  }
  for (PetscInt l = 0; l < flow->ncoupling; l++) {
    PetscReal X[65];
    UmbFlowSplineKnots(&flow->spline, raw + l * nr, X);
    for (PetscInt k = 0; k <= K; k++) {
      PetscReal v = X[k], l2;
      for (PetscInt m = l - 1; m >= 0; m--) UmbFlowSplineInverse(&flow->spline, raw + m * nr, v, &v, &l2);
      brk[nbrk++] = v;
    }
  }
  brk[nbrk++] = -12;
  brk[nbrk++] = 12;
  qsort(brk, (size_t)nbrk, sizeof(PetscReal), CompareReal);
  for (PetscInt p = 0; p + 1 < nbrk; p++) {
    const PetscInt npan = (PetscInt)PetscCeilReal((brk[p + 1] - brk[p]) / 0.25);
    for (PetscInt s = 0; s < npan; s++) {
      const PetscReal a = brk[p] + (brk[p + 1] - brk[p]) * s / npan, b = brk[p] + (brk[p + 1] - brk[p]) * (s + 1) / npan;
      PetscReal       x[20 * 2], z[20], lq[20];
      for (PetscInt k = 0; k < q; k++) {
        z[k]                        = zv;
        x[k * 2 + flow->cvidx[0]]   = zv;
        x[k * 2 + flow->gidx[0]]    = flow->ymean[0] + flow->ysd[0] * (0.5 * (a + b) + 0.5 * (b - a) * xg[k]);
      }
      PetscCall(UmbFlowLogDensity(flow, q, z, x, lq, NULL));
      for (PetscInt k = 0; k < q; k++) sum += 0.5 * (b - a) * wg[k] * flow->ysd[0] * PetscExpReal(lq[k]);
    }
  }
  *integral = sum;
  PetscCall(PetscFree(raw));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* 2-D and more: the log-Jacobian of the whole map against the log-determinant of its
   finite-difference Jacobian (central, step 1e-6: error ~1e-9) */
static PetscErrorCode JacobianChecks(UmbFlow flow, const char *what)
{
  const PetscInt  ng = flow->ng;
  const PetscReal h  = 1e-6, zv = 0.4;
  PetscReal       y[8], zf[64], u[8], up[8], um[8], ld, l2, J[64];
  UmbStream       s;

  PetscFunctionBegin;
  UmbFlowFeatures(flow, 1, &zv, zf);
  UmbStreamInit(&s, 13, UMB_STREAM_TEST, 4);
  for (PetscInt t = 0; t < 20; t++) {
    PetscReal det;
    for (PetscInt j = 0; j < ng; j++) y[j] = -3.5 + 7 * Uniform(&s, (uint64_t)t, (uint64_t)j);
    PetscCall(UmbFlowForwardRows(flow, 1, y, ng, zf, flow->dz, u, &ld));
    for (PetscInt j = 0; j < ng; j++) {
      const PetscReal save = y[j];
      y[j] = save + h;
      PetscCall(UmbFlowForwardRows(flow, 1, y, ng, zf, flow->dz, up, &l2));
      y[j] = save - h;
      PetscCall(UmbFlowForwardRows(flow, 1, y, ng, zf, flow->dz, um, &l2));
      y[j] = save;
      for (PetscInt i = 0; i < ng; i++) J[i * ng + j] = (up[i] - um[i]) / (2 * h);
    }
    if (ng == 2) det = J[0] * J[3] - J[1] * J[2];
    else det = J[0] * (J[4] * J[8] - J[5] * J[7]) - J[1] * (J[3] * J[8] - J[5] * J[6]) + J[2] * (J[3] * J[7] - J[4] * J[6]);
    UMB_CHECK(det > 0 && PetscAbsReal(PetscLogReal(det) - ld) <= 1e-6, "%s: log-Jacobian %.12g, log det of the finite-difference Jacobian %.12g", what, (double)ld, det > 0 ? (double)PetscLogReal(det) : -1.0);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode DensityChecks(UmbFlow flow, const char *what)
{
  const PetscReal zs[3] = {-1.2, 0.1, 0.9};

  PetscFunctionBegin;
  for (int k = 0; k < 3; k++) {
    PetscReal In = 0, Ib = 0;
    if (flow->ng == 1) PetscCall(IntegralKnots(flow, zs[k], &In));
    else PetscCall(Integral(flow, zs[k], 1, &In));
    PetscCall(Integral(flow, zs[k], -1, &Ib));
    UMB_CHECK(PetscAbsReal(In - 1) <= (flow->ng == 1 ? 1e-6 : 2e-4), "%s: the density integrates to %.12g at z = %g", what, (double)In, (double)zs[k]);
    UMB_CHECK(PetscAbsReal(Ib - 1) > 1e-3, "%s: with the log-Jacobian's sign flipped the density still integrates to %.12g at z = %g: the quadrature cannot see a wrong Jacobian", what, (double)Ib, (double)zs[k]);
    UMB_NOTE("%s: z = %g: integral %.12f (wrong log-Jacobian sign: %.6f)", what, (double)zs[k], (double)In, (double)Ib);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscErrorCode ierr;
  UmbModel       model;
  UmbCV          cv;
  UmbFlow        flow;

  ierr = UmbInitialize(&argc, &argv, NULL);
  if (ierr) return UmbFinalize(ierr);
  PetscFunctionBeginUser;
  PetscCall(SplineChecks());
  PetscCall(MakeFlow("-model fastslow -fastslow_m 1 -cv coord -cv_index 0", &model, &cv, &flow, 3));
  PetscCall(NetworkChecks(flow, "1-D y"));
  PetscCall(DensityChecks(flow, "1-D y"));
  PetscCall(UmbFlowDestroy(&flow));
  PetscCall(UmbCVDestroy(&cv));
  PetscCall(UmbModelDestroy(&model));
  PetscCall(MakeFlow("-model fastslow -fastslow_m 2 -cv coord -cv_index 0", &model, &cv, &flow, 4));
  PetscCall(NetworkChecks(flow, "2-D y"));
  PetscCall(JacobianChecks(flow, "2-D y"));
  PetscCall(DensityChecks(flow, "2-D y"));
  PetscCall(UmbFlowDestroy(&flow));
  PetscCall(UmbCVDestroy(&cv));
  PetscCall(UmbModelDestroy(&model));
  PetscCall(MakeFlow("-model fastslow -fastslow_m 3 -cv coord -cv_index 0", &model, &cv, &flow, 5));
  PetscCall(NetworkChecks(flow, "3-D y"));
  PetscCall(JacobianChecks(flow, "3-D y"));
  PetscCall(UmbFlowDestroy(&flow));
  PetscCall(UmbCVDestroy(&cv));
  PetscCall(UmbModelDestroy(&model));
  UMB_NOTE("%d derivatives checked, largest relative error %.2e (tolerance 1e-6)", (int)nchecked, (double)worst);
  PetscFunctionReturn(UmbTestFinalize(0));
}
