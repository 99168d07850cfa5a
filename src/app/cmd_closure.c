/* umbra closure: closures from the physics samples and the generator, the consistency checks
   and the reduced SDE -> closures.csv, consistency.csv */
#include <umbra/private/app.h>

PetscErrorCode UmbCommandClosure(UmbApp *app)
{
  PetscViewer v = PETSC_VIEWER_STDOUT_(app->comm);

  PetscFunctionBegin;
  PetscCall(UmbClosureSetDirectory(app->closure, app->outdir));
  PetscCall(UmbClosureSetUp(app->closure));
  PetscCall(UmbClosureCompute(app->closure));
  PetscCall(UmbClosureWrite(app->closure));
  PetscCall(UmbClosureView(app->closure, v));
  PetscCall(UmbLog(app->comm, "wrote %s/closures.csv and %s/consistency.csv", app->outdir, app->outdir));
  PetscFunctionReturn(PETSC_SUCCESS);
}
