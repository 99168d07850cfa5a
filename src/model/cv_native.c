/* native: the model's own collective variable (fastslow x, ring theta), its nativecv op. The
   plugin type (cv_plugin.c) is the same CV for a plugin model. */
#include <umbra/private/cvimpl.h>
#include <umbra/private/modelimpl.h>

PetscErrorCode UmbCVSetFromOptions_Native(UmbCV cv, PetscOptionItems *PetscOptionsObject)
{
  UmbModel m = cv->model;

  PetscFunctionBegin;
  PetscCheck(m->native_d > 0, cv->comm, PETSC_ERR_USER_INPUT, "-cv %s: model %s defines no collective variable of its own%s", cv->type, m->type, !strcmp(m->type, UMBMODELPLUGIN) ? " (the plugin has no umbra_plugin_cv)" : "");
  cv->d = m->native_d;
  for (PetscInt a = 0; a < cv->d; a++) cv->period[a] = m->native_period[a];
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVEvaluate_Native(UmbCV cv, PetscInt nw, const PetscReal *X, PetscReal *z, PetscReal *J)
{
  PetscFunctionBegin;
  PetscCall(UmbModelNativeCV(cv->model, nw, X, z, J));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* the names the exact references and docs use: x (fastslow), theta (ring) */
static PetscErrorCode SetUp_Native(UmbCV cv)
{
  PetscFunctionBegin;
  if (!strcmp(cv->model->type, UMBMODELFASTSLOW)) snprintf(cv->names[0], sizeof(cv->names[0]), "x");
  if (!strcmp(cv->model->type, UMBMODELRING)) snprintf(cv->names[0], sizeof(cv->names[0]), "theta");
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* fastslow's native CV is its coordinate 0 */
static PetscErrorCode GetCoordinates_Native(UmbCV cv, PetscBool *is, PetscInt *idx)
{
  PetscFunctionBegin;
  *is = (PetscBool)!strcmp(cv->model->type, UMBMODELFASTSLOW);
  if (*is && idx) idx[0] = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVCreate_Native(UmbCV cv)
{
  PetscFunctionBegin;
  cv->ops.setfromoptions = UmbCVSetFromOptions_Native;
  cv->ops.setup          = SetUp_Native;
  cv->ops.evaluate       = UmbCVEvaluate_Native;
  cv->ops.getcoordinates = GetCoordinates_Native;
  PetscFunctionReturn(PETSC_SUCCESS);
}
