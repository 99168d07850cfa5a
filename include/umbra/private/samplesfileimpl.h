/* Private layout of UmbSamplesFile (src/sample/samplesfile*.c), the owner of samples.h5. */
#ifndef UMBRA_SAMPLESFILEIMPL_H
#define UMBRA_SAMPLESFILEIMPL_H

#include <umbra/samplesfile.h>

struct _p_UmbSamplesFile {
  MPI_Comm        comm;
  UmbH5           h5;
  char            path[PETSC_MAX_PATH_LEN];
  PetscBool       have_table;
  UmbSamplesTable table;     /* read by UmbSamplesFileGetTable */
  PetscBool       have_pooled;
  UmbSamplesTable pooled;    /* UmbSamplesFileGetPooledTable, when windows are superseded */
};

/* dataset of an array */
PETSC_INTERN const char *const UmbSamplesArrayNames[];
PETSC_INTERN PetscErrorCode     UmbSamplesTableFree(UmbSamplesTable *);

#endif
