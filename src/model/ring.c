/* placeholder: implemented separately */
#include <umbra/private/modelimpl.h>

PetscErrorCode UmbModelCreate_Ring(UmbModel m)
{
  PetscFunctionBegin;
  SETERRQ(m->comm, PETSC_ERR_SUP, "model ring is not available yet");
}
