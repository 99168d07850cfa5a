/* umbra run: the campaign on one options file. Stages so far: sample, then the exact
   reference when the model has one. */
#include <umbra/private/app.h>

PetscErrorCode UmbCommandRun(UmbApp *app)
{
  PetscBool has_exact;
  char      why[256];

  PetscFunctionBegin;
  PetscCall(UmbLog(app->comm, "run: stage sample"));
  PetscCall(UmbCommandSample(app));
  PetscCall(UmbExactAvailable(app->cv, &has_exact, why, sizeof(why)));
  if (has_exact) {
    PetscCall(UmbLog(app->comm, "run: stage exact"));
    PetscCall(UmbCommandExact(app));
  } else PetscCall(UmbLog(app->comm, "run: no exact reference (%s)", why));
  PetscCall(UmbLog(app->comm, "run: done; results in %s", app->outdir));
  PetscFunctionReturn(PETSC_SUCCESS);
}
