/* samples.h5: opening, creating and closing the file, and its two arrays of rows. */
#include <umbra/private/samplesfileimpl.h>

const char *const UmbSamplesArrayNames[] = {"/samples/x", "/samples/z"};

static PetscErrorCode New(MPI_Comm comm, const char path[], UmbSamplesFile *sf)
{
  PetscFunctionBegin;
  PetscCall(PetscNew(sf));
  (*sf)->comm = comm;
  PetscCall(PetscStrncpy((*sf)->path, path, sizeof((*sf)->path)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplesFileOpen(MPI_Comm comm, const char path[], UmbSamplesFile *sf)
{
  PetscFunctionBegin;
  PetscCall(New(comm, path, sf));
  PetscCall(UmbH5Open(comm, path, "samples", &(*sf)->h5));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplesFileCreate(MPI_Comm comm, const char path[], PetscBool partial, UmbSamplesFile *sf)
{
  PetscFunctionBegin;
  PetscCall(New(comm, path, sf));
  if (partial) PetscCall(UmbH5CreatePartial(comm, path, "samples", &(*sf)->h5));
  else PetscCall(UmbH5Create(comm, path, "samples", &(*sf)->h5));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplesFileReopenPartial(MPI_Comm comm, const char path[], PetscInt64 N, PetscInt n, char why[], size_t len, UmbSamplesFile *sf)
{
  static const char *const required[] = {"/samples/x", "/samples/z", NULL};
  char                     partial[PETSC_MAX_PATH_LEN + 16];
  PetscInt64               rows;
  PetscInt                 cols;

  PetscFunctionBegin;
  *sf = NULL;
  snprintf(partial, sizeof(partial), "%s.partial", path);
  PetscCall(UmbH5CheckUsable(comm, partial, "samples", required, why, len));
  if (why[0]) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(New(comm, path, sf));
  PetscCall(UmbH5ReopenPartial(comm, path, "samples", &(*sf)->h5));
  PetscCall(UmbSamplesFileGetShape(*sf, UMB_SAMPLES_X, &rows, &cols));
  if (rows != N || cols != n) {
    snprintf(why, len, "/samples/x has another shape than this run writes");
    PetscCall(UmbSamplesFileClose(sf, PETSC_FALSE));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplesFileGetPath(UmbSamplesFile sf, const char **path)
{
  PetscFunctionBegin;
  *path = sf->path;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* rank-1 arrays count as one column; other ranks give -1 columns, which no caller accepts */
PetscErrorCode UmbSamplesFileGetShape(UmbSamplesFile sf, UmbSamplesArray a, PetscInt64 *rows, PetscInt *cols)
{
  int     r;
  hsize_t dims[3];

  PetscFunctionBegin;
  PetscCall(UmbH5GetShape(sf->h5, UmbSamplesArrayNames[a], &r, dims));
  *rows = (PetscInt64)dims[0];
  *cols = r == 1 ? 1 : r == 2 && dims[1] <= (hsize_t)PETSC_MAX_INT ? (PetscInt)dims[1] : -1;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplesFileCheckStates(UmbSamplesFile sf, PetscInt64 N, PetscInt n)
{
  int     r;
  hsize_t dims[3];

  PetscFunctionBegin;
  PetscCall(UmbH5GetShape(sf->h5, "/samples/x", &r, dims));
  PetscCheck(r == 2 && dims[1] == (hsize_t)n && dims[0] == (hsize_t)N, sf->comm, PETSC_ERR_USER_INPUT, "%s: /samples/x is not %" PetscInt64_FMT " x %" PetscInt_FMT ": the samples come from another model (use the options of the sampling run)", sf->path, N, n);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplesFileReadRows(UmbSamplesFile sf, UmbSamplesArray a, PetscInt64 row0, PetscInt64 nrows, PetscReal buf[])
{
  PetscFunctionBegin;
  PetscCall(UmbH5ReadRows(sf->h5, UmbSamplesArrayNames[a], H5T_NATIVE_DOUBLE, (hsize_t)row0, (hsize_t)nrows, buf));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplesFileWriteRows(UmbSamplesFile sf, UmbSamplesArray a, PetscInt64 row0, PetscInt64 nrows, const PetscReal buf[])
{
  PetscFunctionBegin;
  PetscCall(UmbH5WriteRows(sf->h5, UmbSamplesArrayNames[a], H5T_NATIVE_DOUBLE, (hsize_t)row0, (hsize_t)nrows, buf));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplesFileCheckFinite(UmbSamplesFile sf, UmbSamplesArray a, PetscInt64 nrows, PetscInt ncols, const PetscReal v[], PetscInt64 row0, const PetscInt64 rowid[], const char remedy[])
{
  PetscFunctionBegin;
  PetscCall(UmbCheckFiniteRows(sf->comm, sf->path, UmbSamplesArrayNames[a], nrows, ncols, v, row0, rowid, remedy));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplesFileCreateArrays(UmbSamplesFile sf, PetscInt64 N, PetscInt n, PetscInt d)
{
  hsize_t dims[2] = {(hsize_t)N, (hsize_t)n};

  PetscFunctionBegin;
  PetscCall(UmbH5CreateDataset(sf->h5, "/samples/x", H5T_IEEE_F64LE, 2, dims));
  dims[1] = (hsize_t)d;
  if (d > 0) PetscCall(UmbH5CreateDataset(sf->h5, "/samples/z", H5T_IEEE_F64LE, 2, dims));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplesFileFlush(UmbSamplesFile sf)
{
  PetscFunctionBegin;
  PetscCall(UmbH5Flush(sf->h5));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplesFileClose(UmbSamplesFile *sf, PetscBool commit)
{
  PetscFunctionBegin;
  if (!*sf) PetscFunctionReturn(PETSC_SUCCESS);
  if ((*sf)->h5) PetscCall(UmbH5Close(&(*sf)->h5, commit));
  if ((*sf)->have_pooled && (*sf)->pooled.center != (*sf)->table.center) {
    UmbSamplesTable *p = &(*sf)->pooled; /* shares the atoms of the table */
    p->atom_type       = NULL;
    p->atom_mass       = NULL;
    p->atom_name       = NULL;
    p->atom_element    = NULL;
    PetscCall(UmbSamplesTableFree(p));
  }
  PetscCall(UmbSamplesTableFree(&(*sf)->table));
  PetscCall(PetscFree(*sf));
  PetscFunctionReturn(PETSC_SUCCESS);
}
