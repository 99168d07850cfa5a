/* Private state of the system layer, shared by src/sys files only. */
#ifndef UMBRA_SYSIMPL_H
#define UMBRA_SYSIMPL_H

#include <umbra/sys.h>

typedef struct {
  PetscBool      set;
  PetscErrorCode code;
  MPI_Comm       comm;
  char           message[4096];
  char           where[256];
} UmbFirstError;

PETSC_INTERN UmbFirstError umb_first_error;
PETSC_INTERN PetscBool     umb_error_traceback;
PETSC_INTERN PetscErrorCode UmbErrorHandler(MPI_Comm, int, const char *, const char *, PetscErrorCode, PetscErrorType, const char *, void *);
PETSC_INTERN int            UmbExitCodeFromError(PetscErrorCode);
PETSC_INTERN void           UmbErrorExplainOptionValue(char *, size_t);
PETSC_INTERN PetscErrorCode UmbLogRegisterAll(void);
PETSC_INTERN PetscErrorCode UmbLogSetStart(void);
PETSC_INTERN PetscErrorCode UmbProvenanceReset(void);

#endif
