/* Closures and micro-macro consistency: conditional averages E[A(x) | xi(x) = z] on a grid of z
   from the physics samples (MBAR weights of the unbiased state, binned in z, batch-means errors)
   and from the generator's lifted samples (reweighted to p(y | z) by self-normalised importance
   sampling when the generator has a density and the CV is a coordinate CV), exact values where
   the model has them, and the
   consistency checks between the two pictures (conditional distributions, free energy from the
   integrated mean force, a reduced SDE driven by the closures). 1-D CVs, and 2-D coordinate or
   linear CVs (closures, distributions; the F, SDE and MFPT checks are 1-D). Reads <dir>/samples.h5,
   <dir>/fes.h5 and <dir>/gan.h5; writes <dir>/closures.csv and <dir>/consistency.csv.
   docs/closures.md gives the formulas. */
#ifndef UMBRA_CLOSURE_H
#define UMBRA_CLOSURE_H

#include <umbra/generator.h>
#include <umbra/exact.h>

typedef struct _p_UmbClosure *UmbClosure;

/* Collective on the CV's communicator. The generator (may be NULL: no generator route) is
   loaded from its file in <dir> (gan.h5) in SetUp unless it is already trained. */
PETSC_EXTERN PetscErrorCode UmbClosureCreate(UmbCV, UmbGenerator, UmbClosure *);
/* Default time step of the direct runs of the full model (before SetFromOptions; umbra uses -us_dt) */
PETSC_EXTERN PetscErrorCode UmbClosureSetDirectTimeStep(UmbClosure, PetscReal);
/* Reads -closure_* and checks their values */
PETSC_EXTERN PetscErrorCode UmbClosureSetFromOptions(UmbClosure);
/* Seed of the checks' and direct runs' streams (default 42; umbra passes -seed) */
PETSC_EXTERN PetscErrorCode UmbClosureSetSeed(UmbClosure, PetscInt64);
/* Prefix of the options SetFromOptions reads (default none) */
PETSC_EXTERN PetscErrorCode UmbClosureSetOptionsPrefix(UmbClosure, const char[]);
PETSC_EXTERN PetscErrorCode UmbClosureSetDirectory(UmbClosure, const char[]);
/* Collective: reads samples.h5 (the windows this rank owns), fes.h5 and gan.h5 */
PETSC_EXTERN PetscErrorCode UmbClosureSetUp(UmbClosure);
/* Collective: physics, generator and exact closures, then the consistency checks */
PETSC_EXTERN PetscErrorCode UmbClosureCompute(UmbClosure);
/* closures.csv and consistency.csv */
PETSC_EXTERN PetscErrorCode UmbClosureWrite(UmbClosure);
/* The console summary in plain words */
PETSC_EXTERN PetscErrorCode UmbClosureView(UmbClosure, PetscViewer);
PETSC_EXTERN PetscErrorCode UmbClosureDestroy(UmbClosure *);

/* Results (identical on every rank after Compute). Observable names in closures.csv order;
   values are ng x nobs row-major (grid point slowest); NaN where a route has no value. The grid
   is ng x d values (2-D: point g = i n2 + j is (z1_i, z2_j)). */
PETSC_EXTERN PetscErrorCode UmbClosureGetGrid(UmbClosure, PetscInt *, const PetscReal **);
PETSC_EXTERN PetscErrorCode UmbClosureGetObservables(UmbClosure, PetscInt *, const char *const **);
PETSC_EXTERN PetscErrorCode UmbClosureGetValues(UmbClosure, const PetscReal **phys, const PetscReal **phys_err, const PetscReal **gan, const PetscReal **gan_err, const PetscReal **exact);
/* Generator with a density (reweighted route): the number of draws per grid point, the
   -closure_min_ess threshold and the effective sample size per grid point (ng values; NULL for a
   generator without a density). Points below the threshold have NaN generator closures. */
PETSC_EXTERN PetscErrorCode UmbClosureGetESS(UmbClosure, PetscReal *lift_n, PetscReal *min_ess, const PetscReal **ess);
/* Consistency checks: count, names, values, tolerances, verdicts */
PETSC_EXTERN PetscErrorCode UmbClosureGetChecks(UmbClosure, PetscInt *, const char *const **, const PetscReal **, const PetscReal **, const PetscBool **);
/* Mean first-passage times A -> B and B -> A: reduced SDE (with standard errors) and exact */
PETSC_EXTERN PetscErrorCode UmbClosureGetMFPT(UmbClosure, PetscReal sde[2], PetscReal sde_err[2], PetscReal exact[2]);

#endif
