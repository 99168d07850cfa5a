/* Exact references of the built-in models: the reduced free energy beta*F(z) (in kT, up to a
   constant) and conditional moments E[A | xi = z], in closed form or by GSL quadrature.
   Used by `umbra exact` (exact.csv), by tests and by reports. */
#ifndef UMBRA_EXACT_H
#define UMBRA_EXACT_H

#include <umbra/cv.h>

typedef struct _p_UmbExact *UmbExact;

/* Whether the (model, CV) pair has an exact reference; if not, why (for messages) */
PETSC_EXTERN PetscErrorCode UmbExactAvailable(UmbCV, PetscBool *, char[], size_t);

/* Collective on the CV's communicator. */
PETSC_EXTERN PetscErrorCode UmbExactCreate(UmbCV, UmbExact *);
/* Grid used when -exact_grid is not given: n points on [lo, hi] per CV component */
PETSC_EXTERN PetscErrorCode UmbExactSetGrid(UmbExact, const PetscReal[], const PetscInt[]);
/* Reads -exact_grid lo,hi,n[,lo2,hi2,n2] */
PETSC_EXTERN PetscErrorCode UmbExactSetFromOptions(UmbExact);
/* Fails with a clear message when there is no exact reference for this model and CV */
PETSC_EXTERN PetscErrorCode UmbExactSetUp(UmbExact);
PETSC_EXTERN PetscErrorCode UmbExactDestroy(UmbExact *);

/* Names of the conditional observables (mean_y1, var_y1, ...), in exact.csv column order */
PETSC_EXTERN PetscErrorCode UmbExactGetObservables(UmbExact, PetscInt *, const char *const **);
/* beta*F(z) and the observables at one point z (length d). Not collective. */
PETSC_EXTERN PetscErrorCode UmbExactEvaluate(UmbExact, const PetscReal[], PetscReal *, PetscReal[]);
/* Collective: evaluates the grid (points spread over the ranks) and writes exact.csv with
   columns z[,z2],F,<observables>, F shifted to minimum 0 */
PETSC_EXTERN PetscErrorCode UmbExactWriteCsv(UmbExact, const char[]);

#endif
