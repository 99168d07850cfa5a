/* Output and input files: umbra HDF5 files (parallel, versioned, written atomically) and
   CSV tables (rank 0, written atomically). */
#ifndef UMBRA_IO_H
#define UMBRA_IO_H

#include <umbra/sys.h>
#include <hdf5.h>

/* Version of the umbra HDF5 layout, stored in the root attribute umbra_format.
   A reader accepts files of the same major version.
   Version log:
   1.0  first layout (samples.h5, exact references)
   1.1  the HDF5 1.10 file format (checksummed metadata); datasets chunked with the Fletcher32
        checksum filter. 1.0 files are still read, without the data checks. */
#define UMB_H5_FORMAT_MAJOR 1
#define UMB_H5_FORMAT_MINOR 1

typedef struct _p_UmbH5 *UmbH5;

/* Collective. Creates <path>.tmp (renamed to path by UmbH5Close with commit) with the root
   attributes umbra_format and umbra_kind and the /provenance group. */
PETSC_EXTERN PetscErrorCode UmbH5Create(MPI_Comm, const char[], const char[], UmbH5 *);
/* Collective. Like UmbH5Create, but the file is <path>.partial: UmbH5Close with commit renames
   it to path, without commit keeps it for a restart (a failing run removes it; one killed
   leaves it behind). */
PETSC_EXTERN PetscErrorCode UmbH5CreatePartial(MPI_Comm, const char[], const char[], UmbH5 *);
/* Collective. Reopens <path>.partial read-write (restart); checks kind and format */
PETSC_EXTERN PetscErrorCode UmbH5ReopenPartial(MPI_Comm, const char[], const char[], UmbH5 *);
/* Collective. Writes the metadata and the data written so far to disk: after it, a killed run
   leaves a consistent file (datasets are allocated in full when created) */
PETSC_EXTERN PetscErrorCode UmbH5Flush(UmbH5);
/* A created file: when it is committed, the existing file at its path is renamed to prev */
PETSC_EXTERN PetscErrorCode UmbH5KeepPrevious(UmbH5, const char[]);
/* Collective. Opens an existing file for reading; checks that it is an umbra file of the
   given kind with a compatible format version. */
PETSC_EXTERN PetscErrorCode UmbH5Open(MPI_Comm, const char[], const char[], UmbH5 *);
/* Collective. Closes the file; a created file is renamed into place when commit is true
   and removed otherwise. */
PETSC_EXTERN PetscErrorCode UmbH5Close(UmbH5 *, PetscBool);
PETSC_EXTERN PetscErrorCode UmbH5GetId(UmbH5, hid_t *);
PETSC_EXTERN PetscErrorCode UmbH5GetPath(UmbH5, const char **);
PETSC_EXTERN PetscErrorCode UmbH5GetComm(UmbH5, MPI_Comm *);

/* Datasets. Names are absolute paths ("/group/name"); missing groups are created.
   Collective: every rank calls each function with the same name and shape. */
PETSC_EXTERN PetscErrorCode UmbH5CreateDataset(UmbH5, const char[], hid_t, int, const hsize_t[]);
/* Each rank writes (or reads) its own block of rows [row0, row0+nrows), nrows may be 0 */
PETSC_EXTERN PetscErrorCode UmbH5WriteRows(UmbH5, const char[], hid_t, hsize_t, hsize_t, const void *);
PETSC_EXTERN PetscErrorCode UmbH5ReadRows(UmbH5, const char[], hid_t, hsize_t, hsize_t, void *);
/* Small datasets: created and written from rank 0's buffer; read in full by every rank */
PETSC_EXTERN PetscErrorCode UmbH5WriteSmall(UmbH5, const char[], hid_t, int, const hsize_t[], const void *);
PETSC_EXTERN PetscErrorCode UmbH5ReadSmall(UmbH5, const char[], hid_t, size_t, void *);
/* The result of an H5Dread or H5Dwrite of dataset name done by every rank. A failed read stops
   every rank (collective), naming file and dataset ("fails its checksum" for damaged data); a
   failed write stops the rank that saw it, naming the file (and a full disk) */
PETSC_EXTERN PetscErrorCode UmbH5CheckIO(UmbH5, const char[], PetscBool, herr_t);
PETSC_EXTERN PetscErrorCode UmbH5TransferList(UmbH5, hid_t *);
PETSC_EXTERN PetscErrorCode UmbH5GetShape(UmbH5, const char[], int *, hsize_t[]);
PETSC_EXTERN PetscErrorCode UmbH5HasObject(UmbH5, const char[], PetscBool *);

/* Attributes on an object ("/" for the root). Collective; every rank passes the same value. */
PETSC_EXTERN PetscErrorCode UmbH5WriteAttrString(UmbH5, const char[], const char[], const char[]);
PETSC_EXTERN PetscErrorCode UmbH5WriteAttrReals(UmbH5, const char[], const char[], PetscInt, const PetscReal[]);
PETSC_EXTERN PetscErrorCode UmbH5WriteAttrInt(UmbH5, const char[], const char[], PetscInt64);
PETSC_EXTERN PetscErrorCode UmbH5ReadAttrString(UmbH5, const char[], const char[], char[], size_t);
PETSC_EXTERN PetscErrorCode UmbH5ReadAttrReals(UmbH5, const char[], const char[], PetscInt, PetscReal[]);
PETSC_EXTERN PetscErrorCode UmbH5ReadAttrInt(UmbH5, const char[], const char[], PetscInt64 *);

/* Collective: stops with "<path>: row r of <dataset> is not a finite number: the file is damaged;
   <remedy>" if any of the nrows x ncols values is NaN or infinite. Rows are numbered row0 + i,
   or rowid[i] when rowid is given. */
PETSC_EXTERN PetscErrorCode UmbCheckFiniteRows(MPI_Comm, const char[], const char[], PetscInt64, PetscInt, const PetscReal[], PetscInt64, const PetscInt64[], const char[]);

/* CSV tables, written by rank 0 to <path>.tmp and renamed on commit. The first line is a
   '#' comment with the provenance, the second the column header. */
typedef struct _p_UmbCsv *UmbCsv;
PETSC_EXTERN PetscErrorCode UmbCsvCreate(MPI_Comm, const char[], const char[], UmbCsv *);
PETSC_EXTERN PetscErrorCode UmbCsvRow(UmbCsv, const char[], ...) PETSC_ATTRIBUTE_FORMAT(2, 3);
PETSC_EXTERN PetscErrorCode UmbCsvClose(UmbCsv *, PetscBool);

/* Checkpoints of long stages (src/io/checkpoint.c): <dir>/ckpt/<stage>.h5, the one before kept
   as <stage>.prev.h5. The options that define the stage's trajectory are recorded as
   name=value lines and compared on restart. */
typedef struct {
  char text[4096];
} UmbOptionRecord;
/* Appends one name=value line (value formatted like printf) */
PETSC_EXTERN PetscErrorCode UmbOptionRecordAdd(UmbOptionRecord *, const char[], const char[], ...) PETSC_ATTRIBUTE_FORMAT(3, 4);
/* Appends reals in the shortest form that reads back exactly, comma-separated */
PETSC_EXTERN PetscErrorCode UmbOptionRecordAddReals(UmbOptionRecord *, const char[], PetscInt, const PetscReal[]);
/* Collective. Creates <dir>/ckpt/<stage>.h5 (through a temporary file) with the option record */
PETSC_EXTERN PetscErrorCode UmbCheckpointCreate(MPI_Comm, const char[], const char[], const UmbOptionRecord *, UmbH5 *);
/* Collective. Puts the new checkpoint in place: <stage>.h5 -> <stage>.prev.h5, tmp -> <stage>.h5 */
PETSC_EXTERN PetscErrorCode UmbCheckpointCommit(UmbH5 *);
/* Collective. Opens the newest usable checkpoint of the stage: <stage>.h5, else (with a warning
   naming the file and the reason) <stage>.prev.h5. Usable: an HDF5 file of kind
   <stage>-checkpoint holding every object in required (NULL-terminated). Errors (exit 2) when
   neither is usable, naming producer (the command that writes it), or when a recorded option
   differs from rec. */
PETSC_EXTERN PetscErrorCode UmbCheckpointOpen(MPI_Comm, const char[], const char[], const UmbOptionRecord *, const char *const[], const char[], UmbH5 *);
/* Collective: rank 0 checks with serial HDF5 that path is an umbra file of the kind holding every
   object in required (NULL-terminated); why is empty if so, else the reason (every rank gets it) */
PETSC_EXTERN PetscErrorCode UmbH5CheckUsable(MPI_Comm, const char[], const char[], const char *const[], char[], size_t);
/* Collective. Removes the stage's checkpoints (the stage finished) */
PETSC_EXTERN PetscErrorCode UmbCheckpointRemove(MPI_Comm, const char[], const char[]);

#endif
