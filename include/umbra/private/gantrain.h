/* State of one training run of the conditional GAN, shared by src/gan/train.c,
   src/gan/checkpoint.c and src/gan/calibrate.c: the training set of the generator class and
   the GAN's own bookkeeping. */
#ifndef UMBRA_GANTRAIN_H
#define UMBRA_GANTRAIN_H

#include <umbra/private/ganimpl.h>
#include <umbra/private/trainset.h>

/* train.csv columns (also the rows of the checkpoint's history) */
#define UMB_GAN_NCOL 12
/* running sums of an epoch: critic loss, wdist, penalty, critic steps, generator loss, consistency, generator steps, seconds */
#define UMB_GAN_NACC 8

typedef struct {
  UmbTrainSet set;        /* rows, batches and reductions (src/generator/trainset*.c) */
  PetscInt    redG, redD; /* the set's reductions of the generator and of the critic */
  PetscInt    npG, npD;   /* their parameter counts */
  /* bookkeeping */
  PetscReal  acc[UMB_GAN_NACC], *hist, floor;
  PetscInt   nhist, maxhist;
  PetscInt64 ckpt_step; /* generator step of the last checkpoint written or read, -1: none */
  const char *dir;      /* the run directory */
  PetscInt   nproj;
  PetscReal *proj, *vzf;
} TrainData;

/* Collective: fits the calibrated lifting (-gan_calibrate, coordinate CVs) to the training rows
   and the trained generator */
PETSC_INTERN PetscErrorCode UmbGanCalibrate(UmbGan, const UmbTrainSet *);
/* Collective: <dir>/ckpt/train.h5 (the previous one becomes train.prev.h5) */
PETSC_INTERN PetscErrorCode UmbGanWriteCheckpoint(UmbGan, TrainData *, const char dir[], PetscInt64 step, PetscReal elapsed);
/* Collective: reads the checkpoint if there is one (*step is 0 otherwise) and checks that the
   options that define the networks and the batches did not change */
PETSC_INTERN PetscErrorCode UmbGanReadCheckpoint(UmbGan, TrainData *, const char dir[], PetscInt64 *step, PetscReal *elapsed);

#endif
