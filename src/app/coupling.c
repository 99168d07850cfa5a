/* `umbra run`'s coupling round (docs/coupling.md; the round itself is UmbCouplingRound in
   src/coupling/): after the merged samples.h5 the stages that follow get fresh objects. */
#include <umbra/private/app.h>

/* Fresh fes, gan and closure objects from the options: each stage object runs once */
static PetscErrorCode RenewStageObjects(UmbApp *app)
{
  PetscReal dt;

  PetscFunctionBegin;
  PetscCall(UmbClosureDestroy(&app->closure));
  PetscCall(UmbGanDestroy(&app->gan));
  PetscCall(UmbFesDestroy(&app->fes));
  PetscCall(UmbFesCreate(app->comm, &app->fes));
  PetscCall(UmbFesSetFromOptions(app->fes));
  PetscCall(UmbGanCreate(app->cv, &app->gan));
  PetscCall(UmbGanSetFromOptions(app->gan));
  PetscCall(UmbClosureCreate(app->cv, app->gan, &app->closure));
  PetscCall(UmbSamplerGetTimeStep(app->sampler, &dt));
  PetscCall(UmbClosureSetDirectTimeStep(app->closure, dt));
  PetscCall(UmbClosureSetFromOptions(app->closure));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCommandCouplingRound(UmbApp *app, PetscInt round, PetscBool *finished)
{
  PetscFunctionBegin;
  PetscCall(UmbCouplingRound(app->coupling, app->sampler, app->outdir, round, finished));
  if (*finished) PetscCall(RenewStageObjects(app));
  PetscFunctionReturn(PETSC_SUCCESS);
}
