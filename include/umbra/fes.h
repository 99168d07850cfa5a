/* Free energies from umbrella windows: binless MBAR (default) or binned WHAM, solved as the
   minimisation of one convex objective with PETSc TAO, distributed over the ranks that hold the
   samples; asymptotic and block-bootstrap uncertainties; F(z) on a grid; overlap, convergence
   and neighbour-consistency diagnostics. Reads <dir>/samples.h5, writes <dir>/fes.h5, fes.csv
   and fills the f,df columns of <dir>/windows.csv. docs/fes.md describes the method.
   Exporters write the windows in the input formats of pymbar, Grossfield's WHAM and gmx wham. */
#ifndef UMBRA_FES_H
#define UMBRA_FES_H

#include <umbra/sys.h>

typedef struct _p_UmbFes *UmbFes;

typedef enum {
  UMB_FES_MBAR = 0,
  UMB_FES_WHAM = 1
} UmbFesType;
PETSC_EXTERN const char *const UmbFesTypes[];

typedef enum {
  UMB_FES_NEWTON = 0, /* TAONLS with the exact Hessian, dense Cholesky */
  UMB_FES_LMVM   = 1  /* TAOLMVM (gradient only) */
} UmbFesSolver;
PETSC_EXTERN const char *const UmbFesSolvers[];

typedef enum {
  UMB_FES_ERROR_BOOTSTRAP  = 0,
  UMB_FES_ERROR_ASYMPTOTIC = 1
} UmbFesErrorType;
PETSC_EXTERN const char *const UmbFesErrorTypes[];

/* Collective on comm. */
PETSC_EXTERN PetscErrorCode UmbFesCreate(MPI_Comm, UmbFes *);
/* Reads -fes_* */
PETSC_EXTERN PetscErrorCode UmbFesSetFromOptions(UmbFes);
/* Whether UmbFesSolve continues the bootstrap from ckpt/fes.h5 (default: no; umbra passes -restart, and umbra run sets it per stage) */
PETSC_EXTERN PetscErrorCode UmbFesSetRestart(UmbFes, PetscBool);
/* Seed of the bootstrap's streams (default 42; umbra passes -seed) */
PETSC_EXTERN PetscErrorCode UmbFesSetSeed(UmbFes, PetscInt64);
/* Prefix of the options SetFromOptions reads (default none) */
PETSC_EXTERN PetscErrorCode UmbFesSetOptionsPrefix(UmbFes, const char[]);
/* Run directory: samples.h5 is read from it and the outputs are written to it */
PETSC_EXTERN PetscErrorCode UmbFesSetDirectory(UmbFes, const char[]);
/* Opens samples.h5 and reads the windows this rank owns (UmbLayoutRange over the windows,
   whatever the rank count of the sampling run); checks the file and the options against it */
PETSC_EXTERN PetscErrorCode UmbFesSetUp(UmbFes);
/* Window free energies, their covariance and bootstrap, F(z) on the grid, diagnostics.
   A solve that does not converge is an error. The bootstrap checkpoints to <dir>/ckpt/fes.h5;
   finished is false when it stopped after a checkpoint (signal, -fes_stop_replica): exit code 3,
   -restart continues, and there are no results to write. */
PETSC_EXTERN PetscErrorCode UmbFesSolve(UmbFes, PetscBool *);
/* fes.h5, fes.csv, and windows.csv with f,df filled */
PETSC_EXTERN PetscErrorCode UmbFesWrite(UmbFes);
/* The console summary: solver, convergence, overlap, IACT and effective samples, consistency */
PETSC_EXTERN PetscErrorCode UmbFesView(UmbFes, PetscViewer);
PETSC_EXTERN PetscErrorCode UmbFesDestroy(UmbFes *);

/* Results, identical on every rank after UmbFesSolve */
/* K windows: f (f_0 = 0), and the standard errors of f_k - f_0 (bootstrap: NULL when no replicas) */
PETSC_EXTERN PetscErrorCode UmbFesGetWindowFreeEnergies(UmbFes, PetscInt *, const PetscReal **, const PetscReal **, const PetscReal **);
/* Grid: number of bins, centres (nbins x d), F (min 0, nan where empty), dF as chosen by -fes_error */
PETSC_EXTERN PetscErrorCode UmbFesGetProfile(UmbFes, PetscInt *, PetscInt *, const PetscReal **, const PetscReal **, const PetscReal **);
/* Solver outcome: iterations (after the self-consistent sweeps), max_k |sum_n W_nk - 1| */
PETSC_EXTERN PetscErrorCode UmbFesGetConvergence(UmbFes, PetscBool *, PetscInt *, PetscReal *);

/* Exporters: <dir>/export/<format>/ from <dir>/samples.h5 (1-D CVs; xyz: the frames of a
   molecular model, also from fes.h5 and lift.h5) */
typedef struct _p_UmbExport *UmbExport;
typedef enum {
  UMB_EXPORT_PYMBAR     = 0,
  UMB_EXPORT_GROSSFIELD = 1,
  UMB_EXPORT_GMX        = 2,
  UMB_EXPORT_XYZ        = 3
} UmbExportFormat;
PETSC_EXTERN const char *const UmbExportFormats[];

PETSC_EXTERN PetscErrorCode UmbExportCreate(MPI_Comm, UmbExport *);
/* Reads -export_format, -export_xyz_frames */
PETSC_EXTERN PetscErrorCode UmbExportSetFromOptions(UmbExport);
/* Collective: reads <dir>/samples.h5 and writes <dir>/export/<format>/ */
PETSC_EXTERN PetscErrorCode UmbExportWrite(UmbExport, const char[]);
PETSC_EXTERN PetscErrorCode UmbExportDestroy(UmbExport *);

/* Boltzmann constant in kJ/mol/K and kcal/mol/K (CODATA 2018, as GROMACS 2022 uses it) */
#define UMB_KB_KJMOL   0.00831446261815324
#define UMB_KB_KCALMOL 0.00198720425864083

/* Importers (docs/import.md): <dir>/samples.h5 from umbrella data of GROMACS (pullx.xvg and
   .mdp), PLUMED (COLVAR files and a list of windows) or Grossfield's WHAM (metadata file) */
typedef struct _p_UmbImport *UmbImport;
typedef enum {
  UMB_IMPORT_NONE       = 0,
  UMB_IMPORT_GMX        = 1,
  UMB_IMPORT_PLUMED     = 2,
  UMB_IMPORT_GROSSFIELD = 3
} UmbImportFormat;
PETSC_EXTERN const char *const UmbImportFormats[];

PETSC_EXTERN PetscErrorCode UmbImportCreate(MPI_Comm, UmbImport *);
/* Reads -import_* and checks their values */
PETSC_EXTERN PetscErrorCode UmbImportSetFromOptions(UmbImport);
/* Collective: reads the files, each rank those of its windows (UmbLayoutRange), and writes
   <dir>/samples.h5 and <dir>/windows.csv; nothing is written when an input is bad */
PETSC_EXTERN PetscErrorCode UmbImportWrite(UmbImport, const char[]);
PETSC_EXTERN PetscErrorCode UmbImportDestroy(UmbImport *);

/* fes.h5 read back by the later stages (closure, dmap, coupling rounds, report): the only way
   to it, so that its layout has one owner. Collective on the communicator of Open. */
typedef struct _p_UmbFesFile *UmbFesFile;
PETSC_EXTERN PetscErrorCode UmbFesFileOpen(MPI_Comm, const char[], UmbFesFile *);
PETSC_EXTERN PetscErrorCode UmbFesFileClose(UmbFesFile *);
/* The CV's component names (comma-separated) and beta of the samples */
PETSC_EXTERN PetscErrorCode UmbFesFileGetCV(UmbFesFile, char[], size_t, PetscReal *);
/* Number of per-sample log normalisers (one per row of samples.h5; -1 when not a vector) */
PETSC_EXTERN PetscErrorCode UmbFesFileGetSampleCount(UmbFesFile, PetscInt64 *);
/* Each rank reads rows [row0, row0 + nrows): ln sum_k N_k exp(f_k - u_k(z_n)), the unbiased
   weight of sample n is exp(-log normaliser) */
PETSC_EXTERN PetscErrorCode UmbFesFileReadLogNormalisers(UmbFesFile, PetscInt64, PetscInt64, PetscReal[]);
/* Stops, naming the file and the row (row0 + i, or rowid[i]), when one is not finite */
PETSC_EXTERN PetscErrorCode UmbFesFileCheckLogNormalisers(UmbFesFile, PetscInt64, const PetscReal[], PetscInt64, const PetscInt64[]);
/* The profile on its grid: bins, centres (bins x d), F and dF; free with PetscFree3(z, F, dF) */
PETSC_EXTERN PetscErrorCode UmbFesFileReadProfile(UmbFesFile, PetscInt, PetscInt *, PetscReal **, PetscReal **, PetscReal **);
/* The window diagnostics a coupling round chooses new windows from */
typedef struct {
  PetscInt    K;       /* windows */
  PetscReal  *neff;    /* K effective sample counts */
  PetscReal   alpha;   /* level of the neighbour consistency test */
  PetscInt    npairs;  /* neighbour pairs */
  PetscInt64 *pairs;   /* npairs x 2 windows */
  PetscReal  *overlap; /* npairs x 2: the overlap of each pair, seen from either window */
  PetscReal  *pvalue;  /* npairs: p-value of the consistency test */
} UmbFesDiagnostics;
/* Checks that the file holds K windows (those of samples.h5) */
PETSC_EXTERN PetscErrorCode UmbFesFileReadDiagnostics(UmbFesFile, PetscInt, UmbFesDiagnostics *);
PETSC_EXTERN PetscErrorCode UmbFesDiagnosticsFree(UmbFesDiagnostics *);
/* The K x K overlap matrix (K = 0, NULL when the file has none; free with PetscFree) */
PETSC_EXTERN PetscErrorCode UmbFesFileReadOverlap(UmbFesFile, PetscInt *, PetscReal **);
/* The smallest neighbour overlap, when the file has diagnostics */
PETSC_EXTERN PetscErrorCode UmbFesFileGetMinNeighbourOverlap(UmbFesFile, PetscBool *, PetscReal *);

#endif
