/* Private layout of UmbModel: one ops table per type. */
#ifndef UMBRA_MODELIMPL_H
#define UMBRA_MODELIMPL_H

#include <umbra/model.h>

typedef struct {
  PetscErrorCode (*setfromoptions)(UmbModel, PetscOptionItems *);
  PetscErrorCode (*setup)(UmbModel);
  PetscErrorCode (*energygradient)(UmbModel, PetscInt, const PetscReal *, PetscReal *, PetscReal *);
  PetscErrorCode (*nativecv)(UmbModel, PetscInt, const PetscReal *, PetscReal *, PetscReal *);
  PetscErrorCode (*view)(UmbModel, PetscViewer);
  PetscErrorCode (*destroy)(UmbModel);
} UmbModelOps;

struct _p_UmbModel {
  MPI_Comm    comm;
  char        type[64];
  char        prefix[UMB_PREFIX_LEN]; /* of the options ("": none) */
  UmbModelOps ops;
  void       *data;
  PetscBool   setup;
  PetscInt    n;           /* dimension of x */
  PetscReal   beta;        /* inverse temperature */
  PetscReal  *mobility;    /* length n */
  PetscReal  *reference;   /* length n */
  PetscReal   bound;       /* blow-up threshold on |x_i| */
  PetscInt    native_d;    /* dimension of the native CV, 0 if none */
  PetscReal   native_period[2];
  char      **coord_names; /* length n */
};

/* Constructors of the types: fill ops and data */
PETSC_INTERN PetscErrorCode UmbModelCreate_FastSlow(UmbModel);
PETSC_INTERN PetscErrorCode UmbModelCreate_MullerBrown(UmbModel);
PETSC_INTERN PetscErrorCode UmbModelCreate_Ring(UmbModel);
PETSC_INTERN PetscErrorCode UmbModelCreate_Plugin(UmbModel);
PETSC_INTERN PetscErrorCode UmbModelCreate_Imported(UmbModel);

/* Used by type SetUp functions: allocate mobility/reference/names once n is known */
PETSC_INTERN PetscErrorCode UmbModelAllocate(UmbModel, PetscInt);

#endif
