/* UmbSampler life cycle: options, window grid, layout. Running is in run.c. */
#include <umbra/private/samplerimpl.h>

const char *const UmbIntegrators[] = {"em", "lm", "langevin", "UmbIntegrator", "UMB_INTEGRATOR_", NULL};

#define UMB_MAX_CENTERS 4096 /* values -us_centers accepts */

PetscErrorCode UmbSamplerCreate(UmbCV cv, UmbSampler *sp)
{
  UmbSampler s;

  PetscFunctionBegin;
  PetscCall(PetscNew(&s));
  s->cv = cv;
  PetscCall(UmbCVGetModel(cv, &s->model));
  PetscCall(UmbModelGetComm(s->model, &s->comm));
  PetscCallMPI(MPI_Comm_rank(s->comm, &s->rank));
  PetscCallMPI(MPI_Comm_size(s->comm, &s->size));
  s->nwin[0] = s->nwin[1] = 24;
  s->range[0] = s->range[2] = -1.5;
  s->range[1] = s->range[3] = 1.5;
  s->kappa_opt[0] = s->kappa_opt[1] = 40.0;
  s->walkers      = 4;
  s->steps        = 50000;
  s->burnin       = 5000;
  s->stride       = 10;
  s->dt           = 1e-3;
  s->integrator   = UMB_INTEGRATOR_LM;
  s->seed         = 42;
  {
    PetscBool dyn;
    PetscCall(UmbModelHasDynamics(s->model, &dyn));
    if (dyn) s->integrator = UMB_INTEGRATOR_LANGEVIN; /* the engine's thermostat by default */
  }
  s->minimize_its = 500;
  s->stability_check = PETSC_TRUE;
  s->ckpt_interval   = 600;
  s->flow_moves      = 10;
  s->flow_scale      = 1.5;
  s->flow_mix        = 0.2;
  s->group_size      = 1;
  s->gcomm           = MPI_COMM_NULL;
  *sp             = s;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Reads the options only; the checks against the CV's dimension and the -us_centers windows
   wait for SetUp, which sets the CV up. Reading them again means setting up again. */
PetscErrorCode UmbSamplerSetFromOptions(UmbSampler s)
{
  PetscInt  n;
  PetscBool set;

  PetscFunctionBegin;
  s->setup = PETSC_FALSE;
  PetscCall(PetscFree(s->centers_opt));
  s->ncenters_opt = UMB_MAX_CENTERS;
  PetscCall(PetscMalloc1(s->ncenters_opt, &s->centers_opt));
  PetscOptionsBegin(s->comm, UmbOptionsPrefix(s->prefix), "Umbrella sampling options", "UmbSampler");
  n = 2;
  PetscCall(PetscOptionsIntArray("-us_windows", "Number of windows per CV component", "UmbSamplerSetFromOptions", s->nwin, &n, &set));
  s->nwin_n = set ? n : 0;
  n = 4;
  PetscCall(PetscOptionsRealArray("-us_range", "Range of the window centres: lo,hi per CV component", "UmbSamplerSetFromOptions", s->range, &n, &set));
  s->range_n = set ? n : 0;
  n = 2;
  PetscCall(PetscOptionsRealArray("-us_kappa", "Spring constant per CV component (0: unbiased)", "UmbSamplerSetFromOptions", s->kappa_opt, &n, &set));
  s->kappa_n = set ? n : 0;
  if (set && n == 1) s->kappa_opt[1] = s->kappa_opt[0];
  PetscCall(PetscOptionsRealArray("-us_centers", "Explicit window centres (d values per window) instead of -us_windows/-us_range", "UmbSamplerSetFromOptions", s->centers_opt, &s->ncenters_opt, &set));
  if (!set) s->ncenters_opt = 0;
  PetscCall(PetscOptionsInt("-us_walkers", "Walkers per window", "UmbSamplerSetFromOptions", s->walkers, &s->walkers, NULL));
  PetscCall(UmbOptionsInt64(PetscOptionsObject, "-us_steps", "Production steps per walker", s->steps, &s->steps, NULL));
  PetscCall(UmbOptionsInt64(PetscOptionsObject, "-us_burnin", "Steps per walker discarded before production", s->burnin, &s->burnin, NULL));
  PetscCall(PetscOptionsInt("-us_stride", "Save every this many production steps", "UmbSamplerSetFromOptions", s->stride, &s->stride, NULL));
  PetscCall(PetscOptionsReal("-us_dt", "Time step", "UmbSamplerSetFromOptions", s->dt, &s->dt, NULL));
  PetscCall(PetscOptionsEnum("-us_integrator", "Integrator: em (Euler-Maruyama), lm (Leimkuhler-Matthews) or langevin (the model's own dynamics)", "UmbSamplerSetFromOptions", UmbIntegrators, (PetscEnum)s->integrator, (PetscEnum *)&s->integrator, NULL));
  PetscCall(PetscOptionsInt("-us_minimize_its", "Iterations of the restrained minimisation that prepares each window", "UmbSamplerSetFromOptions", s->minimize_its, &s->minimize_its, NULL));
  PetscCall(PetscOptionsBool("-us_stability_check", "Refuse a time step beyond the stability limit of the prepared windows", "UmbSamplerSetFromOptions", s->stability_check, &s->stability_check, NULL));
  PetscCall(PetscOptionsReal("-us_checkpoint_interval", "Wall-clock seconds between sampling checkpoints (0: only on a signal)", "UmbSamplerSetFromOptions", s->ckpt_interval, &s->ckpt_interval, NULL));
  PetscCall(UmbOptionsInt64(PetscOptionsObject, "-us_stop_step", "Checkpoint and stop (exit code 3) at the first chunk boundary at or after this step (0: run to the end)", s->stop_step, &s->stop_step, NULL));
  PetscCall(UmbOptionsInt64(PetscOptionsObject, "-us_chunk_steps", "Steps per chunk between collective writes and checkpoint chances (0: automatic)", s->chunk_steps, &s->chunk_steps, NULL));
  PetscCall(PetscOptionsInt("-us_ranks_per_window", "Ranks that run each window together, one engine instance per group of them (models run by an engine: -model lammps)", "UmbSamplerSetFromOptions", s->group_size, &s->group_size, NULL));
  PetscCall(PetscOptionsString("-us_flow_file", "Generator file (umbra train -generator flow) whose density proposes Metropolis-Hastings moves of the generated coordinates", "UmbSamplerSetFromOptions", s->flow_file, s->flow_file, sizeof(s->flow_file), NULL));
  PetscCall(PetscOptionsInt("-us_flow_moves", "SDE steps between two flow moves of each walker", "UmbSamplerSetFromOptions", s->flow_moves, &s->flow_moves, &s->flow_moves_set));
  PetscCall(PetscOptionsReal("-us_flow_base_scale", "Standard deviation s >= 1 of the base noise of flow proposals", "UmbSamplerSetFromOptions", s->flow_scale, &s->flow_scale, &s->flow_scale_set));
  PetscCall(PetscOptionsReal("-us_flow_mix", "Probability in [0,1) of proposing from another window's centre", "UmbSamplerSetFromOptions", s->flow_mix, &s->flow_mix, &s->flow_mix_set));
  PetscOptionsEnd();

  PetscCheck(s->flow_moves > 0, s->comm, PETSC_ERR_USER_INPUT, "-us_flow_moves must be positive (SDE steps between flow moves), got %" PetscInt_FMT, s->flow_moves);
  PetscCheck(s->flow_scale >= 1 && PetscIsNormalReal(s->flow_scale), s->comm, PETSC_ERR_USER_INPUT, "-us_flow_base_scale must be finite and at least 1 (a broadened base), got %.6g", (double)s->flow_scale);
  PetscCheck(s->flow_mix >= 0 && s->flow_mix < 1, s->comm, PETSC_ERR_USER_INPUT, "-us_flow_mix must be in [0, 1), got %.6g", (double)s->flow_mix);
  PetscCheck(s->walkers >= 1, s->comm, PETSC_ERR_USER_INPUT, "-us_walkers must be positive, got %" PetscInt_FMT, s->walkers);
  PetscCheck(s->steps >= 1, s->comm, PETSC_ERR_USER_INPUT, "-us_steps must be positive, got %" PetscInt64_FMT, s->steps);
  PetscCheck(s->burnin >= 0, s->comm, PETSC_ERR_USER_INPUT, "-us_burnin must be non-negative, got %" PetscInt64_FMT, s->burnin);
  PetscCheck(s->stride >= 1, s->comm, PETSC_ERR_USER_INPUT, "-us_stride must be positive, got %" PetscInt_FMT, s->stride);
  PetscCheck(s->stride <= s->steps, s->comm, PETSC_ERR_USER_INPUT, "-us_stride %" PetscInt_FMT " exceeds -us_steps %" PetscInt64_FMT ": no sample would be saved", s->stride, s->steps);
  PetscCheck(s->dt > 0 && PetscIsNormalReal(s->dt), s->comm, PETSC_ERR_USER_INPUT, "-us_dt must be positive, got %.6g", (double)s->dt);
  PetscCheck(s->minimize_its >= 0, s->comm, PETSC_ERR_USER_INPUT, "-us_minimize_its must be non-negative, got %" PetscInt_FMT, s->minimize_its);
  PetscCheck(s->ckpt_interval >= 0, s->comm, PETSC_ERR_USER_INPUT, "-us_checkpoint_interval must be non-negative (seconds; 0: only on a signal), got %.6g", (double)s->ckpt_interval);
  PetscCheck(s->stop_step >= 0, s->comm, PETSC_ERR_USER_INPUT, "-us_stop_step must be non-negative, got %" PetscInt64_FMT, s->stop_step);
  PetscCheck(s->group_size >= 1 && s->size % s->group_size == 0, s->comm, PETSC_ERR_USER_INPUT, "-us_ranks_per_window %" PetscInt_FMT " must divide the number of ranks, %d, into groups of equal size", s->group_size, s->size);
  PetscCheck(s->chunk_steps >= 0, s->comm, PETSC_ERR_USER_INPUT, "-us_chunk_steps must be non-negative, got %" PetscInt64_FMT, s->chunk_steps);
  PetscCall(UmbModelGetDimension(s->model, &s->n));
  {
    PetscBool dyn;
    PetscCall(UmbModelHasDynamics(s->model, &dyn));
    PetscCheck(dyn || s->integrator != UMB_INTEGRATOR_LANGEVIN, s->comm, PETSC_ERR_USER_INPUT, "-us_integrator langevin needs a model with dynamics of its own (-model lammps); use em or lm");
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplerSetUpCV(UmbSampler s)
{
  PetscFunctionBegin;
  PetscCall(UmbCVSetUp(s->cv));
  PetscCall(UmbCVGetDimension(s->cv, &s->d));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The options that depend on the CV's dimension, and the -us_centers windows (windows given by
   UmbSamplerSetWindows already replaced -us_range by the span of their centres) */
static PetscErrorCode CheckDimension(UmbSampler s)
{
  const PetscInt d = s->d, ncent = s->ncenters_opt;

  PetscFunctionBegin;
  PetscCheck(!s->nwin_n || s->nwin_n == d, s->comm, PETSC_ERR_USER_INPUT, "-us_windows needs %" PetscInt_FMT " value%s for this %" PetscInt_FMT "-D CV, got %" PetscInt_FMT, d, d > 1 ? "s" : "", d, s->nwin_n);
  PetscCheck(!s->range_n || s->range_n == 2 * d, s->comm, PETSC_ERR_USER_INPUT, "-us_range needs %" PetscInt_FMT " values (lo,hi%s) for this %" PetscInt_FMT "-D CV, got %" PetscInt_FMT, 2 * d, d > 1 ? ",lo2,hi2" : "", d, s->range_n);
  PetscCheck(!s->kappa_n || s->kappa_n == 1 || s->kappa_n == d, s->comm, PETSC_ERR_USER_INPUT, "-us_kappa needs 1 or %" PetscInt_FMT " values, got %" PetscInt_FMT, d, s->kappa_n);
  for (PetscInt a = 0; a < d; a++) {
    PetscCheck(s->nwin[a] >= 1, s->comm, PETSC_ERR_USER_INPUT, "-us_windows must be at least 1, got %" PetscInt_FMT, s->nwin[a]);
    PetscCheck(s->explicit_grid || s->range[2 * a] < s->range[2 * a + 1], s->comm, PETSC_ERR_USER_INPUT, "-us_range: lo must be below hi, got lo = %.6g, hi = %.6g", (double)s->range[2 * a], (double)s->range[2 * a + 1]);
    PetscCheck(s->kappa_opt[a] >= 0 && !PetscIsInfOrNanReal(s->kappa_opt[a]), s->comm, PETSC_ERR_USER_INPUT, "-us_kappa must be non-negative (0 = unbiased), got %.6g", (double)s->kappa_opt[a]);
  }
  if (ncent) {
    PetscReal *centers = s->centers_opt;
    PetscCheck(!s->nwin_n && !s->range_n, s->comm, PETSC_ERR_USER_INPUT, "-us_centers gives the windows explicitly: drop -us_%s", s->nwin_n ? "windows" : "range");
    PetscCheck(ncent >= d && ncent % d == 0, s->comm, PETSC_ERR_USER_INPUT, "-us_centers needs %" PetscInt_FMT " value%s per window for this %" PetscInt_FMT "-D CV, got %" PetscInt_FMT, d, d > 1 ? "s" : "", d, ncent);
    for (PetscInt i = 0; i < ncent; i++) PetscCheck(!PetscIsInfOrNanReal(centers[i]), s->comm, PETSC_ERR_USER_INPUT, "-us_centers: value %" PetscInt_FMT " is not finite", i + 1);
    s->centers_opt  = NULL; /* UmbSamplerSetWindows drops the option's centres */
    PetscCall(UmbSamplerSetWindows(s, ncent / d, centers, NULL));
    PetscCall(PetscFree(centers));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Sets the CV up, checks the options against its dimension, builds the window grid (or takes
   the -us_centers windows) and the window-to-rank layout */
PetscErrorCode UmbSamplerSetUp(UmbSampler s)
{
  PetscFunctionBegin;
  if (s->setup) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(UmbSamplerSetUpCV(s));
  PetscCall(CheckDimension(s));
  PetscCall(UmbSamplerBuildGrid(s));
  PetscCall(UmbSamplerFlowSetUp(s));
  PetscCheck(!s->flow || s->integrator != UMB_INTEGRATOR_LANGEVIN, s->comm, PETSC_ERR_USER_INPUT, "flow moves (-us_flow_file) work with the overdamped integrators only: use -us_integrator em or lm");
  /* windows in blocks over the groups, each run by its group's leader */
  if (s->gcomm != MPI_COMM_NULL) PetscCallMPI(MPI_Comm_free(&s->gcomm));
  s->leader = (PetscBool)(s->rank % s->group_size == 0);
  if (s->group_size > 1) PetscCallMPI(MPI_Comm_split(s->comm, s->rank / (PetscMPIInt)s->group_size, s->rank, &s->gcomm));
  UmbLayoutRange(s->K, s->size / (PetscMPIInt)s->group_size, s->rank / (PetscMPIInt)s->group_size, &s->klo, &s->khi);
  if (!s->leader) s->klo = s->khi;
  s->setup = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplerView(UmbSampler s, PetscViewer v)
{
  char grid[64] = "";

  PetscFunctionBegin;
  if (s->explicit_grid) snprintf(grid, sizeof(grid), " (given centres)");
  else if (s->d == 2) snprintf(grid, sizeof(grid), " (%d x %d)", (int)s->nwin[0], (int)s->nwin[1]);
  PetscCall(UmbViewerPrintf(v, "umbrella sampling: %" PetscInt_FMT " windows%s x %" PetscInt_FMT " walkers on %d rank%s, %s dt = %g, steps %" PetscInt64_FMT " + burn-in %" PetscInt64_FMT ", stride %" PetscInt_FMT ", seed %" PetscInt64_FMT "\n", s->K, grid, s->walkers, s->size, s->size > 1 ? "s" : "", UmbIntegrators[s->integrator], (double)s->dt, s->steps, s->burnin, s->stride, s->seed));
  for (PetscInt a = 0; a < s->d; a++) PetscCall(UmbViewerPrintf(v, "  component %" PetscInt_FMT ": centres %g .. %g, kappa %g\n", a + 1, (double)s->range[2 * a], (double)s->range[2 * a + 1], (double)s->kappa_opt[a]));
  if (s->group_size > 1) PetscCall(UmbViewerPrintf(v, "  %" PetscInt_FMT " ranks per window: %d groups, each running its windows on one engine instance\n", s->group_size, s->size / (int)s->group_size));
  if (s->flow) PetscCall(UmbViewerPrintf(v, "  flow moves every %" PetscInt_FMT " steps from %s: base scale %g, mix %g\n", s->flow_moves, s->flow_file[0] ? s->flow_file : "a given generator", (double)s->flow_scale, (double)s->flow_mix));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplerDestroy(UmbSampler *sp)
{
  PetscFunctionBegin;
  if (!*sp) PetscFunctionReturn(PETSC_SUCCESS);
  if ((*sp)->gcomm != MPI_COMM_NULL) PetscCallMPI(MPI_Comm_free(&(*sp)->gcomm));
  PetscCall(PetscFree((*sp)->centers_opt));
  PetscCall(PetscFree((*sp)->center));
  PetscCall(PetscFree((*sp)->kappa));
  PetscCall(PetscFree((*sp)->x0));
  if ((*sp)->flow_owned) PetscCall(UmbGeneratorDestroy(&(*sp)->flow));
  PetscCall(UmbGenSpaceDestroy(&(*sp)->space));
  PetscCall(PetscFree(*sp));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplerGetWindows(UmbSampler s, PetscInt *K, const PetscReal **center, const PetscReal **kappa)
{
  PetscFunctionBegin;
  PetscCheck(s->setup, s->comm, PETSC_ERR_ORDER, "call UmbSamplerSetUp() first");
  if (K) *K = s->K;
  if (center) *center = s->center;
  if (kappa) *kappa = s->kappa;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplerGetOwnership(UmbSampler s, PetscInt *lo, PetscInt *hi)
{
  PetscFunctionBegin;
  PetscCheck(s->setup, s->comm, PETSC_ERR_ORDER, "call UmbSamplerSetUp() first");
  *lo = s->klo;
  *hi = s->khi;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscMPIInt UmbSamplerWindowOwner(UmbSampler s, PetscInt k)
{
  return (PetscMPIInt)s->group_size * UmbLayoutOwner(s->K, s->size / (PetscMPIInt)s->group_size, k);
}

PetscErrorCode UmbSamplerGroupSync(UmbSampler s)
{
  PetscFunctionBegin;
  if (s->group_size == 1) PetscFunctionReturn(PETSC_SUCCESS);
  if (s->leader) PetscCall(UmbModelEngineRelease(s->model));
  else PetscCall(UmbModelEngineServe(s->model));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplerGetTimeStep(UmbSampler s, PetscReal *dt)
{
  PetscFunctionBegin;
  *dt = s->dt;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplerGetRange(UmbSampler s, PetscReal range[])
{
  PetscFunctionBegin;
  for (PetscInt i = 0; i < 2 * s->d; i++) range[i] = s->range[i];
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplerSetRestart(UmbSampler s, PetscBool restart)
{
  PetscFunctionBegin;
  s->restart = restart;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplerSetSeed(UmbSampler s, PetscInt64 seed)
{
  PetscFunctionBegin;
  PetscCheck(seed >= 0, s->comm, PETSC_ERR_ARG_OUTOFRANGE, "the seed must be non-negative, got %" PetscInt64_FMT, seed);
  s->seed = seed;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplerSetOptionsPrefix(UmbSampler s, const char prefix[])
{
  PetscFunctionBegin;
  PetscCall(UmbOptionsPrefixCopy(s->comm, prefix, s->prefix));
  PetscFunctionReturn(PETSC_SUCCESS);
}
