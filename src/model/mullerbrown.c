/* placeholder: implemented separately */
#include <umbra/private/modelimpl.h>

PetscErrorCode UmbModelCreate_MullerBrown(UmbModel m)
{
  PetscFunctionBegin;
  SETERRQ(m->comm, PETSC_ERR_SUP, "model mullerbrown is not available yet");
}
