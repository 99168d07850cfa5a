/* The system layer's small helpers: the block layout of items over ranks (every item owned by
   exactly one rank, ranges contiguous and balanced) and the periodic minimum image (inside
   [-P/2, P/2), exactly half a period from either side maps to -P/2, identity without a period). */
// TEST: nsize=1
#include "tap.h"

static void CheckLayout(PetscInt K, PetscMPIInt size)
{
  PetscInt next = 0;
  for (PetscMPIInt r = 0; r < size; r++) {
    PetscInt lo, hi;
    UmbLayoutRange(K, size, r, &lo, &hi);
    UMB_CHECK(lo == next, "K %d, %d ranks: rank %d starts at %d, expected %d", (int)K, size, r, (int)lo, (int)next);
    UMB_CHECK(hi - lo == K / size || hi - lo == K / size + 1, "K %d, %d ranks: rank %d holds %d items", (int)K, size, r, (int)(hi - lo));
    for (PetscInt k = lo; k < hi; k++) UMB_CHECK(UmbLayoutOwner(K, size, k) == r, "K %d, %d ranks: item %d owned by %d, expected %d", (int)K, size, (int)k, UmbLayoutOwner(K, size, k), r);
    next = hi;
  }
  UMB_CHECK(next == K, "K %d, %d ranks: items end at %d", (int)K, size, (int)next);
}

int main(int argc, char **argv)
{
  PetscErrorCode  ierr;
  const PetscReal P = 2 * PETSC_PI;

  ierr = UmbInitialize(&argc, &argv, NULL);
  if (ierr) return UmbFinalize(ierr);
  PetscFunctionBeginUser;
  for (PetscInt K = 0; K <= 13; K++)
    for (PetscMPIInt size = 1; size <= 5; size++) CheckLayout(K, size);

  /* exactly half a period, from either side, and its multiples */
  UMB_CHECK(UmbMinimumImage(0.5 * P, P) == -0.5 * P, "+P/2 maps to %.17g", (double)UmbMinimumImage(0.5 * P, P));
  UMB_CHECK(UmbMinimumImage(-0.5 * P, P) == -0.5 * P, "-P/2 maps to %.17g", (double)UmbMinimumImage(-0.5 * P, P));
  UMB_CHECK(UmbMinimumImage(1.5 * P, P) == -0.5 * P, "3P/2 maps to %.17g", (double)UmbMinimumImage(1.5 * P, P));
  UMB_CHECK(UmbMinimumImage(-1.5 * P, P) == -0.5 * P, "-3P/2 maps to %.17g", (double)UmbMinimumImage(-1.5 * P, P));
  UMB_CHECK(UmbMinimumImage(2.0, 4.0) == -2.0 && UmbMinimumImage(-2.0, 4.0) == -2.0, "half of period 4");
  /* inside the half-open interval and a fixed point there */
  for (int i = -40; i <= 40; i++) {
    const PetscReal d = 0.37 * i, m = UmbMinimumImage(d, P);
    UMB_CHECK(m >= -0.5 * P && m < 0.5 * P, "%g maps to %g, outside [-P/2, P/2)", (double)d, (double)m);
    UMB_CHECK_CLOSE(PetscSinReal(m), PetscSinReal(d), 0, 1e-12, "same angle");
    UMB_CHECK_CLOSE(PetscCosReal(m), PetscCosReal(d), 0, 1e-12, "same angle");
    UMB_CHECK(UmbMinimumImage(m, P) == m, "%g is not a fixed point", (double)m);
  }
  /* no period: the difference itself */
  UMB_CHECK(UmbMinimumImage(7.25, 0) == 7.25 && UmbMinimumImage(-7.25, -1) == -7.25, "identity without a period");
  PetscFunctionReturn(UmbTestFinalize(PETSC_SUCCESS));
}
