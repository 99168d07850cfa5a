/* Umbrella sampling: K windows W_k(x) = 1/2 sum_a kappa_a (xi_a(x) - z_ka)^2 on a 1-D or 2-D
   grid of centres, each with several walkers of the overdamped Langevin SDE, distributed over
   the ranks of a communicator. Output: samples.h5 and windows.csv. */
#ifndef UMBRA_SAMPLER_H
#define UMBRA_SAMPLER_H

#include <umbra/cv.h>
#include <umbra/generator.h>

typedef struct _p_UmbSampler *UmbSampler;

typedef enum {
  UMB_INTEGRATOR_EM = 0, /* Euler-Maruyama: invariant measure biased at O(dt) */
  UMB_INTEGRATOR_LM = 1, /* Leimkuhler-Matthews: O(dt^2), exact for harmonic potentials */
  UMB_INTEGRATOR_LANGEVIN = 2 /* the model's own underdamped Langevin dynamics (lammps) */
} UmbIntegrator;
PETSC_EXTERN const char *const UmbIntegrators[];

/* Collective on the CV's communicator. */
PETSC_EXTERN PetscErrorCode UmbSamplerCreate(UmbCV, UmbSampler *);
/* Reads -us_* */
PETSC_EXTERN PetscErrorCode UmbSamplerSetFromOptions(UmbSampler);
/* Whether UmbSamplerRun continues from ckpt/sample.h5 (default: no; umbra passes -restart, and umbra run sets it per stage) */
PETSC_EXTERN PetscErrorCode UmbSamplerSetRestart(UmbSampler, PetscBool);
/* Seed of every random stream (default 42; umbra passes -seed) */
PETSC_EXTERN PetscErrorCode UmbSamplerSetSeed(UmbSampler, PetscInt64);
/* Prefix of the options SetFromOptions reads (default none) */
PETSC_EXTERN PetscErrorCode UmbSamplerSetOptionsPrefix(UmbSampler, const char[]);
/* Sets the CV up, checks -us_windows, -us_range, -us_kappa and -us_centers against its
   dimension, builds the window grid and the window-to-rank layout */
PETSC_EXTERN PetscErrorCode UmbSamplerSetUp(UmbSampler);
/* Prepares each window, samples, and writes <dir>/samples.h5 and <dir>/windows.csv. Checkpoints
   in <dir>/ckpt/sample.h5 (frames go to <dir>/samples.h5.partial until the end); finished is
   false when it stopped after a checkpoint (signal, -us_stop_step): exit code 3, -restart continues */
PETSC_EXTERN PetscErrorCode UmbSamplerRun(UmbSampler, const char[], PetscBool *);
PETSC_EXTERN PetscErrorCode UmbSamplerView(UmbSampler, PetscViewer);
PETSC_EXTERN PetscErrorCode UmbSamplerDestroy(UmbSampler *);

/* Explicit windows instead of the grid of -us_windows/-us_range: K centres and spring
   constants (K x d, row-major; kappa NULL: -us_kappa for every window). Before SetUp. */
PETSC_EXTERN PetscErrorCode UmbSamplerSetWindows(UmbSampler, PetscInt, const PetscReal[], const PetscReal[]);
/* Each walker's own starting state instead of the restrained minimisation: K x walkers x n,
   row-major, the same array on every rank (copied). After SetWindows / SetUp's grid is known. */
PETSC_EXTERN PetscErrorCode UmbSamplerSetInitialStates(UmbSampler, PetscInt, const PetscReal[]);
/* Noise streams keyed by window id0 + k instead of k (windows added to an existing campaign
   get streams of their own). Default 0. */
PETSC_EXTERN PetscErrorCode UmbSamplerSetStreamOffset(UmbSampler, PetscInt64);
/* Flow moves proposed by g, a generator with a density on the sampler's CV, set up and trained
   or loaded (instead of -us_flow_file; the caller keeps it alive until the sampler is destroyed,
   NULL: none). Before SetUp. -us_flow_moves, -us_flow_base_scale and -us_flow_mix apply. */
PETSC_EXTERN PetscErrorCode UmbSamplerSetProposalGenerator(UmbSampler, UmbGenerator);
/* Whether -us_flow_moves, -us_flow_base_scale and -us_flow_mix are meant for later samplers
   built from the same options (the flow rounds of umbra run): without a proposal generator they
   are then read and checked but not refused. Default: refused. Before SetUp. */
PETSC_EXTERN PetscErrorCode UmbSamplerSetFlowOptionsLater(UmbSampler, PetscBool);
/* Walkers per window -us_walkers, seed (UmbSamplerSetSeed) */
PETSC_EXTERN PetscErrorCode UmbSamplerGetWalkers(UmbSampler, PetscInt *);
PETSC_EXTERN PetscErrorCode UmbSamplerGetSeed(UmbSampler, PetscInt64 *);

/* Window grid: K windows, centres and spring constants K x d, row-major */
PETSC_EXTERN PetscErrorCode UmbSamplerGetWindows(UmbSampler, PetscInt *, const PetscReal **, const PetscReal **);
/* Range of the centres: lo,hi per CV component (2d values) */
PETSC_EXTERN PetscErrorCode UmbSamplerGetRange(UmbSampler, PetscReal[]);
/* Time step -us_dt */
PETSC_EXTERN PetscErrorCode UmbSamplerGetTimeStep(UmbSampler, PetscReal *);
/* Windows [lo, hi) owned by this rank */
PETSC_EXTERN PetscErrorCode UmbSamplerGetOwnership(UmbSampler, PetscInt *, PetscInt *);

/* Harmonic bias of one window on nw states: adds grad W to g (nw x n) and returns W if asked.
   z and J are work arrays of nw*d and nw*d*n. Not collective. */
PETSC_EXTERN PetscErrorCode UmbBiasAdd(UmbCV, const PetscReal[], const PetscReal[], PetscInt, const PetscReal[], PetscReal[], PetscReal[], PetscReal[], PetscReal[]);

#endif
