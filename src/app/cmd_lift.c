/* umbra lift: lifted states at -lift_z / -lift_grid values from the trained generator (gan.h5) -> lift.h5 */
#include <umbra/private/app.h>

PetscErrorCode UmbCommandLift(UmbApp *app)
{
  PetscFunctionBegin;
  PetscCall(UmbGeneratorLift(app->generator, app->outdir));
  PetscFunctionReturn(PETSC_SUCCESS);
}
