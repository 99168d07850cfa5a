/* State of one training run of the flow, shared by src/flow/train.c and src/flow/checkpoint.c. */
#ifndef UMBRA_FLOWTRAIN_H
#define UMBRA_FLOWTRAIN_H

#include <umbra/private/flowimpl.h>
#include <umbra/private/trainset.h>

/* train.csv columns (also the rows of the checkpoint's history): epoch, step, nll, valid_nll,
   samples_per_s, time */
#define UMB_FLOW_NCOL 6
/* running sums of an epoch: NLL, steps, seconds */
#define UMB_FLOW_NACC 3

typedef struct {
  UmbTrainSet set;
  PetscInt    red; /* the reduction of the flat parameter vector and the loss */
  PetscReal   acc[UMB_FLOW_NACC], *hist;
  PetscInt    nhist, maxhist;
  PetscInt64  ckpt_step;
  const char *dir;
} FlowTrain;

PETSC_INTERN PetscErrorCode UmbFlowWriteCheckpoint(UmbFlow, FlowTrain *, PetscInt64 step, PetscReal elapsed);
PETSC_INTERN PetscErrorCode UmbFlowReadCheckpoint(UmbFlow, FlowTrain *, PetscInt64 *step, PetscReal *elapsed);

#endif
