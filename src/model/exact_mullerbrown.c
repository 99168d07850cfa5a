/* Exact reference of the mullerbrown model, V(x, y) = s * sum_k A_k exp(a_k dx^2 + b_k dx dy + c_k dy^2).
   The potential is evaluated only through UmbModelEnergyGradient.
   1-D CV xi = w . q (coord x: w = (1, 0); coord y: w = (0, 1); linear: -cv_weights w):
     beta F(z) = -ln int exp(-beta V(q)) delta(w . q - z) dq = -ln[(1/|w|) int exp(-beta V(q(t))) dt],
     q(t) = z w/|w|^2 + t u, u = (-w2, w1)/|w| (unit vector along the level set),
   by adaptive Gauss-Kronrod quadrature (GSL qag, 41 points) of exp(-beta (V - V*)) on 64 equal
   pieces of a finite range (V* = the lowest V of a scan along the line), with the conditional mean
   and variance of t, hence of x and y, along the level set.
   Range: the terms k = 1..3 have negative definite quadratic forms (so they lie in [A_k s, 0]) and
   the fourth (A_4 = 15 > 0) a positive definite one with smallest eigenvalue 0.4, so
     V(q) >= s (15 exp(0.4 |q - c4|^2) - 470),  c4 = (-1, 1),
   and exp(-beta (V - V*)) < exp(-46) wherever that bound exceeds V* + 46/beta.
   The scale s is measured as V(q)/(unscaled sum) at a few points, which also checks that the
   model's V is the documented one.
   2-D CV z = W q (coord (x, y), (y, x), or linear with invertible W): beta F(z) = beta V(W^-1 z) + ln|det W|. */
#include <umbra/private/exactimpl.h>

#define MB_NSCAN   801 /* points of the scan for V* along a level set */
#define MB_SCAN    4.0 /* half-width of the scan around the point of the line nearest c4 */
#define MB_NPIECES 64  /* equal pieces of the quadrature range */

typedef struct {
  PetscInt  kind;           /* 1: level sets of a 1-D CV, 2: the 2-D map */
  PetscReal w[2], wnorm;    /* 1-D: CV weights */
  PetscReal u[2];           /* 1-D: unit vector along the level sets */
  PetscBool obs_x, obs_y;   /* 1-D: which coordinates' moments are observables */
  PetscReal Winv[4], lndet; /* 2-D */
  PetscReal scale;          /* s, measured */
  PetscReal *scanq, *scanV; /* MB_NSCAN states and energies */
} ExactMB;

/* The unscaled Mueller-Brown sum (docs/models.md); used to measure s and to bound the range */
static PetscReal MBSum(PetscReal x, PetscReal y)
{
  static const PetscReal A[4] = {-200, -100, -170, 15}, a[4] = {-1, -1, -6.5, 0.7}, b[4] = {0, 0, 11, 0.6}, c[4] = {-10, -10, -6.5, 0.7}, x0[4] = {1, 0, -0.5, -1}, y0[4] = {0, 0.5, 1.5, 1};
  PetscReal              v = 0;
  for (int k = 0; k < 4; k++) {
    const PetscReal dx = x - x0[k], dy = y - y0[k];
    v += A[k] * PetscExpReal(a[k] * dx * dx + b[k] * dx * dy + c[k] * dy * dy);
  }
  return v;
}

typedef struct {
  UmbModel       model;
  double         q0[2], u[2], beta, Vstar, center;
  int            power;
  PetscErrorCode ierr; /* first error of the model inside a GSL callback */
} LineCtx;

static double LineIntegrand(double t, void *ctx)
{
  LineCtx  *c = (LineCtx *)ctx;
  PetscReal q[2] = {c->q0[0] + t * c->u[0], c->q0[1] + t * c->u[1]}, V;
  double    f;

  if (c->ierr) return 0;
  c->ierr = UmbModelEnergyGradient(c->model, 1, q, &V, NULL); /* errors are returned after the quadrature */
  if (c->ierr) return 0;
  f = exp(-c->beta * ((double)V - c->Vstar));
  switch (c->power) {
  case 0:
    return f;
  case 1:
    return t * f;
  default:
    return (t - c->center) * (t - c->center) * f;
  }
}

static PetscErrorCode LineQuad(UmbExact e, LineCtx *c, const double pts[], double epsabs, double *sum)
{
  gsl_function F = {LineIntegrand, c};

  PetscFunctionBegin;
  *sum = 0;
  for (PetscInt j = 0; j < MB_NPIECES; j++) {
    double r, err;
    int    status = gsl_integration_qag(&F, pts[j], pts[j + 1], epsabs, UMB_EXACT_EPSREL, e->ws_limit, GSL_INTEG_GAUSS41, e->ws, &r, &err);
    PetscCall(c->ierr);
    UmbCallGSL(status);
    *sum += r;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Evaluate_Line(UmbExact e, const PetscReal *z, PetscReal *F, PetscReal *obs)
{
  ExactMB  *mb = (ExactMB *)e->data;
  LineCtx   c;
  PetscReal t4, p2, d4[2], tstar = 0, lo, hi, rho2, half, arg, scanZ = 0, Z, m1, m2, scale, Et, Vt;
  double    pts[MB_NPIECES + 1];
  PetscInt  io = 0;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(&c, sizeof(c)));
  c.model = e->model;
  c.beta  = e->beta;
  c.q0[0] = z[0] * mb->w[0] / (mb->wnorm * mb->wnorm);
  c.q0[1] = z[0] * mb->w[1] / (mb->wnorm * mb->wnorm);
  c.u[0]  = mb->u[0];
  c.u[1]  = mb->u[1];
  /* position of c4 = (-1, 1) relative to the line: t4 along it, p2 squared distance from it */
  d4[0] = -1 - c.q0[0];
  d4[1] = 1 - c.q0[1];
  t4    = d4[0] * c.u[0] + d4[1] * c.u[1];
  p2    = PetscMax(0, d4[0] * d4[0] + d4[1] * d4[1] - t4 * t4);
  /* scan for V* (an upper bound of the minimum along the line is all the range needs) */
  for (PetscInt k = 0; k < MB_NSCAN; k++) {
    const PetscReal t = t4 - MB_SCAN + 2 * MB_SCAN * (PetscReal)k / (MB_NSCAN - 1);
    mb->scanq[2 * k]     = c.q0[0] + t * c.u[0];
    mb->scanq[2 * k + 1] = c.q0[1] + t * c.u[1];
  }
  PetscCall(UmbModelEnergyGradient(e->model, MB_NSCAN, mb->scanq, mb->scanV, NULL));
  c.Vstar = PETSC_MAX_REAL;
  for (PetscInt k = 0; k < MB_NSCAN; k++) {
    PetscCheck(!PetscIsInfOrNanReal(mb->scanV[k]), PETSC_COMM_SELF, PETSC_ERR_FP, "mullerbrown: V is not finite at (%.6g, %.6g)", (double)mb->scanq[2 * k], (double)mb->scanq[2 * k + 1]);
    if (mb->scanV[k] < c.Vstar) {
      c.Vstar = mb->scanV[k];
      tstar   = t4 - MB_SCAN + 2 * MB_SCAN * (PetscReal)k / (MB_NSCAN - 1);
    }
  }
  for (PetscInt k = 0; k < MB_NSCAN; k++) scanZ += PetscExpReal(-e->beta * (mb->scanV[k] - c.Vstar)) * 2 * MB_SCAN / (MB_NSCAN - 1);
  /* range: s (15 exp(0.4 rho^2) - 470) >= V* + CUTOFF/beta  for  |q - c4|^2 = (t - t4)^2 + p2 >= rho^2 */
  arg  = (c.Vstar / mb->scale + UMB_EXACT_CUTOFF / (e->beta * mb->scale) + 470) / 15;
  rho2 = arg > 1 ? 2.5 * PetscLogReal(arg) : 0;
  half = PetscSqrtReal(PetscMax(0, rho2 - p2));
  lo   = PetscMin(t4 - half, tstar - 0.5);
  hi   = PetscMax(t4 + half, tstar + 0.5);
  for (PetscInt j = 0; j <= MB_NPIECES; j++) pts[j] = j == MB_NPIECES ? hi : lo + (hi - lo) * (PetscReal)j / MB_NPIECES;

  c.power = 0;
  PetscCall(LineQuad(e, &c, pts, 1e-13 * scanZ, &Z));
  PetscCheck(Z > 0 && isfinite(Z), PETSC_COMM_SELF, PETSC_ERR_FP, "mullerbrown: line integral %.6g is not positive and finite", Z);
  scale   = PetscMax(1.0, PetscMax(PetscAbsReal(lo), PetscAbsReal(hi)));
  c.power = 1;
  PetscCall(LineQuad(e, &c, pts, 1e-13 * Z * scale, &m1));
  Et       = m1 / Z;
  c.power  = 2;
  c.center = Et;
  PetscCall(LineQuad(e, &c, pts, 1e-13 * Z * (hi - lo) * (hi - lo), &m2));
  Vt = m2 / Z;
  *F = e->beta * c.Vstar - PetscLogReal(Z) + PetscLogReal(mb->wnorm);
  if (obs) {
    if (mb->obs_x) {
      obs[io++] = c.q0[0] + c.u[0] * Et;
      obs[io++] = c.u[0] * c.u[0] * Vt;
    }
    if (mb->obs_y) {
      obs[io++] = c.q0[1] + c.u[1] * Et;
      obs[io++] = c.u[1] * c.u[1] * Vt;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Evaluate_Plane(UmbExact e, const PetscReal *z, PetscReal *F, PetscReal *obs)
{
  ExactMB  *mb = (ExactMB *)e->data;
  PetscReal q[2], V;

  PetscFunctionBegin;
  q[0] = mb->Winv[0] * z[0] + mb->Winv[1] * z[1];
  q[1] = mb->Winv[2] * z[0] + mb->Winv[3] * z[1];
  PetscCall(UmbModelEnergyGradient(e->model, 1, q, &V, NULL));
  *F = e->beta * V + mb->lndet;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Destroy_MB(UmbExact e)
{
  ExactMB *mb = (ExactMB *)e->data;

  PetscFunctionBegin;
  if (mb) PetscCall(PetscFree2(mb->scanq, mb->scanV));
  PetscCall(PetscFree(e->data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The CV's matrix W (d x 2): its Jacobian, the same at every state for coord and linear CVs */
static PetscErrorCode CVMatrix(UmbCV cv, PetscReal W[4])
{
  PetscReal x[2] = {0, 0}, z[2];

  PetscFunctionBegin;
  PetscCall(UmbCVEvaluate(cv, 1, x, z, W));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbExactAvailable_MullerBrown(UmbCV cv, PetscBool *has, char why[], size_t len)
{
  UmbModel  model;
  UmbCVType type;
  PetscInt  n, d;
  char      desc[256];

  PetscFunctionBegin;
  PetscCall(UmbCVGetModel(cv, &model));
  PetscCall(UmbModelGetDimension(model, &n));
  PetscCall(UmbCVGetType(cv, &type));
  PetscCall(UmbCVGetDimension(cv, &d));
  PetscCall(UmbExactDescribeCV(cv, desc, sizeof(desc)));
  *has = PETSC_FALSE;
  if (n != 2) snprintf(why, len, "model mullerbrown with CV %s: the reference needs the 2-D potential, this model has %" PetscInt_FMT " coordinates", desc, n);
  else if (strcmp(type, UMBCVCOORD) && strcmp(type, UMBCVLINEAR)) snprintf(why, len, "model mullerbrown with CV %s: exact references exist for -cv coord (x, y, or x and y) and -cv linear", desc);
  else if (d == 2) {
    PetscReal W[4];
    PetscCall(CVMatrix(cv, W));
    if (PetscAbsReal(W[0] * W[3] - W[1] * W[2]) > 1e-12 * (PetscAbsReal(W[0] * W[3]) + PetscAbsReal(W[1] * W[2]))) *has = PETSC_TRUE;
    else snprintf(why, len, "model mullerbrown with CV %s: the two components are linearly dependent, so the map to (x, y) is not invertible", desc);
  } else *has = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbExactSetUp_MullerBrown(UmbExact e)
{
  ExactMB        *mb;
  UmbCVType       type;
  const PetscReal probe[4][2] = {{-0.55, 1.44}, {0.62, 0.03}, {-0.05, 0.47}, {-1, 1}};
  PetscReal       V[4], W[4];

  PetscFunctionBegin;
  PetscCall(PetscNew(&mb));
  e->data        = mb;
  e->ops.destroy = Destroy_MB;
  /* measure s = V / (unscaled sum) and check that V is the documented potential */
  PetscCall(UmbModelEnergyGradient(e->model, 4, &probe[0][0], V, NULL));
  mb->scale = V[0] / MBSum(probe[0][0], probe[0][1]);
  for (PetscInt k = 0; k < 4; k++) {
    const PetscReal ref = mb->scale * MBSum(probe[k][0], probe[k][1]);
    char            msg[256];
    if (!(mb->scale > 0 && PetscAbsReal(V[k] - ref) <= 1e-9 * PetscAbsReal(ref))) {
      snprintf(msg, sizeof(msg), "exact reference of model mullerbrown: V(%g, %g) = %.12g is not s times the documented Mueller-Brown sum (%.12g) with s = %g > 0", (double)probe[k][0], (double)probe[k][1], (double)V[k], (double)MBSum(probe[k][0], probe[k][1]), (double)mb->scale);
      SETERRQ(e->comm, PETSC_ERR_PLIB, "%s", msg);
    }
  }
  PetscCall(UmbCVGetType(e->cv, &type));
  PetscCall(CVMatrix(e->cv, W));
  if (e->d == 1) {
    mb->kind  = 1;
    mb->w[0]  = W[0];
    mb->w[1]  = W[1];
    mb->wnorm = PetscSqrtReal(W[0] * W[0] + W[1] * W[1]);
    mb->u[0]  = -W[1] / mb->wnorm;
    mb->u[1]  = W[0] / mb->wnorm;
    /* coord x: y varies along the level set, coord y: x; linear: both */
    mb->obs_x = (PetscBool)(PetscAbsReal(mb->u[0]) > 0 || !strcmp(type, UMBCVLINEAR));
    mb->obs_y = (PetscBool)(PetscAbsReal(mb->u[1]) > 0 || !strcmp(type, UMBCVLINEAR));
    PetscCall(UmbExactSetObservableCount(e, 2 * ((PetscInt)mb->obs_x + (PetscInt)mb->obs_y)));
    {
      /* design.md's naming: y<j> is the j-th fine coordinate (1-based), the CV's coordinates
         excluded: for CV x it is y, for CV y it is x, for a linear CV both x (y1) and y (y2) */
      PetscInt i = 0, j = 1;
      char     name[32];
      for (int c = 0; c < 2; c++) {
        if (!(c ? mb->obs_y : mb->obs_x)) continue;
        snprintf(name, sizeof(name), "mean_y%d", (int)j);
        PetscCall(UmbExactSetObservableName(e, i++, name));
        snprintf(name, sizeof(name), "var_y%d", (int)j++);
        PetscCall(UmbExactSetObservableName(e, i++, name));
      }
    }
    PetscCall(PetscMalloc2(2 * MB_NSCAN, &mb->scanq, MB_NSCAN, &mb->scanV));
    e->ops.evaluate = Evaluate_Line;
  } else {
    const PetscReal det = W[0] * W[3] - W[1] * W[2];
    mb->kind            = 2;
    mb->Winv[0]         = W[3] / det;
    mb->Winv[1]         = -W[1] / det;
    mb->Winv[2]         = -W[2] / det;
    mb->Winv[3]         = W[0] / det;
    mb->lndet           = PetscLogReal(PetscAbsReal(det));
    PetscCall(UmbExactSetObservableCount(e, 0));
    e->ops.evaluate = Evaluate_Plane;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}
