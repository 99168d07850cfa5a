/* Diffusion maps: learned collective variables from sampled states (docs/dmap.md).
   UmbDmap computes the map of the rows of samples.h5 /samples/x, distributed over the ranks
   of a communicator in contiguous blocks: a sparse Gaussian kernel (k nearest neighbours or
   a cut-off) as a distributed PETSc matrix, alpha-normalisation, the leading eigenpairs of the
   symmetric conjugate of the Markov matrix by SLEPc, the Berry-Giannakis-Harlim bandwidth,
   local-linear-regression scores (Dsilva et al. 2018) and the choice of coordinates. It writes
   dmap.h5 and dmap.csv. UmbDmapExt is the out-of-sample (Nystrom) extension read from dmap.h5,
   with its gradient: the learned CV (-cv dmap). */
#ifndef UMBRA_DMAP_H
#define UMBRA_DMAP_H

#include <umbra/cv.h>

typedef struct _p_UmbDmap *UmbDmap;

typedef enum {
  UMB_DMAP_WEIGHTS_NONE = 0, /* every sample counts the same */
  UMB_DMAP_WEIGHTS_MBAR = 1  /* target measure: unbiased MBAR weights from fes.h5 */
} UmbDmapWeights;
PETSC_EXTERN const char *const UmbDmapWeightsTypes[];

/* Collective on comm. */
PETSC_EXTERN PetscErrorCode UmbDmapCreate(MPI_Comm, UmbDmap *);
/* The model whose states are mapped: its dimension is checked against the input (optional) */
PETSC_EXTERN PetscErrorCode UmbDmapSetModel(UmbDmap, UmbModel);
/* Reads -dmap_* and the SLEPc options with the prefix -dmap_slepc_ (e.g. -dmap_slepc_eps_type) */
PETSC_EXTERN PetscErrorCode UmbDmapSetFromOptions(UmbDmap);
/* Seed of the subsample and exploration streams (default 42; umbra passes -seed) */
PETSC_EXTERN PetscErrorCode UmbDmapSetSeed(UmbDmap, PetscInt64);
/* Time step of the exploratory sampling (default 1e-3; umbra passes the sampler's -us_dt) */
PETSC_EXTERN PetscErrorCode UmbDmapSetExploreTimeStep(UmbDmap, PetscReal);
/* Prefix of the options SetFromOptions reads, the SLEPc ones included (default none) */
PETSC_EXTERN PetscErrorCode UmbDmapSetOptionsPrefix(UmbDmap, const char[]);
/* Run directory: dmap.h5 and dmap.csv are written there; the input defaults to its samples.h5 */
PETSC_EXTERN PetscErrorCode UmbDmapSetDirectory(UmbDmap, const char[]);
/* Input samples file (overrides -dmap_input and the directory's samples.h5) */
PETSC_EXTERN PetscErrorCode UmbDmapSetInput(UmbDmap, const char[]);
/* In-memory input instead of a file (tests): nlocal states of dimension n on this rank, the
   ranks' blocks in global order; index (may be NULL: global positions) labels each state */
PETSC_EXTERN PetscErrorCode UmbDmapSetPoints(UmbDmap, PetscInt, PetscInt, const PetscReal[], const PetscInt64[]);
/* Reads the input points (and the MBAR weights with -dmap_weights mbar) */
PETSC_EXTERN PetscErrorCode UmbDmapSetUp(UmbDmap);
/* Neighbours, bandwidth, kernel, eigenpairs, scores and the chosen coordinates */
PETSC_EXTERN PetscErrorCode UmbDmapCompute(UmbDmap);
PETSC_EXTERN PetscErrorCode UmbDmapView(UmbDmap, PetscViewer);
/* Writes <dir>/dmap.h5 and <dir>/dmap.csv */
PETSC_EXTERN PetscErrorCode UmbDmapWrite(UmbDmap);
PETSC_EXTERN PetscErrorCode UmbDmapDestroy(UmbDmap *);

/* Results (after UmbDmapCompute). Eigenvalues lambda_1..lambda_m of the non-trivial
   eigenvectors (lambda_0 = 1 dropped), in decreasing order. */
PETSC_EXTERN PetscErrorCode UmbDmapGetEigenvalues(UmbDmap, PetscInt *, const PetscReal **);
/* Local rows of psi_1..psi_m (nlocal x m, row-major), in eigenvalue order */
PETSC_EXTERN PetscErrorCode UmbDmapGetEigenvectors(UmbDmap, PetscInt *, PetscInt *, const PetscReal **);
/* Local states (nlocal x n) and their labels (rows of samples.h5) */
PETSC_EXTERN PetscErrorCode UmbDmapGetPoints(UmbDmap, PetscInt *, PetscInt *, const PetscReal **, const PetscInt64 **);
/* Bandwidth eps and, when it was chosen automatically, the estimated intrinsic dimension (else 0) */
PETSC_EXTERN PetscErrorCode UmbDmapGetEpsilon(UmbDmap, PetscReal *, PetscReal *);
/* Local-linear-regression score of each psi_j (1 for psi_1; near 0 = a harmonic of earlier ones) */
PETSC_EXTERN PetscErrorCode UmbDmapGetScores(UmbDmap, PetscInt *, const PetscReal **);
/* Chosen coordinates: d and their indices j (1-based: psi_j) */
PETSC_EXTERN PetscErrorCode UmbDmapGetCoordinates(UmbDmap, PetscInt *, const PetscInt **);
/* Global number of points */
PETSC_EXTERN PetscErrorCode UmbDmapGetSize(UmbDmap, PetscInt64 *);
/* Options of the exploratory sampling that `umbra run` does before a dmap stage */
PETSC_EXTERN PetscErrorCode UmbDmapGetExploration(UmbDmap, PetscInt64 *, PetscInt *, PetscInt *);
/* Collective: the exploratory sampling itself (unbiased walkers of the model, -dmap_explore_*),
   written to path as a samples-kind file holding /samples/x; needs UmbDmapSetModel */
PETSC_EXTERN PetscErrorCode UmbDmapExplore(UmbDmap, const char[]);
/* Dimension the chosen coordinates will have (from -dmap_coords or -dmap_dim), before computing */
PETSC_EXTERN PetscErrorCode UmbDmapGetDimension(UmbDmap, PetscInt *);

/* Out-of-sample extension of a map stored in dmap.h5. Load is collective (every rank reads the
   whole map: M x n training states and M values per stored vector); Evaluate is not. */
typedef struct _p_UmbDmapExt *UmbDmapExt;
PETSC_EXTERN PetscErrorCode UmbDmapExtLoad(MPI_Comm, const char[], UmbDmapExt *);
PETSC_EXTERN PetscErrorCode UmbDmapExtDestroy(UmbDmapExt *);
/* State dimension n, number of coordinates d, training points M */
PETSC_EXTERN PetscErrorCode UmbDmapExtGetSizes(UmbDmapExt, PetscInt *, PetscInt *, PetscInt *);
/* Range of coordinate a over the training points: the q and 1-q quantiles */
PETSC_EXTERN PetscErrorCode UmbDmapExtGetRange(UmbDmapExt, PetscInt, PetscReal, PetscReal *, PetscReal *);
/* z (nw x d) of nw states x (nw x n), the chosen coordinates; J (nw x d x n, may be NULL) the
   exact gradient dz/dx. EvaluateAll gives every stored eigenvector (nw x m, file order:
   chosen coordinates first, as the columns of dmap.csv). */
PETSC_EXTERN PetscErrorCode UmbDmapExtEvaluate(UmbDmapExt, PetscInt, const PetscReal[], PetscReal[], PetscReal[]);
PETSC_EXTERN PetscErrorCode UmbDmapExtEvaluateAll(UmbDmapExt, PetscInt, const PetscReal[], PetscReal[], PetscReal[]);
/* Number m of stored eigenvectors (columns of EvaluateAll) */
PETSC_EXTERN PetscErrorCode UmbDmapExtGetNumberOfEigenvectors(UmbDmapExt, PetscInt *);

/* The learned CV, type dmap of UmbCV: the extension of the map in -cv_dmap_file (default
   dmap.h5 in the CV's run directory, UmbCVSetRunDirectory), read when the CV is set up if it
   exists; umbra run makes it first when it does not (then d comes from -dmap_dim or
   -dmap_coords). Register makes -cv dmap available (the application calls it before it creates
   its CV). Require: collective, fails unless the map is loaded (nothing for other CV types);
   Load: collective, (re)reads the file. The extension is NULL for other CV types or before
   loading. */
#define UMBCVDMAP "dmap"
PETSC_EXTERN PetscErrorCode UmbDmapRegisterCV(void);
PETSC_EXTERN PetscErrorCode UmbCVDmapRequire(UmbCV);
PETSC_EXTERN PetscErrorCode UmbCVDmapLoad(UmbCV);
PETSC_EXTERN PetscErrorCode UmbCVDmapGetFile(UmbCV, const char **);
PETSC_EXTERN PetscErrorCode UmbCVDmapGetExtension(UmbCV, UmbDmapExt *);

#endif
