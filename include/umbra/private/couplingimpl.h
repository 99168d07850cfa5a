/* Private layout of UmbCoupling (src/coupling/). */
#ifndef UMBRA_COUPLINGIMPL_H
#define UMBRA_COUPLINGIMPL_H

#include <umbra/coupling.h>

struct _p_UmbCoupling {
  MPI_Comm   comm;
  UmbCV      cv;
  UmbGenerator generator;    /* the campaign's: the check in SetFromOptions, its file's name */
  PetscInt   iterations;     /* -run_iterations: rounds after the initial campaign */
  PetscReal  overlap_min;    /* a neighbour pair with a smaller overlap gets a window between */
  PetscReal  neff_min;       /* a window with fewer effective samples is re-seeded */
  PetscBool  reseed_flagged; /* re-seed both windows of a pair that failed the consistency test */
  PetscReal  extend[4];      /* lo,hi: windows added beyond the sampled range up to these */
  PetscBool  have_extend;
  PetscInt   max_windows;    /* new windows per round at most */
  PetscReal *centers;        /* -run_centers: windows added in round 1 (d values each) */
  PetscInt   ncenters;
  PetscBool  flow_moves;     /* -run_flow_moves: the round's sampler proposes moves with the previous round's generator */
  PetscBool  continue_windows; /* -run_continue: each round also continues the newest window at every centre */
  PetscBool  supersede;      /* -run_supersede: a continued window replaces its earlier segment in the estimates */
};

#endif
