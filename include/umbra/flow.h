/* Conditional normalizing flow: q(y | z) over the generated coordinates y (those outside a
   coordinate CV) with an exact density and an exact inverse. A stack of coupling layers, each a
   rational-quadratic spline of some coordinates whose parameters an MLP (umbra/nn.h) computes
   from the other coordinates and the CV features; standard normal base. Trained by maximum
   likelihood on the pooled umbrella samples (no reweighting: the bias acts through z only),
   data-parallel with the GAN's guarantees. docs/flow.md describes the model, options and files. */
#ifndef UMBRA_FLOW_H
#define UMBRA_FLOW_H

#include <umbra/cv.h>
#include <umbra/nn.h>

typedef struct _p_UmbFlow *UmbFlow;

/* Collective on the CV's communicator. */
PETSC_EXTERN PetscErrorCode UmbFlowCreate(UmbCV, UmbFlow *);
/* Reads -flow_*; checks their values */
PETSC_EXTERN PetscErrorCode UmbFlowSetFromOptions(UmbFlow);
PETSC_EXTERN PetscErrorCode UmbFlowSetOptionsPrefix(UmbFlow, const char[]);
PETSC_EXTERN PetscErrorCode UmbFlowSetRestart(UmbFlow, PetscBool);
PETSC_EXTERN PetscErrorCode UmbFlowSetSeed(UmbFlow, PetscInt64);
PETSC_EXTERN PetscErrorCode UmbFlowView(UmbFlow, PetscViewer);
PETSC_EXTERN PetscErrorCode UmbFlowDestroy(UmbFlow *);
/* Number of generated coordinates (0 when the CV is all coordinates) */
PETSC_EXTERN PetscErrorCode UmbFlowGetGenerated(UmbFlow, PetscInt *);
/* Error (bad input) when the flow cannot generate for this CV */
PETSC_EXTERN PetscErrorCode UmbFlowCheckGenerates(UmbFlow);
PETSC_EXTERN PetscErrorCode UmbFlowIsTrained(UmbFlow, PetscBool *);

/* Collective. Trains on <dir>/samples.h5, writes <dir>/flow.h5 and <dir>/train.csv, checkpoints
   in <dir>/ckpt/train.h5. finished is false when the run stopped early after a checkpoint. */
PETSC_EXTERN PetscErrorCode UmbFlowTrain(UmbFlow, const char dir[], PetscBool *finished);
/* Collective. Reads flow.h5; checks that it fits the current model and CV. */
PETSC_EXTERN PetscErrorCode UmbFlowLoad(UmbFlow, const char path[]);

/* Not collective. m states x (m x n) at z (m x d) with the base noise of row i keyed by
   (seed, index[i]) in aligned blocks (as UmbGanGenerate): independent of the rank count */
PETSC_EXTERN PetscErrorCode UmbFlowGenerate(UmbFlow, PetscInt m, const PetscReal z[], const PetscInt64 index[], PetscReal x[]);
/* Not collective. States of new walkers: noise from the stream (seed, UMB_STREAM_COUPLING, id) */
PETSC_EXTERN PetscErrorCode UmbFlowGenerateSeeds(UmbFlow, uint64_t id, PetscInt m, const PetscReal z[], PetscReal x[]);
/* Not collective. x = T(noise; z) (noise m x ng), logq (may be NULL) = log q(x | z) */
PETSC_EXTERN PetscErrorCode UmbFlowPushForward(UmbFlow, PetscInt m, const PetscReal z[], const PetscReal noise[], PetscReal x[], PetscReal logq[]);
/* Not collective. logq = log q(x | z) of the generated part of x; noise (may be NULL) = T^{-1}(x; z) */
PETSC_EXTERN PetscErrorCode UmbFlowLogDensity(UmbFlow, PetscInt m, const PetscReal z[], const PetscReal x[], PetscReal logq[], PetscReal noise[]);
/* Range of the CV values of the training data: lo, hi per component */
PETSC_EXTERN PetscErrorCode UmbFlowGetRange(UmbFlow, PetscReal[]);

#endif
