/* Fuzz target: the CSV tables that `umbra report` reads back (fes.csv, closures.csv, ...).
   Input: the file's text. */
#include "fuzz.h"
#include <umbra/private/reportimpl.h>

volatile double fuzz_sink; /* keeps the reads from being optimised away */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  FuzzStart();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const char *const opts[] = {"-beta", "-out", "-model", "-us_centers", "-"};
  char                     path[PETSC_MAX_PATH_LEN], value[64];
  UmbTable                 t;
  PetscErrorCode           ierr;

  FuzzWriteFile("table.csv", data, size, path, sizeof(path));
  ierr = UmbTableRead(path, &t);
  if (!ierr) {
    for (PetscInt j = 0; j < t.ncols; j++) {
      PetscInt col = UmbTableColumn(&t, t.names[j]);
      for (PetscInt i = -1; i <= t.nrows; i++) fuzz_sink += (double)UmbTableReal(&t, i, col) + (double)strlen(UmbTableString(&t, i, col));
    }
    for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
      if (UmbTableOption(&t, opts[k], value, sizeof(value))) fuzz_sink += (double)strlen(value);
    (void)UmbTableColumn(&t, "no such column");
  }
  if (UmbTableDestroy(&t)) abort();
  FuzzFinish(ierr, "UmbTableRead");
  return 0;
}
