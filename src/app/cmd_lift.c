/* umbra lift: lifted states at -lift_z / -lift_grid values from gan.h5 -> lift.h5 */
#include <umbra/private/app.h>

PetscErrorCode UmbCommandLift(UmbApp *app)
{
  PetscFunctionBegin;
  PetscCall(UmbGanLift(app->gan, app->outdir));
  PetscFunctionReturn(PETSC_SUCCESS);
}
