/* umbra exact: quadrature references of the built-in models -> exact.csv */
#include <umbra/private/app.h>

PetscErrorCode UmbCommandExact(UmbApp *app)
{
  char path[PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  PetscCall(PetscLogStagePush(UMB_STAGE.exact));
  PetscCall(UmbExactSetUp(app->exact));
  PetscCall(UmbPathJoin(app->outdir, "exact.csv", path, sizeof(path)));
  PetscCall(UmbExactWriteCsv(app->exact, path));
  PetscCall(UmbLog(app->comm, "wrote %s", path));
  PetscCall(PetscLogStagePop());
  PetscFunctionReturn(PETSC_SUCCESS);
}
