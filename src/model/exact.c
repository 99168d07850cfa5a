/* placeholder: implemented separately */
#include <umbra/exact.h>

struct _p_UmbExact {
  UmbCV cv;
};

PetscErrorCode UmbExactAvailable(UmbCV cv, PetscBool *has, char why[], size_t len)
{
  PetscFunctionBegin;
  *has = PETSC_FALSE;
  snprintf(why, len, "not implemented");
  PetscFunctionReturn(PETSC_SUCCESS);
}
PetscErrorCode UmbExactCreate(UmbCV cv, UmbExact *e)
{
  PetscFunctionBegin;
  PetscCall(PetscNew(e));
  (*e)->cv = cv;
  PetscFunctionReturn(PETSC_SUCCESS);
}
PetscErrorCode UmbExactSetGrid(UmbExact e, const PetscReal r[], const PetscInt n[]) { return 0; }
PetscErrorCode UmbExactSetFromOptions(UmbExact e) { return 0; }
PetscErrorCode UmbExactSetUp(UmbExact e) { SETERRQ(PETSC_COMM_WORLD, PETSC_ERR_SUP, "exact not implemented"); }
PetscErrorCode UmbExactDestroy(UmbExact *e) { return PetscFree(*e); }
PetscErrorCode UmbExactGetObservables(UmbExact e, PetscInt *n, const char *const **names) { return 0; }
PetscErrorCode UmbExactEvaluate(UmbExact e, const PetscReal z[], PetscReal *F, PetscReal obs[]) { return 0; }
PetscErrorCode UmbExactWriteCsv(UmbExact e, const char path[]) { return 0; }
