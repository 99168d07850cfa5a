/* The x-histogram of each umbrella window on fastslow (gaussian coupling) against the exact
   biased marginal p_k(x) ~ exp(-beta F(x) - beta kappa/2 (x - c_k)^2), with
   beta F(x) = beta h (x^2 - 1)^2 - (m/2) ln(1 + gamma x^2): a chi-square test at significance
   1e-4 in which each bin's term is divided by the IACT of that bin's indicator series (the
   variance inflation of a count of correlated samples). The window at the barrier top
   (c = 0) is held there only by the bias, the others sit on the wells' walls. Catches a bias
   applied with the wrong sign or strength, a wrong slow drift (double well, or the coupling's
   -(m/2) ln(1 + gamma x^2) entropic term), and a wrong temperature. */
// TEST: nsize=1,3
#include "sampling.h"
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_integration.h>

typedef struct {
  PetscReal h, gamma, beta, kappa, c, logmax;
  PetscInt  m;
} Marginal;

static double LogDensity(double x, const Marginal *p) { return -p->beta * p->h * (x * x - 1) * (x * x - 1) + 0.5 * p->m * log(1 + p->gamma * x * x) - 0.5 * p->beta * p->kappa * (x - p->c) * (x - p->c); }

static double Density(double x, void *ctx)
{
  const Marginal *p = (const Marginal *)ctx;
  return exp(LogDensity(x, p) - p->logmax);
}

static PetscErrorCode Integrate(Marginal *p, double a, double b, double *val)
{
  gsl_integration_workspace *ws = gsl_integration_workspace_alloc(1000);
  gsl_function               f  = {Density, p};
  double                     err;

  PetscFunctionBegin;
  UmbCallGSL(gsl_integration_qags(&f, a, b, 0, 1e-11, 1000, ws, val, &err));
  gsl_integration_workspace_free(ws);
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  const PetscInt nbins = 24, K = 3;
  PetscErrorCode ierr;
  PetscMPIInt    rank;

  ierr = UmbInitialize(&argc, &argv, NULL);
  if (ierr) return UmbFinalize(ierr);
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCall(TestSample(PETSC_COMM_WORLD, "-model fastslow -fastslow_m 4 -us_windows 3 -us_range -1,1 -us_kappa 20 -us_walkers 8 -us_steps 200000 -us_burnin 10000 -us_stride 20 -us_dt 1e-3 -seed 11", "out"));
  for (PetscInt k = 0; k < K; k++) {
    TestWindow w;
    Marginal   p = {2.0, 0.5, 1.0, 0, 0, 0, 4};
    PetscReal  mx, vx, tau, *x, *ind, lo, hi, width, Z, chi2 = 0, crit, taumax = 0;
    PetscInt  *count, *bin;

    PetscCall(TestReadWindow(PETSC_COMM_WORLD, "out", k, &w));
    if (rank) {
      PetscCall(TestWindowFree(&w));
      continue;
    }
    p.kappa = w.kappa[0];
    p.c     = w.center[0];
    PetscCall(PetscMalloc1(w.rows, &x));
    for (PetscInt64 r = 0; r < w.rows; r++) x[r] = w.x[r * w.n];
    PetscCall(TestSeriesStats(w.walkers, w.frames, x, &mx, &vx, &tau));
    /* normalise the density on a wide interval; shift the log by its value at the mean */
    p.logmax = LogDensity(mx, &p);
    PetscCall(Integrate(&p, mx - 12 * PetscSqrtReal(vx), mx + 12 * PetscSqrtReal(vx), &Z));
    /* nbins interior bins on mean +- 3 sd, plus the two tails */
    lo    = mx - 3 * PetscSqrtReal(vx);
    hi    = mx + 3 * PetscSqrtReal(vx);
    width = (hi - lo) / nbins;
    PetscCall(PetscCalloc1(nbins + 2, &count));
    PetscCall(PetscMalloc2(w.rows, &bin, w.rows, &ind));
    for (PetscInt64 r = 0; r < w.rows; r++) {
      bin[r] = x[r] < lo ? 0 : x[r] >= hi ? nbins + 1 : 1 + PetscMin(nbins - 1, (PetscInt)((x[r] - lo) / width));
      count[bin[r]]++;
    }
    for (PetscInt b = 0; b < nbins + 2; b++) {
      PetscReal a = b == 0 ? mx - 12 * PetscSqrtReal(vx) : lo + (b - 1) * width, e = b == nbins + 1 ? mx + 12 * PetscSqrtReal(vx) : lo + b * width, P, expected, taub;
      PetscCall(Integrate(&p, a, e, &P));
      expected = P / Z * (PetscReal)w.rows;
      for (PetscInt64 r = 0; r < w.rows; r++) ind[r] = bin[r] == b;
      PetscCall(UmbIACT(w.walkers, (PetscInt)w.frames, ind, &taub));
      taumax = PetscMax(taumax, taub);
      chi2 += (count[b] - expected) * (count[b] - expected) / (expected * taub);
    }
    crit = gsl_cdf_chisq_Qinv(1e-4, nbins + 1);
    UMB_CHECK(chi2 <= crit, "window %d (centre %g): chi^2 = %g > %g (%d dof)", (int)k, (double)p.c, (double)chi2, (double)crit, (int)(nbins + 1));
    UMB_NOTE("window %d: centre %g, x mean %.4f sd %.4f, IACT %.2f (bins up to %.2f), chi^2 = %.1f (%d dof, critical %.1f)", (int)k, (double)p.c, (double)mx, (double)PetscSqrtReal(vx), (double)tau, (double)taumax, (double)chi2, (int)(nbins + 1), (double)crit);
    PetscCall(PetscFree(count));
    PetscCall(PetscFree2(bin, ind));
    PetscCall(PetscFree(x));
    PetscCall(TestWindowFree(&w));
  }
  PetscFunctionReturn(UmbTestFinalize(0));
}
