/* Exact reference of the fastslow model for the CV x (native, or coord 0), and for the 2-D
   coordinate CV (x, y_j) (coord 0,j): then beta F(x, y_j) = beta h (x^2 - 1)^2 + beta u_j(y_j; x)
   - sum_{i != j} ln Z_i(x), and the observables are the moments of the other y_i (numbered
   1, 2, ... in order, as the fine coordinates of the closures), which do not depend on y_j.
   U(x, y) = h (x^2 - 1)^2 + sum_i u_i(y_i; x); the fast variables are independent given x, so
     beta F(x) = -ln int exp(-beta U(x, y)) dy = beta h (x^2 - 1)^2 - sum_i ln Z_i(x),
     Z_i(x) = int exp(-beta u_i(y; x)) dy.
   gaussian: u_i = (y - A cos(i x))^2 / (2 s^2 (1 + gamma x^2)), closed form:
     ln Z_i = (1/2) ln(2 pi s^2 (1 + gamma x^2) / beta), y_i | x ~ N(A cos(i x), s^2 (1 + gamma x^2) / beta).
   tilted: u_i = c_w (y^2 - 1)^2 - t x y, the same for every i: Z, E[y | x], Var[y | x] and
     P(y > 0 | x) by adaptive Gauss-Kronrod quadrature (GSL qag, 41 points) of
     exp(phi(y) - phi_max), phi(y) = -beta (c_w (y^2 - 1)^2 - t x y), on the finite range where
     phi - phi_max > -46, split at the stationary points of phi and at 0; ln Z = phi_max + ln(...). */
#include <umbra/private/exactimpl.h>
#include <umbra/private/modelimpl.h>
#include <umbra/private/fastslowimpl.h>
#include <gsl/gsl_poly.h>

typedef struct {
  UmbFastSlow p; /* copy of the model's parameters */
  PetscInt    j; /* 2-D CV (x, y_j): j >= 1; 1-D CV x: 0 */
} ExactFastSlow;

/* Integrand of the tilted coupling: y^k-type moments of exp(phi(y) - phi_max) */
typedef struct {
  double beta, cw, tau, phimax, center;
  int    power; /* 0: 1, 1: y, 2: (y - center)^2 */
} TiltedCtx;

static inline double TiltedPhi(const TiltedCtx *c, double y)
{
  const double w = y * y - 1;
  return -c->beta * (c->cw * w * w - c->tau * y);
}

static double TiltedIntegrand(double y, void *ctx)
{
  const TiltedCtx *c = (const TiltedCtx *)ctx;
  const double     f = exp(TiltedPhi(c, y) - c->phimax);
  switch (c->power) {
  case 0:
    return f;
  case 1:
    return y * f;
  default:
    return (y - c->center) * (y - c->center) * f;
  }
}

/* Sum of the integrals over the pieces [pts[j], pts[j+1]] for j in [j0, j1) */
static PetscErrorCode Pieces(UmbExact e, gsl_function *F, const double pts[], PetscInt j0, PetscInt j1, double epsabs, double *sum)
{
  PetscFunctionBegin;
  *sum = 0;
  for (PetscInt j = j0; j < j1; j++) {
    double r, err;
    if (!(pts[j + 1] > pts[j])) continue;
    UmbCallGSL(gsl_integration_qag(F, pts[j], pts[j + 1], epsabs, UMB_EXACT_EPSREL, e->ws_limit, GSL_INTEG_GAUSS41, e->ws, &r, &err));
    *sum += r;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ln Z, mean, variance and P(y > 0) of the density proportional to exp(-beta (c_w (y^2-1)^2 - tau y)) */
static PetscErrorCode TiltedMoments(UmbExact e, PetscReal cw, PetscReal tau, PetscReal *lnZ, PetscReal *mean, PetscReal *var, PetscReal *ppos)
{
  TiltedCtx    c = {(double)e->beta, (double)cw, (double)tau, 0, 0, 0};
  gsl_function F = {TiltedIntegrand, &c};
  double       roots[3], pts[8], Zn, Zp, Z, m1, m2, yl, yr, delta, scale;
  int          nr;
  PetscInt     np = 0, izero = 0;

  PetscFunctionBegin;
  /* stationary points: phi'(y) = 0  <=>  y^3 - y - tau / (4 c_w) = 0 (1 or 3 real roots, ascending);
     gsl_poly_solve_cubic returns the number of roots, not a status */
  nr       = gsl_poly_solve_cubic(0.0, -1.0, -c.tau / (4 * c.cw), &roots[0], &roots[1], &roots[2]);
  c.phimax = -HUGE_VAL;
  for (int r = 0; r < nr; r++) c.phimax = PetscMax(c.phimax, TiltedPhi(&c, roots[r]));
  PetscCheck(isfinite(c.phimax), PETSC_COMM_SELF, PETSC_ERR_FP, "tilted coupling: no finite maximum of the conditional density (beta = %.6g, c_w = %.6g, t x = %.6g)", c.beta, c.cw, c.tau);
  /* beyond the outermost stationary points phi decreases monotonically: step out until the
     integrand is below exp(-UMB_EXACT_CUTOFF) of its maximum */
  yr = PetscMax(roots[nr - 1], 0.0);
  for (delta = 0.25; TiltedPhi(&c, yr + delta) - c.phimax > -UMB_EXACT_CUTOFF; delta *= 2) PetscCheck(delta < 1e6, PETSC_COMM_SELF, PETSC_ERR_PLIB, "tilted coupling: no cut-off found");
  yr += delta;
  yl = PetscMin(roots[0], 0.0);
  for (delta = 0.25; TiltedPhi(&c, yl - delta) - c.phimax > -UMB_EXACT_CUTOFF; delta *= 2) PetscCheck(delta < 1e6, PETSC_COMM_SELF, PETSC_ERR_PLIB, "tilted coupling: no cut-off found");
  yl -= delta;
  /* breakpoints: yl < stationary points and 0 < yr, ascending */
  pts[np++] = yl;
  {
    PetscBool zero_done = PETSC_FALSE;
    for (int r = 0; r < nr; r++) {
      if (!zero_done && roots[r] >= 0) {
        izero     = np;
        pts[np++] = 0;
        zero_done = PETSC_TRUE;
      }
      if (roots[r] != 0) pts[np++] = roots[r];
    }
    if (!zero_done) {
      izero     = np;
      pts[np++] = 0;
    }
  }
  pts[np++] = yr;

  c.power = 0;
  PetscCall(Pieces(e, &F, pts, 0, izero, 0.0, &Zn));
  PetscCall(Pieces(e, &F, pts, izero, np - 1, 0.0, &Zp));
  Z = Zn + Zp;
  PetscCheck(Z > 0 && isfinite(Z), PETSC_COMM_SELF, PETSC_ERR_FP, "tilted coupling: normalisation %.6g is not positive and finite", Z);
  scale   = PetscMax(1.0, PetscMax(-yl, yr));
  c.power = 1;
  PetscCall(Pieces(e, &F, pts, 0, np - 1, 1e-13 * Z * scale, &m1));
  c.power  = 2;
  c.center = m1 / Z;
  PetscCall(Pieces(e, &F, pts, 0, np - 1, 1e-13 * Z * scale * scale, &m2));
  *lnZ  = c.phimax + log(Z);
  *mean = m1 / Z;
  *var  = m2 / Z;
  *ppos = Zp / Z;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Evaluate_FastSlow(UmbExact e, const PetscReal *z, PetscReal *F, PetscReal *obs)
{
  const UmbFastSlow *p = &((ExactFastSlow *)e->data)->p;
  const PetscInt     j = ((ExactFastSlow *)e->data)->j, nf = j ? p->m - 1 : p->m; /* fine y_i */
  const PetscReal    x = z[0], beta = e->beta, w = x * x - 1;

  PetscFunctionBegin;
  if (p->coupling == UMB_FASTSLOW_GAUSSIAN) {
    const PetscReal v = p->s * p->s * (1 + p->gamma * x * x) / beta; /* conditional variance */
    *F                = beta * p->h * w * w - 0.5 * (PetscReal)nf * PetscLogReal(2 * PETSC_PI * v);
    if (j) *F += PetscSqr(z[1] - p->a * PetscCosReal((PetscReal)j * x)) / (2 * v);
    if (obs)
      for (PetscInt k = 1; k <= nf; k++) {
        const PetscInt i = (j && k >= j) ? k + 1 : k; /* the k-th fine y_i */
        obs[2 * (k - 1)]     = p->a * PetscCosReal((PetscReal)i * x);
        obs[2 * (k - 1) + 1] = v;
      }
  } else {
    PetscReal lnZ = 0, mean = 0, var = 0, ppos = 0;
    PetscCall(TiltedMoments(e, p->cw, p->t * x, &lnZ, &mean, &var, &ppos));
    *F = beta * p->h * w * w - (PetscReal)nf * lnZ;
    if (j) *F += beta * (p->cw * PetscSqr(z[1] * z[1] - 1) - p->t * x * z[1]);
    if (obs)
      for (PetscInt i = 0; i < nf; i++) {
        obs[3 * i]     = mean;
        obs[3 * i + 1] = var;
        obs[3 * i + 2] = ppos;
      }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Destroy_FastSlow(UmbExact e)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(e->data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbExactAvailable_FastSlow(UmbCV cv, PetscBool *has, char why[], size_t len)
{
  PetscBool is;
  PetscInt  d, idx[2] = {-1, -1};
  char      desc[256];

  PetscFunctionBegin;
  PetscCall(UmbCVGetDimension(cv, &d));
  PetscCall(UmbCVGetCoordinates(cv, &is, idx));
  *has = (PetscBool)(is && idx[0] == 0 && (d == 1 || idx[1] >= 1));
  if (!*has) {
    PetscCall(UmbExactDescribeCV(cv, desc, sizeof(desc)));
    snprintf(why, len, "model fastslow with CV %s: the exact reference conditions on the slow variable x, or on x and one fast y_j (use -cv native, -cv coord -cv_index 0, or -cv coord -cv_index 0,j)", desc);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbExactSetUp_FastSlow(UmbExact e)
{
  ExactFastSlow *fs;
  char           name[64];
  PetscInt       nf;

  PetscFunctionBegin;
  PetscCheck(e->model->data, e->comm, PETSC_ERR_ORDER, "the fastslow model is not set up");
  PetscCall(PetscNew(&fs));
  fs->p   = *(const UmbFastSlow *)e->model->data;
  e->data = fs;
  if (e->d > 1) {
    PetscBool is;
    PetscInt  idx[2];
    PetscCall(UmbCVGetCoordinates(e->cv, &is, idx));
    fs->j = idx[1]; /* the observables: moments of the other fast coordinates */
  }
  nf = fs->j ? fs->p.m - 1 : fs->p.m;
  if (fs->p.coupling == UMB_FASTSLOW_GAUSSIAN) {
    PetscCall(UmbExactSetObservableCount(e, 2 * nf));
    for (PetscInt i = 1; i <= nf; i++) {
      snprintf(name, sizeof(name), "mean_y%" PetscInt_FMT, i);
      PetscCall(UmbExactSetObservableName(e, 2 * (i - 1), name));
      snprintf(name, sizeof(name), "var_y%" PetscInt_FMT, i);
      PetscCall(UmbExactSetObservableName(e, 2 * (i - 1) + 1, name));
    }
  } else {
    PetscCall(UmbExactSetObservableCount(e, 3 * nf));
    for (PetscInt i = 1; i <= nf; i++) {
      snprintf(name, sizeof(name), "mean_y%" PetscInt_FMT, i);
      PetscCall(UmbExactSetObservableName(e, 3 * (i - 1), name));
      snprintf(name, sizeof(name), "var_y%" PetscInt_FMT, i);
      PetscCall(UmbExactSetObservableName(e, 3 * (i - 1) + 1, name));
      snprintf(name, sizeof(name), "ppos_y%" PetscInt_FMT, i);
      PetscCall(UmbExactSetObservableName(e, 3 * (i - 1) + 2, name));
    }
  }
  e->ops.evaluate = Evaluate_FastSlow;
  e->ops.destroy  = Destroy_FastSlow;
  PetscFunctionReturn(PETSC_SUCCESS);
}
