/* UmbClosure: life cycle, options, reading the inputs, the per-state observables, results. */
#include <umbra/private/closureimpl.h>
#include <umbra/fes.h>
#include <umbra/samplesfile.h>
#include <umbra/sampler.h>
#include <gsl/gsl_cdf.h>

PetscErrorCode UmbClosureCreate(UmbCV cv, UmbGenerator generator, UmbClosure *cp)
{
  UmbClosure c;
  PetscBool  coord;
  PetscInt   idx[2] = {-1, -1};

  PetscFunctionBegin;
  PetscCall(PetscNew(&c));
  c->cv  = cv;
  c->generator = generator;
  PetscCall(UmbCVGetModel(cv, &c->model));
  PetscCall(UmbModelGetComm(c->model, &c->comm));
  PetscCallMPI(MPI_Comm_rank(c->comm, &c->rank));
  PetscCallMPI(MPI_Comm_size(c->comm, &c->size));
  PetscCall(UmbModelGetDimension(c->model, &c->n));
  PetscCall(UmbCVGetDimension(cv, &c->d));
  PetscCall(UmbModelGetBeta(c->model, &c->beta));
  PetscCall(UmbModelGetMobility(c->model, &c->mob));
  PetscCall(UmbModelHasPotential(c->model, &c->has_potential));
  PetscCall(UmbCVGetCoordinates(cv, &coord, idx));
  c->coord = coord;
  c->cvidx = coord ? idx[0] : -1;
  {
    UmbCVType type;
    PetscCall(UmbCVGetType(cv, &type));
    /* CVs whose gradient does not depend on x: the Hessian terms vanish */
    c->const_grad = (PetscBool)(coord || !strcmp(type, UMBCVLINEAR));
  }
  PetscCall(PetscMalloc1(c->n, &c->fine));
  for (PetscInt i = 0; i < c->n; i++)
    if (!(coord && (i == idx[0] || (c->d > 1 && i == idx[1])))) c->fine[c->nfine++] = i;
  /* observables: mean_y<j>, var_y<j> per fine coordinate, then mean_force, drift, diffusion
     (1-D) or the mean-force components mean_force_z1, mean_force_z2 (2-D: the reduced dynamics
     is not simulated there); a model without a potential (imported samples) has the moments only */
  c->nobs = 2 * c->nfine + (!c->has_potential ? 0 : c->d == 1 ? 3 : 2);
  PetscCall(PetscCalloc4(c->nobs, &c->names, c->nobs, &c->kind, c->nobs, &c->coordof, c->nobs, &c->sel));
  for (PetscInt j = 0; j < c->nfine; j++) {
    char buf[64];
    snprintf(buf, sizeof(buf), "mean_y%" PetscInt_FMT, j + 1);
    PetscCall(PetscStrallocpy(buf, &c->names[2 * j]));
    snprintf(buf, sizeof(buf), "var_y%" PetscInt_FMT, j + 1);
    PetscCall(PetscStrallocpy(buf, &c->names[2 * j + 1]));
    c->kind[2 * j]        = UMB_OBS_MEAN;
    c->kind[2 * j + 1]    = UMB_OBS_VAR;
    c->coordof[2 * j]     = c->fine[j];
    c->coordof[2 * j + 1] = c->fine[j];
  }
  c->imforce = c->idrift = c->idiff = -1;
  if (c->has_potential) {
    c->imforce          = 2 * c->nfine;
    c->kind[c->imforce] = UMB_OBS_MFORCE;
  }
  if (c->has_potential && c->d == 1) {
    c->idrift = c->imforce + 1;
    c->idiff  = c->imforce + 2;
    PetscCall(PetscStrallocpy("mean_force", &c->names[c->imforce]));
    PetscCall(PetscStrallocpy("drift", &c->names[c->idrift]));
    PetscCall(PetscStrallocpy("diffusion", &c->names[c->idiff]));
    c->kind[c->idrift] = UMB_OBS_DRIFT;
    c->kind[c->idiff]  = UMB_OBS_DIFF;
  } else if (c->has_potential) {
    PetscCall(PetscStrallocpy("mean_force_z1", &c->names[c->imforce]));
    PetscCall(PetscStrallocpy("mean_force_z2", &c->names[c->imforce + 1]));
    c->kind[c->imforce + 1]    = UMB_OBS_MFORCE;
    c->coordof[c->imforce + 1] = 1; /* the CV component of the mean-force component */
  }
  for (PetscInt k = 0; k < c->nobs; k++) c->sel[k] = PETSC_TRUE;
  /* defaults */
  c->grid[0] = c->grid[1] = c->grid[3] = c->grid[4] = 0;
  c->grid[2] = c->grid[5] = c->d == 1 ? 31 : 21;
  c->use_gan     = PETSC_TRUE;
  c->lift_n      = 10000;
  c->min_ess     = 100;
  c->batches     = 10;
  c->alpha       = 0.01;
  c->nperm       = 1000;
  c->test_n      = 2000;
  c->ntest       = 5;
  c->sde_dt      = 2e-4;
  c->sde_time    = 200;
  c->sde_burn    = 0.05;
  c->sde_walkers = 128;
  c->mfpt_rtol   = 0.15;
  c->direct_walkers = 128;
  c->direct_time    = 200;
  c->direct_dt      = 1e-3;
  for (int i = 0; i < 2; i++) c->mfpt_dir[i] = c->mfpt_dir_err[i] = c->mfpt_sde[i] = NAN;
  c->seed        = 42;
  *cp            = c;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbClosureSetDirectTimeStep(UmbClosure c, PetscReal dt)
{
  PetscFunctionBegin;
  c->direct_dt = dt;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbClosureSetFromOptions(UmbClosure c)
{
  PetscInt  nmax = 6, nt = 16, nbw = 2;
  PetscBool set;
  char      obs[1024] = "all";

  PetscFunctionBegin;
  PetscOptionsBegin(c->comm, UmbOptionsPrefix(c->prefix), "Closures and micro-macro consistency (umbra closure)", NULL);
  PetscCall(PetscOptionsRealArray("-closure_grid", "grid lo,hi,n[,lo2,hi2,n2] of CV values (default: the window centres, 31 points; 21 x 21 in 2-D)", NULL, c->grid, &nmax, &c->grid_set));
  if (c->grid_set) {
    PetscCheck(nmax == 3 * c->d, c->comm, PETSC_ERR_USER_INPUT, "-closure_grid takes %s, got %" PetscInt_FMT, c->d == 1 ? "lo,hi,n (3 values)" : "lo,hi,n,lo2,hi2,n2 (6 values) for this 2-D CV", nmax);
    for (PetscInt a = 0; a < c->d; a++) {
      const PetscReal *gr = c->grid + 3 * a;
      PetscCheck(gr[1] > gr[0], c->comm, PETSC_ERR_USER_INPUT, "-closure_grid: hi = %.6g must exceed lo = %.6g", (double)gr[1], (double)gr[0]);
      PetscCheck(gr[2] >= 5 && gr[2] == PetscFloorReal(gr[2]) && gr[2] <= 100000, c->comm, PETSC_ERR_USER_INPUT, "-closure_grid: n = %.6g must be an integer >= 5", (double)gr[2]);
    }
  }
  PetscCall(PetscOptionsRealArray("-closure_bandwidth", "half-width of the local quadratic regression window in z, per CV component (default: the grid spacing)", NULL, c->bandwidth, &nbw, &set));
  if (set) {
    PetscCheck(nbw == c->d, c->comm, PETSC_ERR_USER_INPUT, "-closure_bandwidth takes %" PetscInt_FMT " value%s (one per CV component), got %" PetscInt_FMT, c->d, c->d > 1 ? "s" : "", nbw);
    for (PetscInt a = 0; a < c->d; a++) PetscCheck(c->bandwidth[a] >= 0, c->comm, PETSC_ERR_USER_INPUT, "-closure_bandwidth must be positive");
  }
  PetscCall(PetscOptionsString("-closure_observables", "comma-separated observables for closures.csv (all: every one)", NULL, obs, obs, sizeof(obs), NULL));
  PetscCall(PetscOptionsString("-closure_plugin", "shared library with user observables (include/umbra/plugin.h)", NULL, c->uplugin, c->uplugin, sizeof(c->uplugin), NULL));
  PetscCall(PetscOptionsString("-closure_plugin_options", "options string passed to umbra_observables_create", NULL, c->uoptions, c->uoptions, sizeof(c->uoptions), NULL));
  PetscCall(PetscOptionsBool("-closure_gan", "compute the generator route (needs gan.h5) and the checks that use it", NULL, c->use_gan, &c->use_gan, NULL));
  PetscCall(PetscOptionsInt("-closure_lift_n", "lifted states per grid point", NULL, c->lift_n, &c->lift_n, NULL));
  PetscCall(PetscOptionsReal("-closure_min_ess", "generator with a density: smallest effective sample size of a grid point's reweighted draws for a trusted closure", NULL, c->min_ess, &c->min_ess, NULL));
  PetscCall(PetscOptionsInt("-closure_batches", "batches per walker series for the batch-means errors", NULL, c->batches, &c->batches, NULL));
  PetscCall(PetscOptionsReal("-closure_alpha", "false-alarm probability of each family of checks", NULL, c->alpha, &c->alpha, NULL));
  PetscCall(PetscOptionsInt("-closure_permutations", "permutations for the two-sample threshold", NULL, c->nperm, &c->nperm, NULL));
  PetscCall(PetscOptionsInt("-closure_test_n", "at most this many physics samples per test point", NULL, c->test_n, &c->test_n, NULL));
  PetscCall(PetscOptionsRealArray("-closure_test_z", "CV values of the distribution tests, z1,z2 pairs for a 2-D CV (default 5 spread over the grid)", NULL, c->test_z, &nt, &c->test_z_set));
  if (c->test_z_set) {
    PetscCheck(nt % c->d == 0, c->comm, PETSC_ERR_USER_INPUT, "-closure_test_z: a 2-D CV takes pairs z1,z2 (an even count), got %" PetscInt_FMT " values", nt);
    c->ntest = nt / c->d;
    for (PetscInt t = 0; c->d > 1 && t < c->ntest; t++) { /* pairs z1,z2 */
      c->test_z2[t] = c->test_z[2 * t + 1];
      c->test_z[t]  = c->test_z[2 * t];
    }
  }
  PetscCall(PetscOptionsReal("-closure_sde_dt", "time step of the reduced SDE", NULL, c->sde_dt, &c->sde_dt, NULL));
  PetscCall(PetscOptionsReal("-closure_sde_time", "simulated time per walker of the reduced SDE", NULL, c->sde_time, &c->sde_time, NULL));
  PetscCall(PetscOptionsInt("-closure_sde_walkers", "independent walkers of the reduced SDE", NULL, c->sde_walkers, &c->sde_walkers, NULL));
  PetscCall(PetscOptionsInt("-closure_direct_walkers", "unbiased walkers of the full model for the direct first-passage times (0: none)", NULL, c->direct_walkers, &c->direct_walkers, NULL));
  PetscCall(PetscOptionsReal("-closure_direct_time", "simulated time per walker of the direct runs", NULL, c->direct_time, &c->direct_time, NULL));
  PetscCall(PetscOptionsReal("-closure_direct_dt", "time step of the direct runs (default: the sampler's -us_dt)", NULL, c->direct_dt, &c->direct_dt, NULL));
  PetscCall(PetscOptionsReal("-closure_mfpt_rtol", "relative tolerance of the mean first-passage times", NULL, c->mfpt_rtol, &c->mfpt_rtol, NULL));
  nmax = 2;
  PetscCall(PetscOptionsRealArray("-closure_wells", "states A,B of the first-passage times (default: the free-energy minima left and right of the grid centre)", NULL, c->wells, &nmax, &c->wells_set));
  if (c->wells_set) PetscCheck(nmax == 2 && c->wells[0] < c->wells[1], c->comm, PETSC_ERR_USER_INPUT, "-closure_wells takes A,B with A < B");
  PetscOptionsEnd();
  PetscCheck(c->lift_n >= 10, c->comm, PETSC_ERR_USER_INPUT, "-closure_lift_n must be >= 10, got %" PetscInt_FMT, c->lift_n);
  PetscCheck(c->min_ess >= 1 && PetscIsNormalReal(c->min_ess), c->comm, PETSC_ERR_USER_INPUT, "-closure_min_ess must be at least 1, got %g", (double)c->min_ess);
  PetscCheck(c->batches >= 2, c->comm, PETSC_ERR_USER_INPUT, "-closure_batches must be >= 2, got %" PetscInt_FMT, c->batches);
  PetscCheck(c->alpha > 0 && c->alpha < 0.5, c->comm, PETSC_ERR_USER_INPUT, "-closure_alpha must be in (0, 0.5), got %.6g", (double)c->alpha);
  PetscCheck(c->nperm >= 99, c->comm, PETSC_ERR_USER_INPUT, "-closure_permutations must be >= 99, got %" PetscInt_FMT, c->nperm);
  PetscCheck(c->test_n >= 20, c->comm, PETSC_ERR_USER_INPUT, "-closure_test_n must be >= 20");
  PetscCheck(c->ntest >= 1, c->comm, PETSC_ERR_USER_INPUT, "-closure_test_z needs at least one value");
  PetscCheck(c->sde_dt > 0 && c->sde_time > 0 && c->sde_walkers >= 2, c->comm, PETSC_ERR_USER_INPUT, "-closure_sde_dt and -closure_sde_time must be positive, -closure_sde_walkers >= 2");
  PetscCheck(c->direct_walkers >= 0 && c->direct_time > 0 && c->direct_dt > 0, c->comm, PETSC_ERR_USER_INPUT, "-closure_direct_walkers must be >= 0, -closure_direct_time and -closure_direct_dt positive");
  PetscCheck(c->mfpt_rtol > 0, c->comm, PETSC_ERR_USER_INPUT, "-closure_mfpt_rtol must be positive");
  /* observables */
  if (c->uplugin[0] && !c->uhandle) PetscCall(UmbClosureLoadUserObservables(c));
  PetscCheck(c->nobs > 0, c->comm, PETSC_ERR_USER_INPUT, "closure: no observables: the model has no potential energy (imported samples) and no coordinates besides the CV; import fine coordinates (-import_fine) or give user observables (-closure_plugin)");
  PetscCall(PetscStrncpy(c->obs_option, obs, sizeof(c->obs_option)));
  if (strcmp(obs, "all")) {
    char *save = NULL, *tok, valid[1024] = "";
    for (PetscInt k = 0; k < c->nobs; k++) {
      c->sel[k] = PETSC_FALSE;
      PetscCall(UmbStrlcat(valid, k ? ", " : "", sizeof(valid)));
      PetscCall(UmbStrlcat(valid, c->names[k], sizeof(valid)));
    }
    for (tok = strtok_r(obs, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
      PetscBool found = PETSC_FALSE;
      for (PetscInt k = 0; k < c->nobs; k++)
        if (!strcmp(tok, c->names[k])) c->sel[k] = found = PETSC_TRUE;
      PetscCheck(found, c->comm, PETSC_ERR_USER_INPUT, "-closure_observables: unknown observable '%s'; this model and CV have: %s (or all)", tok, valid);
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbClosureSetSeed(UmbClosure c, PetscInt64 seed)
{
  PetscFunctionBegin;
  PetscCheck(seed >= 0, c->comm, PETSC_ERR_ARG_OUTOFRANGE, "the seed must be non-negative, got %" PetscInt64_FMT, seed);
  c->seed = seed;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbClosureSetOptionsPrefix(UmbClosure c, const char prefix[])
{
  PetscFunctionBegin;
  PetscCall(UmbOptionsPrefixCopy(c->comm, prefix, c->prefix));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbClosureSetDirectory(UmbClosure c, const char dir[])
{
  PetscFunctionBegin;
  PetscCall(PetscStrncpy(c->dir, dir, sizeof(c->dir)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* fes.h5: the log normalisers of the local rows and the profile, interpolated to the grid */
static PetscErrorCode ReadFes(UmbClosure c, PetscInt64 row0, PetscInt64 N)
{
  char       path[PETSC_MAX_PATH_LEN];
  PetscBool  exists;
  UmbFesFile ff;
  PetscInt64 nf;
  PetscInt   nb;
  PetscReal *pz, *pF, *pdF;

  PetscFunctionBegin;
  PetscCall(UmbPathJoin(c->dir, "fes.h5", path, sizeof(path)));
  PetscCall(PetscTestFile(path, 'r', &exists));
  PetscCheck(exists, c->comm, PETSC_ERR_USER_INPUT, "%s not found: the closures need the MBAR weights; run `umbra fes` first (with the same -out)", path);
  PetscCall(UmbFesFileOpen(c->comm, path, &ff));
  PetscCall(UmbFesFileGetSampleCount(ff, &nf));
  PetscCheck(nf == N, c->comm, PETSC_ERR_USER_INPUT, "%s holds %llu log normalisers but samples.h5 has %" PetscInt64_FMT " samples: rerun `umbra fes` after `umbra sample`", path, (unsigned long long)nf, N);
  PetscCall(PetscMalloc1(c->nloc + 1, &c->lw));
  PetscCall(UmbFesFileReadLogNormalisers(ff, row0, c->nloc, c->lw));
  PetscCall(UmbFesFileCheckLogNormalisers(ff, c->nloc, c->lw, row0, NULL));
  PetscCall(UmbFesFileReadProfile(ff, c->d, &nb, &pz, &pF, &pdF));
  PetscCall(UmbFesFileClose(&ff));
  /* linear interpolation between neighbouring bins with samples (bin centres increase); the
     checks that use F_MBAR are 1-D, so a 2-D CV leaves it NaN */
  PetscCall(PetscMalloc2(c->ng, &c->Fm, c->ng, &c->dFm));
  for (PetscInt g = 0; g < c->ng; g++) {
    PetscReal zg = c->z[g];
    c->Fm[g] = c->dFm[g] = NAN;
    for (PetscInt b = 0; c->d == 1 && b + 1 < nb; b++) {
      if (zg < pz[b] || zg > pz[b + 1]) continue;
      if (PetscIsInfOrNanReal(pF[b]) || PetscIsInfOrNanReal(pF[b + 1])) break;
      PetscReal t = (zg - pz[b]) / (pz[b + 1] - pz[b]);
      c->Fm[g]    = (1 - t) * pF[b] + t * pF[b + 1];
      c->dFm[g]   = (1 - t) * pdF[b] + t * pdF[b + 1];
      break;
    }
  }
  PetscCall(PetscFree3(pz, pF, pdF));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The states A < B of the first-passage checks (1-D): -closure_wells, which must lie within the
   grid points that have a free energy, or the lowest F_MBAR grid point on each side of the grid
   centre when it is a well (a minimum below both neighbours). Without two wells (a grid that
   covers one side of the barrier) zA = zB = NaN: the first-passage checks are left out, with a
   warning, and the other checks run. */
static PetscErrorCode ChooseWells(UmbClosure c)
{
  const PetscInt ng = c->ng;
  PetscInt       glo = -1, ghi = -1, ia = -1, ib = -1;

  PetscFunctionBegin;
  c->zA = c->zB = NAN;
  for (PetscInt g = 0; g < ng; g++)
    if (!PetscIsInfOrNanReal(c->Fm[g])) {
      if (glo < 0) glo = g;
      ghi = g;
    }
  if (c->wells_set) {
    PetscCheck(glo >= 0 && c->wells[0] >= c->z[glo] && c->wells[1] <= c->z[ghi], c->comm, PETSC_ERR_USER_INPUT, "-closure_wells %g,%g: both must lie within the grid points that have a free energy, [%g, %g]: move them or widen -closure_grid", (double)c->wells[0], (double)c->wells[1], glo >= 0 ? (double)c->z[glo] : NAN, glo >= 0 ? (double)c->z[ghi] : NAN);
    c->zA = c->wells[0];
    c->zB = c->wells[1];
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  for (PetscInt g = 0; g < ng; g++) {
    if (PetscIsInfOrNanReal(c->Fm[g])) continue;
    if (2 * g < ng - 1 && (ia < 0 || c->Fm[g] < c->Fm[ia])) ia = g;
    if (2 * g > ng - 1 && (ib < 0 || c->Fm[g] < c->Fm[ib])) ib = g;
  }
  for (PetscInt k = 0; k < 2; k++) {
    PetscInt *w = k ? &ib : &ia;
    if (*w <= 0 || *w >= ng - 1 || !(c->Fm[*w - 1] > c->Fm[*w]) || !(c->Fm[*w + 1] > c->Fm[*w])) *w = -1; /* NaN neighbours included */
  }
  if (ia < 0 || ib < 0) {
    PetscCall(UmbLogWarning(c->comm, "closure: F_MBAR on -closure_grid [%g, %g] has no minimum %s of the grid centre: no first-passage checks (they need a well on each side); give -closure_wells A,B or a grid spanning both wells", (double)c->grid[0], (double)c->grid[1], ia < 0 && ib < 0 ? "on either side" : ia < 0 ? "left" : "right"));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  c->zA = c->z[ia];
  c->zB = c->z[ib];
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbClosureSetUp(UmbClosure c)
{
  UmbSamplesFile         sf;
  const UmbSamplesTable *w;
  UmbSamplesBlock        b;
  const char            *path;
  char                   spath[PETSC_MAX_PATH_LEN];
  PetscBool              exists;
  PetscInt64             row0, N;
  char                   why[256];

  PetscFunctionBegin;
  if (c->setup) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCheck(c->d == 1 || c->const_grad, c->comm, PETSC_ERR_USER_INPUT, "umbra closure: a 2-D CV must be a coordinate or linear CV (constant gradient: the mean-force vector is (J J^T)^-1 J grad U); this one is not");
  PetscCall(PetscLogEventBegin(UMB_EVENT.clo_read, 0, 0, 0, 0));
  /* samples.h5: the window table, the CV values and then the states of this rank's windows */
  PetscCall(UmbPathJoin(c->dir, "samples.h5", spath, sizeof(spath)));
  PetscCall(PetscTestFile(spath, 'r', &exists));
  PetscCheck(exists, c->comm, PETSC_ERR_FILE_OPEN, "%s not found: run `umbra sample` first (with the same -out)", spath);
  PetscCall(UmbSamplesFileOpen(c->comm, spath, &sf));
  PetscCall(UmbSamplesFileGetPath(sf, &path));
  PetscCall(UmbSamplesFileGetPooledTable(sf, &w)); /* windows superseded by a continuation left out, as in fes */
  PetscCall(UmbSamplesFileReadBlock(sf, &b));
  PetscCheck(w->d == c->d, c->comm, PETSC_ERR_USER_INPUT, "%s has a %" PetscInt_FMT "-D CV but the current CV is %" PetscInt_FMT "-D: use the options of the sampling run", path, w->d, c->d);
  c->K    = w->K;
  c->klo  = b.klo;
  c->khi  = b.khi;
  c->nloc = b.nloc;
  N       = w->offset[w->K];
  row0    = b.row0;
  PetscCall(PetscMalloc4(c->K + 1, &c->offset, c->K, &c->walkers, c->K, &c->frames, c->K, &c->iact));
  for (PetscInt k = 0; k <= c->K; k++) c->offset[k] = w->offset[k];
  for (PetscInt k = 0; k < c->K; k++) {
    c->walkers[k] = w->walkers[k];
    c->frames[k]  = w->frames[k];
    c->iact[k]    = b.iact[k];
  }
  PetscCall(PetscMalloc2(c->nloc * c->n + 1, &c->x, c->nloc * c->d + 1, &c->zs));
  PetscCall(PetscArraycpy(c->zs, b.z, c->nloc * c->d));
  if (!c->grid_set) {
    for (PetscInt a = 0; a < c->d; a++) {
      PetscReal *gr = c->grid + 3 * a;
      gr[0]         = PETSC_MAX_REAL;
      gr[1]         = PETSC_MIN_REAL;
      for (PetscInt k = 0; k < c->K; k++) {
        gr[0] = PetscMin(gr[0], w->center[k * c->d + a]);
        gr[1] = PetscMax(gr[1], w->center[k * c->d + a]);
      }
      if (gr[1] <= gr[0]) gr[1] = gr[0] + 1; /* one window */
    }
  }
  PetscCall(UmbSamplesBlockFree(&b));
  {
    const UmbSamplesTable *all;
    PetscCall(UmbSamplesFileGetTable(sf, &all));
    PetscCall(UmbSamplesFileCheckStates(sf, all->N, c->n));
  }
  PetscCall(UmbSamplesFileReadBlockRows(sf, &b, UMB_SAMPLES_X, c->n, c->x));
  PetscCall(UmbSamplesFileClose(&sf, PETSC_FALSE));

  /* the grid */
  c->ngd[1] = 1;
  for (PetscInt a = 0; a < c->d; a++) {
    c->ngd[a] = (PetscInt)c->grid[3 * a + 2];
    c->hd[a]  = (c->grid[3 * a + 1] - c->grid[3 * a]) / (c->ngd[a] - 1);
    c->bwd[a] = c->bandwidth[a] > 0 ? c->bandwidth[a] : c->hd[a];
  }
  c->ng = c->ngd[0] * c->ngd[1];
  c->h  = c->hd[0];
  c->bw = c->bwd[0];
  PetscCall(PetscMalloc1(c->ng * c->d, &c->z));
  for (PetscInt g = 0; g < c->ng; g++) {
    c->z[g * c->d] = c->grid[0] + (g / c->ngd[1]) * c->h;
    if (c->d > 1) c->z[g * c->d + 1] = c->grid[3] + (g % c->ngd[1]) * c->hd[1];
  }
  for (PetscInt a = 0; a < c->d; a++) { /* the sampled range of each CV component */
    const char *which = c->d > 1 ? (a ? " of the second CV component" : " of the first CV component") : "";
    const PetscReal *gr = c->grid + 3 * a;
    PetscReal        ext[2] = {PETSC_MIN_REAL, PETSC_MIN_REAL};
    for (PetscInt64 i = 0; i < c->nloc; i++) {
      ext[0] = PetscMax(ext[0], -c->zs[i * c->d + a]);
      ext[1] = PetscMax(ext[1], c->zs[i * c->d + a]);
    }
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, ext, 2, MPIU_REAL, MPIU_MAX, c->comm));
    c->zlo_data[a] = -ext[0];
    c->zhi_data[a] = ext[1];
    if (gr[0] < c->zlo_data[a] || gr[1] > c->zhi_data[a])
      PetscCall(UmbLogWarning(c->comm, "closure: -closure_grid [%g, %g]%s reaches outside the sampled range [%g, %g]: grid points without samples get no physics estimate", (double)gr[0], (double)gr[1], which, (double)c->zlo_data[a], (double)c->zhi_data[a]));
    PetscCheck(gr[1] + 0.5 * c->hd[a] >= c->zlo_data[a] && gr[0] - 0.5 * c->hd[a] <= c->zhi_data[a], c->comm, PETSC_ERR_USER_INPUT, "-closure_grid [%.6g, %.6g]%s holds no sampled CV value: the samples span [%.6g, %.6g]", (double)gr[0], (double)gr[1], which, (double)c->zlo_data[a], (double)c->zhi_data[a]);
  }
  PetscCall(ReadFes(c, row0, N));
  if (c->use_gan && c->d == 1) PetscCall(ChooseWells(c));

  /* the generator */
  if (c->use_gan && c->generator) {
    PetscInt  ngen;
    PetscBool trained = PETSC_FALSE;
    PetscCall(UmbGeneratorGetGenerated(c->generator, &ngen));
    if (ngen) PetscCall(UmbGeneratorIsTrained(c->generator, &trained));
    if (!ngen) {
      c->use_gan = PETSC_FALSE;
      PetscCall(UmbLog(c->comm, "closure: the CV is every coordinate of the model: no generator route"));
    } else if (!trained) {
      char        path[PETSC_MAX_PATH_LEN];
      const char *file;
      PetscBool   exists;
      UmbGeneratorType type;
      PetscBool        gan;
      PetscCall(UmbGeneratorGetFileName(c->generator, &file));
      PetscCall(UmbGeneratorGetType(c->generator, &type));
      PetscCall(PetscStrcmp(type, UMBGENERATORGAN, &gan));
      PetscCall(UmbPathJoin(c->dir, file, path, sizeof(path)));
      PetscCall(PetscTestFile(path, 'r', &exists));
      PetscCheck(exists, c->comm, PETSC_ERR_USER_INPUT, "%s not found: the generator route needs a trained %s; run `umbra train%s%s` first (or -closure_gan false for the physics route only)", path, gan ? "GAN" : type, gan ? "" : " -generator ", gan ? "" : type);
      PetscCall(UmbGeneratorLoad(c->generator, path));
    }
    if (c->use_gan) {
      PetscReal zr[4];
      PetscBool dens, flat, dihedral;
      /* a density reweights the draws to p(y | z) exactly when y are coordinates of the level
         set with a constant volume element: coordinate and linear CVs. The flow's density of a
         molecule's internal coordinates (dihedral CVs) is one too, volume element included, but
         its weights collapse (docs/flow.md, "Molecules"): not reweighted */
      PetscCall(UmbGeneratorHasDensity(c->generator, &dens));
      PetscCall(UmbCVHasFlatLevelSets(c->cv, &flat));
      PetscCall(UmbCVGetDihedrals(c->cv, &dihedral, NULL, NULL));
      c->reweight = (PetscBool)(dens && flat && c->has_potential);
      if (dens && dihedral) PetscCall(UmbLog(c->comm, "closure: the flow's draws of a molecule are not reweighted to p(x | z) (its importance weights collapse on molecules: docs/flow.md, \"Molecules\"): plain averages over its draws"));
      /* the ESS of L draws is at most L (reached when q is the conditional itself) */
      PetscCheck(!c->reweight || c->min_ess < c->lift_n, c->comm, PETSC_ERR_USER_INPUT, "-closure_min_ess %g must be below -closure_lift_n %" PetscInt_FMT ": the effective sample size of L draws is at most L", (double)c->min_ess, c->lift_n);
      if (dens && flat && !c->has_potential) PetscCall(UmbLog(c->comm, "closure: the model has no potential energy (imported samples), so the generator's draws are not reweighted to p(x | z): plain averages over its draws"));
      if (dens && !flat && !dihedral) PetscCall(UmbLogWarning(c->comm, "closure: the generator has a density, but the CV is neither a coordinate nor a linear CV, so its states are not reweighted to the conditional p(x | z): plain averages over its draws, as for a generator without a density"));
      PetscCall(UmbGeneratorGetRange(c->generator, zr));
      if (c->d > 1 && (c->grid[3] < zr[2] || c->grid[4] > zr[3])) PetscCall(UmbLogWarning(c->comm, "closure: -closure_grid [%g, %g] of the second CV component reaches outside the generator's trained range [%g, %g]: it extrapolates there", (double)c->grid[3], (double)c->grid[4], (double)zr[2], (double)zr[3]));
      if (c->grid[0] < zr[0] || c->grid[1] > zr[1]) PetscCall(UmbLogWarning(c->comm, "closure: -closure_grid [%g, %g] reaches outside the generator's trained range [%g, %g]: it extrapolates there", (double)c->grid[0], (double)c->grid[1], (double)zr[0], (double)zr[1]));
    }
  } else c->use_gan = PETSC_FALSE;

  /* the exact reference */
  PetscCall(UmbExactAvailable(c->cv, &c->has_exact, why, sizeof(why)));
  if (c->has_exact) {
    PetscReal range[4] = {c->grid[0], c->grid[1], c->grid[3], c->grid[4]};
    PetscInt  npts[2]  = {c->ngd[0], c->ngd[1]};
    PetscCall(UmbExactCreate(c->cv, &c->exact));
    PetscCall(UmbExactSetGrid(c->exact, range, npts));
    PetscCall(UmbExactSetUp(c->exact));
  }
  PetscCall(PetscLogEventEnd(UMB_EVENT.clo_read, 0, 0, 0, 0));
  c->setup = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbClosureObsRaw(UmbClosure c, PetscInt m, const PetscReal x[], PetscReal raw[])
{
  const PetscInt n = c->n, nobs = c->nobs;
  PetscReal     *z, *J, *g, *xp = NULL, *zp = NULL, *Jp = NULL, *uA = NULL;
  const PetscReal binv = 1 / c->beta, eps = 1e-4;
  const PetscBool hess = (PetscBool)(!c->const_grad && c->has_potential); /* the CV's Hessian terms of the mean force and drift */

  PetscFunctionBegin;
  PetscCall(PetscMalloc3(m * c->d, &z, m * c->d * n, &J, m * n, &g));
  if (c->has_potential) { /* the mean force, drift and diffusion */
    PetscCall(UmbCVEvaluate(c->cv, m, x, z, J));
    PetscCall(UmbModelEnergyGradient(c->model, m, x, NULL, g));
  }
  if (c->nuser) {
    PetscCall(PetscMalloc1(m * c->nuser, &uA));
    PetscCall(UmbClosureEvaluateUser(c, m, x, uA));
  }
  if (hess) PetscCall(PetscMalloc3((2 * n + 2) * n, &xp, 2 * n + 2, &zp, (2 * n + 2) * n, &Jp));
  for (PetscInt r = 0; r < m; r++) {
    const PetscReal *xr = x + r * n, *Jr = J + r * c->d * n, *gr = g + r * n;
    PetscReal        g2 = 0, gU = 0, MgU = 0, Mg2 = 0, lap = 0, Mlap = 0, gHg = 0, mf2[2] = {0, 0};
    for (PetscInt j = 0; j < n; j++) {
      g2 += Jr[j] * Jr[j];
      gU += Jr[j] * gr[j];
      MgU += c->mob[j] * Jr[j] * gr[j];
      Mg2 += c->mob[j] * Jr[j] * Jr[j];
    }
    if (c->d == 2) { /* constant gradient: grad F = (J J^T)^-1 J grad U */
      const PetscReal *J2 = Jr + n;
      PetscReal        G01 = 0, G11 = 0, v1 = 0, det;
      for (PetscInt j = 0; j < n; j++) {
        G01 += Jr[j] * J2[j];
        G11 += J2[j] * J2[j];
        v1 += J2[j] * gr[j];
      }
      det    = g2 * G11 - G01 * G01;
      mf2[0] = (G11 * gU - G01 * v1) / det;
      mf2[1] = (g2 * v1 - G01 * gU) / det;
    }
    if (hess) { /* Hessian terms by central differences of the CV gradient */
      const PetscReal gn = PetscSqrtReal(g2);
      for (PetscInt p = 0; p < 2 * n + 2; p++) PetscCall(PetscArraycpy(xp + p * n, xr, n));
      for (PetscInt j = 0; j < n; j++) {
        xp[(2 * j) * n + j] += eps;
        xp[(2 * j + 1) * n + j] -= eps;
        xp[(2 * n) * n + j] += eps * Jr[j] / gn;
        xp[(2 * n + 1) * n + j] -= eps * Jr[j] / gn;
      }
      PetscCall(UmbCVEvaluate(c->cv, 2 * n + 2, xp, zp, Jp));
      for (PetscInt j = 0; j < n; j++) {
        PetscReal Hjj = (Jp[(2 * j) * n + j] - Jp[(2 * j + 1) * n + j]) / (2 * eps);
        lap += Hjj;
        Mlap += c->mob[j] * Hjj;
        gHg += Jr[j] * gn * (Jp[(2 * n) * n + j] - Jp[(2 * n + 1) * n + j]) / (2 * eps);
      }
    }
    for (PetscInt k = 0; k < nobs; k++) {
      PetscReal v = 0;
      switch (c->kind[k]) {
      case UMB_OBS_MEAN:
      case UMB_OBS_VAR:
        v = xr[c->coordof[k]];
        break;
      case UMB_OBS_MFORCE: /* grad U . grad xi / |grad xi|^2 - (1/beta) div(grad xi / |grad xi|^2) */
        v = c->d == 2 ? mf2[c->coordof[k]] : gU / g2 - binv * (lap / g2 - 2 * gHg / (g2 * g2));
        break;
      case UMB_OBS_DRIFT:
        v = -MgU + binv * Mlap;
        break;
      case UMB_OBS_DIFF:
        v = Mg2;
        break;
      case UMB_OBS_USER:
        v = uA[r * c->nuser + c->coordof[k]];
        break;
      }
      raw[r * nobs + k] = v;
    }
  }
  if (hess) PetscCall(PetscFree3(xp, zp, Jp));
  PetscCall(PetscFree(uA));
  PetscCall(PetscFree3(z, J, g));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbClosureAddCheck(UmbClosure c, const char name[], PetscReal value, PetscReal tol, const char what[])
{
  PetscFunctionBegin;
  PetscCheck(c->nchecks < UMB_CLOSURE_MAX_CHECKS, c->comm, PETSC_ERR_USER_INPUT, "too many consistency checks (at most %d): fewer -closure_test_z values", UMB_CLOSURE_MAX_CHECKS);
  PetscCall(PetscStrallocpy(name, &c->cname[c->nchecks]));
  PetscCall(PetscStrallocpy(what, &c->cwhat[c->nchecks]));
  c->cvalue[c->nchecks] = value;
  c->ctol[c->nchecks]   = tol;
  c->cpass[c->nchecks]  = (PetscBool)(PetscIsNormalReal(value) || value == 0 ? value <= tol : PETSC_FALSE);
  c->nchecks++;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Differences d_j with independent standard errors s_j (zero mean under agreement):
   RMS (kT) against sqrt(mean s^2 * chi2_{1-alpha}(m) / m), and max_j |d_j| / s_j against the
   two-sided Bonferroni normal quantile z_{1 - alpha / (2m)} */
PetscErrorCode UmbClosureCompareProfiles(UmbClosure c, const char name[], PetscInt m, const PetscReal d[], const PetscReal s[], const char what[])
{
  PetscReal ms = 0, md = 0, mz = 0;
  char      nm[128], w[256];

  PetscFunctionBegin;
  for (PetscInt j = 0; j < m; j++) {
    md += d[j] * d[j] / m;
    ms += s[j] * s[j] / m;
    mz = PetscIsNanReal(mz) || PetscIsNanReal(d[j]) || PetscIsNanReal(s[j]) ? (PetscReal)NAN : PetscMax(mz, PetscAbsReal(d[j]) / s[j]); /* a NaN must fail the row, not drop out of the max */
  }
  if (m < 1) md = ms = mz = NAN;
  snprintf(nm, sizeof(nm), "%s_rms", name);
  snprintf(w, sizeof(w), "%s: RMS difference in kT", what);
  PetscCall(UmbClosureAddCheck(c, nm, PetscSqrtReal(md), m < 1 ? NAN : PetscSqrtReal(ms * gsl_cdf_chisq_Pinv(1 - c->alpha, (double)m) / m), w));
  snprintf(nm, sizeof(nm), "%s_max_z", name);
  snprintf(w, sizeof(w), "%s: largest difference in standard errors", what);
  PetscCall(UmbClosureAddCheck(c, nm, mz, m < 1 ? NAN : gsl_cdf_ugaussian_Qinv(c->alpha / (2 * m)), w));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbClosureCompute(UmbClosure c)
{
  PetscFunctionBegin;
  PetscCheck(c->setup, c->comm, PETSC_ERR_ORDER, "call UmbClosureSetUp() first");
  PetscCall(PetscLogStagePush(UMB_STAGE.closure));
  PetscCall(UmbClosurePhysics(c));
  PetscCall(UmbClosureExactValues(c));
  if (c->use_gan) {
    if (c->reweight) PetscCall(UmbClosureReweight(c));
    else PetscCall(UmbClosureGenerator(c));
    if (!c->coord) PetscCall(UmbClosureCheckRestriction(c));
    PetscCall(UmbClosureCheckDistributions(c));
    if (!c->has_potential) PetscCall(UmbLog(c->comm, "closure: the model has no potential energy (imported samples): no mean force, drift or diffusion, so no free-energy integration, reduced-SDE or first-passage checks; checked here: the conditional distributions"));
    else if (c->d == 1) {
      PetscCall(UmbClosureCheckFreeEnergy(c));
      PetscCall(UmbClosureCheckSDE(c));
      PetscCall(UmbClosureCheckDirect(c));
    } else PetscCall(UmbLog(c->comm, "closure: 2-D CV: the free-energy integration, reduced-SDE and first-passage checks are 1-D only; checked here: the conditional distributions"));
    if (c->reweight) PetscCall(UmbClosureCheckReweighted(c));
  } else {
    const PetscInt N = c->ng * c->nobs;
    PetscCall(PetscMalloc2(N, &c->gval, N, &c->gerr));
    for (PetscInt i = 0; i < N; i++) c->gval[i] = c->gerr[i] = NAN;
    PetscCall(UmbLog(c->comm, "closure: no generator route: physics closures only, no consistency checks"));
  }
  PetscCall(PetscLogStagePop());
  c->computed = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbClosureDestroy(UmbClosure *cp)
{
  UmbClosure c = *cp;

  PetscFunctionBegin;
  if (!c) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(UmbClosureUnloadUserObservables(c));
  for (PetscInt k = 0; k < c->nobs; k++) PetscCall(PetscFree(c->names[k]));
  PetscCall(PetscFree4(c->names, c->kind, c->coordof, c->sel));
  PetscCall(PetscFree(c->fine));
  PetscCall(PetscFree4(c->offset, c->walkers, c->frames, c->iact));
  PetscCall(PetscFree2(c->x, c->zs));
  PetscCall(PetscFree(c->lw));
  PetscCall(PetscFree(c->z));
  PetscCall(PetscFree2(c->Fm, c->dFm));
  PetscCall(PetscFree4(c->phys, c->phys_err, c->exval, c->counts));
  PetscCall(PetscFree2(c->gval, c->gerr));
  PetscCall(PetscFree(c->ess));
  for (PetscInt i = 0; i < c->nchecks; i++) {
    PetscCall(PetscFree(c->cname[i]));
    PetscCall(PetscFree(c->cwhat[i]));
  }
  PetscCall(UmbExactDestroy(&c->exact));
  PetscCall(PetscFree(c));
  *cp = NULL;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbClosureGetGrid(UmbClosure c, PetscInt *ng, const PetscReal **z)
{
  PetscFunctionBegin;
  if (ng) *ng = c->ng;
  if (z) *z = c->z;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbClosureGetObservables(UmbClosure c, PetscInt *nobs, const char *const **names)
{
  PetscFunctionBegin;
  if (nobs) *nobs = c->nobs;
  if (names) *names = (const char *const *)c->names;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbClosureGetValues(UmbClosure c, const PetscReal **phys, const PetscReal **phys_err, const PetscReal **gan, const PetscReal **gan_err, const PetscReal **exact)
{
  PetscFunctionBegin;
  PetscCheck(c->computed, c->comm, PETSC_ERR_ORDER, "call UmbClosureCompute() first");
  if (phys) *phys = c->phys;
  if (phys_err) *phys_err = c->phys_err;
  if (gan) *gan = c->gval;
  if (gan_err) *gan_err = c->gerr;
  if (exact) *exact = c->has_exact ? c->exval : NULL;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbClosureGetESS(UmbClosure c, PetscReal *lift_n, PetscReal *min_ess, const PetscReal **ess)
{
  PetscFunctionBegin;
  PetscCheck(c->computed, c->comm, PETSC_ERR_ORDER, "call UmbClosureCompute() first");
  if (lift_n) *lift_n = (PetscReal)c->lift_n;
  if (min_ess) *min_ess = c->min_ess;
  if (ess) *ess = c->ess;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbClosureSetReweightVariant(UmbClosure c, UmbReweightVariant v)
{
  PetscFunctionBegin;
  c->rw_variant = v;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbClosureGetChecks(UmbClosure c, PetscInt *n, const char *const **names, const PetscReal **value, const PetscReal **tol, const PetscBool **pass)
{
  PetscFunctionBegin;
  if (n) *n = c->nchecks;
  if (names) *names = (const char *const *)c->cname;
  if (value) *value = c->cvalue;
  if (tol) *tol = c->ctol;
  if (pass) *pass = c->cpass;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbClosureGetMFPT(UmbClosure c, PetscReal sde[2], PetscReal sde_err[2], PetscReal exact[2])
{
  PetscFunctionBegin;
  for (int i = 0; i < 2; i++) {
    if (sde) sde[i] = c->mfpt_sde[i];
    if (sde_err) sde_err[i] = c->mfpt_err[i];
    if (exact) exact[i] = c->mfpt_exact[i];
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}
