/* umbra report: plots, summary.json and the one-screen summary of the run directory */
#include <umbra/private/app.h>

PetscErrorCode UmbCommandReport(UmbApp *app)
{
  PetscFunctionBegin;
  PetscCall(UmbReportRun(app->report, app->outdir));
  PetscCall(UmbReportPrintSummary(app->report));
  PetscFunctionReturn(PETSC_SUCCESS);
}
