/* Generators: learned lifting operators z -> x that reproduce p(x | xi(x) = z), trained on the
   pooled umbrella samples. One class with types (-generator): gan, the conditional GAN of
   umbra/gan.h (an implicit generator: no density). closure, lift, train and the coupling rounds
   use this interface only. docs/developers.md shows how to add a type. */
#ifndef UMBRA_GENERATOR_H
#define UMBRA_GENERATOR_H

#include <umbra/cv.h>

typedef struct _p_UmbGenerator *UmbGenerator;
typedef const char             *UmbGeneratorType;
#define UMBGENERATORGAN  "gan"
#define UMBGENERATORFLOW "flow"

/* Adds a type: create fills the ops table and the data of a generator of that type */
PETSC_EXTERN PetscErrorCode UmbGeneratorRegister(const char[], PetscErrorCode (*create)(UmbGenerator));

/* Collective on the CV's communicator. */
PETSC_EXTERN PetscErrorCode UmbGeneratorCreate(UmbCV, UmbGenerator *);
PETSC_EXTERN PetscErrorCode UmbGeneratorSetType(UmbGenerator, UmbGeneratorType);
PETSC_EXTERN PetscErrorCode UmbGeneratorGetType(UmbGenerator, UmbGeneratorType *);
/* Prefix of every option the generator reads (default none); before SetFromOptions */
PETSC_EXTERN PetscErrorCode UmbGeneratorSetOptionsPrefix(UmbGenerator, const char[]);
PETSC_EXTERN PetscErrorCode UmbGeneratorGetOptionsPrefix(UmbGenerator, const char *[]);
/* Reads -generator (default gan) and the type's options (gan: -gan_*, -lift_*) */
PETSC_EXTERN PetscErrorCode UmbGeneratorSetFromOptions(UmbGenerator);
PETSC_EXTERN PetscErrorCode UmbGeneratorSetUp(UmbGenerator);
/* The seed of the type's random streams (default 42; umbra passes -seed) and whether
   UmbGeneratorTrain continues from its checkpoint (default false; umbra run sets it per stage).
   Any time before use: the class keeps them and hands them to the type it creates. */
PETSC_EXTERN PetscErrorCode UmbGeneratorSetSeed(UmbGenerator, PetscInt64);
PETSC_EXTERN PetscErrorCode UmbGeneratorSetRestart(UmbGenerator, PetscBool);
PETSC_EXTERN PetscErrorCode UmbGeneratorView(UmbGenerator, PetscViewer);
PETSC_EXTERN PetscErrorCode UmbGeneratorDestroy(UmbGenerator *);

/* The file UmbGeneratorTrain writes into the run directory and UmbGeneratorLoad reads (gan.h5) */
PETSC_EXTERN PetscErrorCode UmbGeneratorGetFileName(UmbGenerator, const char *[]);
/* Number of coordinates the generator produces (0 when the CV is all coordinates: nothing to
   generate) */
PETSC_EXTERN PetscErrorCode UmbGeneratorGetGenerated(UmbGenerator, PetscInt *);
/* Error (bad input) when there is nothing to generate; train and lift call it */
PETSC_EXTERN PetscErrorCode UmbGeneratorCheckGenerates(UmbGenerator);

/* Collective. Trains on <dir>/samples.h5 and writes the generator's file and <dir>/train.csv,
   with checkpoints in <dir>/ckpt/train.h5. finished is false when the run stopped early after a
   checkpoint: exit code 3. */
PETSC_EXTERN PetscErrorCode UmbGeneratorTrain(UmbGenerator, const char dir[], PetscBool *finished);
/* Collective. Reads a trained generator from path; checks that it fits the current model and CV */
PETSC_EXTERN PetscErrorCode UmbGeneratorLoad(UmbGenerator, const char path[]);
/* Whether the generator holds trained or loaded parameters (then it generates) */
PETSC_EXTERN PetscErrorCode UmbGeneratorIsTrained(UmbGenerator, PetscBool *);
/* Collective. umbra lift: lifts the -lift_z / -lift_grid values into <dir>/lift.h5, loading the
   generator's file in dir first unless it is trained */
PETSC_EXTERN PetscErrorCode UmbGeneratorLift(UmbGenerator, const char dir[]);
/* Collective. lift.h5 read back on every rank (umbra export): M values z (M x d) and their L
   lifted states x (M x L x n) each; free with PetscFree2(z, x) */
PETSC_EXTERN PetscErrorCode UmbLiftFileRead(MPI_Comm, const char path[], PetscInt *M, PetscInt *L, PetscInt *d, PetscInt *n, PetscReal **z, PetscReal **x);

/* Not collective. Lifted states x (m x n) at z (m x d); row i's noise is keyed by (seed,
   index[i]), so a row's value does not depend on which rank computes it. */
PETSC_EXTERN PetscErrorCode UmbGeneratorGenerate(UmbGenerator, PetscInt m, const PetscReal z[], const PetscInt64 index[], PetscReal x[]);
/* Not collective. As UmbGeneratorGenerate, into x ((1 + nrep) x m x n): block 0 the lifted
   states, block r the same draws under replicate r of the calibration; nrep <= the count
   UmbGeneratorGetCalibrationReplicates gives (0 when lifting is not calibrated) */
PETSC_EXTERN PetscErrorCode UmbGeneratorGenerateReplicates(UmbGenerator, PetscInt m, const PetscReal z[], const PetscInt64 index[], PetscInt nrep, PetscReal x[]);
PETSC_EXTERN PetscErrorCode UmbGeneratorGetCalibrationReplicates(UmbGenerator, PetscInt *nrep);
/* Not collective. Lifted states x (m x n) at z (m x d) with noise from the stream (seed,
   coupling, id): the starting states of the walkers of new windows in a coupling round */
PETSC_EXTERN PetscErrorCode UmbGeneratorGenerateSeeds(UmbGenerator, uint64_t id, PetscInt m, const PetscReal z[], PetscReal x[]);
/* Range of the CV values the generator was trained on: lo, hi per component (2d values) */
PETSC_EXTERN PetscErrorCode UmbGeneratorGetRange(UmbGenerator, PetscReal[]);

/* Whether the type has an exact log-density (gan: no; flow: yes) */
PETSC_EXTERN PetscErrorCode UmbGeneratorHasDensity(UmbGenerator, PetscBool *);
/* Not collective. log q(x | z) of m states x (m x n) at CV values z (m x d) into logq (m): the
   density of the generated part of x (coordinate CV: the coordinates outside the CV) given z; the
   CV part of x is not read, so z may differ from xi(x) (mixture proposals evaluate q(y | z') at
   other CV values). An error (PETSC_ERR_SUP) for a type without a density. */
PETSC_EXTERN PetscErrorCode UmbGeneratorLogDensity(UmbGenerator, PetscInt m, const PetscReal z[], const PetscReal x[], PetscReal logq[]);
/* Types with a density are maps of base noise: x = T(noise; z) with noise ~ N(0, I_k), k the
   noise dimension (flow: the number of generated coordinates). */
PETSC_EXTERN PetscErrorCode UmbGeneratorGetNoiseDimension(UmbGenerator, PetscInt *k);
/* Not collective. x (m x n) = T(noise; z) for noise (m x k) at z (m x d), with the CV part of x
   set from z (coordinate CV), and logq (m; may be NULL) = log q(x | z) */
PETSC_EXTERN PetscErrorCode UmbGeneratorPushForward(UmbGenerator, PetscInt m, const PetscReal z[], const PetscReal noise[], PetscReal x[], PetscReal logq[]);
/* Not collective. The inverse: noise (m x k) = T^{-1}(x; z) and logq (m; may be NULL) =
   log q(x | z). A proposal from the broadened base N(0, s^2 I) has the density
   log q(x | z) + |noise|^2 (1 - 1/s^2) / 2 - k log s. */
PETSC_EXTERN PetscErrorCode UmbGeneratorInverse(UmbGenerator, PetscInt m, const PetscReal z[], const PetscReal x[], PetscReal noise[], PetscReal logq[]);

#endif
