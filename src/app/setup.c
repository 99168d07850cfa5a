/* Objects every command builds from the options. All stages read their options here, so a
   misspelled or invalid option stops any command before work starts. */
#include <umbra/private/app.h>

PetscErrorCode UmbAppSetUp(MPI_Comm comm, UmbApp *app)
{
  UmbModelType type;
  PetscBool    help;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(app, sizeof(*app)));
  app->comm = comm;
  PetscCall(UmbModelCreate(comm, &app->model));
  PetscCall(UmbModelSetFromOptions(app->model));
  PetscCall(UmbModelSetUp(app->model));
  PetscCall(UmbCVCreate(app->model, &app->cv));
  PetscCall(UmbCVSetFromOptions(app->cv));
  PetscCall(UmbCVSetUp(app->cv));
  PetscCall(UmbSamplerCreate(app->cv, &app->sampler));
  PetscCall(UmbSamplerSetFromOptions(app->sampler));
  {
    PetscReal range[4];
    PetscInt  npts[2] = {201, 201}, d;
    PetscCall(UmbCVGetDimension(app->cv, &d));
    if (d > 1) npts[0] = npts[1] = 101;
    PetscCall(UmbSamplerGetRange(app->sampler, range));
    PetscCall(UmbExactCreate(app->cv, &app->exact));
    PetscCall(UmbExactSetGrid(app->exact, range, npts));
    PetscCall(UmbExactSetFromOptions(app->exact));
  }
  PetscCall(UmbGanCreate(app->cv, &app->gan));
  PetscCall(UmbGanSetFromOptions(app->gan));
  PetscCall(UmbFesCreate(comm, &app->fes));
  PetscCall(UmbFesSetFromOptions(app->fes));
  PetscCall(UmbExportCreate(comm, &app->exporter));
  PetscCall(UmbExportSetFromOptions(app->exporter));
  PetscCall(UmbDmapCreate(comm, &app->dmap));
  PetscCall(UmbDmapSetModel(app->dmap, app->model));
  PetscCall(UmbDmapSetFromOptions(app->dmap));
  PetscCall(UmbClosureCreate(app->cv, app->gan, &app->closure));
  {
    PetscReal dt;
    PetscCall(UmbSamplerGetTimeStep(app->sampler, &dt));
    PetscCall(UmbClosureSetDirectTimeStep(app->closure, dt));
  }
  PetscCall(UmbClosureSetFromOptions(app->closure));
  PetscCall(UmbRunSetFromOptions(app));
  PetscCall(UmbReportCreate(comm, &app->report));
  PetscCall(UmbReportSetFromOptions(app->report));
  PetscCall(UmbCouplingCreate(app->cv, &app->coupling));
  PetscCall(UmbCouplingSetGenerator(app->coupling, app->gan));
  PetscCall(UmbCouplingSetFromOptions(app->coupling));
  PetscCall(UmbModelGetType(app->model, &type));
  PetscCall(UmbRunDirSetUp(comm, type, app->outdir, sizeof(app->outdir)));
  PetscCall(PetscOptionsHasHelp(NULL, &help));
  if (!help) PetscCall(UmbOptionsCheckUnused(comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbAppDestroy(UmbApp *app)
{
  PetscFunctionBegin;
  PetscCall(UmbReportDestroy(&app->report));
  PetscCall(UmbCouplingDestroy(&app->coupling));
  PetscCall(UmbClosureDestroy(&app->closure));
  PetscCall(UmbDmapDestroy(&app->dmap));
  PetscCall(UmbGanDestroy(&app->gan));
  PetscCall(UmbExportDestroy(&app->exporter));
  PetscCall(UmbFesDestroy(&app->fes));
  PetscCall(UmbExactDestroy(&app->exact));
  PetscCall(UmbSamplerDestroy(&app->sampler));
  PetscCall(UmbCVDestroy(&app->cv));
  PetscCall(UmbModelDestroy(&app->model));
  PetscFunctionReturn(PETSC_SUCCESS);
}
