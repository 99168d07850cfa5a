/* closures.csv, consistency.csv and the console summary. */
#include <umbra/private/closureimpl.h>

PetscErrorCode UmbClosureWrite(UmbClosure c)
{
  char   path[PETSC_MAX_PATH_LEN];
  UmbCsv csv;

  PetscFunctionBegin;
  PetscCheck(c->computed, c->comm, PETSC_ERR_ORDER, "call UmbClosureCompute() first");
  PetscCall(PetscLogEventBegin(UMB_EVENT.csv_write, 0, 0, 0, 0));
  PetscCall(UmbPathJoin(c->dir, "closures.csv", path, sizeof(path)));
  {
    char head[128];
    /* the reweighted route appends the effective sample size of the point's draws */
    snprintf(head, sizeof(head), "z,%sobservable,physics,physics_err,gan,gan_err%s%s", c->d > 1 ? "z2," : "", c->has_exact ? ",exact" : "", c->ess ? ",ess,ess_fraction" : "");
    PetscCall(UmbCsvCreate(c->comm, path, head, &csv));
  }
  for (PetscInt g = 0; g < c->ng; g++)
    for (PetscInt k = 0; k < c->nobs; k++) {
      const PetscInt i = g * c->nobs + k;
      char           zs[64], ex[32] = "", es[64] = "";
      if (!c->sel[k]) continue;
      if (c->d > 1) snprintf(zs, sizeof(zs), "%.10g,%.10g", (double)c->z[2 * g], (double)c->z[2 * g + 1]);
      else snprintf(zs, sizeof(zs), "%.10g", (double)c->z[g]);
      if (c->has_exact) snprintf(ex, sizeof(ex), ",%.10g", (double)c->exval[i]);
      if (c->ess) snprintf(es, sizeof(es), ",%.6g,%.6g", (double)c->ess[g], (double)(c->ess[g] / c->lift_n));
      PetscCall(UmbCsvRow(csv, "%s,%s,%.10g,%.6g,%.10g,%.6g%s%s", zs, c->names[k], (double)c->phys[i], (double)c->phys_err[i], (double)c->gval[i], (double)c->gerr[i], ex, es));
    }
  PetscCall(UmbCsvClose(&csv, PETSC_TRUE));
  PetscCall(UmbPathJoin(c->dir, "consistency.csv", path, sizeof(path)));
  PetscCall(UmbCsvCreate(c->comm, path, "check,value,tolerance,pass", &csv));
  for (PetscInt i = 0; i < c->nchecks; i++) PetscCall(UmbCsvRow(csv, "%s,%.6g,%.6g,%s", c->cname[i], (double)c->cvalue[i], (double)c->ctol[i], c->cpass[i] ? "true" : "false"));
  PetscCall(UmbCsvClose(&csv, PETSC_TRUE));
  PetscCall(PetscLogEventEnd(UMB_EVENT.csv_write, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Points where a and b agree to round-off are not counted */
PetscReal UmbClosureMaxZ(UmbClosure c, PetscInt k, const PetscReal a[], const PetscReal ea[], const PetscReal b[], const PetscReal eb[], PetscInt *cnt)
{
  PetscReal mz = 0;

  *cnt = 0;
  for (PetscInt g = 0; g < c->ng; g++) {
    const PetscInt  i = g * c->nobs + k;
    const PetscReal s = PetscSqrtReal(PetscSqr(ea[i]) + (eb ? PetscSqr(eb[i]) : 0));
    if (PetscIsInfOrNanReal(a[i]) || PetscIsInfOrNanReal(b[i])) continue;
    if (PetscAbsReal(a[i] - b[i]) <= 1e-12 * (PetscAbsReal(a[i]) + PetscAbsReal(b[i]))) continue; /* equal up to round-off (constant observables) */
    (*cnt)++;
    mz = PetscMax(mz, PetscAbsReal(a[i] - b[i]) / s);
  }
  return mz;
}

/* Every lifted state gives observable k the same value at every grid point (round-off spread
   only): a function of z alone, e.g. the mean-force component along a coordinate CV component of
   fastslow. Its error bars measure nothing, so the console does not compare it. */
PetscBool UmbClosureFunctionOfZOnly(UmbClosure c, PetscInt k)
{
  PetscInt n = 0;

  if (!c->use_gan) return PETSC_FALSE;
  for (PetscInt g = 0; g < c->ng; g++) {
    const PetscInt i = g * c->nobs + k;
    if (PetscIsInfOrNanReal(c->gval[i]) || PetscIsInfOrNanReal(c->gerr[i])) continue;
    if (c->gerr[i] > 1e-12 * (1 + PetscAbsReal(c->gval[i]))) return PETSC_FALSE;
    n++;
  }
  return n > 0 ? PETSC_TRUE : PETSC_FALSE;
}

PetscErrorCode UmbClosureView(UmbClosure c, PetscViewer v)
{
  PetscInt npass = 0, nbare = 0;

  PetscFunctionBegin;
  PetscCheck(c->computed, c->comm, PETSC_ERR_ORDER, "call UmbClosureCompute() first");
  if (c->d == 1) PetscCall(UmbViewerPrintf(v, "closures on %" PetscInt_FMT " points z in [%g, %g] (bins of width %g; samples span [%g, %g])\n", c->ng, (double)c->grid[0], (double)c->grid[1], (double)c->h, (double)c->zlo_data[0], (double)c->zhi_data[0]));
  else
    PetscCall(UmbViewerPrintf(v, "closures on %" PetscInt_FMT " x %" PetscInt_FMT " points (z1, z2) in [%g, %g] x [%g, %g] (spacing %g x %g); the free-energy integration, reduced-SDE and first-passage checks are 1-D only\n", c->ngd[0], c->ngd[1], (double)c->grid[0], (double)c->grid[1], (double)c->grid[3], (double)c->grid[4], (double)c->hd[0], (double)c->hd[1]));
  PetscCall(UmbViewerPrintf(v, "  observable     gan vs physics    physics vs exact    gan vs exact   (largest difference over the grid in combined standard errors; %s: docs/closures.md)\n", c->reweight ? "gan vs physics checked (reweighted generator), the others shown" : "shown, not checked"));
  for (PetscInt k = 0; k < c->nobs; k++) {
    PetscInt  n1, n2, n3;
    PetscReal z1 = UmbClosureMaxZ(c, k, c->gval, c->gerr, c->phys, c->phys_err, &n1);
    PetscReal z2 = c->has_exact ? UmbClosureMaxZ(c, k, c->phys, c->phys_err, c->exval, NULL, &n2) : 0;
    /* the generator inherits the error of its training data: budget sqrt(gan_err^2 + physics_err^2) */
    PetscReal z3 = c->has_exact ? UmbClosureMaxZ(c, k, c->gval, c->gerr, c->exval, c->phys_err, &n3) : 0;
    if (!c->sel[k]) continue;
    if (!c->has_exact) n2 = n3 = 0;
    if (UmbClosureFunctionOfZOnly(c, k)) n1 = n2 = n3 = 0;
    {
      char b1[32] = "-", b2[32] = "-", b3[32] = "-";
      if (n1) snprintf(b1, sizeof(b1), "%.2f", (double)z1);
      if (n2) snprintf(b2, sizeof(b2), "%.2f", (double)z2);
      if (n3) snprintf(b3, sizeof(b3), "%.2f", (double)z3);
      if (!n1 && !n2 && !n3 && nbare++ >= 8) continue; /* a molecule's hundreds of rows of "-": counted below */
      PetscCall(UmbViewerPrintf(v, "  %-13s  %8s          %8s            %8s\n", c->names[k], b1, b2, b3));
    }
  }
  if (nbare > 8) PetscCall(UmbViewerPrintf(v, "  ... and %" PetscInt_FMT " more observables without a comparison (their closures are in closures.csv)\n", nbare - 8));
  if (!c->use_gan) {
    PetscCall(UmbViewerPrintf(v, "no generator route: no consistency checks\n"));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  if (!PetscIsInfOrNanReal(c->mfpt_sde[0]))
    PetscCall(UmbViewerPrintf(v, "reduced SDE mean first-passage times: %.4g -> %.4g: %.4g +- %.2g (exact %.4g);  %.4g -> %.4g: %.4g +- %.2g (exact %.4g)\n", (double)c->zA, (double)c->zB, (double)c->mfpt_sde[0], (double)c->mfpt_err[0], (double)c->mfpt_exact[0], (double)c->zB, (double)c->zA, (double)c->mfpt_sde[1], (double)c->mfpt_err[1], (double)c->mfpt_exact[1]));
  if (!PetscIsInfOrNanReal(c->mfpt_dir[0]) || !PetscIsInfOrNanReal(c->mfpt_dir[1]))
    PetscCall(UmbViewerPrintf(v, "full model mean first-passage times (direct unbiased runs): %.4g -> %.4g: %.4g +- %.2g (%g transitions);  %.4g -> %.4g: %.4g +- %.2g (%g transitions)\n", (double)c->zA, (double)c->zB, (double)c->mfpt_dir[0], (double)c->mfpt_dir_err[0], (double)c->direct_n[0], (double)c->zB, (double)c->zA, (double)c->mfpt_dir[1], (double)c->mfpt_dir_err[1], (double)c->direct_n[1]));
  for (PetscInt i = 0; i < c->nchecks; i++) npass += c->cpass[i] ? 1 : 0;
  PetscCall(UmbViewerPrintf(v, "consistency: %" PetscInt_FMT " of %" PetscInt_FMT " checks pass (false-alarm probability %g per family of checks)\n", npass, c->nchecks, (double)c->alpha));
  for (PetscInt i = 0; i < c->nchecks; i++) {
    if (c->cpass[i]) PetscCall(UmbViewerPrintf(v, "  pass  %s = %.4g, within the tolerance %.4g (%s)\n", c->cname[i], (double)c->cvalue[i], (double)c->ctol[i], c->cwhat[i]));
    else PetscCall(UmbViewerPrintf(v, "  FAIL  %s = %.4g exceeds the tolerance %.4g by %.0f%% (%s)\n", c->cname[i], (double)c->cvalue[i], (double)c->ctol[i], (double)(100 * (c->cvalue[i] / c->ctol[i] - 1)), c->cwhat[i]));
  }
  if (npass < c->nchecks) PetscCall(UmbViewerPrintf(v, "verdict: the generator's picture disagrees with the physics in the checks marked FAIL\n"));
  else if (!c->has_potential) PetscCall(UmbViewerPrintf(v, "verdict: the generator's conditional distributions agree with the samples (no potential energy: no free-energy, reduced-SDE or first-passage checks; single closures above are shown, not checked)\n"));
  else if (c->d == 1) PetscCall(UmbViewerPrintf(v, "verdict: the micro (samples) and macro (free energy, reduced dynamics) pictures agree (%s)\n", c->reweight ? "single closures of the reweighted generator checked" : "single closures above are shown, not checked"));
  else PetscCall(UmbViewerPrintf(v, "verdict: the generator's conditional distributions agree with the samples (the free-energy, reduced-SDE and first-passage checks are 1-D only; %s)\n", c->reweight ? "single closures of the reweighted generator checked" : "single closures above are shown, not checked"));
  PetscFunctionReturn(PETSC_SUCCESS);
}
