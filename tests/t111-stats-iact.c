/* Integrated autocorrelation time of AR(1) series x_t = phi x_{t-1} + e_t, whose exact value
   is (1 + phi) / (1 - phi): the estimate is within 10% for several phi (the relative standard
   error of Sokal's estimator is ~ sqrt(2 (2M + 1) / N) ~ 2-4% here), white noise gives 1, and
   pooling several series agrees with one long series. */
// TEST: nsize=1
#include "tap.h"

static void AR1(UmbStream *s, PetscReal phi, PetscInt nseries, PetscInt len, PetscReal *x)
{
  for (PetscInt k = 0; k < nseries; k++) {
    PetscReal prev = 0;
    for (PetscInt t = -1000; t < len; t++) { /* 1000 steps of burn-in */
      double g[4];
      UmbStreamGaussian4(s, (uint64_t)(t + 1000), (uint64_t)k, 0, g);
      prev = phi * prev + g[0];
      if (t >= 0) x[k * len + t] = prev;
    }
  }
}

int main(int argc, char **argv)
{
  PetscErrorCode  ierr;
  const PetscReal phis[] = {0.0, 0.5, 0.8, 0.95};
  const PetscInt  len    = 200000;
  PetscReal      *x, tau;
  UmbStream       s;

  ierr = UmbInitialize(&argc, &argv, NULL);
  if (ierr) return UmbFinalize(ierr);
  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(4 * len, &x));
  for (int i = 0; i < 4; i++) {
    const PetscReal exact = (1 + phis[i]) / (1 - phis[i]);
    UmbStreamInit(&s, 99, UMB_STREAM_TEST, (uint64_t)i);
    AR1(&s, phis[i], 1, len, x);
    PetscCall(UmbIACT(1, len, x, &tau));
    UMB_CHECK_CLOSE(tau, exact, 0.1, 0, "IACT of AR(1)");
    UMB_NOTE("phi %.2f: IACT %.3f, exact %.3f", (double)phis[i], (double)tau, (double)exact);
    AR1(&s, phis[i], 4, len / 4, x);
    PetscCall(UmbIACT(4, len / 4, x, &tau));
    UMB_CHECK_CLOSE(tau, exact, 0.1, 0, "IACT of 4 pooled AR(1) series");
  }
  PetscCall(UmbIACT(1, 3, x, &tau));
  UMB_CHECK(tau == 1, "short series");
  PetscCall(PetscFree(x));
  PetscFunctionReturn(UmbTestFinalize(0));
}
