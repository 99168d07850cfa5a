/* umbra sample: umbrella windows across ranks -> samples.h5, windows.csv */
#include <umbra/private/app.h>

PetscErrorCode UmbCommandSample(UmbApp *app, PetscBool *finished)
{
  PetscViewer v = PETSC_VIEWER_STDOUT_(app->comm);
  PetscBool   done;

  PetscFunctionBegin;
  PetscCall(UmbSamplerSetUp(app->sampler));
  PetscCall(UmbModelView(app->model, v));
  PetscCall(UmbCVView(app->cv, v));
  PetscCall(UmbSamplerView(app->sampler, v));
  PetscCall(UmbSamplerRun(app->sampler, app->outdir, &done));
  if (finished) *finished = done;
  if (!done) {
    UmbSetExitStatus(UMB_EXIT_CHECKPOINTED);
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(UmbLog(app->comm, "wrote %s/samples.h5 and %s/windows.csv", app->outdir, app->outdir));
  PetscFunctionReturn(PETSC_SUCCESS);
}
