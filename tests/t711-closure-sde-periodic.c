/* The reduced-SDE check of umbra closure (UmbClosureCheckSDE, docs/closures.md) on a periodic
   CV, the ring's angle (period 2 pi), with closures given exactly: F(z) = A cos z (A = 1.5 kT),
   whose single well sits on the seam z = +-pi, and a constant sigma^2 = s, so the drift
   b = -(s / beta) dF/dz (F in kT) makes exp(-F) the stationary density. The grid has 31 points
   on [-pi, pi - 0.35]: its spacing (0.198) does not divide the period, and the gap from its last
   point round to the first (0.35) differs from the spacing.
   (a) the exact b: sde_histogram_rms and sde_histogram_max_z pass (their tolerances are the
       chi^2 and Bonferroni bounds at alpha = 0.01 of the check itself);
   (b) b with the wrong sign (stationary density exp(+F)) and (c) b twice too strong (exp(-2 F))
       fail both rows.
   Broken variants of the check itself fail (a): without the wrap (the walkers leave the grid at
   +-pi into linearly extrapolated closures, as before the check knew periodic CVs)
   sde_histogram_rms is 0.20 kT against 0.15; with the seam's two bins counted as wide as the
   others, 0.32 against 0.058 (max_z 15.6). Catches: a reduced dynamics that does not wrap round
   the circle, bins at the seam with the wrong width, a drift or density with the wrong sign or
   scale. Walkers are keyed by their index: the same rows at 1 and 2 ranks. */
// TEST: nsize=1,2
#include "tap.h"
#include <umbra/private/closureimpl.h>

#define NG 31

static PetscErrorCode RunCase(UmbCV cv, const char *name, PetscReal bscale, PetscBool expect_pass)
{
  UmbClosure      c;
  const PetscReal A = 1.5, s = 1, lo = -PETSC_PI, hi = PETSC_PI - 0.35;
  PetscReal       beta;

  PetscFunctionBegin;
  PetscCall(UmbClosureCreate(cv, NULL, &c));
  beta = c->beta;
  PetscCheck(c->idrift >= 0 && c->idiff >= 0, PETSC_COMM_SELF, PETSC_ERR_PLIB, "the ring's closure has no drift or diffusion");
  c->ng = NG;
  c->h  = (hi - lo) / (NG - 1);
  PetscCall(PetscMalloc1(NG, &c->z));
  PetscCall(PetscMalloc2(NG, &c->Fm, NG, &c->dFm));
  PetscCall(PetscMalloc2(NG * c->nobs, &c->gval, NG * c->nobs, &c->gerr));
  for (PetscInt i = 0; i < NG * c->nobs; i++) c->gval[i] = c->gerr[i] = NAN;
  for (PetscInt g = 0; g < NG; g++) {
    const PetscReal z = lo + g * c->h;
    c->z[g]                         = z;
    c->Fm[g]                        = A * PetscCosReal(z);
    c->dFm[g]                       = 0.01;
    c->gval[g * c->nobs + c->idrift] = bscale * (s / beta) * A * PetscSinReal(z); /* -(s / beta) F'(z) */
    c->gval[g * c->nobs + c->idiff]  = s;
  }
  c->zA = c->zB  = NAN; /* no wells: the histogram rows only */
  c->sde_time    = 160;
  c->sde_dt      = 1e-3;
  c->sde_walkers = 64;
  PetscCall(UmbClosureCheckSDE(c));
  UMB_CHECK(c->nchecks == 2, "%s: %d check rows, expected 2", name, (int)c->nchecks);
  for (PetscInt k = 0; k < c->nchecks; k++) {
    UMB_NOTE("%s: %s = %.4g (tolerance %.4g): %s", name, c->cname[k], (double)c->cvalue[k], (double)c->ctol[k], c->cpass[k] ? "pass" : "FAIL");
    UMB_CHECK(c->cpass[k] == expect_pass, "%s: %s = %.4g against %.4g should %s", name, c->cname[k], (double)c->cvalue[k], (double)c->ctol[k], expect_pass ? "pass" : "fail");
  }
  PetscCall(UmbClosureDestroy(&c));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscErrorCode ierr;
  UmbModel       model;
  UmbCV          cv;
  PetscReal      period[2];

  ierr = UmbInitialize(&argc, &argv, NULL);
  if (ierr) return UmbFinalize(ierr);
  PetscFunctionBeginUser;
  PetscCall(UmbModelCreate(PETSC_COMM_WORLD, &model));
  PetscCall(UmbModelSetType(model, UMBMODELRING));
  PetscCall(UmbModelSetFromOptions(model));
  PetscCall(UmbModelSetUp(model));
  PetscCall(UmbCVCreate(model, &cv));
  PetscCall(UmbCVSetFromOptions(cv));
  PetscCall(UmbCVSetUp(cv));
  PetscCall(UmbCVGetPeriod(cv, period));
  UMB_CHECK(PetscAbsReal(period[0] - 2 * PETSC_PI) < 1e-12, "the ring's CV has period %g, expected 2 pi", (double)period[0]);
  PetscCall(RunCase(cv, "(a) exact drift", 1, PETSC_TRUE));
  PetscCall(RunCase(cv, "(b) drift of the wrong sign", -1, PETSC_FALSE));
  PetscCall(RunCase(cv, "(c) drift twice too strong", 2, PETSC_FALSE));
  PetscCall(UmbCVDestroy(&cv));
  PetscCall(UmbModelDestroy(&model));
  PetscFunctionReturn(UmbTestFinalize(0));
}
