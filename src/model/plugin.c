/* placeholder: implemented separately */
#include <umbra/private/modelimpl.h>

PetscErrorCode UmbModelCreate_Plugin(UmbModel m)
{
  PetscFunctionBegin;
  SETERRQ(m->comm, PETSC_ERR_SUP, "model plugin is not available yet");
}
