/* Objects every command builds from the options. All stages read their options here, so a
   misspelled or invalid option stops any command before work starts. The options of the whole
   run (-seed, -restart, -out) are read here once and handed to the objects by their setters. */
#include <umbra/private/app.h>

/* -seed and -restart; -out once the model (whose name is its default) is known */
static PetscErrorCode RunSetFromOptions(UmbApp *app)
{
  PetscFunctionBegin;
  app->seed = 42; /* the objects' own default */
  PetscOptionsBegin(app->comm, NULL, "Random streams and restarts", "umbra");
  PetscCall(UmbOptionsInt64(PetscOptionsObject, "-seed", "Seed of every random stream (sampling, bootstrap, subsamples, training, checks)", app->seed, &app->seed, NULL));
  PetscCall(PetscOptionsBool("-restart", "Continue from the checkpoints in the run directory", "umbra", app->restart, &app->restart, NULL));
  PetscOptionsEnd();
  PetscCheck(app->seed >= 0, app->comm, PETSC_ERR_USER_INPUT, "-seed must be non-negative, got %" PetscInt64_FMT, app->seed);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode OutSetFromOptions(UmbApp *app)
{
  UmbModelType type;

  PetscFunctionBegin;
  PetscCall(UmbModelGetType(app->model, &type));
  snprintf(app->outdir, sizeof(app->outdir), "runs/%s", type);
  PetscOptionsBegin(app->comm, NULL, "Run directory", "umbra");
  PetscCall(PetscOptionsString("-out", "Run directory (default runs/<model>)", "umbra", app->outdir, app->outdir, sizeof(app->outdir), NULL));
  PetscOptionsEnd();
  PetscCheck(app->outdir[0], app->comm, PETSC_ERR_USER_INPUT, "-out needs a directory name");
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The exact reference's default grid spans the window centres; along a component where every
   window has the same centre (one window, say) it spans 4 standard deviations of the stiffest
   bias there instead (1 CV unit without a bias) */
static PetscErrorCode WidenSingleCentre(UmbApp *app, PetscInt d, PetscReal range[])
{
  const PetscReal *center, *kappa;
  PetscReal        beta;
  PetscInt         K;

  PetscFunctionBegin;
  PetscCall(UmbSamplerGetWindows(app->sampler, &K, &center, &kappa));
  PetscCall(UmbModelGetBeta(app->model, &beta));
  for (PetscInt a = 0; a < d; a++) {
    PetscReal kmax = 0, w;
    if (range[2 * a] < range[2 * a + 1]) continue;
    for (PetscInt k = 0; k < K; k++) kmax = PetscMax(kmax, kappa[k * d + a]);
    w = kmax > 0 ? 4 / PetscSqrtReal(beta * kmax) : 1;
    range[2 * a] -= w;
    range[2 * a + 1] += w;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbAppSetUp(MPI_Comm comm, UmbApp *app)
{
  PetscBool help;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(app, sizeof(*app)));
  app->comm = comm;
  PetscCall(RunSetFromOptions(app));
  PetscCall(UmbModelCreate(comm, &app->model));
  PetscCall(UmbModelSetFromOptions(app->model));
  PetscCall(OutSetFromOptions(app));
  PetscCall(UmbModelSetRunDirectory(app->model, app->outdir));
  PetscCall(UmbModelSetUp(app->model));
  PetscCall(UmbDmapRegisterCV());
  PetscCall(UmbCVCreate(app->model, &app->cv));
  PetscCall(UmbCVSetRunDirectory(app->cv, app->outdir));
  PetscCall(UmbCVSetFromOptions(app->cv));
  PetscCall(UmbCVSetUp(app->cv));
  PetscCall(UmbSamplerCreate(app->cv, &app->sampler));
  PetscCall(UmbSamplerSetSeed(app->sampler, app->seed));
  PetscCall(UmbSamplerSetRestart(app->sampler, app->restart));
  PetscCall(UmbSamplerSetFromOptions(app->sampler));
  PetscCall(UmbAppCreateStageObjects(app));
  PetscCall(UmbCouplingCreate(app->cv, &app->coupling));
  PetscCall(UmbCouplingSetGenerator(app->coupling, app->generator));
  PetscCall(UmbCouplingSetFromOptions(app->coupling));
  { /* with flow rounds (umbra run -generator flow) the -us_flow_* options are the rounds' */
    PetscBool later;
    PetscCall(UmbCouplingGetFlowMoves(app->coupling, &later));
    PetscCall(UmbSamplerSetFlowOptionsLater(app->sampler, later));
  }
  PetscCall(UmbSamplerSetUp(app->sampler)); /* checks -us_* against the CV before any work */
  {
    PetscReal range[4];
    PetscInt  npts[2] = {201, 201}, d;
    PetscCall(UmbCVGetDimension(app->cv, &d));
    if (d > 1) npts[0] = npts[1] = 101;
    PetscCall(UmbSamplerGetRange(app->sampler, range));
    PetscCall(WidenSingleCentre(app, d, range));
    PetscCall(UmbExactCreate(app->cv, &app->exact));
    PetscCall(UmbExactSetGrid(app->exact, range, npts));
    PetscCall(UmbExactSetFromOptions(app->exact));
  }
  PetscCall(UmbExportCreate(comm, &app->exporter));
  PetscCall(UmbExportSetFromOptions(app->exporter));
  PetscCall(UmbImportCreate(comm, &app->importer));
  PetscCall(UmbImportSetFromOptions(app->importer));
  PetscCall(UmbDmapCreate(comm, &app->dmap));
  PetscCall(UmbDmapSetModel(app->dmap, app->model));
  PetscCall(UmbDmapSetSeed(app->dmap, app->seed));
  {
    PetscReal dt;
    PetscCall(UmbSamplerGetTimeStep(app->sampler, &dt));
    PetscCall(UmbDmapSetExploreTimeStep(app->dmap, dt)); /* the exploration integrates with -us_dt */
  }
  PetscCall(UmbDmapSetFromOptions(app->dmap));
  PetscCall(UmbAppCreateClosure(app));
  PetscCall(UmbRunSetFromOptions(app));
  PetscCall(UmbReportCreate(comm, &app->report));
  PetscCall(UmbReportSetFromOptions(app->report));
  PetscCall(UmbRunDirSetUp(comm, app->outdir));
  PetscCall(PetscOptionsHasHelp(NULL, &help));
  if (!help) PetscCall(UmbOptionsCheckUnused(comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The generator and the free-energy object (again for each coupling round), with the run's seed
   and restart */
PetscErrorCode UmbAppCreateStageObjects(UmbApp *app)
{
  PetscFunctionBegin;
  PetscCall(UmbGeneratorCreate(app->cv, &app->generator));
  PetscCall(UmbGeneratorSetSeed(app->generator, app->seed));
  PetscCall(UmbGeneratorSetRestart(app->generator, app->restart));
  PetscCall(UmbGeneratorSetFromOptions(app->generator));
  PetscCall(UmbGeneratorSetUp(app->generator));
  PetscCall(UmbFesCreate(app->comm, &app->fes));
  PetscCall(UmbFesSetSeed(app->fes, app->seed));
  PetscCall(UmbFesSetRestart(app->fes, app->restart));
  PetscCall(UmbFesSetFromOptions(app->fes));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The closure object on app->generator; its direct runs use the sampler's time step */
PetscErrorCode UmbAppCreateClosure(UmbApp *app)
{
  PetscReal dt;

  PetscFunctionBegin;
  PetscCall(UmbClosureCreate(app->cv, app->generator, &app->closure));
  PetscCall(UmbClosureSetSeed(app->closure, app->seed));
  PetscCall(UmbSamplerGetTimeStep(app->sampler, &dt));
  PetscCall(UmbClosureSetDirectTimeStep(app->closure, dt));
  PetscCall(UmbClosureSetFromOptions(app->closure));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbAppDestroy(UmbApp *app)
{
  PetscFunctionBegin;
  PetscCall(UmbReportDestroy(&app->report));
  PetscCall(UmbCouplingDestroy(&app->coupling));
  PetscCall(UmbClosureDestroy(&app->closure));
  PetscCall(UmbDmapDestroy(&app->dmap));
  PetscCall(UmbGeneratorDestroy(&app->generator));
  PetscCall(UmbExportDestroy(&app->exporter));
  PetscCall(UmbImportDestroy(&app->importer));
  PetscCall(UmbFesDestroy(&app->fes));
  PetscCall(UmbExactDestroy(&app->exact));
  PetscCall(UmbSamplerDestroy(&app->sampler));
  PetscCall(UmbCVDestroy(&app->cv));
  PetscCall(UmbModelDestroy(&app->model));
  PetscFunctionReturn(PETSC_SUCCESS);
}
