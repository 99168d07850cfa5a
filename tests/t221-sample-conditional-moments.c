/* Umbrella windows on fastslow (gaussian coupling): inside each window, the binned conditional
   mean and variance of every fast variable y_i given x agree with the exact conditional law
   y_i | x ~ N(A cos(i x), s^2 (1 + gamma x^2) / beta) within 4 IACT-corrected standard errors.
   Residuals u = (y_i - A cos(i x)) / sd(x) remove the variation of the exact law inside a bin,
   so E[u | bin] = 0 and E[u^2 | bin] = 1 exactly. Catches a wrong drift in y (the mean or the
   spread shifts), a missing or wrong noise factor (variance off by a factor), and a wrong
   mobility/temperature scaling. */
// TEST: nsize=1,2,3
#include "sampling.h"

int main(int argc, char **argv)
{
  const PetscInt  m = 4, nbins = 8, K = 3;
  const PetscReal A = 1.0, s = 0.5, gamma = 0.5, beta = 1.0;
  PetscErrorCode  ierr;
  PetscMPIInt     rank;
  PetscReal       worst = 0;
  PetscInt        compared = 0;

  ierr = UmbInitialize(&argc, &argv, NULL);
  if (ierr) return UmbFinalize(ierr);
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCall(TestSample(PETSC_COMM_WORLD, "-model fastslow -fastslow_m 4 -fastslow_coupling gaussian -us_windows 3 -us_range -1,1 -us_kappa 40 -us_walkers 8 -us_steps 200000 -us_burnin 5000 -us_stride 10 -us_dt 1e-3 -us_integrator lm -seed 7", "out"));
  for (PetscInt k = 0; k < K; k++) {
    TestWindow w;
    PetscReal  mx, vx, tx, lo, width, *u, *u2;
    PetscCall(TestReadWindow(PETSC_COMM_WORLD, "out", k, &w));
    if (rank) {
      PetscCall(TestWindowFree(&w));
      continue;
    }
    {
      PetscReal *x;
      PetscCall(PetscMalloc1(w.rows, &x));
      for (PetscInt64 r = 0; r < w.rows; r++) x[r] = w.x[r * w.n];
      PetscCall(TestSeriesStats(w.walkers, w.frames, x, &mx, &vx, &tx));
      PetscCall(PetscFree(x));
    }
    lo    = mx - 2.5 * PetscSqrtReal(vx);
    width = 5 * PetscSqrtReal(vx) / nbins;
    PetscCall(PetscMalloc2(w.rows, &u, w.rows, &u2));
    for (PetscInt i = 1; i <= m; i++) {
      PetscReal mu, vu, tu, mu2, vu2, tu2;
      for (PetscInt64 r = 0; r < w.rows; r++) {
        const PetscReal x = w.x[r * w.n], y = w.x[r * w.n + i];
        u[r]  = (y - A * PetscCosReal(i * x)) / PetscSqrtReal(s * s * (1 + gamma * x * x) / beta);
        u2[r] = u[r] * u[r];
      }
      PetscCall(TestSeriesStats(w.walkers, w.frames, u, &mu, &vu, &tu));
      PetscCall(TestSeriesStats(w.walkers, w.frames, u2, &mu2, &vu2, &tu2));
      for (PetscInt b = 0; b < nbins; b++) {
        PetscReal s1 = 0, s2 = 0, q1 = 0, q2 = 0, nb = 0;
        for (PetscInt64 r = 0; r < w.rows; r++) {
          const PetscReal x = w.x[r * w.n];
          if (x < lo + b * width || x >= lo + (b + 1) * width) continue;
          nb += 1;
          s1 += u[r];
          q1 += u[r] * u[r];
          s2 += u2[r];
          q2 += u2[r] * u2[r];
        }
        if (nb < 200) continue;
        {
          const PetscReal mean = s1 / nb, var = q1 / nb - mean * mean, se = PetscSqrtReal(tu * var / nb);
          const PetscReal mean2 = s2 / nb, var2 = q2 / nb - mean2 * mean2, se2 = PetscSqrtReal(tu2 * var2 / nb);
          UMB_CHECK(PetscAbsReal(mean) <= 4 * se, "window %d y%d bin %d (n = %g): E[u] = %g, 4 SE = %g", (int)k, (int)i, (int)b, (double)nb, (double)mean, (double)(4 * se));
          UMB_CHECK(PetscAbsReal(mean2 - 1) <= 4 * se2, "window %d y%d bin %d (n = %g): E[u^2] = %g, 4 SE = %g", (int)k, (int)i, (int)b, (double)nb, (double)mean2, (double)(4 * se2));
          worst = PetscMax(worst, PetscMax(PetscAbsReal(mean) / se, PetscAbsReal(mean2 - 1) / se2));
          compared += 2;
        }
      }
    }
    UMB_NOTE("window %d: centre %g, x mean %.4f sd %.4f (IACT %.2f frames), %lld samples", (int)k, (double)w.center[0], (double)mx, (double)PetscSqrtReal(vx), (double)tx, (long long)w.rows);
    PetscCall(PetscFree2(u, u2));
    PetscCall(TestWindowFree(&w));
  }
  if (!rank) {
    UMB_CHECK(compared >= 100, "only %d comparisons", (int)compared);
    UMB_NOTE("%d comparisons, largest deviation %.2f standard errors", (int)compared, (double)worst);
  }
  PetscFunctionReturn(UmbTestFinalize(0));
}
