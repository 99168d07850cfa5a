/* umbra HDF5 files: collective row writes from every rank read back exactly, attributes round
   trip, a file appears only when committed (no partial file), and readers refuse files of
   another kind, of an incompatible format version, and files that are not HDF5. */
// TEST: nsize=1,2,3
#include "tap.h"
#include <unistd.h>

static PetscErrorCode Expect(PetscErrorCode (*fn)(MPI_Comm, const char *), MPI_Comm comm, const char *path, const char *what)
{
  PetscErrorCode e;
  PetscFunctionBegin;
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  e = fn(comm, path);
  PetscCall(PetscPopErrorHandler());
  UMB_CHECK(e == PETSC_ERR_FILE_UNEXPECTED || e == PETSC_ERR_FILE_OPEN, "%s: opening %s gave %d", what, path, (int)e);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode OpenSamples(MPI_Comm comm, const char *path)
{
  UmbH5 h;
  PetscFunctionBegin;
  PetscCall(UmbH5Open(comm, path, "samples", &h));
  PetscCall(UmbH5Close(&h, PETSC_FALSE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscErrorCode ierr;
  PetscMPIInt    rank, size;
  MPI_Comm       comm;
  const hsize_t  rows = 7, cols = 3;

  ierr = UmbInitialize(&argc, &argv, NULL);
  if (ierr) return UmbFinalize(ierr);
  PetscFunctionBeginUser;
  comm = PETSC_COMM_WORLD;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  {
    UmbH5      h;
    hsize_t    dims[2] = {rows * size, cols};
    PetscReal *buf, *back, attr[2] = {1.5, -2}, ra[2];
    PetscInt64 iv;
    PetscBool  exists;
    char       s[64];

    PetscCall(PetscMalloc2(rows * cols, &buf, rows * cols * size, &back));
    for (hsize_t i = 0; i < rows * cols; i++) buf[i] = 1000.0 * rank + i;
    PetscCall(UmbH5Create(comm, "a.h5", "test", &h));
    PetscCall(PetscTestFile("a.h5", 'r', &exists));
    UMB_CHECK(!exists, "a.h5 visible before commit");
    PetscCall(UmbH5CreateDataset(h, "/g/sub/data", H5T_IEEE_F64LE, 2, dims));
    PetscCall(UmbH5WriteRows(h, "/g/sub/data", H5T_NATIVE_DOUBLE, rows * rank, rows, buf));
    PetscCall(UmbH5WriteAttrReals(h, "/g", "pair", 2, attr));
    PetscCall(UmbH5WriteAttrInt(h, "/g/sub/data", "count", 1234567890123LL));
    PetscCall(UmbH5WriteAttrString(h, "/", "note", "hello"));
    PetscCall(UmbH5Close(&h, PETSC_TRUE));
    PetscCall(PetscTestFile("a.h5", 'r', &exists));
    UMB_CHECK(exists, "a.h5 missing after commit");
    PetscCall(PetscTestFile("a.h5.tmp", 'r', &exists));
    UMB_CHECK(!exists, "a.h5.tmp left behind");

    PetscCall(UmbH5Open(comm, "a.h5", "test", &h));
    PetscCall(UmbH5ReadSmall(h, "/g/sub/data", H5T_NATIVE_DOUBLE, rows * cols * size, back));
    for (PetscMPIInt r = 0; r < size; r++)
      for (hsize_t i = 0; i < rows * cols; i++) UMB_CHECK(back[r * rows * cols + i] == 1000.0 * r + i, "row data of rank %d", r);
    PetscCall(UmbH5ReadAttrReals(h, "/g", "pair", 2, ra));
    UMB_CHECK(ra[0] == 1.5 && ra[1] == -2, "real attribute");
    PetscCall(UmbH5ReadAttrInt(h, "/g/sub/data", "count", &iv));
    UMB_CHECK(iv == 1234567890123LL, "int64 attribute %lld", (long long)iv);
    PetscCall(UmbH5ReadAttrString(h, "/", "note", s, sizeof(s)));
    UMB_CHECK(!strcmp(s, "hello"), "string attribute '%s'", s);
    PetscCall(UmbH5ReadAttrString(h, "/provenance", "command", s, sizeof(s)));
    PetscCall(UmbH5Close(&h, PETSC_FALSE));
    PetscCall(PetscFree2(buf, back));

    /* discarded file leaves nothing */
    PetscCall(UmbH5Create(comm, "b.h5", "test", &h));
    PetscCall(UmbH5Close(&h, PETSC_FALSE));
    PetscCall(PetscTestFile("b.h5", 'r', &exists));
    UMB_CHECK(!exists, "discarded b.h5 exists");
    PetscCall(PetscTestFile("b.h5.tmp", 'r', &exists));
    UMB_CHECK(!exists, "discarded b.h5.tmp exists");
  }
  /* refusals */
  PetscCall(Expect(OpenSamples, comm, "a.h5", "wrong kind"));
  PetscCall(Expect(OpenSamples, comm, "missing.h5", "missing file"));
  if (!rank) {
    FILE *f = fopen("junk.h5", "w");
    fputs("junk", f);
    fclose(f);
  }
  PetscCallMPI(MPI_Barrier(comm));
  PetscCall(Expect(OpenSamples, comm, "junk.h5", "not HDF5"));
  {
    UmbH5 h;
    PetscCall(UmbH5Create(comm, "v.h5", "samples", &h));
    PetscCall(UmbH5WriteAttrString(h, "/", "umbra_format", "99.0"));
    PetscCall(UmbH5Close(&h, PETSC_TRUE));
    PetscCall(Expect(OpenSamples, comm, "v.h5", "future version"));
  }
  {
    /* a truncated file */
    if (!rank) PetscCheck(!truncate("a.h5", 600), PETSC_COMM_SELF, PETSC_ERR_SYS, "truncate failed");
    PetscCallMPI(MPI_Barrier(comm));
    PetscCall(Expect(OpenSamples, comm, "a.h5", "truncated"));
  }
  PetscFunctionReturn(UmbTestFinalize(0));
}
