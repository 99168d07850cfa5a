/* Private layout of UmbImport (src/fes/import*.c): the windows of the lists, identical on every
   rank, and the rows of the windows this rank reads. A bad input is recorded in err (the first
   one, naming file and line) and agreed on by every rank before anything is written. */
#ifndef UMBRA_IMPORTIMPL_H
#define UMBRA_IMPORTIMPL_H

#include <umbra/fes.h>
#include <umbra/samplesfile.h>
#include <stdio.h>
#include <sys/types.h>

#define UMB_IMPORT_ERRLEN 1536
#define UMB_IMPORT_MAXCOL 64

struct _p_UmbImport {
  MPI_Comm        comm;
  PetscMPIInt     rank, size;
  UmbImportFormat format;
  /* options */
  char      it[PETSC_MAX_PATH_LEN], ix[PETSC_MAX_PATH_LEN], list[PETSC_MAX_PATH_LEN];
  char      units[32], column[256], fine[1024];
  PetscReal temp, begin, end, period;
  PetscBool units_set, temp_set, begin_set, end_set, period_set, fine_set;
  /* the energy unit of the files: its Boltzmann constant (0: kT) */
  PetscReal kB;
  /* the entries of the lists (one per data file) and the windows they form, on every rank */
  PetscInt   nent, K, nix;              /* entries, windows, entries of the gmx pullx list */
  char     **series, **param;           /* nent: data file, parameter file (gmx .mdp; NULL otherwise) */
  const char *entlist;                  /* the list the entries come from (messages) */
  PetscInt  *entline;                   /* nent: line of the entry in its list */
  PetscReal *ecenter, *ekappa, *ecorrel, *etemp; /* nent, from the list (NaN: not given) */
  PetscInt  *first;                     /* K + 1: window k is entries first[k] .. first[k+1]-1 */
  /* per window, gathered: centre, spring constant in kT per CV unit^2, temperature (K, 0: none), IACT */
  PetscReal *center, *kappa, *temperature, *iact;
  PetscInt64 *nk, *walkers, *frames;    /* K: rows, walker series, frames per walker (-1: uneven) */
  PetscReal  per;                       /* period of the CV (0: none) */
  PetscInt   n;                         /* columns of x: the CV, then the fine coordinates */
  char       cvname[256], cvunit[32], cvtype[64], engine[64], coordinates[256];
  /* this rank's windows [klo, khi) and their rows */
  PetscInt   klo, khi;
  PetscReal *z, *x;
  PetscInt64 nloc, cap;
  /* per entry, gathered: frames kept and dropped, checksum */
  PetscInt64 *eframes, *edropped;
  char (*sha)[65];
  char listsha[2][65];
  char err[UMB_IMPORT_ERRLEN];
};

/* Streamed text: line by line, hashed as read */
typedef struct {
  FILE      *fd;
  const char *path;
  char      *line;
  size_t     cap;
  PetscInt64 lineno;
  UmbSha256  sha;
} UmbImportReader;

/* Records the first bad input (later ones are dropped); returns PETSC_FALSE */
PETSC_INTERN PetscBool UmbImportFail(UmbImport, const char[], ...) PETSC_ATTRIBUTE_FORMAT(2, 3);
/* Opens a file (PETSC_FALSE and err set when it cannot be read) */
PETSC_INTERN PetscBool UmbImportOpen(UmbImport, UmbImportReader *, const char[]);
/* The next line without its end of line, or -1 at the end (err set on a read error) */
PETSC_INTERN ssize_t UmbImportNextLine(UmbImport, UmbImportReader *);
/* Closes the file and gives its checksum (sha may be NULL) */
PETSC_INTERN void UmbImportClose(UmbImportReader *, char[65]);
/* Splits a line in place at white space into at most max tokens; returns the count (max + 1:
   more than max) */
PETSC_INTERN int UmbImportSplit(char *, char *[], int);
/* A finite number from a token, or err set naming file, line and what the value is */
PETSC_INTERN PetscBool UmbImportReal(UmbImport, const UmbImportReader *, const char *, const char[], double *);
/* A frame of entry e at time t (checked against the previous one in *tprev, then kept or dropped
   by -import_begin/-import_end): z and the x row (n values, x[0] = z) */
PETSC_INTERN PetscErrorCode UmbImportFrame(UmbImport, const UmbImportReader *, PetscInt, double, double *, const double[]);
/* The time series of entry e: lines of time and value (further columns ignored; lines starting
   with a character of skip are headers); what names the value in messages */
PETSC_INTERN PetscErrorCode UmbImportReadSeries(UmbImport, PetscInt, const char[], const char[]);
/* A path of a list, relative to the list's directory unless absolute */
PETSC_INTERN void UmbImportResolve(const char[], const char[], char[], size_t);
/* The entries of a list file: the tokens of each non-comment line to add(im, r, tok, ntok),
   which appends an entry */
PETSC_INTERN PetscErrorCode UmbImportReadList(UmbImport, const char[], int, int, const char[], PetscErrorCode (*)(UmbImport, const UmbImportReader *, char *[], int), char[65]);
PETSC_INTERN PetscErrorCode UmbImportAddEntry(UmbImport, const UmbImportReader *, const char[], const char[], PetscReal, PetscReal, PetscReal, PetscReal);

/* The formats: the window list (every rank), then the local windows' files */
PETSC_INTERN PetscErrorCode UmbImportListGmx(UmbImport);
PETSC_INTERN PetscErrorCode UmbImportReadGmx(UmbImport);
PETSC_INTERN PetscErrorCode UmbImportListText(UmbImport);
PETSC_INTERN PetscErrorCode UmbImportReadPlumed(UmbImport);
PETSC_INTERN PetscErrorCode UmbImportReadGrossfield(UmbImport);

#endif
