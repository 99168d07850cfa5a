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
#define UMBMODELLAMMPS      "lammps"   /* a molecular system in LAMMPS (built with liblammps) */

/* Collective: all ranks hold the same model. */
PETSC_EXTERN PetscErrorCode UmbModelCreate(MPI_Comm, UmbModel *);
PETSC_EXTERN PetscErrorCode UmbModelSetType(UmbModel, UmbModelType);
/* Reads -model, -beta and the type's own options (-fastslow_*, -mb_*, -ring_*, -model_plugin*) */
PETSC_EXTERN PetscErrorCode UmbModelSetFromOptions(UmbModel);
/* Prefix of the options SetFromOptions reads (default none) */
PETSC_EXTERN PetscErrorCode UmbModelSetOptionsPrefix(UmbModel, const char[]);
/* Run directory, where types that write files put them (lammps: its log); default none */
PETSC_EXTERN PetscErrorCode UmbModelSetRunDirectory(UmbModel, const char[]);
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
/* Whether the model has a potential energy (imported samples have none: UmbModelEnergyGradient then
   stops with a message that says so) */
PETSC_EXTERN PetscErrorCode UmbModelHasPotential(UmbModel, PetscBool *);

/* Model-native collective variable (fastslow: x, ring: the angle theta, plugin: its own CV if
   it has one). d is 0 when the model has none. z is nw x d, J (nw x d x n) may be NULL. */
PETSC_EXTERN PetscErrorCode UmbModelGetNativeCVDimension(UmbModel, PetscInt *);
PETSC_EXTERN PetscErrorCode UmbModelNativeCV(UmbModel, PetscInt, const PetscReal[], PetscReal[], PetscReal[]);
/* Period of each native CV component (0 when not periodic) */
PETSC_EXTERN PetscErrorCode UmbModelGetNativeCVPeriod(UmbModel, PetscReal[]);

/* Molecular models (lammps): the atoms behind the coordinates, atom i (0-based) at coordinates
   3i .. 3i+2: names (from the data file's comments, else the element and id), masses, engine
   types and chemical elements (guessed from the mass: H, C, N, O, ...; "X" when unknown).
   natoms is 0 and the arrays NULL for the other models. */
PETSC_EXTERN PetscErrorCode UmbModelGetAtoms(UmbModel, PetscInt *, const char *const **, const PetscReal **, const PetscInt **, const char *const **);

/* States as saved (nw x n, in place): molecular models move the centre of mass to the origin and
   rotate the molecule onto the reference structure (lammps, -lammps_align); energy and
   molecular CVs do not change. A no-op for the other models. Not collective. */
PETSC_EXTERN PetscErrorCode UmbModelCanonicalFrame(UmbModel, PetscInt, PetscReal[]);

/* Models with dynamics of their own (lammps: velocity Verlet with a Langevin thermostat in the
   engine). A call advances one state (positions x and velocities v, length n each) over the
   global steps [s0, s1), asking bias() for the umbrella energy and gradient at every step and
   calling save() after every step t >= save_first with (t - save_first) % save_stride == 0.
   seed (> 0) keys the engine's noise for this call. Not collective. */
typedef struct {
  PetscReal  dt;
  PetscInt64 s0, s1, save_first, save_stride;
  uint64_t   seed;
  PetscErrorCode (*bias)(void *, const PetscReal[], PetscReal *, PetscReal[]);
  PetscErrorCode (*save)(void *, PetscInt64, const PetscReal[]);
  void      *ctx;
  PetscReal  temperature; /* out: mean kinetic temperature over the steps (the model's unit) */
  PetscInt64 blowup;      /* out: the step at which the state blew up (x is then non-finite), or -1 */
} UmbDynamics;
PETSC_EXTERN PetscErrorCode UmbModelHasDynamics(UmbModel, PetscBool *);
PETSC_EXTERN PetscErrorCode UmbModelAdvance(UmbModel, UmbDynamics *, PetscReal[], PetscReal[]);
/* Standard deviation of each velocity component at the model's temperature (length n) */
PETSC_EXTERN PetscErrorCode UmbModelGetThermalVelocity(UmbModel, const PetscReal **);
/* The target temperature of the dynamics and the model's energy unit ("kcal/mol"), or "" */
PETSC_EXTERN PetscErrorCode UmbModelGetTemperature(UmbModel, PetscReal *);
PETSC_EXTERN PetscErrorCode UmbModelGetEnergyUnit(UmbModel, const char **);

/* Engine groups (models run by an engine: lammps). UmbModelSetEngineComm (collective over the
   model's communicator) runs the engine on comm, a sub-communicator of ranks that share one
   instance; PETSC_COMM_SELF (the default) gives each rank its own. Rank 0 of comm, the group's
   leader, makes the calls (energy, gradient, dynamics); the other ranks of the group call
   UmbModelEngineServe, which takes part in each of the leader's calls until the leader calls
   UmbModelEngineRelease. With one rank per group both are no-ops. The engine's floating-point
   sums depend on the group's size: results are reproducible for a fixed group size only. */
PETSC_EXTERN PetscErrorCode UmbModelSetEngineComm(UmbModel, MPI_Comm);
PETSC_EXTERN PetscErrorCode UmbModelEngineServe(UmbModel);
PETSC_EXTERN PetscErrorCode UmbModelEngineRelease(UmbModel);

#endif
