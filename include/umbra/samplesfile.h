/* samples.h5, read and written only through UmbSamplesFile (docs/outputs.md): the states x
   (N x n) and CV values z (N x d) of every window, window after window, walker after walker,
   frame after frame; the window table (centres, spring constants, row offsets, IACT, the
   coupling round that added each window) and the attributes a reader needs without the options
   (model, CV, beta, period, the sampling settings). An exploration run (umbra dmap) writes the
   states alone. Every function is collective on the file's communicator. */
#ifndef UMBRA_SAMPLESFILE_H
#define UMBRA_SAMPLESFILE_H

#include <umbra/io.h>

typedef struct _p_UmbSamplesFile *UmbSamplesFile;

#define UMB_ATOM_STRLEN     16   /* an atom's name or element in /atoms, with its NUL */
#define UMB_COORDINATES_LEN 4096 /* the attribute coordinates of /samples, with its NUL */

/* The two arrays of rows */
typedef enum {
  UMB_SAMPLES_X = 0, /* states, n columns */
  UMB_SAMPLES_Z = 1  /* CV values, d columns */
} UmbSamplesArray;

/* The window table, identical on every rank. Attributes a file does not have take the values
   of a single series: walkers 1, stride 1, burn-in 0, dt 1, no period. */
typedef struct {
  PetscInt    K, d;               /* windows, CV components (1 or 2) */
  PetscInt64  N;                  /* rows */
  PetscReal  *center, *kappa;     /* K x d */
  PetscInt64 *offset;             /* K + 1: window k is rows offset[k] .. offset[k+1]-1 */
  PetscInt64 *walkers, *frames;   /* K: walker series of each window and frames per walker
                                     (one series when the file's layout does not fit) */
  PetscReal  *iact;               /* K: the IACT of each window in frames, when has_iact */
  PetscInt64 *round;              /* K: the coupling round that added the window (0 without) */
  PetscInt64 *superseded_by;      /* K: the window that continues this one and replaces it in the
                                     estimates (/windows/superseded_by; -1: none, and without) */
  PetscInt   *window;             /* K: the file's index of each window (a pooled table leaves the
                                     superseded windows out) */
  PetscInt64 *row;                /* K: the file row of each window's first row */
  PetscInt    Kfile, nsuperseded; /* windows in the file, superseded among them */
  PetscBool   has_iact, has_round;
  PetscReal   beta, period[2], dt;
  PetscReal   temperature;        /* K, of a molecular model's samples and of samples imported
                                     from an engine with a temperature (attribute temperature of
                                     /samples; 0: reduced units only) */
  char        energy_unit[32];    /* attribute energy_unit of /samples ("kcal/mol"; "": reduced units) */
  PetscInt64  nwalkers, nframes;  /* the attributes walkers and frames_per_walker */
  PetscInt64  stride, steps, burnin, seed;
  /* the atoms of a molecular model (group /atoms; natoms 0 and the arrays NULL without): atom i
     (0-based, id i + 1) at coordinates 3i .. 3i+2; names and elements natoms x UMB_ATOM_STRLEN,
     each NUL-terminated */
  PetscInt    natoms;
  PetscInt64 *atom_type;
  PetscReal  *atom_mass;
  char       *atom_name, *atom_element;
  /* coordinates: the coordinate names joined by commas, "" when unknown (or when they would not
     fit: UMB_COORDINATES_LEN) */
  char        model[256], cv[256], cv_names[256], coordinates[UMB_COORDINATES_LEN], integrator[64];
} UmbSamplesTable;

/* The windows UmbLayoutRange assigns to this rank and their CV values */
typedef struct {
  PetscInt   klo, khi;       /* windows [klo, khi) */
  PetscInt64 row0, nloc;     /* their rows: row0 .. row0 + nloc - 1 */
  PetscReal *z;              /* nloc x d, in file order */
  PetscReal *iact;           /* K: the file's IACT, or computed from the walker series when it
                                has none; at least 1 */
  PetscBool  iact_from_file;
} UmbSamplesBlock;

/* Reading. Open checks the kind (samples) and the format version. */
PETSC_EXTERN PetscErrorCode UmbSamplesFileOpen(MPI_Comm, const char[], UmbSamplesFile *);
PETSC_EXTERN PetscErrorCode UmbSamplesFileGetPath(UmbSamplesFile, const char **);
/* The window table, read on first use and checked: d = 1 or 2, offsets rising from 0 to the
   rows of z, finite centres, spring constants >= 0, beta > 0, period >= 0 */
PETSC_EXTERN PetscErrorCode UmbSamplesFileGetTable(UmbSamplesFile, const UmbSamplesTable **);
/* The windows the estimates pool (free energy, closures): those no later window superseded
   (docs/coupling.md, flow rounds), with offsets counted over them alone (rows of superseded
   windows left out); window[k] and row[k] locate them in the file. The whole table when no
   window is superseded. */
PETSC_EXTERN PetscErrorCode UmbSamplesFileGetPooledTable(UmbSamplesFile, const UmbSamplesTable **);
/* Rows and columns of an array (an error naming the file when it is missing) */
PETSC_EXTERN PetscErrorCode UmbSamplesFileGetShape(UmbSamplesFile, UmbSamplesArray, PetscInt64 *, PetscInt *);
/* Stops unless x is N x n ("the samples come from another model") */
PETSC_EXTERN PetscErrorCode UmbSamplesFileCheckStates(UmbSamplesFile, PetscInt64, PetscInt);
/* Each rank reads its own rows [row0, row0 + nrows) */
PETSC_EXTERN PetscErrorCode UmbSamplesFileReadRows(UmbSamplesFile, UmbSamplesArray, PetscInt64, PetscInt64, PetscReal[]);
/* Stops, naming file, array and row, when one of the values read is not finite (rows numbered
   row0 + i, or rowid[i]); remedy ends the message */
PETSC_EXTERN PetscErrorCode UmbSamplesFileCheckFinite(UmbSamplesFile, UmbSamplesArray, PetscInt64, PetscInt, const PetscReal[], PetscInt64, const PetscInt64[], const char[]);
/* This rank's windows of the pooled table and their CV values (UmbLayoutRange over the pooled
   windows, any rank count); row0 counts pooled rows */
PETSC_EXTERN PetscErrorCode UmbSamplesFileReadBlock(UmbSamplesFile, UmbSamplesBlock *);
/* The rows of an array (ncol columns) of this rank's block, in the block's order */
PETSC_EXTERN PetscErrorCode UmbSamplesFileReadBlockRows(UmbSamplesFile, const UmbSamplesBlock *, UmbSamplesArray, PetscInt, PetscReal[]);
PETSC_EXTERN PetscErrorCode UmbSamplesBlockFree(UmbSamplesBlock *);

/* Writing. Create writes <path>.tmp, or <path>.partial when partial (kept for a restart when
   closed without commit); ReopenPartial continues a partial file of N x n states, and says in
   why (empty when it can) why it cannot. */
PETSC_EXTERN PetscErrorCode UmbSamplesFileCreate(MPI_Comm, const char[], PetscBool, UmbSamplesFile *);
PETSC_EXTERN PetscErrorCode UmbSamplesFileReopenPartial(MPI_Comm, const char[], PetscInt64, PetscInt, char[], size_t, UmbSamplesFile *);
/* x of N x n and, when d > 0, z of N x d, allocated in full */
PETSC_EXTERN PetscErrorCode UmbSamplesFileCreateArrays(UmbSamplesFile, PetscInt64, PetscInt, PetscInt);
PETSC_EXTERN PetscErrorCode UmbSamplesFileWriteRows(UmbSamplesFile, UmbSamplesArray, PetscInt64, PetscInt64, const PetscReal[]);
/* Centres, spring constants, offsets and the attributes of the table */
PETSC_EXTERN PetscErrorCode UmbSamplesFileWriteTable(UmbSamplesFile, const UmbSamplesTable *);
/* Per-window IACT and sample counts, once the windows are sampled */
PETSC_EXTERN PetscErrorCode UmbSamplesFileWriteWindowStats(UmbSamplesFile, PetscInt, const PetscReal[], const PetscInt64[]);
/* Flow moves of each window: counts K x 3 (proposals, accepted, mode switches), the steps
   between moves, the base scale and the mixture weight */
PETSC_EXTERN PetscErrorCode UmbSamplesFileWriteFlowMoves(UmbSamplesFile, PetscInt, const PetscInt64[], PetscInt64, PetscReal, PetscReal);
/* The round that added each window, and the number of coupling rounds */
PETSC_EXTERN PetscErrorCode UmbSamplesFileWriteRounds(UmbSamplesFile, PetscInt, const PetscInt64[], PetscInt);
/* /windows/superseded_by: for each window the window that superseded it (-1: none) */
PETSC_EXTERN PetscErrorCode UmbSamplesFileWriteSuperseded(UmbSamplesFile, PetscInt, const PetscInt64[]);
/* States of an unbiased run (no windows): where they come from and how they were made */
PETSC_EXTERN PetscErrorCode UmbSamplesFileWriteUnbiased(UmbSamplesFile, const char[], const char[], PetscInt64, PetscInt64, PetscInt64, PetscInt64, PetscReal, PetscReal);
/* Frames [f0, f1) of every walker of windows [klo, khi) with nsave frames per walker, from or
   into buf laid out [window - klo][walker][F frames][component] */
PETSC_EXTERN PetscErrorCode UmbSamplesFileWriteFrames(UmbSamplesFile, UmbSamplesArray, PetscInt, PetscInt, PetscInt, PetscInt64, PetscInt64, PetscInt64, PetscInt64, const PetscReal *);
PETSC_EXTERN PetscErrorCode UmbSamplesFileReadFrames(UmbSamplesFile, UmbSamplesArray, PetscInt, PetscInt, PetscInt, PetscInt64, PetscInt64, PetscInt64, PetscInt64, PetscReal *);
/* Where imported samples come from (umbra import, docs/import.md), written to /import */
typedef struct {
  const char       *format, *engine; /* the import format (gmx, plumed, grossfield) and who wrote the files */
  const char       *units, *cv_unit; /* energy unit of the spring constants in the files; the CV's unit */
  const char       *cv;              /* what the CV is in the source (gmx-<pull geometry>, plumed, grossfield) */
  PetscReal         kB;              /* Boltzmann constant in units per K (0: the files are in kT) */
  PetscReal         begin, end;      /* -import_begin, -import_end (NaN: not given) */
  PetscInt          nfiles;          /* files read: the lists, then the data and parameter files */
  PetscInt          width;           /* characters per entry of files (the longest entry and its NUL) */
  const char       *files;           /* nfiles x width: "sha256  path", as sha256sum prints them */
  const PetscInt64 *window;          /* nfiles: the window of each file (-1: a list) */
  const PetscInt64 *frames, *dropped; /* nfiles: frames kept, and dropped by time, of each file */
} UmbSamplesImport;
PETSC_EXTERN PetscErrorCode UmbSamplesFileWriteImport(UmbSamplesFile, const UmbSamplesImport *);
/* windows.csv of a table (flow: K x 3 flow-move counts, NULL: none): window, centre, kappa,
   samples, IACT, and f, df left nan for umbra fes */
PETSC_EXTERN PetscErrorCode UmbSamplesFileWriteWindowsCsv(MPI_Comm, const char[], const UmbSamplesTable *, const PetscInt64[]);
/* Data and metadata written so far to disk (a checkpoint counts on them) */
PETSC_EXTERN PetscErrorCode UmbSamplesFileFlush(UmbSamplesFile);
/* A created file is renamed into place when commit is true; a file opened for reading is closed */
PETSC_EXTERN PetscErrorCode UmbSamplesFileClose(UmbSamplesFile *, PetscBool);

/* <out>/samples.h5 = the rows of <prev>/samples.h5 unchanged, then those of <add>/samples.h5
   (NULL: none), windows appended, with the round that added each window (round for the windows
   of add, unless its file says otherwise), the flow-move counts of every window when any part
   has them (zero for windows sampled without moves; the flow_* attributes of the newest part
   with moves); and <out>/windows.csv to match (with the flow columns then). continues (NULL:
   none) gives for each window of add the window of prev it continues (-1: a new window); with
   supersede those windows of prev are recorded as superseded by their continuations
   (/windows/superseded_by, carried over from prev for earlier rounds). */
PETSC_EXTERN PetscErrorCode UmbSamplesFileMerge(MPI_Comm, const char[], const char[], PetscInt, const PetscInt64[], PetscBool, const char[]);

#endif
