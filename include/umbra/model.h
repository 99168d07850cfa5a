/* Models: potentials U(x) on R^n with gradients, mobility and temperature.
   Built-in types fastslow, mullerbrown and ring (exact references in docs/models.md) and
   plugin (a user's shared library, ABI in umbra/plugin.h). */
#ifndef UMBRA_MODEL_H
#define UMBRA_MODEL_H

#include <umbra/sys.h>

typedef struct _p_UmbModel *UmbModel;
typedef const char         *UmbModelType;
#define UMBMODELFASTSLOW    "fastslow"
#define UMBMODELMULLERBROWN "mullerbrown"
#define UMBMODELRING        "ring"
#define UMBMODELPLUGIN      "plugin"
#define UMBMODELIMPORTED    "imported" /* the coordinates of umbra import, no potential */

/* Collective: all ranks hold the same model. */
PETSC_EXTERN PetscErrorCode UmbModelCreate(MPI_Comm, UmbModel *);
PETSC_EXTERN PetscErrorCode UmbModelSetType(UmbModel, UmbModelType);
/* Reads -model, -beta and the type's own options (-fastslow_*, -mb_*, -ring_*, -model_plugin*) */
PETSC_EXTERN PetscErrorCode UmbModelSetFromOptions(UmbModel);
/* Prefix of the options SetFromOptions reads (default none) */
PETSC_EXTERN PetscErrorCode UmbModelSetOptionsPrefix(UmbModel, const char[]);
PETSC_EXTERN PetscErrorCode UmbModelSetUp(UmbModel);
PETSC_EXTERN PetscErrorCode UmbModelView(UmbModel, PetscViewer);
PETSC_EXTERN PetscErrorCode UmbModelDestroy(UmbModel *);

PETSC_EXTERN PetscErrorCode UmbModelGetType(UmbModel, UmbModelType *);
PETSC_EXTERN PetscErrorCode UmbModelGetComm(UmbModel, MPI_Comm *);
PETSC_EXTERN PetscErrorCode UmbModelGetDimension(UmbModel, PetscInt *);
PETSC_EXTERN PetscErrorCode UmbModelGetBeta(UmbModel, PetscReal *);
/* Diagonal mobility M (length n): dX = -M grad U dt + sqrt(2M/beta) dW */
PETSC_EXTERN PetscErrorCode UmbModelGetMobility(UmbModel, const PetscReal **);
/* A low-energy reference state (length n) from which windows are prepared */
PETSC_EXTERN PetscErrorCode UmbModelGetReferenceState(UmbModel, PetscReal[]);
/* Coordinates beyond this magnitude mean the integration blew up */
PETSC_EXTERN PetscErrorCode UmbModelGetDomainBound(UmbModel, PetscReal *);
/* Coordinate names for outputs (x, y1, ... for fastslow) */
PETSC_EXTERN PetscErrorCode UmbModelGetCoordinateName(UmbModel, PetscInt, const char **);

/* Energies and gradients of nw states stored row by row in x (nw x n).
   U (length nw) or g (nw x n) may be NULL. Not collective; thread-safe. */
PETSC_EXTERN PetscErrorCode UmbModelEnergyGradient(UmbModel, PetscInt, const PetscReal[], PetscReal[], PetscReal[]);

/* Model-native collective variable (fastslow: x, ring: the angle theta, plugin: its own CV if
   it has one). d is 0 when the model has none. z is nw x d, J (nw x d x n) may be NULL. */
PETSC_EXTERN PetscErrorCode UmbModelGetNativeCVDimension(UmbModel, PetscInt *);
PETSC_EXTERN PetscErrorCode UmbModelNativeCV(UmbModel, PetscInt, const PetscReal[], PetscReal[], PetscReal[]);
/* Period of each native CV component (0 when not periodic) */
PETSC_EXTERN PetscErrorCode UmbModelGetNativeCVPeriod(UmbModel, PetscReal[]);

#endif
