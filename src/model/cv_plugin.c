/* plugin: the plugin model's own CV (umbra_plugin_cv, plugin.c), evaluated as the native one. */
#include <umbra/private/cvimpl.h>
#include <umbra/private/modelimpl.h>

static PetscErrorCode SetFromOptions_Plugin(UmbCV cv, PetscOptionItems *PetscOptionsObject)
{
  PetscFunctionBegin;
  PetscCall(UmbCVSetFromOptions_Native(cv, PetscOptionsObject));
  PetscCheck(!strcmp(cv->model->type, UMBMODELPLUGIN), cv->comm, PETSC_ERR_USER_INPUT, "-cv plugin needs -model plugin");
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVCreate_Plugin(UmbCV cv)
{
  PetscFunctionBegin;
  cv->ops.setfromoptions = SetFromOptions_Plugin;
  cv->ops.evaluate       = UmbCVEvaluate_Native;
  PetscFunctionReturn(PETSC_SUCCESS);
}
