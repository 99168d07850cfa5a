/* Refusing damaged numbers read from a file: a NaN or an infinity in samples, weights or
   parameters must stop the run with the file, dataset and row named, never flow on silently. */
#include <umbra/io.h>
#include <stdint.h>

PetscErrorCode UmbCheckFiniteRows(MPI_Comm comm, const char path[], const char dataset[], PetscInt64 nrows, PetscInt ncols, const PetscReal v[], PetscInt64 row0, const PetscInt64 rowid[], const char remedy[])
{
  PetscInt64 bad = INT64_MAX, first;

  PetscFunctionBegin;
  for (PetscInt64 i = 0; i < nrows * ncols; i++)
    if (PetscIsInfOrNanReal(v[i])) bad = PetscMin(bad, rowid ? rowid[i / ncols] : row0 + i / ncols);
  /* the smallest bad row over all ranks: the same message on any rank count */
  PetscCallMPI(MPI_Allreduce(&bad, &first, 1, MPIU_INT64, MPI_MIN, comm));
  PetscCheck(first == INT64_MAX, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: row %" PetscInt64_FMT " of %s is not a finite number: the file is damaged; %s", path, first, dataset, remedy);
  PetscFunctionReturn(PETSC_SUCCESS);
}
