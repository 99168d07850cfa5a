/* Parameters of the mullerbrown model, shared with its exact reference and the tests. */
#ifndef UMBRA_MULLERBROWNIMPL_H
#define UMBRA_MULLERBROWNIMPL_H

#include <petscsys.h>

/* The four Gaussian-like terms A_k exp(a_k dx^2 + b_k dx dy + c_k dy^2), dx = x - x0_k,
   dy = y - y0_k (Mueller and Brown, Theor. Chim. Acta 53, 75 (1979)) */
#define UMB_MB_NTERMS 4
static const PetscReal UmbMB_A[UMB_MB_NTERMS]  = {-200, -100, -170, 15};
static const PetscReal UmbMB_a[UMB_MB_NTERMS]  = {-1, -1, -6.5, 0.7};
static const PetscReal UmbMB_b[UMB_MB_NTERMS]  = {0, 0, 11, 0.6};
static const PetscReal UmbMB_c[UMB_MB_NTERMS]  = {-10, -10, -6.5, 0.7};
static const PetscReal UmbMB_x0[UMB_MB_NTERMS] = {1, 0, -0.5, -1};
static const PetscReal UmbMB_y0[UMB_MB_NTERMS] = {0, 0.5, 1.5, 1};

typedef struct {
  PetscReal scale;   /* s = -mb_scale: V = s * (Mueller-Brown sum) */
  PetscReal xmin[2]; /* the deepest minimum (independent of s), refined by Newton at set-up */
  PetscReal vmin;    /* V at xmin (includes s) */
} UmbMullerBrown;

/* Unscaled Mueller-Brown sum at (x, y) with its gradient (g may be NULL) and Hessian
   (H, row-major 2 x 2, may be NULL) */
static inline PetscReal UmbMullerBrownSum(PetscReal x, PetscReal y, PetscReal g[2], PetscReal H[4])
{
  PetscReal v = 0;
  if (g) g[0] = g[1] = 0;
  if (H) H[0] = H[1] = H[2] = H[3] = 0;
  for (int k = 0; k < UMB_MB_NTERMS; k++) {
    const PetscReal dx = x - UmbMB_x0[k], dy = y - UmbMB_y0[k];
    const PetscReal e  = UmbMB_A[k] * PetscExpReal(UmbMB_a[k] * dx * dx + UmbMB_b[k] * dx * dy + UmbMB_c[k] * dy * dy);
    const PetscReal px = 2 * UmbMB_a[k] * dx + UmbMB_b[k] * dy, py = UmbMB_b[k] * dx + 2 * UmbMB_c[k] * dy;
    v += e;
    if (g) {
      g[0] += e * px;
      g[1] += e * py;
    }
    if (H) {
      H[0] += e * (px * px + 2 * UmbMB_a[k]);
      H[1] += e * (px * py + UmbMB_b[k]);
      H[3] += e * (py * py + 2 * UmbMB_c[k]);
    }
  }
  if (H) H[2] = H[1];
  return v;
}

#endif
