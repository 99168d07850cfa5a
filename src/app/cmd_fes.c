/* umbra fes: free energies of the windows in samples.h5 -> fes.h5, fes.csv, windows.csv f,df */
#include <umbra/private/app.h>

PetscErrorCode UmbCommandFes(UmbApp *app, PetscBool *finished)
{
  PetscViewer v = PETSC_VIEWER_STDOUT_(app->comm);
  PetscBool   done;

  PetscFunctionBegin;
  PetscCall(UmbFesSetDirectory(app->fes, app->outdir));
  PetscCall(UmbFesSetUp(app->fes));
  PetscCall(UmbFesSolve(app->fes, &done));
  if (finished) *finished = done;
  if (!done) {
    UmbSetExitStatus(UMB_EXIT_CHECKPOINTED);
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(UmbFesView(app->fes, v));
  PetscCall(UmbFesWrite(app->fes));
  PetscCall(UmbLog(app->comm, "wrote %s/fes.h5 and %s/fes.csv; filled f,df in %s/windows.csv", app->outdir, app->outdir, app->outdir));
  PetscFunctionReturn(PETSC_SUCCESS);
}
