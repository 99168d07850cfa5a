/* umbra import: umbrella data of GROMACS, PLUMED or Grossfield's WHAM -> <out>/samples.h5,
   windows.csv (docs/import.md) */
#include <umbra/private/app.h>

PetscErrorCode UmbCommandImport(UmbApp *app)
{
  PetscFunctionBegin;
  PetscCall(UmbImportWrite(app->importer, app->outdir));
  PetscFunctionReturn(PETSC_SUCCESS);
}
