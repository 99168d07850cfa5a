/* State of one training run of the conditional GAN, shared by src/gan/train.c and
   src/gan/checkpoint.c. */
#ifndef UMBRA_GANTRAIN_H
#define UMBRA_GANTRAIN_H

#include <umbra/private/ganimpl.h>

/* train.csv columns (also the rows of the checkpoint's history) */
#define UMB_GAN_NCOL 12
/* running sums of an epoch: critic loss, wdist, penalty, critic steps, generator loss, consistency, generator steps, seconds */
#define UMB_GAN_NACC 8

typedef struct {
  /* rows: payload [x_std (ng) | zf (dz) | z (d) | global row index] */
  PetscInt   W, ox, oz, or, oid;
  PetscInt64 N, row0, nloc, T, V, tloc, vloc, *Toff;
  PetscReal *train, *valid;
  /* window table of samples.h5: rows [woff[k], woff[k+1]) are window k (calibration groups) */
  PetscInt    nwin;
  PetscInt64 *woff;
  /* batches */
  PetscInt64 S, epoch_loaded, *perm;
  PetscInt   B, qlo, qhi, bloc, nchunk, *chunk, U;
  PetscMPIInt *qowner;
  PetscReal  *ebuf;
  /* reductions */
  PetscInt   npG, npD, nsegG, nsegD, segG[2 * UMB_GAN_MAX_LAYERS + 8], segD[2 * UMB_GAN_MAX_LAYERS + 8];
  PetscReal *vec, *red;
  PetscInt64 *ids;
  /* bookkeeping */
  PetscReal  acc[UMB_GAN_NACC], *hist, floor, time0;
  PetscInt   nhist, maxhist;
  PetscInt64 ckpt_step; /* generator step of the last checkpoint written or read, -1: none */
  const char *dir;      /* the run directory */
  PetscInt   nproj;
  PetscReal *proj, *vzf;
} TrainData;

/* Collective: fits the calibrated lifting (-gan_calibrate, coordinate CVs) to the training rows
   and the trained generator */
PETSC_INTERN PetscErrorCode UmbGanCalibrate(UmbGan, const TrainData *);
/* Collective: <dir>/ckpt/train.h5 (the previous one becomes train.prev.h5) */
PETSC_INTERN PetscErrorCode UmbGanWriteCheckpoint(UmbGan, TrainData *, const char dir[], PetscInt64 step, PetscReal elapsed);
/* Collective: reads the checkpoint if there is one (*step is 0 otherwise) and checks that the
   options that define the networks and the batches did not change */
PETSC_INTERN PetscErrorCode UmbGanReadCheckpoint(UmbGan, TrainData *, const char dir[], PetscInt64 *step, PetscReal *elapsed);

#endif
