/* Conditional GAN: a generator G(eta, z) and a critic D(x, z) (MLPs, umbra/nn.h) trained
   data-parallel over the ranks on the pooled umbrella samples (no reweighting: the bias acts
   through the CV only, so p(x | xi = z) is the same in every window), and the lifting
   operator z -> x = G(eta, z). For coordinate CVs G produces the other coordinates and the lifted
   state is (z, G(eta, z)): restriction is exact. docs/gan.md describes networks, losses,
   options, files and determinism. */
#ifndef UMBRA_GAN_H
#define UMBRA_GAN_H

#include <umbra/cv.h>
#include <umbra/nn.h>

typedef struct _p_UmbGan *UmbGan;

typedef enum {
  UMB_GAN_WGANGP = 0, /* Wasserstein GAN with gradient penalty */
  UMB_GAN_NS     = 1  /* non-saturating GAN (binary cross-entropy with logits) */
} UmbGanLoss;
PETSC_EXTERN const char *const UmbGanLosses[]; /* "wgan-gp", "ns" */

/* Collective on the CV's communicator. */
PETSC_EXTERN PetscErrorCode UmbGanCreate(UmbCV, UmbGan *);
/* Reads -gan_*; checks their values */
PETSC_EXTERN PetscErrorCode UmbGanSetFromOptions(UmbGan);
/* Whether UmbGanTrain continues from ckpt/train.h5 (default: no; umbra passes -restart, and umbra run sets it per stage) */
PETSC_EXTERN PetscErrorCode UmbGanSetRestart(UmbGan, PetscBool);
/* Seed of every random stream (default 42; umbra passes -seed) */
PETSC_EXTERN PetscErrorCode UmbGanSetSeed(UmbGan, PetscInt64);
/* Prefix of the options SetFromOptions reads (default none) */
PETSC_EXTERN PetscErrorCode UmbGanSetOptionsPrefix(UmbGan, const char[]);
PETSC_EXTERN PetscErrorCode UmbGanView(UmbGan, PetscViewer);
/* Number of coordinates the generator produces (0 when the CV is all coordinates: no GAN) */
PETSC_EXTERN PetscErrorCode UmbGanGetGenerated(UmbGan, PetscInt *);
/* Error (bad input) when there is nothing to generate; train and lift call it */
PETSC_EXTERN PetscErrorCode UmbGanCheckGenerates(UmbGan);
PETSC_EXTERN PetscErrorCode UmbGanDestroy(UmbGan *);

/* Collective. Trains on <dir>/samples.h5 and writes <dir>/gan.h5 and <dir>/train.csv, with
   checkpoints in <dir>/ckpt/train.h5 (-restart resumes from it). finished is false when the
   run stopped early after a checkpoint (-gan_stop_step, SIGUSR1/SIGTERM): exit code 3. */
PETSC_EXTERN PetscErrorCode UmbGanTrain(UmbGan, const char dir[], PetscBool *finished);
/* Collective. Reads the networks from a gan.h5 written by UmbGanTrain; checks that they fit
   the current model and CV. */
PETSC_EXTERN PetscErrorCode UmbGanLoad(UmbGan, const char path[]);

/* Not collective. Lifted states x (m x n) at z (m x d): row i uses the latent noise keyed by
   (seed, index[i]), so a row's value does not depend on which rank computes it; rows are
   generated in blocks of UMB_GAN_BLOCK aligned to index/UMB_GAN_BLOCK for bitwise
   reproducibility when callers pass consecutive indices. Needs trained or loaded networks. */
#define UMB_GAN_BLOCK 256
PETSC_EXTERN PetscErrorCode UmbGanGenerate(UmbGan, PetscInt m, const PetscReal z[], const PetscInt64 index[], PetscReal x[]);
/* Not collective. As UmbGanGenerate, into x ((1 + nrep) x m x n): block 0 is UmbGanGenerate's
   output, block r the same latent draws lifted with replicate r of the calibration (the data's
   moments refitted with one group's influence: the spread of a closure over the replicates is
   its calibration error, docs/gan.md). nrep <= the count UmbGanGetCalibrationReplicates gives
   (0 when lifting is not calibrated). */
PETSC_EXTERN PetscErrorCode UmbGanGenerateReplicates(UmbGan, PetscInt m, const PetscReal z[], const PetscInt64 index[], PetscInt nrep, PetscReal x[]);
PETSC_EXTERN PetscErrorCode UmbGanGetCalibrationReplicates(UmbGan, PetscInt *nrep);
/* Not collective. Lifted states x (m x n) at z (m x d) with the latent noise of row i drawn
   from the stream (-seed, UMB_STREAM_COUPLING, id) at counter (i, 0, 0): independent of the
   lift.h5 draws; used to seed the walkers of new windows. Needs trained or loaded networks. */
PETSC_EXTERN PetscErrorCode UmbGanGenerateSeeds(UmbGan, uint64_t id, PetscInt m, const PetscReal z[], PetscReal x[]);
/* Range of the CV values the networks were trained on: lo, hi per component (2d values) */
PETSC_EXTERN PetscErrorCode UmbGanGetRange(UmbGan, PetscReal[]);

#endif
