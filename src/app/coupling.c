/* `umbra run`'s coupling round (docs/coupling.md; the round itself is UmbCouplingRound in
   src/coupling/): after the merged samples.h5 the stages that follow get fresh objects. */
#include <umbra/private/app.h>

/* Fresh fes, generator and closure objects from the options: each stage object runs once; the
   coupling object follows the new generator */
static PetscErrorCode RenewStageObjects(UmbApp *app)
{
  PetscFunctionBegin;
  PetscCall(UmbClosureDestroy(&app->closure));
  PetscCall(UmbGeneratorDestroy(&app->generator));
  PetscCall(UmbFesDestroy(&app->fes));
  PetscCall(UmbAppCreateStageObjects(app));
  PetscCall(UmbAppCreateClosure(app));
  PetscCall(UmbCouplingSetGenerator(app->coupling, app->generator));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCommandCouplingRound(UmbApp *app, PetscInt round, PetscBool *finished)
{
  PetscFunctionBegin;
  PetscCall(UmbCouplingRound(app->coupling, app->sampler, app->outdir, round, finished));
  if (*finished) PetscCall(RenewStageObjects(app));
  PetscFunctionReturn(PETSC_SUCCESS);
}
