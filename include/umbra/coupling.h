/* Coupling rounds of a campaign (docs/coupling.md): the previous round's diagnostics choose
   windows to add (gaps between neighbours, an extension of the range, explicit centres) or to
   re-seed (too few effective samples, a failed neighbour consistency test); the trained
   generator lifts one independent state per walker at each new centre; the new windows are
   sampled and appended to the campaign's samples.h5 (UmbSamplesFileMerge). Options -run_*. */
#ifndef UMBRA_COUPLING_H
#define UMBRA_COUPLING_H

#include <umbra/cv.h>
#include <umbra/generator.h>
#include <umbra/sampler.h>

typedef struct _p_UmbCoupling *UmbCoupling;

/* What a round chooses from: the previous round's windows (samples.h5) and their diagnostics
   (fes.h5) */
typedef struct {
  PetscInt          K, d;          /* windows so far, CV dimension (the pooled windows: those no
                                      continuation superseded, as fes.h5 has them) */
  PetscInt          Kall;          /* windows in samples.h5, superseded ones included (0: K) */
  const PetscInt   *window;        /* K: the samples.h5 index of each window (NULL: the same) */
  const PetscReal  *center, *kappa; /* K x d */
  PetscReal         period[2];     /* of each CV component (0: not periodic) */
  const PetscInt64 *round;         /* K: the round that added each window */
  const PetscReal  *neff;          /* K: effective samples */
  PetscInt          npairs;        /* neighbour pairs */
  const PetscInt64 *pairs;         /* npairs x 2 windows */
  const PetscReal  *overlap;       /* npairs x 2: overlap of each pair seen from either window */
  const PetscReal  *pvalue;        /* npairs: p-value of the consistency test */
  PetscReal         alpha;         /* its level */
} UmbCouplingPrevious;

/* New windows of one round, known identically on every rank */
typedef struct {
  PetscInt   d, kold, nnew;  /* CV dimension, windows so far, windows to add */
  PetscReal *center, *kappa; /* nnew x d */
  char       why[2048];      /* one line: every new window and the reason */
} UmbCouplingPlan;

/* Collective on the CV's communicator */
PETSC_EXTERN PetscErrorCode UmbCouplingCreate(UmbCV, UmbCoupling *);
/* The campaign's generator: rounds need one that generates something (checked by SetFromOptions) */
PETSC_EXTERN PetscErrorCode UmbCouplingSetGenerator(UmbCoupling, UmbGenerator);
/* Reads -run_iterations, -run_overlap_min, -run_neff_min, -run_reseed_flagged, -run_extend,
   -run_max_windows, -run_centers, -run_flow_moves (default: on when the generator has a
   density) and -run_continue (default: as -run_flow_moves), -run_supersede (default: when rounds
   continue windows with flow moves) */
PETSC_EXTERN PetscErrorCode UmbCouplingSetFromOptions(UmbCoupling);
PETSC_EXTERN PetscErrorCode UmbCouplingGetIterations(UmbCoupling, PetscInt *);
/* Whether rounds sample with flow moves, -run_flow_moves (then -us_flow_* are meant for the
   rounds' samplers, also with -run_iterations 0: a later run may add rounds) */
PETSC_EXTERN PetscErrorCode UmbCouplingGetFlowMoves(UmbCoupling, PetscBool *);
PETSC_EXTERN PetscErrorCode UmbCouplingDestroy(UmbCoupling *);

/* The new windows from prev: a window between neighbours whose overlap is below
   -run_overlap_min, the windows with too few effective samples or a failed consistency test
   again (once: not when a later round already added one at that centre), windows beyond the
   range up to -run_extend, and -run_centers in round 1; at most -run_max_windows, in this order */
PETSC_EXTERN PetscErrorCode UmbCouplingPlanChoose(UmbCoupling, const UmbCouplingPrevious *, PetscInt, UmbCouplingPlan *);
/* Collective: the same from <prev>/samples.h5 and <prev>/fes.h5 */
PETSC_EXTERN PetscErrorCode UmbCouplingPlanCreate(UmbCoupling, const char[], PetscInt, UmbCouplingPlan *);
PETSC_EXTERN PetscErrorCode UmbCouplingPlanDestroy(UmbCouplingPlan *);

/* Collective: round r >= 1 of the campaign in dir with walkers and seed the campaign sampler's:
   archives the previous round's files in <dir>/round<r-1>/, chooses windows from them, seeds
   their walkers with lifted states, with -run_continue also continues the newest window at every
   other centre from its walkers' last saved frames, samples them (with -run_flow_moves: flow
   moves proposed by <dir>/round<r-1>/'s generator) into <dir>/coupling<r>/ and writes the merged
   <dir>/samples.h5 and windows.csv. finished is false when the sampling stopped at a checkpoint
   (the round is repeated from its start). */
PETSC_EXTERN PetscErrorCode UmbCouplingRound(UmbCoupling, UmbSampler, const char[], PetscInt, PetscBool *);

#endif
