/* Private layout of UmbModel: one ops table per type. */
#ifndef UMBRA_MODELIMPL_H
#define UMBRA_MODELIMPL_H

#include <umbra/model.h>

typedef struct {
  PetscErrorCode (*setfromoptions)(UmbModel, PetscOptionItems *);
  PetscErrorCode (*setup)(UmbModel);
  PetscErrorCode (*energygradient)(UmbModel, PetscInt, const PetscReal *, PetscReal *, PetscReal *);
  PetscErrorCode (*nativecv)(UmbModel, PetscInt, const PetscReal *, PetscReal *, PetscReal *);
  PetscErrorCode (*advance)(UmbModel, UmbDynamics *, PetscReal *, PetscReal *); /* NULL: no dynamics of its own */
  PetscErrorCode (*canonical)(UmbModel, PetscInt, PetscReal *);                  /* NULL: states are saved as they are */
  PetscErrorCode (*setenginecomm)(UmbModel, MPI_Comm);                           /* NULL: one rank per state only */
  PetscErrorCode (*serve)(UmbModel);                                             /* with setenginecomm */
  PetscErrorCode (*release)(UmbModel);
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
  PetscReal  *vthermal;    /* length n, models with dynamics: velocity standard deviations */
  PetscReal   temperature; /* of the dynamics (0: none) */
  char        energy_unit[32]; /* "" : reduced units */
  char        rundir[PETSC_MAX_PATH_LEN]; /* "" : none */
  PetscInt    natoms;      /* molecular models: atoms (n = 3 natoms), else 0 */
  char      **atom_names, **atom_elements;
  PetscReal  *atom_mass;
  PetscInt   *atom_type;
};

/* Constructors of the types: fill ops and data */
PETSC_INTERN PetscErrorCode UmbModelCreate_FastSlow(UmbModel);
PETSC_INTERN PetscErrorCode UmbModelCreate_MullerBrown(UmbModel);
PETSC_INTERN PetscErrorCode UmbModelCreate_Ring(UmbModel);
PETSC_INTERN PetscErrorCode UmbModelCreate_Plugin(UmbModel);
PETSC_INTERN PetscErrorCode UmbModelCreate_Imported(UmbModel);
PETSC_INTERN PetscErrorCode UmbModelCreate_Lammps(UmbModel);

/* lammps (for its tests): the energy terms of state x (bond, angle, dihedral, improper, van der
   Waals, Coulomb incl. long-range: the engine's ebond, eangle, edihed, eimp, evdwl, ecoul+elong),
   and the engine's potential energy and forces at x with the umbrella force of dyn->bias added
   through the callback, as the dynamics sees them */
PETSC_INTERN PetscErrorCode UmbModelLammpsEnergyTerms(UmbModel, const PetscReal[], PetscReal[6]);
PETSC_INTERN PetscErrorCode UmbModelLammpsBiasedForces(UmbModel, UmbDynamics *, const PetscReal[], PetscReal *, PetscReal[]);

/* Rotates centred positions x (natoms x 3) onto centred ref, mass-weighted least squares */
PETSC_INTERN PetscErrorCode UmbAlignToReference(PetscInt, const PetscReal[], const PetscReal[], PetscReal[]);

/* Collective: a failure seen on some ranks (code != 0 with its message in err) becomes the
   lowest such rank's code and message on every rank, for an error raised on the model's
   communicator (types that load files: plugin, lammps) */
PETSC_INTERN PetscErrorCode UmbModelAgreeError(MPI_Comm, PetscErrorCode *, char[], int);

/* Used by type SetUp functions: allocate mobility/reference/names once n is known */
PETSC_INTERN PetscErrorCode UmbModelAllocate(UmbModel, PetscInt);

#endif
