/* Private layout of UmbExact: the common part (grid, observables, GSL workspace) in exact.c,
   one set-up function per model type in exact_<model>.c that fills ops and data. */
#ifndef UMBRA_EXACTIMPL_H
#define UMBRA_EXACTIMPL_H

#include <umbra/exact.h>
#include <gsl/gsl_integration.h>

typedef struct {
  /* beta*F(z) and the observables at one point z; not collective */
  PetscErrorCode (*evaluate)(UmbExact, const PetscReal *, PetscReal *, PetscReal *);
  PetscErrorCode (*destroy)(UmbExact);
} UmbExactOps;

struct _p_UmbExact {
  MPI_Comm    comm;
  UmbCV       cv;
  UmbModel    model;
  PetscInt    d;             /* CV dimension */
  PetscReal   beta;
  PetscReal   lo[2], hi[2];  /* grid: npts[a] points on [lo[a], hi[a]] per component */
  PetscInt    npts[2];
  PetscBool   has;           /* an exact reference exists for (model, CV) */
  char        why[512];      /* if not, why (names model and CV) */
  char        what[384];     /* "model X with CV Y", for logs and messages */
  PetscInt    nobs;
  char      **obs;           /* observable names, nobs of them */
  UmbExactOps ops;
  void       *data;
  PetscBool   setup;
  gsl_integration_workspace *ws; /* shared by the quadratures of one object: Evaluate is not thread-safe */
  size_t      ws_limit;
};

/* Quadrature tolerances shared by the model files */
#define UMB_EXACT_EPSREL   1e-11 /* relative accuracy requested from GSL for normalisations */
#define UMB_EXACT_CUTOFF   46.0  /* integrands are cut where they fall below exp(-46) ~ 1e-20 of their maximum */
#define UMB_EXACT_WS_LIMIT 4000  /* subintervals of the adaptive quadrature workspace */

/* Per type: whether an exact reference exists for this CV (why names model and CV), and the
   set-up that fills ops, data, nobs and obs */
PETSC_INTERN PetscErrorCode UmbExactAvailable_FastSlow(UmbCV, PetscBool *, char[], size_t);
PETSC_INTERN PetscErrorCode UmbExactAvailable_MullerBrown(UmbCV, PetscBool *, char[], size_t);
PETSC_INTERN PetscErrorCode UmbExactAvailable_Ring(UmbCV, PetscBool *, char[], size_t);
PETSC_INTERN PetscErrorCode UmbExactSetUp_FastSlow(UmbExact);
PETSC_INTERN PetscErrorCode UmbExactSetUp_MullerBrown(UmbExact);
PETSC_INTERN PetscErrorCode UmbExactSetUp_Ring(UmbExact);

/* Describes the CV for messages: "coord y2", "linear (w = 1, 0.5)", "native theta", "plugin" */
PETSC_INTERN PetscErrorCode UmbExactDescribeCV(UmbCV, char[], size_t);
/* Observable names: first the count (allocates), then each name */
PETSC_INTERN PetscErrorCode UmbExactSetObservableCount(UmbExact, PetscInt);
PETSC_INTERN PetscErrorCode UmbExactSetObservableName(UmbExact, PetscInt, const char[]);

#endif
