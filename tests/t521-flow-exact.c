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
   1e-6. 2-D (two coupling layers): iterated, with inner breakpoints at layer 0's knots and where
   layer 1's moving knots pass the line (scan and bisection), outer breakpoints at the extrema of
   layer 1's knots and at +-B (see IntegralKnots2); measured |error| <= 3.2e-7 with 0.25-wide
   outer panels (2.4e-7 at 0.1: the folds leave weak singularities), bound 1e-6. Before the
   breakpoints, plain 4-point panels converged only as ~h^3 (1.3e-4 at 800 panels per axis).
   The 2-D and 3-D maps are also checked through their log-Jacobian against the
   log-determinant of the finite-difference Jacobian (|error| <= 1e-6). */
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

static PetscErrorCode MakeFlow(const char *opts, PetscInt ncoupling, UmbModel *model, UmbCV *cv, UmbFlow *flow, PetscInt seed)
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
  (*flow)->ncoupling   = ncoupling;
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

/* The density at m standardised points v (m x ng) at CV value zv, in standardised units:
   q(y | z) prod ysd from UmbFlowLogDensity (so the standardisation's Jacobian is part of it);
   sign = -1 is the broken variant that flips the log-Jacobian of the coupling layers */
static PetscErrorCode DensityStd(UmbFlow flow, PetscReal zv, PetscInt m, const PetscReal v[], PetscReal sign, PetscReal q[])
{
  const PetscInt ng = flow->ng, n = flow->n;
  PetscReal     *x, *z, *logq, *noise, ls = 0;

  PetscFunctionBegin;
  for (PetscInt j = 0; j < ng; j++) ls += PetscLogReal(flow->ysd[j]);
  PetscCall(PetscMalloc4(m * n, &x, m, &z, m, &logq, m * ng, &noise));
  for (PetscInt i = 0; i < m; i++) {
    z[i] = zv;
    for (PetscInt a = 0; a < n; a++) x[i * n + a] = zv;
    for (PetscInt j = 0; j < ng; j++) x[i * n + flow->space.idx[j]] = flow->ymean[j] + flow->ysd[j] * v[i * ng + j];
  }
  PetscCall(UmbFlowLogDensity(flow, m, z, x, logq, noise));
  for (PetscInt i = 0; i < m; i++) {
    PetscReal lq = logq[i];
    if (sign < 0) { /* log q = log N(u) + logdet - log sd: flip the logdet */
      PetscReal r2 = 0;
      for (PetscInt j = 0; j < ng; j++) r2 += noise[i * ng + j] * noise[i * ng + j];
      const PetscReal base = -0.5 * r2 - 0.5 * ng * PetscLogReal(2 * PETSC_PI) - ls;
      lq                   = base - (lq - base);
    }
    q[i] = PetscExpReal(lq + ls);
  }
  PetscCall(PetscFree4(x, z, logq, noise));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Gauss-Legendre panels of width <= hmax between sorted breakpoints brk[0..nbrk): the sum of
   f over the nodes into *sum; nodes are written to t (room for the count returned by the
   first call with t NULL) */
static PetscInt PanelNodes(PetscInt nbrk, const PetscReal brk[], PetscReal hmax, PetscInt q, const PetscReal xg[], const PetscReal wg[], PetscReal t[], PetscReal w[])
{
  PetscInt m = 0;
  for (PetscInt p = 0; p + 1 < nbrk; p++) {
    const PetscInt npan = (PetscInt)PetscCeilReal((brk[p + 1] - brk[p]) / hmax);
    for (PetscInt s = 0; s < npan; s++) {
      const PetscReal a = brk[p] + (brk[p + 1] - brk[p]) * s / npan, b = brk[p] + (brk[p + 1] - brk[p]) * (s + 1) / npan;
      for (PetscInt k = 0; k < q; k++, m++)
        if (t) {
          t[m] = 0.5 * (a + b) + 0.5 * (b - a) * xg[k];
          w[m] = 0.5 * (b - a) * wg[k];
        }
    }
  }
  return m;
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
static PetscErrorCode IntegralKnots(UmbFlow flow, PetscReal zv, PetscReal sign, PetscReal *integral)
{
  const PetscInt  K = flow->spline.K, nr = 3 * K - 1, q = 20;
  PetscReal       xg[20], wg[20], zf[64], brk[UMB_FLOW_MAX_COUPLINGS * 65 + 2], *raw, y0 = 0, u, ld, *t, *w, *f, sum = 0;
  PetscInt        nbrk = 0, m;

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
  m = PanelNodes(nbrk, brk, 0.25, q, xg, wg, NULL, NULL);
  PetscCall(PetscMalloc3(m, &t, m, &w, m, &f));
  PanelNodes(nbrk, brk, 0.25, q, xg, wg, t, w);
  PetscCall(DensityStd(flow, zv, m, t, sign, f));
  for (PetscInt k = 0; k < m; k++) sum += w[k] * f[k];
  *integral = sum;
  PetscCall(PetscFree3(t, w, f));
  PetscCall(PetscFree(raw));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* 2-D y with two coupling layers, in standardised units v = (v0, v1): layer 0 maps v0 given
   v1, layer 1 maps v1 given v0' = s0(v0). Outer integral over v1; on each line v1 = const the
   integrand is smooth in v0 between the knots of layer 0 (fixed on the line) and the points
   where a knot of layer 1, which moves with v0', passes v1: those are found by scanning v0 on a
   grid of step 0.02 and bisection. The outer integrand (the marginal of v1) averages the moving
   moving kinks out and is smooth but at +-B, where layer 1's end knots stay put. Gauss-Legendre
   panels between those points converge to round-off on both axes. */
static PetscErrorCode IntegralKnots2(UmbFlow flow, PetscReal zv, PetscReal sign, PetscReal *integral)
{
  const PetscInt  K = flow->spline.K, nr = 3 * K - 1, q = 10, G = 1201;
  const PetscReal lo = -12, hi = 12;
  PetscReal       xg[10], wg[10], zf[64], *rows, *ldg, *t1, *w1, sum = 0;
  PetscInt        m1;

  PetscFunctionBegin;
  PetscCheck(flow->ng == 2 && flow->ncoupling == 2, PETSC_COMM_SELF, PETSC_ERR_PLIB, "the 2-D quadrature knows two coupling layers on two coordinates");
  PetscCall(GaussLegendre(q, xg, wg));
  UmbFlowFeatures(flow, 1, &zv, zf);
  { /* the marginal of v1 is not smooth where a knot of layer 1, X_k(v0'), has an extremum in
       v0' (the number of crossings changes there) nor at the fixed end knots +-B: outer
       breakpoints, from a fine scan of layer 1's conditioner alone, refined by a parabola */
    const PetscInt nscan = 24001, nin = 1 + flow->dz;
    PetscReal      ob[4 * 65 + 4], *Xin, *Xs;
    const PetscReal *theta;
    PetscInt       nob = 0;
    PetscCall(PetscMalloc2(nscan * nin, &Xin, nscan * (K + 1), &Xs));
    for (PetscInt g = 0; g < nscan; g++) {
      Xin[g * nin] = lo + (hi - lo) * g / (nscan - 1);
      for (PetscInt a = 0; a < flow->dz; a++) Xin[g * nin + 1 + a] = zf[a];
    }
    PetscCall(UmbMLPForward(flow->net[1], nscan, Xin, NULL));
    PetscCall(UmbMLPGetOutput(flow->net[1], &theta));
    for (PetscInt g = 0; g < nscan; g++) UmbFlowSplineKnots(&flow->spline, theta + g * nr, Xs + g * (K + 1));
    for (PetscInt k = 1; k < K; k++)
      for (PetscInt g = 1; g + 1 < nscan && nob < 4 * 65; g++) {
        const PetscReal a = Xs[(g - 1) * (K + 1) + k], b = Xs[g * (K + 1) + k], c = Xs[(g + 1) * (K + 1) + k], den = a - 2 * b + c;
        if ((b - a) * (c - b) > 0 || den == 0) continue;
        ob[nob++] = b - (c - a) * (c - a) / (8 * den); /* the parabola's extreme value */
      }
    ob[nob++] = lo;
    ob[nob++] = -flow->spline.bound;
    ob[nob++] = flow->spline.bound;
    ob[nob++] = hi;
    qsort(ob, (size_t)nob, sizeof(PetscReal), CompareReal);
    m1 = PanelNodes(nob, ob, 0.25, q, xg, wg, NULL, NULL);
    PetscCall(PetscMalloc2(m1, &t1, m1, &w1));
    PanelNodes(nob, ob, 0.25, q, xg, wg, t1, w1);
    PetscCall(PetscFree2(Xin, Xs));
  }
  PetscCall(PetscMalloc2(2 * G, &rows, G, &ldg));
  for (PetscInt o = 0; o < m1; o++) {
    const PetscReal  v1 = t1[o];
    const PetscReal *theta;
    PetscReal        brk[4 * 65 + 2], X[65], ld[1], row[2], *t, *w, *f, *v, inner = 0;
    PetscInt         nbrk = 0, m;
    /* layer 0's knots: its conditioner sees only v1 */
    row[0] = 0;
    row[1] = v1;
    PetscCall(UmbFlowForwardRows(flow, 1, row, 2, zf, 0, NULL, ld));
    PetscCall(UmbMLPGetOutput(flow->net[0], &theta));
    UmbFlowSplineKnots(&flow->spline, theta, X);
    for (PetscInt k = 0; k <= K; k++) brk[nbrk++] = X[k];
    /* layer 1's interior knots crossing v1 as v0 moves */
    for (PetscInt g = 0; g < G; g++) {
      rows[2 * g]     = lo + (hi - lo) * g / (G - 1);
      rows[2 * g + 1] = v1;
    }
    PetscCall(UmbFlowForwardRows(flow, G, rows, 2, zf, 0, NULL, ldg));
    {
      PetscReal *Xg;
      PetscCall(PetscMalloc1(G * (K + 1), &Xg));
      PetscCall(UmbMLPGetOutput(flow->net[1], &theta));
      for (PetscInt g = 0; g < G; g++) UmbFlowSplineKnots(&flow->spline, theta + g * nr, Xg + g * (K + 1));
      for (PetscInt k = 1; k < K; k++)
        for (PetscInt g = 0; g + 1 < G; g++) {
          PetscReal a = rows[2 * g], b = rows[2 * g + 2], fa = Xg[g * (K + 1) + k] - v1, fb = Xg[(g + 1) * (K + 1) + k] - v1;
          if ((fa < 0) == (fb < 0)) continue;
          for (int it = 0; it < 60 && b - a > 1e-14; it++) {
            const PetscReal c = 0.5 * (a + b);
            PetscReal       fc, Xc[65];
            row[0] = c;
            PetscCall(UmbFlowForwardRows(flow, 1, row, 2, zf, 0, NULL, ld));
            PetscCall(UmbMLPGetOutput(flow->net[1], &theta));
            UmbFlowSplineKnots(&flow->spline, theta, Xc);
            fc = Xc[k] - v1;
            if ((fc < 0) == (fa < 0)) {
              a  = c;
              fa = fc;
            } else b = c;
          }
          if (nbrk < 4 * 65) brk[nbrk++] = 0.5 * (a + b);
        }
      PetscCall(PetscFree(Xg));
    }
    brk[nbrk++] = lo;
    brk[nbrk++] = hi;
    qsort(brk, (size_t)nbrk, sizeof(PetscReal), CompareReal);
    m = PanelNodes(nbrk, brk, 0.5, q, xg, wg, NULL, NULL);
    PetscCall(PetscMalloc4(m, &t, m, &w, m, &f, 2 * m, &v));
    PanelNodes(nbrk, brk, 0.5, q, xg, wg, t, w);
    for (PetscInt k = 0; k < m; k++) {
      v[2 * k]     = t[k];
      v[2 * k + 1] = v1;
    }
    PetscCall(DensityStd(flow, zv, m, v, sign, f));
    for (PetscInt k = 0; k < m; k++) inner += w[k] * f[k];
    PetscCall(PetscFree4(t, w, f, v));
    sum += w1[o] * inner;
  }
  *integral = sum;
  PetscCall(PetscFree2(rows, ldg));
  PetscCall(PetscFree2(t1, w1));
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
    if (flow->ng == 1) {
      PetscCall(IntegralKnots(flow, zs[k], 1, &In));
      PetscCall(IntegralKnots(flow, zs[k], -1, &Ib));
    } else {
      PetscCall(IntegralKnots2(flow, zs[k], 1, &In));
      PetscCall(IntegralKnots2(flow, zs[k], -1, &Ib));
    }
    UMB_CHECK(PetscAbsReal(In - 1) <= 1e-6, "%s: the density integrates to %.12g at z = %g", what, (double)In, (double)zs[k]);
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
  PetscCall(MakeFlow("-model fastslow -fastslow_m 1 -cv coord -cv_index 0", 3, &model, &cv, &flow, 3));
  PetscCall(NetworkChecks(flow, "1-D y"));
  PetscCall(DensityChecks(flow, "1-D y"));
  PetscCall(UmbFlowDestroy(&flow));
  PetscCall(UmbCVDestroy(&cv));
  PetscCall(UmbModelDestroy(&model));
  PetscCall(MakeFlow("-model fastslow -fastslow_m 2 -cv coord -cv_index 0", 2, &model, &cv, &flow, 4));
  PetscCall(NetworkChecks(flow, "2-D y"));
  PetscCall(JacobianChecks(flow, "2-D y"));
  PetscCall(DensityChecks(flow, "2-D y"));
  PetscCall(UmbFlowDestroy(&flow));
  PetscCall(UmbCVDestroy(&cv));
  PetscCall(UmbModelDestroy(&model));
  PetscCall(MakeFlow("-model fastslow -fastslow_m 3 -cv coord -cv_index 0", 3, &model, &cv, &flow, 5));
  PetscCall(NetworkChecks(flow, "3-D y"));
  PetscCall(JacobianChecks(flow, "3-D y"));
  PetscCall(UmbFlowDestroy(&flow));
  PetscCall(UmbCVDestroy(&cv));
  PetscCall(UmbModelDestroy(&model));
  UMB_NOTE("%d derivatives checked, largest relative error %.2e (tolerance 1e-6)", (int)nchecked, (double)worst);
  PetscFunctionReturn(UmbTestFinalize(0));
}
