/* Gradient checks of the MLP against central finite differences: for every activation
   (identity, leaky ReLU, tanh, SiLU), one- to three-layer networks, the parameter gradient and
   the input gradient of a linear functional of the outputs; the input gradient pass
   (UmbMLPInputGradient) against differences of the outputs in x; the gradient penalty
   (a gradient of a gradient: UmbMLPInputGradientAdjoint + Backward) against differences of the
   penalty in the parameters, alone and combined with a loss on other rows of the same batch;
   and the three losses (linear, softplus, gradient penalty) against differences in their
   inputs, including softplus at |y| = 800 where a naive log(1 + e^y) overflows.
   Tolerance: |fd - g| <= 1e-6 (|fd| + |g|) + 1e-9. Central differences with h = 1e-5 have a
   truncation error ~ h^2 |f'''| ~ 1e-10 and a round-off error ~ 1e-16 |f| / h ~ 1e-11 here, so
   the bound has a wide margin; a wrong or missing term (a missing act'' injection, a transposed
   product, a wrong factor 2) gives relative errors of order one. Inputs keep leaky ReLU's
   pre-activations away from the kink: rows with |a| < 1e-3 are nudged (checked below). */
// TEST: nsize=1
#include "tap.h"
#include <umbra/nn.h>
#include <umbra/private/nnimpl.h>

static PetscReal worst = 0;
static PetscInt  nchecked = 0;

static void Compare(PetscReal fd, PetscReal g, const char *what, PetscInt i)
{
  const PetscReal err = PetscAbsReal(fd - g), tol = 1e-6 * (PetscAbsReal(fd) + PetscAbsReal(g)) + 1e-9;
  UMB_CHECK(err <= tol, "%s[%d]: finite difference %.12g, analytic %.12g", what, (int)i, (double)fd, (double)g);
  if (PetscAbsReal(fd) + PetscAbsReal(g) > 1e-4) worst = PetscMax(worst, err / (PetscAbsReal(fd) + PetscAbsReal(g)));
  nchecked++;
}

static void Fill(UmbStream *s, uint64_t c, PetscInt n, PetscReal *v, PetscReal scale)
{
  for (PetscInt i = 0; i < n; i++) {
    double g[4];
    UmbStreamGaussian4(s, c, (uint64_t)i, 0, g);
    v[i] = scale * g[0];
  }
}

/* Objective: J(theta, X) = sum C .* Y over rows [0, B) with C zero on the penalty rows, plus the
   gradient penalty lambda/B sum_{penalty rows} (|grad_x(w . Y)|_{first ncol} - 1)^2 */
typedef struct {
  PetscInt   B, r0, nr, ncol;
  PetscReal *X, *C, *w, lambda;
} Objective;

static PetscErrorCode Evaluate(UmbMLP m, Objective *o, PetscReal *J)
{
  PetscInt         nin, nout;
  const PetscReal *Y;

  PetscFunctionBegin;
  PetscCall(UmbMLPGetSizes(m, &nin, &nout, NULL));
  PetscCall(UmbMLPForward(m, o->B, o->X, NULL));
  PetscCall(UmbMLPGetOutput(m, &Y));
  *J = 0;
  for (PetscInt i = 0; i < o->B * nout; i++) *J += o->C[i] * Y[i];
  if (o->nr > 0) {
    PetscReal *dY, *G;
    PetscCall(PetscMalloc2(o->nr * nout, &dY, o->nr * nin, &G));
    for (PetscInt r = 0; r < o->nr; r++)
      for (PetscInt j = 0; j < nout; j++) dY[r * nout + j] = o->w[j];
    PetscCall(UmbMLPInputGradient(m, o->r0, o->nr, dY, G));
    PetscCall(UmbNNLossGradPenalty(o->nr, o->ncol, nin, G, o->lambda, 1.0 / o->B, J, NULL));
    PetscCall(PetscFree2(dY, G));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Gradient(UmbMLP m, Objective *o, PetscReal *dX)
{
  PetscInt nin, nout;

  PetscFunctionBegin;
  PetscCall(UmbMLPGetSizes(m, &nin, &nout, NULL));
  PetscCall(UmbMLPZeroGradients(m));
  PetscCall(UmbMLPForward(m, o->B, o->X, NULL));
  if (o->nr > 0) {
    PetscReal *dY, *G, *Gbar, loss = 0;
    PetscCall(PetscMalloc3(o->nr * nout, &dY, o->nr * nin, &G, o->nr * nin, &Gbar));
    for (PetscInt r = 0; r < o->nr; r++)
      for (PetscInt j = 0; j < nout; j++) dY[r * nout + j] = o->w[j];
    PetscCall(UmbMLPInputGradient(m, o->r0, o->nr, dY, G));
    PetscCall(UmbNNLossGradPenalty(o->nr, o->ncol, nin, G, o->lambda, 1.0 / o->B, &loss, Gbar));
    PetscCall(UmbMLPInputGradientAdjoint(m, Gbar));
    PetscCall(PetscFree3(dY, G, Gbar));
  }
  PetscCall(UmbMLPBackward(m, o->B, o->C, dX, PETSC_TRUE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Keeps leaky ReLU's pre-activations at least 1e-3 from the kink (moves the input rows) */
static PetscErrorCode AvoidKinks(UmbMLP m, Objective *o)
{
  PetscFunctionBegin;
  for (int it = 0; it < 50; it++) {
    PetscInt bad = -1;
    PetscCall(UmbMLPForward(m, o->B, o->X, NULL));
    for (PetscInt l = 0; l < m->nlayers - 1 && bad < 0; l++)
      for (PetscInt i = 0; i < o->B * m->layers[l].nout && bad < 0; i++)
        if (PetscAbsReal(m->layers[l].A[i]) < 1e-3) bad = i / m->layers[l].nout;
    if (bad < 0) PetscFunctionReturn(PETSC_SUCCESS);
    for (PetscInt j = 0; j < m->widths[0]; j++) o->X[bad * m->widths[0] + j] += 0.0137 * (j + 1);
  }
  UMB_CHECK(0, "could not keep the inputs away from leaky ReLU's kink");
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CheckNetwork(PetscInt nl, const PetscInt widths[], UmbActivation act, PetscBool penalty, PetscBool mixed, uint64_t seed)
{
  UmbMLP     m;
  UmbStream  s;
  Objective  o;
  PetscInt   nin, nout, np;
  PetscReal *theta, *grad, *g, *dX, J1, J2;
  const PetscReal h = 1e-5;
  char       what[128];

  PetscFunctionBegin;
  PetscCall(UmbMLPCreate(nl, widths, act, 0.2, &m));
  PetscCall(UmbMLPInitialize(m, seed, 0));
  PetscCall(UmbMLPGetSizes(m, &nin, &nout, &np));
  PetscCall(UmbMLPGetParameters(m, &theta, &grad));
  for (PetscInt i = 0; i < np; i++) theta[i] *= 2.5; /* larger weights: the nonlinearities matter */
  UmbStreamInit(&s, seed, UMB_STREAM_TEST, 1);
  o.B      = 6;
  o.r0     = penalty ? (mixed ? 3 : 0) : 0;
  o.nr     = penalty ? (mixed ? 3 : 6) : 0;
  o.ncol   = nin > 2 ? nin - 1 : nin; /* penalty on the first columns only, as the cGAN does */
  o.lambda = 3.0;
  PetscCall(PetscMalloc5(o.B * nin, &o.X, o.B * nout, &o.C, nout, &o.w, np, &g, o.B * nin, &dX));
  Fill(&s, 0, o.B * nin, o.X, 1.0);
  Fill(&s, 1, o.B * nout, o.C, 1.0);
  Fill(&s, 2, nout, o.w, 1.0);
  if (penalty && !mixed) PetscCall(PetscArrayzero(o.C, o.B * nout));
  if (penalty && mixed)
    for (PetscInt i = o.r0 * nout; i < o.B * nout; i++) o.C[i] = 0; /* as in the critic: penalty rows have no loss */
  if (act == UMB_ACT_LEAKYRELU) PetscCall(AvoidKinks(m, &o));
  PetscCall(Gradient(m, &o, dX));
  PetscCall(PetscArraycpy(g, grad, np));
  snprintf(what, sizeof(what), "%s %d layers%s%s dtheta", UmbActivations[act], (int)nl, penalty ? " penalty" : "", mixed ? "+loss" : "");
  for (PetscInt i = 0; i < np; i++) {
    const PetscReal t = theta[i];
    theta[i]          = t + h;
    PetscCall(Evaluate(m, &o, &J1));
    theta[i] = t - h;
    PetscCall(Evaluate(m, &o, &J2));
    theta[i] = t;
    Compare((J1 - J2) / (2 * h), g[i], what, i);
  }
  if (!penalty) { /* dX of the linear functional */
    snprintf(what, sizeof(what), "%s %d layers dX", UmbActivations[act], (int)nl);
    for (PetscInt i = 0; i < o.B * nin; i++) {
      const PetscReal x = o.X[i];
      o.X[i]            = x + h;
      PetscCall(Evaluate(m, &o, &J1));
      o.X[i] = x - h;
      PetscCall(Evaluate(m, &o, &J2));
      o.X[i] = x;
      Compare((J1 - J2) / (2 * h), dX[i], what, i);
    }
    /* input-gradient pass: G = grad_x (w . Y) per row, against differences of w . Y */
    {
      PetscReal *dY, *G;
      PetscCall(PetscMalloc2(o.B * nout, &dY, o.B * nin, &G));
      for (PetscInt r = 0; r < o.B; r++)
        for (PetscInt j = 0; j < nout; j++) dY[r * nout + j] = o.w[j];
      PetscCall(UmbMLPForward(m, o.B, o.X, NULL));
      PetscCall(UmbMLPInputGradient(m, 1, o.B - 1, dY, G));
      snprintf(what, sizeof(what), "%s %d layers input gradient", UmbActivations[act], (int)nl);
      for (PetscInt r = 1; r < o.B; r++)
        for (PetscInt j = 0; j < nin; j++) {
          const PetscReal x = o.X[r * nin + j];
          PetscReal       f[2];
          const PetscReal *Y;
          for (int sgn = 0; sgn < 2; sgn++) {
            o.X[r * nin + j] = x + (sgn ? -h : h);
            PetscCall(UmbMLPForward(m, o.B, o.X, NULL));
            PetscCall(UmbMLPGetOutput(m, &Y));
            f[sgn] = 0;
            for (PetscInt k = 0; k < nout; k++) f[sgn] += o.w[k] * Y[r * nout + k];
          }
          o.X[r * nin + j] = x;
          Compare((f[0] - f[1]) / (2 * h), G[(r - 1) * nin + j], what, r * nin + j);
        }
      PetscCall(PetscFree2(dY, G));
    }
  }
  PetscCall(PetscFree5(o.X, o.C, o.w, g, dX));
  PetscCall(UmbMLPDestroy(&m));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CheckLosses(void)
{
  UmbStream       s;
  const PetscInt  n = 7, nr = 4, ld = 5, ncol = 3;
  PetscReal       y[7], dy[7], G[20], Gbar[20], h = 1e-6;
  const PetscReal signs[2] = {-1, 1};

  PetscFunctionBegin;
  UmbStreamInit(&s, 11, UMB_STREAM_TEST, 2);
  Fill(&s, 0, n, y, 3.0);
  for (int k = 0; k < 2; k++) {
    PetscReal l = 0, l1, l2;
    PetscCall(UmbNNLossLinear(n, y, signs[k], 0.25, &l, dy));
    for (PetscInt i = 0; i < n; i++) {
      const PetscReal t = y[i];
      l1 = l2 = 0;
      y[i]    = t + h;
      PetscCall(UmbNNLossLinear(n, y, signs[k], 0.25, &l1, NULL));
      y[i] = t - h;
      PetscCall(UmbNNLossLinear(n, y, signs[k], 0.25, &l2, NULL));
      y[i] = t;
      Compare((l1 - l2) / (2 * h), dy[i], "linear loss", i);
    }
    l = 0;
    PetscCall(UmbNNLossSoftplus(n, y, signs[k], 0.25, &l, dy));
    for (PetscInt i = 0; i < n; i++) {
      const PetscReal t = y[i];
      l1 = l2 = 0;
      y[i]    = t + h;
      PetscCall(UmbNNLossSoftplus(n, y, signs[k], 0.25, &l1, NULL));
      y[i] = t - h;
      PetscCall(UmbNNLossSoftplus(n, y, signs[k], 0.25, &l2, NULL));
      y[i] = t;
      Compare((l1 - l2) / (2 * h), dy[i], "softplus loss", i);
    }
  }
  /* stability: softplus(800) = 800, softplus(-800) = e^-800 (underflows to 0), sigmoid limits */
  {
    PetscReal big[2] = {800, -800}, l = 0, d[2];
    PetscCall(UmbNNLossSoftplus(2, big, 1.0, 1.0, &l, d));
    UMB_CHECK(l == 800 && d[0] == 1 && d[1] >= 0 && d[1] < 1e-300, "softplus at +-800: loss %g, dy %g %g", (double)l, (double)d[0], (double)d[1]);
    UMB_CHECK_CLOSE(UmbNNSoftplus(-30), exp(-30), 1e-12, 0, "softplus(-30)");
    UMB_CHECK_CLOSE(UmbNNSoftplus(0), log(2.0), 1e-15, 0, "softplus(0)");
  }
  /* gradient penalty in G */
  Fill(&s, 1, nr * ld, G, 0.8);
  {
    PetscReal l = 0;
    PetscCall(UmbNNLossGradPenalty(nr, ncol, ld, G, 10.0, 0.5, &l, Gbar));
    for (PetscInt i = 0; i < nr * ld; i++) {
      const PetscReal t = G[i];
      PetscReal       l1 = 0, l2 = 0;
      G[i]               = t + h;
      PetscCall(UmbNNLossGradPenalty(nr, ncol, ld, G, 10.0, 0.5, &l1, NULL));
      G[i] = t - h;
      PetscCall(UmbNNLossGradPenalty(nr, ncol, ld, G, 10.0, 0.5, &l2, NULL));
      G[i] = t;
      Compare((l1 - l2) / (2 * h), Gbar[i], "gradient penalty in G", i);
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscErrorCode       ierr;
  const UmbActivation  acts[4] = {UMB_ACT_IDENTITY, UMB_ACT_LEAKYRELU, UMB_ACT_TANH, UMB_ACT_SILU};
  const PetscInt       w1[2] = {4, 3}, w2[3] = {5, 7, 1}, w3[4] = {5, 6, 4, 2}, w3s[4] = {5, 6, 4, 1};

  ierr = UmbInitialize(&argc, &argv, NULL);
  if (ierr) return UmbFinalize(ierr);
  PetscFunctionBeginUser;
  for (int a = 0; a < 4; a++) {
    PetscCall(CheckNetwork(1, w1, acts[a], PETSC_FALSE, PETSC_FALSE, 1 + a));
    PetscCall(CheckNetwork(2, w2, acts[a], PETSC_FALSE, PETSC_FALSE, 5 + a));
    PetscCall(CheckNetwork(3, w3, acts[a], PETSC_FALSE, PETSC_FALSE, 9 + a));
    /* gradient penalty: scalar critic-like networks, and a vector output with weights w */
    PetscCall(CheckNetwork(2, w2, acts[a], PETSC_TRUE, PETSC_FALSE, 13 + a));
    PetscCall(CheckNetwork(3, w3s, acts[a], PETSC_TRUE, PETSC_FALSE, 17 + a));
    PetscCall(CheckNetwork(3, w3s, acts[a], PETSC_TRUE, PETSC_TRUE, 21 + a));
    PetscCall(CheckNetwork(3, w3, acts[a], PETSC_TRUE, PETSC_TRUE, 25 + a));
  }
  PetscCall(CheckLosses());
  UMB_NOTE("%d derivatives checked, largest relative error %.2e (tolerance 1e-6)", (int)nchecked, (double)worst);
  PetscFunctionReturn(UmbTestFinalize(0));
}
