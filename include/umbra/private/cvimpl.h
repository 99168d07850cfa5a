/* Private layout of UmbCV. */
#ifndef UMBRA_CVIMPL_H
#define UMBRA_CVIMPL_H

#include <umbra/cv.h>

struct _p_UmbCV {
  MPI_Comm   comm;
  UmbModel   model;
  char       type[32];
  PetscInt   d, n;
  PetscInt   index[2];   /* coord */
  PetscReal *weights;    /* linear: d x n */
  PetscReal  period[2];
  char       names[2][80];
  char       dmap_file[PETSC_MAX_PATH_LEN]; /* dmap: the map */
  UmbDmapExt dmap;                          /* dmap: its extension, NULL until loaded */
  PetscBool  setup;
};

#endif
