/* UmbFes life cycle: options, set-up (samples.h5, grid), results, console summary.
   The solve is in solve.c, diagnostics in diag.c, outputs in output.c. */
#include <umbra/private/fesimpl.h>

const char *const UmbFesTypes[]      = {"mbar", "wham", "UmbFesType", "UMB_FES_", NULL};
const char *const UmbFesSolvers[]    = {"newton", "lmvm", "UmbFesSolver", "UMB_FES_", NULL};
const char *const UmbFesErrorTypes[] = {"bootstrap", "asymptotic", "UmbFesErrorType", "UMB_FES_ERROR_", NULL};

PetscErrorCode UmbFesCreate(MPI_Comm comm, UmbFes *out)
{
  UmbFes fes;

  PetscFunctionBegin;
  PetscCall(PetscNew(&fes));
  fes->comm = comm;
  PetscCallMPI(MPI_Comm_rank(comm, &fes->rank));
  PetscCallMPI(MPI_Comm_size(comm, &fes->size));
  fes->type         = UMB_FES_MBAR;
  fes->solver       = UMB_FES_NEWTON;
  fes->errtype      = UMB_FES_ERROR_BOOTSTRAP;
  fes->tol          = 1e-12;
  snprintf(fes->units, sizeof(fes->units), "kT");
  fes->max_it       = 100;
  fes->sweeps       = 1;
  fes->nboot        = 50;
  fes->boot_joint   = PETSC_TRUE;
  fes->hist_start   = PETSC_TRUE;
  fes->seed         = 42;
  fes->overlap_warn = 0.03;
  fes->alpha        = 1e-3;
  fes->ckpt_interval = 600;
  PetscCall(PetscStrncpy(fes->dir, ".", sizeof(fes->dir)));
  *out = fes;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFesSetFromOptions(UmbFes fes)
{
  PetscInt n;

  PetscFunctionBegin;
  PetscOptionsBegin(fes->comm, UmbOptionsPrefix(fes->prefix), "Free energy options (umbra fes)", "UmbFes");
  PetscCall(PetscOptionsEnum("-fes_type", "Estimator: mbar (binless) or wham (binned)", "UmbFesSetFromOptions", UmbFesTypes, (PetscEnum)fes->type, (PetscEnum *)&fes->type, NULL));
  PetscCall(PetscOptionsEnum("-fes_solver", "Minimiser: newton (exact Hessian) or lmvm", "UmbFesSetFromOptions", UmbFesSolvers, (PetscEnum)fes->solver, (PetscEnum *)&fes->solver, NULL));
  PetscCall(PetscOptionsReal("-fes_tol", "Convergence: max_k |sum_n W_nk - 1| (the relative gradient)", "UmbFesSetFromOptions", fes->tol, &fes->tol, &fes->tol_set));
  PetscCall(PetscOptionsInt("-fes_max_it", "Maximum solver iterations (after the self-consistent sweeps)", "UmbFesSetFromOptions", fes->max_it, &fes->max_it, &fes->max_it_set));
  PetscCall(PetscOptionsInt("-fes_sc_sweeps", "Self-consistent sweeps before the solver (when it does not start from the histogram)", "UmbFesSetFromOptions", fes->sweeps, &fes->sweeps, NULL));
  PetscCall(PetscOptionsBool("-fes_histogram_start", "MBAR: start the solver from WHAM on a fine pooled histogram of the samples (false: from f = 0 with -fes_sc_sweeps sweeps)", "UmbFesSetFromOptions", fes->hist_start, &fes->hist_start, NULL));
  PetscCall(PetscOptionsInt("-fes_bootstrap", "Block-bootstrap replicas (0: none)", "UmbFesSetFromOptions", fes->nboot, &fes->nboot, NULL));
  PetscCall(PetscOptionsBool("-fes_bootstrap_joint", "MBAR: solve the bootstrap replicas together, one pass over the samples per iteration for all (false: one full solve per replica)", "UmbFesSetFromOptions", fes->boot_joint, &fes->boot_joint, NULL));
  PetscCall(PetscOptionsEnum("-fes_error", "Error in dF and windows.csv df: bootstrap or asymptotic", "UmbFesSetFromOptions", UmbFesErrorTypes, (PetscEnum)fes->errtype, (PetscEnum *)&fes->errtype, &fes->errtype_set));
  n = 2;
  PetscCall(PetscOptionsIntArray("-fes_bins", "Bins of the F(z) grid per CV component", "UmbFesSetFromOptions", fes->nbins_opt, &n, NULL));
  fes->nbins_n = n;
  n = 4;
  PetscCall(PetscOptionsRealArray("-fes_range", "Range of the F(z) grid: lo,hi per CV component", "UmbFesSetFromOptions", fes->range_opt, &n, NULL));
  fes->range_n = n;
  PetscCall(PetscOptionsReal("-fes_overlap_warn", "Warn when a neighbour overlap is below this", "UmbFesSetFromOptions", fes->overlap_warn, &fes->overlap_warn, NULL));
  PetscCall(PetscOptionsReal("-fes_consistency_alpha", "Flag neighbour windows whose consistency test has p below this", "UmbFesSetFromOptions", fes->alpha, &fes->alpha, NULL));
  PetscCall(PetscOptionsReal("-fes_checkpoint_interval", "Wall-clock seconds between bootstrap checkpoints (0: only on a signal)", "UmbFesSetFromOptions", fes->ckpt_interval, &fes->ckpt_interval, NULL));
  PetscCall(PetscOptionsString("-fes_units", "Energy unit of fes.csv's extra columns F_<unit>, dF_<unit>: kT (none), kJ/mol or kcal/mol (needs samples with a temperature)", "UmbFesSetFromOptions", fes->units, fes->units, sizeof(fes->units), NULL));
  PetscCall(PetscOptionsInt("-fes_stop_replica", "Checkpoint and stop (exit code 3) after this many bootstrap replicas (0: run to the end)", "UmbFesSetFromOptions", fes->stop_replica, &fes->stop_replica, NULL));
  PetscOptionsEnd();
  if (!fes->max_it_set) fes->max_it = fes->solver == UMB_FES_NEWTON ? 100 : 2000;

  PetscCheck(fes->tol > 0 && PetscIsNormalReal(fes->tol), fes->comm, PETSC_ERR_USER_INPUT, "-fes_tol must be positive, got %.6g", (double)fes->tol);
  PetscCheck(fes->max_it >= 1, fes->comm, PETSC_ERR_USER_INPUT, "-fes_max_it must be at least 1, got %" PetscInt_FMT, fes->max_it);
  PetscCheck(fes->sweeps >= 0, fes->comm, PETSC_ERR_USER_INPUT, "-fes_sc_sweeps must be non-negative, got %" PetscInt_FMT, fes->sweeps);
  PetscCheck(fes->nboot == 0 || fes->nboot >= 2, fes->comm, PETSC_ERR_USER_INPUT, "-fes_bootstrap must be 0 or at least 2, got %" PetscInt_FMT, fes->nboot);
  PetscCheck(!(fes->errtype_set && fes->errtype == UMB_FES_ERROR_BOOTSTRAP && fes->nboot == 0), fes->comm, PETSC_ERR_USER_INPUT, "-fes_error bootstrap needs -fes_bootstrap >= 2");
  if (!fes->errtype_set && fes->nboot == 0) fes->errtype = UMB_FES_ERROR_ASYMPTOTIC;
  PetscCheck(fes->nbins_n <= 2, fes->comm, PETSC_ERR_USER_INPUT, "-fes_bins takes 1 or 2 values");
  for (PetscInt a = 0; a < fes->nbins_n; a++) PetscCheck(fes->nbins_opt[a] >= 1, fes->comm, PETSC_ERR_USER_INPUT, "-fes_bins must be at least 1, got %" PetscInt_FMT, fes->nbins_opt[a]);
  PetscCheck(fes->range_n == 0 || fes->range_n == 2 || fes->range_n == 4, fes->comm, PETSC_ERR_USER_INPUT, "-fes_range needs lo,hi per CV component (2 or 4 values), got %" PetscInt_FMT, fes->range_n);
  for (PetscInt a = 0; 2 * a < fes->range_n; a++) PetscCheck(fes->range_opt[2 * a] < fes->range_opt[2 * a + 1], fes->comm, PETSC_ERR_USER_INPUT, "-fes_range: lo must be below hi, got lo = %.6g, hi = %.6g", (double)fes->range_opt[2 * a], (double)fes->range_opt[2 * a + 1]);
  PetscCheck(fes->overlap_warn >= 0 && fes->overlap_warn <= 1, fes->comm, PETSC_ERR_USER_INPUT, "-fes_overlap_warn must be in [0, 1], got %.6g", (double)fes->overlap_warn);
  PetscCheck(fes->alpha > 0 && fes->alpha < 1, fes->comm, PETSC_ERR_USER_INPUT, "-fes_consistency_alpha must be in (0, 1), got %.6g", (double)fes->alpha);
  PetscCheck(fes->ckpt_interval >= 0, fes->comm, PETSC_ERR_USER_INPUT, "-fes_checkpoint_interval must be non-negative (seconds; 0: only on a signal), got %.6g", (double)fes->ckpt_interval);
  PetscCheck(!strcmp(fes->units, "kT") || !strcmp(fes->units, "kJ/mol") || !strcmp(fes->units, "kcal/mol"), fes->comm, PETSC_ERR_USER_INPUT, "unknown units '%s' (-fes_units: kT, kJ/mol or kcal/mol)", fes->units);
  PetscCheck(fes->stop_replica >= 0, fes->comm, PETSC_ERR_USER_INPUT, "-fes_stop_replica must be non-negative, got %" PetscInt_FMT, fes->stop_replica);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFesSetRestart(UmbFes fes, PetscBool restart)
{
  PetscFunctionBegin;
  fes->restart = restart;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFesSetSeed(UmbFes fes, PetscInt64 seed)
{
  PetscFunctionBegin;
  PetscCheck(seed >= 0, fes->comm, PETSC_ERR_ARG_OUTOFRANGE, "the seed must be non-negative, got %" PetscInt64_FMT, seed);
  fes->seed = seed;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFesSetOptionsPrefix(UmbFes fes, const char prefix[])
{
  PetscFunctionBegin;
  PetscCall(UmbOptionsPrefixCopy(fes->comm, prefix, fes->prefix));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFesSetDirectory(UmbFes fes, const char dir[])
{
  PetscFunctionBegin;
  PetscCall(PetscStrncpy(fes->dir, dir, sizeof(fes->dir)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscInt UmbFesBinOf(UmbFes fes, const PetscReal z[])
{
  PetscInt b = 0;
  for (PetscInt a = 0; a < fes->d; a++) {
    PetscReal v = z[a], p = fes->data.period[a];
    PetscInt  i;
    if (p > 0) v = fes->lo[a] + (v - fes->lo[a]) - p * PetscFloorReal((v - fes->lo[a]) / p);
    if (!(v >= fes->lo[a] && v < fes->hi[a])) return -1;
    i = (PetscInt)((v - fes->lo[a]) / fes->width[a]);
    b = b * fes->nb[a] + PetscMin(i, fes->nb[a] - 1);
  }
  return b;
}

PetscErrorCode UmbFesBuildGrid(UmbFes fes)
{
  const UmbWindowData *w = &fes->data;
  PetscReal            zmin[2] = {PETSC_MAX_REAL, PETSC_MAX_REAL}, zmax[2] = {PETSC_MIN_REAL, PETSC_MIN_REAL}, ext[4];
  PetscBool            unbiased = PETSC_FALSE;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < w->nloc; i++)
    for (PetscInt a = 0; a < fes->d; a++) {
      zmin[a] = PetscMin(zmin[a], w->z[i * fes->d + a]);
      zmax[a] = PetscMax(zmax[a], w->z[i * fes->d + a]);
    }
  ext[0] = -zmin[0];
  ext[1] = -zmin[1];
  ext[2] = zmax[0];
  ext[3] = zmax[1];
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, ext, 4, MPIU_REAL, MPI_MAX, fes->comm));
  for (PetscInt a = 0; a < fes->d; a++) {
    const PetscReal p = w->period[a];
    fes->nb[a]        = fes->nbins_n ? fes->nbins_opt[fes->nbins_n == 1 ? 0 : a] : (fes->d == 1 ? 100 : 50);
    if (fes->range_n) {
      fes->lo[a] = fes->range_opt[2 * a];
      fes->hi[a] = fes->range_opt[2 * a + 1];
      PetscCheck(!(p > 0) || fes->hi[a] - fes->lo[a] <= p * (1 + 1e-12), fes->comm, PETSC_ERR_USER_INPUT, "-fes_range of the periodic CV component %" PetscInt_FMT " spans more than its period %.6g", a + 1, (double)p);
    } else if (p > 0) { /* one period centred on the window centres */
      PetscReal cmin = PETSC_MAX_REAL, cmax = PETSC_MIN_REAL;
      for (PetscInt k = 0; k < fes->K; k++) {
        cmin = PetscMin(cmin, w->center[k * fes->d + a]);
        cmax = PetscMax(cmax, w->center[k * fes->d + a]);
      }
      fes->lo[a] = 0.5 * (cmin + cmax) - 0.5 * p;
      fes->hi[a] = fes->lo[a] + p;
    } else { /* the centres padded by two biased widths 1/sqrt(beta kappa) */
      fes->lo[a] = PETSC_MAX_REAL;
      fes->hi[a] = PETSC_MIN_REAL;
      for (PetscInt k = 0; k < fes->K; k++) {
        const PetscReal kap = w->kappa[k * fes->d + a], c = w->center[k * fes->d + a];
        if (kap > 0) {
          const PetscReal s = 1 / PetscSqrtReal(w->beta * kap);
          fes->lo[a]        = PetscMin(fes->lo[a], c - 2 * s);
          fes->hi[a]        = PetscMax(fes->hi[a], c + 2 * s);
        } else unbiased = PETSC_TRUE;
      }
      if (unbiased || fes->lo[a] >= fes->hi[a]) { /* unbiased windows: the data range (padded: bins are half-open) */
        const PetscReal pad = 1e-9 * (PetscAbsReal(ext[a]) + PetscAbsReal(ext[2 + a]) + 1);
        fes->lo[a]          = PetscMin(fes->lo[a], -ext[a] - pad);
        fes->hi[a]          = PetscMax(fes->hi[a], ext[2 + a] + pad);
        if (fes->lo[a] >= fes->hi[a]) fes->hi[a] = fes->lo[a] + 1;
      }
    }
    fes->width[a] = (fes->hi[a] - fes->lo[a]) / fes->nb[a];
  }
  fes->B = fes->d == 1 ? fes->nb[0] : fes->nb[0] * fes->nb[1];
  PetscCheck(fes->B <= 4000000, fes->comm, PETSC_ERR_USER_INPUT, "-fes_bins: %" PetscInt_FMT " bins is too many", fes->B);
  PetscCall(PetscMalloc1((size_t)fes->B * fes->d, &fes->zc));
  for (PetscInt b = 0; b < fes->B; b++) {
    PetscInt i[2] = {fes->d == 1 ? b : b / fes->nb[1], fes->d == 1 ? 0 : b % fes->nb[1]};
    for (PetscInt a = 0; a < fes->d; a++) fes->zc[b * fes->d + a] = fes->lo[a] + (i[a] + 0.5) * fes->width[a];
  }
  PetscCall(PetscMalloc1(w->nloc + 1, &fes->bin));
  {
    PetscInt64 inside = 0;
    for (PetscInt64 i = 0; i < w->nloc; i++) {
      fes->bin[i] = UmbFesBinOf(fes, w->z + i * fes->d);
      if (fes->bin[i] >= 0) inside++;
    }
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &inside, 1, MPIU_INT64, MPI_SUM, fes->comm));
    if (!inside) { /* formatted here: PETSc's error formatter turns %g of 10 into "10." */
      char msg[512];
      if (fes->d == 1) snprintf(msg, sizeof(msg), "[%g, %g] (-fes_range) contains no samples: they span [%g, %g]", (double)fes->lo[0], (double)fes->hi[0], (double)-ext[0], (double)ext[2]);
      else snprintf(msg, sizeof(msg), "[%g, %g] x [%g, %g] (-fes_range) contains no samples: they span [%g, %g] x [%g, %g]", (double)fes->lo[0], (double)fes->hi[0], (double)fes->lo[1], (double)fes->hi[1], (double)-ext[0], (double)ext[2], (double)-ext[1], (double)ext[3]);
      SETERRQ(fes->comm, PETSC_ERR_USER_INPUT, "the F(z) grid %s", msg);
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFesSetUp(UmbFes fes)
{
  UmbWindowData *w = &fes->data;
  PetscLogDouble t0, t1;

  PetscFunctionBegin;
  if (fes->setup) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscTime(&t0));
  PetscCall(UmbWindowDataRead(fes->comm, fes->dir, w));
  fes->K = w->K;
  fes->d = w->d;
  if (strcmp(fes->units, "kT")) {
    PetscCheck(w->temperature > 0, fes->comm, PETSC_ERR_USER_INPUT, "-fes_units %s needs the temperature of the samples, and %s has none: umbra's analytic models work in kT (samples imported with a temperature, and those of -model lammps, have one)", fes->units, w->path);
    /* F is in kT whatever beta's unit: one kT is k_B T */
    fes->ukT = (strcmp(fes->units, "kJ/mol") ? UMB_KB_KCALMOL : UMB_KB_KJMOL) * w->temperature;
  }
  PetscCheck(fes->nbins_n <= 1 || fes->nbins_n == fes->d, fes->comm, PETSC_ERR_USER_INPUT, "-fes_bins needs 1 or %" PetscInt_FMT " values for the %" PetscInt_FMT "-D CV of %s, got %" PetscInt_FMT, fes->d, fes->d, w->path, fes->nbins_n);
  PetscCheck(fes->range_n == 0 || fes->range_n == 2 * fes->d, fes->comm, PETSC_ERR_USER_INPUT, "-fes_range needs %" PetscInt_FMT " values (lo,hi%s) for the %" PetscInt_FMT "-D CV of %s, got %" PetscInt_FMT, 2 * fes->d, fes->d > 1 ? ",lo2,hi2" : "", fes->d, w->path, fes->range_n);
  PetscCall(PetscMalloc3(fes->K * fes->d, &fes->h, fes->K, &fes->Nk, fes->K, &fes->neff));
  for (PetscInt i = 0; i < fes->K * fes->d; i++) fes->h[i] = 0.5 * w->beta * w->kappa[i];
  for (PetscInt k = 0; k < fes->K; k++) {
    fes->Nk[k]   = (PetscReal)(w->offset[k + 1] - w->offset[k]);
    fes->neff[k] = fes->Nk[k] / w->iact[k];
  }
  PetscCall(PetscMalloc1(w->khi - w->klo + 1, &fes->gptr));
  for (PetscInt k = w->klo; k <= w->khi; k++) fes->gptr[k - w->klo] = w->offset[k] - w->offset[w->klo];
  PetscCall(UmbFesBuildGrid(fes));
  PetscCall(UmbFesNeighbours(fes));
  PetscCall(PetscTime(&t1));
  fes->t_read = t1 - t0;
  fes->setup  = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFesDestroy(UmbFes *fp)
{
  UmbFes fes = *fp;

  PetscFunctionBegin;
  if (!fes) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(UmbWindowDataFree(&fes->data));
  PetscCall(PetscFree3(fes->h, fes->Nk, fes->neff));
  PetscCall(PetscFree(fes->gptr));
  PetscCall(PetscFree(fes->zc));
  PetscCall(PetscFree(fes->bin));
  PetscCall(PetscFree5(fes->f, fes->df_asym, fes->df_boot, fes->theta, fes->overlap));
  PetscCall(PetscFree(fes->fboot));
  PetscCall(PetscFree5(fes->F, fes->dF_asym, fes->dF_boot, fes->counts, fes->lse));
  PetscCall(PetscFree(fes->Fboot));
  PetscCall(PetscFree2(fes->wham_M, fes->wham_N));
  PetscCall(PetscFree3(fes->pairs, fes->pair_axis, fes->pair_overlap));
  PetscCall(PetscFree3(fes->chi2, fes->pval, fes->dof));
  PetscCall(PetscFree(*fp));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFesGetWindowFreeEnergies(UmbFes fes, PetscInt *K, const PetscReal **f, const PetscReal **df_boot, const PetscReal **df_asym)
{
  PetscFunctionBegin;
  PetscCheck(fes->solved, fes->comm, PETSC_ERR_ORDER, "call UmbFesSolve() first");
  if (K) *K = fes->K;
  if (f) *f = fes->f;
  if (df_boot) *df_boot = fes->nboot ? fes->df_boot : NULL;
  if (df_asym) *df_asym = fes->df_asym;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFesGetProfile(UmbFes fes, PetscInt *B, PetscInt *d, const PetscReal **z, const PetscReal **F, const PetscReal **dF)
{
  PetscFunctionBegin;
  PetscCheck(fes->solved, fes->comm, PETSC_ERR_ORDER, "call UmbFesSolve() first");
  if (B) *B = fes->B;
  if (d) *d = fes->d;
  if (z) *z = fes->zc;
  if (F) *F = fes->F;
  if (dF) *dF = fes->errtype == UMB_FES_ERROR_BOOTSTRAP ? fes->dF_boot : fes->dF_asym;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFesGetConvergence(UmbFes fes, PetscBool *converged, PetscInt *its, PetscReal *gnorm)
{
  PetscFunctionBegin;
  if (converged) *converged = fes->info.converged;
  if (its) *its = fes->info.its;
  if (gnorm) *gnorm = fes->info.gnorm;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFesView(UmbFes fes, PetscViewer v)
{
  const UmbWindowData *w = &fes->data;

  PetscFunctionBegin;
  if (!fes->setup) {
    PetscCall(UmbViewerPrintf(v, "free energies: %s, not set up\n", UmbFesTypes[fes->type]));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  {
    PetscInt64 N = w->offset[fes->K];
    char       grid[128];
    if (fes->d == 1) snprintf(grid, sizeof(grid), "%" PetscInt_FMT " bins on [%g, %g]", fes->nb[0], (double)fes->lo[0], (double)fes->hi[0]);
    else snprintf(grid, sizeof(grid), "%" PetscInt_FMT " x %" PetscInt_FMT " bins on [%g, %g] x [%g, %g]", fes->nb[0], fes->nb[1], (double)fes->lo[0], (double)fes->hi[0], (double)fes->lo[1], (double)fes->hi[1]);
    PetscCall(UmbViewerPrintf(v, "free energies: %s (%s solver), %" PetscInt_FMT " windows, %" PetscInt64_FMT " samples of a %" PetscInt_FMT "-D CV (%s), beta = %g, on %d rank%s; grid %s\n", fes->type == UMB_FES_MBAR ? "MBAR" : "binned WHAM", UmbFesSolvers[fes->solver], fes->K, N, fes->d, w->cv_names, (double)w->beta, fes->size, fes->size > 1 ? "s" : "", grid));
  }
  if (!fes->solved) PetscFunctionReturn(PETSC_SUCCESS);
  if (fes->start_bins) PetscCall(UmbViewerPrintf(v, "  start: WHAM on the pooled histogram of the samples (%" PetscInt_FMT " bins with samples)\n", fes->start_bins));
  PetscCall(UmbViewerPrintf(v, "  solver: %s after %" PetscInt_FMT " self-consistent sweeps + %" PetscInt_FMT " %s iterations (%" PetscInt_FMT " passes over the %s), max_k |sum_n W_nk - 1| = %.3g (tolerance %.3g); %.3g s\n", fes->info.converged ? "converged" : "NOT CONVERGED", fes->info.sweeps, fes->info.its, UmbFesSolvers[fes->solver], fes->info.passes, fes->type == UMB_FES_MBAR ? "samples" : "histogram bins", (double)fes->info.gnorm, (double)fes->tol, (double)fes->t_solve));
  if (fes->type == UMB_FES_WHAM) PetscCall(UmbViewerPrintf(v, "  wham: bias at bin centres, %" PetscInt64_FMT " samples outside the grid dropped, N_k = in-range counts\n", fes->wham_dropped));
  {
    const PetscInt K = fes->K;
    PetscReal      imin = PETSC_MAX_REAL, imax = 0, nmin = PETSC_MAX_REAL;
    PetscInt       kn = 0;
    for (PetscInt k = 0; k < K; k++) {
      imin = PetscMin(imin, w->iact[k]);
      imax = PetscMax(imax, w->iact[k]);
      if (fes->neff[k] < nmin) {
        nmin = fes->neff[k];
        kn   = k;
      }
    }
    PetscCall(UmbViewerPrintf(v, "  windows: f_%" PetscInt_FMT " - f_0 = %.6g +- %.3g (asymptotic)%s", K - 1, (double)fes->f[K - 1], (double)fes->df_asym[K - 1], fes->nboot ? "" : "\n"));
    if (fes->nboot) PetscCall(UmbViewerPrintf(v, " +- %.3g (bootstrap, %" PetscInt_FMT " replicas, %.3g passes each, %.3g s)\n", (double)fes->df_boot[K - 1], fes->nboot, (double)fes->boot_passes / fes->nboot, (double)fes->t_boot));
    if (fes->nboot && fes->boot_left) PetscCall(UmbViewerPrintf(v, "  bootstrap: %" PetscInt_FMT " replicas solved separately (the joint iteration did not finish them)\n", fes->boot_left));
    PetscCall(UmbViewerPrintf(v, "  IACT %.3g .. %.3g frames (%s); effective samples per window >= %.4g (window %" PetscInt_FMT ")\n", (double)imin, (double)imax, w->iact_from_file ? "from samples.h5" : "computed", (double)nmin, kn));
  }
  if (fes->npairs) {
    PetscInt k = fes->pairs[2 * fes->min_pair], l = fes->pairs[2 * fes->min_pair + 1];
    PetscCall(UmbViewerPrintf(v, "  overlap: smallest neighbour overlap %.3g between windows %" PetscInt_FMT " and %" PetscInt_FMT " (O_kl = %.3g, O_lk = %.3g)%s\n", (double)fes->min_overlap, k, l, (double)fes->pair_overlap[2 * fes->min_pair], (double)fes->pair_overlap[2 * fes->min_pair + 1], fes->min_overlap < fes->overlap_warn ? "  LOW" : ""));
    PetscCall(UmbViewerPrintf(v, "  consistency (Zhu-Hummer neighbour test, alpha %.3g): %" PetscInt_FMT " pair%s tested, %" PetscInt_FMT " flagged\n", (double)fes->alpha, fes->npairs, fes->npairs > 1 ? "s" : "", fes->nflagged));
    for (PetscInt p = 0; p < fes->npairs; p++)
      if (fes->dof[p] > 0 && fes->pval[p] < fes->alpha) PetscCall(UmbViewerPrintf(v, "    windows %" PetscInt_FMT " -> %" PetscInt_FMT ": chi^2 = %.4g with %" PetscInt_FMT " dof, p = %.3g\n", fes->pairs[2 * p], fes->pairs[2 * p + 1], (double)fes->chi2[p], fes->dof[p], (double)fes->pval[p]));
  }
  {
    const PetscReal *dF  = fes->errtype == UMB_FES_ERROR_BOOTSTRAP ? fes->dF_boot : fes->dF_asym;
    PetscReal        med = 0, Fmax = 0;
    PetscInt         nd  = 0;
    PetscReal       *tmp;
    PetscCall(PetscMalloc1(fes->B, &tmp));
    for (PetscInt b = 0; b < fes->B; b++)
      if (!PetscIsInfOrNanReal(fes->F[b])) {
        Fmax = PetscMax(Fmax, fes->F[b]);
        if (b != fes->jmin && !PetscIsInfOrNanReal(dF[b])) tmp[nd++] = dF[b];
      }
    if (nd) {
      PetscCall(PetscSortReal(nd, tmp));
      med = tmp[nd / 2];
    }
    PetscCall(PetscFree(tmp));
    PetscCall(UmbViewerPrintf(v, "  F(z): %" PetscInt_FMT " of %" PetscInt_FMT " bins with samples, F up to %.4g kT, median dF %.3g kT (%s, relative to the minimum bin)\n", fes->nfilled, fes->B, (double)Fmax, (double)med, UmbFesErrorTypes[fes->errtype]));
  }
  /* the warnings after the summary they refer to */
  if (fes->npairs && fes->min_overlap < fes->overlap_warn) {
    const PetscInt k = fes->pairs[2 * fes->min_pair], l = fes->pairs[2 * fes->min_pair + 1];
    PetscCall(UmbLogWarning(fes->comm, "low overlap between neighbour windows %" PetscInt_FMT " and %" PetscInt_FMT " (centres %g and %g%s): %.3g < -fes_overlap_warn %.3g, so the free energy across them rests on few samples (see its error bar); add windows between them (more -us_windows, or umbra run -run_iterations, whose coupling rounds put a window in such gaps), lower -us_kappa (now %g there) or sample longer (-us_steps)", fes->data.window[k], fes->data.window[l], (double)fes->data.center[k * fes->d], (double)fes->data.center[l * fes->d], fes->d > 1 ? ", ..." : "", (double)fes->min_overlap, (double)fes->overlap_warn, (double)fes->data.kappa[k * fes->d]));
  }
  if (fes->nflagged) PetscCall(UmbLogWarning(fes->comm, "%" PetscInt_FMT " neighbour window pair%s failed the consistency test at alpha %.3g (listed above; fes.h5 /diagnostics): their histograms disagree beyond statistics (not equilibrated, slow orthogonal degrees of freedom, or too short)", fes->nflagged, fes->nflagged > 1 ? "s" : "", (double)fes->alpha));
  PetscFunctionReturn(PETSC_SUCCESS);
}
