/* Leimkuhler-Matthews vs Euler-Maruyama at the same, fairly large time step on fastslow
   (gaussian coupling): the invariant-measure bias of the fast variables' conditional variance.
   For fixed x the y_i are Ornstein-Uhlenbeck processes with rate lambda = M / (s^2 (1 + gamma x^2));
   EM inflates their variance by 1 / (1 - lambda dt / 2), LM is exact for this linear part and
   second-order overall (its remaining bias, ~1% here, comes from the coupling to the moving x).
   With lambda dt ~ 0.7 the EM bias is ~60%: the test asserts that EM is biased upwards by many
   standard errors (so the measurement can see a bias) and that LM's bias is below a tenth of
   EM's. Catches an LM update that is really EM (the noise average dropped) and a wrong noise
   factor in either scheme (a variance below the exact one). */
// TEST: nsize=1,2
#include "sampling.h"

static PetscErrorCode VarianceRatio(const char dir[], PetscReal *ratio, PetscReal *se)
{
  const PetscReal A = 1.0, s = 0.5, gamma = 0.5;
  TestWindow      w;
  PetscReal      *u2, mean, var, tau;

  PetscFunctionBegin;
  PetscCall(TestReadWindow(PETSC_COMM_WORLD, dir, 0, &w));
  PetscCall(PetscMalloc1(w.rows, &u2));
  for (PetscInt64 r = 0; r < w.rows; r++) {
    const PetscReal x = w.x[r * w.n], y = w.x[r * w.n + 1];
    u2[r] = (y - A * PetscCosReal(x)) * (y - A * PetscCosReal(x)) / (s * s * (1 + gamma * x * x));
  }
  PetscCall(TestSeriesStats(w.walkers, w.frames, u2, &mean, &var, &tau));
  *ratio = mean;
  *se    = PetscSqrtReal(tau * var / (PetscReal)w.rows);
  PetscCall(PetscFree(u2));
  PetscCall(TestWindowFree(&w));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscErrorCode ierr;
  PetscReal      lm, lm_se, em, em_se;

  ierr = UmbInitialize(&argc, &argv, NULL);
  if (ierr) return UmbFinalize(ierr);
  PetscFunctionBeginUser;
  PetscCall(PetscOptionsSetValue(NULL, "-us_integrator", "lm"));
  PetscCall(TestSample(PETSC_COMM_WORLD, "-model fastslow -fastslow_m 1 -us_windows 1 -us_range 0.4,0.6 -us_kappa 40 -us_walkers 8 -us_steps 100000 -us_burnin 5000 -us_stride 5 -us_dt 2e-3 -seed 5", "lm"));
  PetscCall(PetscOptionsSetValue(NULL, "-us_integrator", "em"));
  PetscCall(TestSample(PETSC_COMM_WORLD, "", "em"));
  PetscCall(VarianceRatio("lm", &lm, &lm_se));
  PetscCall(VarianceRatio("em", &em, &em_se));
  UMB_NOTE("Var[y | x] / exact at dt = 2e-3: LM %.4f +- %.4f, EM %.4f +- %.4f", (double)lm, (double)lm_se, (double)em, (double)em_se);
  UMB_CHECK(em - 1 > 20 * em_se, "EM shows no bias: %g +- %g", (double)em, (double)em_se);
  UMB_CHECK(PetscAbsReal(lm - 1) < 0.1 * PetscAbsReal(em - 1), "LM bias %g not below a tenth of EM bias %g", (double)(lm - 1), (double)(em - 1));
  PetscFunctionReturn(UmbTestFinalize(0));
}
