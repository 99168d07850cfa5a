/* F(z) of the quickstart sampling (inputs/fastslow.opts: fastslow with Gaussian coupling, 24
   windows on [-1.5, 1.5], kappa 40, 4 walkers x 100000 steps) by `umbra fes` with its defaults
   (MBAR, block bootstrap with 50 replicas), against the exact profile
     beta F(x) = beta h (x^2 - 1)^2 - (m/2) ln(1 + gamma x^2)   (h = 2, m = 4, gamma = 0.5),
   averaged over each bin by quadrature (what a histogram estimates). The unknown constant is
   aligned by the weighted least-squares fit c = sum (F - E) / dF^2 / sum 1 / dF^2 over the bins in
   the windowed range |x| <= 1.5 (the reference bin, whose dF is 0 by construction, is left out).
   Checks (the acceptance criteria of the FES stage): RMS of F - E - c <= 0.1 kT; |F - E - c| <= 2 dF in at least
   90% of the bins (calibrated error bars: a bootstrap that ignored the correlation of the samples
   gives ~65%); the RMS of (F - E - c) / dF is at least 0.5 (error bars not inflated by 2x or more);
   the solver converged and no neighbour pair fails the consistency test (correct sampling).
   Catches: wrong unbiasing weights, a wrong temperature or coupling entropy term, error bars
   that ignore correlation or are grossly too large. */
// TEST: nsize=2
#pragma GCC diagnostic ignored "-Wunused-function" /* sampling.h helpers this test does not use */
#include "sampling.h"
#include <umbra/private/fesimpl.h>
#include <gsl/gsl_integration.h>

static double Boltzmann(double x, void *ctx)
{
  const double h = 2, m = 4, gamma = 0.5;
  (void)ctx;
  return exp(-(h * (x * x - 1) * (x * x - 1) - 0.5 * m * log(1 + gamma * x * x)));
}

static PetscErrorCode ExactBin(double a, double b, double *E)
{
  gsl_integration_workspace *ws = gsl_integration_workspace_alloc(200);
  gsl_function               f  = {Boltzmann, NULL};
  double                     v, err;

  PetscFunctionBegin;
  UmbCallGSL(gsl_integration_qags(&f, a, b, 0, 1e-12, 200, ws, &v, &err));
  gsl_integration_workspace_free(ws);
  *E = -log(v / (b - a));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscErrorCode ierr;
  UmbFes         fes;

  ierr = UmbInitialize(&argc, &argv, NULL);
  if (ierr) return UmbFinalize(ierr);
  PetscFunctionBeginUser;
  PetscCall(TestSample(PETSC_COMM_WORLD, "-model fastslow -fastslow_m 4 -fastslow_eps 0.01 -fastslow_coupling gaussian -beta 1 -us_windows 24 -us_range -1.5,1.5 -us_kappa 40 -us_walkers 4 -us_steps 100000 -us_burnin 5000 -us_stride 10 -us_dt 1e-3 -us_integrator lm -seed 42", "out"));
  PetscCall(UmbFesCreate(PETSC_COMM_WORLD, &fes));
  PetscCall(UmbFesSetFromOptions(fes));
  PetscCall(UmbFesSetDirectory(fes, "out"));
  PetscCall(UmbFesSetUp(fes));
  {
    PetscBool finished;
    PetscCall(UmbFesSolve(fes, &finished));
  }
  PetscCall(UmbFesView(fes, PETSC_VIEWER_STDOUT_WORLD));
  {
    const PetscReal *dF = fes->dF_boot;
    PetscReal       *E, sw = 0, swr = 0, c, ss = 0, zz = 0;
    PetscInt         n = 0, within = 0;
    PetscCall(PetscMalloc1(fes->B, &E));
    for (PetscInt b = 0; b < fes->B; b++) PetscCall(ExactBin(fes->lo[0] + b * fes->width[0], fes->lo[0] + (b + 1) * fes->width[0], &E[b]));
    for (PetscInt b = 0; b < fes->B; b++)
      if (PetscAbsReal(fes->zc[b]) <= 1.5 && b != fes->jmin && dF[b] > 0) {
        sw += 1 / (dF[b] * dF[b]);
        swr += (fes->F[b] - E[b]) / (dF[b] * dF[b]);
      }
    c = swr / sw;
    for (PetscInt b = 0; b < fes->B; b++)
      if (PetscAbsReal(fes->zc[b]) <= 1.5 && b != fes->jmin && dF[b] > 0) {
        const PetscReal r = fes->F[b] - E[b] - c;
        ss += r * r;
        zz += (r / dF[b]) * (r / dF[b]);
        if (PetscAbsReal(r) <= 2 * dF[b]) within++;
        n++;
      }
    UMB_CHECK(n >= 60, "only %d bins in the windowed range", (int)n);
    UMB_CHECK(PetscSqrtReal(ss / n) <= 0.1, "RMS of F - F_exact over the windowed range = %.4f kT > 0.1 kT", (double)PetscSqrtReal(ss / n));
    UMB_CHECK(within >= 0.9 * n, "|F - F_exact| <= 2 dF in %d of %d bins (%.1f%%), expected at least 90%%", (int)within, (int)n, 100.0 * within / n);
    UMB_CHECK(PetscSqrtReal(zz / n) >= 0.5, "RMS of (F - F_exact) / dF = %.3f: the error bars are too large", (double)PetscSqrtReal(zz / n));
    UMB_CHECK(fes->info.converged, "solver did not converge");
    UMB_CHECK(fes->nflagged == 0, "%d neighbour pairs flagged on correct sampling", (int)fes->nflagged);
    UMB_NOTE("%d bins in [-1.5, 1.5]: RMS of F - F_exact = %.4f kT (limit 0.1), |F - F_exact| <= 2 dF in %.1f%% (limit 90%%), RMS of the normalised residuals %.3f (>= 0.5); constant %.4f", (int)n, (double)PetscSqrtReal(ss / n), 100.0 * within / n, (double)PetscSqrtReal(zz / n), (double)c);
    PetscCall(PetscFree(E));
  }
  PetscCall(UmbFesDestroy(&fes));
  PetscFunctionReturn(UmbTestFinalize(0));
}
