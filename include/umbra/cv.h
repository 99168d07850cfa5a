/* Collective variables z = xi(x) in R^d, d = 1 or 2, with their gradients.
   Types (a table, UmbCVRegister): coord (coordinates -cv_index i[,j]), linear (-cv_weights,
   d x n row-major), native (the model's own slow variable: fastslow x, ring theta), plugin (the
   plugin model's CV), dihedral and distance (of the atoms -cv_atoms names, for a model whose
   state is atom positions, atom i at x[3 (i - 1) + 0..2]); dmap (a learned coordinate) is
   registered by the diffusion-map module (UmbDmapRegisterCV in umbra/dmap.h). */
#ifndef UMBRA_CV_H
#define UMBRA_CV_H

#include <umbra/model.h>

typedef struct _p_UmbCV *UmbCV;
typedef const char      *UmbCVType;
#define UMBCVCOORD  "coord"
#define UMBCVLINEAR "linear"
#define UMBCVNATIVE "native"
#define UMBCVPLUGIN "plugin"
#define UMBCVDIHEDRAL "dihedral"
#define UMBCVDISTANCE "distance"

/* Adds a type (or replaces the one of that name): create fills the CV's ops and data. Types are
   offered to -cv in the order they were registered, the built-in ones first. Not collective. */
PETSC_EXTERN PetscErrorCode UmbCVRegister(const char[], PetscErrorCode (*)(UmbCV));
/* Registers the built-in types; called by UmbCVCreate and UmbCVRegister */
PETSC_EXTERN PetscErrorCode UmbCVRegisterAll(void);

PETSC_EXTERN PetscErrorCode UmbCVCreate(UmbModel, UmbCV *);
PETSC_EXTERN PetscErrorCode UmbCVSetType(UmbCV, UmbCVType);
/* Prefix of the CV's options (default none: -cv, -cv_index, ...) */
PETSC_EXTERN PetscErrorCode UmbCVSetOptionsPrefix(UmbCV, const char[]);
/* Run directory, where types look for their files (dmap: <dir>/dmap.h5); default none: the
   working directory. Call before UmbCVSetFromOptions. */
PETSC_EXTERN PetscErrorCode UmbCVSetRunDirectory(UmbCV, const char[]);
/* Reads -cv and the type's options (-cv_index, -cv_weights, ...); the default type is the
   model's native CV when it has one, else coord with -cv_index 0. The model must be set up. */
PETSC_EXTERN PetscErrorCode UmbCVSetFromOptions(UmbCV);
/* The type's set-up (dmap reads its map) and the component names */
PETSC_EXTERN PetscErrorCode UmbCVSetUp(UmbCV);
PETSC_EXTERN PetscErrorCode UmbCVView(UmbCV, PetscViewer);
PETSC_EXTERN PetscErrorCode UmbCVDestroy(UmbCV *);

PETSC_EXTERN PetscErrorCode UmbCVGetType(UmbCV, UmbCVType *);
PETSC_EXTERN PetscErrorCode UmbCVGetDimension(UmbCV, PetscInt *);
PETSC_EXTERN PetscErrorCode UmbCVGetModel(UmbCV, UmbModel *);
/* Period of each component (0 when not periodic); differences use the minimum image */
PETSC_EXTERN PetscErrorCode UmbCVGetPeriod(UmbCV, PetscReal[]);
/* For coord CVs: the coordinate index of each component (else PETSC_FALSE) */
PETSC_EXTERN PetscErrorCode UmbCVGetCoordinates(UmbCV, PetscBool *, PetscInt[]);
/* For linear CVs: the d x n weights W of z = W x, row after row (else PETSC_FALSE and NULL) */
PETSC_EXTERN PetscErrorCode UmbCVGetLinear(UmbCV, PetscBool *, const PetscReal **);
/* For dihedral CVs: the four atoms (0-based) of each component, 4 d values, and the CV's unit
   per radian (1, or 180/pi with -cv_angle_unit degree); else PETSC_FALSE and NULL */
PETSC_EXTERN PetscErrorCode UmbCVGetDihedrals(UmbCV, PetscBool *, const PetscInt **, PetscReal *);
/* Whether every level set {x : xi(x) = z} is an affine subspace that the state moves along
   without changing z, in orthonormal coordinates: coordinate and linear CVs. A density over
   those coordinates is then a density on the level set (flow moves, reweighted closures). */
PETSC_EXTERN PetscErrorCode UmbCVHasFlatLevelSets(UmbCV, PetscBool *);
/* Label for outputs, e.g. "x", "x_2", "linear" */
PETSC_EXTERN PetscErrorCode UmbCVGetName(UmbCV, PetscInt, const char **);

/* z = xi(x) for nw states (x: nw x n, z: nw x d); J (nw x d x n) may be NULL. Not collective. */
PETSC_EXTERN PetscErrorCode UmbCVEvaluate(UmbCV, PetscInt, const PetscReal[], PetscReal[], PetscReal[]);
/* Minimum-image difference a - b of component k */
PETSC_EXTERN PetscReal      UmbCVDifference(UmbCV, PetscInt, PetscReal, PetscReal);

#endif
