/* Fuzz target: umbra's HDF5 readers on raw file bytes (seeded from files umbra wrote). Most
   mutations exercise libhdf5's own parser; a crash whose stack is inside libhdf5 alone is a
   third-party bug (kept in tests/fuzz/hdf5-known/), one in umbra's code is ours.
   Input: the reader (byte 0: samples.h5 for fes, dmap.h5, umbra info, gan.h5 for lifting), then
   the file. The gan.h5 reader checks the file against the model and CV of the options, here
   the defaults (those of the seed file). */
#include "fuzz.h"
#include <umbra/dmap.h>
#include <umbra/private/fesimpl.h>
#include <umbra/private/app.h>

static UmbApp app; /* the objects of a command with default options: the generator to load into */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  char out[512];

  FuzzStart();
  snprintf(out, sizeof(out), "-out %s/run", fuzz_dir);
  if (PetscOptionsInsertString(NULL, out) || UmbAppSetUp(PETSC_COMM_SELF, &app)) abort();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const char *const what[] = {"UmbWindowDataRead", "UmbDmapExtLoad", "UmbCommandInfo", "UmbGeneratorLoad"};
  char                     path[PETSC_MAX_PATH_LEN];
  unsigned                 reader = size ? data[0] % 4 : 0;
  PetscErrorCode           ierr;

  if (size) data++, size--;
  switch (reader) {
  case 0: {
    UmbWindowData w;
    FuzzWriteFile("samples.h5", data, size, path, sizeof(path));
    ierr = UmbWindowDataRead(PETSC_COMM_SELF, fuzz_dir, &w);
    if (!ierr) ierr = UmbWindowDataFree(&w);
  } break;
  case 1: {
    UmbDmapExt e = NULL;
    FuzzWriteFile("dmap.h5", data, size, path, sizeof(path));
    ierr = UmbDmapExtLoad(PETSC_COMM_SELF, path, &e);
    if (!ierr) ierr = UmbDmapExtDestroy(&e);
  } break;
  case 2:
    FuzzWriteFile("info.h5", data, size, path, sizeof(path));
    ierr = UmbCommandInfo(PETSC_COMM_SELF, path);
    break;
  default:
    FuzzWriteFile("gan.h5", data, size, path, sizeof(path));
    ierr = UmbGeneratorLoad(app.generator, path);
  }
  FuzzFinish(ierr, what[reader]);
  return 0;
}
