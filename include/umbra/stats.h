/* Statistics of correlated time series. */
#ifndef UMBRA_STATS_H
#define UMBRA_STATS_H

#include <umbra/sys.h>

/* Integrated autocorrelation time (in samples) of nseries series of length len stored one after
   another, pooled around their common mean, with Sokal's automatic window (c = 5).
   Returns 1 for series too short or constant. Not collective. */
PETSC_EXTERN PetscErrorCode UmbIACT(PetscInt, PetscInt, const PetscReal[], PetscReal *);

#endif
