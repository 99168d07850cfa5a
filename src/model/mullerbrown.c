/* mullerbrown: the 2-D Mueller-Brown potential scaled by s = -mb_scale,
   V(x, y) = s sum_k A_k exp(a_k (x - x0_k)^2 + b_k (x - x0_k)(y - y0_k) + c_k (y - y0_k)^2).
   Coordinates x, y with mobility 1; no native CV (use -cv coord or -cv linear).
   Reference state: the deepest minimum, near (-0.558, 1.442), refined by Newton's method. */
#include <umbra/private/modelimpl.h>
#include <umbra/private/mullerbrownimpl.h>

static PetscErrorCode SetFromOptions_MullerBrown(UmbModel m, PetscOptionItems *PetscOptionsObject)
{
  UmbMullerBrown *mb = (UmbMullerBrown *)m->data;

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "mullerbrown model");
  PetscCall(PetscOptionsReal("-mb_scale", "Scale s of the Mueller-Brown potential (energies in kT at beta = 1)", "", mb->scale, &mb->scale, NULL));
  PetscOptionsHeadEnd();
  {
    char v[64];
    snprintf(v, sizeof(v), "%g", (double)mb->scale);
    PetscCheck(mb->scale > 0 && PetscIsNormalReal(mb->scale), m->comm, PETSC_ERR_USER_INPUT, "-mb_scale must be positive and finite, got %s", v);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Newton's method on the unscaled sum from a point inside the basin of the deepest minimum:
   the minimum does not depend on s and converges quadratically to round-off. */
static PetscErrorCode RefineMinimum(UmbModel m, PetscReal xy[2])
{
  PetscReal g[2], H[4], step = 1;

  PetscFunctionBegin;
  for (int it = 0; it < 50 && step > 1e-15; it++) {
    PetscReal det, dx, dy;
    (void)UmbMullerBrownSum(xy[0], xy[1], g, H);
    det = H[0] * H[3] - H[1] * H[2];
    PetscCheck(det > 0 && H[0] > 0, m->comm, PETSC_ERR_PLIB, "mullerbrown: Newton iteration left the basin of the minimum");
    dx = (H[3] * g[0] - H[1] * g[1]) / det;
    dy = (H[0] * g[1] - H[2] * g[0]) / det;
    xy[0] -= dx;
    xy[1] -= dy;
    step = PetscMax(PetscAbsReal(dx), PetscAbsReal(dy));
  }
  (void)UmbMullerBrownSum(xy[0], xy[1], g, NULL);
  PetscCheck(PetscAbsReal(g[0]) + PetscAbsReal(g[1]) < 1e-9, m->comm, PETSC_ERR_PLIB, "mullerbrown: Newton iteration did not converge to the minimum");
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode SetUp_MullerBrown(UmbModel m)
{
  UmbMullerBrown *mb = (UmbMullerBrown *)m->data;

  PetscFunctionBegin;
  PetscCall(UmbModelAllocate(m, 2));
  PetscCall(PetscFree(m->coord_names[0]));
  PetscCall(PetscFree(m->coord_names[1]));
  PetscCall(PetscStrallocpy("x", &m->coord_names[0]));
  PetscCall(PetscStrallocpy("y", &m->coord_names[1]));
  mb->xmin[0] = -0.558;
  mb->xmin[1] = 1.442;
  PetscCall(RefineMinimum(m, mb->xmin));
  mb->vmin        = mb->scale * UmbMullerBrownSum(mb->xmin[0], mb->xmin[1], NULL, NULL);
  m->reference[0] = mb->xmin[0];
  m->reference[1] = mb->xmin[1];
  m->bound        = 50; /* the positive fourth term grows like exp(0.7 |x|^2): far beyond this the dynamics has blown up */
  m->native_d     = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode EnergyGradient_MullerBrown(UmbModel m, PetscInt nw, const PetscReal *X, PetscReal *U, PetscReal *G)
{
  const PetscReal s = ((const UmbMullerBrown *)m->data)->scale;

  PetscFunctionBegin;
  for (PetscInt k = 0; k < nw; k++) {
    PetscReal g[2], v = UmbMullerBrownSum(X[2 * k], X[2 * k + 1], G ? g : NULL, NULL);
    if (U) U[k] = s * v;
    if (G) {
      G[2 * k]     = s * g[0];
      G[2 * k + 1] = s * g[1];
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode View_MullerBrown(UmbModel m, PetscViewer v)
{
  UmbMullerBrown *mb = (UmbMullerBrown *)m->data;
  char            line[256];

  PetscFunctionBegin;
  snprintf(line, sizeof(line), "mullerbrown: scale s = %g, deepest minimum V(%.6f, %.6f) = %.6g\n", (double)mb->scale, (double)mb->xmin[0], (double)mb->xmin[1], (double)mb->vmin);
  PetscCall(PetscViewerASCIIPrintf(v, "%s", line));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Destroy_MullerBrown(UmbModel m)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(m->data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelCreate_MullerBrown(UmbModel m)
{
  UmbMullerBrown *mb;

  PetscFunctionBegin;
  PetscCall(PetscNew(&mb));
  mb->scale             = 0.1;
  m->data               = mb;
  m->ops.setfromoptions = SetFromOptions_MullerBrown;
  m->ops.setup          = SetUp_MullerBrown;
  m->ops.energygradient = EnergyGradient_MullerBrown;
  m->ops.nativecv       = NULL;
  m->ops.view           = View_MullerBrown;
  m->ops.destroy        = Destroy_MullerBrown;
  PetscFunctionReturn(PETSC_SUCCESS);
}
