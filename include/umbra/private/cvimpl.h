/* Private layout of UmbCV: one ops table per type. */
#ifndef UMBRA_CVIMPL_H
#define UMBRA_CVIMPL_H

#include <umbra/cv.h>

typedef struct {
  PetscErrorCode (*setfromoptions)(UmbCV, PetscOptionItems *); /* options only: sets d and period when they follow from them */
  PetscErrorCode (*setup)(UmbCV);                              /* I/O; may set d, period and names */
  PetscErrorCode (*evaluate)(UmbCV, PetscInt, const PetscReal *, PetscReal *, PetscReal *);
  PetscErrorCode (*getcoordinates)(UmbCV, PetscBool *, PetscInt *); /* NULL: not coordinates */
  PetscErrorCode (*getlinear)(UmbCV, const PetscReal **);             /* NULL: not linear */
  PetscErrorCode (*getdihedrals)(UmbCV, const PetscInt **, PetscReal *); /* NULL: not dihedrals */
  PetscErrorCode (*view)(UmbCV, PetscViewer);
  PetscErrorCode (*destroy)(UmbCV);
} UmbCVOps;

struct _p_UmbCV {
  MPI_Comm  comm;
  UmbModel  model;
  char      type[32];
  UmbCVOps  ops;
  void     *data;
  char     *prefix;
  char      rundir[PETSC_MAX_PATH_LEN]; /* "" = the working directory */
  PetscInt  d, n;
  PetscReal period[2];
  char      names[2][80]; /* set by the type's setup, else "<type>[1|2]" */
  PetscBool setup;
};

/* Constructors of the built-in types: fill ops and data */
PETSC_INTERN PetscErrorCode UmbCVCreate_Coord(UmbCV);
PETSC_INTERN PetscErrorCode UmbCVCreate_Linear(UmbCV);
PETSC_INTERN PetscErrorCode UmbCVCreate_Native(UmbCV);
PETSC_INTERN PetscErrorCode UmbCVCreate_Plugin(UmbCV);
PETSC_INTERN PetscErrorCode UmbCVCreate_Dihedral(UmbCV);
PETSC_INTERN PetscErrorCode UmbCVCreate_Distance(UmbCV);

/* The native type's options check and evaluation, shared by the plugin type */
PETSC_INTERN PetscErrorCode UmbCVSetFromOptions_Native(UmbCV, PetscOptionItems *);
PETSC_INTERN PetscErrorCode UmbCVEvaluate_Native(UmbCV, PetscInt, const PetscReal *, PetscReal *, PetscReal *);

/* The molecular types' options (cv_atoms.c): -cv_atoms, per 1-based atom ids per component, into
   0-based atoms[] (sets d; checks n = 3 N, the ids' range, repeats within a component and two
   equal components, reversed order included), and -cv_names into names[d] (default
   "<type>(id-id-...)") */
#define UMB_CV_MAX_ATOMS 4
PETSC_INTERN PetscErrorCode UmbCVOptionsAtoms(UmbCV, PetscOptionItems *, PetscInt, PetscInt[]);
PETSC_INTERN PetscErrorCode UmbCVOptionsNames(UmbCV, PetscOptionItems *, PetscInt, const PetscInt[], char[][80]);

#endif
