/* umbra export: the windows of samples.h5 in the input formats of pymbar, Grossfield's WHAM or
   gmx wham, or a molecular model's frames as XYZ -> <out>/export/<format>/ (docs/export.md) */
#include <umbra/private/app.h>

PetscErrorCode UmbCommandExport(UmbApp *app)
{
  PetscFunctionBegin;
  PetscCall(UmbExportWrite(app->exporter, app->outdir));
  PetscFunctionReturn(PETSC_SUCCESS);
}
