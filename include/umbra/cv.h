/* Collective variables z = xi(x) in R^d, d = 1 or 2, with their gradients.
   Types: coord (coordinates -cv_index i[,j]), linear (-cv_weights, d x n row-major),
   native (the model's own slow variable: fastslow x, ring theta), plugin (the plugin model's CV),
   dmap (a learned coordinate: the Nystrom extension of a diffusion map in dmap.h5). */
#ifndef UMBRA_CV_H
#define UMBRA_CV_H

#include <umbra/model.h>
#include <umbra/dmap.h>

typedef struct _p_UmbCV *UmbCV;
typedef const char      *UmbCVType;
#define UMBCVCOORD  "coord"
#define UMBCVLINEAR "linear"
#define UMBCVNATIVE "native"
#define UMBCVPLUGIN "plugin"
#define UMBCVDMAP   "dmap"

PETSC_EXTERN PetscErrorCode UmbCVCreate(UmbModel, UmbCV *);
/* Reads -cv, -cv_index, -cv_weights; the default type is the model's native CV when it has one,
   else coord with -cv_index 0 */
PETSC_EXTERN PetscErrorCode UmbCVSetFromOptions(UmbCV);
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
/* Label for outputs, e.g. "x", "x_2", "linear" */
PETSC_EXTERN PetscErrorCode UmbCVGetName(UmbCV, PetscInt, const char **);

/* z = xi(x) for nw states (x: nw x n, z: nw x d); J (nw x d x n) may be NULL. Not collective. */
PETSC_EXTERN PetscErrorCode UmbCVEvaluate(UmbCV, PetscInt, const PetscReal[], PetscReal[], PetscReal[]);
/* -cv dmap: the map file (-cv_dmap_file, default <out>/dmap.h5) is read when the CV is set up
   if it exists; umbra run makes it first when it does not (then d comes from -dmap_dim or
   -dmap_coords). Require: collective, fails unless the map is loaded; Load: collective,
   (re)reads the file. The extension may be NULL for other CV types or before loading. */
PETSC_EXTERN PetscErrorCode UmbCVDmapRequire(UmbCV);
PETSC_EXTERN PetscErrorCode UmbCVDmapLoad(UmbCV);
PETSC_EXTERN PetscErrorCode UmbCVDmapGetFile(UmbCV, const char **);
PETSC_EXTERN PetscErrorCode UmbCVDmapGetExtension(UmbCV, UmbDmapExt *);
/* Minimum-image difference a - b of component k */
PETSC_EXTERN PetscReal      UmbCVDifference(UmbCV, PetscInt, PetscReal, PetscReal);

#endif
