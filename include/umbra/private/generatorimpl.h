/* Private layout of UmbGenerator: one ops table per type. */
#ifndef UMBRA_GENERATORIMPL_H
#define UMBRA_GENERATORIMPL_H

#include <umbra/generator.h>

/* NULL entries: setfromoptions, setup, view, destroy, setseed, setrestart (nothing to do);
   logdensity, getnoisedim, pushforward (no density: all three NULL); every other op is required */
typedef struct {
  PetscErrorCode (*setfromoptions)(UmbGenerator);
  PetscErrorCode (*setup)(UmbGenerator);
  PetscErrorCode (*view)(UmbGenerator, PetscViewer);
  PetscErrorCode (*destroy)(UmbGenerator);
  PetscErrorCode (*setseed)(UmbGenerator, PetscInt64);
  PetscErrorCode (*setrestart)(UmbGenerator, PetscBool);
  PetscErrorCode (*getgenerated)(UmbGenerator, PetscInt *);
  PetscErrorCode (*checkgenerates)(UmbGenerator);
  PetscErrorCode (*train)(UmbGenerator, const char[], PetscBool *);
  PetscErrorCode (*load)(UmbGenerator, const char[]);
  PetscErrorCode (*istrained)(UmbGenerator, PetscBool *);
  /* block 0 the lifted states, then nrep calibration replicates (UmbGeneratorGenerateReplicates) */
  PetscErrorCode (*generate)(UmbGenerator, PetscInt, const PetscReal[], const PetscInt64[], PetscInt, PetscReal[]);
  PetscErrorCode (*getreplicates)(UmbGenerator, PetscInt *);
  PetscErrorCode (*generateseeds)(UmbGenerator, uint64_t, PetscInt, const PetscReal[], PetscReal[]);
  PetscErrorCode (*getrange)(UmbGenerator, PetscReal[]);
  /* log q(x | z) into logq and, where noise is not NULL, T^{-1}(x; z) into noise */
  PetscErrorCode (*logdensity)(UmbGenerator, PetscInt, const PetscReal[], const PetscReal[], PetscReal[], PetscReal[]);
  PetscErrorCode (*getnoisedim)(UmbGenerator, PetscInt *);
  PetscErrorCode (*pushforward)(UmbGenerator, PetscInt, const PetscReal[], const PetscReal[], PetscReal[], PetscReal[]);
} UmbGeneratorOps;

struct _p_UmbGenerator {
  MPI_Comm        comm;
  UmbCV           cv;
  char            type[64];
  char            prefix[UMB_PREFIX_LEN]; /* options prefix, "": none */
  PetscInt64      seed;                   /* the run's seed and restart, handed to the type */
  PetscBool       restart;
  const char     *file;   /* the type's file in the run directory (gan.h5), set by its constructor */
  /* what umbra lift lifts (-lift_z, -lift_grid, -lift_n): nlift_z points lift_z, or a grid (lo,
     hi, count per component; nlift_grid values), or 11 points per component over the trained
     range; lift_n states each */
  PetscReal      *lift_z, lift_grid[6];
  PetscInt        nlift_z, nlift_grid, lift_n;
  PetscBool       lift_project; /* -lift_project: Newton projection of lifted states onto xi(x) = z */
  UmbGeneratorOps ops;
  void           *data;
  PetscBool       setup;
};

/* Rows of lifting are generated in blocks aligned to multiples of this (UMB_GAN_BLOCK,
   UMB_FLOW_BLOCK): a row's value does not depend on the rank that generates it */
#define UMB_LIFT_BLOCK 256

/* Collective: umbra lift for every type (src/generator/lift.c). Loads the type's file in dir
   unless trained, generates (UmbGeneratorGenerate) and writes <dir>/lift.h5 */
PETSC_INTERN PetscErrorCode UmbGeneratorLiftToFile(UmbGenerator, const char dir[]);

/* Constructors of the built-in types (UmbGeneratorRegisterAll lists them): fill ops, file and data */
PETSC_INTERN PetscErrorCode UmbGeneratorCreate_GAN(UmbGenerator);
PETSC_INTERN PetscErrorCode UmbGeneratorCreate_Flow(UmbGenerator);

#endif
