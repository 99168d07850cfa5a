/* Coupling rounds (src/app/coupling*.c): the windows a round adds and the merged samples.h5. */
#ifndef UMBRA_COUPLING_H
#define UMBRA_COUPLING_H

#include <umbra/private/app.h>

/* New windows of one round, known identically on every rank */
typedef struct {
  PetscInt   d, kold, nnew;   /* CV dimension, windows so far, windows to add */
  PetscReal *center, *kappa;  /* nnew x d */
  char       why[2048];       /* one line: every new window and the reason */
} UmbCouplingPlan;

/* Collective: reads <prev>/samples.h5 and <prev>/fes.h5 and chooses the new windows: a window
   between neighbours whose overlap is below -run_overlap_min, the windows with too few effective
   samples or a failed consistency test again (once: not when a later round already added one
   at that centre), windows beyond the range up to -run_extend, and -run_centers in round 1; at
   most -run_max_windows, in this order. */
PETSC_INTERN PetscErrorCode UmbCouplingPlanCreate(MPI_Comm, const char prev[], const UmbCouplingOptions *, PetscInt round, UmbCouplingPlan *);
PETSC_INTERN PetscErrorCode UmbCouplingPlanDestroy(UmbCouplingPlan *);
/* Collective: <out>/samples.h5 = the rows of <prev>/samples.h5 unchanged, then those of
   <add>/samples.h5 (NULL: none), with /windows/round; and <out>/windows.csv to match */
PETSC_INTERN PetscErrorCode UmbCouplingMerge(MPI_Comm, const char prev[], const char add[], PetscInt round, const char out[]);

#endif
