/* fastslow: slow x in R, fast y in R^m with mobility 1/eps,
   U(x, y) = h (x^2 - 1)^2 + sum_i u_i(y_i; x),
   gaussian: u_i = (y_i - A cos(i x))^2 / (2 s^2 (1 + gamma x^2)),
   tilted:   u_i = c_w (y_i^2 - 1)^2 - t x y_i. */
#include <umbra/private/modelimpl.h>
#include <umbra/private/fastslowimpl.h>

static const char *const couplings[] = {"gaussian", "tilted"};

static PetscErrorCode SetFromOptions_FastSlow(UmbModel m, PetscOptionItems *PetscOptionsObject)
{
  UmbFastSlow *fs = (UmbFastSlow *)m->data;
  PetscInt     c  = fs->coupling;

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "fastslow model");
  PetscCall(PetscOptionsInt("-fastslow_m", "Number of fast variables", "", fs->m, &fs->m, NULL));
  PetscCall(PetscOptionsReal("-fastslow_eps", "Time-scale separation: mobility of y is 1/eps", "", fs->eps, &fs->eps, NULL));
  PetscCall(PetscOptionsReal("-fastslow_h", "Barrier height of the slow double well", "", fs->h, &fs->h, NULL));
  PetscCall(PetscOptionsEList("-fastslow_coupling", "Coupling of fast and slow variables", "", couplings, 2, couplings[c], &c, NULL));
  fs->coupling = (UmbFastSlowCoupling)c;
  if (fs->coupling == UMB_FASTSLOW_GAUSSIAN) {
    PetscCall(PetscOptionsReal("-fastslow_a", "Amplitude A of the conditional mean A cos(i x)", "", fs->a, &fs->a, NULL));
    PetscCall(PetscOptionsReal("-fastslow_s", "Conditional standard deviation s at x = 0", "", fs->s, &fs->s, NULL));
    PetscCall(PetscOptionsReal("-fastslow_gamma", "Growth gamma of the conditional variance s^2 (1 + gamma x^2)", "", fs->gamma, &fs->gamma, NULL));
  } else {
    PetscCall(PetscOptionsReal("-fastslow_cw", "Height c_w of the fast double wells", "", fs->cw, &fs->cw, NULL));
    PetscCall(PetscOptionsReal("-fastslow_t", "Tilt t of the fast wells by x", "", fs->t, &fs->t, NULL));
  }
  PetscOptionsHeadEnd();
  PetscCheck(fs->m >= 1, m->comm, PETSC_ERR_USER_INPUT, "-fastslow_m must be at least 1, got %" PetscInt_FMT, fs->m);
  PetscCheck(fs->eps > 0, m->comm, PETSC_ERR_USER_INPUT, "-fastslow_eps must be positive, got %.6g", (double)fs->eps);
  PetscCheck(fs->h >= 0, m->comm, PETSC_ERR_USER_INPUT, "-fastslow_h must be non-negative, got %.6g", (double)fs->h);
  PetscCheck(fs->s > 0, m->comm, PETSC_ERR_USER_INPUT, "-fastslow_s must be positive, got %.6g", (double)fs->s);
  PetscCheck(fs->gamma >= 0, m->comm, PETSC_ERR_USER_INPUT, "-fastslow_gamma must be non-negative, got %.6g", (double)fs->gamma);
  PetscCheck(fs->cw > 0, m->comm, PETSC_ERR_USER_INPUT, "-fastslow_cw must be positive, got %.6g", (double)fs->cw);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode SetUp_FastSlow(UmbModel m)
{
  UmbFastSlow *fs = (UmbFastSlow *)m->data;

  PetscFunctionBegin;
  PetscCall(UmbModelAllocate(m, fs->m + 1));
  PetscCall(PetscFree(m->coord_names[0]));
  PetscCall(PetscStrallocpy("x", &m->coord_names[0]));
  for (PetscInt i = 1; i <= fs->m; i++) {
    char name[32];
    PetscCall(PetscFree(m->coord_names[i]));
    snprintf(name, sizeof(name), "y%" PetscInt_FMT, i);
    PetscCall(PetscStrallocpy(name, &m->coord_names[i]));
    m->mobility[i] = 1.0 / fs->eps;
  }
  /* left well, fast variables at their most likely values */
  m->reference[0] = -1.0;
  for (PetscInt i = 1; i <= fs->m; i++) {
    if (fs->coupling == UMB_FASTSLOW_GAUSSIAN) m->reference[i] = fs->a * PetscCosReal((PetscReal)i * m->reference[0]);
    else m->reference[i] = fs->t * m->reference[0] >= 0 ? 1.0 : -1.0;
  }
  m->bound         = 1e4;
  m->native_d      = 1;
  m->native_period[0] = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode EnergyGradient_FastSlow(UmbModel m, PetscInt nw, const PetscReal *X, PetscReal *U, PetscReal *G)
{
  const UmbFastSlow *fs = (const UmbFastSlow *)m->data;
  const PetscInt     n = m->n, nf = fs->m;

  PetscFunctionBegin;
  for (PetscInt k = 0; k < nw; k++) {
    const PetscReal *xk = X + k * n, x = xk[0], *y = xk + 1;
    PetscReal        u = fs->h * (x * x - 1) * (x * x - 1), dudx = 4 * fs->h * x * (x * x - 1);
    PetscReal       *g = G ? G + k * n : NULL;

    if (fs->coupling == UMB_FASTSLOW_GAUSSIAN) {
      const PetscReal D = 2 * fs->s * fs->s * (1 + fs->gamma * x * x), dD = 4 * fs->s * fs->s * fs->gamma * x, iD = 1 / D;
      const PetscReal c1 = PetscCosReal(x), s1 = PetscSinReal(x);
      PetscReal       ci = c1, si = s1, sr2 = 0, sdrift = 0;
      for (PetscInt i = 1; i <= nf; i++) {
        const PetscReal r = y[i - 1] - fs->a * ci, cn = ci * c1 - si * s1;
        sr2 += r * r;
        sdrift += r * (PetscReal)i * si; /* d r / dx = A i sin(i x) */
        if (g) g[i] = 2 * r * iD;
        si = si * c1 + ci * s1;
        ci = cn;
      }
      u += sr2 * iD;
      dudx += 2 * fs->a * sdrift * iD - sr2 * iD * iD * dD;
    } else {
      PetscReal sy = 0;
      for (PetscInt i = 1; i <= nf; i++) {
        const PetscReal yi = y[i - 1], w = yi * yi - 1;
        u += fs->cw * w * w - fs->t * x * yi;
        sy += yi;
        if (g) g[i] = 4 * fs->cw * yi * w - fs->t * x;
      }
      dudx -= fs->t * sy;
    }
    if (U) U[k] = u;
    if (g) g[0] = dudx;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode NativeCV_FastSlow(UmbModel m, PetscInt nw, const PetscReal *X, PetscReal *z, PetscReal *J)
{
  PetscFunctionBegin;
  for (PetscInt k = 0; k < nw; k++) {
    z[k] = X[k * m->n];
    if (J) {
      PetscCall(PetscArrayzero(J + k * m->n, m->n));
      J[k * m->n] = 1;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode View_FastSlow(UmbModel m, PetscViewer v)
{
  UmbFastSlow *fs = (UmbFastSlow *)m->data;

  PetscFunctionBegin;
  if (fs->coupling == UMB_FASTSLOW_GAUSSIAN) PetscCall(UmbViewerPrintf(v, "fastslow: m = %" PetscInt_FMT ", eps = %g, h = %g, coupling gaussian (A = %g, s = %g, gamma = %g)\n", fs->m, (double)fs->eps, (double)fs->h, (double)fs->a, (double)fs->s, (double)fs->gamma));
  else PetscCall(UmbViewerPrintf(v, "fastslow: m = %" PetscInt_FMT ", eps = %g, h = %g, coupling tilted (c_w = %g, t = %g)\n", fs->m, (double)fs->eps, (double)fs->h, (double)fs->cw, (double)fs->t));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Destroy_FastSlow(UmbModel m)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(m->data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelCreate_FastSlow(UmbModel m)
{
  UmbFastSlow *fs;

  PetscFunctionBegin;
  PetscCall(PetscNew(&fs));
  fs->m        = 4;
  fs->eps      = 0.01;
  fs->h        = 2.0;
  fs->coupling = UMB_FASTSLOW_GAUSSIAN;
  fs->a        = 1.0;
  fs->s        = 0.5;
  fs->gamma    = 0.5;
  fs->cw       = 1.0;
  fs->t        = 1.0;
  m->data      = fs;
  m->ops.setfromoptions = SetFromOptions_FastSlow;
  m->ops.setup          = SetUp_FastSlow;
  m->ops.energygradient = EnergyGradient_FastSlow;
  m->ops.nativecv       = NativeCV_FastSlow;
  m->ops.view           = View_FastSlow;
  m->ops.destroy        = Destroy_FastSlow;
  PetscFunctionReturn(PETSC_SUCCESS);
}
