/* umbra train: data-parallel training of the generator (-generator) -> gan.h5, train.csv */
#include <umbra/private/app.h>

PetscErrorCode UmbCommandTrain(UmbApp *app, PetscBool *finished)
{
  PetscBool done;

  PetscFunctionBegin;
  PetscCall(PetscLogStagePush(UMB_STAGE.train));
  PetscCall(UmbGeneratorView(app->generator, PETSC_VIEWER_STDOUT_(app->comm)));
  PetscCall(UmbGeneratorTrain(app->generator, app->outdir, &done));
  if (!done) UmbSetExitStatus(UMB_EXIT_CHECKPOINTED);
  if (finished) *finished = done;
  PetscCall(PetscLogStagePop());
  PetscFunctionReturn(PETSC_SUCCESS);
}
