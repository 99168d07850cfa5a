/* Umbrella sampling: K windows W_k(x) = 1/2 sum_a kappa_a (xi_a(x) - z_ka)^2 on a 1-D or 2-D
   grid of centres, each with several walkers of the overdamped Langevin SDE, distributed over
   the ranks of a communicator. Output: samples.h5 and windows.csv. */
#ifndef UMBRA_SAMPLER_H
#define UMBRA_SAMPLER_H

#include <umbra/cv.h>

typedef struct _p_UmbSampler *UmbSampler;

typedef enum {
  UMB_INTEGRATOR_EM = 0, /* Euler-Maruyama: invariant measure biased at O(dt) */
  UMB_INTEGRATOR_LM = 1  /* Leimkuhler-Matthews: O(dt^2), exact for harmonic potentials */
} UmbIntegrator;
PETSC_EXTERN const char *const UmbIntegrators[];

/* Collective on the CV's communicator. */
PETSC_EXTERN PetscErrorCode UmbSamplerCreate(UmbCV, UmbSampler *);
/* Reads -us_*, -seed and -restart */
PETSC_EXTERN PetscErrorCode UmbSamplerSetFromOptions(UmbSampler);
/* Whether UmbSamplerRun continues from ckpt/sample.h5 (default: -restart); umbra run sets it per stage */
PETSC_EXTERN PetscErrorCode UmbSamplerSetRestart(UmbSampler, PetscBool);
/* Builds the window grid and the window-to-rank layout */
PETSC_EXTERN PetscErrorCode UmbSamplerSetUp(UmbSampler);
/* Prepares each window, samples, and writes <dir>/samples.h5 and <dir>/windows.csv. Checkpoints
   in <dir>/ckpt/sample.h5 (frames go to <dir>/samples.h5.partial until the end); finished is
   false when it stopped after a checkpoint (signal, -us_stop_step): exit code 3, -restart continues */
PETSC_EXTERN PetscErrorCode UmbSamplerRun(UmbSampler, const char[], PetscBool *);
PETSC_EXTERN PetscErrorCode UmbSamplerView(UmbSampler, PetscViewer);
PETSC_EXTERN PetscErrorCode UmbSamplerDestroy(UmbSampler *);

/* Window grid: K windows, centres and spring constants K x d, row-major */
PETSC_EXTERN PetscErrorCode UmbSamplerGetWindows(UmbSampler, PetscInt *, const PetscReal **, const PetscReal **);
/* Range of the centres: lo,hi per CV component (2d values) */
PETSC_EXTERN PetscErrorCode UmbSamplerGetRange(UmbSampler, PetscReal[]);
/* Time step -us_dt */
PETSC_EXTERN PetscErrorCode UmbSamplerGetTimeStep(UmbSampler, PetscReal *);
/* Windows [lo, hi) owned by this rank */
PETSC_EXTERN PetscErrorCode UmbSamplerGetOwnership(UmbSampler, PetscInt *, PetscInt *);

/* Block distribution of K items over size ranks: items [lo, hi) belong to rank */
PETSC_EXTERN void UmbLayoutRange(PetscInt, PetscMPIInt, PetscMPIInt, PetscInt *, PetscInt *);
PETSC_EXTERN PetscMPIInt UmbLayoutOwner(PetscInt, PetscMPIInt, PetscInt);

/* Harmonic bias of one window on nw states: adds grad W to g (nw x n) and returns W if asked.
   z and J are work arrays of nw*d and nw*d*n. Not collective. */
PETSC_EXTERN PetscErrorCode UmbBiasAdd(UmbCV, const PetscReal[], const PetscReal[], PetscInt, const PetscReal[], PetscReal[], PetscReal[], PetscReal[], PetscReal[]);

#endif
